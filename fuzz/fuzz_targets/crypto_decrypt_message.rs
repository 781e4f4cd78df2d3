//! Arbitrary bytes as an encrypted MTProto packet: `decrypt_message` must
//! return an error (or, astronomically rarely, a verified plaintext) and
//! never panic. The first byte picks the sender side and whether to put the
//! right auth_key_id in front, so the fuzzer reaches the AES and msg_key code.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgwire_crypto::{decrypt_message, AuthKey, Side};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = AuthKey::from_bytes([0x5a; 256]);
    let side = if mode & 1 == 0 {
        Side::Client
    } else {
        Side::Server
    };
    let mut packet = Vec::with_capacity(rest.len() + 8);
    if mode & 2 != 0 {
        packet.extend_from_slice(&key.id().to_le_bytes());
    }
    packet.extend_from_slice(rest);
    let mut out = Vec::new();
    if decrypt_message(&key, side, &packet, &mut out).is_err() {
        assert!(out.is_empty());
    }
});
