//! The client end of an encrypted session.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use rand::Rng;
use tgwire_crypto::{AuthKey, Opening, Side};

use super::answer::Answer;
use super::bind::Binding;
use super::core::{Core, Limits, Outgoing, Randomness, Sent, SentKind, Tag, MAX_IDS_PER_MESSAGE};
use crate::error::{DecodeError, SessionError};
use crate::msg_id::MsgId;
use crate::rpc_error::RpcError;
use crate::salts::Salts;
use crate::service::{self, id, Service};
use crate::time::{Instant, MaybeInstant};
use crate::window::{freshness, Freshness};

/// Identifies a request for its whole life, across the msg_ids it is sent (and resent) under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// How a request is sent.
#[derive(Clone, Debug)]
pub struct RequestOptions {
    /// Requests the server must finish first: the body is wrapped in `invokeAfterMsgs` with
    /// their current msg_ids (those already answered are left out).
    pub after: Vec<RequestId>,
    /// Allow `gzip_packed` when the body is large and compresses.
    pub gzip: bool,
}

impl Default for RequestOptions {
    fn default() -> Self {
        Self {
            after: Vec::new(),
            gzip: true,
        }
    }
}

/// Why a request ended without an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// Resent [`ClientConfig::max_resends`] times without an answer (resends forced by
    /// [`Session::handle_reconnect`] do not count).
    TooManyResends,
    /// Cancelled by [`Session::cancel`].
    Cancelled,
    /// The server refused the message with a `bad_msg_notification` code that resending
    /// cannot fix (18, 34, 35, 64 after a resend).
    Rejected {
        /// The notification's error code.
        code: i32,
    },
}

/// What happened on the session; drain with [`Session::poll_event`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// The answer to a request (the `rpc_result` body, already un-gzipped).
    Response {
        /// The request.
        request: RequestId,
        /// The TL-serialized result (a large one left in the buffer it was decrypted into).
        body: Answer,
    },
    /// The server answered a request with `rpc_error`.
    RpcError {
        /// The request.
        request: RequestId,
        /// The parsed error.
        error: RpcError,
    },
    /// The server refused `request` with `401 AUTH_KEY_PERM_EMPTY`: the temporary key it went
    /// out under is not bound to a permanent key (any more; on Telegram, binding another
    /// temporary key to the permanent key unbinds this one). The server did not run it. On a
    /// session marked [`temporary`](Session::set_temporary) the request is held, not ended: it
    /// goes out again after the next [`Session::rekey`] (three times at most; then the error
    /// reaches the caller).
    /// The owner should move the session onto a newly bound key.
    KeyUnbound {
        /// The request held back.
        request: RequestId,
    },
    /// A request ended without an answer.
    Dropped {
        /// The request.
        request: RequestId,
        /// Why.
        reason: DropReason,
    },
    /// A message from the server that is neither a service message nor a result: an update.
    Update {
        /// Its TL-serialized body (un-gzipped).
        body: Vec<u8>,
    },
    /// The salt in use changed; persist it to skip a `bad_server_salt` round trip next time.
    SaltChanged {
        /// The new salt.
        salt: i64,
    },
    /// The clock correction changed after a `bad_msg_notification` 16/17.
    TimeOffsetChanged {
        /// Server time minus local time, in seconds.
        offset: i32,
    },
    /// The server started a new session for us: updates may have been missed, so the client
    /// should fetch the difference.
    NewSessionCreated {
        /// The first message the server handled in the new session.
        first_msg_id: MsgId,
        /// The server's id for the new session.
        unique_id: i64,
    },
    /// We moved to a new session id (after `bad_msg_notification` 32/33); unanswered requests
    /// are resent in it.
    SessionReset {
        /// The new session id.
        session_id: i64,
    },
    /// The answer to [`Session::ping`].
    Pong {
        /// The ping's id.
        ping_id: i64,
    },
    /// The answer to [`Session::destroy_session`].
    SessionDestroyed {
        /// The session that was to be destroyed.
        session_id: i64,
        /// `false` if the server did not know it (`destroy_session_none`).
        existed: bool,
    },
    /// A packet or message was refused; the session carries on.
    Error(SessionError),
}

/// Client session tunables. `Default` suits Telegram.
#[derive(Clone, Debug)]
pub struct ClientConfig {
    /// Packing, padding, gzip and ack limits.
    pub limits: Limits,
    /// An unacknowledged request is resent after this long.
    pub resend_after: Duration,
    /// An acknowledged but unanswered request has its state queried (`msgs_state_req`) after
    /// this long.
    pub state_check_after: Duration,
    /// Resends before a request is dropped with [`DropReason::TooManyResends`].
    pub max_resends: u32,
    /// Ask for more salts (`get_future_salts`) when the known ones run out within this.
    pub salt_refresh_margin: Duration,
    /// How many salts to ask for (the server gives at most 64). Telegram's last an hour
    /// each, so the default 4 is a request every three and a half hours or so (a few dozen
    /// bytes each way), and 64 bytes kept in every session: a parked client's connections
    /// are idle sessions, where salts kept for longer would be a good part of their memory.
    pub future_salts: i32,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            resend_after: Duration::from_secs(10),
            state_check_after: Duration::from_secs(30),
            max_resends: 5,
            salt_refresh_margin: Duration::from_secs(30 * 60),
            future_salts: 4,
        }
    }
}

/// The age beyond which a request is resent under a new id rather than its old one: the
/// server refuses ids older than 300 s, so leave a margin for the network.
const REUSE_ID_MAX_AGE: Duration = Duration::from_secs(240);
/// How many times one request is held back for a temporary key that was not bound (see
/// [`Event::KeyUnbound`]) before the error reaches its caller.
const MAX_UNBOUND_HOLDS: u8 = 3;

/// Answers at least this large are handed out in the buffer they were decrypted into rather
/// than copied (see [`Answer`]): for a file part the copy, into freshly faulted memory, cost
/// about as much as opening the packet's AES-IGE did. Smaller ones are copied, and the buffer
/// is kept for the next packet.
const LEND_FROM: usize = 32 * 1024;
/// Wait at least this long between two `get_future_salts`.
const SALT_REQUEST_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Clone, Debug)]
enum State {
    /// Waiting in the queue for a msg_id.
    Queued,
    /// Sent under `msg_id` at `first_sent` (the id's birth; resends under the same id keep it).
    Sent {
        msg_id: i64,
        first_sent: Instant,
        acked: bool,
        deadline: Instant,
    },
}

#[derive(Clone, Debug)]
struct Request {
    body: Vec<u8>,
    opts: RequestOptions,
    state: State,
    resends: u32,
    /// The next resend is owed to a replaced connection, not to a silent server, and does not
    /// count toward [`ClientConfig::max_resends`].
    free_resend: bool,
    /// For `auth.bindTempAuthKey`: the body is built at packing time from the msg_id.
    binding: Option<Box<Binding>>,
    /// Every msg_id this request was sent under, so a late answer to an old one still counts.
    msg_ids: Vec<i64>,
    /// Times it was refused for an unbound temporary key and held for the next one.
    unbound: u8,
}

impl Request {
    /// Counts one resend; `true` once the request has been resent more than `max` times.
    fn count_resend(&mut self, max: u32) -> bool {
        if std::mem::take(&mut self.free_resend) {
            return false;
        }
        self.resends += 1;
        self.resends > max
    }
}

/// A map keyed by ids this session assigns (request ids, its own msg ids): hashed with
/// SipHash under fixed keys instead of `RandomState`'s per-map random ones, which would be 16
/// bytes more in each map of every idle connection. No peer chooses what is inserted, so
/// predictable hashes cost nothing here.
type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<DefaultHasher>>;

/// The client end of an MTProto 2.0 encrypted session.
///
/// # Driving it
///
/// The session never performs I/O or reads a clock. Its owner calls, in a loop:
///
/// 1. **Commands** — [`enqueue`](Self::enqueue) a request, [`cancel`](Self::cancel) one,
///    [`ping`](Self::ping), [`destroy_session`](Self::destroy_session). These only queue work.
/// 2. **`handle_*`** — [`handle_incoming`](Self::handle_incoming) with each packet the
///    transport delivers (auth_key_id ‖ msg_key ‖ encrypted data; or
///    [`handle_incoming_many`](Self::handle_incoming_many) with several that arrived together),
///    and [`handle_timeout`](Self::handle_timeout) when the instant from `poll_timeout` has passed.
/// 3. **`poll_*`**, until each returns nothing: [`poll_transmit`](Self::poll_transmit) to get
///    packets to write, [`poll_event`](Self::poll_event) for answers and notices, and finally
///    [`poll_timeout`](Self::poll_timeout) for when to wake the session next.
///
/// `now` is wall-clock time supplied by the caller; randomness comes from the seed given to
/// [`Session::new`]. Every request ends in exactly one of [`Event::Response`],
/// [`Event::RpcError`] or [`Event::Dropped`].
pub struct Session {
    core: Core,
    salts: Salts,
    /// Shared by the sessions of a process's connections (it is read-only), so that each of
    /// many idle connections does not keep a copy.
    cfg: Arc<ClientConfig>,
    /// Requests, queued messages and events: nothing while the session is idle.
    work: WorkSlot,
    next_request: u64,
    salts_requested: MaybeInstant,
    /// The `auth.bindTempAuthKey` request other requests wait for (it stays set, holding them
    /// back, if the binding fails, until [`Session::rekey`] or a new binding).
    binding: BindingSlot,
    /// The key is temporary (PFS): requests refused for an unbound key are held, not ended.
    temporary: bool,
}

/// The binding request other requests wait for: an `Option<RequestId>` in 8 bytes rather
/// than 16 (every session has one, most never use it). Request ids count up from 0 and never
/// reach `u64::MAX`, which stands for `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BindingSlot(u64);

impl BindingSlot {
    const NONE: BindingSlot = BindingSlot(u64::MAX);

    fn get(self) -> Option<RequestId> {
        (self.0 != u64::MAX).then_some(RequestId(self.0))
    }

    /// Sets the slot to `id`; returns what it held.
    fn set(&mut self, id: Option<RequestId>) -> Option<RequestId> {
        let old = self.get();
        self.0 = id.map_or(u64::MAX, |r| r.0);
        old
    }
}

/// What a session holds only while it has something to do.
#[derive(Default)]
struct Work {
    requests: IdMap<RequestId, Request>,
    by_msg_id: IdMap<i64, RequestId>,
    queue: VecDeque<Outgoing>,
    events: VecDeque<Event>,
    /// Requests held for the next key (see [`Event::KeyUnbound`]), in the order refused.
    held: Vec<RequestId>,
    /// The buffer of the packet being handled (address, length), while it may be lent.
    rx: (usize, usize),
    /// A large answer left in that buffer: its event's position in `events`, and where its
    /// bytes are in the buffer.
    lent: Option<(usize, Range<usize>)>,
}

impl Work {
    const EMPTY: Work = Work {
        requests: HashMap::with_hasher(BuildHasherDefault::new()),
        by_msg_id: HashMap::with_hasher(BuildHasherDefault::new()),
        queue: VecDeque::new(),
        events: VecDeque::new(),
        held: Vec::new(),
        rx: (0, 0),
        lent: None,
    };

    fn is_empty(&self) -> bool {
        self.requests.is_empty()
            && self.by_msg_id.is_empty()
            && self.queue.is_empty()
            && self.events.is_empty()
            && self.held.is_empty()
    }
}

/// What an idle session reads its [`Work`] from.
static NO_WORK: Work = Work::EMPTY;

/// A session's [`Work`], boxed and made on the first change: an idle session (most of a
/// parked client's connections, all of their life but a few moments) then holds one pointer
/// instead of five empty collections, 152 bytes in every connection's task. Reading an idle
/// session's work reads [`NO_WORK`]; [`Session::shrink_buffers`] gives the box back.
struct WorkSlot(Option<Box<Work>>);

impl std::ops::Deref for WorkSlot {
    type Target = Work;

    fn deref(&self) -> &Work {
        self.0.as_deref().unwrap_or(&NO_WORK)
    }
}

impl std::ops::DerefMut for WorkSlot {
    fn deref_mut(&mut self) -> &mut Work {
        self.0.get_or_insert_with(Box::default)
    }
}

impl Session {
    /// A session over `auth_key`, starting with `salt` (0 if unknown: the server then answers
    /// `bad_server_salt` with a good one) and the clock correction `time_offset` (seconds).
    /// `seed` feeds every random choice: session id, padding, ping ids. `config` may be an
    /// `Arc<ClientConfig>` shared with other sessions.
    pub fn new(
        auth_key: AuthKey,
        salt: i64,
        time_offset: i32,
        config: impl Into<Arc<ClientConfig>>,
        seed: [u8; 32],
    ) -> Self {
        let config = config.into();
        let mut rng = Randomness::new(seed);
        let session_id = rng.rng().gen();
        Self {
            core: Core::new(
                Side::Client,
                auth_key,
                session_id,
                time_offset,
                rng,
                &config.limits,
            ),
            salts: Salts::new(salt),
            cfg: config,
            work: WorkSlot(None),
            next_request: 0,
            salts_requested: MaybeInstant::NONE,
            binding: BindingSlot::NONE,
            temporary: false,
        }
    }

    /// The current session id.
    pub fn session_id(&self) -> i64 {
        self.core.session_id
    }

    /// The salt outgoing messages carry.
    pub fn salt(&self) -> i64 {
        self.salts.current()
    }

    /// Server time minus local time, in seconds.
    pub fn time_offset(&self) -> i32 {
        self.core.ids.time_offset()
    }

    /// The authorization key.
    pub fn auth_key(&self) -> &AuthKey {
        &self.core.auth_key
    }

    /// Requests that have not ended yet (those [held](Event::KeyUnbound) for the next key
    /// included).
    pub fn pending_requests(&self) -> usize {
        self.work.requests.len()
    }

    /// Requests held for the next temporary key (see [`Event::KeyUnbound`]): they wait for
    /// [`Self::rekey`], not for the server.
    pub fn held_requests(&self) -> usize {
        self.work.held.len()
    }

    /// Gives back memory that only busy periods need: empty request and message tables and
    /// queues, the scratch buffers of sealing and opening packets. Meant for an owner whose
    /// session went quiet (no request pending), since most sessions spend most of their life
    /// idle; the next request allocates them again. Changes nothing the session does.
    pub fn shrink_buffers(&mut self) {
        if let Some(work) = self.work.0.as_mut() {
            if work.is_empty() {
                self.work.0 = None;
            } else {
                if work.requests.is_empty() {
                    work.requests = IdMap::default();
                }
                if work.by_msg_id.is_empty() {
                    work.by_msg_id = IdMap::default();
                }
                if work.queue.is_empty() {
                    work.queue = VecDeque::new();
                }
                if work.events.is_empty() {
                    work.events = VecDeque::new();
                }
                if work.held.is_empty() {
                    work.held = Vec::new();
                }
            }
        }
        self.core.shrink_buffers();
    }

    /// Marks the session's key as temporary (perfect forward secrecy) or not. On a temporary
    /// key, a request the server refuses with `401 AUTH_KEY_PERM_EMPTY` (the key is not bound,
    /// so the request did not run) is held for the next key ([`Event::KeyUnbound`]) instead of
    /// ending with [`Event::RpcError`]. Off by default.
    pub fn set_temporary(&mut self, temporary: bool) {
        self.temporary = temporary;
    }

    /// The msg_id `request` was last sent under, if it was sent and has not ended.
    pub fn msg_id_of(&self, request: RequestId) -> Option<MsgId> {
        match self.work.requests.get(&request)?.state {
            State::Sent { msg_id, .. } => Some(MsgId(msg_id)),
            State::Queued => None,
        }
    }

    /// Queues a TL-serialized RPC query. The msg_id is chosen at transmit time (and changes if
    /// the request has to be resent), so the request is identified by the returned id.
    pub fn enqueue(&mut self, body: Vec<u8>) -> RequestId {
        self.enqueue_with(body, RequestOptions::default())
    }

    /// [`Self::enqueue`] with options (ordering after other requests, gzip).
    pub fn enqueue_with(&mut self, body: Vec<u8>, opts: RequestOptions) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.work.requests.insert(
            id,
            Request {
                body,
                opts,
                state: State::Queued,
                resends: 0,
                free_resend: false,
                binding: None,
                msg_ids: Vec::new(),
                unbound: 0,
            },
        );
        self.work
            .queue
            .push_back(Outgoing::new(Vec::new(), Tag::Request(id.0), false));
        id
    }

    /// Queues `auth.bindTempAuthKey`, binding this session's (temporary) key to `perm_key`
    /// until `expires_at` (server Unix time), for perfect forward secrecy.
    ///
    /// The request's body carries its own msg_id and session id inside a message encrypted with
    /// `perm_key` (MTProto 1.0), so it is built when packed, and rebuilt whenever it is resent
    /// under a new id. It goes out before everything already queued, and no other request is
    /// sent until it is answered with success: the server refuses most calls under an unbound
    /// temporary key. If it fails, requests stay held back until [`Self::rekey`] or another
    /// binding. Its outcome is an ordinary [`Event::Response`] (`boolTrue`) or
    /// [`Event::RpcError`] for the returned id.
    pub fn enqueue_bind_temp_key(
        &mut self,
        perm_key: &AuthKey,
        nonce: i64,
        expires_at: i32,
    ) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.work.requests.insert(
            id,
            Request {
                body: Vec::new(),
                opts: RequestOptions {
                    after: Vec::new(),
                    gzip: false,
                },
                state: State::Queued,
                resends: 0,
                free_resend: false,
                binding: Some(Box::new(Binding {
                    perm_key: perm_key.clone(),
                    nonce,
                    expires_at,
                })),
                msg_ids: Vec::new(),
                unbound: 0,
            },
        );
        self.work
            .queue
            .push_front(Outgoing::new(Vec::new(), Tag::Request(id.0), false));
        if let Some(old) = self.binding.set(Some(id)) {
            self.drop_request(old, DropReason::Cancelled);
        }
        id
    }

    /// Moves the session onto a new authorization key (a fresh temporary key, for PFS), starting
    /// with `salt`. The session id changes; every request not yet answered is sent again under
    /// the new key (without counting as a resend), so nothing queued or in flight is lost. A
    /// pending binding is cancelled ([`DropReason::Cancelled`]) and requests are no longer held
    /// back for it: queue the new key's binding right after this call.
    pub fn rekey(&mut self, auth_key: AuthKey, salt: i64) {
        if let Some(old) = self.binding.set(None) {
            self.drop_request(old, DropReason::Cancelled);
        }
        self.core.auth_key = auth_key;
        self.salts = Salts::new(salt);
        self.salts_requested = MaybeInstant::NONE;
        self.reset_session();
        // Refused for the old key without running: they go out again under this one.
        for request in std::mem::take(&mut self.work.held) {
            if self.work.requests.contains_key(&request) {
                self.work.queue.push_back(Outgoing::new(
                    Vec::new(),
                    Tag::Request(request.0),
                    false,
                ));
            }
        }
    }

    /// Ends `request` without an answer, if it is still running.
    fn drop_request(&mut self, request: RequestId, reason: DropReason) {
        if self.work.requests.contains_key(&request) {
            self.finish(request);
            self.work
                .events
                .push_back(Event::Dropped { request, reason });
        }
    }

    /// Gives up on a request: it ends with [`DropReason::Cancelled`] now, and if it was
    /// already sent the server is asked to drop the answer (`rpc_drop_answer`).
    pub fn cancel(&mut self, request: RequestId) {
        let Some(req) = self.work.requests.get(&request) else {
            return;
        };
        if let State::Sent { msg_id, .. } = req.state {
            self.work.queue.push_back(Outgoing::new(
                service::encode_drop_answer(msg_id),
                Tag::Service,
                false,
            ));
        }
        self.finish(request);
        self.work.events.push_back(Event::Dropped {
            request,
            reason: DropReason::Cancelled,
        });
    }

    /// Sends a `ping`; the answer is [`Event::Pong`].
    pub fn ping(&mut self, ping_id: i64) {
        self.work.queue.push_back(Outgoing::new(
            service::encode_ping(ping_id, None),
            Tag::Service,
            false,
        ));
    }

    /// Sends `ping_delay_disconnect`: a ping that also asks the server to close the connection
    /// if no further ping arrives within `disconnect_delay` seconds, so a vanished client does
    /// not hold the connection open. The answer is [`Event::Pong`].
    pub fn ping_delay_disconnect(&mut self, ping_id: i64, disconnect_delay: i32) {
        self.work.queue.push_back(Outgoing::new(
            service::encode_ping(ping_id, Some(disconnect_delay)),
            Tag::Service,
            false,
        ));
    }

    /// Tells the session its transport connection was replaced, so whatever was in flight on
    /// the old one may be lost: every sent, unanswered request has its timer run out now. The
    /// next [`Self::poll_transmit`] resends the unacknowledged ones (under their msg_ids while
    /// young, so the server recognises duplicates) and queries the state of the acknowledged
    /// ones, instead of waiting for `resend_after` / `state_check_after`.
    ///
    /// Those resends do not count toward [`ClientConfig::max_resends`]: a request may live
    /// through any number of replaced connections, and only resends on a live link that stays
    /// silent bring it closer to [`DropReason::TooManyResends`].
    pub fn handle_reconnect(&mut self, now: Instant) {
        for req in self.work.requests.values_mut() {
            if let State::Sent { deadline, .. } = &mut req.state {
                *deadline = now;
                req.free_resend = true;
            }
        }
        self.advance(now);
    }

    /// Asks the server to destroy another session of this key; the answer is
    /// [`Event::SessionDestroyed`].
    pub fn destroy_session(&mut self, session_id: i64) {
        self.work.queue.push_back(Outgoing::new(
            service::encode_destroy_session(session_id),
            Tag::Service,
            false,
        ));
    }

    /// Asks for future salts now rather than when they run low.
    pub fn request_future_salts(&mut self, now: Instant) {
        let body = service::encode_get_future_salts(self.cfg.future_salts.clamp(1, 64));
        self.work
            .queue
            .push_back(Outgoing::new(body, Tag::Service, false));
        self.salts_requested = MaybeInstant::some(now);
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.work.events.pop_front()
    }

    /// When [`Self::handle_timeout`] should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next = self.core.ack_deadline(&self.cfg.limits);
        let mut consider = |t: Instant| next = Some(next.map_or(t, |n: Instant| n.min(t)));
        for req in self.work.requests.values() {
            if let State::Sent { deadline, .. } = req.state {
                consider(deadline);
            }
        }
        if let Some(t) = self.salt_deadline() {
            consider(t);
        }
        next
    }

    /// Runs the timers due at `now`: resends, state queries, salt rotation, ack flushing
    /// (acks are flushed by the next [`Self::poll_transmit`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
    }

    /// Appends the next packet to send to `out` (auth_key_id ‖ msg_key ‖ encrypted data, for
    /// the transport to frame). Returns `false`, appending nothing, when there is nothing to
    /// send. Call repeatedly until it returns `false`.
    pub fn poll_transmit(&mut self, now: Instant, out: &mut Vec<u8>) -> bool {
        self.advance(now);
        let flush_acks = self.core.acks_due(now, &self.cfg.limits);
        let mut ready = VecDeque::new();
        let mut waiting = VecDeque::new();
        // Requests given their msg_id in this packet, so that a request ordered after one of
        // them can name it in `invokeAfterMsgs` and travel in the same container.
        let mut assigned: HashMap<RequestId, i64> = HashMap::new();
        let mut size = 0;
        while let Some(mut item) = self.work.queue.pop_front() {
            if ready.len() >= self.cfg.limits.max_container_messages
                || size >= self.cfg.limits.max_container_bytes
            {
                self.work.queue.push_front(item);
                break;
            }
            if item.original.is_none() {
                // Ids in queue order keep msg_id and seq_no growing together in the packet.
                // (An id taken by a request that then waits is simply skipped.)
                let msg_id = self.core.ids.next(now, crate::msg_id::IdKind::Client).0;
                if let Tag::Request(n) = item.tag {
                    match self.materialize(RequestId(n), &assigned, msg_id) {
                        Materialized::Ready(body) => item.body = body.into(),
                        Materialized::Wait => {
                            waiting.push_back(item);
                            continue;
                        }
                        Materialized::Gone => continue,
                    }
                }
                item.fresh_id = Some(msg_id);
                if let Tag::Request(n) = item.tag {
                    assigned.insert(RequestId(n), msg_id);
                }
            }
            size += item.body.len() + 16;
            ready.push_back(item);
        }
        let salt = self.salts.current();
        let placed = self
            .core
            .pack(now, salt, &mut ready, flush_acks, out, &self.cfg.limits);
        // Unsent messages go back in their original order, to be given new ids (and, for
        // requests, bodies) when they are packed.
        while let Some(mut item) = ready.pop_back() {
            item.fresh_id = None;
            self.work.queue.push_front(item);
        }
        while let Some(item) = waiting.pop_back() {
            self.work.queue.push_front(item);
        }
        let Some(placed) = placed else { return false };
        for p in placed {
            if let Tag::Request(n) = p.tag {
                let request = RequestId(n);
                if let Some(req) = self.work.requests.get_mut(&request) {
                    let first_sent = match req.state {
                        State::Sent {
                            msg_id, first_sent, ..
                        } if msg_id == p.msg_id.0 => first_sent,
                        _ => now,
                    };
                    req.state = State::Sent {
                        msg_id: p.msg_id.0,
                        first_sent,
                        acked: false,
                        deadline: now + self.cfg.resend_after,
                    };
                    if !req.msg_ids.contains(&p.msg_id.0) {
                        req.msg_ids.push(p.msg_id.0);
                    }
                    self.work.by_msg_id.insert(p.msg_id.0, request);
                }
            }
        }
        true
    }

    /// Feeds one packet from the transport. `Err` means the whole packet was refused (it does
    /// not decrypt, is not for this session, or is a replay); the session is unchanged and
    /// keeps working. Problems with single messages inside an accepted packet come out as
    /// [`Event::Error`].
    pub fn handle_incoming(&mut self, now: Instant, packet: &[u8]) -> Result<(), SessionError> {
        let (h, rx) = self.core.open(packet)?;
        self.handle_decrypted(now, &h, rx)
    }

    /// Begins decrypting a packet while the rest of it arrives: `head` is what has arrived
    /// (at least its 24-byte header) of a packet of `len` bytes (the transport frame's
    /// length says it). Feed the arriving bytes of two such packets to
    /// [`open_side_by_side`](crate::open_side_by_side), which decrypts them together at
    /// about the cost of one, and hand the packet, once whole, to
    /// [`handle_incoming_opening`](Self::handle_incoming_opening). `None` if the packet
    /// cannot be this session's (another key, a malformed length): pass it to
    /// [`handle_incoming`](Self::handle_incoming) once whole, which says why it is refused.
    pub fn begin_incoming(&mut self, head: &[u8], len: usize) -> Option<Opening> {
        self.core.begin_open(head, len)
    }

    /// [`handle_incoming`](Self::handle_incoming) of a whole packet whose decryption began
    /// with [`begin_incoming`](Self::begin_incoming), with the same outcome.
    pub fn handle_incoming_opening(
        &mut self,
        now: Instant,
        packet: &[u8],
        opening: Opening,
    ) -> Result<(), SessionError> {
        let (h, rx) = self.core.finish_open(opening, packet)?;
        self.handle_decrypted(now, &h, rx)
    }

    /// Handles a decrypted packet, then keeps its buffer for the next one, unless a large
    /// answer in it was handed out in place (see [`Answer`]).
    fn handle_decrypted(
        &mut self,
        now: Instant,
        h: &super::core::Opened,
        mut rx: Vec<u8>,
    ) -> Result<(), SessionError> {
        // Only a session with requests in flight (whose work exists) can be answered.
        if let Some(work) = self.work.0.as_deref_mut() {
            work.rx = (rx.as_ptr() as usize, rx.len());
        }
        let result = self.handle_opened(now, h, &rx[h.body.clone()]);
        let lent = self.work.0.as_deref_mut().and_then(|work| {
            work.rx = (0, 0);
            work.lent.take()
        });
        match lent.and_then(|(at, bytes)| Some((self.work.events.get_mut(at)?, bytes))) {
            Some((Event::Response { body, .. }, bytes)) => {
                rx.truncate(bytes.end);
                *body = Answer::new(rx, bytes.start);
            }
            // (Unreachable: the answer's event is pushed right after its body is made.)
            _ => self.core.recycle(rx),
        }
        result
    }

    /// [`handle_incoming`](Self::handle_incoming) of several packets, in their order, with
    /// the same outcome, packet by packet (outcome `i` is `packets[i]`'s). Their decryptions
    /// run side by side (up to four AES-IGE chains and msg_key hashes at once on one core),
    /// which is what makes large answers arriving back to back (file parts) cheaper to open.
    /// A packet refused (it does not decrypt, is not for this session, is a replay) does not
    /// affect the others.
    pub fn handle_incoming_many(
        &mut self,
        now: Instant,
        packets: &[&[u8]],
    ) -> Vec<Result<(), SessionError>> {
        if let [packet] = packets {
            return vec![self.handle_incoming(now, packet)];
        }
        let opened = self.core.open_many(packets);
        opened
            .into_iter()
            .map(|opened| {
                let (h, rx) = opened?;
                self.handle_decrypted(now, &h, rx)
            })
            .collect()
    }

    fn handle_opened(
        &mut self,
        now: Instant,
        h: &super::core::Opened,
        body: &[u8],
    ) -> Result<(), SessionError> {
        if h.session_id != self.core.session_id {
            return Err(SessionError::WrongSession {
                expected: self.core.session_id,
                got: h.session_id,
            });
        }
        if !h.msg_id.is_from_server() {
            return Err(SessionError::WrongParity(h.msg_id));
        }
        self.resync_clock(now, h.msg_id, body);
        if service::constructor(body) != Some(id::MSG_CONTAINER) {
            return self.handle_message(now, h.msg_id, h.seq_no, body, true);
        }
        self.check_id(now, h.msg_id, body)?;
        self.core.window.insert(h.msg_id);
        match service::parse_container(body) {
            Ok(messages) => {
                for m in messages {
                    if let Err(e) =
                        self.handle_message(now, MsgId(m.msg_id), m.seq_no, m.body, false)
                    {
                        self.work.events.push_back(Event::Error(e));
                    }
                }
                Ok(())
            }
            Err(source) => Err(SessionError::Malformed {
                msg_id: h.msg_id,
                source,
            }),
        }
    }

    /// Freshness and duplicate checks for one received id.
    fn check_id(&self, now: Instant, msg_id: MsgId, body: &[u8]) -> Result<(), SessionError> {
        match freshness(msg_id, self.core.ids.corrected_secs(now)) {
            Freshness::Fresh => {}
            // A time-sync notice about a message we just sent is exactly what fixes a wrong
            // clock, so it is let through; the reference to our own recent msg_id is what
            // shows it is not a replay.
            _ if self.is_time_notice_for_us(body) => {}
            Freshness::TooOld => return Err(SessionError::TooOld(msg_id)),
            Freshness::TooNew => return Err(SessionError::TooNew(msg_id)),
        }
        match self.core.window.check(msg_id) {
            Ok(()) => Ok(()),
            Err(_) => Err(SessionError::Duplicate(msg_id)),
        }
    }

    /// The spec checks a server msg_id's age only when the client trusts its clock. Ours may
    /// have been set back or forward since the last correction while our ids (which never
    /// decrease) still satisfy the server: then no `bad_msg_notification` will ever come, and
    /// every answer would look stale. A packet that is newer than all received so far and
    /// answers or acknowledges a message we sent recently is genuine and current, so its msg_id
    /// corrects the clock.
    fn resync_clock(&mut self, now: Instant, msg_id: MsgId, body: &[u8]) {
        if matches!(
            freshness(msg_id, self.core.ids.corrected_secs(now)),
            Freshness::Fresh
        ) || self.is_time_notice_for_us(body)
            || self
                .core
                .window
                .newest()
                .is_some_and(|newest| msg_id <= newest)
            || !self.refers_to_our_recent(body)
        {
            return;
        }
        if self.core.ids.resync_from(now, msg_id) {
            log::info!(
                "clock corrected from an answer: offset now {} s",
                self.core.ids.time_offset()
            );
            self.work.events.push_back(Event::TimeOffsetChanged {
                offset: self.core.ids.time_offset(),
            });
        }
    }

    /// Whether `body` (or a message of its container) answers or acknowledges a message we
    /// sent and still remember.
    fn refers_to_our_recent(&self, body: &[u8]) -> bool {
        let ours = |b: &[u8]| match service::decode(b) {
            Ok(Service::RpcResult { req_msg_id, .. }) => self.core.sent.contains_key(&req_msg_id),
            Ok(Service::MsgsAck(ids)) => ids.iter().any(|id| self.core.sent.contains_key(id)),
            Ok(Service::Pong { msg_id, .. }) => self.core.sent.contains_key(&msg_id),
            _ => false,
        };
        if service::constructor(body) == Some(id::MSG_CONTAINER) {
            service::parse_container(body).is_ok_and(|msgs| msgs.iter().any(|m| ours(m.body)))
        } else {
            ours(body)
        }
    }

    fn is_time_notice_for_us(&self, body: &[u8]) -> bool {
        let notice = |b: &[u8]| {
            matches!(
                service::decode(b),
                Ok(Service::BadMsg { bad_msg_id, code: 16 | 17, .. }) if self.core.sent.contains_key(&bad_msg_id)
            )
        };
        if service::constructor(body) == Some(id::MSG_CONTAINER) {
            service::parse_container(body).is_ok_and(|msgs| msgs.iter().any(|m| notice(m.body)))
        } else {
            notice(body)
        }
    }

    fn handle_message(
        &mut self,
        now: Instant,
        msg_id: MsgId,
        seq_no: i32,
        body: &[u8],
        top: bool,
    ) -> Result<(), SessionError> {
        if !msg_id.is_from_server() {
            return Err(SessionError::WrongParity(msg_id));
        }
        if let Err(e) = self.check_id(now, msg_id, body) {
            if matches!(e, SessionError::Duplicate(_)) && seq_no & 1 == 1 {
                // The server resends what it thinks we missed: our ack was probably lost.
                self.core.ack(now, msg_id.0);
            }
            // Duplicates inside containers are routine after resends; only report them for
            // whole packets, where they indicate a replay.
            return if top || !matches!(e, SessionError::Duplicate(_)) {
                Err(e)
            } else {
                Ok(())
            };
        }
        self.core.window.insert(msg_id);
        if seq_no & 1 == 1 {
            self.core.ack(now, msg_id.0);
        }
        self.dispatch(now, msg_id, body)
            .map_err(|source| SessionError::Malformed { msg_id, source })
    }

    fn dispatch(&mut self, now: Instant, msg_id: MsgId, body: &[u8]) -> Result<(), DecodeError> {
        match service::decode(body)? {
            Service::Gzip => {
                let inflated = service::gunzip(body, self.cfg.limits.max_inflated)?;
                if matches!(
                    service::constructor(&inflated),
                    Some(id::GZIP_PACKED | id::MSG_CONTAINER)
                ) {
                    return Err(DecodeError::UnexpectedConstructor(
                        service::constructor(&inflated).unwrap_or(0),
                    ));
                }
                return self.dispatch(now, msg_id, &inflated);
            }
            Service::RpcResult { req_msg_id, result } => self.on_result(now, req_msg_id, result)?,
            Service::MsgsAck(ids) => {
                for id in ids {
                    self.on_ack(now, id);
                }
            }
            Service::BadMsg {
                bad_msg_id,
                code,
                new_salt,
                ..
            } => self.on_bad_msg(now, msg_id, bad_msg_id, code, new_salt),
            Service::NewSessionCreated {
                first_msg_id,
                unique_id,
                server_salt,
            } => {
                self.set_salt(server_salt);
                self.work.events.push_back(Event::NewSessionCreated {
                    first_msg_id: MsgId(first_msg_id),
                    unique_id,
                });
                // Requests older than the session's first message were never seen by it.
                let lost: Vec<i64> = self
                    .work
                    .requests
                    .values()
                    .filter_map(|r| match r.state {
                        State::Sent {
                            msg_id,
                            acked: false,
                            ..
                        } if msg_id < first_msg_id => Some(msg_id),
                        _ => None,
                    })
                    .collect();
                for id in lost {
                    self.resend_fresh(id);
                }
            }
            Service::Pong {
                msg_id: ping_msg_id,
                ping_id,
            } => {
                self.core.sent.remove(&ping_msg_id);
                self.work.events.push_back(Event::Pong { ping_id });
            }
            Service::FutureSalts {
                req_msg_id, salts, ..
            } => {
                self.core.sent.remove(&req_msg_id);
                self.salts_requested = MaybeInstant::NONE;
                self.salts.add_future(&salts);
                self.rotate_salt(now);
            }
            Service::MsgsStateReq(ids) => {
                let info: Vec<u8> = ids
                    .iter()
                    .map(|&id| super::core::state_of_received(&self.core.window, id))
                    .collect();
                self.work.queue.push_back(Outgoing::new(
                    service::encode_state_info(msg_id.0, &info),
                    Tag::Service,
                    false,
                ));
            }
            Service::MsgsStateInfo { req_msg_id, info } => {
                // The query's own body says which ids the statuses are for.
                if let Some(Sent {
                    kind: SentKind::Message { body, .. },
                    ..
                }) = self.core.sent.remove(&req_msg_id)
                {
                    if let Ok(Service::MsgsStateReq(ids)) = service::decode(&body.contiguous()) {
                        self.on_states(&ids, info);
                    }
                }
            }
            Service::MsgsAllInfo { msg_ids, info } => self.on_states(&msg_ids, info),
            Service::DetailedInfo {
                msg_id: req,
                answer_msg_id,
                ..
            } => {
                if let Some(req) = req {
                    self.on_ack(now, req);
                }
                if self.core.window.contains(MsgId(answer_msg_id)) {
                    // We have it; the server only missed our ack.
                    self.core.ack(now, answer_msg_id);
                } else {
                    let body = service::encode_ids(id::MSG_RESEND_REQ, &[answer_msg_id]);
                    self.work
                        .queue
                        .push_back(Outgoing::new(body, Tag::Service, false));
                }
            }
            Service::MsgResendReq(ids) => self.on_resend_req(msg_id, &ids),
            Service::DestroySessionRes {
                session_id,
                existed,
            } => {
                self.work.events.push_back(Event::SessionDestroyed {
                    session_id,
                    existed,
                });
            }
            Service::Ping { ping_id, .. } => {
                self.work.queue.push_back(Outgoing::new(
                    service::encode_pong(msg_id.0, ping_id),
                    Tag::Service,
                    false,
                ));
            }
            // Server-bound requests or legacy notices: nothing for a client to do.
            Service::MsgResendAnsReq(_)
            | Service::GetFutureSalts { .. }
            | Service::DestroySession { .. }
            | Service::RpcDropAnswer { .. }
            | Service::HttpWait
            | Service::MsgCopy => log::debug!(
                "ignoring server-bound message {:#x?}",
                service::constructor(body)
            ),
            Service::Container => return Err(DecodeError::NestedContainer),
            Service::Other(update) => self.work.events.push_back(Event::Update {
                body: update.to_vec(),
            }),
        }
        Ok(())
    }

    fn on_result(
        &mut self,
        now: Instant,
        req_msg_id: i64,
        result: &[u8],
    ) -> Result<(), DecodeError> {
        let inflated;
        let result = if service::constructor(result) == Some(id::GZIP_PACKED) {
            inflated = service::gunzip(result, self.cfg.limits.max_inflated)?;
            &inflated[..]
        } else {
            result
        };
        let Some(&request) = self.work.by_msg_id.get(&req_msg_id) else {
            // Not a request: one of our service queries answered inside rpc_result, or a late
            // answer for a request that already ended.
            if self.core.sent.contains_key(&req_msg_id) {
                if matches!(
                    service::decode(result),
                    Ok(Service::Pong { .. }
                        | Service::FutureSalts { .. }
                        | Service::DestroySessionRes { .. })
                ) {
                    return self.dispatch(now, MsgId(req_msg_id), result);
                }
                self.core.sent.remove(&req_msg_id);
            }
            return Ok(());
        };
        self.core.forget_container_of(req_msg_id);
        let event = match service::decode_rpc_error(result)? {
            Some((401, message)) if message == "AUTH_KEY_PERM_EMPTY" && self.hold(request) => {
                self.work.events.push_back(Event::KeyUnbound { request });
                return Ok(());
            }
            Some((code, message)) => Event::RpcError {
                request,
                error: RpcError::new(code, &message),
            },
            None => {
                if self.binding.get() == Some(request) {
                    // Bound: the requests held back may go.
                    self.binding = BindingSlot::NONE;
                }
                Event::Response {
                    request,
                    body: self.answer_body(result),
                }
            }
        };
        self.finish(request);
        self.work.events.push_back(event);
        Ok(())
    }

    /// The body of a successful answer: a large one that lies in the buffer of the packet
    /// being handled is left there (the buffer goes to the answer's event once the packet is
    /// handled); others are copied.
    fn answer_body(&mut self, result: &[u8]) -> Answer {
        let work = &mut *self.work;
        let (base, len) = work.rx;
        let at = (result.as_ptr() as usize).wrapping_sub(base);
        if result.len() >= LEND_FROM
            && work.lent.is_none()
            && (result.as_ptr() as usize) >= base
            && at.checked_add(result.len()).is_some_and(|end| end <= len)
        {
            // The event is pushed next, at this position; its body is filled in then.
            work.lent = Some((work.events.len(), at..at + result.len()));
            return Answer::default();
        }
        Answer::from(result.to_vec())
    }

    /// Removes an ended request and everything pointing at it.
    fn finish(&mut self, request: RequestId) {
        if let Some(req) = self.work.requests.remove(&request) {
            for id in req.msg_ids {
                self.work.by_msg_id.remove(&id);
                self.core.sent.remove(&id);
            }
            if !self.work.held.is_empty() {
                self.work.held.retain(|r| *r != request);
            }
        }
    }

    /// Holds a request the server refused for an unbound temporary key until the next
    /// [`Self::rekey`]: its msg_ids are answered and forgotten, its body kept. `false` if it
    /// must end instead (not a temporary key, a binding, or held too often already).
    fn hold(&mut self, request: RequestId) -> bool {
        if !self.temporary {
            return false;
        }
        let Some(req) = self.work.requests.get_mut(&request) else {
            return false;
        };
        if req.binding.is_some() || req.unbound >= MAX_UNBOUND_HOLDS {
            return false;
        }
        req.unbound += 1;
        req.state = State::Queued;
        for id in std::mem::take(&mut req.msg_ids) {
            self.work.by_msg_id.remove(&id);
            self.core.sent.remove(&id);
        }
        // A resend already queued would go out under the unbound key again.
        self.work.queue.retain(|m| m.tag != Tag::Request(request.0));
        if !self.work.held.contains(&request) {
            self.work.held.push(request);
        }
        true
    }

    fn on_ack(&mut self, now: Instant, msg_id: i64) {
        // Service messages stay recorded until answered or pruned: a `msgs_state_req` is
        // acknowledged just before its `msgs_state_info` arrives, which needs its body.
        let Some(Tag::Request(n)) = self.core.mark_acked(msg_id) else {
            return;
        };
        let Some(req) = self.work.requests.get_mut(&RequestId(n)) else {
            return;
        };
        if let State::Sent {
            msg_id: current,
            acked,
            deadline,
            ..
        } = &mut req.state
        {
            if *current == msg_id {
                *acked = true;
                req.free_resend = false;
                *deadline = now + self.cfg.state_check_after;
            }
        }
    }

    fn on_bad_msg(
        &mut self,
        now: Instant,
        notice_id: MsgId,
        bad_msg_id: i64,
        code: i32,
        new_salt: Option<i64>,
    ) {
        // The spec: act only on notices about messages we really sent recently.
        if !self.core.sent.contains_key(&bad_msg_id) {
            log::debug!("bad_msg_notification {code} for unknown msg_id {bad_msg_id:#x}");
            return;
        }
        match code {
            16 | 17 => {
                if self.core.ids.correct_from(now, notice_id) {
                    self.work.events.push_back(Event::TimeOffsetChanged {
                        offset: self.core.ids.time_offset(),
                    });
                }
            }
            48 => {
                if let Some(salt) = new_salt {
                    self.set_salt(salt);
                }
            }
            32 | 33 => {
                // Our seq_no numbering and the server's disagree: start over in a fresh session
                // rather than guess a correction.
                self.reset_session();
                return;
            }
            20 | 19 | 64 => {}
            _ => {
                for id in self.expand(bad_msg_id) {
                    if let Some(Sent {
                        kind:
                            SentKind::Message {
                                tag: Tag::Request(n),
                                ..
                            },
                        ..
                    }) = self.core.sent.get(&id)
                    {
                        let request = RequestId(*n);
                        self.finish(request);
                        self.work.events.push_back(Event::Dropped {
                            request,
                            reason: DropReason::Rejected { code },
                        });
                    }
                }
                return;
            }
        }
        for id in self.expand(bad_msg_id) {
            self.resend_fresh(id);
        }
    }

    /// The message ids a sent id stands for (a container's contents, or itself).
    fn expand(&self, msg_id: i64) -> Vec<i64> {
        match self.core.sent.get(&msg_id) {
            Some(Sent {
                kind: SentKind::Container(ids),
                ..
            }) => ids.clone(),
            Some(_) => vec![msg_id],
            None => Vec::new(),
        }
    }

    /// Queues the message sent as `msg_id` again under a new id.
    fn resend_fresh(&mut self, msg_id: i64) {
        let Some(sent) = self.core.sent.remove(&msg_id) else {
            return;
        };
        let SentKind::Message { tag, body, .. } = sent.kind else {
            return;
        };
        match tag {
            Tag::Request(n) => {
                let request = RequestId(n);
                let Some(req) = self.work.requests.get_mut(&request) else {
                    return;
                };
                if !matches!(req.state, State::Sent { msg_id: current, .. } if current == msg_id) {
                    return;
                }
                if req.count_resend(self.cfg.max_resends) {
                    self.finish(request);
                    self.work.events.push_back(Event::Dropped {
                        request,
                        reason: DropReason::TooManyResends,
                    });
                    return;
                }
                req.state = State::Queued;
                self.work
                    .queue
                    .push_back(Outgoing::new(Vec::new(), tag, false));
            }
            Tag::Ack => {
                // Re-acknowledge: the ids are in the body.
                if let Ok(Service::MsgsAck(ids)) = service::decode(&body.contiguous()) {
                    for id in ids {
                        if !self.core.acks.contains(&id) {
                            self.core.acks.push(id);
                        }
                    }
                }
            }
            Tag::Service => self
                .work
                .queue
                .push_back(Outgoing::new(body, Tag::Service, false)),
            Tag::Answer(_) | Tag::Push => {}
        }
    }

    fn on_states(&mut self, ids: &[i64], info: &[u8]) {
        let mut resend_answers = Vec::new();
        for (&id, &status) in ids.iter().zip(info) {
            let Some(&request) = self.work.by_msg_id.get(&id) else {
                continue;
            };
            match status & 7 {
                1..=3 => self.resend_fresh(id),
                4 => {
                    if let Some(Request {
                        state: State::Sent { msg_id, acked, .. },
                        ..
                    }) = self.work.requests.get_mut(&request)
                    {
                        if *msg_id == id {
                            *acked = true;
                            if status & 64 != 0 {
                                // The answer exists but never reached us.
                                resend_answers.push(id);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        if !resend_answers.is_empty() {
            let body = service::encode_ids(id::MSG_RESEND_ANS_REQ, &resend_answers);
            self.work
                .queue
                .push_back(Outgoing::new(body, Tag::Service, false));
        }
    }

    fn on_resend_req(&mut self, req_msg_id: MsgId, ids: &[i64]) {
        let mut unknown = false;
        for &id in ids {
            match self.core.sent.get(&id) {
                Some(Sent {
                    seq_no,
                    kind: SentKind::Message { tag, body, .. },
                    ..
                }) => {
                    let mut msg = Outgoing::new(body.clone(), *tag, false);
                    msg.original = Some((id, *seq_no));
                    self.work.queue.push_back(msg);
                }
                _ => unknown = true,
            }
        }
        if unknown {
            // The spec: answer as if it had been a msgs_state_req.
            let info: Vec<u8> = ids
                .iter()
                .map(|id| {
                    if self.core.sent.contains_key(id) {
                        4
                    } else {
                        1
                    }
                })
                .collect();
            self.work.queue.push_back(Outgoing::new(
                service::encode_state_info(req_msg_id.0, &info),
                Tag::Service,
                false,
            ));
        }
    }

    fn set_salt(&mut self, salt: i64) {
        if salt != self.salts.current() {
            self.salts.set_current(salt);
            self.work.events.push_back(Event::SaltChanged { salt });
        }
    }

    fn rotate_salt(&mut self, now: Instant) {
        if let Some(salt) = self.salts.advance(self.core.ids.corrected_secs(now)) {
            self.work.events.push_back(Event::SaltChanged { salt });
        }
    }

    fn reset_session(&mut self) {
        let session_id = self.core.rng.rng().gen();
        let unanswered: Vec<RequestId> = self.work.requests.keys().copied().collect();
        self.core.reset_session(session_id);
        self.work
            .queue
            .retain(|m| matches!(m.tag, Tag::Request(_)) && m.original.is_none());
        for request in unanswered {
            if let Some(req) = self.work.requests.get_mut(&request) {
                if matches!(req.state, State::Sent { .. }) {
                    req.state = State::Queued;
                    self.work.queue.push_back(Outgoing::new(
                        Vec::new(),
                        Tag::Request(request.0),
                        false,
                    ));
                }
            }
        }
        self.work
            .events
            .push_back(Event::SessionReset { session_id });
    }

    /// The local instant at which salts next need attention.
    fn salt_deadline(&self) -> Option<Instant> {
        let offset = i64::from(self.core.ids.time_offset());
        let to_local = |server_secs: i64| {
            Instant::from_unix_secs(u64::try_from(server_secs - offset).unwrap_or(0))
        };
        let margin = self.cfg.salt_refresh_margin.as_secs() as i64;
        let refresh = match (self.salts.covered_until(), self.salts_requested.get()) {
            (_, Some(at)) => at + SALT_REQUEST_INTERVAL,
            (Some(until), None) => to_local(until - margin),
            // Nothing known: ask at the next transmit, which needs no timer.
            (None, None) => return None,
        };
        Some(refresh)
    }

    /// Everything time-driven, idempotent for a given `now`.
    fn advance(&mut self, now: Instant) {
        self.core.prune(now);
        self.rotate_salt(now);
        let server_now = self.core.ids.corrected_secs(now);
        let margin = self.cfg.salt_refresh_margin.as_secs() as i64;
        let low = self
            .salts
            .covered_until()
            .is_none_or(|until| until - margin <= server_now);
        let can_ask = self
            .salts_requested
            .get()
            .is_none_or(|at| at + SALT_REQUEST_INTERVAL <= now);
        if low && can_ask && self.salts.current() != 0 {
            self.request_future_salts(now);
        }

        let mut fresh = Vec::new();
        let mut same_id = Vec::new();
        let mut query = Vec::new();
        for req in self.work.requests.values_mut() {
            let State::Sent {
                msg_id,
                first_sent,
                acked,
                deadline,
            } = &mut req.state
            else {
                continue;
            };
            if *deadline > now {
                continue;
            }
            if *acked {
                query.push(*msg_id);
                *deadline = now + self.cfg.state_check_after;
            } else if now.saturating_duration_since(*first_sent) < REUSE_ID_MAX_AGE {
                same_id.push(*msg_id);
                *deadline = now + self.cfg.resend_after;
            } else {
                fresh.push(*msg_id);
            }
        }
        // In the order they were first sent, so that requests chained with `invokeAfterMsgs`
        // get their new ids in the same order and can share one container again.
        fresh.sort_unstable();
        for id in fresh {
            self.resend_fresh(id);
        }
        for id in same_id {
            self.resend_same_id(id);
        }
        for chunk in query.chunks(MAX_IDS_PER_MESSAGE) {
            self.query_state(chunk);
        }
    }

    /// Resends an unacknowledged request under its original id (inside a container), so a
    /// server that did receive it recognises the duplicate instead of running it twice.
    fn resend_same_id(&mut self, msg_id: i64) {
        let Some(&request) = self.work.by_msg_id.get(&msg_id) else {
            return;
        };
        let Some(Sent {
            seq_no,
            kind: SentKind::Message { body, tag, .. },
            ..
        }) = self.core.sent.get(&msg_id)
        else {
            // Forgotten: fall back to a new id.
            return self.resend_fresh_request(request);
        };
        let mut msg = Outgoing::new(body.clone(), *tag, false);
        msg.original = Some((msg_id, *seq_no));
        let Some(req) = self.work.requests.get_mut(&request) else {
            return;
        };
        if req.count_resend(self.cfg.max_resends) {
            self.finish(request);
            self.work.events.push_back(Event::Dropped {
                request,
                reason: DropReason::TooManyResends,
            });
            return;
        }
        self.work.queue.push_back(msg);
    }

    fn resend_fresh_request(&mut self, request: RequestId) {
        if let Some(req) = self.work.requests.get_mut(&request) {
            req.state = State::Queued;
            self.work
                .queue
                .push_back(Outgoing::new(Vec::new(), Tag::Request(request.0), false));
        }
    }

    fn query_state(&mut self, ids: &[i64]) {
        self.work.queue.push_back(Outgoing::new(
            service::encode_ids(id::MSGS_STATE_REQ, ids),
            Tag::Service,
            false,
        ));
    }

    fn materialize(
        &mut self,
        request: RequestId,
        assigned: &HashMap<RequestId, i64>,
        msg_id: i64,
    ) -> Materialized {
        let Some(req) = self.work.requests.get(&request) else {
            return Materialized::Gone;
        };
        if !matches!(req.state, State::Queued) {
            // Already re-queued by another path and sent; this queue entry is stale.
            return Materialized::Gone;
        }
        if let Some(binding) = &req.binding {
            let temp_key_id = self.core.auth_key.id();
            let session_id = self.core.session_id;
            return Materialized::Ready(binding.request_body(
                temp_key_id,
                session_id,
                msg_id,
                &mut self.core.rng.rng(),
            ));
        }
        if self.binding.get().is_some_and(|b| b != request) {
            // Nothing else goes out under a temporary key before it is bound.
            return Materialized::Wait;
        }
        let mut after = Vec::new();
        for dep in &req.opts.after {
            match self.work.requests.get(dep).map(|d| &d.state) {
                // Going out in this very packet, ahead of this one.
                Some(State::Queued) => match assigned.get(dep) {
                    Some(&msg_id) => after.push(msg_id),
                    None => return Materialized::Wait,
                },
                Some(State::Sent { msg_id, .. }) => after.push(*msg_id),
                None => {}
            }
        }
        let body = if after.is_empty() {
            req.body.clone()
        } else {
            service::wrap_invoke_after(&after, &req.body)
        };
        if req.opts.gzip && body.len() >= self.cfg.limits.gzip_threshold {
            if let Some(packed) = service::gzip_if_smaller(&body) {
                return Materialized::Ready(packed);
            }
        }
        Materialized::Ready(body)
    }

    #[cfg(test)]
    pub(crate) fn core_mut(&mut self) -> &mut Core {
        &mut self.core
    }

    /// Whether the session holds its [`Work`] box.
    #[cfg(test)]
    pub(crate) fn holds_work(&self) -> bool {
        self.work.0.is_some()
    }
}

enum Materialized {
    Ready(Vec<u8>),
    Wait,
    Gone,
}
