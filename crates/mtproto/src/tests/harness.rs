//! A two-peer harness: a client [`Session`] and a [`ServerSession`] joined by an in-memory
//! network with latency, loss, duplication and reordering, under one virtual clock and seeded
//! randomness. A wiretap decrypts every packet so tests can assert what crossed the wire.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tgwire_crypto::{decrypt_message, AuthKey, Side};

use crate::service::{self, constructor};
use crate::{
    ClientConfig, Event, Instant, MsgId, SaltSchedule, ServerConfig, ServerEvent, ServerSession,
    Session,
};

pub(crate) const T0: u64 = 1_700_000_000;

pub(crate) fn key() -> AuthKey {
    AuthKey::from_bytes(std::array::from_fn(|i| {
        (i as u8).wrapping_mul(31).wrapping_add(7)
    }))
}

/// A request body the test responder understands: `0x0b0b0b0b n:int` plus `pad` zero words.
pub(crate) fn query(n: u32, pad_words: usize) -> Vec<u8> {
    let mut b = Vec::with_capacity(8 + pad_words * 4);
    b.extend_from_slice(&0x0b0b_0b0bu32.to_le_bytes());
    b.extend_from_slice(&n.to_le_bytes());
    b.resize(8 + pad_words * 4, 0);
    b
}

/// The answer the echo responder gives to `query(n, _)`.
pub(crate) fn answer(n: u32) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x0a0a_0a0au32.to_le_bytes());
    b.extend_from_slice(&n.to_le_bytes());
    b
}

pub(crate) fn number_of(query: &[u8]) -> Option<u32> {
    let q = if constructor(query) == Some(service::id::INVOKE_AFTER_MSGS) {
        // invokeAfterMsgs: ctor, vector ctor, count, ids, then the query.
        let n = u32::from_le_bytes(query.get(8..12)?.try_into().ok()?) as usize;
        query.get(12 + 8 * n..)?
    } else {
        query
    };
    (constructor(q)? == 0x0b0b_0b0b)
        .then(|| u32::from_le_bytes(q[4..8].try_into().unwrap_or_default()))
}

/// Which packet to lose: true for the (wiretapped) messages of the packet to drop.
pub(crate) type DropRule = fn(&[Tapped]) -> bool;

#[derive(Clone, Debug)]
pub(crate) struct NetConfig {
    pub(crate) latency: Duration,
    pub(crate) jitter: Duration,
    pub(crate) loss: f64,
    pub(crate) duplicate: f64,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(40),
            jitter: Duration::ZERO,
            loss: 0.0,
            duplicate: 0.0,
        }
    }
}

/// What the wiretap saw: one entry per message (inner messages of containers included).
#[derive(Clone, Debug)]
pub(crate) struct Tapped {
    pub(crate) from: Side,
    pub(crate) ctor: u32,
    pub(crate) msg_id: i64,
    pub(crate) in_container: bool,
    pub(crate) packet_len: usize,
}

pub(crate) struct Pair {
    pub(crate) client: Session,
    pub(crate) server: ServerSession,
    pub(crate) schedule: SaltSchedule,
    pub(crate) now: Instant,
    /// Added to the shared clock for the client only (its clock is wrong by this much).
    pub(crate) client_skew: i64,
    pub(crate) net: NetConfig,
    rng: StdRng,
    in_flight: BTreeMap<(Instant, u64), (Side, Vec<u8>)>,
    seq: u64,
    pub(crate) client_events: Vec<Event>,
    pub(crate) server_events: Vec<ServerEvent>,
    pub(crate) client_errors: Vec<crate::SessionError>,
    pub(crate) server_errors: Vec<crate::SessionError>,
    pub(crate) tap: Vec<Tapped>,
    pub(crate) packets_sent: [usize; 2],
    /// Drop the next packets from this side that satisfy the predicate (then stop dropping).
    pub(crate) drop_next: Vec<(Side, DropRule)>,
    /// Echo-answer requests automatically, after this delay.
    pub(crate) auto_answer: Option<Duration>,
    pending_answers: Vec<(Instant, MsgId, Vec<u8>)>,
    key: AuthKey,
}

impl Pair {
    pub(crate) fn new(client_cfg: ClientConfig, server_cfg: ServerConfig, seed: u64) -> Self {
        let schedule = SaltSchedule::new([9; 32], 3600);
        let now = Instant::from_unix_secs(T0);
        let salt = schedule.current(T0 as i64);
        let mut rng = StdRng::seed_from_u64(seed);
        let client = Session::new(key(), salt, 0, client_cfg, rng.gen());
        let server = ServerSession::new(key(), schedule.clone(), server_cfg, rng.gen());
        Self {
            client,
            server,
            schedule,
            now,
            client_skew: 0,
            net: NetConfig::default(),
            rng,
            in_flight: BTreeMap::new(),
            seq: 0,
            client_events: Vec::new(),
            server_events: Vec::new(),
            client_errors: Vec::new(),
            server_errors: Vec::new(),
            tap: Vec::new(),
            packets_sent: [0; 2],
            drop_next: Vec::new(),
            auto_answer: Some(Duration::ZERO),
            pending_answers: Vec::new(),
            key: key(),
        }
    }

    pub(crate) fn default_pair() -> Self {
        Self::new(ClientConfig::default(), ServerConfig::default(), 1)
    }

    pub(crate) fn client_now(&self) -> Instant {
        let secs = self.now.unix_nanos() as i128 + i128::from(self.client_skew) * 1_000_000_000;
        Instant::from_unix_nanos(secs as u64)
    }

    fn wiretap(&self, from: Side, packet: &[u8]) -> Vec<Tapped> {
        let mut plain = Vec::new();
        if decrypt_message(&self.key, from, packet, &mut plain).is_err() || plain.len() < 32 {
            return Vec::new();
        }
        let msg_id = i64::from_le_bytes(plain[16..24].try_into().unwrap_or_default());
        let len = u32::from_le_bytes(plain[28..32].try_into().unwrap_or_default()) as usize;
        let Some(body) = plain.get(32..32 + len) else {
            return Vec::new();
        };
        let tapped = |ctor, msg_id, in_container| Tapped {
            from,
            ctor,
            msg_id,
            in_container,
            packet_len: packet.len(),
        };
        if constructor(body) == Some(service::id::MSG_CONTAINER) {
            let mut out = vec![tapped(service::id::MSG_CONTAINER, msg_id, false)];
            for m in service::parse_container(body).unwrap_or_default() {
                out.push(tapped(constructor(m.body).unwrap_or(0), m.msg_id, true));
            }
            out
        } else {
            vec![tapped(constructor(body).unwrap_or(0), msg_id, false)]
        }
    }

    fn send(&mut self, from: Side, packet: Vec<u8>) {
        self.packets_sent[from as usize] += 1;
        let tapped = self.wiretap(from, &packet);
        let dropped = match self
            .drop_next
            .iter()
            .position(|(side, pred)| *side == from && pred(&tapped))
        {
            Some(i) => {
                self.drop_next.remove(i);
                true
            }
            None => self.rng.gen_bool(self.net.loss),
        };
        self.tap.extend(tapped);
        if dropped {
            return;
        }
        let copies = if self.rng.gen_bool(self.net.duplicate) {
            2
        } else {
            1
        };
        for _ in 0..copies {
            let jitter = if self.net.jitter.is_zero() {
                Duration::ZERO
            } else {
                Duration::from_nanos(self.rng.gen_range(0..self.net.jitter.as_nanos() as u64))
            };
            let at = self.now + self.net.latency + jitter;
            self.seq += 1;
            self.in_flight
                .insert((at, self.seq), (from, packet.clone()));
        }
    }

    /// One round: transmit everything, deliver what is due, handle events. Returns whether
    /// anything moved.
    fn round(&mut self) -> bool {
        let before = (
            self.packets_sent,
            self.in_flight.len(),
            self.client_events.len(),
            self.server_events.len(),
        );
        let mut buf = Vec::new();
        loop {
            buf.clear();
            if !self.client.poll_transmit(self.client_now(), &mut buf) {
                break;
            }
            self.send(Side::Client, buf.clone());
        }
        loop {
            buf.clear();
            if !self.server.poll_transmit(self.now, &mut buf) {
                break;
            }
            self.send(Side::Server, buf.clone());
        }
        while let Some(entry) = self.in_flight.first_entry() {
            if entry.key().0 > self.now {
                break;
            }
            let (from, packet) = entry.remove();
            match from {
                Side::Client => {
                    if let Err(e) = self.server.handle_incoming(self.now, &packet) {
                        self.server_errors.push(e);
                    }
                }
                Side::Server => {
                    let now = self.client_now();
                    if let Err(e) = self.client.handle_incoming(now, &packet) {
                        self.client_errors.push(e);
                    }
                }
            }
        }
        while let Some(ev) = self.server.poll_event() {
            match (&ev, self.auto_answer) {
                (ServerEvent::Request { msg_id, body }, Some(delay)) => {
                    let answer = number_of(body).map(answer).unwrap_or_else(|| body.clone());
                    self.pending_answers
                        .push((self.now + delay, *msg_id, answer));
                }
                (ServerEvent::DestroySession { session_id }, _) => {
                    self.server.answer_destroy_session(*session_id, false);
                }
                _ => {}
            }
            self.server_events.push(ev);
        }
        let now = self.now;
        let (due, later): (Vec<_>, Vec<_>) = self
            .pending_answers
            .drain(..)
            .partition(|(t, ..)| *t <= now);
        self.pending_answers = later;
        let responded = !due.is_empty();
        for (_, msg_id, answer) in due {
            self.server.respond(msg_id, answer);
        }
        while let Some(ev) = self.client.poll_event() {
            self.client_events.push(ev);
        }
        responded
            || before
                != (
                    self.packets_sent,
                    self.in_flight.len(),
                    self.client_events.len(),
                    self.server_events.len(),
                )
    }

    fn next_wakeup(&self) -> Option<Instant> {
        let skew = |t: Instant| {
            Instant::from_unix_nanos(
                (t.unix_nanos() as i128 - i128::from(self.client_skew) * 1_000_000_000) as u64,
            )
        };
        [
            self.in_flight.keys().next().map(|k| k.0),
            self.client.poll_timeout().map(skew),
            self.server.poll_timeout(),
            self.pending_answers.iter().map(|(t, ..)| *t).min(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs until `done` holds or virtual time passes `limit`; returns whether `done` held.
    pub(crate) fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&Self) -> bool,
    ) -> bool {
        let end = self.now + limit;
        loop {
            while self.round() {}
            if done(self) {
                return true;
            }
            let Some(next) = self.next_wakeup() else {
                return false;
            };
            let next = next.max(self.now);
            if next > end {
                self.now = end;
                return false;
            }
            // Timers due now were already handled; make sure time moves.
            self.now = if next == self.now {
                self.now + Duration::from_millis(1)
            } else {
                next
            };
            let client_now = self.client_now();
            self.client.handle_timeout(client_now);
            self.server.handle_timeout(self.now);
        }
    }

    /// Runs for `d` of virtual time.
    pub(crate) fn run_for(&mut self, d: Duration) {
        self.run_until(d, |_| false);
    }

    pub(crate) fn responses(&self) -> Vec<(crate::RequestId, Vec<u8>)> {
        self.client_events
            .iter()
            .filter_map(|e| match e {
                Event::Response { request, body } => Some((*request, body.to_vec())),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn outcomes(&self) -> usize {
        self.client_events
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::Response { .. } | Event::RpcError { .. } | Event::Dropped { .. }
                )
            })
            .count()
    }

    pub(crate) fn tapped(&self, from: Side, ctor: u32) -> usize {
        self.tap
            .iter()
            .filter(|t| t.from == from && t.ctor == ctor)
            .count()
    }

    pub(crate) fn requests_seen(&self) -> usize {
        self.server_events
            .iter()
            .filter(|e| matches!(e, ServerEvent::Request { .. }))
            .count()
    }
}
