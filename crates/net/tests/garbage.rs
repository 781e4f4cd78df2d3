//! Property tests: arbitrary, truncated and mutated input never panics any decoder, and
//! arbitrary payloads survive every transport in both directions under arbitrary chunking.

use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_net::proxy::mtproxy::{accept_client_hello, FakeTlsClient};
use tgwire_net::transport::{detect, Detection};
use tgwire_net::{
    AnyTransport, Decoded, MtProxySecret, Role, Transport, TransportKind, MAX_FRAME_LEN,
};

const KINDS: [TransportKind; 7] = TransportKind::ALL;

/// A client codec and the matching server codec (found by `detect`), plus the marker bytes.
fn pair(kind: TransportKind, seed: u64) -> (AnyTransport, AnyTransport, Vec<u8>) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut client = AnyTransport::client(kind, 2, &mut rng);
    let mut first = Vec::new();
    client.encode(&[0, 0, 0, 0], &mut first).unwrap();
    match detect(&first, None, &mut rng).unwrap() {
        Detection::Transport {
            mut transport,
            consumed,
            ..
        } => {
            // Consume the probe frame so both codecs are in step.
            let mut rest = first[consumed..].to_vec();
            assert!(matches!(
                transport.decode(&mut rest).unwrap(),
                Decoded::Frame { .. }
            ));
            (client, transport, first)
        }
        other => panic!("{other:?}"),
    }
}

/// Feeds `wire` in pieces; returns payloads until the first error. Bounded: every frame
/// consumes at least one byte.
fn drain(codec: &mut AnyTransport, wire: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut buf = Vec::new();
    let mut out = Vec::new();
    let mut at = 0;
    let mut cuts = cuts.iter().copied().chain(std::iter::once(usize::MAX));
    while at < wire.len() {
        let step = cuts.next().unwrap_or(usize::MAX).max(1);
        let end = wire.len().min(at.saturating_add(step));
        buf.extend_from_slice(&wire[at..end]);
        at = end;
        loop {
            match codec.decode(&mut buf) {
                Ok(Decoded::Frame { payload, consumed }) => {
                    assert!(consumed > 0 && consumed <= buf.len());
                    assert!(payload.end <= consumed && payload.len() <= MAX_FRAME_LEN);
                    out.push(buf[payload].to_vec());
                    buf.drain(..consumed);
                }
                Ok(Decoded::NeedMore(n)) => {
                    assert!(n > 0);
                    break;
                }
                Err(_) => return out,
            }
        }
    }
    out
}

fn fresh(kind: TransportKind, role: Role, seed: u64) -> AnyTransport {
    let (client, server, _) = pair(kind, seed);
    match role {
        Role::Client => client,
        Role::Server => server,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn garbage_never_panics_a_decoder(
        bytes in proptest::collection::vec(any::<u8>(), 0..4096),
        cuts in proptest::collection::vec(1usize..600, 0..8),
        kind in 0usize..KINDS.len(),
        client_role in any::<bool>(),
    ) {
        let role = if client_role { Role::Client } else { Role::Server };
        let mut codec = fresh(KINDS[kind], role, 1);
        drain(&mut codec, &bytes, &cuts);
    }

    #[test]
    fn garbage_never_panics_detection(
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
        with_secret in any::<bool>(),
    ) {
        let mut rng = StdRng::seed_from_u64(0);
        let secret = [7u8; 16];
        for end in 0..=bytes.len() {
            let r = detect(&bytes[..end], with_secret.then_some(&secret), &mut rng);
            if let Ok(Detection::NeedMore(n)) = r {
                prop_assert!(n > 0 && end + n <= 64);
            }
        }
    }

    #[test]
    fn payloads_survive_every_transport(
        lens in proptest::collection::vec(5usize..3000, 1..6),
        cuts in proptest::collection::vec(1usize..5000, 0..6),
        kind in 0usize..KINDS.len(),
        seed in any::<u64>(),
    ) {
        let (mut client, mut server, _) = pair(KINDS[kind], seed);
        // Multiples of 4 so abridged and full take them, and at least 20 bytes like any MTProto
        // packet (a 4-byte negative payload is a server status for the client role).
        let payloads: Vec<Vec<u8>> = lens
            .iter()
            .map(|&n| (0..n * 4).map(|i| (i as u64 ^ seed) as u8).collect())
            .collect();
        for client_sends in [true, false] {
            let (tx, rx) = if client_sends {
                (&mut client, &mut server)
            } else {
                (&mut server, &mut client)
            };
            let mut wire = Vec::new();
            for p in &payloads {
                tx.encode(p, &mut wire).unwrap();
            }
            let got = drain(rx, &wire, &cuts);
            prop_assert_eq!(got.len(), payloads.len());
            for (g, p) in got.iter().zip(&payloads) {
                prop_assert!(g.starts_with(p) && g.len() - p.len() < 16);
            }
        }
    }

    #[test]
    fn flipped_bits_in_full_frames_are_caught(
        len in 1usize..200,
        flip in any::<usize>(),
        bit in 0u8..8,
    ) {
        let (mut client, mut server, _) = pair(TransportKind::Full, 3);
        let mut wire = Vec::new();
        client.encode(&vec![0x5a; len * 4], &mut wire).unwrap();
        let at = flip % wire.len();
        wire[at] ^= 1 << bit;
        // Corrupting the length may make the frame look incomplete; anything else must fail.
        match server.decode(&mut wire) {
            Ok(Decoded::NeedMore(_)) => prop_assert!(at < 4),
            Ok(Decoded::Frame { .. }) => prop_assert!(false, "corruption at {} accepted", at),
            Err(_) => {}
        }
    }

    #[test]
    fn garbage_and_mutated_client_hellos_never_panic(
        bytes in proptest::collection::vec(any::<u8>(), 0..700),
        flips in proptest::collection::vec((0usize..517, any::<u8>()), 0..4),
    ) {
        let mut rng = StdRng::seed_from_u64(5);
        let key = [9u8; 16];
        let _ = accept_client_hello(&bytes, &key, "example.com", 1_700_000_000, 120, &mut rng);
        let mut hello = Vec::new();
        let client = FakeTlsClient::start(&key, "example.com", 1_700_000_000, &mut rng, &mut hello);
        for (at, x) in &flips {
            hello[*at] ^= x;
        }
        let r = accept_client_hello(&hello, &key, "example.com", 1_700_000_000, 120, &mut rng);
        if flips.iter().all(|(_, x)| *x == 0) {
            prop_assert!(r.is_ok());
        }
        let _ = client.read_server_hello(&bytes);
    }

    #[test]
    fn arbitrary_secret_strings_never_panic(s in "\\PC{0,80}") {
        let _ = s.parse::<MtProxySecret>();
    }
}
