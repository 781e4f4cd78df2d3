//! Message bodies as they are sealed: owned bytes, or owned bytes around a range of bytes
//! shared with their owner.
//!
//! A file part is most of the bytes a server sends. Joining it to its TL header and to the
//! `rpc_result` around it would copy it twice before the encryption reads it once more;
//! [`SplitBody`] keeps the header apart and the part where it is stored, and the sealing reads
//! the pieces in place (`tgwire_crypto::encrypt_messages_parts`).

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// Zero bytes that end a [`SplitBody`] on a multiple of four.
const ZEROS: [u8; 3] = [0; 3];

/// The largest [`SplitBody`]: its length travels in a message header's 32-bit field, and no
/// MTProto message comes near this (file parts are at most 1 MiB).
const MAX_SPLIT_LEN: usize = 16 << 20;

/// A TL-serialized object sealed from where its bytes are, without being joined first:
/// `head`, then `data[range]`, then zero bytes up to a multiple of four (which is exactly TL's
/// padding when the range is the content of the object's last `bytes` field, as in
/// `upload.file`).
///
/// The test server answers `upload.getFile` with one ([`ServerSession::respond_split`]), the
/// head being `upload.file`'s fields and the length prefix of its `bytes`, the range the part
/// of the stored file: the part is never copied before it is encrypted, and the session's
/// record for a resend shares the file instead of holding a copy.
///
/// [`ServerSession::respond_split`]: crate::ServerSession::respond_split
#[derive(Clone)]
pub struct SplitBody {
    head: Vec<u8>,
    data: Arc<Vec<u8>>,
    range: Range<usize>,
}

impl SplitBody {
    /// `head ‖ data[range] ‖ zero padding`. `None` when `range` is not inside `data`, when
    /// `head` is shorter than a constructor id (4 bytes: the session reads the object's kind
    /// from it), or when the whole is longer than 16 MiB.
    pub fn new(head: Vec<u8>, data: Arc<Vec<u8>>, range: Range<usize>) -> Option<Self> {
        if head.len() < 4 || range.start > range.end || range.end > data.len() {
            return None;
        }
        let body = Self { head, data, range };
        (body.len() <= MAX_SPLIT_LEN).then_some(body)
    }

    /// Total length in bytes, padding included (a multiple of four).
    pub fn len(&self) -> usize {
        let unpadded = self.head.len() + self.range.len();
        unpadded + self.padding()
    }

    /// Never true: a body holds at least its constructor id.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bytes joined, as they go on the wire.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        for piece in self.pieces() {
            out.extend_from_slice(piece);
        }
        out
    }

    fn padding(&self) -> usize {
        (self.head.len() + self.range.len()).wrapping_neg() % 4
    }

    fn pieces(&self) -> [&[u8]; 3] {
        // `new` checked the range; an empty slice instead of a panic all the same.
        let shared = self.data.get(self.range.clone()).unwrap_or_default();
        [&self.head, shared, &ZEROS[..self.padding()]]
    }

    /// The same body with `prefix` in front (an `rpc_result` header around an answer).
    pub(crate) fn prefixed(mut self, prefix: &[u8]) -> Self {
        self.head.splice(0..0, prefix.iter().copied());
        self
    }
}

/// Equal when the bytes are, wherever they are kept.
impl PartialEq for SplitBody {
    fn eq(&self, other: &Self) -> bool {
        let [a_head, a_shared, _] = self.pieces();
        let [b_head, b_shared, _] = other.pieces();
        a_head == b_head && a_shared == b_shared
    }
}

impl Eq for SplitBody {}

impl fmt::Debug for SplitBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SplitBody")
            .field("head", &self.head.len())
            .field("shared", &self.range)
            .field("len", &self.len())
            .finish()
    }
}

/// The body of an outgoing message, kept for resends once sent.
#[derive(Clone, Debug)]
pub(crate) enum Body {
    Owned(Vec<u8>),
    Split(SplitBody),
}

impl Default for Body {
    fn default() -> Self {
        Body::Owned(Vec::new())
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Self {
        Body::Owned(bytes)
    }
}

impl From<SplitBody> for Body {
    fn from(body: SplitBody) -> Self {
        Body::Split(body)
    }
}

impl Body {
    pub(crate) fn len(&self) -> usize {
        match self {
            Body::Owned(bytes) => bytes.len(),
            Body::Split(split) => split.len(),
        }
    }

    /// The first bytes, at least the constructor id of any body that has one: all of an owned
    /// body, the head of a split one.
    pub(crate) fn head(&self) -> &[u8] {
        match self {
            Body::Owned(bytes) => bytes,
            Body::Split(split) => &split.head,
        }
    }

    /// The body's bytes in order, empty pieces left out; what the sealing encrypts.
    pub(crate) fn push_pieces<'a>(&'a self, parts: &mut Vec<&'a [u8]>) {
        match self {
            Body::Owned(bytes) => parts.push(bytes),
            Body::Split(split) => {
                parts.extend(split.pieces().into_iter().filter(|p| !p.is_empty()))
            }
        }
    }

    /// The bytes in one slice: borrowed when owned, joined when split (only service messages
    /// are read back, and those are always owned).
    pub(crate) fn contiguous(&self) -> Cow<'_, [u8]> {
        match self {
            Body::Owned(bytes) => Cow::Borrowed(bytes),
            Body::Split(split) => Cow::Owned(split.to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_bodies_join_to_their_pieces_padded_to_four() {
        let data = Arc::new((0..=255u8).cycle().take(5000).collect::<Vec<u8>>());
        for head_len in [4, 5, 7, 16, 17, 28] {
            for (start, end) in [(0, 0), (0, 1), (3, 7), (10, 4010), (1, 5000), (4999, 5000)] {
                let head: Vec<u8> = (0..head_len).map(|i| 200 - i as u8).collect();
                let body = SplitBody::new(head.clone(), data.clone(), start..end).unwrap();
                let mut expected = head.clone();
                expected.extend_from_slice(&data[start..end]);
                while expected.len() % 4 != 0 {
                    expected.push(0);
                }
                assert_eq!(body.to_vec(), expected, "head {head_len}, {start}..{end}");
                assert_eq!(body.len(), expected.len());
                let copy = SplitBody::new(head.clone(), Arc::new(data.to_vec()), start..end);
                assert_eq!(copy.as_ref(), Some(&body));
                let body = Body::from(body);
                assert_eq!(body.len(), expected.len());
                assert_eq!(body.contiguous().as_ref(), expected.as_slice());
                assert_eq!(body.head(), head.as_slice());
                let mut parts = Vec::new();
                body.push_pieces(&mut parts);
                assert!(parts.iter().all(|p| !p.is_empty()));
                assert_eq!(parts.concat(), expected);

                let prefixed = match body {
                    Body::Split(s) => s.prefixed(&[9; 12]),
                    Body::Owned(_) => unreachable!(),
                };
                assert_eq!(prefixed.to_vec(), [&[9; 12][..], &expected].concat());
            }
        }
    }

    #[test]
    fn bad_split_bodies_are_refused() {
        let data = Arc::new(vec![1u8; 100]);
        assert!(SplitBody::new(vec![0; 3], data.clone(), 0..10).is_none());
        assert!(SplitBody::new(vec![0; 4], data.clone(), 0..101).is_none());
        #[allow(clippy::reversed_empty_ranges)]
        let backwards = 10..5;
        assert!(SplitBody::new(vec![0; 4], data.clone(), backwards).is_none());
        assert!(SplitBody::new(vec![0; 4], data.clone(), 200..300).is_none());
        let big = Arc::new(vec![0u8; MAX_SPLIT_LEN]);
        assert!(SplitBody::new(vec![0; 4], big.clone(), 0..MAX_SPLIT_LEN).is_none());
        assert!(SplitBody::new(vec![0; 4], big, 4..MAX_SPLIT_LEN).is_some());
    }
}
