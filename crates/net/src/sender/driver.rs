//! The task that owns one connection and the MTProto session riding on it.
//!
//! It makes no protocol decisions: it moves bytes between the socket and the sans-IO core,
//! feeds it the clock, and routes the core's events to the callers. One loop iteration is:
//!
//! ```text
//!   poll_transmit → encode → write buffer      poll_event → answer callers / publish events
//!   select! { command | socket readable → decode → handle_incoming
//!             | socket writable | core timer → handle_timeout | keep-alive ping | dead link }
//! ```
//!
//! Reads and writes are both branches of the same `select!` over the two halves of the stream,
//! so a large upload never stops the driver from reading (no deadlock against a server that is
//! itself blocked writing to us).

use std::collections::HashMap;
use std::future::{poll_fn, Future};
use std::hash::{BuildHasherDefault, DefaultHasher};
use std::ops::Range;
use std::pin::{pin, Pin};
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tgwire_crypto::AuthKey;
use tgwire_mtproto::auth::client;
use tgwire_mtproto::{Answer, Event, RequestId, RequestOptions, Session};
use tgwire_tl_types::Serializable;
use tokio::io::{AsyncReadExt, AsyncWrite};
use tokio::sync::watch;
use tokio::time::sleep_until;

use super::config::{ConnConfig, InvokeOptions, OnDisconnect, SharedTempKey, TempKeyShare};
use super::handle::{BatchCall, CallId, Command, Reply, Shared};
use super::init::InitState;
use super::link::{io, Clock, Link, Reader, RxBuf, Writer};
use super::published::Published;
use super::reconnect::Backoff;
use super::state::{ConnectionState, DisconnectReason};
use super::{EventSink, SenderEvent};
use crate::error::InvokeError;
use crate::transport::{Transport, MAX_FRAME_LEN};

/// Room left in a frame for the MTProto envelope around a request body (header, padding, a
/// possible `invokeWithLayer(initConnection)` wrapper).
const ENVELOPE_ROOM: usize = 64 * 1024;

/// Commands handled in one go before the session packs what they queued.
const MAX_COMMANDS_PER_WAKE: usize = 4096;

/// Most received packets opened at once (`tgwire_crypto::decrypt_messages` runs up to four
/// AES-IGE chains side by side).
const OPEN_TOGETHER: usize = 4;

/// Packets at least this large (file parts) are worth opening together; smaller ones are
/// opened as they come.
const BIG_PACKET: usize = 16 * 1024;

/// A map keyed by ids this process assigns (call ids, the session's request ids): hashed with
/// SipHash under fixed keys instead of `RandomState`'s per-map random ones, which would be 16
/// bytes more in each map of every idle connection's task. No peer chooses the keys.
type IdMap<K, V> = HashMap<K, V, BuildHasherDefault<DefaultHasher>>;

/// What a connection has to write: made when the session first has a packet to send, and
/// dropped once everything is written and the session is idle, so that an idle connection's
/// task holds a pointer rather than these (56 bytes).
#[derive(Default)]
struct Outbox {
    /// Encoded packets not yet written, from `at` on.
    bytes: Vec<u8>,
    at: usize,
    /// Everything was written; the writer still has to be flushed.
    flush_due: bool,
    /// Scratch for the packet the session hands out before it is encoded.
    packet: Vec<u8>,
}

impl Outbox {
    /// Notes that `n` more bytes were written; once all were, the buffer is emptied for the
    /// next packets and a flush is owed.
    fn wrote(&mut self, n: usize) {
        self.at += n;
        if self.at == self.bytes.len() {
            self.bytes.clear();
            self.at = 0;
            self.flush_due = true;
        }
    }
}

/// The serve loop's deadlines other than the next ping.
struct Due {
    /// The session's own timer.
    wake: Option<tokio::time::Instant>,
    /// PFS: when to stop taking calls into the current key's session (or leave it).
    renew: Option<tokio::time::Instant>,
    /// No byte received by then: the link is dead.
    dead_at: tokio::time::Instant,
}

impl Due {
    /// The earliest of these and `next_ping`.
    fn first(&self, next_ping: tokio::time::Instant) -> tokio::time::Instant {
        [self.wake, self.renew]
            .into_iter()
            .flatten()
            .fold(next_ping.min(self.dead_at), tokio::time::Instant::min)
    }
}

struct Call {
    reply: Reply,
    on_disconnect: OnDisconnect,
    request: Option<RequestId>,
    wrapped: bool,
}

struct Waiting {
    call: CallId,
    body: Vec<u8>,
    opts: InvokeOptions,
    /// The call this one must run after (ordered batches).
    after: Option<CallId>,
}

/// The temporary key the session runs on, with [`SenderConfig::pfs`](crate::SenderConfig::pfs).
struct TempKey {
    id: i64,
    /// The key itself, for the other connections of the DC (see [`TempKeyShare`]).
    key: AuthKey,
    salt: i64,
    time_offset: i32,
    /// When the server lets it expire (server Unix time).
    expires_at: i32,
    /// From here on, new calls wait and the key is replaced once the session is idle.
    renew_at: tokio::time::Instant,
    /// Replace it by now even if requests are still unanswered (they move to the new key).
    renew_by: tokio::time::Instant,
}

pub(crate) struct Driver {
    cfg: ConnConfig,
    /// The handles' commands, and (in the same allocation) what the driver publishes for
    /// them.
    commands: crate::queue::QueueReceiver<Command, Shared>,
    events: EventSink,
    session: Option<Session>,
    /// The calls in progress; `None` while there are none (most of an idle connection's
    /// life), so that their two maps and list are not 88 bytes in every idle task's future.
    calls: Option<Box<Calls>>,
    init: InitState,
    /// Where random choices come from: a generator is made for each (they are rare: a ping a
    /// minute, a session, a key exchange), rather than one kept for the connection's life (a
    /// ChaCha generator with its block buffer is 320 bytes in every idle connection).
    randomness: Randomness,
    clock: Clock,
    backoff: Backoff,
    /// Set once the driver must stop (a shutdown: the only reason to stop from inside; a flag
    /// rather than the reason itself, which would be 31 more bytes in every idle connection).
    stopping: bool,
    /// With [`SenderConfig::pfs`](crate::SenderConfig::pfs) only: the temporary keys' state.
    /// Boxed: most connections run without PFS, and inline it would take room in every one.
    pfs: Option<Box<Pfs>>,
}

/// The calls a driver has taken and not answered yet.
#[derive(Default)]
struct Calls {
    by_id: IdMap<CallId, Call>,
    by_request: IdMap<RequestId, CallId>,
    /// Calls made before a session exists (no auth key yet), or while a PFS key is renewed.
    waiting: Vec<Waiting>,
}

impl Calls {
    fn is_empty(&self) -> bool {
        self.by_id.is_empty() && self.by_request.is_empty() && self.waiting.is_empty()
    }
}

/// A PFS connection's temporary-key state.
struct Pfs {
    /// Who makes the temporary keys (this connection, or its DC's lead).
    share: TempKeyShare,
    /// The temporary key in use (`None` before the first, or once it must be replaced).
    temp: Option<TempKey>,
    /// The `auth.bindTempAuthKey` request in flight.
    bind_request: Option<RequestId>,
    /// The binding failed; leave this connection and start over with a new key.
    rekey_now: bool,
    /// The key is due for renewal; new calls wait for the new key.
    renewing: bool,
    /// Follower: the shared temporary key the server forgot (wait for another).
    forgotten_temp: Option<i64>,
}

impl Driver {
    pub(crate) fn new(
        cfg: ConnConfig,
        seed: Option<u64>,
        commands: crate::queue::QueueReceiver<Command, Shared>,
        events: EventSink,
        temp_key_share: TempKeyShare,
    ) -> Self {
        let randomness = Randomness::new(seed);
        let pfs = cfg.shared.pfs.map(|_| {
            Box::new(Pfs {
                share: temp_key_share,
                temp: None,
                bind_request: None,
                rekey_now: false,
                renewing: false,
                forgotten_temp: None,
            })
        });
        Self {
            cfg,
            commands,
            events,
            session: None,
            calls: None,
            init: InitState::Needed,
            randomness,
            clock: Clock::new(),
            backoff: Backoff::default(),
            stopping: false,
            pfs,
        }
    }

    /// The task's future. Not an `async fn`: that would keep the driver twice in the future
    /// (once as the argument, once as the local it is moved into; rust-lang/rust#62958), which
    /// is a couple of KiB on every idle connection. The block below uses the captured driver in
    /// place.
    #[allow(clippy::manual_async_fn, reason = "see above")]
    pub(crate) fn run(mut self) -> impl Future<Output = ()> + Send {
        async move {
            let reason = self.connect_loop().await;
            log::debug!("sender for DC {} stops: {reason}", self.cfg.dc_id);
            self.fail_everything(&reason);
            self.set_state(ConnectionState::Closed { reason });
        }
    }

    /// Connects, serves, and reconnects after the backoff delay, until the driver stops.
    ///
    /// Not an `async fn`, and no value kept across an `.await` that the step after it does
    /// not need: this future sits in every connection's task for the connection's life
    /// (see [`Self::until`]).
    #[allow(clippy::manual_async_fn, reason = "see `until`")]
    fn connect_loop(&mut self) -> impl Future<Output = DisconnectReason> + '_ {
        async move {
            self.set_state(ConnectionState::Connecting);
            loop {
                // Opening (proxy hello, auth-key exchange) needs kilobytes of state for a
                // moment; boxed, that memory is given back once the link is up instead of
                // staying in this task's future for as long as the connection lives. The link
                // is taken out of the result in a statement of its own, so that the result is
                // not kept beside the serving future.
                let link = match Box::pin(self.attempt()).await {
                    Ok(link) => link,
                    Err(Some(end)) => return end,
                    Err(None) => continue,
                };
                let reason = self.serve(link).await;
                if let Some(end) = self.recover(reason).await {
                    return end;
                }
            }
        }
    }

    /// [`Self::open`], and if that fails, [`Self::recover`]: the link, or `Err` with
    /// `Some` reason to stop for good (`None`: try again).
    async fn attempt(&mut self) -> Result<Box<Link>, Option<DisconnectReason>> {
        match self.open().await {
            Ok(link) => Ok(link),
            Err(reason) => Err(self.recover(reason).await),
        }
    }

    /// After the link was lost (or could not be opened) for `reason`: publishes it, and waits
    /// for the backoff delay unless the loss was planned. `Some` reason to stop for good.
    fn recover(
        &mut self,
        reason: DisconnectReason,
    ) -> impl Future<Output = Option<DisconnectReason>> + '_ {
        // Decided before the future is made, so that it does not keep `reason`.
        let next = self.after_loss(reason);
        async move {
            let delay = match next {
                Err(end) => return Some(end),
                Ok(None) => return None,
                Ok(Some(delay)) => delay,
            };
            if self.until(pin!(tokio::time::sleep(delay))).await.is_none() {
                return Some(DisconnectReason::Shutdown);
            }
            self.set_state(ConnectionState::Reconnecting {
                attempt: self.backoff.attempt(),
            });
            None
        }
    }

    /// [`Self::recover`]'s decision: how long to wait before the next attempt (`None`: none),
    /// or why to stop.
    fn after_loss(
        &mut self,
        reason: DisconnectReason,
    ) -> Result<Option<std::time::Duration>, DisconnectReason> {
        if self.stopping {
            return Err(DisconnectReason::Shutdown);
        }
        log::info!("DC {} connection lost: {reason}", self.cfg.dc_id);
        // A planned key renewal (the old key still valid) reconnects at once.
        let planned = matches!(reason, DisconnectReason::Rekey)
            && self.pfs.as_ref().is_some_and(|p| p.temp.is_some());
        self.on_link_lost(&reason);
        self.set_state(ConnectionState::Disconnected { reason });
        if planned {
            self.set_state(ConnectionState::Reconnecting { attempt: 1 });
            return Ok(None);
        }
        let policy = &self.cfg.shared.reconnect;
        match self.backoff.next_delay(policy, &mut self.randomness.rng()) {
            Some(delay) => Ok(Some(delay)),
            None => Err(DisconnectReason::GaveUp),
        }
    }

    /// Opens a connection and makes sure a session exists (creating the auth key if needed).
    async fn open(&mut self) -> Result<Box<Link>, DisconnectReason> {
        let proxy = self.cfg.shared.proxy.clone();
        let connect = crate::proxy::connect(
            self.cfg.addr,
            self.cfg.dc_id,
            self.cfg.shared.transport,
            proxy.as_ref(),
            self.cfg.shared.connect_timeout,
        );
        let conn = self
            .until(pin!(connect))
            .await
            .ok_or(DisconnectReason::Shutdown)?
            .map_err(|e| DisconnectReason::Connect(Arc::new(e)))?;
        // Boxed: the link (with the obfuscation's two AES key schedules, ~2 KiB) is moved
        // from here into `serve`, and each move of an inline value would take room in the
        // task's future for good.
        let mut link = Box::new(Link::new(conn));
        if let Some(lifetime) = self.cfg.shared.pfs {
            self.open_pfs(&mut link, lifetime).await?;
            return Ok(link);
        }
        match self.session.as_mut() {
            // Whatever was in flight on the old connection may be lost: resend it now.
            Some(session) => session.handle_reconnect(self.clock.now()),
            None => {
                let key = match self.published().key() {
                    Some(key) => key,
                    None => self.create_key(&mut link).await?,
                };
                self.start_session(key);
            }
        }
        Ok(link)
    }

    /// With PFS: makes sure the permanent key exists, and unless the temporary key in use is
    /// still good, creates a new one, moves the session onto it and queues its binding first.
    async fn open_pfs(
        &mut self,
        link: &mut Link,
        lifetime: std::time::Duration,
    ) -> Result<(), DisconnectReason> {
        let perm = match self.published().key() {
            Some(key) => key,
            None => {
                let key = self.create_key(link).await?;
                self.published().send_key(Some(key.clone()));
                key
            }
        };
        let now = tokio::time::Instant::now();
        // (Always there: this runs for PFS connections only.)
        let Some(pfs) = self.pfs.as_ref() else {
            return Ok(());
        };
        let usable = pfs.temp.as_ref().is_some_and(|t| now < t.renew_at);
        if let (true, Some(session)) = (usable, self.session.as_mut()) {
            session.handle_reconnect(self.clock.now());
            return Ok(());
        }
        if let TempKeyShare::Follow(shared) = &pfs.share {
            let shared = self.wait_for_shared_key(shared.clone(), now).await?;
            self.use_temp_key(shared);
            return Ok(());
        }
        let secs = i32::try_from(lifetime.as_secs().max(1)).unwrap_or(i32::MAX);
        let done = self.exchange(link, Some(secs)).await?;
        let server_now = i64::try_from(self.clock.now().unix_secs()).unwrap_or(i64::MAX)
            + i64::from(done.time_offset);
        let expires_at = i32::try_from(server_now + i64::from(secs)).unwrap_or(i32::MAX);
        // Renew a fifth of the lifetime early (at most five minutes), and give unanswered
        // requests half of that margin to finish under the old key.
        let margin = (lifetime / 5).min(std::time::Duration::from_secs(300));
        let renew_at = now + lifetime.saturating_sub(margin);
        let temp = TempKey {
            id: done.auth_key.id(),
            key: done.auth_key.clone(),
            salt: done.first_salt,
            time_offset: done.time_offset,
            expires_at,
            renew_at,
            renew_by: renew_at + margin / 2,
        };
        log::info!(
            "DC {}: temporary key {:#x} until {expires_at}",
            self.cfg.dc_id,
            temp.id
        );
        self.cfg.salt = done.first_salt;
        match self.session.as_mut() {
            Some(session) => session.rekey(done.auth_key, done.first_salt),
            None => {
                let seed: [u8; 32] = self.randomness.rng().gen();
                self.session = Some(Session::new(
                    done.auth_key,
                    done.first_salt,
                    done.time_offset,
                    Arc::clone(&self.cfg.session),
                    seed,
                ));
            }
        }
        let nonce = self.randomness.rng().gen();
        if let Some(pfs) = self.pfs.as_mut() {
            if let Some(session) = self.session.as_mut() {
                session.set_temporary(true);
                pfs.bind_request = Some(session.enqueue_bind_temp_key(&perm, nonce, expires_at));
            }
            pfs.temp = Some(temp);
            pfs.renewing = false;
            pfs.rekey_now = false;
        }
        // The server wants the client described again after every binding.
        self.init = InitState::Needed;
        self.enqueue_waiting();
        Ok(())
    }

    /// PFS follower: the lead's bound temporary key that is good past `now` (and is not the
    /// one the server forgot).
    async fn wait_for_shared_key(
        &mut self,
        mut shared: watch::Receiver<Option<SharedTempKey>>,
        now: tokio::time::Instant,
    ) -> Result<SharedTempKey, DisconnectReason> {
        let forgotten = self.pfs.as_ref().and_then(|p| p.forgotten_temp);
        let wanted = move |key: &Option<SharedTempKey>| {
            key.as_ref()
                .is_some_and(|k| k.renew_at > now && Some(k.key.id()) != forgotten)
        };
        let got = self
            .until(pin!(async move {
                shared.wait_for(wanted).await.ok().and_then(|k| k.clone())
            }))
            .await;
        match got {
            Some(Some(key)) => Ok(key),
            // Shut down while waiting, or the lead is gone for good.
            _ => Err(DisconnectReason::Shutdown),
        }
    }

    /// PFS follower: moves the session onto the lead's temporary key (bound already).
    fn use_temp_key(&mut self, shared: SharedTempKey) {
        log::info!(
            "DC {}: using the shared temporary key {:#x}",
            self.cfg.dc_id,
            shared.key.id()
        );
        self.cfg.salt = shared.salt;
        match self.session.as_mut() {
            Some(session) => session.rekey(shared.key.clone(), shared.salt),
            None => {
                let seed: [u8; 32] = self.randomness.rng().gen();
                self.session = Some(Session::new(
                    shared.key.clone(),
                    shared.salt,
                    shared.time_offset,
                    Arc::clone(&self.cfg.session),
                    seed,
                ));
            }
        }
        if let Some(session) = self.session.as_mut() {
            session.set_temporary(true);
        }
        if let Some(pfs) = self.pfs.as_mut() {
            pfs.temp = Some(TempKey {
                id: shared.key.id(),
                key: shared.key,
                salt: shared.salt,
                time_offset: shared.time_offset,
                expires_at: shared.expires_at,
                renew_at: shared.renew_at,
                renew_by: shared.renew_by,
            });
            pfs.forgotten_temp = None;
            pfs.renewing = false;
            pfs.rekey_now = false;
        }
        self.init = InitState::Needed;
        self.enqueue_waiting();
    }

    /// Runs the auth-key exchange for the permanent key and reports the new key.
    async fn create_key(&mut self, link: &mut Link) -> Result<AuthKey, DisconnectReason> {
        let done = self.exchange(link, None).await?;
        log::info!(
            "DC {}: created auth key {:#x}",
            self.cfg.dc_id,
            done.auth_key.id()
        );
        self.cfg.salt = done.first_salt;
        self.cfg.time_offset = done.time_offset;
        self.publish(SenderEvent::AuthKeyCreated {
            auth_key: Box::new(done.auth_key.clone()),
            first_salt: done.first_salt,
            time_offset: done.time_offset,
        });
        Ok(done.auth_key)
    }

    /// Runs the auth-key exchange over the plain transport; `temp_expires_in` asks for a
    /// temporary key.
    async fn exchange(
        &mut self,
        link: &mut Link,
        temp_expires_in: Option<i32>,
    ) -> Result<client::Finished, DisconnectReason> {
        let mut config =
            client::Config::new(self.cfg.shared.rsa_keys.clone(), i32::from(self.cfg.dc_id));
        config.temp_expires_in = temp_expires_in;
        let mut rng = self.randomness.rng();
        let clock = self.clock;
        let step = self.cfg.shared.connect_timeout;
        let exchange = async move {
            let mut out = Vec::new();
            let state = client::start(config, clock.now(), &mut rng, &mut out);
            let reply = round_trip(link, &out, step).await?;
            out.clear();
            let state = state
                .handle(clock.now(), &reply, &mut rng, &mut out)
                .map_err(DisconnectReason::Auth)?;
            let reply = round_trip(link, &out, step).await?;
            out.clear();
            let mut state = state
                .handle(clock.now(), &reply, &mut rng, &mut out)
                .map_err(DisconnectReason::Auth)?;
            loop {
                let reply = round_trip(link, &out, step).await?;
                out.clear();
                match state
                    .handle(clock.now(), &reply, &mut rng, &mut out)
                    .map_err(DisconnectReason::Auth)?
                {
                    client::DhGenOutcome::Done(done) => return Ok(done),
                    client::DhGenOutcome::Retry(next) => state = next,
                }
            }
        };
        self.until(pin!(exchange))
            .await
            .ok_or(DisconnectReason::Shutdown)?
    }

    fn start_session(&mut self, key: AuthKey) {
        let seed: [u8; 32] = self.randomness.rng().gen();
        let session = Session::new(
            key.clone(),
            self.cfg.salt,
            self.cfg.time_offset,
            Arc::clone(&self.cfg.session),
            seed,
        );
        self.published().send_key(Some(key));
        self.session = Some(session);
        self.init = InitState::Needed;
        self.enqueue_waiting();
    }

    /// Serves an open connection until it ends; returns why.
    ///
    /// Not an `async fn`: see [`Self::until`].
    #[allow(clippy::manual_async_fn, reason = "see `until`")]
    fn serve(&mut self, mut link: Box<Link>) -> impl Future<Output = DisconnectReason> + '_ {
        async move {
            let Link {
                io: stream,
                codec,
                rx,
            } = &mut *link;
            let (mut reader, mut writer) = stream.halves();
            self.set_state(ConnectionState::Connected);
            // The backoff restarts only once the server proved itself with a packet that decrypts:
            // a server that accepts connections and then fails them must not reset it each time.
            let mut proven = false;
            let mut out: Option<Box<Outbox>> = None;
            // Times kept across waits are the core's 8-byte instants rather than tokio's 16-byte
            // ones: they stay in every idle connection's task.
            let mut last_rx = self.clock.now();
            let mut next_ping = last_rx + self.cfg.shared.keep_alive.interval;
            loop {
                if let Err(reason) = self.pump(codec, &mut out) {
                    return reason;
                }
                if self
                    .pfs
                    .as_mut()
                    .is_some_and(|p| std::mem::take(&mut p.rekey_now))
                {
                    return DisconnectReason::Rekey;
                }
                // Requests held for the next key (refused under an unbound one) wait for it, not
                // for this connection.
                let idle = self
                    .session
                    .as_ref()
                    .is_some_and(|s| s.pending_requests() <= s.held_requests());
                let written = out.as_deref().is_none_or(|o| o.at == o.bytes.len());
                if self.renewing() && idle && written {
                    return DisconnectReason::Rekey;
                }
                if idle && out.as_deref().is_none_or(|o| o.bytes.is_empty()) {
                    // Quiet: give back what only busy periods need (most connections idle most
                    // of their life, and a client may keep thousands of them).
                    self.shrink_buffers();
                    match out.as_deref_mut() {
                        // Fake TLS holds the last record until flushed: the flush is still owed.
                        Some(o) if o.flush_due => {
                            o.bytes = Vec::new();
                            o.packet = Vec::new();
                        }
                        _ => out = None,
                    }
                }
                // One timer for everything due (the core's, the ping, the dead link, the PFS
                // renewal): a timer each would be a few hundred bytes more in every idle
                // connection's task.
                let deadline = self.due(last_rx).first(self.clock.to_tokio(next_ping));
                tokio::select! {
                    command = poll_fn(|cx| self.commands.poll_recv(cx)) => {
                        // Take every call already waiting before packing, so concurrent callers
                        // share containers instead of getting one packet each.
                        let mut next = Some(command);
                        let mut taken = 0;
                        while let Some(command) = next.take() {
                            if !self.on_command(command) {
                                return DisconnectReason::Shutdown;
                            }
                            taken += 1;
                            if taken < MAX_COMMANDS_PER_WAKE {
                                next = self.commands.try_recv().map(Some);
                            }
                        }
                    }
                    read = std::future::poll_fn(|cx| rx.poll_read(&mut reader, cx)) => {
                        match read {
                            Ok(0) => return DisconnectReason::ClosedByPeer,
                            Err(e) => return io(e),
                            Ok(_) => {}
                        }
                        let now = self.clock.now();
                        last_rx = now;
                        // Whole packets taken out of the buffer and not handled yet.
                        let mut frames: [Range<usize>; OPEN_TOGETHER] = Default::default();
                        let mut taken = 0;
                        loop {
                            match rx.next_frame(codec) {
                                Ok(Some(frame)) => {
                                    frames[taken] = frame;
                                    taken += 1;
                                    if taken < OPEN_TOGETHER {
                                        continue;
                                    }
                                }
                                Ok(None) => {
                                    // Large packets open cheaper together (their AES-IGE chains
                                    // run side by side), so when the next one has begun to
                                    // arrive, take what of it is already waiting in the socket,
                                    // without waiting for more.
                                    let gather = taken > 0
                                        && rx.has_partial()
                                        && frames[..taken].iter().all(|f| f.len() >= BIG_PACKET);
                                    if gather {
                                        let room = rx.reserve();
                                        match ready_now(reader.read_buf(&mut rx.buf)) {
                                            Some(Ok(0)) => return DisconnectReason::ClosedByPeer,
                                            Some(Ok(n)) => {
                                                rx.filled(n, room);
                                                continue;
                                            }
                                            Some(Err(e)) => return io(e),
                                            None => {}
                                        }
                                    }
                                }
                                Err(reason) => return reason,
                            }
                            if taken == 0 {
                                break;
                            }
                            let link = (&mut *rx, &mut reader, &mut *codec);
                            self.on_frames(now, link, &frames[..taken], &mut proven);
                            taken = 0;
                            // The packets taken are handled: their bytes can go, before reads
                            // (here and in `on_frames`, which keeps the stream coming while
                            // packets are left to decrypt) would grow the buffer around them.
                            rx.compact();
                            // A burst (file parts streaming in) can keep this loop going for
                            // many packets: between them, answers reach their callers, calls
                            // made meanwhile go out, and what can be written is, so that a
                            // download asking for its next parts as the last ones arrive keeps
                            // the server busy while this task opens the rest (rather than the
                            // server idling until the whole burst is opened).
                            if let Err(reason) = self.between_groups(codec, &mut out, &mut writer) {
                                return reason;
                            }
                        }
                        rx.compact();
                    }
                    // One branch for both, since both need the writer: write while bytes are
                    // pending, then flush once (fake TLS buffers records until flushed).
                    // (A poll function rather than an `async` block around `write`: 40 bytes
                    // less in every connection's task.)
                    progress = poll_fn(|cx| match out.as_deref() {
                        Some(o) if o.at < o.bytes.len() => {
                            Pin::new(&mut writer).poll_write(cx, &o.bytes[o.at..]).map_ok(Some)
                        }
                        _ => Pin::new(&mut writer).poll_flush(cx).map_ok(|()| None),
                    }), if out.as_deref().is_some_and(|o| o.at < o.bytes.len() || o.flush_due) => {
                        let Some(o) = out.as_deref_mut() else {
                            continue;
                        };
                        match progress {
                            Ok(Some(0)) => return DisconnectReason::ClosedByPeer,
                            Ok(Some(n)) => o.wrote(n),
                            Ok(None) => o.flush_due = false,
                            Err(e) => return io(e),
                        }
                    }
                    () = sleep_until(deadline) => {
                        let now = tokio::time::Instant::now();
                        // Asked again rather than kept across the wait (in every idle connection's
                        // task): nothing they depend on changed while this branch waited.
                        let Due { wake, renew, dead_at } = self.due(last_rx);
                        if now >= dead_at {
                            return DisconnectReason::Silent;
                        }
                        // PFS: stop taking calls into the old key's session, then leave once it
                        // is idle (checked above) or the margin runs out.
                        if let Some(pfs) = self.pfs.as_mut().filter(|_| renew.is_some_and(|at| now >= at)) {
                            if pfs.renewing {
                                return DisconnectReason::Rekey;
                            }
                            pfs.renewing = true;
                        }
                        if now >= self.clock.to_tokio(next_ping) {
                            let keep_alive = &self.cfg.shared.keep_alive;
                            next_ping = next_ping + keep_alive.interval;
                            let delay = keep_alive.disconnect_delay;
                            let ping_id = self.randomness.rng().gen();
                            if let Some(session) = self.session.as_mut() {
                                keep_alive_ping(session, ping_id, delay);
                            }
                        }
                        if wake.is_some_and(|at| now >= at) {
                            if let Some(session) = self.session.as_mut() {
                                session.handle_timeout(self.clock.now());
                            }
                        }
                    }
                }
            }
        }
    }

    /// PFS: whether the key is due for renewal (new calls then wait for the new key).
    fn renewing(&self) -> bool {
        self.pfs.as_ref().is_some_and(|p| p.renewing)
    }

    /// Hands the calls that waited for a session to the new one, in arrival order (`enqueue`
    /// never adds to `waiting`).
    fn enqueue_waiting(&mut self) {
        let waiting = self
            .calls
            .as_mut()
            .map(|c| std::mem::take(&mut c.waiting))
            .unwrap_or_default();
        for w in waiting {
            self.enqueue(w.call, w.body, &w.opts, w.after);
        }
    }

    /// What the serve loop's timer waits for, besides the next ping, given when the last
    /// bytes arrived.
    fn due(&self, last_rx: tgwire_mtproto::Instant) -> Due {
        Due {
            wake: self
                .session
                .as_ref()
                .and_then(Session::poll_timeout)
                .map(|t| self.clock.to_tokio(t)),
            renew: self.pfs.as_ref().and_then(|p| {
                let t = p.temp.as_ref()?;
                Some(if p.renewing { t.renew_by } else { t.renew_at })
            }),
            dead_at: self
                .clock
                .to_tokio(last_rx + self.cfg.shared.keep_alive.dead_after),
        }
    }

    /// Hands whole received packets (`frames` of `rx.buf`) to the session, in order.
    ///
    /// A large packet is decrypted side by side with the next one (two AES-IGE chains cost
    /// about one, each being bound by the latency of its rounds): with the next whole
    /// packet, or with what has arrived of a packet still coming in. For the last one, what
    /// the socket has meanwhile received of the next is read (without waiting) and
    /// decrypted alongside, until the current packet is done or nothing more has come; the
    /// next packet's decryption then waits in `rx` for the rest of it, to go on side by side
    /// with the one after. A stream of file parts is so decrypted mostly two at a time even
    /// when the parts arrive one by one.
    fn on_frames(
        &mut self,
        now: tgwire_mtproto::Instant,
        (rx, reader, codec): (&mut RxBuf, &mut Reader<'_>, &mut crate::AnyTransport),
        frames: &[Range<usize>],
        proven: &mut bool,
    ) {
        let Self {
            session,
            backoff,
            cfg,
            ..
        } = self;
        let Some(session) = session.as_mut() else {
            return;
        };
        let mut note = |verdict: Result<(), tgwire_mtproto::SessionError>| match verdict {
            Ok(()) if !*proven => {
                *proven = true;
                backoff.reset();
            }
            Ok(()) => {}
            Err(e) => log::debug!("DC {}: packet refused: {e}", cfg.dc_id),
        };
        // A decryption begun ahead, and on which packet: `frames[k]`, or the one still
        // arriving (k = `frames.len()`). At first, the one begun while the first packet
        // arrived, if it is that packet's.
        let arriving = frames.len();
        let mut begun = rx.opening.take().map(|o| *o).and_then(|o| {
            let first = frames.first()?;
            (o.packet_len() == first.len() && o.is_for(&rx.buf[first.clone()])).then_some((0, o))
        });
        for (i, frame) in frames.iter().enumerate() {
            let mut current = match begun.take() {
                Some((k, opening)) if k == i => Some(opening),
                other => {
                    begun = other;
                    None
                }
            };
            if frame.len() >= BIG_PACKET {
                // The next large packet (small ones, acknowledgments, may come between):
                // whole, or as far as it has arrived.
                let later = frames[i + 1..]
                    .iter()
                    .position(|f| f.len() >= BIG_PACKET)
                    .map(|k| i + 1 + k);
                let next = |rx: &RxBuf, codec: &crate::AnyTransport| match later {
                    Some(k) => Some((k, frames[k].clone(), frames[k].len())),
                    None => rx
                        .packet_ahead(codec)
                        .filter(|a| a.len >= BIG_PACKET)
                        .map(|a| (arriving, a.at..a.at + a.arrived, a.len)),
                };
                let mut ahead = next(rx, codec);
                if ahead.is_none() && later.is_none() && rx.read_now(reader, codec) {
                    // Nothing after the last packet yet: the next may have begun arriving since.
                    ahead = next(rx, codec);
                }
                if let Some((k, arrived, len)) = ahead.filter(|(_, a, _)| a.len() >= 24) {
                    let packet = &rx.buf[frame.clone()];
                    if current.is_none() {
                        current = session.begin_incoming(packet, packet.len());
                    }
                    let mut following = session.begin_incoming(&rx.buf[arrived], len);
                    if let (Some(cur), Some(next_one)) = (current.as_mut(), following.as_mut()) {
                        let body = frame.len() - 24;
                        while let Some((_, arrived, _)) = next(rx, codec) {
                            let whole = arrived.len() == next_one.packet_len();
                            tgwire_mtproto::open_side_by_side(
                                cur,
                                &rx.buf[frame.clone()],
                                next_one,
                                &rx.buf[arrived],
                            );
                            // Done side by side as far as can be (the last partial unit is the
                            // finish's), or nothing more has come.
                            if body - cur.decrypted() < 64 || whole || !rx.read_now(reader, codec) {
                                break;
                            }
                        }
                    }
                    begun = following.map(|o| (k, o));
                }
            }
            let packet = &rx.buf[frame.clone()];
            note(match current {
                Some(opening) => session.handle_incoming_opening(now, packet, opening),
                None => session.handle_incoming(now, packet),
            });
        }
        rx.opening = begun
            .filter(|(k, _)| *k == arriving)
            .map(|(_, opening)| Box::new(opening));
    }

    /// Between groups of received packets: takes the calls already waiting, hands out what
    /// the session has (answers to their callers, packets to the outbox) and writes what the
    /// socket takes now, without waiting for anything.
    fn between_groups(
        &mut self,
        codec: &mut crate::AnyTransport,
        out: &mut Option<Box<Outbox>>,
        writer: &mut Writer<'_>,
    ) -> Result<(), DisconnectReason> {
        for _ in 0..MAX_COMMANDS_PER_WAKE {
            let Some(command) = self.commands.try_recv() else {
                break;
            };
            if !self.on_command(Some(command)) {
                return Err(DisconnectReason::Shutdown);
            }
        }
        self.pump(codec, out)?;
        write_ready(writer, out)
    }

    /// Frees the memory of empty tables and queues, here and in the session.
    fn shrink_buffers(&mut self) {
        if let Some(session) = self.session.as_mut() {
            session.shrink_buffers();
        }
        let Some(calls) = self.calls.as_mut() else {
            return;
        };
        if calls.is_empty() {
            self.calls = None;
            return;
        }
        if calls.by_id.is_empty() {
            calls.by_id = IdMap::default();
        }
        if calls.by_request.is_empty() {
            calls.by_request = IdMap::default();
        }
        if calls.waiting.is_empty() {
            calls.waiting = Vec::new();
        }
    }

    /// Drains the core: packets to the write buffer, events to their owners.
    fn pump(
        &mut self,
        codec: &mut crate::AnyTransport,
        out: &mut Option<Box<Outbox>>,
    ) -> Result<(), DisconnectReason> {
        let now = self.clock.now();
        let Some(session) = self.session.as_mut() else {
            return Ok(());
        };
        // Nothing to send allocates nothing: the outbox is made for the first packet.
        let mut packet = out
            .as_deref_mut()
            .map(|o| std::mem::take(&mut o.packet))
            .unwrap_or_default();
        loop {
            packet.clear();
            if !session.poll_transmit(now, &mut packet) {
                break;
            }
            let o = out.get_or_insert_with(Box::default);
            codec
                .encode(&packet, &mut o.bytes)
                .map_err(DisconnectReason::Transport)?;
        }
        if let Some(o) = out.as_deref_mut() {
            o.packet = packet;
        }
        self.drain_events();
        Ok(())
    }

    fn drain_events(&mut self) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let mut events = Vec::new();
        while let Some(event) = session.poll_event() {
            events.push(event);
        }
        for event in events {
            let event = match self.pfs.as_ref().and_then(|p| p.bind_request) {
                Some(bind) => match self.on_bind_event(bind, event) {
                    Some(other) => other,
                    None => continue,
                },
                None => event,
            };
            match event {
                Event::Response { request, body } => self.answer(request, Ok(body)),
                Event::RpcError { request, error } => {
                    self.answer(request, Err(InvokeError::Rpc(error)));
                }
                Event::Dropped { request, reason } => {
                    self.answer(request, Err(InvokeError::Dropped(reason)));
                }
                Event::KeyUnbound { request } => self.on_key_unbound(request),
                Event::Update { body } => self.publish(SenderEvent::Update(body)),
                Event::NewSessionCreated {
                    first_msg_id,
                    unique_id,
                } => {
                    // The server keeps the connection's layer and app info per session.
                    self.init = InitState::Needed;
                    self.publish(SenderEvent::NewSession {
                        first_msg_id: first_msg_id.0,
                        unique_id,
                    });
                }
                Event::SessionReset { .. } => self.init = InitState::Needed,
                Event::SaltChanged { salt } => self.publish(SenderEvent::SaltChanged(salt)),
                Event::TimeOffsetChanged { offset } => {
                    self.publish(SenderEvent::TimeOffsetChanged(offset));
                }
                Event::Error(e) => log::debug!("DC {}: {e}", self.cfg.dc_id),
                other => log::trace!("DC {}: {other:?}", self.cfg.dc_id),
            }
        }
    }

    /// Handles the outcome of the binding request `bind`; gives back any other event.
    fn on_bind_event(&mut self, bind: RequestId, event: Event) -> Option<Event> {
        let Some(pfs) = self.pfs.as_mut() else {
            return Some(event);
        };
        let failure = match event {
            Event::Response { request, body } if request == bind => {
                pfs.bind_request = None;
                if body == true.to_bytes() {
                    if let Some(t) = &pfs.temp {
                        log::info!("DC {}: temporary key {:#x} bound", self.cfg.dc_id, t.id);
                        if let TempKeyShare::Lead(share) = &pfs.share {
                            share.send_replace(Some(SharedTempKey {
                                key: t.key.clone(),
                                salt: t.salt,
                                time_offset: t.time_offset,
                                expires_at: t.expires_at,
                                renew_at: t.renew_at,
                                renew_by: t.renew_by,
                            }));
                        }
                        let bound = SenderEvent::TempKeyBound {
                            temp_key_id: t.id,
                            expires_at: t.expires_at,
                        };
                        self.publish(bound);
                    }
                    return None;
                }
                "the server answered boolFalse".to_owned()
            }
            Event::RpcError { request, error } if request == bind => {
                pfs.bind_request = None;
                if error.name == "ENCRYPTED_MESSAGE_INVALID" {
                    // The server cannot open the binding message: it does not know the
                    // permanent key (any more). Requests are held back, so none is lost.
                    self.cfg.salt = 0;
                    self.published().send_key(None);
                    self.publish(SenderEvent::AuthKeyUnknown);
                }
                error.to_string()
            }
            Event::Dropped { request, reason } if request == bind => {
                pfs.bind_request = None;
                format!("{reason:?}")
            }
            other => return Some(other),
        };
        log::warn!(
            "DC {}: binding the temporary key failed: {failure}",
            self.cfg.dc_id
        );
        if let Some(pfs) = self.pfs.as_mut() {
            pfs.temp = None;
            pfs.rekey_now = true;
        }
        None
    }

    /// PFS: the server refused a call (`AUTH_KEY_PERM_EMPTY`) because the temporary key is not
    /// bound any more. Telegram binds one temporary key per permanent key, so this is what a
    /// follower sees when the DC's lead has just bound the next key while the follower still
    /// had calls out on the old one. The call did not run; the session holds it for the next
    /// key. This connection takes no new calls, lets the others it has out finish (they did
    /// not fail, and sending them again under a new session could run them twice), then moves
    /// to the next bound key: the lead's next one for a follower, a new one of its own for the
    /// lead. The held calls go out there.
    fn on_key_unbound(&mut self, request: RequestId) {
        let Some(pfs) = self.pfs.as_mut() else {
            return;
        };
        let Some(temp) = pfs.temp.as_mut() else {
            return;
        };
        if pfs.forgotten_temp != Some(temp.id) {
            log::info!(
                "DC {}: temporary key {:#x} is no longer bound (request {request:?} refused); \
                 moving to the next one",
                self.cfg.dc_id,
                temp.id
            );
        }
        // Never reuse it; the lead's key published after it, or a new one, replaces it.
        temp.renew_at = temp.renew_at.min(tokio::time::Instant::now());
        pfs.forgotten_temp = Some(temp.id);
        pfs.renewing = true;
    }

    /// The key and state the handles read.
    fn published(&self) -> &Published {
        &self.commands.extra().published
    }

    fn publish(&self, event: SenderEvent) {
        match &self.events {
            // Nobody listening is fine: events are a service, not a duty.
            EventSink::Channel(tx) => {
                let _ = tx.send(event);
            }
            EventSink::Pool(hooks) => hooks.event(event),
        }
    }

    /// Publishes a new connection state to the handles, and then to the pool.
    fn set_state(&self, state: ConnectionState) {
        match &self.events {
            EventSink::Pool(hooks) => {
                let copy = state.clone();
                self.published().send_state(state);
                hooks.state(&copy);
            }
            EventSink::Channel(_) => self.published().send_state(state),
        }
    }

    /// Ends a call exactly once: the map entry is removed before the reply is sent.
    fn answer(&mut self, request: RequestId, result: Result<Answer, InvokeError>) {
        let Some(calls) = self.calls.as_mut() else {
            return;
        };
        let Some(call_id) = calls.by_request.remove(&request) else {
            return;
        };
        let Some(call) = calls.by_id.remove(&call_id) else {
            return;
        };
        if call.wrapped && result.is_ok() {
            self.init = InitState::Done;
        }
        let _ = call.reply.send(result);
    }

    /// Returns `false` when the driver must stop.
    fn on_command(&mut self, command: Option<Command>) -> bool {
        match command {
            Some(Command::Invoke {
                call,
                body,
                opts,
                reply,
            }) => {
                self.start_call(call, body, &opts, reply, None);
                true
            }
            Some(Command::InvokeBatch {
                calls,
                ordered,
                opts,
            }) => {
                let mut previous = None;
                for BatchCall { call, body, reply } in calls {
                    let after = previous.filter(|_| ordered);
                    if self.start_call(call, body, &opts, reply, after) {
                        previous = Some(call);
                    }
                }
                true
            }
            Some(Command::Cancel { call }) => {
                let calls = self.calls.as_mut();
                if let Some((calls, c)) =
                    calls.and_then(|cs| cs.by_id.remove(&call).map(|c| (cs, c)))
                {
                    match (c.request, self.session.as_mut()) {
                        (Some(request), Some(session)) => {
                            calls.by_request.remove(&request);
                            session.cancel(request);
                        }
                        _ => calls.waiting.retain(|w| w.call != call),
                    }
                }
                true
            }
            Some(Command::SetAddr(addr)) => {
                self.cfg.addr = addr;
                true
            }
            Some(Command::Shutdown) | None => {
                self.stopping = true;
                false
            }
        }
    }

    /// Registers a call and hands it to the session (or parks it until one exists). Returns
    /// `false` if it was refused at once.
    fn start_call(
        &mut self,
        call: CallId,
        body: Vec<u8>,
        opts: &InvokeOptions,
        reply: Reply,
        after: Option<CallId>,
    ) -> bool {
        if body.len() > MAX_FRAME_LEN - ENVELOPE_ROOM {
            let _ = reply.send(Err(InvokeError::RequestTooLarge {
                len: body.len(),
                max: MAX_FRAME_LEN - ENVELOPE_ROOM,
            }));
            return false;
        }
        let to_session = self.session.is_some() && !self.renewing();
        let calls = self.calls.get_or_insert_with(Box::default);
        calls.by_id.insert(
            call,
            Call {
                reply,
                on_disconnect: opts.on_disconnect,
                request: None,
                wrapped: false,
            },
        );
        if to_session {
            self.enqueue(call, body, opts, after);
        } else {
            calls.waiting.push(Waiting {
                call,
                body,
                opts: opts.clone(),
                after,
            });
        }
        true
    }

    fn enqueue(
        &mut self,
        call: CallId,
        body: Vec<u8>,
        opts: &InvokeOptions,
        after: Option<CallId>,
    ) {
        // The predecessor's request, if it is still running (a cancelled or finished one
        // imposes no order).
        let after: Vec<RequestId> = after
            .and_then(|c| self.calls.as_ref()?.by_id.get(&c))
            .and_then(|c| c.request)
            .into_iter()
            .collect();
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let Some(calls) = self.calls.as_mut() else {
            return;
        };
        let Some(entry) = calls.by_id.get_mut(&call) else {
            return;
        };
        let init = self
            .cfg
            .shared
            .init
            .as_ref()
            .filter(|_| self.init == InitState::Needed);
        let (body, wrapped) = match init {
            Some(params) if !opts.no_init => (params.wrap(&body), true),
            _ => (body, false),
        };
        let request = session.enqueue_with(
            body,
            RequestOptions {
                gzip: !opts.no_gzip,
                after,
            },
        );
        entry.request = Some(request);
        entry.wrapped = wrapped;
        calls.by_request.insert(request, call);
    }

    /// Applies the callers' choices for requests caught in flight by a lost connection.
    fn on_link_lost(&mut self, reason: &DisconnectReason) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        if let (DisconnectReason::AuthKeyUnknown, Some(pfs)) = (reason, self.pfs.as_mut()) {
            // Under PFS only temporary keys encrypt packets: the server lost that one (it may
            // at any time). The permanent key, the session and every request survive; the
            // next connection brings a newly bound temporary key.
            pfs.forgotten_temp = pfs.temp.take().map(|t| t.id);
        } else if matches!(reason, DisconnectReason::AuthKeyUnknown) {
            // The key is gone on the server: nothing sent under it can be answered.
            if let Some(calls) = self.calls.as_mut() {
                let lost: Vec<CallId> = calls
                    .by_id
                    .iter()
                    .filter(|(_, c)| c.request.is_some())
                    .map(|(id, _)| *id)
                    .collect();
                for id in lost {
                    if let Some(call) = calls.by_id.remove(&id) {
                        let _ = call.reply.send(Err(InvokeError::Disconnected));
                    }
                }
                calls.by_request.clear();
            }
            self.session = None;
            self.cfg.salt = 0;
            self.published().send_key(None);
            self.publish(SenderEvent::AuthKeyUnknown);
            return;
        }
        if let Some(calls) = self.calls.as_mut() {
            let failing: Vec<(CallId, RequestId)> = calls
                .by_id
                .iter()
                .filter_map(|(id, c)| match (c.on_disconnect, c.request) {
                    (OnDisconnect::Fail, Some(r)) if session.msg_id_of(r).is_some() => {
                        Some((*id, r))
                    }
                    _ => None,
                })
                .collect();
            for (id, request) in failing {
                calls.by_request.remove(&request);
                session.cancel(request);
                if let Some(call) = calls.by_id.remove(&id) {
                    let _ = call.reply.send(Err(InvokeError::Disconnected));
                }
            }
        }
        self.drain_events();
    }

    fn fail_everything(&mut self, reason: &DisconnectReason) {
        let Some(calls) = self.calls.take() else {
            return;
        };
        for (_, call) in calls.by_id {
            let _ = call.reply.send(Err(InvokeError::Shutdown(reason.clone())));
        }
    }

    /// Runs `work` while still serving commands; `None` if the driver must stop meanwhile.
    ///
    /// `work` is pinned by the caller, in the caller's future: taken by value it would be in
    /// this future twice (the argument and the pinned local; rust-lang/rust#62958), which for
    /// the backoff's timer is a good part of every connection's task. Not an `async fn` for the
    /// same reason (the arguments would be copied into locals).
    #[allow(clippy::manual_async_fn, reason = "see above")]
    fn until<'a, F: Future>(
        &'a mut self,
        mut work: Pin<&'a mut F>,
    ) -> impl Future<Output = Option<F::Output>> + 'a {
        async move {
            loop {
                tokio::select! {
                    out = work.as_mut() => return Some(out),
                    command = poll_fn(|cx| self.commands.poll_recv(cx)) => {
                        if !self.on_command(command) {
                            return None;
                        }
                    }
                }
            }
        }
    }
}

impl Drop for Driver {
    /// Followers of the key see the end, as when they watched a channel the driver owned.
    fn drop(&mut self) {
        self.published().close();
    }
}

/// Fresh generators for the driver's random choices: from the OS, or, with
/// [`SenderConfig::seed`](crate::SenderConfig::seed), from the seed and the number of generators made so far.
///
/// 16 bytes in every connection's task rather than an `Option<u64>` and a `u64` count's 24:
/// the count is a `u32` (a connection makes a generator for a ping, a session or a key
/// exchange, so it does not wrap in a connection's life; if it did, the seeded streams would
/// repeat, which only tests use).
struct Randomness {
    seed: u64,
    draws: u32,
    seeded: bool,
}

impl Randomness {
    fn new(seed: Option<u64>) -> Self {
        Self {
            seed: seed.unwrap_or_default(),
            draws: 0,
            seeded: seed.is_some(),
        }
    }

    fn rng(&mut self) -> StdRng {
        if !self.seeded {
            return StdRng::from_entropy();
        }
        self.draws = self.draws.wrapping_add(1);
        StdRng::seed_from_u64(self.seed ^ u64::from(self.draws).wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }
}

/// The keep-alive: a ping that also asks the server to close the connection if the next one
/// does not come in time.
fn keep_alive_ping(session: &mut Session, ping_id: i64, disconnect_delay: std::time::Duration) {
    let secs = i32::try_from(disconnect_delay.as_secs().max(1)).unwrap_or(i32::MAX);
    session.ping_delay_disconnect(ping_id, secs);
}

/// Polls `work` once, without waiting: its output if it is ready now. Not an `.await`, so
/// what the caller holds meanwhile does not become part of the task's future, which every
/// idle connection carries; a `Pending` read registers no wake-up, which is fine because the
/// serving loop polls the reader again, with the task's waker, before it sleeps.
/// Writes what `out` holds as far as the socket takes it without waiting (then flushes), as
/// the serve loop's write branch does when it is woken.
fn write_ready(
    writer: &mut Writer<'_>,
    out: &mut Option<Box<Outbox>>,
) -> Result<(), DisconnectReason> {
    let Some(o) = out.as_deref_mut() else {
        return Ok(());
    };
    while o.at < o.bytes.len() {
        let bytes = &o.bytes[o.at..];
        match ready_now(poll_fn(|cx| Pin::new(&mut *writer).poll_write(cx, bytes))) {
            Some(Ok(0)) => return Err(DisconnectReason::ClosedByPeer),
            Some(Ok(n)) => o.wrote(n),
            Some(Err(e)) => return Err(io(e)),
            None => return Ok(()),
        }
    }
    if o.flush_due {
        match ready_now(poll_fn(|cx| Pin::new(&mut *writer).poll_flush(cx))) {
            Some(Ok(())) => o.flush_due = false,
            Some(Err(e)) => return Err(io(e)),
            None => {}
        }
    }
    Ok(())
}

fn ready_now<F: Future>(work: F) -> Option<F::Output> {
    let mut work = std::pin::pin!(work);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match work.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => Some(out),
        std::task::Poll::Pending => None,
    }
}

/// Sends one plain handshake message and waits (bounded) for the answer.
async fn round_trip(
    link: &mut Link,
    packet: &[u8],
    limit: std::time::Duration,
) -> Result<Vec<u8>, DisconnectReason> {
    link.send(packet).await?;
    tokio::time::timeout(limit, link.recv())
        .await
        .map_err(|_| DisconnectReason::AuthTimeout)?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn driver(pfs: Option<std::time::Duration>) -> Driver {
        let mut cfg = crate::SenderConfig::new(2, ([127, 0, 0, 1], 1).into(), Vec::new());
        cfg.pfs = pfs;
        let (_, commands) = crate::queue::unbounded_with(Shared::new(None, 2));
        let (events, _) = tokio::sync::mpsc::unbounded_channel();
        Driver::new(
            ConnConfig::own(cfg),
            Some(1),
            commands,
            EventSink::Channel(events),
            TempKeyShare::Own,
        )
    }

    fn invoke(
        call: CallId,
    ) -> (
        Command,
        tokio::sync::oneshot::Receiver<Result<Answer, InvokeError>>,
    ) {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let command = Command::Invoke {
            call,
            body: vec![1, 2, 3, 4],
            opts: InvokeOptions::default(),
            reply,
        };
        (command, answer)
    }

    #[test]
    fn the_calls_table_exists_only_while_calls_do() {
        let mut d = driver(None);
        assert!(d.calls.is_none() && d.pfs.is_none());
        let (first, _first_answer) = invoke(1);
        let (second, mut second_answer) = invoke(2);
        assert!(d.on_command(Some(first)));
        assert!(d.on_command(Some(second)));
        // No session yet: both wait for one.
        let calls = d
            .calls
            .as_ref()
            .expect("calls are kept while there are some");
        assert_eq!(calls.by_id.len(), 2);
        assert_eq!(calls.waiting.len(), 2);
        d.shrink_buffers();
        assert!(d.calls.is_some(), "a table with calls in it is kept");
        assert!(d.on_command(Some(Command::Cancel { call: 1 })));
        let calls = d.calls.as_ref().expect("one call left");
        assert_eq!(
            calls.waiting.iter().map(|w| w.call).collect::<Vec<_>>(),
            [2]
        );
        d.fail_everything(&DisconnectReason::Shutdown);
        assert!(matches!(
            second_answer.try_recv(),
            Ok(Err(InvokeError::Shutdown(DisconnectReason::Shutdown)))
        ));
        assert!(d.calls.is_none());
        let (third, _third_answer) = invoke(3);
        assert!(d.on_command(Some(third)));
        assert!(d.on_command(Some(Command::Cancel { call: 3 })));
        d.shrink_buffers();
        assert!(d.calls.is_none(), "an empty table is given back");
    }

    #[test]
    fn the_outbox_is_made_for_the_first_packet_only() {
        let mut d = driver(None);
        let mut codec = crate::AnyTransport::Intermediate(crate::transport::Intermediate::new(
            crate::transport::Role::Client,
        ));
        let mut out = None;
        // No session, then an idle one: nothing to send, nothing allocated.
        d.pump(&mut codec, &mut out).unwrap();
        assert!(out.is_none());
        d.start_session(AuthKey::from_bytes([7; 256]));
        // A new session asks for salts or sends nothing; take whatever it has first.
        d.pump(&mut codec, &mut out).unwrap();
        out = None;
        d.pump(&mut codec, &mut out).unwrap();
        assert!(out.is_none(), "an idle session makes no outbox");
        let (call, _answer) = invoke(1);
        assert!(d.on_command(Some(call)));
        d.pump(&mut codec, &mut out).unwrap();
        let o = out.as_deref().expect("a packet to write makes the outbox");
        assert!(
            o.bytes.len() > 4 + 24,
            "the framed, encrypted call: {}",
            o.bytes.len()
        );
        assert_eq!(o.at, 0);
        assert!(
            o.packet.capacity() > 0,
            "the packet scratch is kept for the next one"
        );
    }

    #[test]
    fn only_pfs_connections_carry_the_temporary_key_state() {
        let d = driver(Some(std::time::Duration::from_secs(3600)));
        let pfs = d.pfs.as_ref().expect("PFS state");
        assert!(pfs.temp.is_none() && pfs.bind_request.is_none());
        assert!(!d.renewing());
        assert!(driver(None).pfs.is_none());
    }
}
