//! The handler registry and the dispatcher that runs handlers: the update engine hands each
//! update to the dispatcher ([`crate::updates::Hub`]), which puts it in its chat's queue; one
//! task per busy chat runs the handlers over its queue, one update at a time.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::task::{Context, Poll};

use futures_util::FutureExt;
use tgwire_net::{ConnectionState, DisconnectReason};
use tgwire_tl_types::enums;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::album::ALBUM_WAIT;
use super::deleted::channel_bot_api_id;
use super::message::new_message;
use super::sealed::Item;
use super::{EventBuilder, HandlerOutput, Propagation};
use crate::client::Inner;
use crate::types::chat::peer_bot_api_id;
use crate::types::message::ChatMap;
use crate::updates::RawUpdate;
use crate::{Client, InvocationError, Message};

/// How many updates may wait in the chats' queues (or be handled) at once. Past that the
/// dispatcher stops reading the update stream, which makes the engine wait: a slow handler
/// delays updates, it never loses them.
pub const IN_FLIGHT: usize = 1024;

/// The id of a registered handler, for [`Client::remove_event_handler`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandlerId(u64);

impl fmt::Display for HandlerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// A registered handler, as [`Client::list_event_handlers`] lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HandlerInfo {
    /// Its id.
    pub id: HandlerId,
    /// The event builder's name (`"NewMessage"`, `"ChatAction"`, …).
    pub event: &'static str,
}

type Outcome = Pin<Box<dyn Future<Output = Result<Propagation, String>> + Send>>;
type Run = dyn Fn(&Item, &Client) -> Option<Outcome> + Send + Sync;

struct Entry {
    id: HandlerId,
    event: &'static str,
    albums: bool,
    removed: AtomicBool,
    run: Box<Run>,
}

/// The handlers of one client, in registration order, and its dispatcher once started.
#[derive(Default)]
pub(crate) struct Registry {
    /// Copied on write, so a dispatch takes a snapshot without holding a lock.
    handlers: Mutex<Arc<Vec<Arc<Entry>>>>,
    next_id: AtomicU64,
    dispatcher: OnceLock<Arc<Dispatcher>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

impl Registry {
    fn add(&self, event: &'static str, albums: bool, run: Box<Run>) -> HandlerId {
        let id = HandlerId(self.next_id.fetch_add(1, Ordering::Relaxed) + 1);
        let entry = Arc::new(Entry {
            id,
            event,
            albums,
            removed: AtomicBool::new(false),
            run,
        });
        let mut handlers = lock(&self.handlers);
        let mut next = Vec::clone(&handlers);
        next.push(entry);
        *handlers = Arc::new(next);
        id
    }

    fn remove(&self, id: HandlerId) -> bool {
        let mut handlers = lock(&self.handlers);
        let Some(entry) = handlers.iter().find(|e| e.id == id) else {
            return false;
        };
        // A dispatch that took its snapshot before this sees the flag.
        entry.removed.store(true, Ordering::Relaxed);
        let next = handlers.iter().filter(|e| e.id != id).cloned().collect();
        *handlers = Arc::new(next);
        true
    }

    fn snapshot(&self) -> Arc<Vec<Arc<Entry>>> {
        Arc::clone(&lock(&self.handlers))
    }

    /// Starts the dispatcher, once per client (with the first handler or conversation).
    pub(crate) fn start(&self, client: &Client) {
        self.dispatcher.get_or_init(|| {
            let dispatcher = Arc::new(Dispatcher {
                client: Arc::downgrade(&client.inner),
                queues: Mutex::new(HashMap::new()),
                albums: Mutex::new(HashMap::new()),
                permits: Arc::new(Semaphore::new(IN_FLIGHT)),
            });
            client
                .inner
                .updates
                .attach_dispatcher(Arc::clone(&dispatcher));
            // A subscriber now: the update driver's catch-up no longer waits.
            client.tell_updates(crate::updates::driver::Input::Subscribed);
            dispatcher
        });
    }
}

/// An update (or gathered album) waiting in a chat's queue, holding its share of
/// [`IN_FLIGHT`].
struct Queued {
    item: Item,
    _permit: OwnedSemaphorePermit,
}

/// One message of an album being gathered, with the users and chats of its update.
type AlbumPart = (enums::Message, Arc<ChatMap>);

/// Puts each update the engine hands out in its chat's queue, and runs the chats' workers.
pub(crate) struct Dispatcher {
    /// Weak: the dispatcher must not keep the client alive (the hub that hands it updates
    /// belongs to the client).
    client: Weak<Inner>,
    /// The queue of each chat that has a worker now.
    queues: Mutex<HashMap<i64, mpsc::UnboundedSender<Queued>>>,
    /// Albums being gathered, by (chat, grouped_id).
    albums: Mutex<HashMap<(i64, i64), Vec<AlbumPart>>>,
    permits: Arc<Semaphore>,
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}

impl Dispatcher {
    /// Takes one update from the engine: gathers it into its album, shows it to the
    /// conversations, then queues it for its chat's handlers, waiting while [`IN_FLIGHT`]
    /// updates are queued or being handled. `false` once the client is gone (the dispatcher
    /// then takes no more).
    pub(crate) async fn accept(self: &Arc<Self>, update: RawUpdate) -> bool {
        let Some(inner) = self.client.upgrade() else {
            return false;
        };
        let key = chat_key(&update.update);
        // Gathered here, as the engine hands the parts out (an album's parts come in one
        // container, back to back), so that slow handlers cannot stretch the wait.
        if inner.extras().events.snapshot().iter().any(|h| h.albums) {
            self.gather_album(key, &update);
        }
        let item = Item::Update(update);
        // Conversations see the update first and here, not in the chat's queue: a
        // handler holding a conversation in its own chat would otherwise wait for itself.
        if inner.extras().conversations.any() {
            let client = Client { inner };
            client
                .inner
                .extras()
                .conversations
                .feed(key, &item, &client);
        } else {
            drop(inner);
        }
        let permit = match Arc::clone(&self.permits).try_acquire_owned() {
            Ok(permit) => permit,
            Err(_) => match Arc::clone(&self.permits).acquire_owned().await {
                Ok(permit) => permit,
                Err(_) => return false,
            },
        };
        self.enqueue(key, item, permit);
        true
    }

    /// Puts `item` in chat `key`'s queue, starting a worker for the chat if it has none.
    fn enqueue(self: &Arc<Self>, key: i64, item: Item, permit: OwnedSemaphorePermit) {
        let queued = Queued {
            item,
            _permit: permit,
        };
        // Sending under the lock pairs with the worker's check-and-leave under the lock: an
        // item is never left in the queue of a worker that has gone.
        let mut queues = lock(&self.queues);
        let queued = match queues.get(&key) {
            Some(tx) => match tx.send(queued) {
                Ok(()) => return,
                Err(mpsc::error::SendError(queued)) => queued,
            },
            None => queued,
        };
        let (tx, rx) = mpsc::unbounded_channel();
        // Cannot fail: `rx` is alive.
        let _ = tx.send(queued);
        queues.insert(key, tx);
        drop(queues);
        tokio::spawn(Arc::clone(self).work(key, rx));
    }

    /// Runs the handlers over chat `key`'s queue until it is empty.
    async fn work(self: Arc<Self>, key: i64, mut rx: mpsc::UnboundedReceiver<Queued>) {
        loop {
            let queued = match rx.try_recv() {
                Ok(queued) => queued,
                Err(_) => {
                    let mut queues = lock(&self.queues);
                    match rx.try_recv() {
                        Ok(queued) => queued,
                        Err(_) => {
                            queues.remove(&key);
                            return;
                        }
                    }
                }
            };
            let Some(inner) = self.client.upgrade() else {
                return;
            };
            let client = Client { inner };
            self.process(&client, queued.item).await;
        }
    }

    /// Hands one item to the handlers in registration order.
    async fn process(&self, client: &Client, item: Item) {
        let handlers = client.inner.extras().events.snapshot();
        for entry in handlers.iter() {
            if entry.removed.load(Ordering::Relaxed) {
                continue;
            }
            let Some(outcome) = (entry.run)(&item, client) else {
                continue;
            };
            // A panic is caught here and ends only this run. (A task of its own per run did the
            // same and cost as much as the rest of handing an update to its handlers.)
            match AssertUnwindSafe(outcome).catch_unwind().await {
                Ok(Ok(Propagation::Continue)) => {}
                Ok(Ok(Propagation::Stop)) => break,
                Ok(Err(e)) => {
                    log::error!("event handler {} ({}) failed: {e}", entry.id, entry.event)
                }
                Err(e) => log::error!(
                    "event handler {} ({}) panicked: {}",
                    entry.id,
                    entry.event,
                    panic_text(e)
                ),
            }
        }
    }

    /// Adds a message that belongs to an album to its album, handing the album out
    /// [`ALBUM_WAIT`] after its first message.
    fn gather_album(self: &Arc<Self>, key: i64, update: &RawUpdate) {
        let Some(raw @ enums::Message::Message(m)) = new_message(&update.update) else {
            return;
        };
        let Some(grouped_id) = m.grouped_id else {
            return;
        };
        let mut albums = lock(&self.albums);
        let parts = albums.entry((key, grouped_id)).or_default();
        parts.push((raw.clone(), Arc::clone(&update.chats)));
        if parts.len() > 1 {
            return;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(ALBUM_WAIT).await;
            let Some(parts) = lock(&this.albums).remove(&(key, grouped_id)) else {
                return;
            };
            let Some(inner) = this.client.upgrade() else {
                return;
            };
            let client = Client { inner };
            let messages = parts
                .into_iter()
                .map(|(raw, chats)| Message::new(&client, raw, chats))
                .collect();
            let item = Item::Album(Arc::new(messages));
            client
                .inner
                .extras()
                .conversations
                .feed(key, &item, &client);
            drop(client);
            if let Ok(permit) = Arc::clone(&this.permits).acquire_owned().await {
                this.enqueue(key, item, permit);
            }
        });
    }
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_owned()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(a panic without a message)".to_owned()
    }
}

/// The queue an update goes to: its chat's Bot API id; for status updates the user's; 0 for
/// updates about no chat (and deletions outside channels, whose chat the update does not say).
pub(crate) fn chat_key(update: &enums::Update) -> i64 {
    use enums::Update as U;
    let message_chat = |m: &enums::Message| match m {
        enums::Message::Message(m) => peer_bot_api_id(&m.peer_id),
        enums::Message::Service(m) => peer_bot_api_id(&m.peer_id),
        enums::Message::Empty(m) => m.peer_id.as_ref().map_or(0, peer_bot_api_id),
    };
    match update {
        U::NewMessage(u) => message_chat(&u.message),
        U::NewChannelMessage(u) => message_chat(&u.message),
        U::EditMessage(u) => message_chat(&u.message),
        U::EditChannelMessage(u) => message_chat(&u.message),
        U::DeleteChannelMessages(u) => channel_bot_api_id(u.channel_id),
        U::ReadHistoryInbox(u) => peer_bot_api_id(&u.peer),
        U::ReadHistoryOutbox(u) => peer_bot_api_id(&u.peer),
        U::ReadChannelInbox(u) => channel_bot_api_id(u.channel_id),
        U::ReadChannelOutbox(u) => channel_bot_api_id(u.channel_id),
        U::ChannelReadMessagesContents(u) => channel_bot_api_id(u.channel_id),
        U::PinnedMessages(u) => peer_bot_api_id(&u.peer),
        U::PinnedChannelMessages(u) => channel_bot_api_id(u.channel_id),
        U::UserTyping(u) => u.user_id,
        U::ChatUserTyping(u) => -u.chat_id,
        U::ChannelUserTyping(u) => channel_bot_api_id(u.channel_id),
        U::UserStatus(u) => u.user_id,
        U::BotCallbackQuery(u) => peer_bot_api_id(&u.peer),
        U::InlineBotCallbackQuery(u) => u.user_id,
        U::BotInlineQuery(u) => u.user_id,
        U::BotChatInviteRequester(u) => peer_bot_api_id(&u.peer),
        U::PendingJoinRequests(u) => peer_bot_api_id(&u.peer),
        _ => 0,
    }
}

/// The events of one builder as a `Stream`, from
/// [`Client::stream_events`]. Dropping it unregisters it.
pub struct EventStream<E> {
    rx: mpsc::Receiver<E>,
    id: HandlerId,
    client: Weak<Inner>,
}

impl<E> fmt::Debug for EventStream<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("handler", &self.id)
            .finish_non_exhaustive()
    }
}

impl<E> EventStream<E> {
    /// The next event, or `None` once the client is gone.
    pub async fn next(&mut self) -> Option<E> {
        self.rx.recv().await
    }
}

impl<E> futures_core::Stream for EventStream<E> {
    type Item = E;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<E>> {
        self.rx.poll_recv(cx)
    }
}

impl<E> Drop for EventStream<E> {
    fn drop(&mut self) {
        if let Some(inner) = self.client.upgrade() {
            inner.extras().events.remove(self.id);
        }
    }
}

impl Client {
    /// Registers `handler` for the events `builder` describes, after every handler registered
    /// before it, and returns its id. Peers named in the builder's filters are resolved now.
    ///
    /// The handler is called with each event and may return `()`, a [`Propagation`], or a
    /// `Result` of either (errors are logged); see [the module docs](crate::events) for the
    /// order, concurrency and failure guarantees.
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client) -> Result<(), tgwire::InvocationError> {
    /// use tgwire::events::{NewMessage, Propagation};
    ///
    /// client
    ///     .add_event_handler(NewMessage::new().pattern("^/stop"), |event| async move {
    ///         event.reply("stopped").await?;
    ///         Ok::<_, tgwire::InvocationError>(Propagation::Stop)
    ///     })
    ///     .await?;
    /// client
    ///     .add_event_handler(NewMessage::new(), |event| async move {
    ///         println!("{}", event.text()); // never "/stop…"
    ///     })
    ///     .await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] for a bad `pattern`; as [`Client::resolve`] for a
    /// chat or user that cannot be found.
    pub async fn add_event_handler<B, F, Fut>(
        &self,
        mut builder: B,
        handler: F,
    ) -> Result<HandlerId, InvocationError>
    where
        B: EventBuilder,
        F: Fn(B::Event) -> Fut + Send + Sync + 'static,
        Fut: Future + Send + 'static,
        Fut::Output: HandlerOutput,
    {
        let prepare = builder.prepare();
        if let Some(error) = prepare.error {
            return Err(InvocationError::InvalidArgument(error));
        }
        for peers in prepare.peers {
            peers.resolve(self).await?;
        }
        let event = builder.name();
        let albums = builder.wants_albums();
        let run = move |item: &Item, client: &Client| -> Option<Outcome> {
            let event = builder.build(item, client)?;
            let running = handler(event);
            Some(Box::pin(async move { running.await.into_outcome() }))
        };
        let id = self.inner.extras().events.add(event, albums, Box::new(run));
        self.inner.extras().events.start(self);
        Ok(id)
    }

    /// Unregisters a handler; `false` if there is no handler `id` (any more). An update being
    /// handled when it is removed does not reach it if it had not yet.
    pub fn remove_event_handler(&self, id: HandlerId) -> bool {
        self.inner
            .extras
            .get()
            .is_some_and(|extras| extras.events.remove(id))
    }

    /// The registered handlers, in the order they run.
    pub fn list_event_handlers(&self) -> Vec<HandlerInfo> {
        let Some(extras) = self.inner.extras.get() else {
            return Vec::new();
        };
        extras
            .events
            .snapshot()
            .iter()
            .map(|e| HandlerInfo {
                id: e.id,
                event: e.event,
            })
            .collect()
    }

    /// The events `builder` describes, as a `Stream` (for a loop instead of a handler). It is
    /// a handler that runs after those registered before it; while its events are not taken,
    /// the chat they come from waits (up to a queue of 64 events). Dropping the stream
    /// unregisters it.
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client) -> Result<(), tgwire::InvocationError> {
    /// use tgwire::events::MessageDeleted;
    ///
    /// let mut deleted = client.stream_events(MessageDeleted::new()).await?;
    /// while let Some(event) = deleted.next().await {
    ///     println!("deleted {:?} in {:?}", event.deleted_ids(), event.chat_id());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Client::add_event_handler`].
    pub async fn stream_events<B: EventBuilder>(
        &self,
        builder: B,
    ) -> Result<EventStream<B::Event>, InvocationError> {
        let (tx, rx) = mpsc::channel(64);
        let id = self
            .add_event_handler(builder, move |event| {
                let tx = tx.clone();
                async move {
                    // A dropped stream unregisters itself; an event racing that is dropped.
                    let _ = tx.send(event).await;
                }
            })
            .await?;
        Ok(EventStream {
            rx,
            id,
            client: Arc::downgrade(&self.inner),
        })
    }

    /// Waits until the client is disconnected: [`Client::disconnect`] was called (`Ok`), or
    /// the home connection gave up for good (`Err`). Handlers keep running meanwhile.
    ///
    /// # Errors
    ///
    /// [`InvocationError::Closed`] with the reason, when the connection gave up by itself.
    pub async fn run_until_disconnected(&self) -> Result<(), InvocationError> {
        let mut state = self.watch_connection_state();
        loop {
            if let ConnectionState::Closed { reason } = &*state.borrow_and_update() {
                return match reason {
                    DisconnectReason::Shutdown => Ok(()),
                    other => Err(InvocationError::Closed(other.to_string())),
                };
            }
            if state.changed().await.is_err() {
                return Ok(());
            }
        }
    }
}
