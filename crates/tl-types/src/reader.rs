//! A bounds-checked cursor over received bytes.

use crate::DeserializeError;

/// How deeply boxed values may nest inside one another while decoding.
///
/// Legitimate Telegram objects nest a few levels (an update holding a message holding media holding a
/// web page with nested blocks); the limit stops crafted input from exhausting the stack.
pub const MAX_DEPTH: u16 = 64;

/// A cursor over `&[u8]` that every decoder reads from. All reads are checked and fail with
/// [`DeserializeError::UnexpectedEof`] instead of panicking.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    /// The bytes not read yet. Keeping the unread part (rather than the whole input and an offset)
    /// makes each read one length comparison and one slice split, with no index arithmetic to check.
    rest: &'a [u8],
    /// The whole input's length, for [`Reader::position`].
    len: usize,
    depth: u16,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            rest: buf,
            len: buf.len(),
            depth: 0,
        }
    }

    /// Bytes not read yet.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Bytes read so far.
    #[inline]
    pub fn position(&self) -> usize {
        self.len - self.rest.len()
    }

    /// The bytes not read yet, without consuming them.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Consumes and returns everything left.
    pub fn read_rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    /// Skips `n` bytes the caller has checked are there (never past the end).
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        self.rest = self.rest.get(n..).unwrap_or_default();
    }

    /// Consumes exactly `n` bytes.
    #[inline]
    pub fn read_raw(&mut self, n: usize) -> Result<&'a [u8], DeserializeError> {
        match self.rest.split_at_checked(n) {
            Some((out, rest)) => {
                self.rest = rest;
                Ok(out)
            }
            None => Err(self.eof(n)),
        }
    }

    /// Consumes a fixed-size array (`int128`, `int256`, or the bytes of a number).
    ///
    /// Always inlined in optimised builds: numbers are most of what decoders read, and inlined, a read
    /// is one comparison and one load (the generated decoders are large, so the compiler would
    /// otherwise call it). Debug builds leave it to the compiler: forcing it there only costs compile
    /// time. The other number reads and `Deserializable` for numbers are inlined the same way.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn read_array<const N: usize>(&mut self) -> Result<[u8; N], DeserializeError> {
        match self.rest.split_first_chunk::<N>() {
            Some((out, rest)) => {
                self.rest = rest;
                Ok(*out)
            }
            None => Err(self.eof(N)),
        }
    }

    /// The error of a read of `needed` bytes past the end; out of line, as it is the cold path.
    #[cold]
    #[inline(never)]
    fn eof(&self, needed: usize) -> DeserializeError {
        DeserializeError::UnexpectedEof {
            needed,
            remaining: self.rest.len(),
        }
    }

    /// The next little-endian `u32` (usually a constructor id) without consuming it.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn peek_u32(&self) -> Result<u32, DeserializeError> {
        self.clone().read_u32()
    }

    /// Consumes a little-endian `u32`.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn read_u32(&mut self) -> Result<u32, DeserializeError> {
        self.read_array().map(u32::from_le_bytes)
    }

    /// Consumes a little-endian `i32` (TL `int`).
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn read_i32(&mut self) -> Result<i32, DeserializeError> {
        self.read_array().map(i32::from_le_bytes)
    }

    /// Consumes a little-endian `i64` (TL `long`).
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn read_i64(&mut self) -> Result<i64, DeserializeError> {
        self.read_array().map(i64::from_le_bytes)
    }

    /// Consumes a little-endian IEEE 754 `f64` (TL `double`).
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn read_f64(&mut self) -> Result<f64, DeserializeError> {
        self.read_array().map(f64::from_le_bytes)
    }

    /// Consumes a constructor id and checks it is `id`.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn expect_id(&mut self, id: u32) -> Result<(), DeserializeError> {
        match self.read_u32()? {
            found if found == id => Ok(()),
            found => Err(DeserializeError::UnexpectedConstructor { id: found }),
        }
    }

    /// Consumes a TL byte string (`bytes`/`string`): a 1-byte length (or 254 and a 3-byte length), the
    /// data, and zero padding to a multiple of 4. The padding's contents are not checked.
    ///
    /// On error nothing is consumed; a short input reports the whole padded length as `needed`.
    #[inline]
    pub fn read_tl_bytes(&mut self) -> Result<&'a [u8], DeserializeError> {
        let rest = self.rest();
        let (len, header) = match rest {
            [short @ 0..=253, ..] => (usize::from(*short), 1),
            [254, a, b, c, ..] => (u32::from_le_bytes([*a, *b, *c, 0]) as usize, 4),
            [255, ..] => return Err(DeserializeError::InvalidLengthPrefix),
            _ => {
                return Err(DeserializeError::UnexpectedEof {
                    needed: if rest.is_empty() { 1 } else { 4 },
                    remaining: rest.len(),
                })
            }
        };
        let total = header + len + crate::primitives::padding(header + len);
        match rest.get(header..header + len) {
            Some(data) if total <= rest.len() => {
                self.advance(total);
                Ok(data)
            }
            _ => Err(DeserializeError::UnexpectedEof {
                needed: total,
                remaining: rest.len(),
            }),
        }
    }

    /// Reads a vector count and checks that many elements of at least 4 bytes each can fit in what is
    /// left, so callers may allocate `count` slots.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn read_vector_len(&mut self) -> Result<usize, DeserializeError> {
        let count = self.read_u32()?;
        let remaining = self.remaining();
        if count as usize > remaining / 4 {
            return Err(DeserializeError::VectorTooLong { count, remaining });
        }
        Ok(count as usize)
    }

    /// Enters one level of nesting for as long as the returned guard lives (it dereferences to this
    /// reader); fails beyond [`MAX_DEPTH`]. Boxed types decode through it so that crafted input nesting
    /// values inside values cannot exhaust the stack.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn nest(&mut self) -> Result<Nested<'_, 'a>, DeserializeError> {
        self.enter()?;
        Ok(Nested { reader: self })
    }

    /// Enters one level of nesting; fails beyond [`MAX_DEPTH`]. Pair with [`Reader::leave`], or use
    /// [`Reader::nest`], which leaves on drop.
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn enter(&mut self) -> Result<(), DeserializeError> {
        if self.depth >= MAX_DEPTH {
            return Err(DeserializeError::TooDeep { limit: MAX_DEPTH });
        }
        self.depth += 1;
        Ok(())
    }

    /// Leaves one level of nesting entered with [`Reader::enter`].
    #[cfg_attr(debug_assertions, inline)]
    #[cfg_attr(not(debug_assertions), inline(always))]
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }
}

/// One level of nesting entered with [`Reader::nest`]; leaves it when dropped.
#[derive(Debug)]
pub struct Nested<'r, 'a> {
    reader: &'r mut Reader<'a>,
}

impl<'a> std::ops::Deref for Nested<'_, 'a> {
    type Target = Reader<'a>;

    #[inline]
    fn deref(&self) -> &Reader<'a> {
        self.reader
    }
}

impl std::ops::DerefMut for Nested<'_, '_> {
    #[inline]
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.reader
    }
}

impl Drop for Nested<'_, '_> {
    #[inline]
    fn drop(&mut self) {
        self.reader.leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounds_checked() {
        let mut r = Reader::new(&[1, 2, 3]);
        assert_eq!(
            r.read_u32(),
            Err(DeserializeError::UnexpectedEof {
                needed: 4,
                remaining: 3
            })
        );
        assert_eq!(r.position(), 0, "a failed read consumes nothing");
        assert_eq!(r.read_raw(2).unwrap(), &[1, 2]);
        assert_eq!(r.remaining(), 1);
    }

    #[test]
    fn long_byte_string_header() {
        // 254, then length 300 as 3 little-endian bytes, 300 bytes of data, no padding (4 + 300 = 304).
        let mut input = vec![254, 0x2c, 0x01, 0x00];
        input.extend(std::iter::repeat_n(7u8, 300));
        let mut r = Reader::new(&input);
        assert_eq!(r.read_tl_bytes().unwrap().len(), 300);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn truncated_byte_string_consumes_nothing() {
        // Length 5 needs 1 + 5 + 2 padding = 8 bytes; 7 are there.
        let mut r = Reader::new(&[5, 1, 2, 3, 4, 5, 0]);
        assert_eq!(
            r.read_tl_bytes(),
            Err(DeserializeError::UnexpectedEof {
                needed: 8,
                remaining: 7
            })
        );
        assert_eq!(r.position(), 0);
        // A long header cut short, and nothing at all.
        assert_eq!(
            Reader::new(&[254, 1]).read_tl_bytes(),
            Err(DeserializeError::UnexpectedEof {
                needed: 4,
                remaining: 2
            })
        );
        assert_eq!(
            Reader::new(&[]).read_tl_bytes(),
            Err(DeserializeError::UnexpectedEof {
                needed: 1,
                remaining: 0
            })
        );
        assert_eq!(
            Reader::new(&[255, 0, 0, 0]).read_tl_bytes(),
            Err(DeserializeError::InvalidLengthPrefix)
        );
    }

    #[test]
    fn vector_count_is_checked_before_allocation() {
        let mut r = Reader::new(&[0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0]);
        assert_eq!(
            r.read_vector_len(),
            Err(DeserializeError::VectorTooLong {
                count: 0x7fff_ffff,
                remaining: 4
            })
        );
    }

    #[test]
    fn nesting_is_limited() {
        let mut r = Reader::new(&[]);
        for _ in 0..MAX_DEPTH {
            r.enter().unwrap();
        }
        assert_eq!(
            r.enter(),
            Err(DeserializeError::TooDeep { limit: MAX_DEPTH })
        );
        r.leave();
        assert!(r.enter().is_ok());
    }

    #[test]
    fn nest_guard_leaves_on_drop() {
        let mut r = Reader::new(&[]);
        for _ in 0..MAX_DEPTH * 2 {
            let guard = r.nest().unwrap();
            drop(guard);
        }
        let mut r = Reader::new(&[]);
        let mut outer = r.nest().unwrap();
        for _ in 1..MAX_DEPTH {
            outer.enter().unwrap();
        }
        assert_eq!(
            outer.nest().err(),
            Some(DeserializeError::TooDeep { limit: MAX_DEPTH })
        );
    }
}
