//! TL's built-in types on Rust types: `int` = `i32`, `long` = `i64`, `double` = `f64`, `Bool` = `bool`,
//! `string` = [`TlString`] (also `String` for hand-written code), `bytes` = [`TlBytes`] (also `Vec<u8>` for hand-written code), `int128` = `[u8; 16]`, `int256` = `[u8; 32]`,
//! `Vector<T>` = `Vec<T>`.
//!
//! Strings: TL `string` is bytes on the wire; decoding turns invalid UTF-8 into U+FFFD (lossy) rather than
//! failing, because one odd name must not make a whole update undecodable. Fields that carry binary
//! data are `bytes` in the schema and [`TlBytes`] here, decoded exactly.

use crate::{Deserializable, DeserializeError, Reader, Serializable, TlBytes, TlString};

/// The id of the boxed `Vector t` type.
pub const VECTOR_ID: u32 = 0x1cb5c415;
/// The id of `boolTrue`.
pub const BOOL_TRUE_ID: u32 = 0x997275b5;
/// The id of `boolFalse`.
pub const BOOL_FALSE_ID: u32 = 0xbc799737;

impl Serializable for i32 {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.to_le_bytes());
    }
}

impl Deserializable for i32 {
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_i32()
    }
}

impl Serializable for i64 {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.to_le_bytes());
    }
}

impl Deserializable for i64 {
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_i64()
    }
}

impl Serializable for f64 {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.to_le_bytes());
    }
}

impl Deserializable for f64 {
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_f64()
    }
}

impl<const N: usize> Serializable for [u8; N] {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(self);
    }
}

impl<const N: usize> Deserializable for [u8; N] {
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_array()
    }
}

impl Serializable for bool {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        let id = if *self { BOOL_TRUE_ID } else { BOOL_FALSE_ID };
        buf.extend_from_slice(&id.to_le_bytes());
    }
}

impl Deserializable for bool {
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        match r.read_u32()? {
            BOOL_TRUE_ID => Ok(true),
            BOOL_FALSE_ID => Ok(false),
            id => Err(DeserializeError::InvalidBool { id }),
        }
    }
}

/// Writes a TL byte string: length prefix, data, zero padding to a multiple of 4.
///
/// Strings are the commonest field and most are short, so this reserves once and writes the padding as
/// a fixed 3-byte store cut back to size: a variable 0..=3-byte copy would be a `memcpy` call each time.
#[inline]
pub(crate) fn write_tl_bytes(data: &[u8], buf: &mut Vec<u8>) {
    let len = data.len();
    let header = if len <= 253 { 1 } else { 4 };
    buf.reserve(header + len + 3);
    if len <= 253 {
        buf.push(len as u8);
    } else {
        assert!(
            len < 1 << 24,
            "TL cannot encode a byte string of {len} bytes (limit 16 MiB - 1)"
        );
        // 254, then the length in 3 little-endian bytes.
        buf.extend_from_slice(&((len as u32) << 8 | 254).to_le_bytes());
    }
    buf.extend_from_slice(data);
    let end = buf.len() + padding(header + len);
    buf.extend_from_slice(&[0; 3]);
    buf.truncate(end);
}

/// Zero bytes that follow `written` bytes of a byte string to reach a multiple of 4.
#[inline]
pub(crate) const fn padding(written: usize) -> usize {
    written.wrapping_neg() & 3
}

impl Serializable for Vec<u8> {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        write_tl_bytes(self, buf);
    }
}

impl Deserializable for Vec<u8> {
    #[inline]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.read_tl_bytes().map(<[u8]>::to_vec)
    }
}

impl Serializable for TlBytes {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        write_tl_bytes(self, buf);
    }
}

impl Deserializable for TlBytes {
    /// Values of up to 30 bytes are held inline: file references and short thumbnails decode without
    /// an allocation.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        TlBytes::read(r)
    }
}

impl Serializable for String {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        write_tl_bytes(self.as_bytes(), buf);
    }
}

impl Serializable for str {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        write_tl_bytes(self.as_bytes(), buf);
    }
}

impl Deserializable for String {
    /// Invalid UTF-8 is replaced by U+FFFD rather than rejected (see the module docs).
    #[inline]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        let bytes = r.read_tl_bytes()?;
        Ok(match simdutf8::basic::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => String::from_utf8_lossy(bytes).into_owned(),
        })
    }
}

impl Serializable for TlString {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        write_tl_bytes(self.as_bytes(), buf);
    }
}

impl Deserializable for TlString {
    /// Invalid UTF-8 is replaced by U+FFFD rather than rejected (see the module docs). Strings of up
    /// to 30 bytes are held inline: most names, usernames and codes decode without an allocation.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        TlString::read(r)
    }
}

impl<T: Serializable> Serializable for Vec<T> {
    #[inline]
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&VECTOR_ID.to_le_bytes());
        buf.extend_from_slice(&(self.len() as u32).to_le_bytes());
        for item in self {
            item.serialize(buf);
        }
    }
}

impl<T: Deserializable> Deserializable for Vec<T> {
    #[inline]
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.expect_id(VECTOR_ID)?;
        let count = r.read_vector_len()?;
        let mut out = Vec::with_capacity(count);
        for _ in 0..count {
            T::deserialize_push(r, &mut out)?;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_pad_to_four_bytes() {
        assert_eq!("".to_owned().to_bytes(), [0, 0, 0, 0]);
        assert_eq!("abc".to_owned().to_bytes(), [3, b'a', b'b', b'c']);
        assert_eq!(
            "abcd".to_owned().to_bytes(),
            [4, b'a', b'b', b'c', b'd', 0, 0, 0]
        );
        let long = vec![1u8; 254];
        let encoded = long.to_bytes();
        assert_eq!(&encoded[..4], [254, 254, 0, 0]);
        assert_eq!(encoded.len(), 4 + 256);
        assert_eq!(Vec::<u8>::from_bytes(&encoded).unwrap(), long);
    }

    #[test]
    fn every_length_round_trips_with_zero_padding() {
        // Crosses the short/long header boundary (253/254) and every padding amount.
        for len in (0..300usize).chain([1000, 1001, 1002, 1003]) {
            let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8 + 1).collect();
            let mut buf = vec![0xaa];
            data.serialize(&mut buf);
            let encoded = &buf[1..];
            let header = if len <= 253 { 1 } else { 4 };
            assert_eq!(encoded.len() % 4, 0, "len {len}");
            assert_eq!(encoded.len(), (header + len).div_ceil(4) * 4, "len {len}");
            assert!(encoded[header + len..].iter().all(|&b| b == 0), "len {len}");
            let mut r = Reader::new(encoded);
            assert_eq!(r.read_tl_bytes().unwrap(), &data[..], "len {len}");
            assert_eq!(r.remaining(), 0, "len {len}");
        }
    }

    #[test]
    fn invalid_utf8_decodes_lossily() {
        let s = String::from_bytes(&[2, 0xff, b'a', 0]).unwrap();
        assert_eq!(s, "\u{fffd}a");
        let s = TlString::from_bytes(&[2, 0xff, b'a', 0]).unwrap();
        assert_eq!(s, "\u{fffd}a");
    }

    #[test]
    fn tl_strings_encode_like_strings() {
        // Both sides of the inline limit (30 bytes) and of the short/long header.
        for len in [
            0, 1, 3, 4, 21, 22, 23, 24, 25, 29, 30, 31, 32, 33, 253, 254, 300,
        ] {
            let text: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            let tl = TlString::from(text.as_str());
            assert_eq!(tl.to_bytes(), text.to_bytes(), "len {len}");
            assert_eq!(TlString::from_bytes(&text.to_bytes()).unwrap(), text);
        }
        let multibyte = TlString::from("ünïcödé ✓");
        assert_eq!(
            TlString::from_bytes(&multibyte.to_bytes()).unwrap(),
            multibyte
        );
    }

    #[test]
    fn bool_rejects_other_ids() {
        assert_eq!(true.to_bytes(), BOOL_TRUE_ID.to_le_bytes());
        assert_eq!(
            bool::from_bytes(&1u32.to_le_bytes()),
            Err(DeserializeError::InvalidBool { id: 1 })
        );
    }

    #[test]
    fn vectors_carry_id_and_count() {
        let v: Vec<i32> = vec![1, -1];
        let bytes = v.to_bytes();
        assert_eq!(
            bytes,
            [0x15, 0xc4, 0xb5, 0x1c, 2, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]
        );
        assert_eq!(Vec::<i32>::from_bytes(&bytes).unwrap(), v);
        assert!(matches!(
            Vec::<i32>::from_bytes(&bytes[..15]),
            Err(DeserializeError::VectorTooLong { .. })
        ));
    }

    #[test]
    fn trailing_bytes_are_reported_by_from_bytes_only() {
        let bytes = [1, 0, 0, 0, 9];
        assert_eq!(
            i32::from_bytes(&bytes),
            Err(DeserializeError::TrailingBytes { count: 1 })
        );
        assert_eq!(i32::from_bytes_prefix(&bytes).unwrap(), (1, 4));
    }
}
