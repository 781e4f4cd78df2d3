//! The one error type of this crate.

/// Everything that can go wrong in `tgwire-crypto`.
///
/// Variants name the check that failed. Most of them mean "the peer sent
/// something malformed or dishonest" and the caller should drop the
/// connection or the handshake; a few (`BufferNotBlockAligned`,
/// `RsaDataTooLong`) are misuse by the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// AES-IGE works on whole 16-byte blocks only.
    #[error("AES-IGE input of {len} bytes is not a multiple of 16")]
    BufferNotBlockAligned {
        /// Length of the rejected buffer.
        len: usize,
    },
    /// A call on several buffers got a number of keys or IVs other than one per buffer.
    #[error("{expected} buffers but {got} keys or IVs")]
    LengthMismatch {
        /// Number of buffers.
        expected: usize,
        /// Number of keys or IVs (the smaller).
        got: usize,
    },
    /// An encrypted packet is too short or its ciphertext is not block aligned.
    #[error("encrypted packet of {len} bytes is malformed (needs 24 header bytes + a non-empty multiple of 16)")]
    MalformedPacket {
        /// Length of the rejected packet.
        len: usize,
    },
    /// The packet was encrypted under another authorization key.
    #[error("packet auth_key_id {got:#018x} does not match our key {expected:#018x}")]
    AuthKeyIdMismatch {
        /// Our key's id.
        expected: i64,
        /// The id found in the packet.
        got: i64,
    },
    /// The msg_key recomputed from the decrypted plaintext differs from the
    /// one in the packet: the packet was tampered with or is not ours.
    #[error("msg_key of the decrypted message does not verify")]
    MsgKeyMismatch,

    /// A PEM or DER encoded key could not be read.
    #[error("malformed RSA key: {0}")]
    MalformedKey(&'static str),
    /// The data handed to an RSA padding scheme is longer than it allows.
    #[error("{len} bytes are too long for this RSA padding (at most {max})")]
    RsaDataTooLong {
        /// Length of the data.
        len: usize,
        /// The scheme's limit.
        max: usize,
    },
    /// The RSA key is not the 2048-bit size MTProto paddings require.
    #[error("RSA modulus has {bits} bits, MTProto paddings need 2048")]
    RsaKeySize {
        /// Size of the modulus.
        bits: u64,
    },
    /// An RSA ciphertext is not a number below the modulus, or not 256 bytes.
    #[error("RSA ciphertext is out of range for the key")]
    RsaCiphertextOutOfRange,
    /// The hash inside an RSA-encrypted block does not match its data.
    #[error("hash inside the RSA-encrypted data does not verify")]
    RsaPaddingHashMismatch,
    /// Key generation was asked for an unusable size.
    #[error("cannot generate an RSA key of {bits} bits (need 512..=8192, a multiple of 2)")]
    RsaKeyGenSize {
        /// The requested size.
        bits: u64,
    },

    /// pq is not the product of two primes we can find.
    #[error("pq {pq:#x} could not be split into two prime factors")]
    FactorizationFailed {
        /// The number given.
        pq: u64,
    },

    /// The server's DH prime is not a 2048-bit safe prime.
    #[error("dh_prime is not a safe 2048-bit prime: {0}")]
    BadDhPrime(&'static str),
    /// The generator g does not satisfy the conditions of the spec for this prime.
    #[error("DH generator g = {g} is not acceptable for this prime")]
    BadDhGenerator {
        /// The generator sent.
        g: i32,
    },
    /// A DH public value (g_a, g_b) or the shared secret lies outside the
    /// safe range 2^(2048-64) <= x <= p - 2^(2048-64).
    #[error("DH value {0} is outside the safe range")]
    DhValueOutOfRange(&'static str),

    /// An SRP parameter from the server is unusable.
    #[error("SRP parameter rejected: {0}")]
    BadSrpParameter(&'static str),
}
