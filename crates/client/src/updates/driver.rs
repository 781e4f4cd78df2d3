//! The driver: feeds each client's [`Engine`] and does what it asks, in a task that runs only
//! while there is something to do.
//!
//! Inputs, in one queue so that they are applied in arrival order:
//! - the home DC's pushes (`SenderEvent::Update`) and `new_session_created`
//!   (`SenderEvent::NewSession`), forwarded from the connection's task;
//! - the `Updates` (and `messages.affected*`) answers of the client's own requests, forwarded
//!   by [`Client::invoke`](crate::Client::invoke) so that its own sends do not look like gaps;
//! - sign-in / sign-out and [`Client::set_receive_updates`](crate::Client::set_receive_updates);
//! - reconnects (`Input::Connected`, from the home connection's state hook),
//!   [`Client::disconnect`](crate::Client::disconnect) (`Input::Stop`) and the first
//!   subscriber (`Input::Subscribed`).
//!
//! The driver's state (the engine and a few flags) is kept in the client ([`Slot`]). An input
//! starts a worker task if none runs; the worker applies the inputs, hands out, saves and
//! fetches until there is nothing left, then parks the state back and asks the process-wide
//! [`timer`](super::timer) thread to start it again at the engine's next deadline (or the
//! pool's next idle-connection sweep: the driver closes the client's idle connections, so that
//! the pool needs no task of its own). So an idle client has no task, no timer and no queue of
//! its own for updates: that was ~1 KiB of every idle client's memory.
//!
//! The engine's requests go through the client's usual request path; the users and chats of
//! every container and difference go into the peer cache *before* the updates that name them
//! are handed out; the update state is saved *after* the updates it covers were handed out
//! ([`Hub::hand_out`] is awaited: a slow consumer slows the engine, nothing is dropped). The
//! driver stops for good on disconnect, ending every [`UpdateStream`](super::UpdateStream)
//! (as the client's drop does).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Instant;

use tgwire_session::{Changes, UpdateState};
use tgwire_tl_types::{enums, functions, types, Deserializable, Identifiable};
use tokio::sync::watch;

use super::engine::{
    BoxKey, Engine, EngineConfig, Handout, Origin, PeerId, Peers, Request, RequestError,
    SavedState, UpdateStats,
};
use super::{timer, Hub, RawUpdate};
use crate::client::{cache_entries, Inner};
use crate::types::message::ChatMap;
use crate::{Client, InvocationError};

/// Something for the driver to apply.
#[derive(Debug)]
pub(crate) enum Input {
    /// A pushed object from the home DC, still serialised.
    Pushed(Vec<u8>),
    /// The home DC's server created a new session: pushes may have been lost.
    NewSession,
    /// An `Updates` answering one of this client's requests.
    Own(enums::Updates),
    /// A `messages.affected*` answer: `pts`/`pts_count` in a box.
    Affected { key: BoxKey, pts: i32, count: i32 },
    /// Signed in; the state right after, if it was fetched.
    SignedIn(Option<types::updates::State>),
    /// Signed out: forget the engine.
    SignedOut,
    /// [`Client::set_receive_updates`](crate::Client::set_receive_updates) changed.
    Receive(bool),
    /// The home connection is (again) up: pushes may have been lost meanwhile. Sent for every
    /// time it comes up, so a quick drop and reconnect is never missed.
    Connected,
    /// Someone subscribed to the updates (the catch-up at start waits for the first).
    Subscribed,
    /// [`Client::disconnect`](crate::Client::disconnect): stop.
    Stop,
}

/// The box a `messages.affected*` answer to `request` (serialised) advances, for the requests
/// whose answer is known to be about one box. Others are not fed (a gap then fills it).
pub(crate) fn affected_box(request: &[u8]) -> Option<BoxKey> {
    let id = u32::from_le_bytes(request.get(..4)?.try_into().ok()?);
    if id == functions::messages::DeleteMessages::CONSTRUCTOR_ID
        || id == functions::messages::ReadHistory::CONSTRUCTOR_ID
        || id == functions::messages::ReadMessageContents::CONSTRUCTOR_ID
        || id == functions::messages::DeleteHistory::CONSTRUCTOR_ID
    {
        return Some(BoxKey::Common);
    }
    if id == functions::messages::ReadMentions::CONSTRUCTOR_ID {
        // A step of the common box outside channels; in channels the answer has no pts step
        // (the contents read comes as an update without pts).
        let request = functions::messages::ReadMentions::from_bytes(request).ok()?;
        return match request.peer {
            enums::InputPeer::Channel(_) | enums::InputPeer::ChannelFromMessage(_) => None,
            _ => Some(BoxKey::Common),
        };
    }
    if id == functions::channels::DeleteMessages::CONSTRUCTOR_ID {
        let request = functions::channels::DeleteMessages::from_bytes(request).ok()?;
        return match request.channel {
            enums::InputChannel::InputChannel(c) => Some(BoxKey::Channel(c.channel_id)),
            _ => None,
        };
    }
    None
}

/// The Bot API id of a peer, for the cache.
fn bot_api_id(peer: PeerId) -> i64 {
    match peer {
        PeerId::User(id) => id,
        PeerId::Chat(id) => -id,
        PeerId::Channel(id) => -(tgwire_session::BOT_API_CHANNEL_OFFSET + id),
    }
}

/// Whether a request error is worth retrying.
fn error_kind(error: &InvocationError) -> RequestError {
    match error {
        InvocationError::Rpc(e) if matches!(e.code, 400 | 403 | 406) => RequestError::Permanent,
        InvocationError::PeerNotFound(_) => RequestError::Permanent,
        _ => RequestError::Transient,
    }
}

/// The driver's state while no worker runs.
struct State {
    engine: Option<Engine>,
    /// The first worker starts the engine (catching up, if asked to).
    started: bool,
    catch_up: bool,
    receive: bool,
    /// The catch-up from a saved state waits for the first subscriber (so that what it
    /// fetches is not handed out to nobody); pushes are held meanwhile.
    gated: bool,
    /// When to close the pool's idle connections next: the driver does it for the pool,
    /// which then needs no task and timer of its own in every client.
    close_idle_at: tokio::time::Instant,
}

/// The driver as the client keeps it: inputs not yet applied and, while no worker runs, its
/// state.
pub(crate) struct Slot {
    core: Mutex<Core>,
}

struct Core {
    inputs: VecDeque<Input>,
    /// `None` while a worker has it. Inline: the client is one allocation already.
    state: Option<State>,
    /// A worker was started and has not parked yet.
    running: bool,
    /// Disconnected: no worker starts again.
    stopped: bool,
    /// The parked driver's wake-up.
    timer: Option<timer::Key>,
    /// Where workers run: the runtime the client was connected in.
    runtime: tokio::runtime::Handle,
    /// Told when the driver stops ([`Client::disconnect`](crate::Client::disconnect) waits).
    on_stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The engine's counters while the parked state does not have them: as of the last step
    /// while a worker runs, and as they ended once the driver stopped. Boxed and dropped at
    /// each park: an idle client reads them from its parked engine (72 bytes less in each).
    stats: Option<Box<UpdateStats>>,
}

impl Core {
    /// The engine's counters, as of its last step.
    fn stats(&self) -> UpdateStats {
        if let Some(stats) = &self.stats {
            return **stats;
        }
        self.state
            .as_ref()
            .and_then(|state| state.engine.as_ref())
            .map(Engine::stats)
            .unwrap_or_default()
    }
}

impl Slot {
    /// A driver for a client connected in the current runtime; [`start`] starts it.
    pub(crate) fn new(
        close_idle_interval: std::time::Duration,
        catch_up: bool,
        receive: bool,
    ) -> Self {
        Slot {
            core: Mutex::new(Core {
                inputs: VecDeque::new(),
                state: Some(State {
                    engine: None,
                    started: false,
                    catch_up,
                    receive,
                    gated: false,
                    close_idle_at: tokio::time::Instant::now() + close_idle_interval,
                }),
                running: false,
                stopped: false,
                timer: None,
                runtime: tokio::runtime::Handle::current(),
                on_stop: None,
                stats: None,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Core> {
        // Plain data under the lock, changed in single steps: a panic elsewhere leaves it
        // consistent.
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Resolves once the driver stopped (after [`Input::Stop`]); `None` if it has already.
    pub(crate) fn stopped(&self) -> Option<tokio::sync::oneshot::Receiver<()>> {
        let mut core = self.lock();
        if core.stopped {
            return None;
        }
        let (told, stopped) = tokio::sync::oneshot::channel();
        core.on_stop = Some(told);
        Some(stopped)
    }
}

/// Starts the client's driver (its first run starts the engine).
pub(crate) fn start(inner: &Arc<Inner>) {
    let mut core = inner.update_driver.lock();
    launch(inner, &mut core);
}

/// Queues `input` and starts a worker if none runs.
pub(crate) fn tell(inner: &Arc<Inner>, input: Input) {
    let mut core = inner.update_driver.lock();
    if core.stopped {
        return;
    }
    core.inputs.push_back(input);
    launch(inner, &mut core);
}

/// Starts a worker unless one runs (or the driver stopped).
fn launch(inner: &Arc<Inner>, core: &mut Core) {
    if core.running || core.stopped {
        return;
    }
    core.running = true;
    let weak = Arc::downgrade(inner);
    // The handle's `spawn` works from any thread (inputs come from connection tasks, the
    // client's callers and the timer thread).
    drop(core.runtime.spawn(work(weak)));
}

/// The timer thread's wake-up for a parked driver, on `runtime`.
pub(crate) fn wake(key: timer::Key, client: Weak<Inner>, runtime: &tokio::runtime::Handle) {
    // The client is looked at in the runtime: dropping its last handle there (if it went
    // meanwhile) is where its connections' shutdowns can run. On a runtime that has shut
    // down, the task is dropped unrun.
    drop(runtime.spawn(async move {
        if let Some(inner) = client.upgrade() {
            let mut core = inner.update_driver.lock();
            // A wake-up since replaced by an earlier one (or cancelled) is not the driver's.
            if core.timer == Some(key) {
                core.timer = None;
                launch(&inner, &mut core);
            }
        }
    }));
}

/// A worker: applies the queued inputs and does what the engine asks until nothing is left,
/// then parks the state in the client and schedules its next wake-up.
async fn work(inner: Weak<Inner>) {
    let Some(mut driver) = Driver::take(&inner) else {
        return;
    };
    if !driver.state.started {
        driver.state.started = true;
        Box::pin(driver.start(None)).await;
    }
    // Every way out but parking ends the driver for good, as disconnecting does: the client
    // is gone, or shut down while a hand-out waited.
    loop {
        if !driver.timer() || !Box::pin(driver.step()).await {
            break;
        }
        match driver.next_or_park() {
            Next::Input(input) => {
                if !Box::pin(driver.inputs(input)).await {
                    break;
                }
            }
            Next::Parked => return,
            Next::Gone => break,
        }
    }
    driver.stop();
}

enum Next {
    Input(Input),
    Parked,
    Gone,
}

struct Driver {
    inner: Weak<Inner>,
    hub: Arc<Hub>,
    /// Taken from the client for this run, parked back at its end.
    state: State,
}

impl Driver {
    /// Takes the parked state for a worker's run.
    fn take(inner: &Weak<Inner>) -> Option<Self> {
        let client = inner.upgrade()?;
        let mut core = client.update_driver.lock();
        let state = core.state.take()?;
        core.stats = Some(Box::new(
            state.engine.as_ref().map(Engine::stats).unwrap_or_default(),
        ));
        drop(core);
        Some(Driver {
            inner: inner.clone(),
            hub: Arc::clone(&client.updates),
            state,
        })
    }

    /// The next queued input; with none, parks the state (in the same step, so that an input
    /// pushed right after starts a new worker that finds it) and schedules the wake-up.
    fn next_or_park(&mut self) -> Next {
        let Some(client) = self.inner.upgrade() else {
            return Next::Gone;
        };
        let mut core = client.update_driver.lock();
        if let Some(input) = core.inputs.pop_front() {
            return Next::Input(input);
        }
        // The queue's buffer goes too: kept, it would be in every idle client.
        core.inputs = VecDeque::new();
        let wake = self
            .engine_deadline()
            .map_or(self.state.close_idle_at, |at| {
                at.min(self.state.close_idle_at)
            });
        core.state = Some(State {
            engine: self.state.engine.take(),
            ..self.state
        });
        core.stats = None;
        core.running = false;
        // A wake-up already due no later stays: the worker then finds nothing due and parks
        // again, which costs less than moving the entry at every park (a client receiving a
        // stream of pushes parks between most of them).
        let wake = wake.into_std();
        if core.timer.is_none_or(|(at, _)| at > wake) {
            let runtime = core.runtime.clone();
            let replaces = core.timer.take();
            core.timer = Some(timer::schedule(wake, self.inner.clone(), runtime, replaces));
        }
        Next::Parked
    }

    /// Applies `input` and whatever else is queued (fewer session writes than handing out after
    /// each). False on [`Input::Stop`].
    async fn inputs(&mut self, mut input: Input) -> bool {
        loop {
            if matches!(input, Input::Stop) {
                return false;
            }
            self.input(input).await;
            let next = self
                .inner
                .upgrade()
                .and_then(|client| client.update_driver.lock().inputs.pop_front());
            match next {
                Some(next) => input = next,
                None => return true,
            }
        }
    }

    /// Disconnected: ends the subscribers' streams, and the driver for good.
    fn stop(&mut self) {
        log::debug!("update driver stops");
        self.hub.close();
        let Some(client) = self.inner.upgrade() else {
            return;
        };
        let mut core = client.update_driver.lock();
        core.stats = Some(Box::new(
            self.state
                .engine
                .as_ref()
                .map(Engine::stats)
                .unwrap_or_default(),
        ));
        core.stopped = true;
        core.running = false;
        core.inputs = VecDeque::new();
        if let Some(key) = core.timer.take() {
            timer::cancel(key);
        }
        if let Some(told) = core.on_stop.take() {
            let _ = told.send(());
        }
    }

    fn client(&self) -> Option<Client> {
        self.inner.upgrade().map(|inner| Client { inner })
    }

    /// When the engine next wants [`Engine::handle_timeout`], on tokio's clock.
    fn engine_deadline(&self) -> Option<tokio::time::Instant> {
        self.state
            .engine
            .as_ref()
            .and_then(Engine::poll_timeout)
            .map(tokio::time::Instant::from_std)
    }

    /// Closes idle connections and times the engine out when due. False when the client is
    /// gone.
    fn timer(&mut self) -> bool {
        let now = tokio::time::Instant::now();
        if now >= self.state.close_idle_at {
            let Some(inner) = self.inner.upgrade() else {
                return false;
            };
            // The home connection stays: it carries the pushes, and a client that only listens
            // makes no calls on it.
            let home = inner.home_dc.load(std::sync::atomic::Ordering::Relaxed);
            inner.pool.close_idle_keeping(home as i16);
            self.state.close_idle_at = now + inner.pool.close_idle_interval();
        }
        if self.engine_deadline().is_some_and(|at| now >= at) {
            if let Some(engine) = &mut self.state.engine {
                engine.handle_timeout(Instant::now());
            }
        }
        true
    }

    /// Creates the engine if signed in and receiving: from the saved state (catching up) or
    /// from `state` / `updates.getState`.
    async fn start(&mut self, state: Option<types::updates::State>) {
        let catch_up = self.state.catch_up;
        self.start_with(state, catch_up).await;
    }

    async fn start_with(&mut self, state: Option<types::updates::State>, catch_up: bool) {
        if self.state.engine.is_some() || !self.state.receive {
            return;
        }
        let Some(client) = self.client() else { return };
        let Some(me) = client.session().self_user() else {
            return;
        };
        let config = EngineConfig::new(me.id, me.bot);
        let now = Instant::now();
        let saved = client.session().update_state();
        let mut engine = match (state, saved) {
            (Some(state), _) => {
                let mut engine = Engine::new(config, now);
                let _ = engine.poll_request(now);
                engine.handle_state(state, now);
                engine
            }
            (None, Some(saved)) if catch_up => {
                let channels = client.session().channel_states();
                log::debug!(
                    "catching up from pts {} and {} channels",
                    saved.pts,
                    channels.len()
                );
                self.state.gated = !self.hub.has_subscribed();
                Engine::with_state(
                    config,
                    SavedState {
                        common: saved,
                        channels,
                    },
                    now,
                )
            }
            (None, _) => Engine::new(config, now),
        };
        // A state fetched at sign-in is saved at once (nothing to hand out before it).
        if let Some(changes) = engine.take_state_changes() {
            self.save(&client, changes.common, changes.channels).await;
        }
        self.state.engine = Some(engine);
    }

    async fn input(&mut self, input: Input) {
        let now = Instant::now();
        match input {
            Input::SignedIn(state) => {
                match (&mut self.state.engine, state) {
                    // A push after the sign-in already started an engine waiting for its
                    // state: give it the one fetched at sign-in (keeping what it holds).
                    (Some(engine), Some(state)) if !engine.is_initialised() => {
                        if engine.poll_request(now) == Some(Request::GetState) {
                            engine.handle_state(state, now);
                        }
                    }
                    (_, state) => {
                        self.state.engine = None;
                        self.start(state).await;
                    }
                }
                return;
            }
            Input::SignedOut => {
                self.state.engine = None;
                return;
            }
            Input::Connected => {
                if let Some(engine) = &mut self.state.engine {
                    log::debug!("reconnected: fetching the update difference");
                    engine.handle_connection_reset(now);
                }
                return;
            }
            Input::Subscribed => {
                self.state.gated = false;
                return;
            }
            Input::Stop => return,
            Input::Receive(on) => {
                self.state.receive = on;
                if on {
                    // Resuming catches up on what was skipped while paused: the engine kept
                    // its position (and what it handed out last), so it fetches the difference.
                    match &mut self.state.engine {
                        Some(engine) => engine.handle_connection_reset(now),
                        None => self.start_with(None, true).await,
                    }
                }
                return;
            }
            _ => {}
        }
        if !self.state.receive {
            // Paused: pushes and own answers are ignored (the difference on resume covers them).
            return;
        }
        if self.state.engine.is_none() {
            self.start(None).await;
        }
        let Some(client) = self.client() else { return };
        let Some(engine) = self.state.engine.as_mut() else {
            return;
        };
        match input {
            Input::Pushed(bytes) => {
                let updates = match enums::Updates::from_bytes(&bytes) {
                    Ok(updates) => updates,
                    Err(e) => {
                        log::debug!("pushed object is not an Updates ({e}): ignored");
                        return;
                    }
                };
                let peers = match &updates {
                    enums::Updates::Updates(u) => cache_entries(&u.users, &u.chats),
                    enums::Updates::Combined(u) => cache_entries(&u.users, &u.chats),
                    _ => Vec::new(),
                };
                let storage = Arc::clone(client.session());
                let known = move |peer: PeerId| storage.has_full_peer(bot_api_id(peer));
                engine.handle_updates(updates, Origin::Pushed, &known, now);
                cache_peers(&client, peers).await;
            }
            Input::Own(updates) => {
                engine.handle_updates(updates, Origin::OwnRequest, &|_: PeerId| true, now);
            }
            Input::Affected { key, pts, count } => engine.handle_affected(key, pts, count, now),
            Input::NewSession => engine.handle_connection_reset(now),
            Input::SignedIn(_)
            | Input::SignedOut
            | Input::Receive(_)
            | Input::Connected
            | Input::Subscribed
            | Input::Stop => {}
        }
    }

    /// Hands out what the engine has, saves the state, and performs its requests, until it
    /// has nothing more to do. Returns false when the client is gone.
    async fn step(&mut self) -> bool {
        loop {
            if !self.hand_out().await {
                return false;
            }
            let Some(client) = self.client() else {
                return false;
            };
            let Some(engine) = self.state.engine.as_mut() else {
                return true;
            };
            if let Some(changes) = engine.take_state_changes() {
                self.save(&client, changes.common, changes.channels).await;
            }
            let Some(engine) = self.state.engine.as_mut() else {
                return true;
            };
            if let Some(stats) = &mut client.inner.update_driver.lock().stats {
                **stats = engine.stats();
            }
            if self.state.gated || !self.state.receive {
                return true;
            }
            let Some(request) = engine.poll_request(Instant::now()) else {
                return true;
            };
            self.perform(&client, request).await;
        }
    }

    /// Hands out every update the engine has, waiting on slow subscribers (but not past the
    /// client's end).
    async fn hand_out(&mut self) -> bool {
        // Catching up waits for the first subscriber: until then nothing leaves the engine (and
        // so no state is saved past it), or pushes applied meanwhile would go out to nobody.
        if self.state.gated {
            return true;
        }
        // The `ChatMap` of the container handed out last, reused by its other updates (which
        // the engine queues together). Kept here, not in the driver: in the driver it would
        // stay in every idle client's task for good.
        let mut last_map: Option<(Arc<Peers>, Arc<ChatMap>)> = None;
        while let Some(Handout { update, peers }) =
            self.state.engine.as_mut().and_then(Engine::poll_update)
        {
            let chats = match &last_map {
                Some((p, map)) if Arc::ptr_eq(p, &peers) => Arc::clone(map),
                _ => {
                    let map = ChatMap::new(&peers.users, &peers.chats);
                    last_map = Some((peers, Arc::clone(&map)));
                    map
                }
            };
            let watch_state = || self.inner.upgrade().map(|inner| inner.state.subscribe());
            if !deliver(&self.hub, RawUpdate::new(update, chats), watch_state).await {
                return false;
            }
        }
        true
    }

    async fn save(
        &self,
        client: &Client,
        common: Option<UpdateState>,
        channels: Vec<(i64, Option<i32>)>,
    ) {
        log::trace!("saving update state {common:?}, channels {channels:?}");
        let mut changes = Changes::new();
        if let Some(state) = common {
            changes.set_update_state(state);
        }
        for (id, pts) in channels {
            changes.set_channel_pts(id, pts);
        }
        if let Err(e) = client.persist(changes).await {
            log::warn!("could not save the update state: {e}");
        }
    }

    async fn perform(&mut self, client: &Client, request: Request) {
        let now = || Instant::now();
        match &request {
            Request::GetState => {
                match client
                    .invoke_raw_typed(&functions::updates::GetState, None)
                    .await
                {
                    Ok(enums::updates::State::State(state)) => {
                        if let Some(engine) = &mut self.state.engine {
                            engine.handle_state(state, now());
                        }
                    }
                    Err(e) => self.failed(&request, &e),
                }
            }
            Request::GetDifference(get) => match client.invoke_raw_typed(get, None).await {
                Ok(difference) => {
                    let peers = match &difference {
                        enums::updates::Difference::Difference(d) => {
                            cache_entries(&d.users, &d.chats)
                        }
                        enums::updates::Difference::Slice(d) => cache_entries(&d.users, &d.chats),
                        _ => Vec::new(),
                    };
                    cache_peers(client, peers).await;
                    if let Some(engine) = &mut self.state.engine {
                        engine.handle_difference(difference, now());
                    }
                }
                Err(e) => self.failed(&request, &e),
            },
            Request::GetChannelDifference {
                channel_id,
                pts,
                limit,
            } => {
                let cached = client
                    .session()
                    .peer_ref(bot_api_id(PeerId::Channel(*channel_id)));
                let Some(channel) = cached.and_then(crate::input_channel) else {
                    let e = InvocationError::PeerNotFound(format!("channel {channel_id}"));
                    self.failed(&request, &e);
                    return;
                };
                let get = functions::updates::GetChannelDifference {
                    force: false,
                    channel,
                    filter: enums::ChannelMessagesFilter::Empty,
                    pts: *pts,
                    limit: *limit,
                };
                match client.invoke_raw_typed(&get, None).await {
                    Ok(difference) => {
                        let peers = match &difference {
                            enums::updates::ChannelDifference::ChannelDifference(d) => {
                                cache_entries(&d.users, &d.chats)
                            }
                            enums::updates::ChannelDifference::TooLong(d) => {
                                cache_entries(&d.users, &d.chats)
                            }
                            _ => Vec::new(),
                        };
                        cache_peers(client, peers).await;
                        if let Some(engine) = &mut self.state.engine {
                            engine.handle_channel_difference(*channel_id, difference, now());
                        }
                    }
                    Err(e) => self.failed(&request, &e),
                }
            }
        }
    }

    fn failed(&mut self, request: &Request, error: &InvocationError) {
        let kind = error_kind(error);
        log::warn!("update request {request:?} failed ({kind:?}): {error}");
        if let Some(engine) = &mut self.state.engine {
            engine.handle_request_error(request, kind, Instant::now());
        }
    }
}

/// Hands `update` to the subscribers; false if the client ended while a subscriber's queue was
/// full (the update is then not handed out).
///
/// Delivery comes first: with room in every queue the update goes out even when the client is
/// shutting down, so that the batch being handed out is completed and the state covering it
/// saved (a batch cut short leaves the state before it, and a client restarted from that state
/// hands out its first part again: the soak saw a message twice after a client restart). Only
/// a subscriber that does not keep up can leave a batch unfinished at shutdown.
///
/// `watch_state` subscribes to the client's state (`None`: the client is gone); it is called
/// only if the hand-out has to wait.
async fn deliver(
    hub: &Hub,
    update: RawUpdate,
    watch_state: impl FnOnce() -> Option<watch::Receiver<tgwire_net::ConnectionState>>,
) -> bool {
    tokio::select! {
        biased;
        () = hub.hand_out(update) => true,
        () = wait_closed(watch_state) => false,
    }
}

/// Resolves once the client is gone or shut down, or never.
///
/// Follows the client's state watch only while a hand-out waits (the first poll, after the
/// hand-out found a full queue, subscribes): the driver keeps no receiver while it idles, and
/// learns of reconnects through its input queue. The subscription does not keep the client
/// alive, so dropping the client ends the wait too.
async fn wait_closed(
    watch_state: impl FnOnce() -> Option<watch::Receiver<tgwire_net::ConnectionState>>,
) {
    let Some(mut state) = watch_state() else {
        return;
    };
    loop {
        if matches!(
            *state.borrow_and_update(),
            tgwire_net::ConnectionState::Closed {
                reason: tgwire_net::DisconnectReason::Shutdown
            }
        ) {
            return;
        }
        if state.changed().await.is_err() {
            return;
        }
    }
}

/// Stores the peers a container or difference carried, skipping those the cache already has
/// exactly so (most pushes repeat the same few users).
async fn cache_peers(client: &Client, entries: Vec<tgwire_session::CachedPeer>) {
    let storage = client.session();
    let fresh: Vec<_> = entries
        .into_iter()
        .filter(|e| storage.peer(e.bot_api_id()).as_ref() != Some(e))
        .collect();
    if fresh.is_empty() {
        return;
    }
    let mut changes = Changes::new();
    changes.upsert_peers(fresh);
    if let Err(e) = client.persist(changes).await {
        log::warn!("could not cache the peers of an update: {e}");
    }
}

impl Client {
    /// Passes something to the update driver (dropped if the driver is gone).
    pub(crate) fn tell_updates(&self, input: Input) {
        tell(&self.inner, input);
    }

    /// Feeds the answer of one of this client's own requests to the update engine, if it is
    /// an `Updates` or a `messages.affected*` whose box `affected` names.
    pub(crate) fn note_own_answer<T: std::any::Any>(&self, value: &T, affected: Option<BoxKey>) {
        if !self.receives_updates() {
            return;
        }
        let value = value as &dyn std::any::Any;
        if let Some(updates) = value.downcast_ref::<enums::Updates>() {
            self.tell_updates(Input::Own(updates.clone()));
            return;
        }
        let Some(key) = affected else { return };
        let (pts, count) = if let Some(enums::messages::AffectedMessages::AffectedMessages(a)) =
            value.downcast_ref()
        {
            (a.pts, a.pts_count)
        } else if let Some(enums::messages::AffectedHistory::AffectedHistory(a)) =
            value.downcast_ref()
        {
            (a.pts, a.pts_count)
        } else {
            return;
        };
        self.tell_updates(Input::Affected { key, pts, count });
    }

    /// Whether this client asks for updates (see [`set_receive_updates`](Self::set_receive_updates)).
    pub fn receives_updates(&self) -> bool {
        self.inner
            .receive_updates
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Stops (`false`) or resumes (`true`) receiving updates. While stopped, every request is
    /// wrapped in `invokeWithoutUpdates`, pushes are ignored and the update state is left as
    /// it was; resuming catches up from it (`updates.getDifference`).
    pub fn set_receive_updates(&self, receive: bool) {
        let before = self
            .inner
            .receive_updates
            .swap(receive, std::sync::atomic::Ordering::Relaxed);
        if before != receive {
            self.tell_updates(Input::Receive(receive));
        }
    }

    /// What the update engine did so far (handed out, duplicates dropped, gaps, differences
    /// fetched, …), as of its last step.
    pub fn update_stats(&self) -> super::engine::UpdateStats {
        self.inner.update_driver.lock().stats()
    }

    /// After a sign-in: fetch the state now, so that every update after the sign-in returns
    /// is handed out, and start the engine from it.
    pub(crate) async fn start_updates_after_sign_in(&self) {
        if !self.receives_updates() {
            return;
        }
        let state = match self
            .invoke_raw_typed(&functions::updates::GetState, None)
            .await
        {
            Ok(enums::updates::State::State(state)) => Some(state),
            Err(e) => {
                log::warn!("updates.getState after sign-in failed: {e}");
                None
            }
        };
        self.tell_updates(Input::SignedIn(state));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tgwire_net::{ConnectionState, DisconnectReason};

    /// A wait for the end goes on through reconnects, and ends on a shutdown (published before
    /// or while it waits) or when the client is gone.
    #[tokio::test]
    async fn waiting_for_the_end_outlasts_reconnects() {
        let (tx, _rx) = watch::channel(ConnectionState::Connecting);
        let waiting = wait_closed(|| Some(tx.subscribe()));
        tokio::pin!(waiting);
        tx.send(ConnectionState::Disconnected {
            reason: DisconnectReason::ClosedByPeer,
        })
        .unwrap();
        tx.send(ConnectionState::Connected).unwrap();
        for _ in 0..10 {
            tokio::select! {
                biased;
                () = &mut waiting => panic!("a reconnect is not the end"),
                () = tokio::task::yield_now() => {}
            }
        }
        tx.send(ConnectionState::Closed {
            reason: DisconnectReason::Shutdown,
        })
        .unwrap();
        waiting.await;

        // Already shut down when the wait starts.
        wait_closed(|| Some(tx.subscribe())).await;
        // The client is gone before, or while, it waits.
        wait_closed(|| None).await;
        let (tx, rx) = watch::channel(ConnectionState::Connected);
        let waiting = wait_closed(move || Some(rx));
        tokio::pin!(waiting);
        tokio::select! {
            biased;
            () = &mut waiting => panic!("still connected"),
            () = tokio::task::yield_now() => {}
        }
        drop(tx);
        waiting.await;
    }

    /// A shutdown does not cut a batch short while the subscribers have room (with an unbiased
    /// choice, half of these would have been dropped).
    #[tokio::test]
    async fn updates_with_room_are_delivered_even_while_shutting_down() {
        let hub = Hub::default();
        let mut stream = hub.subscribe();
        let (tx, rx) = watch::channel(ConnectionState::Connected);
        tx.send(ConnectionState::Closed {
            reason: DisconnectReason::Shutdown,
        })
        .unwrap();
        for id in 1..=32 {
            let update: enums::Update = types::UpdateDeleteMessages {
                messages: vec![id],
                pts: id,
                pts_count: 1,
            }
            .into();
            let raw = RawUpdate::new(update, ChatMap::new(&[], &[]));
            assert!(
                deliver(&hub, raw, || Some(rx.clone())).await,
                "update {id} delivered"
            );
        }
        for id in 1..=32 {
            let got = stream.next().await.unwrap();
            assert!(
                matches!(got.update, enums::Update::DeleteMessages(ref u) if u.messages == [id])
            );
        }

        // A full queue at shutdown: the update is not handed out, and the driver stops.
        let hub = Hub::default();
        let _stream = hub.subscribe();
        for id in 0..1024 {
            let update: enums::Update = types::UpdateDeleteMessages {
                messages: vec![id],
                pts: id,
                pts_count: 1,
            }
            .into();
            assert!(
                deliver(&hub, RawUpdate::new(update, ChatMap::new(&[], &[])), || {
                    Some(rx.clone())
                })
                .await
            );
        }
        let update: enums::Update = types::UpdateDeleteMessages {
            messages: vec![0],
            pts: 0,
            pts_count: 1,
        }
        .into();
        assert!(
            !deliver(&hub, RawUpdate::new(update, ChatMap::new(&[], &[])), || {
                Some(rx.clone())
            })
            .await
        );
    }
}
