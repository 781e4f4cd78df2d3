//! Perfect forward secrecy end to end: `tgwire-net`'s sender with `SenderConfig::pfs` against a
//! real `tgwire_testserver::TestServer` over loopback. The sender creates a permanent key,
//! runs its session on temporary keys bound to it with `auth.bindTempAuthKey`, and replaces them
//! before they expire or when the server forgets them; the server must act for the permanent
//! key's authorization under every bound temporary key.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tgwire_net::{
    InitParams, InvokeError, ReconnectPolicy, Sender, SenderConfig, SenderEvent, SenderHandle,
    TransportKind,
};
use tgwire_testserver::{Config, TestServer};
use tgwire_tl_types::{enums, functions};
use tokio::sync::mpsc;

const BOT_ID: i64 = 4_242_001;

async fn server() -> TestServer {
    TestServer::start(Config::default())
        .await
        .expect("server starts")
}

fn sender_config(server: &TestServer, lifetime: Duration) -> SenderConfig {
    let dc = server.dc(1).expect("DC 1");
    let addr: SocketAddr = format!("{}:{}", dc.host, dc.port).parse().unwrap();
    let mut cfg = SenderConfig::new(1, addr, vec![server.rsa_public_key().clone()]);
    cfg.transport = TransportKind::Intermediate;
    cfg.init = Some(InitParams::new(1));
    cfg.connect_timeout = Duration::from_secs(10);
    cfg.reconnect = ReconnectPolicy {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
        jitter: 0.5,
        max_attempts: None,
    };
    cfg.pfs = Some(lifetime);
    cfg
}

/// Signs in as a bot (under whatever key the sender uses).
async fn sign_in_bot(handle: &SenderHandle) {
    handle
        .invoke(&functions::auth::ImportBotAuthorization {
            flags: 0,
            api_id: 1,
            api_hash: "0123456789abcdef0123456789abcdef".into(),
            bot_auth_token: format!("{BOT_ID}:AAAA-test-token-for-pfs-0123456789abcdef").into(),
        })
        .await
        .expect("bot sign-in");
}

/// A call that needs the authorization: the signed-in user's own id.
async fn my_id(handle: &SenderHandle) -> Result<i64, InvokeError> {
    let users = handle
        .invoke(&functions::users::GetUsers {
            id: vec![enums::InputUser::InputUserSelf],
        })
        .await?;
    match users.first() {
        Some(enums::User::User(u)) => Ok(u.id),
        other => panic!("expected the bot itself, got {other:?}"),
    }
}

/// Events seen so far, without waiting.
fn drain(events: &mut mpsc::UnboundedReceiver<SenderEvent>, into: &mut Vec<SenderEvent>) {
    while let Ok(e) = events.try_recv() {
        into.push(e);
    }
}

/// Waits for the next `TempKeyBound` (other events are kept in `seen`).
async fn next_binding(
    events: &mut mpsc::UnboundedReceiver<SenderEvent>,
    seen: &mut Vec<SenderEvent>,
) -> i64 {
    let wait = async {
        loop {
            match events.recv().await {
                Some(SenderEvent::TempKeyBound { temp_key_id, .. }) => return temp_key_id,
                Some(other) => seen.push(other),
                None => panic!("sender stopped"),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), wait)
        .await
        .expect("a binding in time")
}

fn perm_keys_created(seen: &[SenderEvent]) -> Vec<i64> {
    seen.iter()
        .filter_map(|e| match e {
            SenderEvent::AuthKeyCreated { auth_key, .. } => Some(auth_key.id()),
            _ => None,
        })
        .collect()
}

/// `tasks` callers each asking `my_id` in a loop until `stop`; every answer must be the bot.
fn request_stream(
    handle: &SenderHandle,
    tasks: usize,
    stop: Arc<AtomicBool>,
) -> (tokio::task::JoinSet<()>, Arc<AtomicUsize>) {
    let answered = Arc::new(AtomicUsize::new(0));
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..tasks {
        let (h, stop, answered) = (handle.clone(), stop.clone(), answered.clone());
        set.spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                assert_eq!(my_id(&h).await.expect("answered"), BOT_ID);
                answered.fetch_add(1, Ordering::SeqCst);
            }
        });
    }
    (set, answered)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_temporary_key_acts_for_the_permanent_key() {
    let server = server().await;
    let Sender { handle, mut events } =
        Sender::spawn(sender_config(&server, Duration::from_secs(3600)));
    let mut seen = Vec::new();
    let temp = next_binding(&mut events, &mut seen).await;
    let perm = perm_keys_created(&seen);
    assert_eq!(perm.len(), 1, "a permanent key first: {seen:?}");
    assert_ne!(temp, perm[0]);
    assert_eq!(server.temp_key_binding(temp), Some(Some(perm[0])));
    assert_eq!(
        server.temp_key_binding(perm[0]),
        None,
        "the permanent key is not temporary"
    );
    assert_eq!(
        handle.auth_key().borrow().as_ref().map(|k| k.id()),
        Some(perm[0]),
        "the handle reports the permanent key"
    );
    sign_in_bot(&handle).await;
    assert_eq!(my_id(&handle).await.unwrap(), BOT_ID);
    // initConnection went out again under the new key.
    assert!(server.client_info(temp).is_some() || server.client_info(perm[0]).is_some());

    // A second sender with the same permanent key binds its own temporary key and is signed in
    // without signing in again: the authorization belongs to the permanent key.
    let key = handle.auth_key().borrow().clone();
    handle.shutdown().await;
    let mut cfg = sender_config(&server, Duration::from_secs(3600));
    cfg.auth_key = key;
    let Sender {
        handle: second,
        events: mut second_events,
    } = Sender::spawn(cfg);
    let mut seen = Vec::new();
    let temp2 = next_binding(&mut second_events, &mut seen).await;
    assert!(
        perm_keys_created(&seen).is_empty(),
        "the stored key is reused"
    );
    assert_ne!(temp2, temp);
    assert_eq!(server.temp_key_binding(temp2), Some(Some(perm[0])));
    assert_eq!(my_id(&second).await.unwrap(), BOT_ID);
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn short_lived_keys_rotate_under_a_stream_of_requests() {
    let server = server().await;
    let lifetime = Duration::from_secs(3);
    let Sender { handle, mut events } = Sender::spawn(sender_config(&server, lifetime));
    let mut seen = Vec::new();
    let first = next_binding(&mut events, &mut seen).await;
    let perm = handle.auth_key().borrow().as_ref().map(|k| k.id());
    sign_in_bot(&handle).await;

    let stop = Arc::new(AtomicBool::new(false));
    let (mut tasks, answered) = request_stream(&handle, 4, stop.clone());
    // Three renewals, each before the server would let the key expire.
    let mut temps = vec![first];
    for _ in 0..3 {
        temps.push(next_binding(&mut events, &mut seen).await);
    }
    stop.store(true, Ordering::SeqCst);
    while let Some(done) = tasks.join_next().await {
        done.expect("every request answered, and by the bot");
    }
    drain(&mut events, &mut seen);
    let distinct: HashSet<i64> = temps.iter().copied().collect();
    assert_eq!(distinct.len(), 4, "a new key each time: {temps:?}");
    assert!(
        answered.load(Ordering::SeqCst) > 20,
        "the stream kept flowing"
    );
    assert_eq!(perm_keys_created(&seen).len(), 1, "one permanent key, ever");
    assert!(!seen
        .iter()
        .any(|e| matches!(e, SenderEvent::AuthKeyUnknown)));
    assert_eq!(handle.auth_key().borrow().as_ref().map(|k| k.id()), perm);
    assert_eq!(my_id(&handle).await.unwrap(), BOT_ID);
    // Stopped, so no renewal races the checks below. The newest key is the permanent key's one
    // binding; a permanent key has one temporary key at a time, so older ones still alive were
    // unbound by the next binding.
    handle.shutdown().await;
    drain(&mut events, &mut seen);
    temps.extend(seen.iter().filter_map(|e| match e {
        SenderEvent::TempKeyBound { temp_key_id, .. } => Some(*temp_key_id),
        _ => None,
    }));
    let newest = temps[temps.len() - 1];
    assert_eq!(server.temp_key_binding(newest), Some(perm));
    for t in &temps[..temps.len() - 1] {
        assert!(
            matches!(server.temp_key_binding(*t), None | Some(None)),
            "an older key is expired or unbound"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_key_the_server_forgets_is_replaced_without_losing_requests() {
    let server = server().await;
    let Sender { handle, mut events } =
        Sender::spawn(sender_config(&server, Duration::from_secs(3600)));
    let mut seen = Vec::new();
    let first = next_binding(&mut events, &mut seen).await;
    let perm = handle.auth_key().borrow().as_ref().map(|k| k.id());
    sign_in_bot(&handle).await;

    let stop = Arc::new(AtomicBool::new(false));
    let (mut tasks, answered) = request_stream(&handle, 4, stop.clone());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The server loses its temporary keys (it keeps them in RAM only): -404 for the next packet.
    assert_eq!(server.drop_temp_keys(), 1);
    let second = next_binding(&mut events, &mut seen).await;
    let before = answered.load(Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    while let Some(done) = tasks.join_next().await {
        done.expect("every request answered, and by the bot");
    }
    drain(&mut events, &mut seen);
    assert_ne!(second, first);
    assert!(
        answered.load(Ordering::SeqCst) > before,
        "requests flow on the new key"
    );
    assert_eq!(server.temp_key_binding(second), Some(perm));
    assert!(!seen
        .iter()
        .any(|e| matches!(e, SenderEvent::AuthKeyUnknown)));
    assert_eq!(perm_keys_created(&seen).len(), 1);
    assert_eq!(handle.auth_key().borrow().as_ref().map(|k| k.id()), perm);
    handle.shutdown().await;
}

/// A bare MTProto client over one loopback connection, to use a temporary key the sender would
/// never leave unbound.
struct RawClient {
    stream: tgwire_net::NetStream,
    codec: tgwire_net::AnyTransport,
    buf: Vec<u8>,
}

impl RawClient {
    async fn connect(server: &TestServer) -> RawClient {
        let dc = server.dc(1).expect("DC 1");
        let addr: SocketAddr = format!("{}:{}", dc.host, dc.port).parse().unwrap();
        let conn = tgwire_net::proxy::connect(
            addr,
            1,
            TransportKind::Intermediate,
            None,
            Duration::from_secs(10),
        )
        .await
        .expect("connects");
        RawClient {
            stream: conn.stream,
            codec: conn.transport,
            buf: Vec::new(),
        }
    }

    async fn send(&mut self, packet: &[u8]) {
        use tgwire_net::Transport;
        use tokio::io::AsyncWriteExt;
        let mut out = Vec::new();
        self.codec.encode(packet, &mut out).unwrap();
        self.stream.write_all(&out).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    async fn recv(&mut self) -> Vec<u8> {
        use tgwire_net::{Decoded, Transport};
        use tokio::io::AsyncReadExt;
        loop {
            if let Decoded::Frame { payload, consumed } = self.codec.decode(&mut self.buf).unwrap()
            {
                let packet = self.buf[payload].to_vec();
                self.buf.drain(..consumed);
                return packet;
            }
            let n =
                tokio::time::timeout(Duration::from_secs(10), self.stream.read_buf(&mut self.buf))
                    .await
                    .expect("an answer in time")
                    .unwrap();
            assert!(n > 0, "server closed the connection");
        }
    }

    /// Creates a temporary key (`p_q_inner_data_temp_dc`) and returns a session on it.
    async fn temp_session(&mut self, server: &TestServer) -> tgwire_mtproto::Session {
        use rand::SeedableRng;
        use tgwire_mtproto::auth::client;
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let mut config = client::Config::new(vec![server.rsa_public_key().clone()], 1);
        config.temp_expires_in = Some(3600);
        let mut out = Vec::new();
        let state = client::start(config, now(), &mut rng, &mut out);
        self.send(&out).await;
        let reply = self.recv().await;
        out.clear();
        let state = state.handle(now(), &reply, &mut rng, &mut out).unwrap();
        self.send(&out).await;
        let reply = self.recv().await;
        out.clear();
        let state = state.handle(now(), &reply, &mut rng, &mut out).unwrap();
        self.send(&out).await;
        let reply = self.recv().await;
        out.clear();
        let client::DhGenOutcome::Done(done) =
            state.handle(now(), &reply, &mut rng, &mut out).unwrap()
        else {
            panic!("dh_gen_retry from the test server");
        };
        assert_eq!(done.expires_in, Some(3600));
        tgwire_mtproto::Session::new(
            done.auth_key,
            done.first_salt,
            done.time_offset,
            tgwire_mtproto::ClientConfig::default(),
            [5; 32],
        )
    }

    /// Runs `request` (already enqueued) to its outcome.
    async fn outcome(
        &mut self,
        session: &mut tgwire_mtproto::Session,
        request: tgwire_mtproto::RequestId,
    ) -> Result<Vec<u8>, tgwire_mtproto::RpcError> {
        use tgwire_mtproto::Event;
        loop {
            let mut packet = Vec::new();
            while session.poll_transmit(now(), &mut packet) {
                self.send(&packet).await;
                packet.clear();
            }
            while let Some(event) = session.poll_event() {
                match event {
                    Event::Response { request: r, body } if r == request => {
                        return Ok(body.into_vec())
                    }
                    Event::RpcError { request: r, error } if r == request => return Err(error),
                    Event::Dropped { request: r, reason } if r == request => {
                        panic!("dropped: {reason:?}")
                    }
                    _ => {}
                }
            }
            let packet = self.recv().await;
            session.handle_incoming(now(), &packet).expect("decrypts");
        }
    }
}

fn now() -> tgwire_mtproto::Instant {
    tgwire_mtproto::Instant::from_unix_duration(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unbound_temporary_key_is_not_signed_in_until_bound() {
    use tgwire_tl_types::{Deserializable, Serializable};
    let server = server().await;
    // A permanent key with a signed-in bot, made by the PFS sender.
    let Sender { handle, mut events } =
        Sender::spawn(sender_config(&server, Duration::from_secs(3600)));
    next_binding(&mut events, &mut Vec::new()).await;
    sign_in_bot(&handle).await;
    let perm = handle.auth_key().borrow().clone().expect("a permanent key");
    handle.shutdown().await;

    let mut raw = RawClient::connect(&server).await;
    let mut session = raw.temp_session(&server).await;
    let temp_id = session.auth_key().id();
    assert_eq!(
        server.temp_key_binding(temp_id),
        Some(None),
        "known, unbound"
    );
    let get_me = InitParams::new(1).wrap(
        &functions::users::GetUsers {
            id: vec![enums::InputUser::InputUserSelf],
        }
        .to_bytes(),
    );
    let r = session.enqueue(get_me.clone());
    match raw.outcome(&mut session, r).await {
        // As on Telegram: PERM_EMPTY ("bind me first"), not UNREGISTERED ("signed out").
        Err(e) => assert_eq!((e.code, e.name.as_str()), (401, "AUTH_KEY_PERM_EMPTY")),
        Ok(body) => panic!("answered unbound: {body:?}"),
    }

    let bind = session.enqueue_bind_temp_key(&perm, 0x5eed, i32::MAX);
    assert_eq!(
        raw.outcome(&mut session, bind).await.unwrap(),
        true.to_bytes()
    );
    assert_eq!(server.temp_key_binding(temp_id), Some(Some(perm.id())));
    let r = session.enqueue(get_me);
    let users =
        Vec::<enums::User>::from_bytes(&raw.outcome(&mut session, r).await.unwrap()).unwrap();
    assert!(matches!(users.first(), Some(enums::User::User(u)) if u.id == BOT_ID));
}

/// A pool's connections to a DC share one temporary key, and Telegram binds one temporary key
/// per permanent key: when the primary binds the next key, the old one loses its binding, and
/// a call another connection still has out under it is refused `401 AUTH_KEY_PERM_EMPTY`
/// without running. The connection must send it again under the new key, not fail it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_out_while_the_next_key_is_bound_goes_out_again_under_it() {
    use tgwire_net::{Pool, PoolConfig, PoolEvent};
    let server = server().await;
    // Renewal at 8 s, and 1 s from there for the follower's call to finish under the old key
    // before the follower would move it by force: the primary binds the next key well
    // within that, so the call is refused on the old key's connection.
    let template = sender_config(&server, Duration::from_secs(10));
    let (pool, mut events) = Pool::new(PoolConfig {
        dc_addrs: [(1, template.addr)].into_iter().collect(),
        template: template.into(),
        auth_keys: Default::default(),
        idle_timeout: Duration::from_secs(600),
    });
    let lead = pool.get(1).await.unwrap();
    sign_in_bot(&lead).await;
    let follower = pool.get_nth(1, 1).await.unwrap();
    assert_eq!(my_id(&follower).await.unwrap(), BOT_ID, "on the shared key");
    let bound = |events: &mut mpsc::UnboundedReceiver<PoolEvent>| {
        let mut keys = Vec::new();
        while let Ok(e) = events.try_recv() {
            if let (0, SenderEvent::TempKeyBound { temp_key_id, .. }) = (e.index, e.event) {
                keys.push(temp_key_id);
            }
        }
        keys
    };
    let first = bound(&mut events);
    assert_eq!(first.len(), 1, "one key so far: {first:?}");
    let perm = lead.auth_key().borrow().as_ref().map(|k| k.id());

    // The follower's next call waits at the server until the primary binds the next key.
    server.faults().hold_until_rebind("users.getUsers", 1);
    let call = tokio::spawn({
        let follower = follower.clone();
        async move { my_id(&follower).await }
    });
    let answer = tokio::time::timeout(Duration::from_secs(30), call)
        .await
        .expect("answered in time")
        .expect("the task ran");
    assert_eq!(server.faults().rebind_holds_left("users.getUsers"), 0);
    assert_eq!(
        answer.expect("sent again under the new key, not failed"),
        BOT_ID
    );
    let next = bound(&mut events);
    assert_eq!(next.len(), 1, "the primary bound one more key: {next:?}");
    assert_ne!(next[0], first[0]);
    assert_eq!(server.temp_key_binding(next[0]), Some(perm));
    assert_eq!(server.temp_key_binding(first[0]), Some(None), "unbound");
    // Both connections carry on under the new key.
    assert_eq!(my_id(&follower).await.unwrap(), BOT_ID);
    assert_eq!(my_id(&lead).await.unwrap(), BOT_ID);
    pool.shutdown().await;
}
