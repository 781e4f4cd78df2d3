//! An unbounded multi-producer, single-consumer queue that costs next to nothing while empty.
//!
//! A parked client has a few queues that are empty nearly all the time (a connection's commands,
//! its events, the update driver's input). tokio's unbounded channel reserves a block of 32 slots
//! up front and keeps it, plus cache-padded counters: one to two KiB each, for nothing. This one
//! is a mutex around a `VecDeque` and the receiver's waker: the buffer grows with a burst and is
//! given back as soon as the queue is empty again, so an idle queue is one small allocation.
//!
//! Semantics follow tokio's unbounded channel: `send` fails (returning the item) once the
//! receiver is gone; `recv` yields `None` once every sender is gone and the queue is drained.
//! `recv` is cancel-safe (an item is taken only when the future completes).

use std::collections::VecDeque;
use std::fmt;
use std::future::poll_fn;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

/// A new queue: the sending side (cloneable) and the receiving side.
pub fn unbounded<T>() -> (QueueSender<T>, QueueReceiver<T>) {
    unbounded_with(())
}

/// [`unbounded`], with `extra` kept in the queue's own allocation and readable from both
/// sides ([`QueueSender::extra`], [`QueueReceiver::extra`]) for as long as either lives. For
/// state the two ends share anyway (a connection's handles and its driver share its published
/// state and counters): one allocation, and one pointer on each side, instead of two.
pub fn unbounded_with<T, X>(extra: X) -> (QueueSender<T, X>, QueueReceiver<T, X>) {
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            items: VecDeque::new(),
            waker: None,
            receiver: true,
        }),
        senders: AtomicU32::new(1),
        extra,
    });
    (
        QueueSender {
            shared: Arc::clone(&shared),
        },
        QueueReceiver { shared },
    )
}

struct Shared<T, X> {
    state: Mutex<State<T>>,
    /// Outside the lock, so that cloning and dropping a sender (a connection's handle is
    /// cloned for every call) costs an atomic operation, as an `Arc` would, and no lock. The
    /// last sender to go takes the lock to wake the receiver, and the receiver reads the count
    /// under the lock, so it either sees it at zero or has left its waker to be woken.
    senders: AtomicU32,
    extra: X,
}

struct State<T> {
    items: VecDeque<T>,
    /// The receiver waiting for an item (or for the last sender to go).
    waker: Option<Waker>,
    receiver: bool,
}

impl<T, X> Shared<T, X> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing runs user code under the lock, so a poisoned lock still holds a sound queue.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The item of a failed [`QueueSender::send`]: the receiver is gone.
#[derive(PartialEq, Eq)]
pub struct SendError<T>(pub T);

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the receiving side of the queue is gone")
    }
}

impl<T> std::error::Error for SendError<T> {}

/// The sending side of a queue made by [`unbounded`]: cheap to clone, usable from any thread.
pub struct QueueSender<T, X = ()> {
    shared: Arc<Shared<T, X>>,
}

impl<T, X> QueueSender<T, X> {
    /// Appends `item`; never waits.
    ///
    /// # Errors
    ///
    /// The receiver was dropped: the item comes back.
    pub fn send(&self, item: T) -> Result<(), SendError<T>> {
        let waker = {
            let mut state = self.shared.lock();
            if !state.receiver {
                return Err(SendError(item));
            }
            state.items.push_back(item);
            state.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
        Ok(())
    }

    /// Whether the receiver was dropped.
    pub fn is_closed(&self) -> bool {
        !self.shared.lock().receiver
    }

    /// What [`unbounded_with`] was given.
    pub fn extra(&self) -> &X {
        &self.shared.extra
    }
}

impl<T, X> Clone for QueueSender<T, X> {
    fn clone(&self) -> Self {
        self.shared.senders.fetch_add(1, Ordering::Relaxed);
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T, X> Drop for QueueSender<T, X> {
    fn drop(&mut self) {
        if self.shared.senders.fetch_sub(1, Ordering::AcqRel) > 1 {
            return;
        }
        let waker = self.shared.lock().waker.take();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl<T, X> fmt::Debug for QueueSender<T, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueSender").finish_non_exhaustive()
    }
}

/// The receiving side of a queue made by [`unbounded`].
pub struct QueueReceiver<T, X = ()> {
    shared: Arc<Shared<T, X>>,
}

impl<T, X> QueueReceiver<T, X> {
    /// The next item; `None` once every sender is gone and nothing is left.
    pub async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// [`recv`](Self::recv) as a poll function.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut state = self.shared.lock();
        if let Some(item) = take(&mut state) {
            return Poll::Ready(Some(item));
        }
        if self.shared.senders.load(Ordering::Acquire) == 0 {
            return Poll::Ready(None);
        }
        match &state.waker {
            Some(waker) if waker.will_wake(cx.waker()) => {}
            _ => state.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The next item if one is queued now.
    pub fn try_recv(&mut self) -> Option<T> {
        take(&mut self.shared.lock())
    }

    /// What [`unbounded_with`] was given.
    pub fn extra(&self) -> &X {
        &self.shared.extra
    }
}

/// Takes the first item; gives the buffer back once the queue is empty.
fn take<T>(state: &mut State<T>) -> Option<T> {
    let item = state.items.pop_front()?;
    if state.items.is_empty() {
        state.items = VecDeque::new();
    }
    Some(item)
}

impl<T, X> Drop for QueueReceiver<T, X> {
    fn drop(&mut self) {
        let items = {
            let mut state = self.shared.lock();
            state.receiver = false;
            state.waker = None;
            std::mem::take(&mut state.items)
        };
        // Dropped outside the lock: items may hold things whose drop wakes other tasks.
        drop(items);
    }
}

impl<T, X> fmt::Debug for QueueReceiver<T, X> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("QueueReceiver").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn items_arrive_in_order_and_the_end_is_seen() {
        let (tx, mut rx) = unbounded();
        let tx2 = tx.clone();
        tx.send(1).unwrap();
        tx2.send(2).unwrap();
        assert_eq!(rx.recv().await, Some(1));
        assert_eq!(rx.try_recv(), Some(2));
        assert_eq!(rx.try_recv(), None);
        drop(tx);
        tx2.send(3).unwrap();
        drop(tx2);
        assert_eq!(rx.recv().await, Some(3));
        assert_eq!(rx.recv().await, None);
    }

    #[tokio::test]
    async fn a_waiting_receiver_is_woken_by_a_send_and_by_the_last_drop() {
        let (tx, mut rx) = unbounded::<u32>();
        let waiter = tokio::spawn(async move {
            let first = rx.recv().await;
            let second = rx.recv().await;
            (first, second)
        });
        tokio::task::yield_now().await;
        tx.send(7).unwrap();
        tokio::task::yield_now().await;
        drop(tx);
        assert_eq!(waiter.await.unwrap(), (Some(7), None));
    }

    #[test]
    fn sending_to_a_dropped_receiver_gives_the_item_back() {
        let (tx, rx) = unbounded();
        tx.send(String::from("kept")).unwrap();
        assert!(!tx.is_closed());
        drop(rx);
        assert!(tx.is_closed());
        assert_eq!(
            tx.send(String::from("back")),
            Err(SendError(String::from("back")))
        );
    }

    /// The extra payload is the same one on both sides, and lives until both are gone.
    #[test]
    fn the_extra_is_shared_by_both_sides_and_outlives_either() {
        let payload = Arc::new(());
        let (tx, rx) = unbounded_with::<u8, _>(Arc::clone(&payload));
        assert!(Arc::ptr_eq(tx.extra(), rx.extra()));
        assert_eq!(Arc::strong_count(&payload), 2, "kept once, not per side");
        let tx2 = tx.clone();
        drop(tx);
        drop(rx);
        assert!(Arc::ptr_eq(tx2.extra(), &payload));
        drop(tx2);
        assert_eq!(Arc::strong_count(&payload), 1);
    }

    #[test]
    fn an_emptied_queue_gives_its_buffer_back() {
        let (tx, mut rx) = unbounded();
        for i in 0..100 {
            tx.send(i).unwrap();
        }
        assert!(rx.shared.lock().items.capacity() >= 100);
        while rx.try_recv().is_some() {}
        assert_eq!(rx.shared.lock().items.capacity(), 0);
    }
}
