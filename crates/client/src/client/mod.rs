//! The [`Client`]: configuration, connections per DC, and the request path every method uses.

mod builder;
mod home_state;
mod invoke;
mod peers_collect;

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tgwire_net::{ConnectionState, Pool};
use tgwire_session::{Changes, Storage};

pub use builder::{ClientBuilder, PRODUCTION_DCS};
pub use home_state::ConnectionStateWatch;
use home_state::HomeState;
pub(crate) use peers_collect::cache_entries;

use crate::InvocationError;

/// A connected Telegram client: cheap to clone (all clones share the connections, session and
/// peer cache), `Send + Sync`, usable from many tasks at once.
///
/// Build one with [`Client::builder`]. Every request goes through [`Client::invoke`], which
/// sleeps through short flood waits, follows `*_MIGRATE_X` errors and stores every user and chat
/// in the answer in the session's peer cache; the friendly methods (sign-in, peers, messages,
/// dialogs) are built on it.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("home_dc", &self.home_dc())
            .field("connections", &self.inner.pool.connections())
            .finish_non_exhaustive()
    }
}

pub(crate) struct Inner {
    pub(crate) api_id: i32,
    /// Shared with the builder and the other clients it connected (one copy per process).
    pub(crate) api_hash: Arc<str>,
    pub(crate) storage: Arc<dyn Storage>,
    pub(crate) pool: Pool,
    pub(crate) home_dc: AtomicI32,
    /// [`ClientBuilder::flood_sleep_threshold`] in whole seconds (flood waits are whole seconds,
    /// so nothing is lost; 4 bytes instead of 16 in every client).
    pub(crate) flood_sleep_secs: u32,
    /// [`ClientBuilder::request_timeout`] in milliseconds, [`NO_TIMEOUT`] for none (at most
    /// about 49 days; 4 bytes instead of 16).
    pub(crate) request_timeout_ms: u32,
    /// The home DC's connection state, republished across home-DC changes.
    pub(crate) state: HomeState,
    /// Who receives the updates the engine hands out (shared with the update driver, which
    /// must not keep the client alive).
    pub(crate) updates: Arc<crate::updates::Hub>,
    /// Whether updates are received (requests are wrapped in `invokeWithoutUpdates` if not).
    pub(crate) receive_updates: std::sync::atomic::AtomicBool,
    /// The update driver: its inputs and, while it is parked, its state.
    pub(crate) update_driver: crate::updates::driver::Slot,
    /// The last task saving an auth-key change (each waits for the one before), awaited by
    /// `disconnect` so that a key learnt just before is still saved.
    pub(crate) key_writes: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// What only some clients use, made on first use ([`Inner::extras`]).
    pub(crate) extras: OnceLock<Box<Extras>>,
}

/// The parts of a client that many never use (event handlers, conversations, CDN
/// connections, the order of blocking session writes): about 240 bytes that an idle client
/// does not keep until it needs them.
#[derive(Default)]
pub(crate) struct Extras {
    /// Serialises session writes that run on blocking threads, so that they land in call
    /// order (writes to a storage that does not block are applied in place, in order).
    pub(crate) write_lock: tokio::sync::Mutex<()>,
    /// DCs (other than home) where the account's authorization was imported.
    /// A few at most: a vector (a hash set would be 48 bytes before any).
    pub(crate) authorized_dcs: Mutex<Vec<i32>>,
    /// The event handlers and their dispatcher.
    pub(crate) events: crate::events::Registry,
    /// Connections to CDN DCs, made on the first CDN redirect.
    pub(crate) cdn: crate::files::cdn::CdnState,
    /// The conversations going on, fed by the event dispatcher.
    pub(crate) conversations: crate::conversation::Conversations,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The update driver may be parked (no task to notice the client's end): end the
        // subscribers' streams here.
        self.updates.close();
    }
}

/// [`Inner::request_timeout_ms`] when requests have no timeout.
pub(crate) const NO_TIMEOUT: u32 = u32::MAX;

impl Inner {
    /// The longest flood wait slept through rather than returned as an error.
    pub(crate) fn flood_sleep_threshold(&self) -> Duration {
        Duration::from_secs(self.flood_sleep_secs.into())
    }

    /// How long a request may take, if limited.
    pub(crate) fn request_timeout(&self) -> Option<Duration> {
        (self.request_timeout_ms != NO_TIMEOUT)
            .then(|| Duration::from_millis(self.request_timeout_ms.into()))
    }

    /// The event registry, conversations and CDN connections, made now if they were not.
    pub(crate) fn extras(&self) -> &Extras {
        self.extras.get_or_init(Box::default)
    }
}

impl Client {
    /// Starts configuring a client for the app `api_id`/`api_hash` (from my.telegram.org).
    pub fn builder(api_id: i32, api_hash: impl Into<String>) -> ClientBuilder {
        ClientBuilder::new(api_id, api_hash.into())
    }

    /// The data centre the account lives in (where requests go by default).
    pub fn home_dc(&self) -> i32 {
        self.inner.home_dc.load(Ordering::Relaxed)
    }

    /// The session storage (peer cache, keys, update state).
    pub fn session(&self) -> &Arc<dyn Storage> {
        &self.inner.storage
    }

    /// The home connection's state now.
    pub fn connection_state(&self) -> ConnectionState {
        self.inner.state.get()
    }

    /// Follows the home connection's state (`changed().await` on the watch, which dereferences
    /// to a [`tokio::sync::watch::Receiver`]). The client keeps the channel only while a watch
    /// is alive.
    pub fn watch_connection_state(&self) -> ConnectionStateWatch {
        ConnectionStateWatch::new(&self.inner)
    }

    /// Closes every connection; pending requests fail with [`InvocationError::Closed`]. The
    /// session stays on disk for the next run (it is closed when the last clone is dropped).
    pub async fn disconnect(&self) {
        self.inner.pool.shutdown().await;
        if let Some(extras) = self.inner.extras.get() {
            extras.cdn.shutdown().await;
        }
        self.inner.state.set(ConnectionState::Closed {
            reason: tgwire_net::DisconnectReason::Shutdown,
        });
        // The update driver stops on this input (or, while a hand-out waits on a full queue,
        // on the state above); wait for it, as it may be holding the client for a request that
        // is failing now (and so that nothing of the client, such as the session file,
        // outlives it).
        let stopped = self.inner.update_driver.stopped();
        self.tell_updates(crate::updates::driver::Input::Stop);
        if let Some(stopped) = stopped {
            if tokio::time::timeout(Duration::from_secs(10), stopped)
                .await
                .is_err()
            {
                log::warn!("the update driver did not stop within 10 s");
            }
        }
        let key_write = self
            .inner
            .key_writes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(task) = key_write {
            if tokio::time::timeout(Duration::from_secs(10), task)
                .await
                .is_err()
            {
                log::warn!("saving an auth key did not finish within 10 s");
            }
        }
    }

    /// Applies `changes` to the session: off the async threads if the storage's writes block
    /// (SQLite, PostgreSQL), in place if not (memory: a blocking thread for each concurrent
    /// write would be dozens of idle threads in a process running many clients).
    pub(crate) async fn persist(&self, changes: Changes) -> Result<(), InvocationError> {
        if changes.is_empty() {
            return Ok(());
        }
        if !self.inner.storage.apply_blocks() {
            return Ok(self.inner.storage.apply(changes)?);
        }
        let _order = self.inner.extras().write_lock.lock().await;
        let storage = Arc::clone(&self.inner.storage);
        tokio::task::spawn_blocking(move || storage.apply(changes))
            .await
            .map_err(|e| InvocationError::Closed(format!("session writer failed: {e}")))??;
        Ok(())
    }

    /// Forgets where the authorization was imported (the home DC changed, or signed out).
    pub(crate) fn forget_authorized_dcs(&self) {
        if let Some(extras) = self.inner.extras.get() {
            extras
                .authorized_dcs
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clear();
        }
    }

    /// Makes `dc` the home DC, now and in the session.
    pub(crate) async fn set_home_dc(&self, dc: i32) -> Result<(), InvocationError> {
        let previous = self.inner.home_dc.swap(dc, Ordering::Relaxed);
        if previous != dc {
            log::info!("home DC is now {dc} (was {previous})");
            self.forget_authorized_dcs();
            self.watch_home_state().await;
            if self.connection_state().is_connected() {
                // The new home connection was up already, so its state hook will not report
                // it: the update driver fetches what the old home pushed and this one did not.
                self.tell_updates(crate::updates::driver::Input::Connected);
            }
        }
        let mut changes = Changes::new();
        changes.set_home_dc(dc);
        self.persist(changes).await
    }

    /// Publishes the home connection's state on [`Inner::state`] now; every later change is
    /// republished by the connection's own task ([`home_state_hook`]), so no task of the
    /// client's follows it.
    pub(crate) async fn watch_home_state(&self) {
        let dc = self.home_dc();
        let Ok(handle) = self.inner.pool.get(dc as i16).await else {
            return;
        };
        // Read inside the watch's write lock, which the hook takes too: a change racing with
        // this is published after it, never overwritten by the older state read here.
        self.inner.state.modify(|now| {
            if self.home_dc() != dc {
                return false;
            }
            *now = handle.current_state();
            true
        });
    }
}

/// The pool's state hook: republishes the home connection's states on [`Inner::state`], in
/// that connection's task (a task per client following it would be a good part of an idle
/// client's memory).
pub(crate) fn home_state_hook(
    inner: std::sync::Weak<Inner>,
) -> impl Fn(i16, usize, &ConnectionState) + Send + Sync + 'static {
    move |dc, index, state| {
        let Some(inner) = inner.upgrade() else { return };
        if index == 0 && i32::from(dc) == inner.home_dc.load(Ordering::Relaxed) {
            inner.state.set(state.clone());
            if state.is_connected() {
                // Up (again): the update driver fetches what may have been missed.
                crate::updates::driver::tell(&inner, crate::updates::driver::Input::Connected);
            }
        }
    }
}
