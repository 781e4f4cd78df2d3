//! Small derivations of the auth-key exchange that do not fit RSA or DH:
//! the temporary AES key that wraps the DH parameters, the nonce hashes of
//! `dh_gen_*`, and the first server salt.

use sha1::{Digest, Sha1};

use crate::AuthKey;

/// `tmp_aes_key` and `tmp_aes_iv`, which AES-IGE-encrypt `server_DH_inner_data`
/// and `client_DH_inner_data`:
///
/// ```text
/// key = SHA1(new_nonce ‖ server_nonce) ‖ SHA1(server_nonce ‖ new_nonce)[0..12]
/// iv  = SHA1(server_nonce ‖ new_nonce)[12..20] ‖ SHA1(new_nonce ‖ new_nonce) ‖ new_nonce[0..4]
/// ```
pub fn tmp_aes_key_iv(new_nonce: &[u8; 32], server_nonce: &[u8; 16]) -> ([u8; 32], [u8; 32]) {
    let ns = Sha1::new()
        .chain_update(new_nonce)
        .chain_update(server_nonce)
        .finalize();
    let sn = Sha1::new()
        .chain_update(server_nonce)
        .chain_update(new_nonce)
        .finalize();
    let nn = Sha1::new()
        .chain_update(new_nonce)
        .chain_update(new_nonce)
        .finalize();

    let mut key = [0u8; 32];
    key[..20].copy_from_slice(&ns);
    key[20..].copy_from_slice(&sn[..12]);

    let mut iv = [0u8; 32];
    iv[..8].copy_from_slice(&sn[12..]);
    iv[8..28].copy_from_slice(&nn);
    iv[28..].copy_from_slice(&new_nonce[..4]);
    (key, iv)
}

/// `new_nonce_hash1`, `2` or `3` (for `dh_gen_ok`, `dh_gen_retry`,
/// `dh_gen_fail`): the lower 128 bits of `SHA1(new_nonce ‖ number ‖ aux_hash)`.
pub fn new_nonce_hash(new_nonce: &[u8; 32], number: u8, auth_key: &AuthKey) -> [u8; 16] {
    let digest = Sha1::new()
        .chain_update(new_nonce)
        .chain_update([number])
        .chain_update(auth_key.aux_hash())
        .finalize();
    let mut out = [0u8; 16];
    out.copy_from_slice(&digest[4..]);
    out
}

/// The first server salt after the exchange:
/// `new_nonce[0..8] XOR server_nonce[0..8]`, read as a little-endian `long`.
pub fn initial_server_salt(new_nonce: &[u8; 32], server_nonce: &[u8; 16]) -> i64 {
    let mut salt = [0u8; 8];
    for (i, byte) in salt.iter_mut().enumerate() {
        *byte = new_nonce[i] ^ server_nonce[i];
    }
    i64::from_le_bytes(salt)
}
