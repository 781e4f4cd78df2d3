//! The auth-key exchange driven honestly between a real client and a real server (the crypto
//! crate's test RSA key, seeded RNGs) up to a step the input picks, where the receiving state gets
//! a corrupted message instead of the honest one. Every state of both roles meets garbage that
//! is well framed, so the fuzzer gets past the plain-message header and TL decoding into the
//! nonce, hash, RSA and DH checks. Nothing may panic. (Whether a corrupted message can
//! still finish the exchange is not asserted: the RNGs are seeded, so the fuzzer may in principle
//! rebuild the honest message byte for byte.)
//!
//! Input: `step` (mod 6: which message is replaced), `how` (bits 0-1: 0 = the rest as the whole
//! packet, 1 = the rest as the TL body of a well-formed plain message, 2/3 = the rest XORed over
//! the honest packet from byte 20 on; bits 2-3: the server's verdict on the client's key —
//! accept, retry, fail), then the bytes.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_crypto::RsaPrivateKey;
use tgwire_mtproto::auth::{client, server, write_plain};
use tgwire_mtproto::{Instant, MsgId};

const PEM: &str = include_str!("../../crates/crypto/testdata/test_rsa_key.pem");

fn key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| RsaPrivateKey::from_pkcs1_pem(PEM).expect("the crypto crate's test key"))
}

/// The message the fuzzer delivers in place of `honest`.
fn corrupt(how: u8, honest: &[u8], data: &[u8]) -> Vec<u8> {
    match how & 3 {
        0 => data.to_vec(),
        1 => {
            let mut out = Vec::new();
            write_plain(MsgId(0x6000_0000_0000_0004), data, &mut out);
            out
        }
        _ => {
            let mut out = honest.to_vec();
            for (b, d) in out.iter_mut().skip(20).zip(data) {
                *b ^= d;
            }
            // Bytes beyond the honest message are appended, so lengths can change too.
            out.extend(data.iter().skip(out.len().saturating_sub(20)));
            out
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&[step, how], data)) = input.split_first_chunk::<2>() else {
        return;
    };
    let step = step % 6;
    // An XOR that changes nothing delivers the honest message; nothing to check there.
    if how & 2 != 0 && data.iter().all(|&b| b == 0) {
        return;
    }
    let now = Instant::from_unix_secs(1_700_000_000);
    let mut crng = StdRng::seed_from_u64(11);
    let mut srng = StdRng::seed_from_u64(22);
    let mut msg = Vec::new();

    let cfg = client::Config::new(vec![key().public_key().clone()], 2);
    let c = client::start(cfg, now, &mut crng, &mut msg);
    let s = server::ExpectReqPq::new(server::Config {
        keys: vec![key().clone()],
    });
    let deliver = |this: u8, honest: &[u8]| {
        if this == step {
            corrupt(how, honest, data)
        } else {
            honest.to_vec()
        }
    };

    // 0: req_pq_multi -> server
    let packet = deliver(0, &msg);
    msg.clear();
    let Ok(s) = s.handle(now, &packet, &mut srng, &mut msg) else {
        return;
    };
    // 1: resPQ -> client
    let packet = deliver(1, &msg);
    msg.clear();
    let Ok(c) = c.handle(now, &packet, &mut crng, &mut msg) else {
        return;
    };
    // 2: req_DH_params -> server
    let packet = deliver(2, &msg);
    msg.clear();
    let Ok(s) = s.handle(now, &packet, &mut srng, &mut msg) else {
        return;
    };
    // 3: server_DH_params -> client
    let packet = deliver(3, &msg);
    msg.clear();
    let Ok(mut c) = c.handle(now, &packet, &mut crng, &mut msg) else {
        return;
    };
    let mut s = Some(s);
    // Up to two rounds, so a `dh_gen_retry` verdict is followed by the retried attempt.
    for round in 0..2 {
        // 4: set_client_DH_params -> server
        let packet = deliver(4, &msg);
        msg.clear();
        let Some(Ok(decision)) = s.take().map(|s| s.handle(&packet)) else {
            return;
        };
        let verdict = if round == 0 { (how >> 2) & 3 } else { 0 };
        match verdict {
            1 => s = Some(decision.retry(now, &mut msg)),
            2 => decision.fail(now, &mut msg),
            _ => {
                let _ = decision.accept(now, &mut msg);
            }
        }
        // 5: dh_gen_* -> client
        let packet = deliver(5, &msg);
        msg.clear();
        match c.handle(now, &packet, &mut crng, &mut msg) {
            Ok(client::DhGenOutcome::Done(_)) | Err(_) => return,
            Ok(client::DhGenOutcome::Retry(next)) => c = next,
        }
    }
});
