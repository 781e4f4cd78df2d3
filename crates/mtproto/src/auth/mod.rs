//! The auth-key exchange (`core.telegram.org/mtproto/auth_key`) as typed states, for both ends.
//!
//! Each state is a plain value; `handle(self, ...)` consumes it with the peer's reply and
//! returns the next state (having appended the next message to the caller's buffer) or an
//! [`AuthError`]. Every check the spec demands — nonces, server_nonce, the answer hash, the DH
//! prime and generator, the range of g_a / g_b, new_nonce_hash1..3 — happens inside `handle`
//! before the next state exists, so a skipped check cannot compile into a key.
//!
//! ```text
//! client: start → ExpectResPq → ExpectServerDh → ExpectDhGen ─┬→ Finished
//!                                                ↑  dh_gen_retry ┘
//! server: ExpectReqPq → ExpectReqDhParams → ExpectClientDh → Decision ─┬→ accept → Finished
//!                                                             ↑  retry ┘   fail
//! ```

pub mod client;
pub mod server;

use rand::RngCore;
use sha1::{Digest, Sha1};
use tgwire_crypto::{ige_decrypt, ige_encrypt, tmp_aes_key_iv};
use tgwire_tl_types::Deserializable;

use crate::error::{AuthError, DecodeError};
use crate::msg_id::{IdKind, MsgId, MsgIdGen};
use crate::time::Instant;
use crate::wire::{put_i64, put_u32, Cursor};

/// Appends a plain (unencrypted) message: `auth_key_id = 0 ‖ msg_id ‖ length ‖ body`.
pub fn write_plain(msg_id: MsgId, body: &[u8], out: &mut Vec<u8>) {
    out.reserve(20 + body.len());
    put_i64(out, 0);
    put_i64(out, msg_id.0);
    put_u32(out, body.len() as u32);
    out.extend_from_slice(body);
}

/// Splits a plain message into its msg_id and body.
///
/// # Errors
/// [`AuthError::NotPlain`] if auth_key_id is not 0, [`AuthError::Decode`] if the length
/// field does not match the packet.
pub fn read_plain(packet: &[u8]) -> Result<(MsgId, &[u8]), AuthError> {
    let mut c = Cursor::new(packet);
    let auth_key_id = c.i64()?;
    if auth_key_id != 0 {
        return Err(AuthError::NotPlain(auth_key_id));
    }
    let msg_id = MsgId(c.i64()?);
    let len = c.u32()? as usize;
    if len != c.remaining().len() {
        return Err(DecodeError::BadLength { len }.into());
    }
    Ok((msg_id, c.remaining()))
}

fn plain_id(now: Instant, kind: IdKind) -> MsgId {
    MsgIdGen::new(0).next(now, kind)
}

fn tl<T: Deserializable>(body: &[u8]) -> Result<T, AuthError> {
    T::from_bytes(body).map_err(|e| AuthError::Tl(e.to_string()))
}

/// `AES-IGE(SHA1(data) ‖ data ‖ padding)` under the temporary key, as both
/// `server_DH_inner_data` and `client_DH_inner_data` are sent.
fn encrypt_with_hash(
    data: &[u8],
    new_nonce: &[u8; 32],
    server_nonce: &[u8; 16],
    rng: &mut impl RngCore,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(data.len() + 36);
    buf.extend_from_slice(&Sha1::digest(data));
    buf.extend_from_slice(data);
    let pad = (16 - buf.len() % 16) % 16;
    let start = buf.len();
    buf.resize(start + pad, 0);
    rng.fill_bytes(&mut buf[start..]);
    let (key, iv) = tmp_aes_key_iv(new_nonce, server_nonce);
    // The buffer was padded to a multiple of 16 just above.
    let _ = ige_encrypt(&mut buf, &key, &iv);
    buf
}

/// Undoes [`encrypt_with_hash`]: decrypts, decodes `T` from after the hash and checks that
/// the hash covers exactly the bytes of `T` and that at most 15 bytes of padding follow.
fn decrypt_with_hash<T: Deserializable>(
    encrypted: &[u8],
    new_nonce: &[u8; 32],
    server_nonce: &[u8; 16],
) -> Result<T, AuthError> {
    if encrypted.len() < 20 + 16 || encrypted.len() % 16 != 0 {
        return Err(DecodeError::BadLength {
            len: encrypted.len(),
        }
        .into());
    }
    let (key, iv) = tmp_aes_key_iv(new_nonce, server_nonce);
    let mut buf = encrypted.to_vec();
    ige_decrypt(&mut buf, &key, &iv)?;
    let (hash, rest) = buf.split_at(20);
    let (value, used) = T::from_bytes_prefix(rest).map_err(|e| AuthError::Tl(e.to_string()))?;
    if rest.len() - used > 15 || Sha1::digest(&rest[..used]).as_slice() != hash {
        return Err(AuthError::AnswerHashMismatch);
    }
    Ok(value)
}

/// The spec's `new_nonce_hash` for `server_DH_params_fail`: the low 128 bits of SHA1(new_nonce).
fn new_nonce_hash_fail(new_nonce: &[u8; 32]) -> [u8; 16] {
    let d = Sha1::digest(new_nonce);
    let mut out = [0; 16];
    out.copy_from_slice(&d[4..]);
    out
}

/// Big-endian bytes without leading zeros, as TL carries pq, p and q.
fn be_bytes(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    bytes[skip..].to_vec()
}

fn from_be(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    Some(bytes.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b)))
}

#[cfg(test)]
mod tests;
