//! Error types: one for decoding peer bytes, one for packets the session refused, one for the
//! auth-key exchange.

use crate::msg_id::MsgId;

/// Bytes from the peer that do not decode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended in the middle of a value.
    #[error("input ended early")]
    UnexpectedEnd,
    /// A constructor other than the ones allowed at this position.
    #[error("unexpected constructor {0:#010x}")]
    UnexpectedConstructor(u32),
    /// A length field disagrees with the data around it.
    #[error("length field {len} is invalid here")]
    BadLength {
        /// The length that was read.
        len: usize,
    },
    /// `gzip_packed` data that does not inflate, or inflates past the configured limit.
    #[error("gzip_packed data is corrupt or inflates beyond {limit} bytes")]
    Gzip {
        /// The limit in force.
        limit: usize,
    },
    /// A container inside a container, which the protocol forbids.
    #[error("nested msg_container")]
    NestedContainer,
    /// Bytes left over after a value that should fill its buffer.
    #[error("{0} unexpected trailing bytes")]
    TrailingBytes(usize),
}

/// Why an encrypted packet, or one message inside it, was refused.
///
/// A refused packet leaves the session as it was: the error says why it was ignored, and the
/// caller keeps feeding the session (the protocol recovers by resending).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Decryption failed: wrong auth_key_id, bad length or a msg_key that does not verify.
    #[error("packet does not decrypt: {0}")]
    Crypto(#[from] tgwire_crypto::Error),
    /// The plaintext is shorter than the message header or its length field is inconsistent.
    #[error("message length {len} does not fit the {plaintext} decrypted bytes")]
    BadLength {
        /// The message_data_length field.
        len: usize,
        /// Bytes of decrypted plaintext.
        plaintext: usize,
    },
    /// Padding outside the 12..=1024 bytes MTProto 2.0 requires.
    #[error("padding of {0} bytes is outside 12..=1024")]
    BadPadding(usize),
    /// The packet belongs to another session.
    #[error("session id {got:#x} is not ours ({expected:#x})")]
    WrongSession {
        /// Our session id.
        expected: i64,
        /// The one in the packet.
        got: i64,
    },
    /// A msg_id whose low bits say the wrong end sent it.
    #[error("msg_id {0} has the wrong parity for its sender")]
    WrongParity(MsgId),
    /// A msg_id more than 300 s behind our clock.
    #[error("msg_id {0} is too old")]
    TooOld(MsgId),
    /// A msg_id more than 30 s ahead of our clock.
    #[error("msg_id {0} is too far in the future")]
    TooNew(MsgId),
    /// A msg_id received before (a replay or a network duplicate).
    #[error("msg_id {0} was already received")]
    Duplicate(MsgId),
    /// A message whose body does not decode; the rest of the packet was still processed.
    #[error("message {msg_id} is malformed: {source}")]
    Malformed {
        /// The message.
        msg_id: MsgId,
        /// What was wrong.
        source: DecodeError,
    },
    /// A plain (unencrypted) message arrived on an encrypted session.
    #[error("unencrypted message on an encrypted session")]
    Unencrypted,
}

/// Why the auth-key exchange failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// A plain message or its body does not decode.
    #[error("malformed handshake message: {0}")]
    Decode(#[from] DecodeError),
    /// The body decoded as a TL object, but not as the one expected at this step.
    #[error("malformed handshake object: {0}")]
    Tl(String),
    /// A packet that is not a plain message (auth_key_id is not 0).
    #[error("expected an unencrypted message, got auth_key_id {0:#x}")]
    NotPlain(i64),
    /// The peer echoed a nonce other than ours.
    #[error("the {0} does not match")]
    NonceMismatch(&'static str),
    /// None of the server's key fingerprints belongs to a key we know.
    #[error("no known RSA key among the server fingerprints {0:x?}")]
    UnknownFingerprint(Vec<i64>),
    /// The SHA1 inside the server's encrypted answer does not match.
    #[error("hash of the decrypted server answer does not verify")]
    AnswerHashMismatch,
    /// The server's `new_nonce_hash` is not the one our new_nonce gives.
    #[error("new_nonce_hash{0} does not verify")]
    NewNonceHashMismatch(u8),
    /// The server refused the DH parameters request (`server_DH_params_fail`).
    #[error("the server refused req_DH_params")]
    ServerDhParamsFail,
    /// The server refused the key (`dh_gen_fail`).
    #[error("the server answered dh_gen_fail")]
    DhGenFail,
    /// The server kept asking for retries.
    #[error("gave up after {0} dh_gen_retry answers")]
    TooManyRetries(u32),
    /// A cryptographic check failed: RSA, DH prime, g, g_a / g_b range, factorisation.
    #[error(transparent)]
    Crypto(#[from] tgwire_crypto::Error),
    /// The client sent something the server role cannot accept (wrong pq factors, unknown
    /// key, bad padding...).
    #[error("client handshake rejected: {0}")]
    Rejected(&'static str),
}
