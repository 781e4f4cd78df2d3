//! The update engine: a sans-IO state machine that turns what the server pushes (and what it
//! answers) into a gap-free, duplicate-free sequence of updates, following
//! [core.telegram.org/api/updates](https://core.telegram.org/api/updates).
//!
//! It owns no socket, task, clock or random source. The client's driver feeds it and performs
//! the requests it asks for; tests and benchmarks feed it directly, with virtual time.
//!
//! # The rules it keeps
//! - **Boxes.** The common box (`pts`, private chats and basic groups), the secondary box
//!   (`qts`, bot and secret-chat updates) and one `pts` per channel each apply an update when
//!   `local + count == remote`, drop it when `local + count > remote` (a duplicate), and hold it
//!   otherwise: a gap. A gap not filled by a late update within [`EngineConfig::gap_wait`]
//!   (0.5 s) is filled by `updates.getDifference` (common and secondary boxes) or
//!   `updates.getChannelDifference`. Containers (`updates`, `updatesCombined`) with a `seq` are
//!   ordered the same way by `seq_start`/`seq`; `seq` 0 means "apply at once".
//! - **Short forms.** `updateShortMessage` and `updateShortChatMessage` become the
//!   `updateNewMessage` they stand for, with the message rebuilt; `updateShort` is its update;
//!   `updateShortSentMessage` (the answer to a send) advances the common box.
//! - **Differences.** Every answer is handled: empty (the state's `date`/`seq`), a difference
//!   (its messages and updates handed out, the state taken), a slice (the same, then the next
//!   slice is fetched), too long (the `pts` is reset: what lies between is not fetched), and for
//!   channels empty / difference (fetching again until `final`) / too long (the `pts` is reset
//!   from the dialog and the latest messages it carries are handed out, those already handed
//!   out skipped). A channel difference's `timeout` schedules the next poll of that channel.
//!   `updateChannelTooLong` fetches that channel's difference.
//! - **When to catch up.** `updates.getDifference` is asked for after
//!   [`handle_connection_reset`](Engine::handle_connection_reset) (a reconnect or
//!   `new_session_created`), after `updatesTooLong`, after
//!   [`EngineConfig::no_updates_timeout`] (15 min) without updates, and at start from a saved
//!   state ([`Engine::with_state`]); without one the engine starts with `updates.getState`.
//! - **Unknown peers.** A pushed update whose message or chat names a user or chat that neither
//!   its container (in full) nor the [`KnownPeers`] (the peer cache) knows is not handed out
//!   half-empty: it is dropped and its box's difference fetched, which brings it back with
//!   every user and chat in full.
//! - **Own requests.** Updates that answer this client's own requests ([`Origin::OwnRequest`])
//!   advance the boxes but are not handed out: the caller has the answer already, and only the
//!   account's other sessions see them pushed. (If such an update lands in a gap that a
//!   difference then fills, the difference hands it out like any other.)
//!
//! # What it does not promise
//! - After `differenceTooLong` / `channelDifferenceTooLong` the position jumps: what lies
//!   between is not fetched (the spec's remedy is to reload the chats). For a channel, the
//!   newest messages the answer carries are handed out, minus those already handed out in this
//!   run; the highest id handed out per channel is not saved, so after a restart some may be
//!   handed out again.
//! - `updateChannelTooLong` without a `pts` for a channel whose `pts` is unknown is ignored:
//!   the channel is tracked from its next update.
//! - Container order is arrival order across boxes; within a box, `pts` order.
//!
//! # The contract (like quinn-proto's `Connection`)
//! Four kinds of methods; call them in this order whenever something happens:
//! 1. `handle_*` feed it: [`handle_updates`](Engine::handle_updates) (a pushed or answered
//!    `Updates`), [`handle_affected`](Engine::handle_affected) (`messages.affectedMessages` and
//!    kin), [`handle_state`](Engine::handle_state),
//!    [`handle_difference`](Engine::handle_difference),
//!    [`handle_channel_difference`](Engine::handle_channel_difference) and
//!    [`handle_request_error`](Engine::handle_request_error) (answers to its requests),
//!    [`handle_connection_reset`](Engine::handle_connection_reset), and
//!    [`handle_timeout`](Engine::handle_timeout) once [`poll_timeout`](Engine::poll_timeout)'s
//!    instant has passed. Time is always an argument (`now`).
//! 2. [`poll_update`](Engine::poll_update) until `None`: the updates to hand out, in order.
//! 3. [`take_state_changes`](Engine::take_state_changes): the state to save. It returns `None`
//!    while updates wait in `poll_update`, so a saved state never covers an update that was not
//!    handed out; call it after handing out everything.
//! 4. [`poll_request`](Engine::poll_request) until `None`: the requests to send (answer each
//!    with its `handle_*`, or `handle_request_error`); then sleep until
//!    [`poll_timeout`](Engine::poll_timeout).
//!
//! Getters ([`state`](Engine::state), [`stats`](Engine::stats)) may be called at any time.
//!
//! ```
//! use std::time::Instant;
//! use tgwire::tl::{enums, types};
//! use tgwire::updates::engine::{Engine, EngineConfig, Origin, PeerId, Request};
//!
//! let now = Instant::now();
//! let mut engine = Engine::new(EngineConfig::new(1, false), now);
//! assert!(matches!(engine.poll_request(now), Some(Request::GetState)));
//! engine.handle_state(types::updates::State { pts: 10, qts: 0, date: 1, seq: 0, unread_count: 0 }, now);
//! let push: enums::Updates = types::UpdateShort {
//!     update: types::UpdateDeleteMessages { messages: vec![5], pts: 11, pts_count: 1 }.into(),
//!     date: 2,
//! }
//! .into();
//! engine.handle_updates(push, Origin::Pushed, &|_: PeerId| true, now);
//! assert!(engine.poll_update().is_some());
//! assert_eq!(engine.take_state_changes().unwrap().common.unwrap().pts, 11);
//! ```

mod boxes;
mod difference;
mod gap;
mod peers;
mod short;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tgwire_session::UpdateState;
use tgwire_tl_types::{enums, functions, types};

pub use boxes::BoxKey;
pub use peers::{KnownPeers, PeerId, Peers};

use boxes::Position;
use gap::{Entry, Fetch, Offered, PtsBox};

/// How the engine waits, fetches and limits; see [`EngineConfig::new`] for the defaults. The
/// engine keeps the durations in whole milliseconds, at most about 49 days each.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct EngineConfig {
    /// The signed-in user (the sender of outgoing `updateShortMessage`s).
    pub self_id: i64,
    /// How long a gap may wait for the missing updates before the difference is fetched
    /// (default 0.5 s, as the spec suggests).
    pub gap_wait: Duration,
    /// After this long without any update, the difference is fetched (default 15 min).
    pub no_updates_timeout: Duration,
    /// How long to wait before retrying a request that failed (default 1 s).
    pub retry_delay: Duration,
    /// `limit` of `updates.getChannelDifference` (default 100 for users, 100 000 for bots, as
    /// Telegram allows).
    pub channel_difference_limit: i32,
    /// `pts_total_limit` of `updates.getDifference` (default none: the server's).
    pub pts_total_limit: Option<i32>,
}

impl EngineConfig {
    /// The defaults for the signed-in user `self_id`, a bot or not.
    pub fn new(self_id: i64, bot: bool) -> Self {
        EngineConfig {
            self_id,
            gap_wait: Duration::from_millis(500),
            no_updates_timeout: Duration::from_secs(15 * 60),
            retry_delay: Duration::from_secs(1),
            channel_difference_limit: if bot { 100_000 } else { 100 },
            pts_total_limit: None,
        }
    }
}

/// Where an `Updates` came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Pushed by the server: handed out.
    Pushed,
    /// The answer to this client's own request: applied to the state, not handed out.
    OwnRequest,
}

/// A request the engine wants sent (see [`Engine::poll_request`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Request {
    /// `updates.getState`: there is no usable state. Answer with [`Engine::handle_state`].
    GetState,
    /// `updates.getDifference`. Answer with [`Engine::handle_difference`].
    GetDifference(functions::updates::GetDifference),
    /// `updates.getChannelDifference` for a channel (the driver supplies its access hash).
    /// Answer with [`Engine::handle_channel_difference`].
    GetChannelDifference {
        /// The bare channel id.
        channel_id: i64,
        /// From where.
        pts: i32,
        /// At most this many events.
        limit: i32,
    },
}

/// Why a request failed (see [`Engine::handle_request_error`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestError {
    /// Worth retrying (network, timeout, flood wait).
    Transient,
    /// Will not succeed (`CHANNEL_PRIVATE`, no access hash for the channel, …).
    Permanent,
}

/// An update to hand out, with the users and chats that came with it.
#[derive(Clone, Debug)]
pub struct Handout {
    /// The update (short forms expanded).
    pub update: enums::Update,
    /// The users and chats of its container or difference (shared by all its updates).
    pub peers: Arc<Peers>,
}

/// The state to save (see [`Engine::take_state_changes`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateChanges {
    /// The account-wide state, when it changed.
    pub common: Option<UpdateState>,
    /// Channels whose `pts` changed (`None`: forget the channel).
    pub channels: Vec<(i64, Option<i32>)>,
}

/// The engine's whole position: what [`Engine::with_state`] resumes from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SavedState {
    /// `pts`, `qts`, `date` and `seq`.
    pub common: UpdateState,
    /// Every known channel's `pts`, by bare channel id, sorted.
    pub channels: Vec<(i64, i32)>,
}

/// What the engine did so far (for tests, benchmarks and logs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct UpdateStats {
    /// Updates handed out.
    pub handed_out: u64,
    /// Updates dropped because they were applied already.
    pub duplicates: u64,
    /// Gaps opened (an update arrived before the ones it follows).
    pub gaps: u64,
    /// Held updates applied once the missing ones arrived late (no difference needed).
    pub filled_late: u64,
    /// `updates.getDifference` requests.
    pub differences: u64,
    /// `updates.getChannelDifference` requests.
    pub channel_differences: u64,
    /// `updatesTooLong`, `differenceTooLong` and `channelDifferenceTooLong` seen.
    pub too_long: u64,
    /// Pushed updates that named users or chats the client did not know.
    pub missing_peers: u64,
}

/// A container (`updates`/`updatesCombined`) waiting for its turn by `seq`.
#[derive(Debug)]
struct HeldContainer {
    seq_start: i32,
    seq: i32,
    date: i32,
    updates: Vec<enums::Update>,
    peers: Arc<Peers>,
    origin: Origin,
}

/// The update engine; see [the module docs](self) for the rules and the calling contract.
#[derive(Debug)]
pub struct Engine {
    limits: Limits,
    common: PtsBox,
    secondary: PtsBox,
    // Ordered rather than hashed: an empty hash map is 48 bytes in every client's engine (its
    // hasher keys), an empty B-tree 24, and lookups by channel are rare next to the rest.
    channels: BTreeMap<i64, PtsBox>,
    seq: i32,
    date: i32,
    /// The common state is known (from `getState`, a difference, or a saved state).
    initialised: bool,
    /// The next common fetch is `getState` rather than `getDifference`.
    need_state: bool,
    /// Something asked for a common fetch while one was in flight: fetch again after it.
    common_again: bool,
    last_activity: Instant,
    out: VecDeque<Handout>,
    dirty_common: bool,
    /// Made when needed, dropped once empty (see [`Pending`]).
    pending: Option<Box<Pending>>,
    stats: UpdateStats,
}

/// [`EngineConfig`] as the engine keeps it: durations in whole milliseconds (saturating at
/// about 49 days), 32 bytes instead of 72 in every client's engine.
#[derive(Debug, Clone, Copy)]
struct Limits {
    self_id: i64,
    gap_wait_ms: u32,
    no_updates_ms: u32,
    retry_ms: u32,
    channel_difference_limit: i32,
    pts_total_limit: Option<i32>,
}

impl Limits {
    fn new(config: &EngineConfig) -> Self {
        let ms = |d: Duration| u32::try_from(d.as_millis()).unwrap_or(u32::MAX);
        Limits {
            self_id: config.self_id,
            gap_wait_ms: ms(config.gap_wait),
            no_updates_ms: ms(config.no_updates_timeout),
            retry_ms: ms(config.retry_delay),
            channel_difference_limit: config.channel_difference_limit,
            pts_total_limit: config.pts_total_limit,
        }
    }

    fn gap_wait(&self) -> Duration {
        Duration::from_millis(self.gap_wait_ms.into())
    }

    fn no_updates_timeout(&self) -> Duration {
        Duration::from_millis(self.no_updates_ms.into())
    }

    fn retry_delay(&self) -> Duration {
        Duration::from_millis(self.retry_ms.into())
    }
}

/// What the engine holds only between a gap and its filling or a change and its save: boxed
/// and made on first use, so that an idle engine keeps one pointer here instead of 88 bytes.
#[derive(Debug, Default)]
struct Pending {
    /// Containers waiting for their turn by `seq`.
    seq_held: Vec<HeldContainer>,
    /// When the `seq` gap's wait ends.
    seq_deadline: Option<Instant>,
    /// Channels whose difference is to be fetched, in id order.
    channel_wanted: BTreeSet<i64>,
    /// Channels whose position changed since the last save.
    dirty_channels: BTreeSet<i64>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.seq_held.is_empty()
            && self.seq_deadline.is_none()
            && self.channel_wanted.is_empty()
            && self.dirty_channels.is_empty()
    }
}

/// The engine's [`Pending`], made if it was not.
fn pending(slot: &mut Option<Box<Pending>>) -> &mut Pending {
    slot.get_or_insert_with(Box::default)
}

/// The empty users-and-chats of updates that came without any: one for the process, not one
/// per engine (it would be 80 bytes more in every idle client).
fn no_peers() -> Arc<Peers> {
    static NONE: std::sync::OnceLock<Arc<Peers>> = std::sync::OnceLock::new();
    Arc::clone(NONE.get_or_init(Arc::default))
}

impl Engine {
    fn blank(config: EngineConfig, now: Instant) -> Self {
        Engine {
            limits: Limits::new(&config),
            common: PtsBox::new(None),
            secondary: PtsBox::new(None),
            channels: BTreeMap::new(),
            seq: 0,
            date: 0,
            initialised: false,
            need_state: true,
            common_again: false,
            last_activity: now,
            out: VecDeque::new(),
            dirty_common: false,
            pending: None,
            stats: UpdateStats::default(),
        }
    }

    /// An engine without a state: it asks for `updates.getState` first, and holds updates of
    /// the boxes until the answer.
    pub fn new(config: EngineConfig, now: Instant) -> Self {
        let mut engine = Self::blank(config, now);
        engine.common.fetch = Fetch::Wanted;
        engine
    }

    /// An engine resuming from a saved state: it asks for `updates.getDifference` first, which
    /// hands out what happened since (Telethon's `catch_up`).
    pub fn with_state(config: EngineConfig, saved: SavedState, now: Instant) -> Self {
        let mut engine = Self::blank(config, now);
        engine.set_common_state(saved.common);
        engine.dirty_common = false;
        engine.need_state = false;
        engine.initialised = true;
        engine.common.fetch = Fetch::Wanted;
        for (id, pts) in saved.channels {
            engine.channels.insert(id, PtsBox::new(Some(pts)));
        }
        engine
    }

    // ---- getters -------------------------------------------------------------------------

    /// The whole position now (including updates still waiting in [`poll_update`](Self::poll_update)).
    pub fn state(&self) -> SavedState {
        let mut channels: Vec<(i64, i32)> = self
            .channels
            .iter()
            .filter_map(|(id, b)| b.pts.map(|pts| (*id, pts)))
            .collect();
        channels.sort_unstable();
        SavedState {
            common: self.common_state(),
            channels,
        }
    }

    /// What the engine did so far.
    pub fn stats(&self) -> UpdateStats {
        self.stats
    }

    /// Whether the account-wide state is known (a state or difference arrived, or the engine
    /// resumed from a saved one).
    pub fn is_initialised(&self) -> bool {
        self.initialised
    }

    fn common_state(&self) -> UpdateState {
        UpdateState {
            pts: self.common.pts.unwrap_or(0),
            qts: self.secondary.pts.unwrap_or(0),
            date: self.date,
            seq: self.seq,
        }
    }

    fn set_common_state(&mut self, state: UpdateState) {
        self.common.pts = Some(state.pts);
        self.secondary.pts = Some(state.qts);
        self.date = state.date;
        self.seq = state.seq;
        self.dirty_common = true;
    }

    // ---- handle_* ------------------------------------------------------------------------

    /// Feeds one `Updates`, pushed by the server or answering a request of this client.
    /// `known` is asked about the users and chats pushed updates name (see the module docs).
    pub fn handle_updates(
        &mut self,
        updates: enums::Updates,
        origin: Origin,
        known: &dyn KnownPeers,
        now: Instant,
    ) {
        if origin == Origin::Pushed {
            self.last_activity = now;
        }
        match updates {
            enums::Updates::TooLong => {
                self.stats.too_long += 1;
                self.want_common();
            }
            enums::Updates::UpdateShortMessage(short) => {
                self.advance_date(short.date);
                let update = short::expand_short_message(*short, self.limits.self_id);
                let peers = no_peers();
                self.process(update, &peers, origin, known, now);
            }
            enums::Updates::UpdateShortChatMessage(short) => {
                self.advance_date(short.date);
                let update = short::expand_short_chat_message(*short);
                let peers = no_peers();
                self.process(update, &peers, origin, known, now);
            }
            enums::Updates::UpdateShort(short) => {
                let short = *short;
                self.advance_date(short.date);
                let peers = no_peers();
                self.process(short.update, &peers, origin, known, now);
            }
            enums::Updates::UpdateShortSentMessage(sent) => {
                self.advance_date(sent.date);
                self.offer(
                    BoxKey::Common,
                    Entry {
                        pts: sent.pts,
                        count: sent.pts_count,
                        update: None,
                        peers: no_peers(),
                    },
                    now,
                );
            }
            enums::Updates::Updates(u) => {
                let u = *u;
                self.container(
                    HeldContainer {
                        seq_start: u.seq,
                        seq: u.seq,
                        date: u.date,
                        updates: u.updates,
                        peers: Arc::new(Peers {
                            users: u.users,
                            chats: u.chats,
                        }),
                        origin,
                    },
                    known,
                    now,
                );
            }
            enums::Updates::Combined(u) => {
                let u = *u;
                self.container(
                    HeldContainer {
                        seq_start: u.seq_start,
                        seq: u.seq,
                        date: u.date,
                        updates: u.updates,
                        peers: Arc::new(Peers {
                            users: u.users,
                            chats: u.chats,
                        }),
                        origin,
                    },
                    known,
                    now,
                );
            }
        }
    }

    /// Feeds the `pts`/`pts_count` of a `messages.affectedMessages`, `affectedHistory` or
    /// `affectedFoundMessages` answer to this client's own request: in `key`'s box (the common
    /// one, or the channel's for `channels.deleteMessages` and kin).
    pub fn handle_affected(&mut self, key: BoxKey, pts: i32, pts_count: i32, now: Instant) {
        let entry = Entry {
            pts,
            count: pts_count,
            update: None,
            peers: no_peers(),
        };
        self.offer(key, entry, now);
    }

    /// The connection was re-established, or the server created a new session: pushes may
    /// have been lost, so the difference is fetched.
    pub fn handle_connection_reset(&mut self, now: Instant) {
        let _ = now;
        self.want_common();
    }

    /// Call once [`poll_timeout`](Self::poll_timeout)'s instant has passed: gaps that waited
    /// long enough are fetched, as are boxes without updates for too long, channels whose
    /// poll is due, and failed requests whose retry is due.
    pub fn handle_timeout(&mut self, now: Instant) {
        let due = |t: Option<Instant>| t.is_some_and(|t| t <= now);
        match self.common.fetch {
            Fetch::RetryAt(t) if t <= now => self.common.fetch = Fetch::Wanted,
            Fetch::Idle if self.initialised => {
                if due(self.common.gap_deadline())
                    || due(self.secondary.gap_deadline())
                    || due(self.pending.as_ref().and_then(|p| p.seq_deadline))
                {
                    log::debug!("update gap not filled in time: fetching the difference");
                    self.want_common();
                } else if self.last_activity + self.limits.no_updates_timeout() <= now {
                    log::debug!("no updates for a while: fetching the difference");
                    self.last_activity = now;
                    self.want_common();
                }
            }
            _ => {}
        }
        let mut adopted = Vec::new();
        for (id, b) in &mut self.channels {
            // A channel seen for the first time: its updates waited one gap wait for any that
            // were overtaken; now it starts from the earliest.
            if b.fetch == Fetch::Idle && due(b.gap_deadline()) && b.adopt_held() {
                adopted.push(*id);
                continue;
            }
            match b.fetch {
                Fetch::RetryAt(t) if t <= now => {
                    b.fetch = Fetch::Wanted;
                    pending(&mut self.pending).channel_wanted.insert(*id);
                }
                Fetch::Idle if due(b.gap_deadline()) || due(b.poll_at()) => {
                    b.clear_poll_at();
                    b.fetch = Fetch::Wanted;
                    pending(&mut self.pending).channel_wanted.insert(*id);
                }
                _ => {}
            }
        }
        for id in adopted {
            pending(&mut self.pending).dirty_channels.insert(id);
            self.reoffer_held(BoxKey::Channel(id), now);
        }
    }

    /// A request from [`poll_request`](Self::poll_request) failed.
    pub fn handle_request_error(&mut self, request: &Request, error: RequestError, now: Instant) {
        match request {
            Request::GetState | Request::GetDifference(_) => {
                let delay = match error {
                    RequestError::Transient => self.limits.retry_delay(),
                    RequestError::Permanent => self.limits.retry_delay() * 60,
                };
                self.common.fetch = Fetch::RetryAt(now + delay);
            }
            Request::GetChannelDifference { channel_id, .. } => match error {
                RequestError::Transient => {
                    if let Some(b) = self.channels.get_mut(channel_id) {
                        b.fetch = Fetch::RetryAt(now + self.limits.retry_delay());
                    }
                }
                RequestError::Permanent => {
                    // The channel cannot be fetched (left, banned, unknown): stop tracking it
                    // and hand out what was held, in order.
                    if let Some(mut b) = self.channels.remove(channel_id) {
                        for entry in b.take_held() {
                            if let Some(update) = entry.update {
                                self.push_out(update, entry.peers);
                            }
                        }
                    }
                    pending(&mut self.pending)
                        .dirty_channels
                        .insert(*channel_id);
                }
            },
        }
    }

    // ---- poll_* --------------------------------------------------------------------------

    /// The next update to hand out, in order.
    pub fn poll_update(&mut self) -> Option<Handout> {
        self.out.pop_front()
    }

    /// The state to save, if it changed — only once every update it covers was taken with
    /// [`poll_update`](Self::poll_update) (else `None`, and the change is kept for later).
    pub fn take_state_changes(&mut self) -> Option<StateChanges> {
        if !self.out.is_empty() || !self.initialised {
            return None;
        }
        let dirty_channels = self
            .pending
            .as_mut()
            .map(|p| std::mem::take(&mut p.dirty_channels))
            .unwrap_or_default();
        self.tidy();
        if !self.dirty_common && dirty_channels.is_empty() {
            return None;
        }
        let common = std::mem::take(&mut self.dirty_common).then(|| self.common_state());
        let channels = dirty_channels
            .into_iter()
            .map(|id| (id, self.channels.get(&id).and_then(|b| b.pts)))
            .collect();
        Some(StateChanges { common, channels })
    }

    /// The next request to send, if any (each is asked for once; answer it with its
    /// `handle_*` or [`handle_request_error`](Self::handle_request_error)).
    pub fn poll_request(&mut self, now: Instant) -> Option<Request> {
        let _ = now;
        if self.common.fetch == Fetch::Wanted {
            self.common.fetch = Fetch::InFlight;
            if self.need_state || !self.initialised {
                return Some(Request::GetState);
            }
            self.stats.differences += 1;
            return Some(Request::GetDifference(functions::updates::GetDifference {
                pts: self.common.pts.unwrap_or(0),
                pts_limit: None,
                pts_total_limit: self.limits.pts_total_limit,
                date: self.date,
                qts: self.secondary.pts.unwrap_or(0),
                qts_limit: None,
            }));
        }
        while let Some(id) = self
            .pending
            .as_mut()
            .and_then(|p| p.channel_wanted.pop_first())
        {
            let Some(b) = self.channels.get_mut(&id) else {
                continue;
            };
            if b.fetch != Fetch::Wanted {
                continue;
            }
            match b.pts {
                Some(pts) if pts > 0 => {
                    b.fetch = Fetch::InFlight;
                    self.stats.channel_differences += 1;
                    return Some(Request::GetChannelDifference {
                        channel_id: id,
                        pts,
                        limit: self.limits.channel_difference_limit,
                    });
                }
                _ => b.fetch = Fetch::Idle,
            }
        }
        self.tidy();
        None
    }

    /// Drops [`Pending`] once it holds nothing.
    fn tidy(&mut self) {
        if self.pending.as_ref().is_some_and(|p| p.is_empty()) {
            self.pending = None;
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next: Option<Instant> = None;
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                next = Some(next.map_or(t, |n| n.min(t)));
            }
        };
        match self.common.fetch {
            Fetch::RetryAt(t) => consider(Some(t)),
            Fetch::Idle if self.initialised => {
                consider(self.common.gap_deadline());
                consider(self.secondary.gap_deadline());
                consider(self.pending.as_ref().and_then(|p| p.seq_deadline));
                consider(Some(self.last_activity + self.limits.no_updates_timeout()));
            }
            _ => {}
        }
        for b in self.channels.values() {
            match b.fetch {
                Fetch::RetryAt(t) => consider(Some(t)),
                Fetch::Idle => {
                    consider(b.gap_deadline());
                    consider(b.poll_at());
                }
                _ => {}
            }
        }
        next
    }

    // ---- internals -----------------------------------------------------------------------

    fn advance_date(&mut self, date: i32) {
        if date > self.date {
            self.date = date;
            self.dirty_common = true;
        }
    }

    fn push_out(&mut self, update: enums::Update, peers: Arc<Peers>) {
        self.stats.handed_out += 1;
        self.out.push_back(Handout { update, peers });
    }

    /// Asks for the common difference (or state), now or right after the one in flight.
    fn want_common(&mut self) {
        match self.common.fetch {
            Fetch::Idle => self.common.fetch = Fetch::Wanted,
            Fetch::InFlight => self.common_again = true,
            Fetch::Wanted | Fetch::RetryAt(_) => {}
        }
    }

    fn want_channel(&mut self, channel_id: i64) {
        let b = self
            .channels
            .entry(channel_id)
            .or_insert_with(|| PtsBox::new(None));
        if b.fetch == Fetch::Idle {
            b.fetch = Fetch::Wanted;
            pending(&mut self.pending).channel_wanted.insert(channel_id);
        }
    }

    fn container(&mut self, c: HeldContainer, known: &dyn KnownPeers, now: Instant) {
        if c.seq_start == 0 {
            self.apply_container(c, known, now);
        } else if !self.initialised || self.common.fetch.busy() {
            pending(&mut self.pending).seq_held.push(c);
        } else {
            self.offer_container(c, false, known, now);
        }
    }

    /// Orders a container by `seq`. With `force` (after a difference), a container past a gap
    /// is applied anyway: the difference was the authority on what came before.
    fn offer_container(
        &mut self,
        c: HeldContainer,
        force: bool,
        known: &dyn KnownPeers,
        now: Instant,
    ) {
        let expected = self.seq.saturating_add(1);
        if c.seq_start == expected || (force && c.seq_start > expected) {
            self.seq = self.seq.max(c.seq);
            self.dirty_common = true;
            self.apply_container(c, known, now);
            self.release_containers(known, now);
        } else if c.seq_start < expected {
            self.stats.duplicates += 1;
        } else {
            let gap_wait = self.limits.gap_wait();
            let pending = pending(&mut self.pending);
            pending.seq_held.push(c);
            if pending.seq_deadline.is_none() {
                self.stats.gaps += 1;
                pending.seq_deadline = Some(now + gap_wait);
            }
        }
    }

    fn release_containers(&mut self, known: &dyn KnownPeers, now: Instant) {
        loop {
            let Some(pending) = self.pending.as_mut() else {
                return;
            };
            let expected = self.seq.saturating_add(1);
            pending.seq_held.retain(|c| c.seq_start >= expected);
            let Some(next) = pending
                .seq_held
                .iter()
                .position(|c| c.seq_start == expected)
            else {
                if pending.seq_held.is_empty() {
                    pending.seq_deadline = None;
                }
                return;
            };
            let c = pending.seq_held.remove(next);
            self.seq = self.seq.max(c.seq);
            self.apply_container(c, known, now);
        }
    }

    fn apply_container(&mut self, c: HeldContainer, known: &dyn KnownPeers, now: Instant) {
        self.advance_date(c.date);
        for update in c.updates {
            self.process(update, &c.peers, c.origin, known, now);
        }
    }

    /// Routes one update to its box, or out at once.
    fn process(
        &mut self,
        update: enums::Update,
        peers: &Arc<Peers>,
        origin: Origin,
        known: &dyn KnownPeers,
        now: Instant,
    ) {
        let deliver = origin == Origin::Pushed;
        match boxes::position(&update) {
            Position::Unboxed => {
                if deliver {
                    self.push_out(update, Arc::clone(peers));
                }
            }
            Position::PtsChanged => {
                self.need_state = true;
                self.want_common();
            }
            Position::ChannelTooLong { channel_id, pts } => self.channel_too_long(channel_id, pts),
            Position::Boxed { key, pts, count } => {
                if deliver && !peers::complete(&update, peers, known) {
                    self.stats.missing_peers += 1;
                    match key {
                        BoxKey::Channel(id) => {
                            let channel = PeerId::Channel(id);
                            if peers.has_full(channel) || known.knows(channel) {
                                log::debug!("channel {id} update names unknown peers: fetching its difference");
                                let b =
                                    self.channels.entry(id).or_insert_with(|| PtsBox::new(None));
                                if b.pts.is_none() {
                                    b.pts = Some(pts.saturating_sub(count));
                                }
                                self.want_channel(id);
                                return;
                            }
                            // Without the channel's access hash its difference cannot be
                            // fetched: hand the update out as it is.
                        }
                        _ => {
                            log::debug!("update names unknown peers: fetching the difference");
                            self.want_common();
                            return;
                        }
                    }
                }
                let entry = Entry {
                    pts,
                    count,
                    update: deliver.then_some(update),
                    peers: Arc::clone(peers),
                };
                self.offer(key, entry, now);
            }
        }
    }

    fn channel_too_long(&mut self, channel_id: i64, pts: Option<i32>) {
        let b = self
            .channels
            .entry(channel_id)
            .or_insert_with(|| PtsBox::new(None));
        match (b.pts, pts) {
            // Already there (the update carries the channel's current pts): nothing to fetch.
            (Some(local), Some(remote)) if local >= remote => return,
            (Some(_), _) => {}
            (None, Some(remote)) => b.pts = Some(remote),
            (None, None) => {
                log::debug!("updateChannelTooLong for channel {channel_id} with no known pts: it is tracked from its next update");
                return;
            }
        }
        self.want_channel(channel_id);
    }

    /// Offers an entry to its box (holding it while the box fetches its difference).
    fn offer(&mut self, key: BoxKey, entry: Entry, now: Instant) {
        let wait = self.limits.gap_wait();
        let blocked = match key {
            BoxKey::Common | BoxKey::Secondary => !self.initialised || self.common.fetch.busy(),
            BoxKey::Channel(id) => self.channels.get(&id).is_some_and(|b| b.fetch.busy()),
        };
        let b = match key {
            BoxKey::Common => &mut self.common,
            BoxKey::Secondary => &mut self.secondary,
            BoxKey::Channel(id) => self.channels.entry(id).or_insert_with(|| PtsBox::new(None)),
        };
        if blocked {
            log::trace!(
                "{key:?}: pts {} count {} held (box fetching)",
                entry.pts,
                entry.count
            );
            b.hold(entry);
            return;
        }
        let before = b.pts;
        let (pts, count) = (entry.pts, entry.count);
        let out = &mut self.out;
        let stats = &mut self.stats;
        let mut apply = |b: &mut PtsBox, e: Entry| {
            if let Some(update) = e.update {
                if let Some(id) = boxes::new_channel_message_id(&update) {
                    b.max_message_id = b.max_message_id.max(id);
                }
                stats.handed_out += 1;
                out.push_back(Handout {
                    update,
                    peers: e.peers,
                });
            }
        };
        let offered = b.offer(entry, now, wait, &mut apply);
        log::trace!("{key:?}: at {before:?}, pts {pts} count {count}: {offered:?}");
        match offered {
            Offered::Applied { released } => {
                self.stats.filled_late += released as u64;
                b.applied_at(now);
                match key {
                    BoxKey::Channel(id) => {
                        pending(&mut self.pending).dirty_channels.insert(id);
                    }
                    _ => self.dirty_common = true,
                }
            }
            Offered::Duplicate => self.stats.duplicates += 1,
            Offered::Held { new_gap } => {
                if new_gap {
                    self.stats.gaps += 1;
                }
            }
        }
    }

    /// Re-offers what a box held while it fetched (or before the state was known).
    fn reoffer_held(&mut self, key: BoxKey, now: Instant) {
        let held = match key {
            BoxKey::Common => self.common.take_held(),
            BoxKey::Secondary => self.secondary.take_held(),
            BoxKey::Channel(id) => match self.channels.get_mut(&id) {
                Some(b) => b.take_held(),
                None => Vec::new(),
            },
        };
        for entry in held {
            self.offer(key, entry, now);
        }
    }

    /// The common fetch is over: take the next one if asked meanwhile, else re-offer what was
    /// held.
    fn finish_common(&mut self, now: Instant) {
        self.last_activity = now;
        if let Some(pending) = &mut self.pending {
            pending.seq_deadline = None;
        }
        if std::mem::take(&mut self.common_again) {
            self.common.fetch = Fetch::Wanted;
            return;
        }
        self.common.fetch = Fetch::Idle;
        self.reoffer_held(BoxKey::Common, now);
        self.reoffer_held(BoxKey::Secondary, now);
        let mut held = self
            .pending
            .as_mut()
            .map(|p| std::mem::take(&mut p.seq_held))
            .unwrap_or_default();
        held.sort_by_key(|c| c.seq_start);
        let all = |_: PeerId| true;
        for c in held {
            if c.seq_start == 0 {
                self.apply_container(c, &all, now);
            } else {
                self.offer_container(c, true, &all, now);
            }
        }
    }

    /// A channel fetch is over.
    fn finish_channel(
        &mut self,
        channel_id: i64,
        is_final: bool,
        timeout: Option<i32>,
        now: Instant,
    ) {
        let Some(b) = self.channels.get_mut(&channel_id) else {
            return;
        };
        b.set_poll(timeout.and_then(|t| u32::try_from(t).ok()), now);
        if is_final {
            b.fetch = Fetch::Idle;
            self.reoffer_held(BoxKey::Channel(channel_id), now);
        } else {
            b.fetch = Fetch::Wanted;
            pending(&mut self.pending).channel_wanted.insert(channel_id);
        }
    }

    fn handle_state_inner(&mut self, state: types::updates::State, now: Instant) {
        self.set_common_state(UpdateState {
            pts: state.pts,
            qts: state.qts,
            date: state.date,
            seq: state.seq,
        });
        self.initialised = true;
        self.need_state = false;
        self.finish_common(now);
    }

    /// The answer to [`Request::GetState`].
    pub fn handle_state(&mut self, state: impl Into<enums::updates::State>, now: Instant) {
        let enums::updates::State::State(state) = state.into();
        self.handle_state_inner(state, now);
    }
}
