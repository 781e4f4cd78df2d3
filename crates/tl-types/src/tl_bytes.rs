//! [`TlBytes`]: the owned byte string of TL `bytes` fields, short ones held inline.

use std::borrow::Borrow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};

use crate::inline_window::{inline_part, peek_short, short_size, to_inline, INLINE};
use crate::Slot;

/// The owned type of TL `bytes` fields: a `Vec<u8>`-like value that holds up to 30 bytes inline (file
/// references, hashes, short thumbnails), longer data in one `Vec<u8>`.
///
/// It is 32 bytes, and `Option<TlBytes>` is too. A `Vec<u8>` turned into one keeps its allocation when it
/// is longer than 30 bytes (no copy: a file part or an encrypted payload stays where it was), and
/// [`into_vec`](Self::into_vec) gives it back the same way. Read it as a `&[u8]` through `Deref` (every
/// slice method works on it); build one with `.into()` from a `Vec<u8>`, a `&[u8]` or an array. It
/// compares, orders and hashes like the `[u8]` it holds. Its length is fixed once built (build a new
/// one to change it); its bytes can be changed in place through `DerefMut`.
///
/// ```
/// use tgwire_tl_types::TlBytes;
///
/// let reference: TlBytes = vec![7u8; 24].into();
/// assert!(reference.is_inline());
/// assert_eq!(reference, [7u8; 24]);
/// let part = vec![0u8; 512 * 1024];
/// let at = part.as_ptr();
/// let held = TlBytes::from(part);
/// let back = held.into_vec();
/// assert_eq!(back.as_ptr(), at); // long values are moved, never copied
/// assert_eq!(std::mem::size_of::<Option<TlBytes>>(), 32);
/// ```
#[derive(Clone)]
pub struct TlBytes(Repr);

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Vec<u8>),
}

impl TlBytes {
    /// No bytes (no allocation; usable in `const` items).
    #[inline]
    pub const fn new() -> Self {
        TlBytes(Repr::Inline {
            len: 0,
            buf: [0; INLINE],
        })
    }

    /// Copies `bytes`: inline when they are at most 30, otherwise into one exact-size allocation.
    #[inline]
    pub fn from_slice(bytes: &[u8]) -> Self {
        match Self::inline(bytes) {
            Some(inline) => inline,
            None => TlBytes(Repr::Heap(bytes.to_vec())),
        }
    }

    #[inline]
    fn inline(bytes: &[u8]) -> Option<Self> {
        Some(TlBytes(Repr::Inline {
            buf: to_inline(bytes)?,
            len: bytes.len() as u8,
        }))
    }

    /// Reads a TL `bytes` value from `r`.
    ///
    /// The common case, a short value with at least a window (32 bytes) of input after its length byte,
    /// is read as a fixed window ([`peek_short`]), with no variable-length copy. Everything else goes
    /// through [`read_other`](Self::read_other). Always inlined in optimised builds, for the reason
    /// given at [`TlString`](crate::TlString)'s `read`.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn read(r: &mut crate::Reader<'_>) -> Result<Self, crate::DeserializeError> {
        match Self::read_short(r) {
            Some(bytes) => Ok(bytes),
            None => Self::read_other(r),
        }
    }

    /// [`read`](Self::read) into a field being filled in, each path writing the field itself (see
    /// [`Slot`]).
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub(crate) fn read_into(
        r: &mut crate::Reader<'_>,
        slot: &mut impl Slot<Self>,
    ) -> Result<(), crate::DeserializeError> {
        match Self::read_short(r) {
            Some(bytes) => {
                slot.put(bytes);
                Ok(())
            }
            None => Self::read_other_into(r, slot),
        }
    }

    /// The short value at the start of `r`, consumed; `None`, with nothing consumed, for anything else.
    #[inline(always)]
    fn read_short(r: &mut crate::Reader<'_>) -> Option<Self> {
        let (len, wide) = peek_short(r.rest())?;
        r.advance(short_size(len));
        Some(TlBytes(Repr::Inline {
            len: len as u8,
            buf: inline_part(&wide),
        }))
    }

    /// [`read`](Self::read) for long values and values near the end of the input: one exact-size
    /// allocation and one copy when longer than 30 bytes, as a `Vec<u8>` would.
    #[inline(never)]
    fn read_other(r: &mut crate::Reader<'_>) -> Result<Self, crate::DeserializeError> {
        Ok(Self::from_slice(r.read_tl_bytes()?))
    }

    /// [`read_other`](Self::read_other) into a field being filled in.
    #[inline(never)]
    fn read_other_into(
        r: &mut crate::Reader<'_>,
        slot: &mut impl Slot<Self>,
    ) -> Result<(), crate::DeserializeError> {
        let bytes = r.read_tl_bytes()?;
        match to_inline(bytes) {
            Some(buf) => slot.put(TlBytes(Repr::Inline {
                len: bytes.len() as u8,
                buf,
            })),
            None => slot.put(TlBytes(Repr::Heap(bytes.to_vec()))),
        };
        Ok(())
    }

    /// The bytes.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Repr::Heap(bytes) => bytes,
        }
    }

    /// The bytes, to change in place (the length stays).
    #[inline]
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        match &mut self.0 {
            Repr::Inline { len, buf } => buf.get_mut(..usize::from(*len)).unwrap_or_default(),
            Repr::Heap(bytes) => bytes,
        }
    }

    /// The bytes as a `Vec<u8>`: a long value's own allocation, moved; a short one copied.
    #[inline]
    pub fn into_vec(self) -> Vec<u8> {
        match self.0 {
            Repr::Inline { .. } => self.as_slice().to_vec(),
            Repr::Heap(bytes) => bytes,
        }
    }

    /// Whether the bytes are held inline (no allocation).
    #[inline]
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }
}

impl Default for TlBytes {
    #[inline]
    fn default() -> Self {
        Self::new()
    }
}

impl Deref for TlBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl DerefMut for TlBytes {
    #[inline]
    fn deref_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl AsMut<[u8]> for TlBytes {
    #[inline]
    fn as_mut(&mut self) -> &mut [u8] {
        self.as_mut_slice()
    }
}

impl AsRef<[u8]> for TlBytes {
    #[inline]
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for TlBytes {
    #[inline]
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl From<Vec<u8>> for TlBytes {
    /// Short values move inline (the vector is freed); longer ones keep the vector as it is.
    #[inline]
    fn from(bytes: Vec<u8>) -> Self {
        match Self::inline(&bytes) {
            Some(inline) => inline,
            None => TlBytes(Repr::Heap(bytes)),
        }
    }
}

impl From<&[u8]> for TlBytes {
    #[inline]
    fn from(bytes: &[u8]) -> Self {
        Self::from_slice(bytes)
    }
}

impl From<&Vec<u8>> for TlBytes {
    #[inline]
    fn from(bytes: &Vec<u8>) -> Self {
        Self::from_slice(bytes)
    }
}

impl<const N: usize> From<[u8; N]> for TlBytes {
    #[inline]
    fn from(bytes: [u8; N]) -> Self {
        Self::from_slice(&bytes)
    }
}

impl<const N: usize> From<&[u8; N]> for TlBytes {
    #[inline]
    fn from(bytes: &[u8; N]) -> Self {
        Self::from_slice(bytes)
    }
}

impl From<Box<[u8]>> for TlBytes {
    #[inline]
    fn from(bytes: Box<[u8]>) -> Self {
        bytes.into_vec().into()
    }
}

impl From<&TlBytes> for TlBytes {
    #[inline]
    fn from(bytes: &TlBytes) -> Self {
        bytes.clone()
    }
}

impl From<TlBytes> for Vec<u8> {
    #[inline]
    fn from(bytes: TlBytes) -> Self {
        bytes.into_vec()
    }
}

impl From<&TlBytes> for Vec<u8> {
    #[inline]
    fn from(bytes: &TlBytes) -> Self {
        bytes.as_slice().to_vec()
    }
}

impl FromIterator<u8> for TlBytes {
    fn from_iter<I: IntoIterator<Item = u8>>(bytes: I) -> Self {
        Vec::from_iter(bytes).into()
    }
}

impl<'a> IntoIterator for &'a TlBytes {
    type Item = &'a u8;
    type IntoIter = std::slice::Iter<'a, u8>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

impl fmt::Debug for TlBytes {
    #[inline]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

impl PartialEq for TlBytes {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for TlBytes {}

impl PartialOrd for TlBytes {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for TlBytes {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_slice().cmp(other.as_slice())
    }
}

impl Hash for TlBytes {
    /// Hashes like the `[u8]` it holds (so `Borrow<[u8]>` lookups work).
    #[inline]
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state);
    }
}

macro_rules! eq_bytes {
    ($($other:ty),*) => {$(
        impl PartialEq<$other> for TlBytes {
            #[inline]
            fn eq(&self, other: &$other) -> bool {
                self.as_slice() == &other[..]
            }
        }

        impl PartialEq<TlBytes> for $other {
            #[inline]
            fn eq(&self, other: &TlBytes) -> bool {
                &self[..] == other.as_slice()
            }
        }
    )*};
}

eq_bytes!([u8], &[u8], Vec<u8>);

impl<const N: usize> PartialEq<[u8; N]> for TlBytes {
    #[inline]
    fn eq(&self, other: &[u8; N]) -> bool {
        self.as_slice() == other
    }
}

impl<const N: usize> PartialEq<&[u8; N]> for TlBytes {
    #[inline]
    fn eq(&self, other: &&[u8; N]) -> bool {
        self.as_slice() == *other
    }
}

impl<const N: usize> PartialEq<TlBytes> for [u8; N] {
    #[inline]
    fn eq(&self, other: &TlBytes) -> bool {
        self == other.as_slice()
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for TlBytes {
    /// As a byte string (the generated types' fields are written as base64 instead).
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(self.as_slice())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for TlBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;

        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = TlBytes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a byte string")
            }

            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<TlBytes, E> {
                Ok(TlBytes::from_slice(bytes))
            }

            fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<TlBytes, E> {
                Ok(bytes.into())
            }

            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<TlBytes, A::Error> {
                let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                while let Some(byte) = seq.next_element()? {
                    bytes.push(byte);
                }
                Ok(bytes.into())
            }
        }

        d.deserialize_byte_buf(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Deserializable, Reader, Serializable};

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<TlBytes>(), 32);
        assert_eq!(std::mem::size_of::<Option<TlBytes>>(), 32);
    }

    #[test]
    fn inline_up_to_30_bytes_then_heap() {
        for len in 0..=40 {
            let data: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37)).collect();
            for b in [
                TlBytes::from(data.as_slice()),
                TlBytes::from(data.clone()),
                data.iter().copied().collect(),
            ] {
                assert_eq!(b.is_inline(), len <= 30, "len {len}");
                assert_eq!(b, data);
                assert_eq!(data, b);
                assert_eq!(b.len(), len);
                assert_eq!(b.clone().into_vec(), data);
                assert_eq!(Vec::from(&b), data);
            }
        }
        assert_eq!(TlBytes::default(), b"" as &[u8]);
        assert_eq!(TlBytes::from([1, 2]), [1u8, 2]);
        let (a, ab) = (TlBytes::from(b"a"), TlBytes::from(b"ab"));
        assert!(a < ab);
        assert_eq!(format!("{:?}", TlBytes::from(b"\x01\x02")), "[1, 2]");
    }

    #[test]
    fn long_values_keep_their_allocation() {
        let data = vec![9u8; 1000];
        let at = data.as_ptr();
        let held = TlBytes::from(data);
        assert_eq!(held.as_ptr(), at);
        let back = held.into_vec();
        assert_eq!(back.as_ptr(), at);
    }

    #[test]
    fn reads_values_with_and_without_bytes_after_them() {
        // The window path needs 32 bytes after the length byte; a value at the end of the input, or
        // followed by fewer bytes, takes the other path. Both must consume exactly the value and
        // hold none of the bytes after it.
        for len in (0..=40).chain([253, 254, 300]) {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 1) as u8).collect();
            for after in [0, 3, 23, 24, 30, 31, 32, 40] {
                let mut input = Vec::new();
                data.serialize(&mut input);
                let end = input.len();
                input.extend((0..after).map(|i| 0x80 | i as u8));
                let mut r = Reader::new(&input);
                let read = TlBytes::deserialize(&mut r).unwrap();
                assert_eq!(read, data, "len {len} after {after}");
                assert_eq!(read.is_inline(), len <= INLINE);
                assert_eq!(r.position(), end, "len {len} after {after}");
                assert_eq!(read.to_bytes(), input[..end], "len {len} after {after}");
                // Into a field, and into an optional one, on each of the same paths.
                let mut r = Reader::new(&input);
                let mut field = TlBytes::new();
                TlBytes::read_into(&mut r, &mut field).unwrap();
                assert_eq!(
                    (&field, r.position()),
                    (&read, end),
                    "len {len} after {after}"
                );
                assert_eq!(field.is_inline(), len <= INLINE);
                let mut r = Reader::new(&input);
                let mut optional = None;
                TlBytes::read_into(&mut r, &mut optional).unwrap();
                assert_eq!(optional.as_ref(), Some(&read), "len {len} after {after}");
                assert_eq!(r.position(), end, "len {len} after {after}");
                for cut in 0..end.saturating_sub(3) {
                    let mut optional = None;
                    let into = TlBytes::read_into(&mut Reader::new(&input[..cut]), &mut optional);
                    assert!(into.is_err() && optional.is_none(), "len {len} cut {cut}");
                }
            }
        }
    }

    #[test]
    fn truncated_values_are_errors() {
        let mut input = Vec::new();
        vec![5u8; 20].serialize(&mut input);
        for cut in 0..input.len() - 3 {
            // Padding is not checked, so cutting only padding still reads the value.
            assert!(TlBytes::from_bytes(&input[..cut]).is_err(), "cut {cut}");
        }
    }
}
