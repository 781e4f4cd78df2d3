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

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tgwire_tl_types::enums;
use tokio::sync::mpsc;

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
    subscribers: std::sync::Mutex<Vec<mpsc::Sender<RawUpdate>>>,
    /// Someone subscribed at least once (the catch-up at start waits for it).
    subscribed: std::sync::atomic::AtomicBool,
    first_subscriber: tokio::sync::Notify,
}

impl Hub {
    /// A new subscriber that sees every update handed out from now on.
    pub(crate) fn subscribe(&self) -> UpdateStream {
        let (tx, rx) = mpsc::channel(SUBSCRIBER_QUEUE);
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        if !self
            .subscribed
            .swap(true, std::sync::atomic::Ordering::SeqCst)
        {
            self.first_subscriber.notify_waiters();
        }
        UpdateStream::new(rx)
    }

    /// Whether anyone ever subscribed.
    pub(crate) fn has_subscribed(&self) -> bool {
        self.subscribed.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Resolves once someone has subscribed.
    pub(crate) async fn wait_for_subscriber(&self) {
        loop {
            let notified = self.first_subscriber.notified();
            if self.has_subscribed() {
                return;
            }
            notified.await;
        }
    }

    /// Ends every subscriber's stream (the client is gone or disconnected).
    pub(crate) fn close(&self) {
        self.subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Hands `update` to every live subscriber, waiting while a subscriber's queue is full (so a
    /// slow consumer slows the engine instead of losing updates). Subscribers that went away are
    /// forgotten.
    pub(crate) async fn hand_out(&self, update: RawUpdate) {
        let subscribers: Vec<_> = self
            .subscribers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let mut gone = false;
        for tx in &subscribers {
            gone |= tx.send(update.clone()).await.is_err();
        }
        if gone {
            self.subscribers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .retain(|tx| !tx.is_closed());
        }
    }
}

impl crate::Client {
    /// The updates the server pushes from now on, gap-free and each exactly once, as a `Stream`
    /// (see [the module docs](crate::updates) for the guarantees). Every call makes a new
    /// subscriber that sees every update; drop it to unsubscribe.
    pub fn updates(&self) -> UpdateStream {
        self.inner.updates.subscribe()
    }
}
