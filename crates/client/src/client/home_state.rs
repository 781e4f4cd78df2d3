//! The home connection's state as the client republishes it, with a watch channel made only
//! while someone follows it.
//!
//! A tokio watch channel is about 380 bytes. Every client used to keep one for good, though
//! most follow the state only for a moment (waiting for the first connection) or never, and
//! a process running hundreds of idle clients paid for all of them. So the state lives in a
//! small slot; [`HomeState::subscribe`] makes the channel for its first follower, and the
//! channel is dropped again once nobody follows: when the last [`ConnectionStateWatch`]
//! goes, or at the next change if only internal receivers were left.

use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use tgwire_net::{ConnectionState, DisconnectReason};
use tokio::sync::watch;

use super::Inner;

pub(crate) struct HomeState {
    slot: Mutex<Slot>,
}

struct Slot {
    state: Stored,
    /// Made for the first follower; `None` while nobody follows.
    watch: Option<watch::Sender<ConnectionState>>,
    /// Counts the channels made, so that a follower releases only its own.
    generation: u32,
}

/// A [`ConnectionState`] in 16 bytes instead of 40: the states a connection spends its life in
/// are kept inline, the others (with their reasons) boxed.
enum Stored {
    Connecting,
    Connected,
    Reconnecting(u32),
    Other(Box<ConnectionState>),
}

impl Stored {
    fn new(state: ConnectionState) -> Self {
        match state {
            ConnectionState::Connecting => Stored::Connecting,
            ConnectionState::Connected => Stored::Connected,
            ConnectionState::Reconnecting { attempt } => Stored::Reconnecting(attempt),
            other => Stored::Other(Box::new(other)),
        }
    }

    fn get(&self) -> ConnectionState {
        match self {
            Stored::Connecting => ConnectionState::Connecting,
            Stored::Connected => ConnectionState::Connected,
            Stored::Reconnecting(attempt) => ConnectionState::Reconnecting { attempt: *attempt },
            Stored::Other(state) => (**state).clone(),
        }
    }
}

impl HomeState {
    pub(crate) fn new(state: ConnectionState) -> Self {
        Self {
            slot: Mutex::new(Slot {
                state: Stored::new(state),
                watch: None,
                generation: 0,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot> {
        // Plain data under the lock: a panic elsewhere leaves it consistent.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state published last.
    pub(crate) fn get(&self) -> ConnectionState {
        self.lock().state.get()
    }

    /// Whether the client was shut down ([`Client::disconnect`](crate::Client::disconnect)).
    pub(crate) fn is_shut_down(&self) -> bool {
        match &self.lock().state {
            Stored::Other(state) => matches!(
                **state,
                ConnectionState::Closed {
                    reason: DisconnectReason::Shutdown
                }
            ),
            _ => false,
        }
    }

    /// Publishes `state`.
    pub(crate) fn set(&self, state: ConnectionState) {
        self.modify(|now| {
            *now = state;
            true
        });
    }

    /// Lets `change` edit the state under the slot's lock (so that a change racing with it is
    /// applied after it, never overwritten); publishes if it returns true.
    pub(crate) fn modify(&self, change: impl FnOnce(&mut ConnectionState) -> bool) {
        let slot = &mut *self.lock();
        let mut state = slot.state.get();
        if !change(&mut state) {
            return;
        }
        slot.state = Stored::new(state);
        if let Some(watch) = &slot.watch {
            if watch.receiver_count() == 0 {
                // Only internal receivers ever followed it, and they are gone.
                slot.watch = None;
            } else {
                watch.send_replace(slot.state.get());
            }
        }
    }

    /// A receiver following the state from now on (the channel is made if there is none).
    pub(crate) fn subscribe(&self) -> watch::Receiver<ConnectionState> {
        self.subscribe_counted().0
    }

    /// [`Self::subscribe`], and which channel it is.
    fn subscribe_counted(&self) -> (watch::Receiver<ConnectionState>, u32) {
        let slot = &mut *self.lock();
        let receiver = match &slot.watch {
            Some(watch) => watch.subscribe(),
            None => {
                let (watch, receiver) = watch::channel(slot.state.get());
                slot.watch = Some(watch);
                slot.generation = slot.generation.wrapping_add(1);
                receiver
            }
        };
        (receiver, slot.generation)
    }

    /// Called as a follower of channel `generation` is about to go: drops the channel if that
    /// follower is its last receiver.
    fn release(&self, generation: u32) {
        let slot = &mut *self.lock();
        let last = slot.generation == generation
            && slot
                .watch
                .as_ref()
                .is_some_and(|watch| watch.receiver_count() == 1);
        if last {
            slot.watch = None;
        }
    }

    /// Whether a channel is kept now (for tests).
    #[cfg(test)]
    fn has_channel(&self) -> bool {
        self.lock().watch.is_some()
    }
}

/// Follows the client's home connection state: a [`watch::Receiver`] (it dereferences to one:
/// `changed().await`, `borrow()`, `wait_for(..)`), from
/// [`Client::watch_connection_state`](crate::Client::watch_connection_state).
///
/// The client keeps the channel only while a watch is alive, so drop it when done.
pub struct ConnectionStateWatch {
    receiver: watch::Receiver<ConnectionState>,
    owner: Weak<Inner>,
    generation: u32,
}

impl ConnectionStateWatch {
    pub(crate) fn new(inner: &Arc<Inner>) -> Self {
        let (receiver, generation) = inner.state.subscribe_counted();
        Self {
            receiver,
            owner: Arc::downgrade(inner),
            generation,
        }
    }

    /// The plain receiver (which keeps the channel until the next state change after it is
    /// dropped).
    pub fn into_receiver(mut self) -> watch::Receiver<ConnectionState> {
        // Not released: the receiver lives on.
        self.owner = Weak::new();
        self.receiver.clone()
    }
}

impl Clone for ConnectionStateWatch {
    fn clone(&self) -> Self {
        Self {
            receiver: self.receiver.clone(),
            owner: self.owner.clone(),
            generation: self.generation,
        }
    }
}

impl std::fmt::Debug for ConnectionStateWatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ConnectionStateWatch")
            .field(&*self.receiver.borrow())
            .finish()
    }
}

impl Deref for ConnectionStateWatch {
    type Target = watch::Receiver<ConnectionState>;

    fn deref(&self) -> &Self::Target {
        &self.receiver
    }
}

impl DerefMut for ConnectionStateWatch {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.receiver
    }
}

impl Drop for ConnectionStateWatch {
    fn drop(&mut self) {
        if let Some(inner) = self.owner.upgrade() {
            inner.state.release(self.generation);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed() -> ConnectionState {
        ConnectionState::Closed {
            reason: DisconnectReason::Shutdown,
        }
    }

    fn is_closed(state: &ConnectionState) -> bool {
        matches!(
            state,
            ConnectionState::Closed {
                reason: DisconnectReason::Shutdown
            }
        )
    }

    #[test]
    fn every_state_is_kept_as_it_was_published() {
        let states = [
            ConnectionState::Connecting,
            ConnectionState::Connected,
            ConnectionState::Reconnecting { attempt: 7 },
            ConnectionState::Disconnected {
                reason: DisconnectReason::Silent,
            },
            ConnectionState::Closed {
                reason: DisconnectReason::GaveUp,
            },
            closed(),
        ];
        let home = HomeState::new(ConnectionState::Connecting);
        for state in states {
            home.set(state.clone());
            assert_eq!(format!("{:?}", home.get()), format!("{state:?}"));
            assert_eq!(home.is_shut_down(), is_closed(&state));
        }
        assert!(std::mem::size_of::<Stored>() <= 16);
    }

    #[test]
    fn the_channel_exists_only_while_someone_follows() {
        let home = HomeState::new(ConnectionState::Connecting);
        assert!(!home.has_channel());
        home.set(ConnectionState::Connected);
        assert!(!home.has_channel(), "publishing makes no channel");
        assert!(home.get().is_connected());

        let (mut first, generation) = home.subscribe_counted();
        let (second, same) = home.subscribe_counted();
        assert_eq!(generation, same, "one channel for both");
        assert!(first.borrow_and_update().is_connected());
        home.set(closed());
        assert!(first.has_changed().unwrap());
        assert!(is_closed(&first.borrow_and_update()));
        assert!(home.is_shut_down());

        // The first of two followers leaving keeps the channel for the other.
        home.release(generation);
        drop(first);
        assert!(home.has_channel());
        assert!(is_closed(&second.borrow()));
        home.release(generation);
        drop(second);
        assert!(
            !home.has_channel(),
            "the last follower took the channel with it"
        );
    }

    #[test]
    fn a_follower_of_an_old_channel_leaves_the_new_one_alone() {
        let home = HomeState::new(ConnectionState::Connecting);
        let (old, old_generation) = home.subscribe_counted();
        drop(old);
        // Nobody follows: the next change drops the channel.
        home.set(ConnectionState::Connected);
        assert!(!home.has_channel());
        let (mut new, new_generation) = home.subscribe_counted();
        assert_ne!(old_generation, new_generation);
        home.release(old_generation);
        assert!(
            home.has_channel(),
            "released by a follower of another channel"
        );
        home.set(closed());
        assert!(is_closed(&new.borrow_and_update()));
    }

    #[test]
    fn a_modification_that_changes_nothing_publishes_nothing() {
        let home = HomeState::new(ConnectionState::Connected);
        let (mut follower, _) = home.subscribe_counted();
        follower.borrow_and_update();
        home.modify(|_| false);
        assert!(!follower.has_changed().unwrap());
        home.modify(|state| {
            *state = closed();
            true
        });
        assert!(follower.has_changed().unwrap());
    }
}
