//! The sender end to end over loopback TCP, against the MTProto server in `common/mtserver.rs`
//! (the mtproto crate's server role behind `server::accept`): auth-key creation and encrypted
//! requests over every transport and route, batching, faults, keep-alive, shutdown, updates.

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::mtserver::{file_bytes, MtServer, SeenRequest, FLOOD};
use common::proxies::{http_proxy, socks5_proxy};
use tgwire_net::{
    ConnectionState, Credentials, DisconnectReason, Framing, InitParams, InvokeError,
    InvokeOptions, KeepAlive, MtProxySecret, OnDisconnect, Proxy, ReconnectPolicy, Sender,
    SenderConfig, SenderEvent, SenderHandle, TransportKind,
};
use tgwire_tl_types::{enums, functions, types, Deserializable, Serializable};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

const DD: &str = "dd0123456789abcdef0123456789abcdef";
/// `ee` + key + "example.com"
const EE: &str = "ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d";
const PLAIN_SECRET: &str = "0123456789abcdef0123456789abcdef";

const KINDS: [TransportKind; 7] = TransportKind::ALL;

/// Quick reconnection, so that faults resolve in a test's time.
fn config(server: &MtServer) -> SenderConfig {
    let mut c = SenderConfig::new(2, server.addr, vec![server.rsa_public.clone()]);
    c.connect_timeout = Duration::from_secs(5);
    c.reconnect = ReconnectPolicy {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
        jitter: 0.5,
        max_attempts: None,
    };
    // The session's own timers stay at their defaults (resend after 10 s, state query after
    // 30 s): after a reconnection the sender makes the session resend at once, so every fault
    // test below finishes in well under those times.
    c
}

fn get_file(offset: i64, limit: i32) -> functions::upload::GetFile {
    functions::upload::GetFile {
        precise: true,
        cdn_supported: false,
        location: enums::InputFileLocation::InputDocumentFileLocation(Box::new(
            types::InputDocumentFileLocation {
                id: 1,
                access_hash: 2,
                file_reference: vec![].into(),
                thumb_size: String::new().into(),
            },
        )),
        offset,
        limit,
    }
}

async fn fetch(handle: &SenderHandle, offset: i64) -> Result<Vec<u8>, InvokeError> {
    fetch_with(handle, offset, InvokeOptions::default()).await
}

async fn fetch_with(
    handle: &SenderHandle,
    offset: i64,
    opts: InvokeOptions,
) -> Result<Vec<u8>, InvokeError> {
    let enums::upload::File::File(file) = handle.invoke_with(&get_file(offset, 64), opts).await?
    else {
        panic!("the server only sends upload.file");
    };
    Ok(file.bytes.into_vec())
}

async fn nearest(handle: &SenderHandle) -> Result<i32, InvokeError> {
    let enums::NearestDc::NearestDc(dc) = handle.invoke(&functions::help::GetNearestDc).await?;
    Ok(dc.this_dc)
}

/// Records every state the sender goes through.
fn record_states(handle: &SenderHandle) -> Arc<Mutex<Vec<ConnectionState>>> {
    let mut rx = handle.state();
    let seen = Arc::new(Mutex::new(vec![rx.borrow_and_update().clone()]));
    let log = seen.clone();
    tokio::spawn(async move {
        while rx.changed().await.is_ok() {
            let s = rx.borrow_and_update().clone();
            log.lock().unwrap().push(s);
        }
    });
    seen
}

/// The recorded states once the recorder has seen the sender close: the recorder is a task on
/// another worker, so a call's error can reach the test before the last state reaches the log.
async fn states_until_closed(states: &Mutex<Vec<ConnectionState>>) -> Vec<ConnectionState> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let seen = states.lock().unwrap().clone();
        let closed = matches!(seen.last(), Some(ConnectionState::Closed { .. }));
        if closed || tokio::time::Instant::now() >= deadline {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// A new key, then encrypted requests (answer, typed RPC error, request-specific data).
async fn exercise(server: &MtServer, cfg: SenderConfig, what: &str) {
    let Sender { handle, mut events } = Sender::spawn(cfg);
    assert_eq!(nearest(&handle).await.unwrap(), 2, "{what}");
    match events.recv().await {
        Some(SenderEvent::AuthKeyCreated { auth_key, .. }) => {
            assert_eq!(
                Some(auth_key.id()),
                handle.auth_key().borrow().as_ref().map(|k| k.id())
            );
        }
        other => panic!("{what}: expected a new key first, got {other:?}"),
    }
    assert_eq!(
        fetch(&handle, 4096).await.unwrap(),
        file_bytes(4096, 64),
        "{what}"
    );
    match handle.invoke(&functions::help::GetConfig).await {
        Err(InvokeError::Rpc(e)) => {
            assert_eq!(
                (e.code, e.name.as_str(), e.value),
                (FLOOD.0, "FLOOD_WAIT", Some(7))
            );
        }
        other => panic!("{what}: {other:?}"),
    }
    handle.shutdown().await;
    assert!(server.knobs.keys_created.load(Ordering::SeqCst) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_transport_direct_socks5_and_http_connect() {
    let server = MtServer::start(None).await;
    let socks = socks5_proxy(Some(("user", "pass"))).await;
    let http = http_proxy(None).await;
    for kind in KINDS {
        for (route, proxy) in [
            ("direct", None),
            (
                "socks5",
                Some(Proxy::Socks5 {
                    addr: socks,
                    credentials: Some(Credentials {
                        username: "user".into(),
                        password: "pass".into(),
                    }),
                }),
            ),
            (
                "http",
                Some(Proxy::Http {
                    addr: http,
                    credentials: None,
                }),
            ),
        ] {
            let mut cfg = config(&server);
            cfg.transport = kind;
            cfg.proxy = proxy;
            exercise(&server, cfg, &format!("{kind:?} via {route}")).await;
        }
    }
    assert_eq!(server.knobs.keys_created.load(Ordering::SeqCst), 21);
}

/// Large answers streaming in, several in flight (file parts), come out intact over every
/// transport: each is decrypted side by side with the next one, whole or still arriving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_answers_streaming_in_are_intact_on_every_transport() {
    let server = MtServer::start(None).await;
    const PART: i32 = 256 * 1024;
    for kind in KINDS {
        let mut cfg = config(&server);
        cfg.transport = kind;
        let Sender { handle, .. } = Sender::spawn(cfg);
        let mut calls = JoinSet::new();
        for i in 0..24i64 {
            let handle = handle.clone();
            calls.spawn(async move {
                let offset = i * i64::from(PART);
                (offset, handle.invoke(&get_file(offset, PART)).await)
            });
        }
        while let Some(done) = calls.join_next().await {
            let (offset, answer) = done.unwrap();
            let Ok(enums::upload::File::File(file)) = answer else {
                panic!("{kind:?}: {answer:?}");
            };
            assert!(
                file.bytes[..] == file_bytes(offset, PART as usize)[..],
                "{kind:?}: part at {offset} differs"
            );
        }
        handle.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_mtproxy_secret() {
    let cases: [(&str, &[TransportKind]); 3] = [
        (
            DD,
            &[
                TransportKind::PaddedIntermediate,
                TransportKind::Obfuscated(Framing::PaddedIntermediate),
            ],
        ),
        (
            EE,
            &[
                TransportKind::PaddedIntermediate,
                TransportKind::Obfuscated(Framing::PaddedIntermediate),
            ],
        ),
        (
            PLAIN_SECRET,
            &[
                TransportKind::Abridged,
                TransportKind::Intermediate,
                TransportKind::PaddedIntermediate,
            ],
        ),
    ];
    for (secret, kinds) in cases {
        let secret: MtProxySecret = secret.parse().unwrap();
        // The test server is the MTProxy and the DC at once.
        let server = MtServer::start(Some(secret.clone())).await;
        for &kind in kinds {
            let mut cfg = config(&server);
            cfg.transport = kind;
            cfg.addr = "127.0.0.1:9".parse().unwrap(); // the proxy knows the DC
            cfg.proxy = Some(Proxy::MtProxy {
                addr: server.addr,
                secret: secret.clone(),
            });
            exercise(&server, cfg, &format!("{kind:?} via MTProxy {secret:?}")).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_invokes_share_containers() {
    let server = MtServer::start(None).await;
    let Sender { handle, .. } = Sender::spawn(config(&server));
    nearest(&handle).await.unwrap();
    let packets_before = server.knobs.packets.load(Ordering::SeqCst);
    let requests_before = server.knobs.requests.load(Ordering::SeqCst);
    let mut set = JoinSet::new();
    for i in 0..1000i64 {
        let h = handle.clone();
        set.spawn(async move { (i, fetch(&h, i * 64).await) });
    }
    let mut done = HashSet::new();
    while let Some(joined) = set.join_next().await {
        let (i, result) = joined.unwrap();
        assert_eq!(
            result.unwrap(),
            file_bytes(i * 64, 64),
            "answer {i} mixed up"
        );
        assert!(done.insert(i));
    }
    assert_eq!(done.len(), 1000);
    let packets = server.knobs.packets.load(Ordering::SeqCst) - packets_before;
    let requests = server.knobs.requests.load(Ordering::SeqCst) - requests_before;
    assert_eq!(requests, 1000, "each request ran once");
    assert!(
        packets < requests / 4,
        "{packets} packets for {requests} requests: not batched"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_disconnects_mid_request_resolve_every_request_once() {
    let server = MtServer::start(None).await;
    let Sender { handle, .. } = Sender::spawn(config(&server));
    nearest(&handle).await.unwrap();
    let states = record_states(&handle);
    let base = server.knobs.requests.load(Ordering::SeqCst);
    let packets = server.knobs.packets.load(Ordering::SeqCst);
    // Answers lost with the connection, and packets never read.
    *server.knobs.drop_after_answering.lock().unwrap() = vec![base + 3, base + 40, base + 90];
    *server.knobs.drop_unread_packet.lock().unwrap() = vec![packets + 2, packets + 9];

    let mut set = JoinSet::new();
    for i in 0..150i64 {
        let h = handle.clone();
        set.spawn(async move {
            // Spread the calls out so the faults hit requests in flight.
            tokio::time::sleep(Duration::from_millis(i as u64 * 3)).await;
            (i, fetch(&h, i * 64).await)
        });
    }
    let mut answered = HashSet::new();
    while let Some(joined) = set.join_next().await {
        let (i, result) = joined.unwrap();
        assert_eq!(result.unwrap(), file_bytes(i * 64, 64));
        assert!(answered.insert(i), "request {i} answered twice");
    }
    assert_eq!(answered.len(), 150);
    assert!(
        server.knobs.drop_after_answering.lock().unwrap().is_empty()
            && server.knobs.drop_unread_packet.lock().unwrap().is_empty(),
        "every fault fired"
    );
    let states = states.lock().unwrap().clone();
    let losses = states
        .iter()
        .filter(|s| matches!(s, ConnectionState::Disconnected { .. }))
        .count();
    assert!(losses >= 5, "five connections were cut: {states:?}");
    assert!(states
        .iter()
        .any(|s| matches!(s, ConnectionState::Reconnecting { attempt: 1 })));
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_choose_between_resend_and_failure_on_disconnect() {
    let server = MtServer::start(None).await;
    let Sender { handle, .. } = Sender::spawn(config(&server));
    nearest(&handle).await.unwrap();
    // Answers come late; the connection drops as soon as the second query arrives.
    server.knobs.delay_ms.store(300, Ordering::SeqCst);
    let base = server.knobs.requests.load(Ordering::SeqCst);
    *server.knobs.drop_after_answering.lock().unwrap() = vec![base + 2];
    let fail = InvokeOptions {
        on_disconnect: OnDisconnect::Fail,
        ..InvokeOptions::default()
    };
    let (a, b) = tokio::join!(fetch(&handle, 0), async {
        // Sent after the first, in its own packet.
        tokio::time::sleep(Duration::from_millis(50)).await;
        fetch_with(&handle, 64, fail).await
    });
    assert_eq!(a.unwrap(), file_bytes(0, 64), "the default resends");
    assert!(matches!(b, Err(InvokeError::Disconnected)), "{b:?}");
    // The link is back and serves new calls.
    server.knobs.delay_ms.store(0, Ordering::SeqCst);
    assert_eq!(fetch(&handle, 128).await.unwrap(), file_bytes(128, 64));
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_holds_an_idle_link_and_a_silent_one_is_replaced() {
    let server = MtServer::start(None).await;
    let mut cfg = config(&server);
    cfg.keep_alive = KeepAlive {
        interval: Duration::from_millis(100),
        disconnect_delay: Duration::from_millis(300),
        dead_after: Duration::from_millis(400),
    };
    // A call made while the server is silent may be swallowed on a connection that then
    // recovers (no reconnection, so no immediate resend): the session's resend timer brings it
    // back, shortened here from 10 s.
    cfg.session.resend_after = Duration::from_millis(500);
    let Sender { handle, .. } = Sender::spawn(cfg);
    nearest(&handle).await.unwrap();
    let states = record_states(&handle);
    let packets = server.knobs.packets.load(Ordering::SeqCst);
    // Idle for longer than the dead-link limit: the pings and pongs keep it up.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let pings = server.knobs.packets.load(Ordering::SeqCst) - packets;
    assert!(pings >= 8, "only {pings} packets in 1.5 s of keep-alive");
    let seen = states.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(server.knobs.connections.load(Ordering::SeqCst), 1);
    assert_eq!(nearest(&handle).await.unwrap(), 2);

    // The server goes silent: no byte comes back, so the sender gives up on the link.
    server.knobs.silent.store(true, Ordering::SeqCst);
    let mut st = handle.state();
    tokio::time::timeout(
        Duration::from_secs(3),
        st.wait_for(|s| {
            matches!(
                s,
                ConnectionState::Disconnected {
                    reason: DisconnectReason::Silent
                }
            )
        }),
    )
    .await
    .expect("dead link detected")
    .unwrap();
    let pending = {
        let h = handle.clone();
        tokio::spawn(async move { nearest(&h).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    server.knobs.silent.store(false, Ordering::SeqCst);
    assert_eq!(pending.await.unwrap().unwrap(), 2);
    assert!(server.knobs.connections.load(Ordering::SeqCst) >= 2);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_fails_pending_requests() {
    let server = MtServer::start(None).await;
    let Sender { handle, .. } = Sender::spawn(config(&server));
    nearest(&handle).await.unwrap();
    server.knobs.delay_ms.store(60_000, Ordering::SeqCst);
    let base = server.knobs.requests.load(Ordering::SeqCst);
    let mut set = JoinSet::new();
    for i in 0..10 {
        let h = handle.clone();
        set.spawn(async move { fetch(&h, i * 64).await });
    }
    while server.knobs.requests.load(Ordering::SeqCst) < base + 10 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    handle.shutdown().await;
    let mut failed = 0;
    while let Some(joined) = set.join_next().await {
        match joined.unwrap() {
            Err(InvokeError::Shutdown(DisconnectReason::Shutdown)) => failed += 1,
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(failed, 10);
    assert!(matches!(
        &*handle.state().borrow(),
        ConnectionState::Closed {
            reason: DisconnectReason::Shutdown
        }
    ));
    assert!(matches!(
        fetch(&handle, 0).await,
        Err(InvokeError::Shutdown(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_cancel_and_later_calls_still_work() {
    let server = MtServer::start(None).await;
    let Sender { handle, .. } = Sender::spawn(config(&server));
    nearest(&handle).await.unwrap();
    server.knobs.delay_ms.store(1000, Ordering::SeqCst);
    let opts = InvokeOptions {
        timeout: Some(Duration::from_millis(100)),
        ..InvokeOptions::default()
    };
    let r = fetch_with(&handle, 0, opts).await;
    assert!(matches!(r, Err(InvokeError::Timeout(_))), "{r:?}");
    assert_eq!(handle.in_flight(), 0);
    server.knobs.delay_ms.store(0, Ordering::SeqCst);
    assert_eq!(fetch(&handle, 64).await.unwrap(), file_bytes(64, 64));
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn updates_and_new_sessions_reach_the_owner() {
    let server = MtServer::start(None).await;
    let Sender { handle, mut events } = Sender::spawn(config(&server));
    nearest(&handle).await.unwrap();
    let update = enums::Updates::TooLong.to_bytes();
    server.push_update(update.clone());
    let mut seen_new_session = false;
    let got = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match events.recv().await {
                Some(SenderEvent::Update(body)) => return body,
                Some(SenderEvent::NewSession { .. }) => seen_new_session = true,
                Some(_) => {}
                None => panic!("events closed"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(got, update);
    assert!(
        seen_new_session,
        "the server announced the new session first"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_connection_wraps_requests_until_one_is_answered() {
    let server = MtServer::start(None).await;
    let mut cfg = config(&server);
    cfg.init = Some(InitParams::new(4242));
    let Sender { handle, .. } = Sender::spawn(cfg);
    assert_eq!(nearest(&handle).await.unwrap(), 2);
    assert_eq!(server.knobs.init_wrapped.load(Ordering::SeqCst), 1);
    assert_eq!(server.knobs.last_api_id.load(Ordering::SeqCst), 4242);
    assert_eq!(nearest(&handle).await.unwrap(), 2);
    assert_eq!(fetch(&handle, 0).await.unwrap(), file_bytes(0, 64));
    assert_eq!(
        server.knobs.init_wrapped.load(Ordering::SeqCst),
        1,
        "later calls go bare"
    );
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_key_is_reused_and_a_forgotten_one_replaced() {
    let server = MtServer::start(None).await;
    let Sender { handle, mut events } = Sender::spawn(config(&server));
    nearest(&handle).await.unwrap();
    let Some(SenderEvent::AuthKeyCreated { auth_key, .. }) = events.recv().await else {
        panic!("no key event");
    };
    handle.shutdown().await;

    // A second run with the stored key makes no new one.
    let mut cfg = config(&server);
    cfg.auth_key = Some((*auth_key).clone());
    let Sender { handle, mut events } = Sender::spawn(cfg);
    nearest(&handle).await.unwrap();
    assert_eq!(server.knobs.keys_created.load(Ordering::SeqCst), 1);

    // The server loses its keys: -404, a new key, and the calls go on.
    server.forget_keys();
    let r = nearest(&handle).await;
    assert!(matches!(r, Err(InvokeError::Disconnected) | Ok(2)), "{r:?}");
    assert_eq!(nearest(&handle).await.unwrap(), 2);
    let mut unknown = false;
    let mut created = None;
    while let Ok(e) = events.try_recv() {
        match e {
            SenderEvent::AuthKeyUnknown => unknown = true,
            SenderEvent::AuthKeyCreated { auth_key, .. } => created = Some(auth_key),
            _ => {}
        }
    }
    assert!(unknown);
    assert_ne!(created.map(|k| k.id()), Some(auth_key.id()));
    assert_eq!(server.knobs.keys_created.load(Ordering::SeqCst), 2);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_server_backs_off_then_gives_up() {
    // A port with nothing listening.
    let addr: SocketAddr = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let server = MtServer::start(None).await;
    let mut cfg = config(&server);
    cfg.addr = addr;
    cfg.reconnect.max_attempts = Some(3);
    let Sender { handle, .. } = Sender::spawn(cfg);
    let states = record_states(&handle);
    let r = nearest(&handle).await;
    assert!(
        matches!(r, Err(InvokeError::Shutdown(DisconnectReason::GaveUp))),
        "{r:?}"
    );
    let states = states_until_closed(&states).await;
    let attempts: Vec<u32> = states
        .iter()
        .filter_map(|s| match s {
            ConnectionState::Reconnecting { attempt } => Some(*attempt),
            _ => None,
        })
        .collect();
    assert_eq!(attempts, [1, 2, 3], "{states:?}");
    assert!(
        matches!(
            states.last(),
            Some(ConnectionState::Closed {
                reason: DisconnectReason::GaveUp
            })
        ),
        "{states:?}"
    );
}

#[test]
fn handles_are_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<SenderHandle>();
    assert_send_sync::<tgwire_net::Pool>();
}

// Keeps the `mpsc` import honest for readers: events are a plain tokio receiver.
#[allow(dead_code)]
fn events_are_a_tokio_receiver(s: Sender) -> mpsc::UnboundedReceiver<SenderEvent> {
    s.events
}

/// Random bytes, raw or framed, from a server: the sender must neither panic nor hang, and must
/// report the connection's end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_the_server_never_panics_the_sender() {
    use rand::{Rng, RngCore, SeedableRng};
    use tgwire_net::server::{accept, AcceptOptions};
    use tgwire_net::Transport;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let rsa = MtServer::start(None).await.rsa_public;
    for seed in 0..12u64 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let framed = seed % 2 == 1;
        tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            while let Ok((tcp, _)) = listener.accept().await {
                if framed {
                    // Well-framed packets of random content, in the encrypted or plain phase.
                    let Ok(mut acc) = accept(tcp, &AcceptOptions::default()).await else {
                        continue;
                    };
                    let mut out = Vec::new();
                    for _ in 0..20 {
                        let mut p = vec![0u8; 4 * rng.gen_range(1..300)];
                        rng.fill_bytes(&mut p);
                        if rng.gen_bool(0.3) {
                            p[..8].fill(0); // looks like a plain message
                        }
                        acc.transport.encode(&p, &mut out).unwrap();
                    }
                    let _ = acc.stream.write_all(&out).await;
                    let _ = acc.stream.flush().await;
                } else {
                    let mut tcp = tcp;
                    let mut first = [0u8; 64];
                    let _ = tcp.read(&mut first).await;
                    let mut junk = vec![0u8; 4096];
                    rng.fill_bytes(&mut junk);
                    let _ = tcp.write_all(&junk).await;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
        let mut cfg = SenderConfig::new(2, addr, vec![rsa.clone()]);
        cfg.transport = KINDS[seed as usize % KINDS.len()];
        cfg.connect_timeout = Duration::from_millis(300);
        cfg.reconnect = ReconnectPolicy {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(10),
            jitter: 0.0,
            max_attempts: Some(1),
        };
        if seed % 4 == 3 {
            // An existing (random) key: the garbage hits the encrypted session.
            cfg.auth_key = Some(tgwire_crypto::AuthKey::from_bytes([seed as u8; 256]));
        }
        let Sender { handle, .. } = Sender::spawn(cfg);
        let states = record_states(&handle);
        let r = tokio::time::timeout(Duration::from_secs(10), nearest(&handle))
            .await
            .expect("the sender ends instead of hanging");
        assert!(
            matches!(r, Err(InvokeError::Shutdown(DisconnectReason::GaveUp))),
            "seed {seed}: {r:?}"
        );
        let states = states_until_closed(&states).await;
        assert!(
            states
                .iter()
                .any(|s| matches!(s, ConnectionState::Disconnected { .. })),
            "seed {seed}: {states:?}"
        );
    }
}

/// The serialized `upload.getFile` for `offset` (64 bytes), and its decoded answer.
fn file_body(offset: i64) -> Vec<u8> {
    get_file(offset, 64).to_bytes()
}

fn file_answer(result: &Result<Vec<u8>, InvokeError>) -> Vec<u8> {
    let body = result.as_ref().expect("answered");
    match enums::upload::File::from_bytes(body).unwrap() {
        enums::upload::File::File(f) => f.bytes.into_vec(),
        other => panic!("{other:?}"),
    }
}

/// The offset a recorded `upload.getFile` asked for (-1 for other requests).
fn offset_of(seen: &SeenRequest) -> i64 {
    functions::upload::GetFile::from_bytes(&seen.query).map_or(-1, |f| f.offset)
}

/// Every recorded request with an offset in `offsets`, in arrival order.
fn seen_for(server: &MtServer, offsets: &[i64]) -> Vec<SeenRequest> {
    server
        .knobs
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|s| offsets.contains(&offset_of(s)))
        .cloned()
        .collect()
}

/// Each request after the first names, in `invokeAfterMsgs`, a msg_id its predecessor really
/// reached the server under.
fn assert_chain_refers_to_predecessors(seen: &[SeenRequest], offsets: &[i64]) {
    for (i, offset) in offsets.iter().enumerate() {
        let mine: Vec<&SeenRequest> = seen.iter().filter(|s| offset_of(s) == *offset).collect();
        assert!(!mine.is_empty(), "offset {offset} never arrived");
        for s in mine {
            if i == 0 {
                assert!(s.after.is_empty(), "the head waits for nothing: {s:?}");
                continue;
            }
            assert_eq!(s.after.len(), 1, "{s:?}");
            let predecessor = seen
                .iter()
                .any(|p| offset_of(p) == offsets[i - 1] && p.msg_id == s.after[0]);
            assert!(
                predecessor,
                "request {i} waits for an id its predecessor never had"
            );
        }
    }
}

/// Whether one received container holds every id.
fn one_container_holds(server: &MtServer, ids: &[i64]) -> bool {
    server
        .knobs
        .containers
        .lock()
        .unwrap()
        .iter()
        .any(|c| ids.iter().all(|id| c.contains(id)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_travels_in_one_container_and_an_ordered_one_is_chained() {
    let server = MtServer::start(None).await;
    server.knobs.record.store(true, Ordering::SeqCst);
    let Sender { handle, .. } = Sender::spawn(config(&server));

    // First call of the sender: the batch waits for the auth key, and its first container is
    // refused for salt 0 and resent under new ids; the chain must follow them.
    let ordered: Vec<i64> = (0..8).map(|i| 1000 + i * 64).collect();
    let bodies = ordered.iter().map(|&o| file_body(o)).collect();
    let results = handle
        .invoke_batch_raw(bodies, true, InvokeOptions::default())
        .await;
    for (offset, result) in ordered.iter().zip(&results) {
        assert_eq!(file_answer(result), file_bytes(*offset, 64));
    }
    let seen = seen_for(&server, &ordered);
    assert_eq!(seen.len(), 8, "each ran once: {seen:?}");
    assert_chain_refers_to_predecessors(&seen, &ordered);
    let ids: Vec<i64> = seen.iter().map(|s| s.msg_id).collect();
    assert!(one_container_holds(&server, &ids), "one container");

    // Unordered: one container, no wrappers.
    let plain: Vec<i64> = (0..8).map(|i| 9000 + i * 64).collect();
    let results = handle
        .invoke_batch_raw(
            plain.iter().map(|&o| file_body(o)).collect(),
            false,
            InvokeOptions::default(),
        )
        .await;
    for (offset, result) in plain.iter().zip(&results) {
        assert_eq!(file_answer(result), file_bytes(*offset, 64));
    }
    let seen = seen_for(&server, &plain);
    assert!(seen.iter().all(|s| s.after.is_empty()));
    let ids: Vec<i64> = seen.iter().map(|s| s.msg_id).collect();
    assert_eq!(ids.len(), 8);
    assert!(one_container_holds(&server, &ids), "one container");

    // Partial success: the middle one fails, its neighbours are answered.
    let results = handle
        .invoke_batch_raw(
            vec![
                file_body(64),
                functions::help::GetConfig.to_bytes(),
                file_body(128),
            ],
            true,
            InvokeOptions::default(),
        )
        .await;
    assert_eq!(file_answer(&results[0]), file_bytes(64, 64));
    assert!(
        matches!(&results[1], Err(InvokeError::Rpc(e)) if e.code == FLOOD.0),
        "{:?}",
        results[1]
    );
    assert_eq!(file_answer(&results[2]), file_bytes(128, 64));
    assert!(handle
        .invoke_batch_raw(Vec::new(), true, InvokeOptions::default())
        .await
        .is_empty());
    assert_eq!(handle.in_flight(), 0);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ordered_batch_cut_by_disconnects_is_answered_once_and_stays_chained() {
    let server = MtServer::start(None).await;
    server.knobs.record.store(true, Ordering::SeqCst);
    let Sender { handle, .. } = Sender::spawn(config(&server));
    nearest(&handle).await.unwrap();
    // The packet with the batch is dropped unread, and the connection carrying its resend is
    // cut after the server answered the third request.
    let packets = server.knobs.packets.load(Ordering::SeqCst);
    *server.knobs.drop_unread_packet.lock().unwrap() = vec![packets + 1];
    let base = server.knobs.requests.load(Ordering::SeqCst);
    *server.knobs.drop_after_answering.lock().unwrap() = vec![base + 3];
    let offsets: Vec<i64> = (0..12).map(|i| 20_000 + i * 64).collect();
    let results = handle
        .invoke_batch_raw(
            offsets.iter().map(|&o| file_body(o)).collect(),
            true,
            InvokeOptions::default(),
        )
        .await;
    for (offset, result) in offsets.iter().zip(&results) {
        assert_eq!(file_answer(result), file_bytes(*offset, 64));
    }
    assert!(server.knobs.drop_unread_packet.lock().unwrap().is_empty());
    assert!(server.knobs.drop_after_answering.lock().unwrap().is_empty());
    let seen = seen_for(&server, &offsets);
    assert_chain_refers_to_predecessors(&seen, &offsets);
    let distinct: HashSet<i64> = seen.iter().map(offset_of).collect();
    assert_eq!(distinct.len(), 12);
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_times_out_as_a_whole_and_cancels_what_is_left() {
    let server = MtServer::start(None).await;
    let Sender { handle, .. } = Sender::spawn(config(&server));
    nearest(&handle).await.unwrap();
    server.knobs.delay_ms.store(2_000, Ordering::SeqCst);
    let results = handle
        .invoke_batch_raw(
            vec![file_body(0), file_body(64)],
            true,
            InvokeOptions {
                timeout: Some(Duration::from_millis(200)),
                ..InvokeOptions::default()
            },
        )
        .await;
    assert!(results
        .iter()
        .all(|r| matches!(r, Err(InvokeError::Timeout(_)))));
    assert_eq!(handle.in_flight(), 0);
    server.knobs.delay_ms.store(0, Ordering::SeqCst);
    assert_eq!(fetch(&handle, 128).await.unwrap(), file_bytes(128, 64));
    handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_survives_more_connection_losses_than_its_resend_budget() {
    let server = MtServer::start(None).await;
    let Sender { handle, .. } = Sender::spawn(config(&server));
    nearest(&handle).await.unwrap();
    // Every connection closes on the first packet it carries: the request (or its resend),
    // well past the session's budget of `max_resends` (5).
    let packets = server.knobs.packets.load(Ordering::SeqCst);
    let cuts = 12;
    *server.knobs.drop_unread_packet.lock().unwrap() = (1..=cuts).map(|n| packets + n).collect();
    let base = server.knobs.requests.load(Ordering::SeqCst);
    assert_eq!(fetch(&handle, 640).await.unwrap(), file_bytes(640, 64));
    assert!(server.knobs.drop_unread_packet.lock().unwrap().is_empty());
    assert_eq!(
        server.knobs.requests.load(Ordering::SeqCst),
        base + 1,
        "ran once"
    );
    assert!(server.knobs.connections.load(Ordering::SeqCst) > cuts);
    handle.shutdown().await;
}
