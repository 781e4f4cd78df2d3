//! The server end of an encrypted session, for tgwire's test server.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::Duration;

use rand::Rng;
use tgwire_crypto::{AuthKey, Side};

use super::body::{Body, SplitBody};
use super::core::{
    parse_header, state_of_received, Core, Limits, Opened, Outgoing, Randomness, Sent, SentKind,
    Tag, NEVER,
};
use crate::error::{DecodeError, SessionError};
use crate::msg_id::MsgId;
use crate::salts::SaltSchedule;
use crate::service::{self, id, Service};
use crate::time::Instant;
use crate::window::{freshness, Freshness};

/// What happened on a server session; drain with [`ServerSession::poll_event`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// An RPC query from the client; answer with [`ServerSession::respond`] or
    /// [`ServerSession::respond_error`].
    Request {
        /// The query's msg_id, which the answer refers to.
        msg_id: MsgId,
        /// Its TL-serialized body (un-gzipped; `invokeAfterMsgs` and other wrappers intact).
        body: Vec<u8>,
    },
    /// The client started a new session (its first accepted message carried a new id); state
    /// of the previous session was dropped and `new_session_created` was queued.
    NewSession {
        /// The client's session id.
        session_id: i64,
    },
    /// The client asked to destroy another of its sessions; answer with
    /// [`ServerSession::answer_destroy_session`].
    DestroySession {
        /// The session to destroy.
        session_id: i64,
    },
    /// A packet or message was refused; the session carries on.
    Error(SessionError),
}

/// Server session tunables.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Packing, padding, gzip and ack limits.
    pub limits: Limits,
    /// An answer or update still unacknowledged after this long is announced with
    /// `msg_detailed_info` / `msg_new_detailed_info`, so a client that lost it asks again.
    pub resend_after: Duration,
    /// When a query arrives again after its answer was sent, answers up to this size are
    /// resent; larger ones are announced with `msg_detailed_info` instead (as the spec
    /// suggests), and the client fetches them with `msg_resend_req`.
    pub detailed_info_over: usize,
    /// How long answered queries are remembered for duplicate detection and resends.
    pub answer_retention: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            resend_after: Duration::from_secs(10),
            detailed_info_over: 16 * 1024,
            answer_retention: Duration::from_secs(600),
        }
    }
}

#[derive(Clone, Debug)]
enum Query {
    /// Handed to the owner, no answer yet.
    Running,
    /// Cancelled by `rpc_drop_answer` while running: the eventual answer is discarded.
    Dropped,
    /// Answered; `answer_msg_id` is known once the answer was packed.
    Answered {
        answer_msg_id: Option<i64>,
        bytes: usize,
        at: Instant,
    },
}

/// Sessions we moved away from; packets for them are refused instead of flipping back.
const RETIRED_SESSIONS: usize = 16;
/// Client (msg_id, seq_no) pairs kept for the seq_no consistency checks (codes 32/33).
const SEQ_MEMORY: usize = 1024;

/// The server end of an MTProto 2.0 encrypted session: the same machinery as the client's
/// [`crate::Session`], mirrored. It decrypts the client's packets, answers the protocol's own
/// service messages itself (acks, pings, salts, state and resend requests, bad_msg
/// notifications, new_session_created) and surfaces RPC queries as [`ServerEvent::Request`].
///
/// Drive it exactly like the client: commands ([`respond`](Self::respond),
/// [`respond_error`](Self::respond_error), [`push`](Self::push)), then `handle_*`, then
/// `poll_transmit` / `poll_event` / `poll_timeout`.
pub struct ServerSession {
    core: Core,
    salts: SaltSchedule,
    cfg: ServerConfig,
    queue: VecDeque<Outgoing>,
    events: VecDeque<ServerEvent>,
    session_known: bool,
    announced: bool,
    retired: VecDeque<i64>,
    queries: HashMap<i64, Query>,
    seqs: BTreeMap<i64, i32>,
    /// No unacknowledged answer or update is due for a `msg_detailed_info` note before this (a
    /// lower bound: acks since may have removed the earliest). Kept so that the timers, which
    /// run before every packet, walk the sent log only when a note can be due, not for every
    /// push (thousands await their acks while a client catches up). `NEVER` when none.
    notes_from: Instant,
}

impl ServerSession {
    /// A session for a client holding `auth_key`, with the server's salt schedule.
    pub fn new(
        auth_key: AuthKey,
        salts: SaltSchedule,
        config: ServerConfig,
        seed: [u8; 32],
    ) -> Self {
        let rng = Randomness::new(seed);
        Self {
            core: Core::new(Side::Server, auth_key, 0, 0, rng, &config.limits),
            salts,
            cfg: config,
            queue: VecDeque::new(),
            events: VecDeque::new(),
            session_known: false,
            announced: false,
            retired: VecDeque::new(),
            queries: HashMap::new(),
            seqs: BTreeMap::new(),
            notes_from: NEVER,
        }
    }

    /// The client's current session id (0 before its first packet).
    pub fn session_id(&self) -> i64 {
        self.core.session_id
    }

    /// The authorization key.
    pub fn auth_key(&self) -> &AuthKey {
        &self.core.auth_key
    }

    /// Answers the query `msg_id` with a TL-serialized result (gzip-packed when that helps).
    /// Returns `false` if no such query is waiting (unknown, already answered, or dropped by
    /// the client).
    pub fn respond(&mut self, msg_id: MsgId, result: Vec<u8>) -> bool {
        let result = if result.len() >= self.cfg.limits.gzip_threshold {
            service::gzip_if_smaller(&result).unwrap_or(result)
        } else {
            result
        };
        self.answer(msg_id, &result)
    }

    /// Like [`respond`](Self::respond) with `result.to_vec()`, but the result is sealed from
    /// its pieces where they are (a file part from the stored file, see [`SplitBody`]) and is
    /// never gzip-packed: it is meant for file parts, which do not compress (Telegram does
    /// not pack them either).
    pub fn respond_split(&mut self, msg_id: MsgId, result: SplitBody) -> bool {
        if !self.awaits_answer(msg_id) {
            return false;
        }
        let body = result.prefixed(&service::rpc_result_header(msg_id.0));
        self.queue_answer(msg_id, body.into());
        true
    }

    /// Answers the query `msg_id` with `rpc_error`.
    pub fn respond_error(&mut self, msg_id: MsgId, code: i32, message: &str) -> bool {
        self.answer(msg_id, &service::encode_rpc_error(code, message))
    }

    fn answer(&mut self, msg_id: MsgId, result: &[u8]) -> bool {
        if !self.awaits_answer(msg_id) {
            return false;
        }
        let body = service::encode_rpc_result(msg_id.0, result);
        self.queue_answer(msg_id, body.into());
        true
    }

    /// Whether the query `msg_id` waits for its answer (a query the client dropped is
    /// forgotten here).
    fn awaits_answer(&mut self, msg_id: MsgId) -> bool {
        match self.queries.get(&msg_id.0) {
            Some(Query::Running) => true,
            Some(Query::Dropped) => {
                self.queries.remove(&msg_id.0);
                false
            }
            _ => false,
        }
    }

    fn queue_answer(&mut self, msg_id: MsgId, body: Body) {
        // `at` is refreshed when the answer is packed; until then retention does not apply.
        self.queries.insert(
            msg_id.0,
            Query::Answered {
                answer_msg_id: None,
                bytes: body.len(),
                at: Instant::default(),
            },
        );
        self.queue
            .push_back(Outgoing::new(body, Tag::Answer(msg_id.0), true));
    }

    /// Sends an update (any TL object that is not an answer).
    pub fn push(&mut self, body: Vec<u8>) {
        let body = if body.len() >= self.cfg.limits.gzip_threshold {
            service::gzip_if_smaller(&body).unwrap_or(body)
        } else {
            body
        };
        self.queue.push_back(Outgoing::new(body, Tag::Push, false));
    }

    /// Answers a [`ServerEvent::DestroySession`].
    pub fn answer_destroy_session(&mut self, session_id: i64, existed: bool) {
        let body = service::encode_destroy_session_res(session_id, existed);
        self.queue
            .push_back(Outgoing::new(body, Tag::Service, true));
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<ServerEvent> {
        self.events.pop_front()
    }

    /// When [`Self::handle_timeout`] should next be called.
    ///
    /// It may come early (a message acknowledged since was due first); the call then finds
    /// nothing to do and the next answer is exact.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let notes = (self.notes_from != NEVER).then_some(self.notes_from);
        match (self.core.ack_deadline(&self.cfg.limits), notes) {
            (Some(a), Some(n)) => Some(a.min(n)),
            (a, n) => a.or(n),
        }
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
    }

    /// Appends the next packet to send to `out`; `false` when there is nothing to send.
    pub fn poll_transmit(&mut self, now: Instant, out: &mut Vec<u8>) -> bool {
        self.poll_transmit_many(now, std::slice::from_mut(out)) > 0
    }

    /// Like [`poll_transmit`](Self::poll_transmit) called up to `outs.len()` times, packet
    /// `i` appended to `outs[i]`, but the packets are sealed together: their AES-IGE chains
    /// run side by side on one core (`tgwire_crypto::encrypt_messages_parts`), which costs
    /// little more than sealing one. Returns how many packets were built (the outputs past
    /// them are untouched).
    pub fn poll_transmit_many(&mut self, now: Instant, outs: &mut [Vec<u8>]) -> usize {
        self.advance(now);
        if !self.session_known || outs.is_empty() {
            return 0;
        }
        let flush = self.core.acks_due(now, &self.cfg.limits);
        let salt = self.salts.current(server_secs(now));
        let packets =
            self.core
                .pack_many(now, salt, &mut self.queue, flush, outs, &self.cfg.limits);
        for p in packets.iter().flatten() {
            if matches!(p.tag, Tag::Answer(_) | Tag::Push) {
                self.notes_from = self.notes_from.min(now + self.cfg.resend_after);
            }
            if let Tag::Answer(req) = p.tag {
                if let Some(Query::Answered {
                    answer_msg_id, at, ..
                }) = self.queries.get_mut(&req)
                {
                    answer_msg_id.get_or_insert(p.msg_id.0);
                    *at = now;
                }
            }
        }
        packets.len()
    }

    /// Feeds one packet from the client. `Err` means the packet was refused without effect;
    /// messages the protocol answers with a notice (`bad_msg_notification`, `bad_server_salt`)
    /// are `Ok` with the notice queued.
    pub fn handle_incoming(&mut self, now: Instant, packet: &[u8]) -> Result<(), SessionError> {
        let (h, rx) = self.core.open(packet)?;
        let result = self.handle_opened(now, &h, &rx[h.body.clone()]);
        self.core.recycle(rx);
        result
    }

    /// Like [`handle_incoming`](Self::handle_incoming) for a packet the caller already
    /// decrypted with this session's auth key (`tgwire_crypto::decrypt_message`, which checks
    /// the msg_key): a server that must decrypt a packet to learn which session it belongs to
    /// need not decrypt it twice. `plaintext` is the whole decrypted payload, padding included.
    pub fn handle_decrypted(&mut self, now: Instant, plaintext: &[u8]) -> Result<(), SessionError> {
        let h = parse_header(plaintext)?;
        self.handle_opened(now, &h, &plaintext[h.body.clone()])
    }

    fn handle_opened(&mut self, now: Instant, h: &Opened, body: &[u8]) -> Result<(), SessionError> {
        if !self.session_known || h.session_id != self.core.session_id {
            if self.retired.contains(&h.session_id) {
                return Err(SessionError::WrongSession {
                    expected: self.core.session_id,
                    got: h.session_id,
                });
            }
            if self.session_known {
                self.retired.push_back(self.core.session_id);
                if self.retired.len() > RETIRED_SESSIONS {
                    self.retired.pop_front();
                }
            }
            self.core.reset_session(h.session_id);
            self.queue.clear();
            self.queries.clear();
            self.seqs.clear();
            self.session_known = true;
            self.announced = false;
            self.events.push_back(ServerEvent::NewSession {
                session_id: h.session_id,
            });
        }
        let now_secs = server_secs(now);
        let outer = h.msg_id;
        if !outer.is_from_client() {
            self.notify(outer, h.seq_no, 18);
            return Ok(());
        }
        match freshness(outer, now_secs) {
            Freshness::Fresh => {}
            Freshness::TooOld => {
                self.notify(outer, h.seq_no, 16);
                return Ok(());
            }
            Freshness::TooNew => {
                self.notify(outer, h.seq_no, 17);
                return Ok(());
            }
        }
        if !self.salts.accepts(h.salt, now_secs) {
            let salt = self.salts.current(now_secs);
            let body = service::encode_bad_msg(outer.0, h.seq_no, 48, Some(salt));
            self.queue
                .push_back(Outgoing::new(body, Tag::Service, true));
            return Ok(());
        }
        if service::constructor(body) != Some(id::MSG_CONTAINER) {
            return self.handle_message(now, outer, h.seq_no, body);
        }
        let messages = match service::parse_container(body) {
            Ok(m) => m,
            Err(source) => {
                self.notify(outer, h.seq_no, 64);
                return Err(SessionError::Malformed {
                    msg_id: outer,
                    source,
                });
            }
        };
        // A duplicated container is processed again message by message: each inner message
        // takes the duplicate path, which resends answers the client may have missed.
        self.core.window.insert(outer);
        for m in messages {
            if let Err(e) = self.handle_message(now, MsgId(m.msg_id), m.seq_no, m.body) {
                self.events.push_back(ServerEvent::Error(e));
            }
        }
        Ok(())
    }

    fn notify(&mut self, bad: MsgId, seq_no: i32, code: i32) {
        let body = service::encode_bad_msg(bad.0, seq_no, code, None);
        self.queue
            .push_back(Outgoing::new(body, Tag::Service, true));
    }

    fn handle_message(
        &mut self,
        now: Instant,
        msg_id: MsgId,
        seq_no: i32,
        body: &[u8],
    ) -> Result<(), SessionError> {
        if !msg_id.is_from_client() {
            self.notify(msg_id, seq_no, 18);
            return Ok(());
        }
        let stale = match freshness(msg_id, server_secs(now)) {
            Freshness::Fresh => None,
            Freshness::TooOld => Some(16),
            Freshness::TooNew => Some(17),
        };
        if let Some(code) = stale {
            self.notify(msg_id, seq_no, code);
            return Ok(());
        }
        if self.core.window.contains(msg_id) {
            self.on_duplicate(now, msg_id, seq_no);
            return Ok(());
        }
        if self.core.window.check(msg_id).is_err() {
            self.notify(msg_id, seq_no, 20);
            return Ok(());
        }
        let content_related = service::is_content_related(body);
        if content_related != (seq_no & 1 == 1) {
            self.notify(msg_id, seq_no, if content_related { 35 } else { 34 });
            return Ok(());
        }
        if let Some(code) = self.seq_conflict(msg_id.0, seq_no) {
            self.notify(msg_id, seq_no, code);
            return Ok(());
        }
        self.core.window.insert(msg_id);
        self.seqs.insert(msg_id.0, seq_no);
        if self.seqs.len() > SEQ_MEMORY {
            self.seqs.pop_first();
        }
        if !self.announced {
            self.announced = true;
            let unique_id = self.core.rng.rng().gen();
            let salt = self.salts.current(server_secs(now));
            let body = service::encode_new_session(msg_id.0, unique_id, salt);
            // Telegram sends it before anything else of the session.
            self.queue
                .push_front(Outgoing::new(body, Tag::Service, false));
        }
        if content_related {
            self.core.ack(now, msg_id.0);
        }
        self.dispatch(now, msg_id, body)
            .map_err(|source| SessionError::Malformed { msg_id, source })
    }

    /// Codes 32/33: a seq_no that contradicts the order of msg_ids already received.
    fn seq_conflict(&self, msg_id: i64, seq_no: i32) -> Option<i32> {
        let odd = seq_no & 1 == 1;
        if let Some((_, &lower)) = self.seqs.range(..msg_id).next_back() {
            if lower > seq_no || (lower == seq_no && odd) {
                return Some(32);
            }
        }
        if let Some((_, &higher)) = self.seqs.range(msg_id.saturating_add(1)..).next() {
            if higher < seq_no || (higher == seq_no && odd) {
                return Some(33);
            }
        }
        None
    }

    /// A message we already received: acknowledge again and, if it was a query we answered,
    /// make sure the client gets the answer.
    fn on_duplicate(&mut self, now: Instant, msg_id: MsgId, seq_no: i32) {
        if seq_no & 1 == 1 {
            self.core.ack(now, msg_id.0);
        }
        let Some(Query::Answered {
            answer_msg_id: Some(answer),
            bytes,
            ..
        }) = self.queries.get(&msg_id.0)
        else {
            return;
        };
        let (answer, bytes) = (*answer, *bytes);
        if bytes > self.cfg.detailed_info_over {
            let body = service::encode_detailed_info(Some(msg_id.0), answer, bytes as i32);
            self.queue
                .push_back(Outgoing::new(body, Tag::Service, true));
        } else {
            self.resend_same_id(answer);
        }
    }

    /// Queues our message `msg_id` again under its own id (inside a container, per spec).
    fn resend_same_id(&mut self, msg_id: i64) -> bool {
        let Some(Sent {
            seq_no,
            kind: SentKind::Message { tag, body, .. },
            ..
        }) = self.core.sent.get(&msg_id)
        else {
            return false;
        };
        if self
            .queue
            .iter()
            .any(|m| m.original.is_some_and(|(id, _)| id == msg_id))
        {
            return true;
        }
        let mut msg = Outgoing::new(body.clone(), *tag, true);
        msg.original = Some((msg_id, *seq_no));
        self.queue.push_back(msg);
        true
    }

    fn dispatch(&mut self, now: Instant, msg_id: MsgId, body: &[u8]) -> Result<(), DecodeError> {
        let now_secs = server_secs(now);
        match service::decode(body)? {
            Service::Gzip => {
                let inflated = service::gunzip(body, self.cfg.limits.max_inflated)?;
                match service::constructor(&inflated) {
                    Some(ctor @ (id::GZIP_PACKED | id::MSG_CONTAINER)) => {
                        return Err(DecodeError::UnexpectedConstructor(ctor))
                    }
                    _ => return self.dispatch(now, msg_id, &inflated),
                }
            }
            Service::MsgsAck(ids) => {
                for id in ids {
                    match self.core.mark_acked(id) {
                        Some(Tag::Answer(req)) => {
                            // The client has the answer: nothing left to resend.
                            self.core.sent.remove(&id);
                            if matches!(self.queries.get(&req), Some(Query::Answered { .. })) {
                                self.queries.remove(&req);
                                // Keep the query id known as received-and-answered via the window.
                            }
                        }
                        Some(_) => {
                            self.core.sent.remove(&id);
                        }
                        None => {}
                    }
                }
            }
            Service::Ping { ping_id, .. } => {
                self.queue.push_back(Outgoing::new(
                    service::encode_pong(msg_id.0, ping_id),
                    Tag::Service,
                    true,
                ));
            }
            Service::GetFutureSalts { num } => {
                let salts = self.salts.future(now_secs, num.clamp(1, 64) as usize);
                let now32 = i32::try_from(now_secs).unwrap_or(i32::MAX);
                let body = service::encode_future_salts(msg_id.0, now32, &salts);
                self.queue
                    .push_back(Outgoing::new(body, Tag::Service, true));
            }
            Service::DestroySession { session_id } => self
                .events
                .push_back(ServerEvent::DestroySession { session_id }),
            Service::RpcDropAnswer { req_msg_id } => {
                let result = match self.queries.get(&req_msg_id) {
                    Some(Query::Answered {
                        answer_msg_id: Some(answer),
                        bytes,
                        ..
                    }) => {
                        let answer = *answer;
                        let bytes = i32::try_from(*bytes).unwrap_or(i32::MAX);
                        let seq = self.core.sent.remove(&answer).map_or(0, |s| s.seq_no);
                        self.queries.remove(&req_msg_id);
                        service::encode_drop_answer_result(Some((answer, seq, bytes)), false)
                    }
                    Some(Query::Running) => {
                        self.queries.insert(req_msg_id, Query::Dropped);
                        service::encode_drop_answer_result(None, true)
                    }
                    _ => service::encode_drop_answer_result(None, false),
                };
                let body = service::encode_rpc_result(msg_id.0, &result);
                self.queue
                    .push_back(Outgoing::new(body, Tag::Service, true));
            }
            Service::MsgsStateReq(ids) => {
                let info: Vec<u8> = ids.iter().map(|&id| self.state_of(id)).collect();
                self.queue.push_back(Outgoing::new(
                    service::encode_state_info(msg_id.0, &info),
                    Tag::Service,
                    true,
                ));
            }
            Service::MsgResendReq(ids) => {
                let mut all_known = true;
                for &id in &ids {
                    all_known &= self.resend_same_id(id);
                }
                if !all_known {
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
                    self.queue.push_back(Outgoing::new(
                        service::encode_state_info(msg_id.0, &info),
                        Tag::Service,
                        true,
                    ));
                }
            }
            Service::MsgResendAnsReq(ids) => {
                for req in ids {
                    if let Some(Query::Answered {
                        answer_msg_id: Some(answer),
                        ..
                    }) = self.queries.get(&req)
                    {
                        if let Some(Sent {
                            kind: SentKind::Message { body, .. },
                            ..
                        }) = self.core.sent.get(answer)
                        {
                            // A fresh copy under a new id: the old one may be past the window.
                            let copy = Outgoing::new(body.clone(), Tag::Answer(req), true);
                            self.queue.push_back(copy);
                        }
                    }
                }
            }
            Service::Other(query) => {
                self.queries.insert(msg_id.0, Query::Running);
                self.events.push_back(ServerEvent::Request {
                    msg_id,
                    body: query.to_vec(),
                });
            }
            Service::Container => return Err(DecodeError::NestedContainer),
            // Client-bound notices, and http_wait (meaningless over TCP): nothing to do.
            Service::RpcResult { .. }
            | Service::BadMsg { .. }
            | Service::NewSessionCreated { .. }
            | Service::Pong { .. }
            | Service::FutureSalts { .. }
            | Service::MsgsStateInfo { .. }
            | Service::MsgsAllInfo { .. }
            | Service::DetailedInfo { .. }
            | Service::DestroySessionRes { .. }
            | Service::HttpWait
            | Service::MsgCopy => {
                log::debug!("ignoring client message {:#x?}", service::constructor(body))
            }
        }
        Ok(())
    }

    /// `msgs_state_info` status byte for a client msg_id.
    fn state_of(&self, msg_id: i64) -> u8 {
        let base = state_of_received(&self.core.window, msg_id);
        if base != 4 {
            return base;
        }
        match self.queries.get(&msg_id) {
            Some(Query::Running | Query::Dropped) => 4 | 32,
            Some(Query::Answered { .. }) => 4 | 32 | 64,
            // Received and either not a query or answered long ago and acknowledged.
            None => 4 | 8,
        }
    }

    fn advance(&mut self, now: Instant) {
        self.core.prune(now);
        let retention = self.cfg.answer_retention;
        self.queries.retain(|_, q| match q {
            Query::Answered {
                answer_msg_id: Some(_),
                at,
                ..
            } => *at + retention > now,
            _ => true,
        });
        if now < self.notes_from {
            return;
        }
        let mut notes = Vec::new();
        let mut next = NEVER;
        for (&msg_id, sent) in self.core.sent.iter_mut() {
            if let SentKind::Message {
                tag: tag @ (Tag::Answer(_) | Tag::Push),
                acked: false,
                noted_at,
                body,
                ..
            } = &mut sent.kind
            {
                let due = noted_at.unwrap_or(sent.sent_at) + self.cfg.resend_after;
                if due > now {
                    next = next.min(due);
                } else {
                    *noted_at = Some(now);
                    next = next.min(now + self.cfg.resend_after);
                    let req = if let Tag::Answer(req) = tag {
                        Some(*req)
                    } else {
                        None
                    };
                    notes.push(service::encode_detailed_info(
                        req,
                        msg_id,
                        body.len() as i32,
                    ));
                }
            }
        }
        self.notes_from = next;
        for body in notes {
            self.queue
                .push_back(Outgoing::new(body, Tag::Service, false));
        }
    }
}

fn server_secs(now: Instant) -> i64 {
    i64::try_from(now.unix_secs()).unwrap_or(i64::MAX)
}
