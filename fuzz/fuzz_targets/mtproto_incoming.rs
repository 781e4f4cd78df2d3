//! The incoming path of both session roles and of the auth-key exchange: arbitrary bytes as
//! raw packets, and arbitrary plaintexts sealed under the session key so they pass msg_key and
//! reach the message parsers. Nothing may panic.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_crypto::{encrypt_message, AuthKey, Side};
use tgwire_mtproto::auth::{client, server};
use tgwire_mtproto::{ClientConfig, Instant, SaltSchedule, ServerConfig, ServerSession, Session};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let now = Instant::from_unix_secs(1_700_000_000);
    let key = || AuthKey::from_bytes([7; 256]);
    let mut client = Session::new(key(), 1, 0, ClientConfig::default(), [1; 32]);
    let mut srv = ServerSession::new(
        key(),
        SaltSchedule::new([2; 32], 3600),
        ServerConfig::default(),
        [3; 32],
    );
    match mode % 4 {
        0 => {
            let _ = client.handle_incoming(now, rest);
            let _ = srv.handle_incoming(now, rest);
        }
        1 | 2 => {
            // Sealed plaintext; for the client, splice in its session id so the header passes.
            let mut plain = rest.to_vec();
            if mode % 4 == 1 && plain.len() >= 16 {
                plain[8..16].copy_from_slice(&client.session_id().to_le_bytes());
            }
            plain.resize(plain.len().div_ceil(16).max(1) * 16, 0);
            let mut packet = Vec::new();
            let side = if mode % 4 == 1 {
                Side::Server
            } else {
                Side::Client
            };
            if encrypt_message(&key(), side, &plain, &mut packet).is_ok() {
                let _ = if side == Side::Server {
                    client.handle_incoming(now, &packet)
                } else {
                    srv.handle_incoming(now, &packet)
                };
            }
        }
        _ => {
            let mut rng = StdRng::seed_from_u64(1);
            let mut out = Vec::new();
            let c = client::start(client::Config::new(vec![], 2), now, &mut rng, &mut out);
            let _ = c.handle(now, rest, &mut rng, &mut out);
            let s = server::ExpectReqPq::new(server::Config { keys: vec![] });
            let _ = s.handle(now, rest, &mut rng, &mut out);
        }
    }
    let mut out = Vec::new();
    while client.poll_transmit(now, &mut out) {
        out.clear();
    }
    while srv.poll_transmit(now, &mut out) {
        out.clear();
    }
    while client.poll_event().is_some() {}
    while srv.poll_event().is_some() {}
});
