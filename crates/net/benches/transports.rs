//! Throughput of each transport codec: one 512 KiB payload (the largest file part MTProto
//! uploads or downloads) encoded by the server role and decoded by the client role, the
//! direction file downloads take. Buffers are reused, as a connection driver would.

// criterion_group! defines a public `benches` function that cannot carry a doc comment.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_net::transport::{detect, Detection};
use tgwire_net::{
    Abridged, AnyTransport, Decoded, Framing, Full, Intermediate, Obfuscated, PaddedIntermediate,
    Role, Transport,
};

const PAYLOAD_LEN: usize = 512 * 1024;

/// A (sender, receiver) pair in the server→client direction.
fn pairs() -> Vec<(&'static str, AnyTransport, AnyTransport)> {
    let mut rng = StdRng::seed_from_u64(42);
    let mut out = vec![
        (
            "abridged",
            AnyTransport::Abridged(Abridged::new(Role::Server)),
            AnyTransport::Abridged(Abridged::new(Role::Client)),
        ),
        (
            "intermediate",
            AnyTransport::Intermediate(Intermediate::new(Role::Server)),
            AnyTransport::Intermediate(Intermediate::new(Role::Client)),
        ),
        (
            "padded_intermediate",
            AnyTransport::PaddedIntermediate(PaddedIntermediate::new(Role::Server, &mut rng)),
            AnyTransport::PaddedIntermediate(PaddedIntermediate::new(Role::Client, &mut rng)),
        ),
        (
            "full",
            AnyTransport::Full(Full::new(Role::Server)),
            AnyTransport::Full(Full::new(Role::Client)),
        ),
    ];
    for (name, framing) in [
        ("obfuscated2_abridged", Framing::Abridged),
        ("obfuscated2_intermediate", Framing::Intermediate),
        ("obfuscated2_padded", Framing::PaddedIntermediate),
    ] {
        let mut client = Obfuscated::client(framing, 2, None, &mut rng);
        let mut hello = Vec::new();
        client.encode(&[0; 4], &mut hello).expect("encodes");
        let Ok(Detection::Transport {
            transport: server, ..
        }) = detect(&hello, None, &mut rng)
        else {
            panic!("server recognises the header");
        };
        out.push((name, server, AnyTransport::Obfuscated(client)));
    }
    out
}

fn encode_decode(c: &mut Criterion) {
    let payload: Vec<u8> = (0..PAYLOAD_LEN).map(|i| (i * 7) as u8).collect();
    let mut group = c.benchmark_group("encode+decode 512KiB");
    group.throughput(Throughput::Bytes(PAYLOAD_LEN as u64));
    for (name, mut tx, mut rx) in pairs() {
        let mut wire = Vec::with_capacity(PAYLOAD_LEN + 128);
        group.bench_function(name, |b| {
            b.iter(|| {
                wire.clear();
                tx.encode(&payload, &mut wire).expect("encodes");
                match rx.decode(&mut wire).expect("decodes") {
                    Decoded::Frame { payload, consumed } => {
                        assert_eq!(consumed, wire.len());
                        payload.len()
                    }
                    Decoded::NeedMore(_) => unreachable!("whole frame present"),
                }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, encode_decode);
criterion_main!(benches);
