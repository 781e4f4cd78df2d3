//! Nothing a peer sends may panic either role: random packets, random plaintexts under the
//! right key (so they pass msg_key and reach the parsers), and mutated real traffic.

use proptest::prelude::*;
use tgwire_crypto::{encrypt_message, Side};

use super::harness::{key, query, T0};
use crate::{ClientConfig, Instant, SaltSchedule, ServerConfig, ServerSession, Session};

fn seal(side: Side, mut plain: Vec<u8>) -> Vec<u8> {
    plain.resize(plain.len().div_ceil(16).max(1) * 16, 0);
    let mut out = Vec::new();
    encrypt_message(&key(), side, &plain, &mut out).unwrap();
    out
}

fn both() -> (Session, ServerSession) {
    let client = Session::new(key(), 1, 0, ClientConfig::default(), [1; 32]);
    let server = ServerSession::new(
        key(),
        SaltSchedule::new([2; 32], 3600),
        ServerConfig::default(),
        [3; 32],
    );
    (client, server)
}

/// A plaintext with a plausible header (our session id, a fresh id, a sane length) and a
/// random body, so decoding goes past the header checks.
fn plausible(session_id: i64, msg_id: i64, body: &[u8], pad: usize) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&0i64.to_le_bytes());
    p.extend_from_slice(&session_id.to_le_bytes());
    p.extend_from_slice(&msg_id.to_le_bytes());
    p.extend_from_slice(&1i32.to_le_bytes());
    let len = body.len() / 4 * 4;
    p.extend_from_slice(&(len as u32).to_le_bytes());
    p.extend_from_slice(&body[..len]);
    p.resize(p.len() + 12 + pad, 0);
    p
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_packets_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let (mut c, mut s) = both();
        let now = Instant::from_unix_secs(T0);
        let _ = c.handle_incoming(now, &bytes);
        let _ = s.handle_incoming(now, &bytes);
    }

    #[test]
    fn random_plaintexts_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let (mut c, mut s) = both();
        let now = Instant::from_unix_secs(T0);
        let _ = c.handle_incoming(now, &seal(Side::Server, bytes.clone()));
        let _ = s.handle_incoming(now, &seal(Side::Client, bytes));
        let mut out = Vec::new();
        while c.poll_transmit(now, &mut out) { out.clear(); }
        while s.poll_transmit(now, &mut out) { out.clear(); }
        while c.poll_event().is_some() {}
        while s.poll_event().is_some() {}
    }

    #[test]
    fn random_bodies_with_valid_headers_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..1024),
        ctor in prop::sample::select(vec![
            0x73f1f8dcu32, 0xf35c6d01, 0x3072cfa1, 0x62d6b459, 0xa7eff811, 0xedab447b, 0x9ec20908,
            0x347773c5, 0xae500895, 0xda69fb52, 0x04deb57d, 0x8cc0d131, 0x276d3ec6, 0x809db6df,
            0x7d861a08, 0x8610baeb, 0xe22045fc, 0x7abe77ec, 0xb921bd04, 0xe7512126, 0x58e4a740,
        ]),
        pad in 0usize..64,
    ) {
        let (mut c, mut s) = both();
        let now = Instant::from_unix_secs(T0);
        let mut b = ctor.to_le_bytes().to_vec();
        b.extend_from_slice(&body);
        // The client accepts odd ids in its session; the server adopts any session id.
        let _ = c.handle_incoming(now, &seal(Side::Server, plausible(c.session_id(), (T0 as i64) << 32 | 1, &b, pad)));
        let _ = s.handle_incoming(now, &seal(Side::Client, plausible(42, (T0 as i64) << 32, &b, pad)));
        let mut out = Vec::new();
        while c.poll_transmit(now, &mut out) { out.clear(); }
        while s.poll_transmit(now, &mut out) { out.clear(); }
        while c.poll_event().is_some() {}
        while s.poll_event().is_some() {}
    }

    #[test]
    fn mutated_real_traffic_never_panics(flip in 0usize..4096, bit in 0u8..8) {
        let (mut c, mut s) = both();
        let now = Instant::from_unix_secs(T0);
        c.enqueue(query(1, 10));
        let mut packet = Vec::new();
        prop_assert!(c.poll_transmit(now, &mut packet));
        let i = flip % packet.len();
        packet[i] ^= 1 << bit;
        let _ = s.handle_incoming(now, &packet);
    }
}
