//! What both ends of an encrypted session share: sealing and opening packets, id and seq_no
//! generation, the replay window, pending acknowledgments, the sent-message log and the
//! container packing policy.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::time::Duration;

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha12Rng;
use tgwire_crypto::{
    decrypt_message, decrypt_messages, encrypt_messages_parts, AuthKey, Opening, Side,
};

use super::body::Body;
use crate::error::SessionError;
use crate::msg_id::{IdKind, MsgId, MsgIdGen};
use crate::seq_no::SeqNo;
use crate::service::{self, id};
use crate::time::{Instant, MaybeInstant};
use crate::window::ReplayWindow;
use crate::wire::Cursor;

/// Bytes before the body in the plaintext: salt, session_id, msg_id, seq_no, length.
const HEADER: usize = 32;
/// MTProto 2.0 padding bounds.
pub(crate) const MIN_PADDING: usize = 12;
pub(crate) const MAX_PADDING: usize = 1024;
/// Header of a message inside a container: msg_id, seq_no, length.
const INNER_HEADER: usize = 16;
/// The spec allows at most 8192 ids per `msgs_ack` (and per state request).
pub(crate) const MAX_IDS_PER_MESSAGE: usize = 8192;
/// Sent messages are remembered this long: after 300 s the peer refuses their ids anyway.
const SENT_RETENTION: Duration = Duration::from_secs(600);
/// Our acknowledgments and containers are remembered this long. They are kept only to act on
/// a `bad_msg_notification` or `bad_server_salt` about them (acknowledge again, resend the
/// contents), which comes within a round trip; a lost acknowledgment heals anyway (the peer
/// sends the message again, or asks, and the duplicate is acknowledged). Forgetting them
/// soon lets an idle connection's log become empty and be freed (a keep-alive pong is
/// acknowledged every minute).
const SERVICE_RETENTION: Duration = Duration::from_secs(30);

/// Tunables shared by both roles. `Default` follows the spec's recommendations.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Most messages packed into one `msg_container`. The server answers `bad_msg` 64 beyond
    /// its (unpublished) limit; 1020 is what Telegram is known to accept, lower is safe.
    pub max_container_messages: usize,
    /// Most bytes of messages (with their 16-byte headers) packed into one container; larger
    /// messages travel on their own.
    pub max_container_bytes: usize,
    /// Bodies at least this long are sent as `gzip_packed` when that makes them smaller.
    pub gzip_threshold: usize,
    /// Largest body a `gzip_packed` from the peer may inflate to.
    pub max_inflated: usize,
    /// How long a received content-related message may wait for its acknowledgment to ride on
    /// another packet before a stand-alone `msgs_ack` is sent.
    pub ack_delay: Duration,
    /// Pending acknowledgments that trigger a stand-alone `msgs_ack` immediately (spec: ~16).
    pub ack_threshold: usize,
    /// How many received msg_ids are remembered to refuse duplicates.
    pub replay_window: usize,
    /// Extra random 16-byte padding blocks (0..=this) added on top of the minimum, to blur
    /// message lengths; the total always stays within 12..=1024.
    pub extra_padding_blocks: u8,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_container_messages: 1020,
            max_container_bytes: 1 << 20,
            gzip_threshold: 512,
            max_inflated: 16 << 20,
            ack_delay: Duration::from_secs(5),
            ack_threshold: 16,
            replay_window: 1024,
            extra_padding_blocks: 3,
        }
    }
}

/// What an outgoing message is, so the role can find it again on ack, error or resend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    /// A client request (the id is the client's [`crate::RequestId`] number).
    Request(u64),
    /// A server `rpc_result` answering the client message with this id.
    Answer(i64),
    /// A server update.
    Push,
    /// A `msgs_ack`.
    Ack,
    /// Any other service message.
    Service,
}

/// A message waiting in a role's queue.
#[derive(Clone, Debug)]
pub(crate) struct Outgoing {
    pub(crate) body: Body,
    pub(crate) tag: Tag,
    /// For a server: whether the id must mark a response (≡ 1 mod 4) rather than 3.
    pub(crate) response: bool,
    /// Resend under the original msg_id and seq_no. The spec forbids resending a message alone
    /// under its old id, so such messages always travel inside a container.
    pub(crate) original: Option<(i64, i32)>,
    /// A new msg_id chosen before packing (seq_no is still assigned by [`Core::pack`]), so a
    /// later message of the same packet can refer to it (`invokeAfterMsgs` chains).
    pub(crate) fresh_id: Option<i64>,
}

impl Outgoing {
    pub(crate) fn new(body: impl Into<Body>, tag: Tag, response: bool) -> Self {
        Self {
            body: body.into(),
            tag,
            response,
            original: None,
            fresh_id: None,
        }
    }
}

/// A message we sent, remembered for acks, errors and resends.
#[derive(Clone, Debug)]
pub(crate) struct Sent {
    pub(crate) seq_no: i32,
    pub(crate) sent_at: Instant,
    pub(crate) kind: SentKind,
    /// The container the message travelled in last.
    pub(crate) container: Option<i64>,
}

#[derive(Clone, Debug)]
pub(crate) enum SentKind {
    Container(Vec<i64>),
    Message {
        tag: Tag,
        /// The exact bytes sent, so the message can be resent under the same id.
        body: Body,
        acked: bool,
        /// When the peer was last told about this message (server voluntary status notes).
        noted_at: Option<Instant>,
    },
}

/// One message placed in a packet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Placed {
    pub(crate) msg_id: MsgId,
    pub(crate) tag: Tag,
}

/// The decrypted header of a packet; the body is `rx[body]`.
#[derive(Clone, Debug)]
pub(crate) struct Opened {
    pub(crate) salt: i64,
    pub(crate) session_id: i64,
    pub(crate) msg_id: MsgId,
    pub(crate) seq_no: i32,
    pub(crate) body: Range<usize>,
}

/// The messages we sent and still remember, by msg_id.
///
/// Each record is boxed: a B-tree allocates whole nodes of eleven entries, which with records
/// inline is about 1 KiB for a single message (what an idle connection holds), and 200 bytes
/// boxed.
pub(crate) struct SentLog {
    map: BTreeMap<i64, Box<Sent>>,
    /// No record expires before this (see [`retention`]); records removed since may have
    /// expired later, so it is a lower bound. Pruning runs before every packet, and a busy
    /// session holds thousands of records (pushes awaiting their acks, 30 s of containers):
    /// walking them all each time was most of a push-heavy server's CPU. Never: `u64::MAX`
    /// nanoseconds (no `Option`, which would double its size in every idle connection).
    expires_from: Instant,
}

impl Default for SentLog {
    fn default() -> Self {
        Self {
            map: BTreeMap::new(),
            expires_from: NEVER,
        }
    }
}

/// An instant no record reaches.
pub(crate) const NEVER: Instant = Instant::from_unix_nanos(u64::MAX);

/// How long a record is kept after it was sent.
fn retention(kind: &SentKind) -> Duration {
    match kind {
        SentKind::Container(_) | SentKind::Message { tag: Tag::Ack, .. } => SERVICE_RETENTION,
        SentKind::Message { .. } => SENT_RETENTION,
    }
}

impl SentLog {
    pub(crate) fn insert(&mut self, msg_id: i64, sent: Sent) {
        self.expires_from = self.expires_from.min(sent.sent_at + retention(&sent.kind));
        self.map.insert(msg_id, Box::new(sent));
    }

    /// Drops the records past their retention at `now`; walks the log only when the earliest
    /// expiry has come.
    pub(crate) fn prune(&mut self, now: Instant) {
        if now < self.expires_from {
            return;
        }
        let mut next = NEVER;
        self.map.retain(|_, s| {
            let expires = s.sent_at + retention(&s.kind);
            let keep = expires > now;
            if keep {
                next = next.min(expires);
            }
            keep
        });
        self.expires_from = next;
    }

    pub(crate) fn get(&self, msg_id: &i64) -> Option<&Sent> {
        self.map.get(msg_id).map(|s| &**s)
    }

    pub(crate) fn get_mut(&mut self, msg_id: &i64) -> Option<&mut Sent> {
        self.map.get_mut(msg_id).map(|s| &mut **s)
    }

    pub(crate) fn remove(&mut self, msg_id: &i64) -> Option<Sent> {
        self.map.remove(msg_id).map(|s| *s)
    }

    pub(crate) fn contains_key(&self, msg_id: &i64) -> bool {
        self.map.contains_key(msg_id)
    }

    #[cfg(test)]
    pub(crate) fn values(&self) -> impl Iterator<Item = &Sent> {
        self.map.values().map(|s| &**s)
    }

    pub(crate) fn iter_mut(&mut self) -> impl Iterator<Item = (&i64, &mut Sent)> {
        self.map.iter_mut().map(|(id, s)| (id, &mut **s))
    }

    pub(crate) fn clear(&mut self) {
        self.map.clear();
        self.expires_from = NEVER;
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Where a session's random choices come from: ChaCha12 keyed by the session's seed, a new
/// stream for each use.
///
/// A generator kept for the session's life carries its 256-byte block buffer in every idle
/// connection; this is 40 bytes, and a use (a packet's padding, a session id) makes a
/// generator on the stack, whose first block costs about as much as the padding it fills.
pub(crate) struct Randomness {
    key: [u8; 32],
    stream: u64,
}

impl Randomness {
    pub(crate) fn new(seed: [u8; 32]) -> Self {
        Self {
            key: seed,
            stream: 0,
        }
    }

    /// A generator for one use; no two calls give the same stream.
    pub(crate) fn rng(&mut self) -> ChaCha12Rng {
        let mut rng = ChaCha12Rng::from_seed(self.key);
        rng.set_stream(self.stream);
        self.stream = self.stream.wrapping_add(1);
        rng
    }
}

pub(crate) struct Core {
    pub(crate) side: Side,
    pub(crate) auth_key: AuthKey,
    pub(crate) session_id: i64,
    pub(crate) ids: MsgIdGen,
    pub(crate) seq: SeqNo,
    pub(crate) window: ReplayWindow,
    pub(crate) acks: Vec<i64>,
    pub(crate) ack_since: MaybeInstant,
    pub(crate) sent: SentLog,
    pub(crate) rng: Randomness,
    /// Plaintext buffers of opened packets, kept for the next ones (at most [`RX_SPARE`]);
    /// several when packets are opened together ([`Self::open_many`]). Sealing takes one for
    /// the random padding of the packets it seals (a scratch buffer of its own would be 24
    /// bytes more in every idle session).
    rx: Vec<Vec<u8>>,
}

/// Most decrypted-packet buffers [`Core`] keeps between packets: as many as are opened
/// together (`tgwire_crypto::decrypt_messages` runs up to four side by side).
const RX_SPARE: usize = 4;

impl Core {
    pub(crate) fn new(
        side: Side,
        auth_key: AuthKey,
        session_id: i64,
        time_offset: i32,
        rng: Randomness,
        limits: &Limits,
    ) -> Self {
        Self {
            side,
            auth_key,
            session_id,
            ids: MsgIdGen::new(time_offset),
            seq: SeqNo::default(),
            window: ReplayWindow::new(limits.replay_window),
            acks: Vec::new(),
            ack_since: MaybeInstant::NONE,
            sent: SentLog::default(),
            rng,
            rx: Vec::new(),
        }
    }

    /// Forgets everything tied to the current session id (used when the session changes).
    pub(crate) fn reset_session(&mut self, session_id: i64) {
        self.session_id = session_id;
        self.seq = SeqNo::default();
        self.window.clear();
        self.acks.clear();
        self.ack_since = MaybeInstant::NONE;
        self.sent.clear();
    }

    /// Gives back the memory of empty collections and scratch buffers (see
    /// [`crate::Session::shrink_buffers`]).
    pub(crate) fn shrink_buffers(&mut self) {
        if self.sent.is_empty() {
            // An empty B-tree keeps its root leaf.
            self.sent = SentLog::default();
        }
        if self.acks.is_empty() {
            self.acks = Vec::new();
        }
        self.window.shrink();
        self.rx = Vec::new();
    }

    /// Decrypts `packet` and checks the plaintext layout. The decrypted bytes stay in the
    /// returned buffer; hand it back with [`Self::recycle`].
    pub(crate) fn open(&mut self, packet: &[u8]) -> Result<(Opened, Vec<u8>), SessionError> {
        let mut rx = self.rx.pop().unwrap_or_default();
        if let Err(e) = decrypt_message(&self.auth_key, self.side.peer(), packet, &mut rx) {
            self.recycle(rx);
            return Err(e.into());
        }
        match parse_header(&rx) {
            Ok(h) => Ok((h, rx)),
            Err(e) => {
                self.recycle(rx);
                Err(e)
            }
        }
    }

    /// Begins opening a packet of `len` bytes of which `head` (its header at least) has
    /// arrived, into a buffer kept for received packets; `None` if it is not under this
    /// session's key or its length is malformed (the whole packet is then refused by
    /// [`Self::open`], which says why).
    pub(crate) fn begin_open(&mut self, head: &[u8], len: usize) -> Option<Opening> {
        let rx = self.rx.pop().unwrap_or_default();
        Opening::begin(&self.auth_key, self.side.peer(), head, len, rx).ok()
    }

    /// [`Self::open`] of a packet begun with [`Self::begin_open`], now whole.
    pub(crate) fn finish_open(
        &mut self,
        opening: Opening,
        packet: &[u8],
    ) -> Result<(Opened, Vec<u8>), SessionError> {
        let rx = opening.finish(packet)?;
        match parse_header(&rx) {
            Ok(h) => Ok((h, rx)),
            Err(e) => {
                self.recycle(rx);
                Err(e)
            }
        }
    }

    /// [`Self::open`] of several packets at once, outcome `i` for `packets[i]`: their
    /// decryptions (each with its msg_key hash) run side by side
    /// (`tgwire_crypto::decrypt_messages`). A packet that fails does not affect the others.
    pub(crate) fn open_many(
        &mut self,
        packets: &[&[u8]],
    ) -> Vec<Result<(Opened, Vec<u8>), SessionError>> {
        let mut outs: Vec<Vec<u8>> = packets
            .iter()
            .map(|_| self.rx.pop().unwrap_or_default())
            .collect();
        let verdicts = match decrypt_messages(&self.auth_key, self.side.peer(), packets, &mut outs)
        {
            Ok(verdicts) => verdicts,
            // Unreachable: one output per packet by construction. Open them one by one.
            Err(_) => {
                for rx in outs {
                    self.recycle(rx);
                }
                return packets.iter().map(|p| self.open(p)).collect();
            }
        };
        let mut opened = Vec::with_capacity(packets.len());
        for (rx, verdict) in outs.into_iter().zip(verdicts) {
            let header = verdict
                .map_err(SessionError::from)
                .and_then(|()| parse_header(&rx));
            match header {
                Ok(h) => opened.push(Ok((h, rx))),
                Err(e) => {
                    self.recycle(rx);
                    opened.push(Err(e));
                }
            }
        }
        opened
    }

    /// Takes back a buffer [`Self::open`] or [`Self::open_many`] returned.
    pub(crate) fn recycle(&mut self, mut rx: Vec<u8>) {
        if self.rx.len() < RX_SPARE {
            rx.clear();
            self.rx.push(rx);
        }
    }

    /// Queues an acknowledgment for a received content-related message.
    pub(crate) fn ack(&mut self, now: Instant, msg_id: i64) {
        if !self.acks.contains(&msg_id) {
            self.acks.push(msg_id);
        }
        if self.ack_since.get().is_none() {
            self.ack_since = MaybeInstant::some(now);
        }
    }

    /// When pending acknowledgments must go out even with nothing else to send.
    ///
    /// The limits are the session's configuration's, passed in rather than kept here: a copy
    /// in every session would be 72 bytes more in every idle connection.
    pub(crate) fn ack_deadline(&self, limits: &Limits) -> Option<Instant> {
        if self.acks.len() >= limits.ack_threshold {
            return self.ack_since.get();
        }
        self.ack_since.get().map(|t| t + limits.ack_delay)
    }

    pub(crate) fn acks_due(&self, now: Instant, limits: &Limits) -> bool {
        self.ack_deadline(limits).is_some_and(|d| d <= now)
    }

    /// Marks our message `msg_id` acknowledged; returns its tag if it was a known message.
    pub(crate) fn mark_acked(&mut self, msg_id: i64) -> Option<Tag> {
        match self.sent.get_mut(&msg_id) {
            Some(Sent {
                kind: SentKind::Message { tag, acked, .. },
                ..
            }) => {
                *acked = true;
                Some(*tag)
            }
            _ => None,
        }
    }

    /// The peer answered our message `msg_id`, so it accepted the packet that carried it: the
    /// record of that packet's container, and of the acknowledgments in it, have served their
    /// purpose (a `bad_msg_notification` or `bad_server_salt` refuses a whole container
    /// before any of it runs).
    pub(crate) fn forget_container_of(&mut self, msg_id: i64) {
        let Some(container) = self.sent.get(&msg_id).and_then(|s| s.container) else {
            return;
        };
        let Some(Sent {
            kind: SentKind::Container(ids),
            ..
        }) = self.sent.remove(&container)
        else {
            return;
        };
        for id in ids {
            if let Some(Sent {
                kind: SentKind::Message { tag: Tag::Ack, .. },
                ..
            }) = self.sent.get(&id)
            {
                self.sent.remove(&id);
            }
        }
    }

    /// Drops sent-message records too old to be resent under their own ids, and
    /// acknowledgments and containers past [`SERVICE_RETENTION`].
    pub(crate) fn prune(&mut self, now: Instant) {
        self.sent.prune(now);
    }

    /// Builds one packet from the front of `queue` (plus pending acks) and appends its
    /// encrypted bytes to `out`. Returns the messages placed, or `None` if there was nothing
    /// to send. Messages that did not fit stay in `queue`.
    pub(crate) fn pack(
        &mut self,
        now: Instant,
        salt: i64,
        queue: &mut VecDeque<Outgoing>,
        flush_acks: bool,
        out: &mut Vec<u8>,
        limits: &Limits,
    ) -> Option<Vec<Placed>> {
        let plan = self.plan(now, queue, flush_acks, limits)?;
        self.seal_plans(
            salt,
            std::slice::from_ref(&plan),
            std::slice::from_mut(out),
            limits,
        );
        Some(self.record(now, plan))
    }

    /// Like [`Self::pack`] for up to `outs.len()` packets, packet `i` appended to `outs[i]`:
    /// the packets [`Self::pack`] called that many times would build, sealed together (their
    /// AES-IGE chains run side by side on one core, `tgwire_crypto::encrypt_messages_parts`).
    /// Returns the messages placed in each packet built (fewer than `outs.len()` once there
    /// is nothing left to send; the outputs past them are untouched).
    pub(crate) fn pack_many(
        &mut self,
        now: Instant,
        salt: i64,
        queue: &mut VecDeque<Outgoing>,
        flush_acks: bool,
        outs: &mut [Vec<u8>],
        limits: &Limits,
    ) -> Vec<Vec<Placed>> {
        let mut plans = Vec::new();
        while plans.len() < outs.len() {
            match self.plan(now, queue, flush_acks, limits) {
                Some(plan) => plans.push(plan),
                None => break,
            }
        }
        if plans.is_empty() {
            return Vec::new();
        }
        let built = plans.len();
        self.seal_plans(salt, &plans, &mut outs[..built], limits);
        plans
            .into_iter()
            .map(|plan| self.record(now, plan))
            .collect()
    }

    /// Chooses the messages of the next packet from the front of `queue` (plus pending
    /// acks) and gives them their ids, the container's included; `None` if there is nothing
    /// to send. Messages that do not fit stay in `queue`.
    fn plan(
        &mut self,
        now: Instant,
        queue: &mut VecDeque<Outgoing>,
        flush_acks: bool,
        limits: &Limits,
    ) -> Option<Plan> {
        let mut selected: Vec<Outgoing> = Vec::new();
        let mut size = 0;
        // The ack goes last: messages given their ids before packing (`fresh_id`) must keep
        // msg_id and seq_no growing together through the container, and the ack's id is the
        // newest.
        let mut ack = None;
        if !self.acks.is_empty() && (flush_acks || !queue.is_empty()) {
            let n = self.acks.len().min(MAX_IDS_PER_MESSAGE);
            let ids: Vec<i64> = self.acks.drain(..n).collect();
            if self.acks.is_empty() {
                self.ack_since = MaybeInstant::NONE;
            }
            let body = service::encode_ids(id::MSGS_ACK, &ids);
            size += body.len() + INNER_HEADER;
            ack = Some(Outgoing::new(body, Tag::Ack, true));
        }
        let room = limits.max_container_messages.max(1) - usize::from(ack.is_some());
        while let Some(front) = queue.front() {
            let len = front.body.len() + INNER_HEADER;
            let alone = selected.is_empty() && ack.is_none();
            if !alone && (selected.len() >= room || size + len > limits.max_container_bytes) {
                break;
            }
            size += len;
            selected.extend(queue.pop_front());
        }
        selected.extend(ack);
        if selected.is_empty() {
            return None;
        }

        let server = self.side == Side::Server;
        let kind = |response: bool| match (server, response) {
            (false, _) => IdKind::Client,
            (true, true) => IdKind::ServerResponse,
            (true, false) => IdKind::ServerOther,
        };
        let mut framed: Vec<(i64, i32, Outgoing)> = Vec::with_capacity(selected.len());
        for msg in selected {
            let content_related = service::is_content_related(msg.body.head());
            let (msg_id, seq_no) = match (msg.original, msg.fresh_id) {
                (Some(orig), _) => orig,
                (None, Some(id)) => (id, self.seq.next(content_related)),
                (None, None) => (
                    self.ids.next(now, kind(msg.response)).0,
                    self.seq.next(content_related),
                ),
            };
            framed.push((msg_id, seq_no, msg));
        }
        let needs_container =
            framed.len() > 1 || framed.iter().any(|(_, _, m)| m.original.is_some());
        // The container's id comes after its contents', as the spec's ordering expects.
        let container =
            needs_container.then(|| (self.ids.next(now, kind(true)).0, self.seq.next(false)));
        Some(Plan { framed, container })
    }

    /// Encrypts the packets of `plans`, packet `i` appended to `outs[i]` (as many of each).
    ///
    /// A container is sealed from its pieces: the headers built here and each message's body
    /// where it lies (a file part beside an ack is not copied); so is a lone message.
    fn seal_plans(&mut self, salt: i64, plans: &[Plan], outs: &mut [Vec<u8>], limits: &Limits) {
        struct Pieces {
            header: [u8; HEADER],
            container_head: [u8; 8],
            inner_heads: Vec<[u8; INNER_HEADER]>,
            padding: Range<usize>,
        }
        let mut pieces = Vec::with_capacity(plans.len());
        // The random padding of every packet, one after the other.
        let mut paddings = self.rx.pop().unwrap_or_default();
        paddings.clear();
        let mut rng = self.rng.rng();
        for plan in plans {
            let (msg_id, seq_no, body_len, container_head, inner_heads) = match plan.container {
                Some((container_id, container_seq)) => {
                    let mut head = [0u8; 8];
                    head[..4].copy_from_slice(&id::MSG_CONTAINER.to_le_bytes());
                    head[4..].copy_from_slice(&(plan.framed.len() as u32).to_le_bytes());
                    let inner_heads: Vec<[u8; INNER_HEADER]> = plan
                        .framed
                        .iter()
                        .map(|(msg_id, seq_no, msg)| {
                            service::message_header(*msg_id, *seq_no, msg.body.len())
                        })
                        .collect();
                    let len = 8 + plan
                        .framed
                        .iter()
                        .map(|(_, _, m)| INNER_HEADER + m.body.len())
                        .sum::<usize>();
                    (container_id, container_seq, len, head, inner_heads)
                }
                None => {
                    let (msg_id, seq_no, msg) = match plan.framed.first() {
                        Some(first) => first,
                        None => continue,
                    };
                    (*msg_id, *seq_no, msg.body.len(), [0u8; 8], Vec::new())
                }
            };
            let mut header = [0u8; HEADER];
            header[..8].copy_from_slice(&salt.to_le_bytes());
            header[8..16].copy_from_slice(&self.session_id.to_le_bytes());
            header[16..24].copy_from_slice(&msg_id.to_le_bytes());
            header[24..28].copy_from_slice(&seq_no.to_le_bytes());
            header[28..].copy_from_slice(&(body_len as u32).to_le_bytes());
            let unpadded = HEADER + body_len;
            let mut padding = MIN_PADDING + (16 - (unpadded + MIN_PADDING) % 16) % 16;
            let extra = rng.gen_range(0..=usize::from(limits.extra_padding_blocks));
            padding = (padding + 16 * extra).min(MAX_PADDING);
            let at = paddings.len();
            paddings.resize(at + padding, 0);
            rng.fill_bytes(&mut paddings[at..]);
            pieces.push(Pieces {
                header,
                container_head,
                inner_heads,
                padding: at..at + padding,
            });
        }
        let parts: Vec<Vec<&[u8]>> = plans
            .iter()
            .zip(&pieces)
            .map(|(plan, p)| {
                let mut parts: Vec<&[u8]> = Vec::with_capacity(3 + 2 * p.inner_heads.len());
                parts.push(&p.header);
                if plan.container.is_some() {
                    parts.push(&p.container_head);
                    for (inner, (_, _, msg)) in p.inner_heads.iter().zip(&plan.framed) {
                        parts.push(inner);
                        msg.body.push_pieces(&mut parts);
                    }
                } else if let Some((_, _, msg)) = plan.framed.first() {
                    msg.body.push_pieces(&mut parts);
                }
                parts.push(&paddings[p.padding.clone()]);
                parts
            })
            .collect();
        let messages: Vec<&[&[u8]]> = parts.iter().map(Vec::as_slice).collect();
        let sealed = messages.len().min(outs.len());
        let outs = &mut outs[..sealed];
        if let Err(e) = encrypt_messages_parts(&self.auth_key, self.side, &messages, outs) {
            // Unreachable: the plaintexts are block aligned by construction above.
            log::error!("encrypting aligned messages failed: {e}");
        }
        drop(messages);
        drop(parts);
        self.recycle(paddings);
    }

    /// Remembers the messages of a sealed packet (for acks, errors and resends) and returns
    /// where they went.
    fn record(&mut self, now: Instant, plan: Plan) -> Vec<Placed> {
        let placed = plan
            .framed
            .iter()
            .map(|(msg_id, _, msg)| Placed {
                msg_id: MsgId(*msg_id),
                tag: msg.tag,
            })
            .collect();
        if let Some((container_id, container_seq)) = plan.container {
            let inner = plan.framed.iter().map(|(id, _, _)| *id).collect();
            self.sent.insert(
                container_id,
                Sent {
                    seq_no: container_seq,
                    sent_at: now,
                    kind: SentKind::Container(inner),
                    container: None,
                },
            );
        }
        for (msg_id, seq_no, msg) in plan.framed {
            let kind = SentKind::Message {
                tag: msg.tag,
                body: msg.body,
                acked: false,
                noted_at: None,
            };
            self.sent.insert(
                msg_id,
                Sent {
                    seq_no,
                    sent_at: now,
                    kind,
                    container: plan.container.map(|(id, _)| id),
                },
            );
        }
        placed
    }
}

/// The messages of one packet, with their ids: what [`Core::seal_plans`] encrypts.
struct Plan {
    framed: Vec<(i64, i32, Outgoing)>,
    /// The container's msg_id and seq_no when the messages travel in one.
    container: Option<(i64, i32)>,
}

pub(crate) fn parse_header(rx: &[u8]) -> Result<Opened, SessionError> {
    let bad_len = |len| SessionError::BadLength {
        len,
        plaintext: rx.len(),
    };
    let mut c = Cursor::new(rx);
    let (Ok(salt), Ok(session_id), Ok(msg_id), Ok(seq_no), Ok(len)) =
        (c.i64(), c.i64(), c.i64(), c.i32(), c.u32())
    else {
        return Err(bad_len(0));
    };
    let len = len as usize;
    if len % 4 != 0 || len > rx.len().saturating_sub(HEADER) {
        return Err(bad_len(len));
    }
    let padding = rx.len() - HEADER - len;
    if !(MIN_PADDING..=MAX_PADDING).contains(&padding) {
        return Err(SessionError::BadPadding(padding));
    }
    Ok(Opened {
        salt,
        session_id,
        msg_id: MsgId(msg_id),
        seq_no,
        body: HEADER..HEADER + len,
    })
}

/// Lets the role answer `msgs_state_req` for ids the peer sent us.
pub(crate) fn state_of_received(window: &ReplayWindow, msg_id: i64) -> u8 {
    use crate::window::Known;
    match window.known(MsgId(msg_id)) {
        Known::Unknown => 1,
        Known::NotReceived => 2,
        Known::NotYetReceived => 3,
        Known::Received => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(sent_at: Instant, kind: SentKind) -> Sent {
        Sent {
            seq_no: 0,
            sent_at,
            kind,
            container: None,
        }
    }

    fn push() -> SentKind {
        SentKind::Message {
            tag: Tag::Push,
            body: Body::from(vec![0; 4]),
            acked: false,
            noted_at: None,
        }
    }

    /// Each record goes when its own retention is over, whatever was inserted or removed in
    /// between (the earliest expiry is a lower bound that pruning corrects).
    #[test]
    fn pruning_drops_each_record_at_its_retention() {
        let t0 = Instant::from_unix_secs(1_000_000);
        let mut log = SentLog::default();
        log.insert(1, record(t0, SentKind::Container(vec![2])));
        log.insert(2, record(t0, push()));
        log.insert(
            3,
            record(t0 + Duration::from_secs(20), SentKind::Container(vec![])),
        );
        log.prune(t0 + (SERVICE_RETENTION - Duration::from_secs(1)));
        assert!(log.contains_key(&1) && log.contains_key(&2) && log.contains_key(&3));
        log.prune(t0 + SERVICE_RETENTION);
        assert!(!log.contains_key(&1), "the first container is past 30 s");
        assert!(log.contains_key(&2) && log.contains_key(&3));
        // The earliest record removed by hand: the next prune still finds the rest in time.
        log.remove(&3);
        log.insert(
            4,
            record(t0 + Duration::from_secs(40), SentKind::Container(vec![])),
        );
        log.prune(t0 + Duration::from_secs(69));
        assert!(log.contains_key(&4));
        log.prune(t0 + Duration::from_secs(70));
        assert!(!log.contains_key(&4));
        assert!(
            log.contains_key(&2),
            "an update is kept for its full retention"
        );
        log.prune(t0 + SENT_RETENTION);
        assert!(log.is_empty());
        // Empty: nothing is due, and a new record starts the clock again.
        assert_eq!(log.expires_from, NEVER);
        log.insert(5, record(t0 + SENT_RETENTION, push()));
        log.prune(t0 + SENT_RETENTION + SENT_RETENTION);
        assert!(log.is_empty());
    }
}
