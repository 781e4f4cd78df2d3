//! AES-256-CTR, the stream cipher of the obfuscated transport and MTProxy.

use aes::cipher::{KeyIvInit, StreamCipher};
use aes::Aes256;

type Ctr = ctr::Ctr128BE<Aes256>;

/// An AES-256-CTR keystream with a 128-bit big-endian counter (the layout
/// OpenSSL's `EVP_aes_256_ctr` and Telegram's obfuscation use).
///
/// One value encrypts (or decrypts, it is the same XOR) one direction of a
/// connection: the position in the keystream carries over between calls, so
/// a stream can be processed in pieces of any size.
pub struct AesCtr {
    inner: Ctr,
}

impl AesCtr {
    /// Starts a keystream at counter block `iv`.
    pub fn new(key: &[u8; 32], iv: &[u8; 16]) -> Self {
        Self {
            inner: Ctr::new(key.into(), iv.into()),
        }
    }

    /// XORs `data` in place with the next `data.len()` keystream bytes.
    pub fn apply(&mut self, data: &mut [u8]) {
        // A 128-bit counter cannot run out within any real connection
        // (2^132 bytes), so the checked variant's error is unreachable here.
        let _ = self.inner.try_apply_keystream(data);
    }
}

impl core::fmt::Debug for AesCtr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AesCtr").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt.
    #[test]
    fn nist_sp800_38a_vector() {
        let key: [u8; 32] =
            hex::decode("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4")
                .unwrap()
                .try_into()
                .unwrap();
        let iv: [u8; 16] = hex::decode("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
            .unwrap()
            .try_into()
            .unwrap();
        let plain = hex::decode(concat!(
            "6bc1bee22e409f96e93d7e117393172a",
            "ae2d8a571e03ac9c9eb76fac45af8e51",
            "30c81c46a35ce411e5fbc1191a0a52ef",
            "f69f2445df4f9b17ad2b417be66c3710"
        ))
        .unwrap();
        let expected = concat!(
            "601ec313775789a5b7a7f504bbf3d228",
            "f443e3ca4d62b59aca84e990cacaf5c5",
            "2b0930daa23de94ce87017ba2d84988d",
            "dfc9c58db67aada613c2dd08457941a6"
        );
        let mut buf = plain.clone();
        AesCtr::new(&key, &iv).apply(&mut buf);
        assert_eq!(hex::encode(&buf), expected);

        // Piecewise application continues the keystream (the counter also
        // wraps from ...ff to ...00 across these blocks).
        let mut pieces = plain.clone();
        let mut ctr = AesCtr::new(&key, &iv);
        let (a, rest) = pieces.split_at_mut(5);
        let (b, c) = rest.split_at_mut(17);
        ctr.apply(a);
        ctr.apply(b);
        ctr.apply(c);
        assert_eq!(hex::encode(&pieces), expected);

        AesCtr::new(&key, &iv).apply(&mut buf);
        assert_eq!(buf, plain);
    }
}
