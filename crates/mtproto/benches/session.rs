//! Throughput of the encrypted session: sealing requests into packets and opening them on the
//! other end, for small (single message) and batched (container) traffic.

#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tgwire_crypto::AuthKey;
use tgwire_mtproto::{
    ClientConfig, Instant, SaltSchedule, ServerConfig, ServerEvent, ServerSession, Session,
};

fn key() -> AuthKey {
    AuthKey::from_bytes(std::array::from_fn(|i| i as u8))
}

fn query(n: u32, len: usize) -> Vec<u8> {
    let mut b = 0x0b0b_0b0bu32.to_le_bytes().to_vec();
    b.extend_from_slice(&n.to_le_bytes());
    b.resize(len, 0x5a);
    b
}

fn pair(now: Instant) -> (Session, ServerSession) {
    let schedule = SaltSchedule::new([1; 32], 3600);
    let salt = schedule.current(now.unix_secs() as i64);
    (
        Session::new(key(), salt, 0, ClientConfig::default(), [2; 32]),
        ServerSession::new(key(), schedule, ServerConfig::default(), [3; 32]),
    )
}

fn bench(c: &mut Criterion) {
    let now = Instant::from_unix_secs(1_700_000_000);
    let mut g = c.benchmark_group("session");
    for (name, count, len) in [("1x256B", 1usize, 256usize), ("32x256B_container", 32, 256)] {
        g.throughput(Throughput::Elements(count as u64));
        g.bench_function(format!("client_seal_{name}"), |b| {
            b.iter_batched(
                || {
                    let (mut client, _) = pair(now);
                    for n in 0..count {
                        client.enqueue(query(n as u32, len));
                    }
                    client
                },
                |mut client| {
                    let mut out = Vec::with_capacity(16 * 1024);
                    while client.poll_transmit(now, &mut out) {}
                    out
                },
                BatchSize::SmallInput,
            )
        });
        g.bench_function(format!("roundtrip_{name}"), |b| {
            b.iter_batched(
                || pair(now),
                |(mut client, mut server)| {
                    for n in 0..count {
                        client.enqueue(query(n as u32, len));
                    }
                    let mut packet = Vec::new();
                    while client.poll_transmit(now, &mut packet) {
                        server.handle_incoming(now, &packet).unwrap();
                        packet.clear();
                    }
                    while let Some(ev) = server.poll_event() {
                        if let ServerEvent::Request { msg_id, body } = ev {
                            server.respond(msg_id, body);
                        }
                    }
                    while server.poll_transmit(now, &mut packet) {
                        client.handle_incoming(now, &packet).unwrap();
                        packet.clear();
                    }
                    let mut answers = 0;
                    while let Some(_ev) = client.poll_event() {
                        answers += 1;
                    }
                    answers
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
