//! A small MTProto server for the sender's tests and benchmark: `server::accept` for the
//! transport (and MTProxy secrets), the mtproto crate's server role for the auth-key exchange and
//! the encrypted session, and a handful of API methods. Knobs inject the faults a real network
//! has: connections dropped mid-request, slow answers, a server gone silent, a forgotten key.
//!
//! Like Telegram, a session outlives its connections: it is keyed by (auth key, session id), so
//! answers queued while a client was away go out on its next connection.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tgwire_crypto::rsa::{RsaPrivateKey, RsaPublicKey};
use tgwire_crypto::{decrypt_message, AuthKey, Side};
use tgwire_mtproto::auth::server as auth;
use tgwire_mtproto::{
    Instant, Limits, MsgId, SaltSchedule, ServerConfig, ServerEvent, ServerSession,
};
use tgwire_net::server::{accept, AcceptOptions};
use tgwire_net::{Decoded, MtProxySecret, Transport};
use tgwire_tl_types::{
    enums, functions, types, Deserializable, DeserializeError, Identifiable, Reader, Serializable,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};

pub const RSA_PEM: &str = include_str!("../../testdata/test_rsa_key.pem");

/// Answer for `help.getConfig`, to test typed RPC errors.
pub const FLOOD: (i32, &str) = (420, "FLOOD_WAIT_7");

/// Fault injection and counters, shared by every connection of one server.
#[derive(Default)]
pub struct Knobs {
    /// Answers wait this long (milliseconds).
    pub delay_ms: AtomicU64,
    /// Read and drop everything, answer nothing, keep the socket open.
    pub silent: AtomicBool,
    /// Close the connection when the n-th request (1-based, counted over the server's life)
    /// arrives, after queueing its answer: the answer is lost with the connection and must
    /// reach the client after it reconnects.
    pub drop_after_answering: Mutex<Vec<usize>>,
    /// Close the connection when the n-th encrypted packet arrives, without reading it.
    pub drop_unread_packet: Mutex<Vec<usize>>,
    /// Encrypted packets received.
    pub packets: AtomicUsize,
    /// RPC queries handed to the method handlers.
    pub requests: AtomicUsize,
    /// Queries that came wrapped in invokeWithLayer(initConnection).
    pub init_wrapped: AtomicUsize,
    /// The api_id of the last initConnection.
    pub last_api_id: AtomicU64,
    /// TCP connections accepted and identified.
    pub connections: AtomicUsize,
    /// Auth keys created.
    pub keys_created: AtomicUsize,
    /// Bytes received through upload.saveFilePart.
    pub uploaded: AtomicUsize,
    /// Record every request in `seen` and every container in `containers` (off by default:
    /// the benchmark should not pay for it).
    pub record: AtomicBool,
    /// Requests received, in order (when `record` is on).
    pub seen: Mutex<Vec<SeenRequest>>,
    /// The msg_ids inside each container received, in order (when `record` is on).
    pub containers: Mutex<Vec<Vec<i64>>>,
}

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub msg_id: i64,
    /// The msg_ids of its `invokeAfterMsgs` wrapper (empty without one).
    pub after: Vec<i64>,
    /// The query inside every wrapper.
    pub query: Vec<u8>,
}

const INVOKE_AFTER_MSGS: u32 = 0x3dc4_b4f0;
const MSG_CONTAINER: u32 = 0x73f1_f8dc;

/// Splits `invokeAfterMsgs(ids, query)` into its ids and query; other bodies pass through.
pub fn split_after(body: &[u8]) -> (Vec<i64>, &[u8]) {
    if ctor(body) != INVOKE_AFTER_MSGS || body.len() < 12 {
        return (Vec::new(), body);
    }
    let n = u32::from_le_bytes(body[8..12].try_into().unwrap()) as usize;
    let ids = (0..n)
        .map(|i| i64::from_le_bytes(body[12 + 8 * i..20 + 8 * i].try_into().unwrap()))
        .collect();
    (ids, &body[12 + 8 * n..])
}

/// The msg_ids inside a packet's container, if its body is one.
fn container_ids(key: &AuthKey, packet: &[u8]) -> Option<Vec<i64>> {
    let mut plain = Vec::new();
    decrypt_message(key, Side::Client, packet, &mut plain).ok()?;
    let len = u32::from_le_bytes(plain.get(28..32)?.try_into().ok()?) as usize;
    let body = plain.get(32..32 + len)?;
    if ctor(body) != MSG_CONTAINER {
        return None;
    }
    let count = u32::from_le_bytes(body.get(4..8)?.try_into().ok()?);
    let mut at = 8;
    let mut ids = Vec::new();
    for _ in 0..count {
        ids.push(i64::from_le_bytes(body.get(at..at + 8)?.try_into().ok()?));
        let len = u32::from_le_bytes(body.get(at + 12..at + 16)?.try_into().ok()?) as usize;
        at += 16 + len;
    }
    Some(ids)
}

struct Slot {
    key_id: i64,
    session: Mutex<ServerSession>,
    /// Something was queued on the session outside a connection's loop (a delayed answer).
    wake: Notify,
    /// The connection that last heard from this session; only it transmits.
    conn: AtomicU64,
}

struct State {
    rsa: RsaPrivateKey,
    keys: Mutex<HashMap<i64, AuthKey>>,
    slots: Mutex<HashMap<(i64, i64), Arc<Slot>>>,
    knobs: Arc<Knobs>,
    next_conn: AtomicU64,
}

pub struct MtServer {
    pub addr: SocketAddr,
    pub knobs: Arc<Knobs>,
    pub rsa_public: RsaPublicKey,
    state: Arc<State>,
}

impl MtServer {
    /// A server on a loopback port; with `secret` it is also an MTProxy (and only accepts
    /// clients that use it).
    pub async fn start(secret: Option<MtProxySecret>) -> MtServer {
        let rsa = RsaPrivateKey::from_pkcs1_pem(RSA_PEM).unwrap();
        let rsa_public = rsa.public_key().clone();
        let knobs = Arc::new(Knobs::default());
        let state = Arc::new(State {
            rsa,
            keys: Mutex::new(HashMap::new()),
            slots: Mutex::new(HashMap::new()),
            knobs: knobs.clone(),
            next_conn: AtomicU64::new(1),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let options = AcceptOptions {
            secret,
            ..AcceptOptions::default()
        };
        let st = state.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let _ = tcp.set_nodelay(true);
                let st = st.clone();
                let options = options.clone();
                tokio::spawn(async move {
                    if let Ok(accepted) = accept(tcp, &options).await {
                        st.knobs.connections.fetch_add(1, Ordering::SeqCst);
                        serve(st, accepted).await;
                    }
                });
            }
        });
        MtServer {
            addr,
            knobs,
            rsa_public,
            state,
        }
    }

    /// Sends an update to every session.
    pub fn push_update(&self, body: Vec<u8>) {
        for slot in self.state.slots.lock().unwrap().values() {
            slot.session.lock().unwrap().push(body.clone());
            slot.wake.notify_one();
        }
    }

    /// Forgets every auth key, as a server that lost its state (clients get -404).
    pub fn forget_keys(&self) {
        self.state.keys.lock().unwrap().clear();
        self.state.slots.lock().unwrap().clear();
    }

    /// Number of client sessions seen.
    pub fn sessions(&self) -> usize {
        self.state.slots.lock().unwrap().len()
    }
}

fn now() -> Instant {
    Instant::from_unix_duration(SystemTime::now().duration_since(UNIX_EPOCH).unwrap())
}

// One per connection, short-lived: size does not matter.
#[allow(clippy::large_enum_variant)]
enum Handshake {
    ReqPq(auth::ExpectReqPq),
    ReqDh(auth::ExpectReqDhParams),
    ClientDh(auth::ExpectClientDh),
}

async fn serve(state: Arc<State>, accepted: tgwire_net::server::Accepted) {
    let conn_id = state.next_conn.fetch_add(1, Ordering::SeqCst);
    let tgwire_net::server::Accepted {
        stream,
        mut transport,
        buffered,
        ..
    } = accepted;
    let (mut reader, mut writer) = tokio::io::split(stream);
    // A separate writer, so this loop never stops reading while the client is slow to read.
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<Vec<u8>>();
    let writer_task = tokio::spawn(async move {
        while let Some(bytes) = out_rx.recv().await {
            if writer.write_all(&bytes).await.is_err() || writer.flush().await.is_err() {
                return;
            }
        }
    });
    let mut rng = StdRng::from_entropy();
    let mut buf = buffered;
    let mut handshake: Option<Handshake> = None;
    let mut slot: Option<Arc<Slot>> = None;
    let knobs = state.knobs.clone();
    let send = |transport: &mut tgwire_net::AnyTransport, payload: &[u8]| {
        let mut framed = Vec::with_capacity(payload.len() + 64);
        transport.encode(payload, &mut framed).unwrap();
        let _ = out_tx.send(framed);
    };
    'conn: loop {
        // Whole frames first.
        loop {
            let (payload, consumed) = match transport.decode(&mut buf) {
                Ok(Decoded::Frame { payload, consumed }) => (payload, consumed),
                Ok(Decoded::NeedMore(_)) => break,
                Err(_) => break 'conn,
            };
            let packet = trim(&buf[payload]).to_vec();
            buf.drain(..consumed);
            if knobs.silent.load(Ordering::SeqCst) {
                continue;
            }
            let key_id = i64::from_le_bytes(packet[..8].try_into().unwrap());
            if key_id == 0 {
                let mut out = Vec::new();
                let t = now();
                let next = match handshake.take() {
                    None | Some(Handshake::ReqPq(_)) => auth::ExpectReqPq::new(auth::Config {
                        keys: vec![state.rsa.clone()],
                    })
                    .handle(t, &packet, &mut rng, &mut out)
                    .map(Handshake::ReqDh),
                    Some(Handshake::ReqDh(s)) => s
                        .handle(t, &packet, &mut rng, &mut out)
                        .map(Handshake::ClientDh),
                    Some(Handshake::ClientDh(s)) => match s.handle(&packet) {
                        Ok(decision) => {
                            let done = decision.accept(t, &mut out);
                            state
                                .keys
                                .lock()
                                .unwrap()
                                .insert(done.auth_key.id(), done.auth_key);
                            knobs.keys_created.fetch_add(1, Ordering::SeqCst);
                            send(&mut transport, &out);
                            continue;
                        }
                        Err(e) => Err(e),
                    },
                };
                match next {
                    Ok(h) => {
                        handshake = Some(h);
                        send(&mut transport, &out);
                    }
                    Err(_) => break 'conn,
                }
                continue;
            }
            let n = knobs.packets.fetch_add(1, Ordering::SeqCst) + 1;
            if take(&knobs.drop_unread_packet, n) {
                break 'conn;
            }
            let Some(key) = state.keys.lock().unwrap().get(&key_id).cloned() else {
                send(&mut transport, &(-404i32).to_le_bytes());
                continue;
            };
            let record = knobs.record.load(Ordering::SeqCst);
            if record {
                if let Some(ids) = container_ids(&key, &packet) {
                    knobs.containers.lock().unwrap().push(ids);
                }
            }
            // A connection carries one client session: find it from the first packet (peeking
            // at the decrypted session id), then keep it. The session role itself handles a
            // client that switches session ids later.
            let s = match &slot {
                Some(s) if s.key_id == key_id => s.clone(),
                _ => {
                    let mut plain = Vec::new();
                    if decrypt_message(&key, Side::Client, &packet, &mut plain).is_err() {
                        continue;
                    }
                    let session_id = i64::from_le_bytes(plain[8..16].try_into().unwrap());
                    state
                        .slots
                        .lock()
                        .unwrap()
                        .entry((key_id, session_id))
                        .or_insert_with(|| {
                            Arc::new(Slot {
                                key_id,
                                session: Mutex::new(ServerSession::new(
                                    key,
                                    SaltSchedule::new([9; 32], 3600),
                                    ServerConfig {
                                        resend_after: Duration::from_millis(500),
                                        // Answers are test data; compressing them would only
                                        // make the benchmark measure deflate.
                                        limits: Limits {
                                            gzip_threshold: usize::MAX,
                                            ..Limits::default()
                                        },
                                        ..ServerConfig::default()
                                    },
                                    rng.gen(),
                                )),
                                wake: Notify::new(),
                                conn: AtomicU64::new(0),
                            })
                        })
                        .clone()
                }
            };
            s.conn.store(conn_id, Ordering::SeqCst);
            let mut drop_now = false;
            {
                let mut session = s.session.lock().unwrap();
                let _ = session.handle_incoming(now(), &packet);
                while let Some(event) = session.poll_event() {
                    if let ServerEvent::Request { msg_id, body } = event {
                        let n = knobs.requests.fetch_add(1, Ordering::SeqCst) + 1;
                        // This server runs requests in arrival order, which satisfies any
                        // invokeAfterMsgs a client can send.
                        let (after, query) = split_after(&body);
                        if record {
                            knobs.seen.lock().unwrap().push(SeenRequest {
                                msg_id: msg_id.0,
                                after,
                                query: unwrap_init(query),
                            });
                        }
                        let reply = answer(&knobs, query);
                        let delay = knobs.delay_ms.load(Ordering::SeqCst);
                        if delay == 0 {
                            reply.apply(&mut session, msg_id);
                        } else {
                            let s2 = s.clone();
                            tokio::spawn(async move {
                                tokio::time::sleep(Duration::from_millis(delay)).await;
                                reply.apply(&mut s2.session.lock().unwrap(), msg_id);
                                s2.wake.notify_one();
                            });
                        }
                        if take(&knobs.drop_after_answering, n) {
                            drop_now = true;
                        }
                    }
                }
            }
            if drop_now {
                break 'conn;
            }
            slot = Some(s);
        }
        // Then whatever the session wants to send.
        if let Some(s) = &slot {
            if s.conn.load(Ordering::SeqCst) == conn_id && !knobs.silent.load(Ordering::SeqCst) {
                let mut session = s.session.lock().unwrap();
                let mut packet = Vec::new();
                while session.poll_transmit(now(), &mut packet) {
                    send(&mut transport, &packet);
                    packet.clear();
                }
            }
        }
        let wake_at = slot
            .as_ref()
            .and_then(|s| s.session.lock().unwrap().poll_timeout());
        let sleep = match wake_at {
            Some(t) => t.saturating_duration_since(now()),
            None => Duration::from_secs(3600),
        };
        let notified = async {
            match &slot {
                Some(s) => s.wake.notified().await,
                None => std::future::pending().await,
            }
        };
        buf.reserve(64 * 1024);
        tokio::select! {
            read = reader.read_buf(&mut buf) => {
                if matches!(read, Ok(0) | Err(_)) {
                    break 'conn;
                }
            }
            () = notified => {}
            () = tokio::time::sleep(sleep) => {
                if let Some(s) = &slot {
                    s.session.lock().unwrap().handle_timeout(now());
                }
            }
        }
    }
    writer_task.abort();
}

/// Removes `n` from the list if present.
fn take(list: &Mutex<Vec<usize>>, n: usize) -> bool {
    let mut list = list.lock().unwrap();
    match list.iter().position(|&x| x == n) {
        Some(i) => {
            list.swap_remove(i);
            true
        }
        None => false,
    }
}

/// Strips padded-intermediate padding (see the sender's `mtproto_packet`).
fn trim(p: &[u8]) -> &[u8] {
    if p.len() >= 20 && p[..8] == [0; 8] {
        let len = 20 + u32::from_le_bytes(p[16..20].try_into().unwrap()) as usize;
        &p[..len.min(p.len())]
    } else if p.len() > 24 {
        &p[..24 + (p.len() - 24) / 16 * 16]
    } else {
        p
    }
}

enum Reply {
    Ok(Vec<u8>),
    Err(i32, &'static str),
}

impl Reply {
    fn apply(self, session: &mut ServerSession, msg_id: MsgId) {
        match self {
            Reply::Ok(body) => session.respond(msg_id, body),
            Reply::Err(code, name) => session.respond_error(msg_id, code, name),
        };
    }
}

/// The rest of the input, whatever it is.
struct Rest(Vec<u8>);

impl Deserializable for Rest {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        Ok(Rest(r.read_rest().to_vec()))
    }
}

fn ctor(body: &[u8]) -> u32 {
    body.get(..4)
        .map_or(0, |b| u32::from_le_bytes(b.try_into().unwrap()))
}

/// The query inside `invokeWithLayer(initConnection(query))`, or `body` itself.
fn unwrap_init(body: &[u8]) -> Vec<u8> {
    if ctor(body) == functions::InvokeWithLayer::<Rest>::CONSTRUCTOR_ID {
        if let Ok(w) =
            functions::InvokeWithLayer::<functions::InitConnection<Rest>>::from_bytes(body)
        {
            return w.query.query.0;
        }
    }
    body.to_vec()
}

/// The API methods this server knows.
fn answer(knobs: &Knobs, body: &[u8]) -> Reply {
    let mut body = body.to_vec();
    if ctor(&body) == functions::InvokeWithLayer::<Rest>::CONSTRUCTOR_ID {
        let Ok(wrapped) =
            functions::InvokeWithLayer::<functions::InitConnection<Rest>>::from_bytes(&body)
        else {
            return Reply::Err(400, "CONNECTION_LAYER_INVALID");
        };
        knobs.init_wrapped.fetch_add(1, Ordering::SeqCst);
        knobs
            .last_api_id
            .store(wrapped.query.api_id as u64, Ordering::SeqCst);
        body = wrapped.query.query.0;
    }
    match ctor(&body) {
        functions::help::GetNearestDc::CONSTRUCTOR_ID => Reply::Ok(
            enums::NearestDc::from(types::NearestDc {
                country: "ZZ".into(),
                this_dc: 2,
                nearest_dc: 2,
            })
            .to_bytes(),
        ),
        functions::upload::GetFile::CONSTRUCTOR_ID => {
            let Ok(req) = functions::upload::GetFile::from_bytes(&body) else {
                return Reply::Err(400, "LIMIT_INVALID");
            };
            let limit = usize::try_from(req.limit).unwrap_or(0).min(1 << 20);
            Reply::Ok(
                enums::upload::File::from(types::upload::File {
                    r#type: enums::storage::FileType::FilePartial,
                    mtime: 0,
                    bytes: file_bytes(req.offset, limit).into(),
                })
                .to_bytes(),
            )
        }
        functions::upload::SaveFilePart::CONSTRUCTOR_ID => {
            let Ok(req) = functions::upload::SaveFilePart::from_bytes(&body) else {
                return Reply::Err(400, "FILE_PART_INVALID");
            };
            knobs.uploaded.fetch_add(req.bytes.len(), Ordering::SeqCst);
            Reply::Ok(true.to_bytes())
        }
        functions::help::GetConfig::CONSTRUCTOR_ID => Reply::Err(FLOOD.0, FLOOD.1),
        _ => Reply::Err(400, "METHOD_INVALID"),
    }
}

/// The content of the fake file at `offset`: each 8-byte word is its own offset, so a client
/// can tell which request an answer belongs to.
pub fn file_bytes(offset: i64, limit: usize) -> Vec<u8> {
    (0..limit / 8)
        .flat_map(|i| (offset + 8 * i as i64).to_le_bytes())
        .collect()
}
