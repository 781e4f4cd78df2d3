//! End-to-end costs of the server over loopback TCP, driven by the raw test client
//! (`tests/common`): one RPC round trip per transport, and one auth-key exchange (dominated by
//! the 2048-bit DH on both ends).
#![allow(missing_docs)] // criterion's macros generate undocumented items

#[path = "../tests/common/mod.rs"]
mod common;

use common::{Client, Raw};
use criterion::{criterion_group, criterion_main, Criterion};
use tgwire_mtproto::auth::client::RsaPadding;
use tgwire_net::{Framing, TransportKind};
use tgwire_testserver::{Config, TestServer};
use tgwire_tl_types::{functions, Serializable};

fn loopback(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(TestServer::start(Config::default())).unwrap();
    let dc = server.dc(2).unwrap();
    let addr: std::net::SocketAddr = format!("{}:{}", dc.host, dc.port).parse().unwrap();

    let mut group = c.benchmark_group("rpc_round_trip");
    for (name, kind) in [
        ("abridged", TransportKind::Abridged),
        ("intermediate", TransportKind::Intermediate),
        ("full", TransportKind::Full),
        (
            "obfuscated2",
            TransportKind::Obfuscated(Framing::Intermediate),
        ),
    ] {
        let mut client = rt
            .block_on(Client::connect_new(addr, kind, server.rsa_public_key()))
            .unwrap();
        let body = functions::help::GetNearestDc.to_bytes();
        rt.block_on(client.call_ok(body.clone())).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| rt.block_on(client.call_ok(body.clone())).unwrap())
        });
    }
    group.finish();

    c.bench_function("auth_key_exchange", |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut raw = Raw::connect(addr, 2, TransportKind::Abridged)
                    .await
                    .unwrap();
                raw.create_key(server.rsa_public_key(), RsaPadding::RsaPad, None)
                    .await
                    .unwrap()
            })
        })
    });
}

criterion_group!(benches, loopback);
criterion_main!(benches);
