//! The body of an answer, possibly left in the buffer its packet was decrypted into.

use std::ops::Deref;

/// A TL-serialized result (an `rpc_result` body), as [`Event::Response`](crate::Event) hands it
/// out: the bytes from `start` on in a buffer. Small answers are copied out of the packet into a
/// buffer of their own (`start` 0); a large one (a file part) is left where it was decrypted,
/// after the packet's header, so that its megabyte is not copied once more into fresh memory.
///
/// Reads as its bytes (`Deref<Target = [u8]>`); [`into_parts`](Self::into_parts) gives the
/// buffer and the offset without moving anything.
#[derive(Clone, Default)]
pub struct Answer {
    buf: Vec<u8>,
    start: usize,
}

impl Answer {
    /// The bytes of `buf` from `start` on (`start` past the end is read as the end).
    pub fn new(buf: Vec<u8>, start: usize) -> Self {
        let start = start.min(buf.len());
        Answer { buf, start }
    }

    /// The result's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The buffer and where in it the result starts.
    pub fn into_parts(self) -> (Vec<u8>, usize) {
        (self.buf, self.start)
    }

    /// The result in a buffer of its own (its bytes moved to the front of the buffer when they
    /// are not there already).
    pub fn into_vec(self) -> Vec<u8> {
        let mut buf = self.buf;
        buf.drain(..self.start);
        buf
    }
}

impl From<Vec<u8>> for Answer {
    fn from(buf: Vec<u8>) -> Self {
        Answer { buf, start: 0 }
    }
}

impl Deref for Answer {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.bytes()
    }
}

impl AsRef<[u8]> for Answer {
    fn as_ref(&self) -> &[u8] {
        self.bytes()
    }
}

impl PartialEq for Answer {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for Answer {}

impl PartialEq<[u8]> for Answer {
    fn eq(&self, other: &[u8]) -> bool {
        self.bytes() == other
    }
}

impl PartialEq<Vec<u8>> for Answer {
    fn eq(&self, other: &Vec<u8>) -> bool {
        self.bytes() == other.as_slice()
    }
}

impl std::fmt::Debug for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bytes, as a `Vec<u8>` would print them (answers in test failures stay readable).
        self.bytes().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Answer;

    #[test]
    fn reads_from_its_start() {
        let answer = Answer::new(vec![9, 9, 9, 1, 2, 3], 3);
        assert_eq!(answer.bytes(), &[1, 2, 3]);
        assert_eq!(answer.len(), 3);
        assert_eq!(answer, vec![1, 2, 3]);
        assert_eq!(answer, Answer::from(vec![1, 2, 3]));
        assert_eq!(format!("{answer:?}"), "[1, 2, 3]");
        let (buf, start) = answer.clone().into_parts();
        assert_eq!((buf.len(), start), (6, 3));
        assert_eq!(answer.into_vec(), vec![1, 2, 3]);
        assert_eq!(Answer::new(vec![1, 2], 5).bytes(), &[] as &[u8]);
    }
}
