//! Connections to several data centres, keyed by DC id, opened on demand and closed when idle.
//!
//! Each DC has a primary connection (index 0) for ordinary API calls and may have more (index
//! 1, 2, …) for parallel file transfers. All connections to a DC share its auth key, each with
//! its own MTProto session; extra connections wait until the primary has a key rather than
//! racing to create several. With PFS they also share one temporary key: Telegram binds one
//! temporary key per permanent key, so the primary creates and binds each temporary key and the
//! others use it once it is bound (and the next one when the primary renews it).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tgwire_crypto::AuthKey;
use tokio::sync::mpsc;

use crate::error::PoolError;
use crate::sender::config::{ConnConfig, SharedTempKey, TempKeyShare};
use crate::sender::PoolHooks;
use crate::sender::{ConnectionState, EventSink, Sender, SenderConfig, SenderEvent, SenderHandle};
use crate::small_map::SmallMap;

/// How a [`Pool`] builds and retires connections.
#[derive(Debug, Clone)]
pub struct PoolConfig {
    /// Every connection's configuration; `dc_id`, `addr` and `auth_key` are filled in per DC.
    /// `SenderConfig::into()` makes one; clone a [`Template`] to share it between pools.
    pub template: Template,
    /// Where each DC is; these win over the template's [`Template::with_dc_addrs`].
    pub dc_addrs: HashMap<i16, SocketAddr>,
    /// Auth keys from a previous run, per DC.
    pub auth_keys: HashMap<i16, AuthKey>,
    /// A connection with no call in flight for this long is closed.
    pub idle_timeout: Duration,
}

/// A [`SenderConfig`] that pools and their connections refer to instead of copying: cheap to
/// clone, so many pools (a process running many accounts) can share one. Some 800 bytes per
/// pool otherwise, a tenth of an idle client's memory.
///
/// One pointer in each pool rather than the three (24 more bytes in each) that its parts are.
#[derive(Debug, Clone)]
pub struct Template(Arc<TemplateParts>);

#[derive(Debug, Clone)]
struct TemplateParts {
    /// Each connection's task refers to it.
    config: Arc<SenderConfig>,
    /// [`SenderConfig::session`] on its own, since every connection's MTProto session refers
    /// to it too.
    session: Arc<tgwire_mtproto::ClientConfig>,
    /// DC addresses every pool of this template knows (sorted by DC id), unless its own
    /// [`PoolConfig::dc_addrs`] say otherwise: kept once rather than copied into each pool.
    dc_addrs: Box<[(i16, SocketAddr)]>,
}

impl Template {
    /// The shared form of `config`.
    pub fn new(config: SenderConfig) -> Self {
        Self(Arc::new(TemplateParts {
            session: Arc::new(config.session.clone()),
            config: Arc::new(config),
            dc_addrs: Box::new([]),
        }))
    }

    /// With DC addresses that every pool made from it knows (a pool's own
    /// [`PoolConfig::dc_addrs`] win over these). For many pools that reach the same DCs, e.g.
    /// a process running many accounts: one list for all instead of a copy in each.
    pub fn with_dc_addrs(mut self, addrs: impl IntoIterator<Item = (i16, SocketAddr)>) -> Self {
        let mut addrs: Vec<(i16, SocketAddr)> = addrs.into_iter().collect();
        addrs.sort_by_key(|(dc, _)| *dc);
        // The last address given for a DC wins, as with a map.
        addrs.reverse();
        addrs.dedup_by_key(|(dc, _)| *dc);
        addrs.reverse();
        Arc::make_mut(&mut self.0).dc_addrs = addrs.into();
        self
    }

    /// The address of `dc_id` in [`with_dc_addrs`](Self::with_dc_addrs)'s list.
    pub fn dc_addr(&self, dc_id: i16) -> Option<SocketAddr> {
        let i = self
            .0
            .dc_addrs
            .binary_search_by_key(&dc_id, |(dc, _)| *dc)
            .ok()?;
        Some(self.0.dc_addrs[i].1)
    }

    /// The DCs [`with_dc_addrs`](Self::with_dc_addrs) gave addresses for, in id order.
    pub fn dc_ids(&self) -> impl Iterator<Item = i16> + '_ {
        self.0.dc_addrs.iter().map(|(dc, _)| *dc)
    }

    /// The configuration.
    pub fn config(&self) -> &SenderConfig {
        &self.0.config
    }

    /// Whether `self` and `other` are one shared template (not merely equal ones).
    pub fn ptr_eq(&self, other: &Template) -> bool {
        Arc::ptr_eq(&self.0.config, &other.0.config)
    }
}

impl From<SenderConfig> for Template {
    fn from(config: SenderConfig) -> Self {
        Self::new(config)
    }
}

/// What a pooled sender reported, tagged with its DC.
#[derive(Debug, Clone)]
pub struct PoolEvent {
    /// The DC.
    pub dc_id: i16,
    /// Which of its connections (0 is the primary).
    pub index: usize,
    /// The event.
    pub event: SenderEvent,
}

struct Inner {
    /// [`PoolConfig::template`], which every connection's task refers to rather than copies.
    template: Template,
    // Small maps: a few DCs, a connection or a few each.
    dc_addrs: SmallMap<i16, SocketAddr>,
    auth_keys: SmallMap<i16, AuthKey>,
    idle_timeout: Duration,
    conns: SmallMap<(i16, usize), SenderHandle>,
    /// With PFS: each DC's temporary key, published by its primary connection.
    temp_keys: SmallMap<i16, Arc<tokio::sync::watch::Sender<Option<SharedTempKey>>>>,
    events: Arc<EventFn>,
    /// Told each connection state, in the connection's task (see [`Pool::on_state`]).
    on_state: Option<Arc<StateFn>>,
    closed: bool,
}

/// What the pool does with each of its connections' events.
type EventFn = dyn Fn(PoolEvent) + Send + Sync;

/// What the pool does with each new state of its connections: (DC, index, state).
type StateFn = dyn Fn(i16, usize, &ConnectionState) + Send + Sync;

/// Lazily opened connections per DC, cheap to clone.
///
/// Fetch a handle with [`get`](Self::get) for each operation rather than keeping it: a handle
/// to a connection the pool closed for idleness answers every call with
/// [`InvokeError::Shutdown`](crate::InvokeError::Shutdown).
#[derive(Clone)]
pub struct Pool {
    inner: Arc<Mutex<Inner>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("connections", &self.connections())
            .finish()
    }
}

impl Pool {
    /// A pool with no connection open yet, and the receiver of every pooled sender's events.
    /// Starts a background task that closes idle connections.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn new(config: PoolConfig) -> (Pool, mpsc::UnboundedReceiver<PoolEvent>) {
        let (events, rx) = mpsc::unbounded_channel();
        let pool = Self::with_events(config, move |event| {
            // Nobody listening is fine: events are a service, not a duty.
            let _ = events.send(event);
        });
        (pool, rx)
    }

    /// A pool whose connections' events are given to `on_event`, which runs in the connection's
    /// task: it must be quick and must not block (hand anything slow to a task of its own).
    /// Saves the channel and the task reading it that [`new`](Self::new) implies, which are a
    /// good part of an idle client's memory.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn with_events(
        config: PoolConfig,
        on_event: impl Fn(PoolEvent) + Send + Sync + 'static,
    ) -> Pool {
        let pool = Self::with_events_unreaped(config, on_event);
        tokio::spawn(reap_idle(
            Arc::downgrade(&pool.inner),
            pool.close_idle_interval(),
        ));
        pool
    }

    /// [`with_events`](Self::with_events) without the background task that closes idle
    /// connections: the owner calls [`close_idle`](Self::close_idle) every
    /// [`close_idle_interval`](Self::close_idle_interval) instead, from a task it has anyway
    /// (a task and its timer per pool are a good part of an idle client's memory).
    pub fn with_events_unreaped(
        config: PoolConfig,
        on_event: impl Fn(PoolEvent) + Send + Sync + 'static,
    ) -> Pool {
        let inner = Arc::new(Mutex::new(Inner {
            template: config.template,
            dc_addrs: config.dc_addrs.into_iter().collect(),
            auth_keys: config.auth_keys.into_iter().collect(),
            idle_timeout: config.idle_timeout,
            conns: SmallMap::default(),
            temp_keys: SmallMap::default(),
            events: Arc::new(on_event),
            on_state: None,
            closed: false,
        }));
        Pool { inner }
    }

    /// Has every connection opened from now on report each new state to `on_state` (DC id,
    /// index, state), in its own task right after its [`SenderHandle::state`] watch changed:
    /// it must be quick and must not block. Saves a task per connection followed (such as a
    /// client's home connection, whose state the client republishes).
    pub fn on_state(
        &self,
        on_state: impl Fn(i16, usize, &ConnectionState) + Send + Sync + 'static,
    ) {
        self.lock().on_state = Some(Arc::new(on_state));
    }

    /// How often [`close_idle`](Self::close_idle) should run: a quarter of
    /// [`PoolConfig::idle_timeout`] (at least 10 ms).
    pub fn close_idle_interval(&self) -> Duration {
        (self.lock().idle_timeout / 4).max(Duration::from_millis(10))
    }

    /// Closes the connections that have had nothing in flight for
    /// [`PoolConfig::idle_timeout`], and forgets those that stopped for good. Needs a tokio
    /// runtime (the shutdowns run as tasks).
    pub fn close_idle(&self) {
        close_idle(&self.inner, None);
    }

    /// [`close_idle`](Self::close_idle), except that `dc_id`'s primary connection stays open
    /// however long it has been idle (it is still forgotten once it stopped for good). A
    /// client's home connection is where the server pushes updates: a client that only
    /// listens makes no calls on it, yet must not lose it.
    pub fn close_idle_keeping(&self, dc_id: i16) {
        close_idle(&self.inner, Some(dc_id));
    }

    /// The primary connection to `dc_id`, opened if needed.
    ///
    /// # Errors
    ///
    /// [`PoolError::UnknownDc`] if no address is known, [`PoolError::Shutdown`].
    pub async fn get(&self, dc_id: i16) -> Result<SenderHandle, PoolError> {
        self.get_nth(dc_id, 0).await
    }

    /// Connection number `index` to `dc_id` (0 is the primary), opened if needed. Connections
    /// other than the primary wait for the DC's auth key, creating the primary to get one.
    ///
    /// # Errors
    ///
    /// [`PoolError::UnknownDc`], [`PoolError::NoAuthKey`] if the primary stopped before it had
    /// a key, [`PoolError::Shutdown`].
    pub async fn get_nth(&self, dc_id: i16, index: usize) -> Result<SenderHandle, PoolError> {
        if index > 0 && self.lock().template.config().pfs.is_some() {
            // The primary makes the temporary keys the others use: it must be running.
            self.open(dc_id, 0)?;
        }
        if index > 0 && !self.lock().auth_keys.contains_key(&dc_id) {
            let primary = self.open(dc_id, 0)?;
            let mut key = primary.auth_key();
            let mut state = primary.state();
            tokio::select! {
                got = key.wait_for(Option::is_some) => {
                    let key = got.map_err(|_| PoolError::NoAuthKey(dc_id))?.clone();
                    if let Some(key) = key {
                        self.lock().auth_keys.get_or_insert_with(dc_id, || key);
                    }
                }
                _ = state.wait_for(|s| matches!(s, ConnectionState::Closed { .. })) => {
                    return Err(PoolError::NoAuthKey(dc_id));
                }
            }
        }
        self.open(dc_id, index)
    }

    /// The connection (`dc_id`, `index`), spawned if it is not open.
    fn open(&self, dc_id: i16, index: usize) -> Result<SenderHandle, PoolError> {
        let mut inner = self.lock();
        if inner.closed {
            return Err(PoolError::Shutdown);
        }
        if let Some(handle) = inner.conns.get(&(dc_id, index)) {
            return Ok(handle.clone());
        }
        let addr = inner
            .dc_addrs
            .get(&dc_id)
            .copied()
            .or_else(|| inner.template.dc_addr(dc_id))
            .ok_or(PoolError::UnknownDc(dc_id))?;
        let template = Arc::clone(&inner.template.0.config);
        let template_seed = template.seed;
        let mut temp_key_share = TempKeyShare::Own;
        if template.pfs.is_some() {
            let share = inner
                .temp_keys
                .get_or_insert_with(dc_id, || Arc::new(tokio::sync::watch::channel(None).0));
            temp_key_share = if index == 0 {
                TempKeyShare::Lead(Arc::clone(share))
            } else {
                TempKeyShare::Follow(share.subscribe())
            };
        }
        let config = ConnConfig {
            dc_id,
            addr,
            salt: template.salt,
            time_offset: template.time_offset,
            session: Arc::clone(&inner.template.0.session),
            shared: template,
        };
        let hooks = Box::new(Pooled {
            pool: Arc::downgrade(&self.inner),
            events: Arc::clone(&inner.events),
            on_state: inner.on_state.clone(),
            dc_id,
            index,
        });
        // Distinct seeds per connection, so session ids differ even in tests.
        let seed =
            template_seed.map(|seed| seed ^ ((i64::from(dc_id) as u64) << 32) ^ index as u64);
        let auth_key = inner.auth_keys.get(&dc_id).cloned();
        let handle = Sender::spawn_into(
            config,
            auth_key,
            seed,
            EventSink::Pool(hooks),
            temp_key_share,
        );
        inner.conns.insert((dc_id, index), handle.clone());
        log::debug!("pool: opened connection {index} to DC {dc_id} at {addr}");
        Ok(handle)
    }

    /// Sets (or changes) a DC's address. Open connections to it use the new address from
    /// their next reconnection.
    pub fn set_dc_addr(&self, dc_id: i16, addr: SocketAddr) {
        let mut inner = self.lock();
        inner.dc_addrs.insert(dc_id, addr);
        for ((dc, _), handle) in inner.conns.iter() {
            if *dc == dc_id {
                handle.set_addr(addr);
            }
        }
    }

    /// The configuration every connection starts from (before its DC's id, address and key
    /// are filled in): [`PoolConfig::template`].
    pub fn template(&self) -> SenderConfig {
        SenderConfig::clone(self.lock().template.config())
    }

    /// [`template`](Self::template) as the pool shares it (no copy), e.g. for a test that
    /// checks pools share one.
    pub fn shared_template(&self) -> Template {
        self.lock().template.clone()
    }

    /// The auth key known for a DC (given at start or created by one of its connections).
    pub fn auth_key(&self, dc_id: i16) -> Option<AuthKey> {
        self.lock().auth_keys.get(&dc_id).cloned()
    }

    /// The open connections, as (DC id, index) pairs, sorted.
    pub fn connections(&self) -> Vec<(i16, usize)> {
        self.lock().conns.iter().map(|(k, _)| *k).collect()
    }

    /// Shuts every connection down (pending calls fail) and refuses new ones.
    pub async fn shutdown(&self) {
        let handles: Vec<SenderHandle> = {
            let mut inner = self.lock();
            inner.closed = true;
            inner.conns.take_unless(|_, _| false)
        };
        for handle in handles {
            handle.shutdown().await;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock leaves plain maps behind, still consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What a pooled connection's driver reports to: the pool, and the connection it is.
struct Pooled {
    pool: Weak<Mutex<Inner>>,
    events: Arc<EventFn>,
    /// [`Pool::on_state`]'s function when the connection was opened.
    on_state: Option<Arc<StateFn>>,
    dc_id: i16,
    index: usize,
}

impl PoolHooks for Pooled {
    fn event(&self, event: SenderEvent) {
        relay_event(&self.pool, self.dc_id, self.index, event, &*self.events);
    }

    fn state(&self, state: &ConnectionState) {
        if let Some(on_state) = &self.on_state {
            on_state(self.dc_id, self.index, state);
        }
    }
}

/// Relays one of a sender's events (in its driver's task), remembering new auth keys for the
/// DC's other connections.
fn relay_event(
    pool: &Weak<Mutex<Inner>>,
    dc_id: i16,
    index: usize,
    event: SenderEvent,
    out: &EventFn,
) {
    if matches!(
        event,
        SenderEvent::AuthKeyCreated { .. } | SenderEvent::AuthKeyUnknown
    ) {
        if let Some(pool) = pool.upgrade() {
            let mut inner = pool.lock().unwrap_or_else(|e| e.into_inner());
            match &event {
                SenderEvent::AuthKeyCreated { auth_key, .. } => {
                    inner.auth_keys.insert(dc_id, (**auth_key).clone());
                }
                SenderEvent::AuthKeyUnknown => {
                    inner.auth_keys.remove(&dc_id);
                }
                _ => {}
            }
        }
    }
    out(PoolEvent {
        dc_id,
        index,
        event,
    });
}

/// Closes connections that have had nothing in flight for the pool's idle timeout, every
/// `tick`; ends with the pool.
async fn reap_idle(pool: Weak<Mutex<Inner>>, tick: Duration) {
    loop {
        tokio::time::sleep(tick).await;
        let Some(pool) = pool.upgrade() else { return };
        close_idle(&pool, None);
    }
}

/// Closes the idle connections (all but `keep`'s primary one) and forgets the closed ones.
fn close_idle(pool: &Mutex<Inner>, keep: Option<i16>) {
    let idle_ones: Vec<SenderHandle> = {
        let mut inner = pool.lock().unwrap_or_else(|e| e.into_inner());
        let idle = inner.idle_timeout;
        inner.conns.take_unless(|&(dc, index), h| {
            let stopped = matches!(h.current_state(), ConnectionState::Closed { .. });
            let kept = keep == Some(dc) && index == 0;
            let quiet = h.in_flight() == 0 && h.idle_for() >= idle;
            !(stopped || quiet && !kept)
        })
    };
    for handle in idle_ones {
        log::debug!("pool: closing idle connection to DC {}", handle.dc_id());
        tokio::spawn(async move { handle.shutdown().await });
    }
}
