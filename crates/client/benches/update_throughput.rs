//! End-to-end update throughput: the in-process test server pushes `TGWIRE_BENCH_UPDATES`
//! (default 100,000) new private messages to one connected client, and a consumer of
//! `Client::updates()` counts them. Prints updates/s for each of `TGWIRE_BENCH_ROUNDS` (default 3)
//! rounds and their median.
//!
//! `cargo bench -p tgwire --bench update_throughput`
//!
//! The server encrypts and frames every update on the same machine, so the figure is the whole
//! pipeline (server push, transport, decryption, the update engine, hand-out), not the client alone.

use std::time::{Duration, Instant};

use tgwire::tl::enums;
use tgwire::Client;
use tgwire_testserver::backend::Peer;
use tgwire_testserver::{Config, TestServer};

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn signed_in(server: &TestServer, phone: &str) -> Client {
    let mut builder = Client::builder(1, "0123456789abcdef0123456789abcdef")
        .rsa_key(server.rsa_public_key().clone())
        .default_dc(2)
        .in_memory();
    for dc in server.dcs() {
        builder = builder.dc_addr(dc.id, format!("{}:{}", dc.host, dc.port).parse().unwrap());
    }
    let client = builder.connect().await.expect("connects");
    let token = client.request_login_code(phone).await.expect("code");
    client.sign_in(&token, "22222").await.expect("signs in");
    client
}

/// One round: returns updates/s from the first push to the last update received.
async fn round(server: &TestServer, round: usize, n: usize) -> f64 {
    let client = signed_in(server, &format!("99966280{round:02}")).await;
    let me = client.get_me().await.expect("get_me").id();
    let username = format!("pusher{round}");
    let pusher = server
        .backend()
        .create_user(&format!("99966281{round:02}"), "Pusher", Some(&username))
        .expect("pusher");
    // The pushes are `updateShortMessage`s, which name the sender by id only: the client must
    // know the pusher already, or each would send the engine for the difference (as the spec
    // says) instead of measuring the push path.
    client
        .resolve(format!("@{username}"))
        .await
        .expect("resolves");
    let mut updates = client.updates();
    let backend = server.backend().clone();
    let start = Instant::now();
    let push = tokio::task::spawn_blocking(move || {
        for i in 0..n {
            backend
                .send_message_as(pusher, Peer::User(me), &format!("update {i}"))
                .expect("pushed");
        }
    });
    let mut got = 0;
    while got < n {
        let Ok(update) = tokio::time::timeout(Duration::from_secs(30), updates.next()).await else {
            panic!(
                "no update for 30 s after {got} of {n}; engine: {:?}",
                client.update_stats()
            );
        };
        let update = update.expect("stream open");
        if matches!(update.update, enums::Update::NewMessage(_)) {
            got += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    push.await.expect("pusher finished");
    client.disconnect().await;
    n as f64 / secs
}

fn main() {
    // `cargo bench` passes `--bench`; a plain `cargo test --benches` run passes nothing and only
    // checks that this builds and runs a token round.
    let benching = std::env::args().any(|a| a == "--bench");
    let n = env("TGWIRE_BENCH_UPDATES", if benching { 100_000 } else { 200 });
    let rounds = env("TGWIRE_BENCH_ROUNDS", if benching { 3 } else { 1 });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let server = TestServer::start(Config::default()).await.expect("server");
        let mut rates = Vec::new();
        for r in 0..rounds {
            let rate = round(&server, r, n).await;
            println!("update_throughput round {r}: {n} updates, {rate:.0} updates/s");
            rates.push(rate);
        }
        rates.sort_by(f64::total_cmp);
        println!(
            "update_throughput median: {:.0} updates/s ({n} updates, {rounds} rounds)",
            rates[rates.len() / 2]
        );
    });
}
