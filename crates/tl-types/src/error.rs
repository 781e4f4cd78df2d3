//! The one error type of decoding.

/// Why bytes could not be decoded into a TL value.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeserializeError {
    /// The input ended in the middle of a value.
    #[error("unexpected end of input: needed {needed} more byte(s), {remaining} left")]
    UnexpectedEof {
        /// Bytes the value needed at that point.
        needed: usize,
        /// Bytes that were left.
        remaining: usize,
    },
    /// A constructor id that the expected type does not have.
    #[error("unexpected constructor id {id:#010x}")]
    UnexpectedConstructor {
        /// The id read.
        id: u32,
    },
    /// A `Bool` that is neither `boolTrue` nor `boolFalse`.
    #[error("invalid Bool constructor {id:#010x}")]
    InvalidBool {
        /// The id read.
        id: u32,
    },
    /// A vector count that cannot fit in the bytes left (each element takes at least 4 bytes); rejected
    /// before anything is allocated.
    #[error("vector of {count} elements cannot fit in the {remaining} byte(s) left")]
    VectorTooLong {
        /// The count read.
        count: u32,
        /// Bytes left after the count.
        remaining: usize,
    },
    /// A byte-string length prefix of 255, which TL does not define.
    #[error("invalid length prefix byte 0xff")]
    InvalidLengthPrefix,
    /// A length field that is negative, not a multiple of 4 where it must be, or larger than what follows.
    #[error("invalid length {length} ({remaining} byte(s) left)")]
    InvalidLength {
        /// The length read.
        length: i64,
        /// Bytes left after it.
        remaining: usize,
    },
    /// `from_bytes` decoded a value but bytes were left over.
    #[error("{count} trailing byte(s) after the value")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// Boxed values nested deeper than [`crate::MAX_DEPTH`] (a stack-exhaustion attempt).
    #[error("values nested deeper than {limit} levels")]
    TooDeep {
        /// The limit.
        limit: u16,
    },
    /// `gzip_packed` data that does not inflate.
    #[error("gzip_packed data is corrupt: {reason}")]
    Gzip {
        /// What the decompressor reported.
        reason: String,
    },
    /// `gzip_packed` data inflating beyond the allowed size (a zip bomb, or a limit set too low).
    #[error("gzip_packed data inflates beyond {limit} bytes")]
    DecompressedTooLarge {
        /// The limit that was hit.
        limit: usize,
    },
}
