//! One [`ServerSession`] per (auth_key_id, session_id), shared by every connection.
//!
//! MTProto sessions are not connections: a client may reconnect and continue a session, and
//! the server then answers on the new connection. A session is *attached* to the connection that
//! last carried a packet of it; that connection transmits whatever the session has queued
//! (answers, updates, service messages). A session is *subscribed* to updates once it made an
//! API query that subscribes (not wrapped in `invokeWithoutUpdates`, not a file transfer; see
//! [`super::rpc::execute_subscribing`]). While attached and subscribed, the session is
//! registered with the backend, which puts its updates in the session's feed and wakes the
//! connection, which moves them into the session when it next transmits; a detached
//! session stops receiving updates (the client recovers them with `updates.getDifference`, as
//! on Telegram) and is forgotten after [`DETACHED_RETENTION`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tgwire_mtproto::ServerSession;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::sync::Notify;

use crate::backend::{Backend, CallContext, Registration};

/// How long a session nobody is connected to is kept for a client that reconnects to it.
pub(crate) const DETACHED_RETENTION: Duration = Duration::from_secs(600);

/// (auth_key_id, session_id).
pub(crate) type SessionKey = (i64, i64);

/// The connection a session currently talks through.
#[derive(Clone, Debug)]
pub(crate) struct Attachment {
    pub(crate) conn_id: u64,
    /// Wakes the connection's task to transmit what was queued from elsewhere.
    pub(crate) wake: Arc<Notify>,
}

/// A session and where it is attached.
pub(crate) struct Slot {
    pub(crate) session: ServerSession,
    pub(crate) attached: Option<Attachment>,
    detached_since: Option<std::time::Instant>,
    /// The session asked for updates (see the module docs).
    subscribed: bool,
    /// Its current registration with the backend (while attached and subscribed).
    registration: Option<Registration>,
    /// The serialized updates the backend queued for it, taken by [`Slot::take_updates`].
    feed: Option<UnboundedReceiver<Vec<u8>>>,
}

impl Slot {
    /// Moves the updates the backend queued into the session, to go out with its next
    /// packets. The connection calls this before transmitting (the backend woke it).
    pub(crate) fn take_updates(&mut self) {
        if let Some(feed) = &mut self.feed {
            while let Ok(update) = feed.try_recv() {
                self.session.push(update);
            }
        }
    }

    /// Wakes the attached connection, if any, to transmit.
    pub(crate) fn wake(&self) {
        if let Some(a) = &self.attached {
            a.wake.notify_one();
        }
    }
}

pub(crate) type SharedSlot = Arc<Mutex<Slot>>;

/// Locks a slot. Sessions stay consistent across a panic (the mtproto core mutates only after
/// its checks), so a poisoned lock is still usable.
pub(crate) fn lock(slot: &Mutex<Slot>) -> MutexGuard<'_, Slot> {
    slot.lock().unwrap_or_else(|p| p.into_inner())
}

/// All sessions of all keys.
#[derive(Default)]
pub(crate) struct Sessions {
    map: Mutex<HashMap<SessionKey, SharedSlot>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions")
            .field("count", &self.len())
            .finish()
    }
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, HashMap<SessionKey, SharedSlot>> {
        self.map.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The session for `key`, created with `make` if new.
    pub(crate) fn get_or_create(
        &self,
        key: SessionKey,
        make: impl FnOnce() -> ServerSession,
    ) -> SharedSlot {
        let mut map = self.lock();
        if let Some(slot) = map.get(&key) {
            return slot.clone();
        }
        // Creation is rare; sweep forgotten sessions then.
        map.retain(|_, slot| {
            lock(slot)
                .detached_since
                .is_none_or(|t| t.elapsed() < DETACHED_RETENTION)
        });
        let slot = Arc::new(Mutex::new(Slot {
            session: make(),
            attached: None,
            detached_since: Some(std::time::Instant::now()),
            subscribed: false,
            registration: None,
            feed: None,
        }));
        map.insert(key, slot.clone());
        slot
    }

    /// Forgets a session (`destroy_session`); `true` if it existed.
    pub(crate) fn remove(&self, key: SessionKey) -> Option<SharedSlot> {
        self.lock().remove(&key)
    }

    /// Forgets every session (a server restart).
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Attaches `slot` to a connection and, if it is subscribed, (re-)registers it with the
/// backend.
///
/// The backend registration changes only under the slot's lock (here, in [`subscribe`] and in
/// [`detach`]), so it always follows the slot's latest attachment: a client that reconnects
/// while its old connection is still closing must not have its new registration removed by
/// the old connection's detach (it would then get no pushes until its next reconnect).
pub(crate) fn attach(
    slot: &SharedSlot,
    attachment: Attachment,
    backend: &Backend,
    ctx: &CallContext,
) {
    let mut s = lock(slot);
    if s.attached
        .as_ref()
        .is_some_and(|a| a.conn_id == attachment.conn_id)
    {
        return;
    }
    log::debug!(
        "session {} of key {} attached to connection {} (subscribed: {})",
        ctx.session_id,
        ctx.auth_key_id,
        attachment.conn_id,
        s.subscribed
    );
    s.attached = Some(attachment);
    s.detached_since = None;
    if s.subscribed {
        forward_updates(&mut s, backend, ctx);
    }
}

/// Subscribes `slot` to updates (a no-op if it already is), registering it with the backend
/// while attached.
pub(crate) fn subscribe(slot: &SharedSlot, backend: &Backend, ctx: &CallContext) {
    let mut s = lock(slot);
    if s.subscribed {
        return;
    }
    s.subscribed = true;
    log::debug!(
        "session {} of key {} subscribed (attached: {})",
        ctx.session_id,
        ctx.auth_key_id,
        s.attached.is_some()
    );
    if s.attached.is_some() {
        forward_updates(&mut s, backend, ctx);
    }
}

/// Registers the session (`s`, locked) with the backend, which from now on wakes the
/// attached connection for each update it queues; the connection takes them
/// ([`Slot::take_updates`]). (A task per session used to forward them: one more wake-up per
/// update, and a task per subscribed session.)
fn forward_updates(s: &mut Slot, backend: &Backend, ctx: &CallContext) {
    // Registering again replaces the previous channel; what is left in it goes first.
    s.take_updates();
    let wake = s.attached.as_ref().map(|a| Arc::clone(&a.wake));
    let (updates, registration) = backend.register_session_woken(ctx, wake);
    s.registration = Some(registration);
    s.feed = Some(updates);
}

/// Detaches `slot` from connection `conn_id` (if still attached there) and unregisters it from
/// the backend.
pub(crate) fn detach(slot: &SharedSlot, conn_id: u64, backend: &Backend) {
    let mut s = lock(slot);
    if s.attached.as_ref().is_some_and(|a| a.conn_id == conn_id) {
        s.attached = None;
        s.detached_since = Some(std::time::Instant::now());
        log::debug!(
            "session {:?} detached from connection {conn_id}",
            s.registration
        );
        if let Some(registration) = s.registration.take() {
            backend.unregister_session(registration);
        }
    }
}
