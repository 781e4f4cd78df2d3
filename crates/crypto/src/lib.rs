//! The cryptography of MTProto 2.0, for both ends of a connection.
//!
//! Everything a Telegram client — and tgwire's test server — computes with
//! keys lives here, as plain functions over byte arrays:
//!
//! - [`aes_ige`]: AES-256-IGE, the cipher of every encrypted message
//!   ([`ige_encrypt`] / [`ige_decrypt`] at the root), and AES-256-CTR for the
//!   obfuscated transport, MTProxy and CDN file parts: [`aes256_ctr_apply`]
//!   (stateless, from any keystream position) and [`AesCtr`] (a stream).
//! - [`AuthKey`] and [`Side`]; [`msg_key`], [`derive_aes_key_iv`] and the
//!   one-call [`encrypt_message`] / [`decrypt_message`] (MTProto 2.0), plus the
//!   1.0 derivation ([`msg_key_v1`], [`derive_aes_key_iv_v1`]) that only the
//!   inner message of `auth.bindTempAuthKey` still uses.
//! - The auth-key exchange: [`factorize`] (pq), [`rsa`] (server keys,
//!   fingerprints, the old padding and RSA_PAD, both directions),
//!   [`tmp_aes_key_iv`], [`dh`] (prime/generator/range checks, g^x mod p),
//!   [`new_nonce_hash`], [`initial_server_salt`].
//! - [`srp`]: the 2FA password check, client and server halves.
//!
//! # What this crate deliberately does not do
//!
//! No I/O, no clock and no TL: functions that need random bytes take them (or
//! an `&mut impl RngCore`) as an argument, so every result is reproducible in
//! tests. The one use of the thread-local RNG is for Miller–Rabin bases in
//! [`dh::check_prime_and_g`] (unknown primes only), where unpredictability is
//! the point; [`dh::check_prime_and_g_with`] takes the RNG instead. Framing,
//! padding policy, message ids and the handshake's state machine belong to
//! `tgwire-mtproto`. Decryption here verifies what only cryptography can (key
//! id, `msg_key` in constant time); everything about the plaintext's layout
//! is checked by the caller.
//!
//! # Secrets
//!
//! [`AuthKey`], the RSA private key's numbers, SRP's `b` and the temporary
//! keys of the paddings are wiped on drop (`zeroize`). Big-number
//! temporaries inside `num-bigint` are not (it offers no way to), and its
//! arithmetic is not constant-time; the private-key and server-side SRP code
//! is meant for tgwire's test server.
//!
//! # How it is checked
//!
//! `tests/samples_auth_key.rs` replays every published intermediate value of
//! the spec's worked auth-key exchange (`testdata/samples_auth_key.txt`);
//! AES-IGE runs OpenSSL's IGE vectors; RSA_PAD matches another
//! implementation's published ciphertext; SRP matches an independent Python
//! derivation (`testdata/srp_vector.py`); property tests cover round trips,
//! tampering and garbage input.
//!
//! # Speed
//!
//! IGE is a serial chain in both directions, so its ceiling is the latency of
//! one AES-256 block, the same as CBC encryption. On x86-64 with AES-NI the
//! chain runs in a register-resident loop (an `unsafe` module,
//! see [`aes_ige`]); elsewhere a portable loop drives the `aes` crate's
//! backend. `benches/crypto.rs` and `examples/ige_ratio.rs` measure it against
//! a serial CBC chain.
//!
//! CTR has no chain: with AES-NI a second `unsafe` module encrypts eight
//! counter blocks side by side (sixteen with VAES, two per instruction) and
//! XORs them into the data in the same pass (`benches/crypto.rs`, group
//! `ctr-1MiB`, against the `ctr` crate and OpenSSL); elsewhere the `aes`
//! crate's backend.
//!
//! # Example
//!
//! ```
//! use tgwire_crypto::{decrypt_message, encrypt_message, AuthKey, Side};
//!
//! let key = AuthKey::from_bytes([7; 256]);
//! let plaintext = [0x42u8; 64]; // salt, session, message and padding, 16-aligned
//!
//! let mut packet = Vec::new();
//! encrypt_message(&key, Side::Client, &plaintext, &mut packet)?;
//! assert_eq!(&packet[..8], &key.id().to_le_bytes());
//!
//! // The server decrypts with the sender's side.
//! let mut decrypted = Vec::new();
//! decrypt_message(&key, Side::Client, &packet, &mut decrypted)?;
//! assert_eq!(decrypted, plaintext);
//!
//! // A flipped bit anywhere after the key id fails msg_key verification.
//! packet[30] ^= 1;
//! assert!(decrypt_message(&key, Side::Client, &packet, &mut Vec::new()).is_err());
//! # Ok::<(), tgwire_crypto::Error>(())
//! ```

// `unsafe` is denied everywhere except `aes_ige/aesni.rs` and
// `aes_ctr/aesni.rs` (AES-NI intrinsics; measured and justified there).
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod aes_ige;
pub mod dh;
pub mod rsa;
pub mod srp;

mod aes_ctr;
mod auth_key;
mod der;
mod error;
mod factorize;
mod handshake;
mod message;
mod primes;

pub use aes_ctr::{aes256_ctr_apply, AesCtr};
pub use aes_ige::{
    decrypt_in_place as ige_decrypt, decrypt_many_in_place as ige_decrypt_many,
    encrypt_in_place as ige_encrypt, encrypt_many_in_place as ige_encrypt_many,
};
pub use auth_key::{AuthKey, SharedKeyBytes, Side};
pub use error::Error;
pub use factorize::factorize;
pub use handshake::{initial_server_salt, new_nonce_hash, tmp_aes_key_iv};
pub use message::{
    decrypt_message, decrypt_messages, derive_aes_key_iv, derive_aes_key_iv_v1, encrypt_message,
    encrypt_message_parts, encrypt_messages_parts, msg_key, msg_key_v1, open_side_by_side, Opening,
    HEADER_LEN,
};
pub use rsa::{RsaPrivateKey, RsaPublicKey};
pub use srp::SrpCheck;

/// Compares two byte strings in time that depends only on their lengths.
pub(crate) fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    // black_box keeps the optimiser from turning the fold into an early exit.
    core::hint::black_box(diff) == 0
}
