//! What a connection's driver publishes for its handles: the auth key it uses and its
//! connection state, with a watch channel for each made on demand.

use std::sync::{Mutex, MutexGuard};

use tgwire_crypto::AuthKey;
use tokio::sync::watch;

use super::state::ConnectionState;

/// The connection's auth key and state as last published, shared by its driver and its
/// handles.
///
/// A tokio watch channel is about 370 bytes, and most connections are never asked to follow
/// their key (a pool asks while waiting for a DC's first key) or their state (a client reads
/// its home connection's now and then, and is told each change by the pool's hook), so each
/// channel is made only for its first subscriber.
pub(crate) struct Published {
    inner: Mutex<Slot>,
}

struct Slot {
    key: Option<AuthKey>,
    key_watch: Option<watch::Sender<Option<AuthKey>>>,
    state: ConnectionState,
    state_watch: Option<watch::Sender<ConnectionState>>,
    /// The driver stopped: receivers see the channels closed, as if their senders were
    /// dropped.
    closed: bool,
}

impl Published {
    pub(crate) fn new(key: Option<AuthKey>) -> Self {
        Self {
            inner: Mutex::new(Slot {
                key,
                key_watch: None,
                state: ConnectionState::Connecting,
                state_watch: None,
                closed: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Plain data under the lock: a panic elsewhere leaves it consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes `key` (to the watch too, if one was made).
    pub(crate) fn send_key(&self, key: Option<AuthKey>) {
        let mut slot = self.lock();
        if let Some(watch) = &slot.key_watch {
            watch.send_replace(key.clone());
        }
        slot.key = key;
    }

    /// The key published last.
    pub(crate) fn key(&self) -> Option<AuthKey> {
        self.lock().key.clone()
    }

    /// A receiver following the key from now on.
    pub(crate) fn subscribe_key(&self) -> watch::Receiver<Option<AuthKey>> {
        let slot = &mut *self.lock();
        subscribe_lazily(slot.closed, &slot.key, &mut slot.key_watch)
    }

    /// Publishes `state` (to the watch too, if one was made).
    pub(crate) fn send_state(&self, state: ConnectionState) {
        let mut slot = self.lock();
        if let Some(watch) = &slot.state_watch {
            watch.send_replace(state.clone());
        }
        slot.state = state;
    }

    /// The state published last.
    pub(crate) fn state(&self) -> ConnectionState {
        self.lock().state.clone()
    }

    /// A receiver following the state from now on.
    pub(crate) fn subscribe_state(&self) -> watch::Receiver<ConnectionState> {
        let slot = &mut *self.lock();
        subscribe_lazily(slot.closed, &slot.state, &mut slot.state_watch)
    }

    /// The driver stopped: receivers see the channels closed.
    pub(crate) fn close(&self) {
        let mut slot = self.lock();
        slot.closed = true;
        slot.key_watch = None;
        slot.state_watch = None;
    }
}

/// A receiver of `value` from now on, through `watch` (made on the first subscription, so that a
/// value nobody follows costs no channel).
fn subscribe_lazily<T: Clone>(
    closed: bool,
    value: &T,
    watch: &mut Option<watch::Sender<T>>,
) -> watch::Receiver<T> {
    if closed {
        // Nothing will change any more: a receiver whose sender is gone says so.
        return watch::channel(value.clone()).1;
    }
    watch
        .get_or_insert_with(|| watch::channel(value.clone()).0)
        .subscribe()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> AuthKey {
        AuthKey::from_bytes([byte; 256])
    }

    #[tokio::test]
    async fn a_receiver_sees_the_key_then_its_changes_then_the_end() {
        let slot = Published::new(None);
        slot.send_key(Some(key(1)));
        let mut rx = slot.subscribe_key();
        assert_eq!(
            rx.borrow_and_update().as_ref().map(AuthKey::id),
            slot.key().as_ref().map(AuthKey::id)
        );
        slot.send_key(Some(key(2)));
        rx.changed().await.unwrap();
        assert_eq!(rx.borrow().as_ref().map(AuthKey::id), Some(key(2).id()));
        // A second receiver shares the channel.
        let mut second = slot.subscribe_key();
        slot.send_key(None);
        second.changed().await.unwrap();
        assert!(second.borrow().is_none());
        rx.borrow_and_update();
        slot.close();
        assert!(rx.changed().await.is_err());
        assert!(slot.subscribe_key().changed().await.is_err());
    }

    /// The state is readable without a watch; a watch made later starts from the state then,
    /// follows each change, and ends with the driver after its last state.
    #[tokio::test]
    async fn the_state_is_read_without_a_watch_and_followed_with_one() {
        let slot = Published::new(None);
        assert!(matches!(slot.state(), ConnectionState::Connecting));
        slot.send_state(ConnectionState::Connected);
        assert!(slot.lock().state_watch.is_none());
        assert!(slot.state().is_connected());
        let mut rx = slot.subscribe_state();
        assert!(rx.borrow_and_update().is_connected());
        slot.send_state(ConnectionState::Reconnecting { attempt: 1 });
        rx.changed().await.unwrap();
        assert!(matches!(
            *rx.borrow_and_update(),
            ConnectionState::Reconnecting { attempt: 1 }
        ));
        let closed = ConnectionState::Closed {
            reason: super::super::DisconnectReason::Shutdown,
        };
        slot.send_state(closed);
        slot.close();
        // The last state is still seen, then the end.
        rx.changed().await.unwrap();
        assert!(matches!(
            *rx.borrow_and_update(),
            ConnectionState::Closed { .. }
        ));
        assert!(rx.changed().await.is_err());
        let late = slot.subscribe_state();
        assert!(matches!(*late.borrow(), ConnectionState::Closed { .. }));
    }
}
