//! Updates the server pushes, handed out gap-free: the boundary between the update engine (which
//! orders, de-duplicates and fills gaps) and its consumers (the [`crate::Client::updates`] stream
//! and the event handlers).
//!
//! The contract, which the engine keeps and the consumers rely on:
//! - every update is handed out exactly once, in order within its box (the account's common box,
//!   the qts box, or one channel);
//! - each [`RawUpdate`] carries the users and chats its container (or difference) mentioned, so
//!   a consumer can name a message's chat and sender without another request;
//! - each subscriber ([`crate::Client::updates`]) sees every update handed out after it
//!   subscribed; a slow subscriber slows the engine down (bounded queues), it never loses updates.
//!
//! The engine itself is [`engine::Engine`], a sans-IO state machine following
//! core.telegram.org/api/updates (its docs list the rules and the calling contract); one tokio
//! task per client (the driver) feeds it with the home DC's pushes, reconnects and the answers
//! of the client's own requests, performs the differences it asks for, caches the users and
//! chats of every container, and saves the update state in the session only after the updates
//! it covers were handed out. Updates answering the client's own requests (a sent message)
//! advance the state but are not handed out; the account's other sessions receive them.
//! [`crate::ClientBuilder::catch_up`] fetches what happened while the client was away;
//! [`crate::ClientBuilder::receive_updates`] / [`crate::Client::set_receive_updates`] turn
//! updates off (requests are then wrapped in `invokeWithoutUpdates`).

pub(crate) mod driver;
pub mod engine;
mod timer;

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tgwire_tl_types::enums;
use tokio::sync::mpsc;

use crate::events::dispatch::Dispatcher;
use crate::types::message::ChatMap;

/// One update as the engine hands it out, with the users and chats that came with it.
#[derive(Clone, Debug)]
pub struct RawUpdate {
    /// The update itself (short forms such as `updateShortMessage` are expanded into the
    /// `updateNewMessage` they stand for).
    pub update: enums::Update,
    /// The users and chats the update's container mentioned, by Bot API id (shared by every
    /// update of one container).
    pub(crate) chats: Arc<ChatMap>,
}

impl RawUpdate {
    /// Wraps an update with the users and chats that came with it.
    pub(crate) fn new(update: enums::Update, chats: Arc<ChatMap>) -> Self {
        RawUpdate { update, chats }
    }

    /// A user, group or channel this update's container mentioned, by Bot API id.
    pub fn chat(&self, bot_api_id: i64) -> Option<&crate::Chat> {
        self.chats.get(bot_api_id)
    }
}

/// The updates handed out after [`crate::Client::updates`] was called, as a `Stream`.
///
/// Ends when the client is dropped or disconnected.
#[derive(Debug)]
pub struct UpdateStream {
    rx: mpsc::Receiver<RawUpdate>,
}

impl UpdateStream {
    pub(crate) fn new(rx: mpsc::Receiver<RawUpdate>) -> Self {
        UpdateStream { rx }
    }

    /// The next update, or `None` once the client is gone.
    pub async fn next(&mut self) -> Option<RawUpdate> {
        self.rx.recv().await
    }
}

impl futures_core::Stream for UpdateStream {
    type Item = RawUpdate;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<RawUpdate>> {
        self.rx.poll_recv(cx)
    }
}

/// How many updates a subscriber may have waiting before the engine waits for it.
const SUBSCRIBER_QUEUE: usize = 1024;

/// The subscribers of the client's updates. The engine hands every update to each of them.
#[derive(Debug, Default)]
pub(crate) struct Hub {
    /// Copied on write (subscribing is rare, handing out is per update), so that handing out
    /// takes a snapshot without copying the list or holding the lock across a wait. `None`
    /// until the first subscriber (an empty list would be 48 bytes in every client that
    /// never subscribes).
    subscribers: std::sync::Mutex<Option<Arc<Subscribers>>>,
    /// Someone subscribed at least once (the catch-up at start waits for it; the driver learns
    /// of the first through its input queue: see [`crate::Client::updates`] and the event
    /// dispatcher's start).
    subscribed: std::sync::atomic::AtomicBool,
}

#[derive(Debug, Default)]
struct Subscribers {
    /// The [`UpdateStream`]s.
    streams: Vec<mpsc::Sender<RawUpdate>>,
    /// The event dispatcher, once started: called with each update rather than fed through a
    /// queue of its own (that queue was a second hand-over, and a task wake-up, per update;
    /// the dispatcher's own limit on updates in flight slows the engine down instead).
    dispatcher: Option<Arc<Dispatcher>>,
}

impl Hub {
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<Subscribers>>> {
        self.subscribers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the subscribers (copy on write) and marks the hub subscribed.
    fn change(&self, f: impl FnOnce(&mut Subscribers)) {
        {
            let mut current = self.lock();
            let mut next = Subscribers {
                streams: current
                    .as_ref()
                    .map(|c| c.streams.clone())
                    .unwrap_or_default(),
                dispatcher: current.as_ref().and_then(|c| c.dispatcher.clone()),
            };
            f(&mut next);
            *current = Some(Arc::new(next));
        }
        self.subscribed
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    /// A new subscriber that sees every update handed out from now on.
    pub(crate) fn subscribe(&self) -> UpdateStream {
        let (tx, rx) = mpsc::channel(SUBSCRIBER_QUEUE);
        self.change(|s| s.streams.push(tx));
        UpdateStream::new(rx)
    }

    /// Hands every update from now on to the event dispatcher (once per client).
    pub(crate) fn attach_dispatcher(&self, dispatcher: Arc<Dispatcher>) {
        self.change(|s| s.dispatcher = Some(dispatcher));
    }

    /// Whether anyone ever subscribed.
    pub(crate) fn has_subscribed(&self) -> bool {
        self.subscribed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Ends every subscriber's stream and stops the dispatcher (the client is gone or
    /// disconnected).
    pub(crate) fn close(&self) {
        let old = self.lock().take();
        if old.is_some_and(|old| old.dispatcher.is_some()) {
            log::debug!("the update stream ended; the event dispatcher stops");
        }
    }

    /// Hands `update` to every live subscriber, waiting while a subscriber's queue (or the
    /// dispatcher's updates in flight) is full, so a slow consumer slows the engine instead of
    /// losing updates. Subscribers that went away are forgotten.
    ///
    /// The last subscriber gets `update` itself, the others a copy: with the usual single
    /// subscriber (the event dispatcher) nothing is copied.
    pub(crate) async fn hand_out(&self, update: RawUpdate) {
        let Some(subscribers) = self.lock().clone() else {
            // Nobody subscribed (or the client ended): nobody to hand it to.
            return;
        };
        let mut gone = false;
        let mut update = Some(update);
        let count = subscribers.streams.len() + usize::from(subscribers.dispatcher.is_some());
        let mut take = |i: usize| -> Option<RawUpdate> {
            if i + 1 == count {
                update.take()
            } else {
                update.clone()
            }
        };
        for (i, tx) in subscribers.streams.iter().enumerate() {
            if let Some(update) = take(i) {
                gone |= !send(tx, update).await;
            }
        }
        let mut dispatcher_gone = false;
        if let Some(dispatcher) = &subscribers.dispatcher {
            if let Some(update) = take(count - 1) {
                dispatcher_gone = !dispatcher.accept(update).await;
            }
        }
        if gone || dispatcher_gone {
            let mut current = self.lock();
            // Closed meanwhile: stays closed.
            let Some(now) = current.as_ref() else { return };
            let next = Subscribers {
                streams: now
                    .streams
                    .iter()
                    .filter(|tx| !tx.is_closed())
                    .cloned()
                    .collect(),
                dispatcher: now.dispatcher.clone().filter(|_| !dispatcher_gone),
            };
            *current = Some(Arc::new(next));
        }
    }
}

/// Puts `update` in a subscriber's queue, waiting for room; `false` if the subscriber is gone.
async fn send(tx: &mpsc::Sender<RawUpdate>, update: RawUpdate) -> bool {
    // With room in the queue (the common case) this skips building the waiting future.
    match tx.try_send(update) {
        Ok(()) => true,
        Err(mpsc::error::TrySendError::Full(update)) => tx.send(update).await.is_ok(),
        Err(mpsc::error::TrySendError::Closed(_)) => false,
    }
}

impl crate::Client {
    /// The updates the server pushes from now on, gap-free and each exactly once, as a `Stream`
    /// (see [the module docs](crate::updates) for the guarantees). Every call makes a new
    /// subscriber that sees every update; drop it to unsubscribe.
    pub fn updates(&self) -> UpdateStream {
        let stream = self.inner.updates.subscribe();
        // After subscribing: the driver, once told, hands out to this subscriber.
        self.tell_updates(driver::Input::Subscribed);
        stream
    }
}
