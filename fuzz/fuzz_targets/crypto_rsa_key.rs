//! Arbitrary bytes as PKCS#1 DER and PEM RSA keys: parsing must fail cleanly
//! or give a key that re-encodes to the same DER (the encoding is canonical).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgwire_crypto::{RsaPrivateKey, RsaPublicKey};

fuzz_target!(|data: &[u8]| {
    if let Ok(key) = RsaPublicKey::from_pkcs1_der(data) {
        assert_eq!(key.to_pkcs1_der(), data);
        let _ = key.fingerprint();
    }
    if let Ok(key) = RsaPrivateKey::from_pkcs1_der(data) {
        let _ = key.public_key().fingerprint();
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = RsaPublicKey::from_pkcs1_pem(text);
        let _ = RsaPrivateKey::from_pkcs1_pem(text);
    }
});
