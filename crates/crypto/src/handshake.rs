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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_nonce_hash_layout() {
        let new_nonce: [u8; 32] = core::array::from_fn(|i| i as u8);
        let key = AuthKey::from_bytes([9; 256]);
        for number in 1..=3u8 {
            let mut input = new_nonce.to_vec();
            input.push(number);
            input.extend_from_slice(&Sha1::digest(key.as_bytes())[..8]);
            let expected = &Sha1::digest(&input)[4..];
            assert_eq!(new_nonce_hash(&new_nonce, number, &key)[..], expected[..]);
        }
        assert_ne!(
            new_nonce_hash(&new_nonce, 1, &key),
            new_nonce_hash(&new_nonce, 2, &key)
        );
    }

    #[test]
    fn server_salt_is_xor_of_nonce_prefixes() {
        assert_eq!(
            initial_server_salt(&[0x11; 32], &[0x22; 16]),
            i64::from_le_bytes([0x33; 8])
        );
        let mut new_nonce = [0u8; 32];
        new_nonce[0] = 1;
        new_nonce[8] = 0xff; // beyond the first 8 bytes: ignored
        assert_eq!(initial_server_salt(&new_nonce, &[0; 16]), 1);
    }

    /// tmp_aes_key/iv against the spec formula restated with plain slicing
    /// (the published sample values are checked in tests/samples_auth_key.rs).
    #[test]
    fn tmp_key_layout() {
        let new_nonce: [u8; 32] = core::array::from_fn(|i| (i * 5) as u8);
        let server_nonce: [u8; 16] = core::array::from_fn(|i| (200 - i) as u8);
        let ns = Sha1::digest([&new_nonce[..], &server_nonce[..]].concat());
        let sn = Sha1::digest([&server_nonce[..], &new_nonce[..]].concat());
        let nn = Sha1::digest([&new_nonce[..], &new_nonce[..]].concat());
        let (key, iv) = tmp_aes_key_iv(&new_nonce, &server_nonce);
        assert_eq!(key.to_vec(), [&ns[..], &sn[..12]].concat());
        assert_eq!(iv.to_vec(), [&sn[12..], &nn[..], &new_nonce[..4]].concat());
    }
}
