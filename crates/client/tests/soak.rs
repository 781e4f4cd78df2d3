//! The update engine's fault soak: senders post to a private chat, a basic group, a megagroup and
//! a broadcast channel while faults drawn from a fixed seed fire (dropped connections, dropped
//! updates, duplicated and overtaking pushes, `updatesTooLong`, slow answers, restarts of the
//! receiving client from its SQLite session, restarts of the server from its data file); every
//! message must reach the receiver exactly once and in order per chat.
//!
//! `TGWIRE_SOAK_FAULTS` (default 1000) scales the run, `TGWIRE_SOAK_SEED` picks another draw.
//! Ignored in a plain `cargo test` (it takes minutes); `.ci/run` runs it with `--ignored`.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::{Rng, SeedableRng};
use tgwire::tl::enums;
use tgwire::Client;
use tgwire_testserver::backend::Peer;

/// What the receiver saw: for each chat, the sequence numbers of its messages in arrival order.
type Seen = Arc<Mutex<HashMap<String, Vec<u32>>>>;

/// Reads `client`'s updates until the stream ends, recording every `c<chat>:<seq>` message.
fn consume(client: &Client, seen: Seen) -> tokio::task::JoinHandle<()> {
    let mut updates = client.updates();
    tokio::spawn(async move {
        while let Some(update) = updates.next().await {
            let (message, pts) = match update.update {
                enums::Update::NewMessage(u) => (u.message, u.pts),
                enums::Update::NewChannelMessage(u) => (u.message, u.pts),
                _ => continue,
            };
            let enums::Message::Message(message) = message else {
                continue;
            };
            let Some((chat, seq)) = message.message.split_once(':') else {
                continue;
            };
            let Ok(seq) = seq.parse() else { continue };
            log::trace!("soak: received {chat}:{seq} (pts {pts})");
            seen.lock()
                .unwrap()
                .entry(chat.to_owned())
                .or_default()
                .push(seq);
        }
    })
}

async fn receiver(server: &tgwire_testserver::TestServer, path: &std::path::Path) -> Client {
    common::builder(server, 2)
        .session_file(path)
        .catch_up(true)
        .connect()
        .await
        .expect("receiver connects")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a few minutes long: .ci/run runs it on its own, printing its counts \
            (cargo test -p tgwire --test soak -- --ignored --nocapture)"]
async fn every_message_arrives_once_in_order_under_faults() {
    // RUST_LOG=tgwire=trace shows every box position, difference and saved state.
    let _ = env_logger::builder().is_test(true).try_init();
    let faults: usize = std::env::var("TGWIRE_SOAK_FAULTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let seed: u64 = std::env::var("TGWIRE_SOAK_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261205);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);

    let dir = tempfile::tempdir().unwrap();
    let mut server = tgwire_testserver::TestServer::start(tgwire_testserver::Config {
        data_file: Some(dir.path().join("server.json")),
        ..Default::default()
    })
    .await
    .expect("test server starts");
    let backend = server.backend().clone();
    let session = dir.path().join("receiver");

    // The receiver signs in once; later runs start from the session file.
    let client = receiver(&server, &session).await;
    let token = client.request_login_code("9996627001").await.unwrap();
    let me = client.sign_in(&token, "22222").await.unwrap().id();

    let senders: Vec<i64> = (0..3)
        .map(|i| {
            backend
                .create_user(&format!("999662710{i}"), &format!("Sender {i}"), None)
                .unwrap()
        })
        .collect();
    let group = backend
        .create_chat(senders[0], "soak group", &[senders[1], me])
        .unwrap();
    let megagroup = backend
        .create_channel(senders[1], "soak megagroup", true, None)
        .unwrap();
    backend.add_channel_member(megagroup, me).unwrap();
    backend.add_channel_member(megagroup, senders[2]).unwrap();
    let broadcast = backend
        .create_channel(senders[2], "soak channel", false, None)
        .unwrap();
    backend.add_channel_member(broadcast, me).unwrap();
    // (name, destination, who may post there)
    let chats: Vec<(&str, Peer, Vec<i64>)> = vec![
        ("private", Peer::User(me), senders.clone()),
        ("group", Peer::Chat(group), senders[..2].to_vec()),
        ("megagroup", Peer::Channel(megagroup), senders[1..].to_vec()),
        ("channel", Peer::Channel(broadcast), vec![senders[2]]),
    ];
    // Private chats with several senders are several chats on the receiver's side; each sender
    // numbers its own messages.
    let mut next_seq: HashMap<String, u32> = HashMap::new();

    let seen: Seen = Arc::default();
    let mut client = client;
    let mut consumer = consume(&client, Arc::clone(&seen));

    // The receiver sees one message in each channel before the faults start, as a client that
    // joined a channel sees the join: a channel never seen before starts from the first of its
    // updates that arrives, and what was lost before that cannot be known to be missing.
    for channel in [megagroup, broadcast] {
        let poster = if channel == megagroup {
            senders[1]
        } else {
            senders[2]
        };
        backend
            .send_message_as(poster, Peer::Channel(channel), "warm-up")
            .unwrap();
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while [megagroup, broadcast]
        .iter()
        .any(|c| client.session().channel_pts(*c).is_none())
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "channels never seen"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut sent = 0usize;

    for _ in 0..faults {
        for _ in 0..rng.gen_range(1..=3) {
            let (name, peer, posters) = &chats[rng.gen_range(0..chats.len())];
            let from = posters[rng.gen_range(0..posters.len())];
            let key = if *name == "private" {
                format!("private{from}")
            } else {
                (*name).to_owned()
            };
            let seq = next_seq.entry(key.clone()).or_default();
            backend
                .send_message_as(from, *peer, &format!("{key}:{seq}"))
                .expect("message posted");
            log::trace!("soak: sent {key}:{seq}");
            *seq += 1;
            sent += 1;
        }
        let fault = match rng.gen_range(0..100) {
            0..=14 => "disconnect",
            15..=34 => "drop updates",
            35..=44 => "duplicate updates",
            45..=54 => "overtaking updates",
            55..=64 => "updates too long",
            66..=74 => "slow answers",
            75..=84 => "client restart",
            85..=87 => "server restart",
            _ => "none",
        };
        *counts.entry(fault).or_default() += 1;
        log::trace!("soak: fault {fault}");
        match fault {
            "disconnect" => server.faults().disconnect_now(),
            "drop updates" => server.faults().drop_updates(rng.gen_range(1..=3)),
            "duplicate updates" => server.faults().duplicate_updates(rng.gen_range(1..=3)),
            "overtaking updates" => server.faults().delay_updates(
                rng.gen_range(1..=2),
                Duration::from_millis(rng.gen_range(20..200)),
            ),
            "updates too long" => server.faults().updates_too_long(),
            "server restart" => server.restart().await.expect("server restarts"),
            "slow answers" => {
                server
                    .faults()
                    .delay_answers(Duration::from_millis(rng.gen_range(10..100)));
            }
            "client restart" => {
                client.disconnect().await;
                drop(client);
                // What was handed out before the restart is still in the stream: drain it.
                consumer.await.unwrap();
                client = receiver(&server, &session).await;
                consumer = consume(&client, Arc::clone(&seen));
            }
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..20))).await;
        if fault == "slow answers" {
            server.faults().delay_answers(Duration::ZERO);
        }
    }

    // A push dropped by the last faults leaves a gap that only a later update of the same box
    // reveals (or the 15-minute poll): with the faults off, one more message in every chat
    // reveals them, as the next message would for any client. (Not counted: no `:`.)
    server.faults().clear();
    for (_, peer, posters) in &chats {
        backend
            .send_message_as(posters[0], *peer, "closing")
            .expect("message posted");
    }

    // Everything sent must arrive; give the engine time to fill the last gaps.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let got: usize = seen.lock().unwrap().values().map(Vec::len).sum();
        if got >= sent || tokio::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A moment more, so a duplicate arriving late is caught too.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let seen = seen.lock().unwrap().clone();
    let received: usize = seen.values().map(Vec::len).sum();
    println!(
        "soak: seed {seed}, {faults} fault draws {counts:?}, {sent} messages sent, {received} received; \
         engine of the last client run: {:?}",
        client.update_stats()
    );
    for (chat, count) in &next_seq {
        let got = seen.get(chat).map_or(&[][..], Vec::as_slice);
        let missing: Vec<u32> = (0..*count).filter(|n| !got.contains(n)).collect();
        if !missing.is_empty() || got.len() != *count as usize {
            println!(
                "soak: chat {chat}: {} of {count} received, missing {missing:?}",
                got.len()
            );
        }
    }
    for (chat, count) in &next_seq {
        let expected: Vec<u32> = (0..*count).collect();
        assert_eq!(
            seen.get(chat).cloned().unwrap_or_default(),
            expected,
            "chat {chat}: every message exactly once, in order"
        );
    }
    assert_eq!(received, sent);
}
