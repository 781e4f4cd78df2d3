//! The few TL primitives the framing layer reads and writes by hand.
//!
//! Envelopes (`message`, `msg_container`, `rpc_result`, `gzip_packed`) carry untyped `Object`
//! fields, which the session must split *without* decoding: a response body is handed to the
//! caller as bytes, and a container is walked by borrowing slices of the decrypted buffer. A
//! cursor over `&[u8]` does that with no copies and no allocation driven by peer-supplied
//! lengths; typed bodies go through `tgwire-tl-types`.

use crate::error::DecodeError;

/// A bounds-checked reader over a borrowed buffer.
#[derive(Clone, Debug)]
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self { buf }
    }

    pub(crate) fn remaining(&self) -> &'a [u8] {
        self.buf
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.buf.len() {
            return Err(DecodeError::UnexpectedEnd);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_le_bytes(self.array()?))
    }

    pub(crate) fn i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_le_bytes(self.array()?))
    }

    /// A TL `bytes`/`string`: a 1-byte length (or 254 and a 3-byte length), the data, then
    /// padding to a multiple of 4.
    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let first = *self.take(1)?.first().ok_or(DecodeError::UnexpectedEnd)?;
        let (len, header) = if first == 254 {
            let l = self.array::<3>()?;
            (
                usize::from(l[0]) | usize::from(l[1]) << 8 | usize::from(l[2]) << 16,
                4,
            )
        } else {
            (usize::from(first), 1)
        };
        let data = self.take(len)?;
        let pad = (4 - (header + len) % 4) % 4;
        self.take(pad)?;
        Ok(data)
    }

    /// A boxed `Vector<long>`, with the count checked against the bytes left before anything
    /// is allocated.
    pub(crate) fn vec_i64(&mut self) -> Result<Vec<i64>, DecodeError> {
        let id = self.u32()?;
        if id != VECTOR {
            return Err(DecodeError::UnexpectedConstructor(id));
        }
        let n = self.u32()? as usize;
        if n > self.buf.len() / 8 {
            return Err(DecodeError::UnexpectedEnd);
        }
        (0..n).map(|_| self.i64()).collect()
    }
}

/// The boxed `Vector t` constructor.
pub(crate) const VECTOR: u32 = 0x1cb5_c415;

pub(crate) fn put_u32(buf: &mut Vec<u8>, v: u32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_i32(buf: &mut Vec<u8>, v: i32) {
    buf.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_i64(buf: &mut Vec<u8>, v: i64) {
    buf.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_bytes(buf: &mut Vec<u8>, data: &[u8]) {
    let header = if data.len() < 254 {
        buf.push(data.len() as u8);
        1
    } else {
        // TL strings top out at 2^24 - 1 bytes; longer data is a caller bug we refuse to wrap.
        let len = data.len().min(0xff_ffff) as u32;
        buf.push(254);
        buf.extend_from_slice(&len.to_le_bytes()[..3]);
        4
    };
    buf.extend_from_slice(data);
    let pad = (4 - (header + data.len()) % 4) % 4;
    buf.extend(std::iter::repeat_n(0, pad));
}

pub(crate) fn put_vec_i64(buf: &mut Vec<u8>, values: &[i64]) {
    put_u32(buf, VECTOR);
    put_u32(buf, values.len() as u32);
    for v in values {
        put_i64(buf, *v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_round_trip_short_and_long() {
        for len in [0usize, 1, 3, 4, 253, 254, 255, 1000] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let mut buf = Vec::new();
            put_bytes(&mut buf, &data);
            assert_eq!(buf.len() % 4, 0);
            let mut c = Cursor::new(&buf);
            assert_eq!(c.bytes().unwrap(), &data[..]);
            assert!(c.remaining().is_empty());
        }
    }

    #[test]
    fn truncated_input_is_an_error() {
        let mut buf = Vec::new();
        put_bytes(&mut buf, &[1; 300]);
        buf.truncate(100);
        assert_eq!(Cursor::new(&buf).bytes(), Err(DecodeError::UnexpectedEnd));
        // A vector claiming 2^32-1 elements must not allocate.
        let mut buf = Vec::new();
        put_u32(&mut buf, VECTOR);
        put_u32(&mut buf, u32::MAX);
        assert_eq!(Cursor::new(&buf).vec_i64(), Err(DecodeError::UnexpectedEnd));
    }
}
