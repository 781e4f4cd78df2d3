//! The auth key a connection uses, as its driver publishes it, with a watch made on demand.

use std::sync::{Mutex, MutexGuard};

use tgwire_crypto::AuthKey;
use tokio::sync::watch;

/// The connection's auth key as last published, shared by its driver and its handles.
///
/// A tokio watch channel is about 370 bytes, and most connections are never asked to follow
/// their key (a pool asks while waiting for a DC's first key), so the channel is made only for
/// the first [`subscribe`](Self::subscribe).
pub(crate) struct KeySlot {
    inner: Mutex<Slot>,
}

struct Slot {
    key: Option<AuthKey>,
    watch: Option<watch::Sender<Option<AuthKey>>>,
    /// The driver stopped: receivers see the channel closed, as if its sender was dropped.
    closed: bool,
}

impl KeySlot {
    pub(crate) fn new(key: Option<AuthKey>) -> Self {
        Self {
            inner: Mutex::new(Slot {
                key,
                watch: None,
                closed: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Plain data under the lock: a panic elsewhere leaves it consistent.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Publishes `key` (to the watch too, if one was made).
    pub(crate) fn send_replace(&self, key: Option<AuthKey>) {
        let mut slot = self.lock();
        if let Some(watch) = &slot.watch {
            watch.send_replace(key.clone());
        }
        slot.key = key;
    }

    /// The id of the key published last.
    pub(crate) fn id(&self) -> Option<i64> {
        self.lock().key.as_ref().map(AuthKey::id)
    }

    /// A receiver following the key from now on.
    pub(crate) fn subscribe(&self) -> watch::Receiver<Option<AuthKey>> {
        let mut slot = self.lock();
        if slot.closed {
            // Nothing will change any more: a receiver whose sender is gone says so.
            return watch::channel(slot.key.clone()).1;
        }
        match &slot.watch {
            Some(watch) => watch.subscribe(),
            None => {
                let (tx, rx) = watch::channel(slot.key.clone());
                slot.watch = Some(tx);
                rx
            }
        }
    }

    /// The driver stopped: receivers see the channel closed.
    pub(crate) fn close(&self) {
        let mut slot = self.lock();
        slot.closed = true;
        slot.watch = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> AuthKey {
        AuthKey::from_bytes([byte; 256])
    }

    #[tokio::test]
    async fn a_receiver_sees_the_key_then_its_changes_then_the_end() {
        let slot = KeySlot::new(None);
        slot.send_replace(Some(key(1)));
        let mut rx = slot.subscribe();
        assert_eq!(rx.borrow_and_update().as_ref().map(AuthKey::id), slot.id());
        slot.send_replace(Some(key(2)));
        rx.changed().await.unwrap();
        assert_eq!(rx.borrow().as_ref().map(AuthKey::id), Some(key(2).id()));
        // A second receiver shares the channel.
        let mut second = slot.subscribe();
        slot.send_replace(None);
        second.changed().await.unwrap();
        assert!(second.borrow().is_none());
        rx.borrow_and_update();
        slot.close();
        assert!(rx.changed().await.is_err());
        assert!(slot.subscribe().changed().await.is_err());
    }
}
