//! Conversations: a scripted exchange with one chat (usually a bot), as Telethon's
//! `client.conversation(chat)`.
//!
//! A [`Conversation`] records what arrives in its chat from the moment it starts: incoming
//! messages, edits of incoming messages, and how far the other side has read what we sent.
//! Each step ([`Conversation::get_response`], [`get_reply`](Conversation::get_reply),
//! [`get_edit`](Conversation::get_edit), [`wait_read`](Conversation::wait_read),
//! [`wait_event`](Conversation::wait_event)) takes from that record, so an answer that arrives
//! before the step is awaited is not lost; it waits (up to the step's timeout, and the
//! conversation's total timeout) only when nothing fitting has arrived yet.
//!
//! ```text
//!  engine ──▶ dispatcher ──▶ conversations of the update's chat (first, in engine order)
//!                      └──▶ handler queues (after)
//! ```
//!
//! The record is fed by the event dispatcher before the handlers' queues, from its single
//! reading task: a handler may therefore hold a conversation in its own chat and await the
//! next message (Telethon's usual bot pattern) without waiting for itself.
//!
//! Responses are matched by message id, as Telethon does: a response to a sent message is an
//! incoming message with a greater id (ids grow in every chat), so one that overtakes the
//! answer of `send_message` still counts.

use std::collections::HashMap;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tgwire_session::PeerRef;
use tgwire_tl_types::enums;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::events::{EventBuilder, Item};
use crate::files::{FileError, InputMedia};
use crate::{Client, InputMessage, InvocationError, Message, PeerQuery};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The default per-step timeout (Telethon's).
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// The default number of incoming messages a conversation keeps before it fails with
/// [`ConversationError::TooManyMessages`] (Telethon's `max_messages`).
pub const DEFAULT_MAX_MESSAGES: usize = 100;

/// Why a conversation (or one of its steps) failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ConversationError {
    /// Another conversation in this chat is going on, and one of the two is exclusive (the
    /// default). Telethon's `AlreadyInConversationError`.
    #[error("a conversation with chat {0} is already going on")]
    AlreadyInConversation(i64),
    /// Nothing fitting arrived within the step's timeout.
    #[error("no answer within the step's timeout of {0:?}")]
    Timeout(Duration),
    /// The conversation's total timeout passed.
    #[error("the conversation's total timeout of {0:?} passed")]
    TotalTimeout(Duration),
    /// The conversation was cancelled ([`Conversation::cancel`], [`Conversation::cancel_all`]).
    #[error("the conversation was cancelled")]
    Cancelled,
    /// More messages arrived than the conversation keeps
    /// ([`ConversationBuilder::max_messages`]); it is cancelled.
    #[error("more than {0} incoming messages; the conversation was cancelled")]
    TooManyMessages(usize),
    /// The step needs a sent message (a reply to, a read of) and none was sent through the
    /// conversation nor named with `to`.
    #[error("no message was sent in this conversation yet")]
    NothingSent,
    /// A request failed (resolving the chat, sending).
    #[error(transparent)]
    Invocation(#[from] InvocationError),
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// A waiter for [`Conversation::wait_event`]: builds the event from an item and, if it
/// passes, hands it over (returning `true`, and it is removed).
type Custom = Box<dyn FnMut(&Item, &Client) -> bool + Send>;

/// What the dispatcher recorded for a conversation.
#[derive(Default)]
struct Record {
    /// Incoming messages in the chat, in the order they were handed out.
    incoming: Vec<Message>,
    /// Edits of incoming messages, in order.
    edits: Vec<Message>,
    /// The greatest id of ours the other side has read.
    read_outbox: Option<i32>,
    /// Where the next response (and reply, when they share it) to each sent message is looked
    /// for in `incoming`.
    response_cursor: HashMap<i32, usize>,
    /// As `response_cursor`, for replies when replies are not responses.
    reply_cursor: HashMap<i32, usize>,
    /// Where the next edit after each sent message is looked for in `edits`.
    edit_cursor: HashMap<i32, usize>,
    /// `wait_event` waiters, by a counter.
    custom: HashMap<u64, Custom>,
    next_custom: u64,
    /// Set when the conversation ended by cancelling or overflowing.
    failed: Option<ConversationError>,
}

/// The part of a conversation the client's registry holds (the dispatcher feeds it).
struct Shared {
    id: u64,
    chat_id: i64,
    exclusive: bool,
    max_messages: usize,
    record: Mutex<Record>,
    changed: Notify,
}

impl Shared {
    fn fail(&self, error: ConversationError) {
        let mut record = lock(&self.record);
        if record.failed.is_none() {
            record.failed = Some(error);
        }
        drop(record);
        self.changed.notify_waiters();
    }
}

/// The conversations of one client, by chat.
#[derive(Default)]
pub(crate) struct Conversations {
    chats: Mutex<HashMap<i64, Vec<Arc<Shared>>>>,
    next_id: AtomicU64,
}

impl Conversations {
    /// Whether any conversation is going on (the dispatcher skips [`feed`](Self::feed) if not).
    pub(crate) fn any(&self) -> bool {
        !lock(&self.chats).is_empty()
    }

    /// Records `item` (from chat `chat_id`, as the dispatcher keys it) in the conversations
    /// that want it, and offers it to every conversation's `wait_event` waiters.
    pub(crate) fn feed(&self, chat_id: i64, item: &Item, client: &Client) {
        let all: Vec<Arc<Shared>> = lock(&self.chats).values().flatten().cloned().collect();
        if all.is_empty() {
            return;
        }
        let seen = match item {
            Item::Update(update) => Seen::of(&update.update),
            Item::Album(_) => Seen::Nothing,
        };
        for shared in all {
            let mut record = lock(&shared.record);
            if record.failed.is_some() {
                continue;
            }
            let mut changed = false;
            if shared.chat_id == chat_id {
                changed |= record.see(&shared, &seen, item, client);
            }
            if !record.custom.is_empty() {
                let before = record.custom.len();
                record.custom.retain(|_, waiter| !waiter(item, client));
                changed |= record.custom.len() != before;
            }
            drop(record);
            if changed {
                shared.changed.notify_waiters();
            }
        }
    }

    fn remove(&self, shared: &Arc<Shared>) {
        let mut chats = lock(&self.chats);
        if let Some(list) = chats.get_mut(&shared.chat_id) {
            list.retain(|s| s.id != shared.id);
            if list.is_empty() {
                chats.remove(&shared.chat_id);
            }
        }
    }
}

/// What an update means to a conversation.
enum Seen<'a> {
    New(&'a enums::Message),
    Edit(&'a enums::Message),
    ReadOutbox(i32),
    Nothing,
}

impl<'a> Seen<'a> {
    fn of(update: &'a enums::Update) -> Self {
        use enums::Update as U;
        match update {
            U::NewMessage(u) => Seen::New(&u.message),
            U::NewChannelMessage(u) => Seen::New(&u.message),
            U::EditMessage(u) => Seen::Edit(&u.message),
            U::EditChannelMessage(u) => Seen::Edit(&u.message),
            U::ReadHistoryOutbox(u) => Seen::ReadOutbox(u.max_id),
            U::ReadChannelOutbox(u) => Seen::ReadOutbox(u.max_id),
            _ => Seen::Nothing,
        }
    }
}

impl Record {
    /// Records what `seen` says about the conversation's chat; whether anything changed.
    fn see(&mut self, shared: &Shared, seen: &Seen<'_>, item: &Item, client: &Client) -> bool {
        let Item::Update(update) = item else {
            return false;
        };
        // Only others' messages (service messages are chat actions, not answers).
        let incoming = |raw: &enums::Message| matches!(raw, enums::Message::Message(m) if !m.out);
        match *seen {
            Seen::New(raw) if incoming(raw) => {
                if self.incoming.len() >= shared.max_messages {
                    self.failed = Some(ConversationError::TooManyMessages(shared.max_messages));
                } else {
                    let message = Message::new(client, raw.clone(), Arc::clone(&update.chats));
                    self.incoming.push(message);
                }
                true
            }
            Seen::Edit(raw) if incoming(raw) => {
                let message = Message::new(client, raw.clone(), Arc::clone(&update.chats));
                self.edits.push(message);
                true
            }
            Seen::ReadOutbox(max_id) => {
                if self.read_outbox.is_some_and(|read| read >= max_id) {
                    return false;
                }
                self.read_outbox = Some(max_id);
                true
            }
            _ => false,
        }
    }

    fn first_after(messages: &[Message], target: i32) -> usize {
        messages
            .iter()
            .position(|m| m.id() > target)
            .unwrap_or(messages.len())
    }

    /// The next response to `target`, if one arrived.
    fn take_response(&mut self, target: i32) -> Option<Message> {
        let cursor = self
            .response_cursor
            .entry(target)
            .or_insert_with(|| Self::first_after(&self.incoming, target));
        let message = self.incoming.get(*cursor)?.clone();
        *cursor += 1;
        Some(message)
    }

    /// The next reply to `target`, if one arrived; the cursor moves past it.
    fn take_reply(&mut self, target: i32, shared_cursor: bool) -> Option<Message> {
        let cursors = if shared_cursor {
            &mut self.response_cursor
        } else {
            &mut self.reply_cursor
        };
        let cursor = cursors
            .entry(target)
            .or_insert_with(|| Self::first_after(&self.incoming, target));
        let found = self.incoming[(*cursor).min(self.incoming.len())..]
            .iter()
            .position(|m| m.reply_to_message_id() == Some(target))?;
        *cursor += found + 1;
        Some(self.incoming[*cursor - 1].clone())
    }

    /// The next edit of a message newer than `target`, if one arrived.
    fn take_edit(&mut self, target: i32) -> Option<Message> {
        let cursor = self.edit_cursor.entry(target).or_insert(0);
        let found = self.edits[(*cursor).min(self.edits.len())..]
            .iter()
            .position(|m| m.id() > target)?;
        *cursor += found + 1;
        Some(self.edits[*cursor - 1].clone())
    }
}

/// Settings of a conversation about to start, from [`Client::conversation`]; await it to
/// start the conversation.
#[must_use = "a conversation starts when awaited"]
pub struct ConversationBuilder {
    client: Client,
    chat: PeerQuery,
    timeout: Option<Duration>,
    total_timeout: Option<Duration>,
    max_messages: usize,
    exclusive: bool,
    replies_are_responses: bool,
}

impl ConversationBuilder {
    /// How long each step waits by default (`None`: forever); [`DEFAULT_STEP_TIMEOUT`] unless
    /// set. A step can override it.
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }

    /// How long the whole conversation may take, from its start (default: no limit). Steps
    /// that would wait past it fail with [`ConversationError::TotalTimeout`].
    pub fn total_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.total_timeout = timeout;
        self
    }

    /// How many incoming messages the conversation keeps before it fails with
    /// [`ConversationError::TooManyMessages`] (default [`DEFAULT_MAX_MESSAGES`]).
    pub fn max_messages(mut self, max: usize) -> Self {
        self.max_messages = max;
        self
    }

    /// Whether no other conversation may go on in the chat at the same time (default `true`,
    /// as Telethon). Two non-exclusive conversations may share a chat; each sees every
    /// message.
    pub fn exclusive(mut self, exclusive: bool) -> Self {
        self.exclusive = exclusive;
        self
    }

    /// Whether a reply taken by [`Conversation::get_reply`] also counts as taken for
    /// [`Conversation::get_response`] (default `true`, Telethon's `replies_are_responses`):
    /// with it a `get_response` then a `get_reply` return different messages; without it
    /// they may return the same one.
    pub fn replies_are_responses(mut self, shared: bool) -> Self {
        self.replies_are_responses = shared;
        self
    }
}

impl IntoFuture for ConversationBuilder {
    type Output = Result<Conversation, ConversationError>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let client = self.client;
            let chat = client.resolve(self.chat).await?;
            let chat_id = chat.bot_api_id();
            let registry = &client.inner.extras().conversations;
            let shared = Arc::new(Shared {
                id: registry.next_id.fetch_add(1, Ordering::Relaxed),
                chat_id,
                exclusive: self.exclusive,
                max_messages: self.max_messages,
                record: Mutex::default(),
                changed: Notify::new(),
            });
            {
                let mut chats = lock(&registry.chats);
                let list = chats.entry(chat_id).or_default();
                if !list.is_empty() && (self.exclusive || list.iter().any(|s| s.exclusive)) {
                    return Err(ConversationError::AlreadyInConversation(chat_id));
                }
                list.push(Arc::clone(&shared));
            }
            // The dispatcher feeds conversations; it starts with the first handler or here.
            client.inner.extras().events.start(&client);
            Ok(Conversation {
                total_due: self.total_timeout.map(|t| (Instant::now() + t, t)),
                client,
                chat,
                shared,
                timeout: self.timeout,
                shared_cursor: self.replies_are_responses,
                last_sent: Mutex::new(None),
            })
        })
    }
}

/// A conversation with one chat, from [`Client::conversation`]: send through it, then await
/// what the other side does. It ends when dropped (or cancelled).
///
/// ```no_run
/// # async fn f(client: tgwire::Client) -> Result<(), tgwire::ConversationError> {
/// let conv = client.conversation("@BotFather").await?;
/// conv.send_message("/newbot").await?;
/// let question = conv.get_response().await?;
/// println!("BotFather asks: {}", question.text());
/// conv.send_message("My bot").await?;
/// let next = conv.get_response().await?;
/// println!("then: {}", next.text());
/// # Ok(())
/// # }
/// ```
pub struct Conversation {
    client: Client,
    chat: PeerRef,
    shared: Arc<Shared>,
    timeout: Option<Duration>,
    /// When the total timeout passes, and the timeout itself (for the error).
    total_due: Option<(Instant, Duration)>,
    shared_cursor: bool,
    /// The last message sent through the conversation.
    last_sent: Mutex<Option<i32>>,
}

impl std::fmt::Debug for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversation")
            .field("chat", &self.chat)
            .field("last_sent", &*lock(&self.last_sent))
            .finish_non_exhaustive()
    }
}

impl Drop for Conversation {
    fn drop(&mut self) {
        self.client
            .inner
            .extras()
            .conversations
            .remove(&self.shared);
    }
}

/// What a message step looks for.
#[derive(Clone, Copy, Debug)]
enum Want {
    Response,
    Reply,
    Edit,
}

impl Conversation {
    /// The chat.
    pub fn chat(&self) -> PeerRef {
        self.chat
    }

    /// The chat's Bot API id.
    pub fn chat_id(&self) -> i64 {
        self.shared.chat_id
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The id of the last message sent through the conversation.
    pub fn last_sent_id(&self) -> Option<i32> {
        *lock(&self.last_sent)
    }

    fn sent(&self, id: i32) {
        let mut last = lock(&self.last_sent);
        *last = Some(last.map_or(id, |last| last.max(id)));
    }

    /// Sends a message to the chat; later steps answer it unless told otherwise.
    ///
    /// # Errors
    ///
    /// As [`Client::send_message`].
    pub async fn send_message(
        &self,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        let sent = self.client.send_message(self.chat, message).await?;
        self.sent(sent.id());
        Ok(sent)
    }

    /// Sends a file to the chat; later steps answer it unless told otherwise.
    ///
    /// # Errors
    ///
    /// As [`Client::send_file`].
    pub async fn send_file(&self, media: InputMedia) -> Result<Message, FileError> {
        let sent = self.client.send_file(self.chat, media).await?;
        self.sent(sent.id());
        Ok(sent)
    }

    /// Marks the chat read (up to its newest message), as the other side will see.
    ///
    /// # Errors
    ///
    /// As [`Client::mark_read`].
    pub async fn mark_read(&self) -> Result<(), InvocationError> {
        self.client.mark_read(self.chat).await
    }

    /// The next incoming message after the last one sent (or after [`Step::to`]'s message;
    /// with nothing sent, any message since the conversation started). Each call returns the
    /// next one: two calls in a row return two different messages.
    pub fn get_response(&self) -> Step<'_, Message> {
        self.message_step(Want::Response)
    }

    /// The next incoming message that replies to the last one sent (or to [`Step::to`]'s).
    pub fn get_reply(&self) -> Step<'_, Message> {
        self.message_step(Want::Reply)
    }

    /// The next edit of an incoming message newer than the last one sent (or than
    /// [`Step::to`]'s; with nothing sent, of any message since the start).
    pub fn get_edit(&self) -> Step<'_, Message> {
        self.message_step(Want::Edit)
    }

    /// Waits until the other side has read the last message sent (or [`Step::to`]'s); at
    /// once if it already has since the conversation started.
    pub fn wait_read(&self) -> Step<'_, ()> {
        let mut step = Step::new(self);
        step.run = Box::new(move |conv, target, timeout| {
            Box::pin(async move {
                let target = target
                    .or_else(|| conv.last_sent_id())
                    .ok_or(ConversationError::NothingSent)?;
                conv.wait_for(timeout, |record| {
                    record
                        .read_outbox
                        .is_some_and(|read| read >= target)
                        .then_some(())
                })
                .await
            })
        });
        step
    }

    /// Waits for the first event `builder` builds (with its filters) from any chat, as
    /// Telethon's `wait_event`: only events that arrive after this is awaited count. Peers in
    /// the builder's filters are resolved first.
    pub fn wait_event<B: EventBuilder>(&self, mut builder: B) -> Step<'_, B::Event> {
        let mut step = Step::new(self);
        step.run = Box::new(move |conv, _target, timeout| {
            Box::pin(async move {
                let prepare = builder.prepare();
                if let Some(error) = prepare.error {
                    return Err(InvocationError::InvalidArgument(error).into());
                }
                for peers in prepare.peers {
                    peers.resolve(&conv.client).await?;
                }
                let (tx, rx) = tokio::sync::oneshot::channel();
                let mut tx = Some(tx);
                let waiter: Custom = Box::new(move |item, client| {
                    let Some(event) = builder.build(item, client) else {
                        return false;
                    };
                    if let Some(tx) = tx.take() {
                        let _ = tx.send(event);
                    }
                    true
                });
                let key = {
                    let mut record = lock(&conv.shared.record);
                    let key = record.next_custom;
                    record.next_custom += 1;
                    record.custom.insert(key, waiter);
                    key
                };
                let rx = Mutex::new(rx);
                let result = conv.wait_for(timeout, |_| lock(&rx).try_recv().ok()).await;
                // Gone if it was delivered; else it must not stay behind (a timeout).
                lock(&conv.shared.record).custom.remove(&key);
                result
            })
        });
        step
    }

    fn message_step(&self, want: Want) -> Step<'_, Message> {
        let mut step = Step::new(self);
        step.run = Box::new(move |conv, target, timeout| {
            Box::pin(async move {
                let target = match (target.or_else(|| conv.last_sent_id()), want) {
                    (Some(target), _) => target,
                    (None, Want::Reply) => return Err(ConversationError::NothingSent),
                    (None, _) => 0,
                };
                let shared_cursor = conv.shared_cursor;
                conv.wait_for(timeout, |record| match want {
                    Want::Response => record.take_response(target),
                    Want::Reply => record.take_reply(target, shared_cursor),
                    Want::Edit => record.take_edit(target),
                })
                .await
            })
        });
        step
    }

    /// Ends the conversation now: waiting steps (and later ones) fail with
    /// [`ConversationError::Cancelled`], and the chat is free for another conversation.
    pub fn cancel(&self) {
        self.shared.fail(ConversationError::Cancelled);
        self.client
            .inner
            .extras()
            .conversations
            .remove(&self.shared);
    }

    /// Cancels every conversation going on in this chat (this one included), as
    /// [`cancel`](Self::cancel) does.
    pub fn cancel_all(&self) {
        let others: Vec<Arc<Shared>> = lock(&self.client.inner.extras().conversations.chats)
            .get(&self.shared.chat_id)
            .cloned()
            .unwrap_or_default();
        for shared in others {
            shared.fail(ConversationError::Cancelled);
            self.client.inner.extras().conversations.remove(&shared);
        }
        self.cancel();
    }

    /// Waits until `take` finds what it wants in the record, the conversation fails, or a
    /// timeout passes.
    async fn wait_for<T>(
        &self,
        timeout: Option<Duration>,
        mut take: impl FnMut(&mut Record) -> Option<T>,
    ) -> Result<T, ConversationError> {
        let step_due = timeout.map(|t| (Instant::now() + t, t));
        let (due, error) = match (step_due, self.total_due) {
            (Some(step), Some(total)) if total.0 < step.0 => {
                (Some(total.0), ConversationError::TotalTimeout(total.1))
            }
            (Some(step), _) => (Some(step.0), ConversationError::Timeout(step.1)),
            (None, Some(total)) => (Some(total.0), ConversationError::TotalTimeout(total.1)),
            (None, None) => (None, ConversationError::Cancelled),
        };
        let wait = async {
            loop {
                // Registered before looking, so a change between the look and the await
                // still wakes us.
                let changed = self.shared.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                {
                    let mut record = lock(&self.shared.record);
                    if let Some(error) = &record.failed {
                        return Err(error.clone());
                    }
                    if let Some(found) = take(&mut record) {
                        return Ok(found);
                    }
                }
                changed.await;
            }
        };
        match due {
            Some(due) => tokio::time::timeout_at(due, wait)
                .await
                .unwrap_or(Err(error)),
            None => wait.await,
        }
    }
}

type RunStep<'a, T> = Box<
    dyn FnOnce(
            &'a Conversation,
            Option<i32>,
            Option<Duration>,
        ) -> BoxFuture<'a, Result<T, ConversationError>>
        + Send
        + 'a,
>;

/// One step of a [`Conversation`], with its options; await it.
#[must_use = "a step waits when awaited"]
pub struct Step<'a, T> {
    conv: &'a Conversation,
    target: Option<i32>,
    timeout: Option<Duration>,
    run: RunStep<'a, T>,
}

impl<'a, T: Send + 'a> Step<'a, T> {
    fn new(conv: &'a Conversation) -> Self {
        Step {
            conv,
            target: None,
            timeout: conv.timeout,
            run: Box::new(|_, _, _| Box::pin(async { Err(ConversationError::Cancelled) })),
        }
    }

    /// Answers message `id` instead of the last one sent through the conversation.
    pub fn to(mut self, id: i32) -> Self {
        self.target = Some(id);
        self
    }

    /// This step's timeout instead of the conversation's (`None`: no step timeout; the total
    /// timeout still holds).
    pub fn timeout(mut self, timeout: Option<Duration>) -> Self {
        self.timeout = timeout;
        self
    }
}

impl<T> std::fmt::Debug for Step<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Step")
            .field("target", &self.target)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl<'a, T: Send + 'a> IntoFuture for Step<'a, T> {
    type Output = Result<T, ConversationError>;
    type IntoFuture = BoxFuture<'a, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        (self.run)(self.conv, self.target, self.timeout)
    }
}

impl Client {
    /// Starts configuring a conversation with `chat` (Telethon's `client.conversation`); await
    /// the builder to start it. See [`Conversation`].
    ///
    /// # Errors (when awaited)
    ///
    /// [`ConversationError::AlreadyInConversation`] if an exclusive conversation with the chat
    /// is going on (or this one is exclusive and any is), and resolution errors.
    pub fn conversation(&self, chat: impl Into<PeerQuery>) -> ConversationBuilder {
        ConversationBuilder {
            client: self.clone(),
            chat: chat.into(),
            timeout: Some(DEFAULT_STEP_TIMEOUT),
            total_timeout: None,
            max_messages: DEFAULT_MAX_MESSAGES,
            exclusive: true,
            replies_are_responses: true,
        }
    }
}

/// The guide's conversations and bot commands part, `docs/conversations.md`, included so that
/// `cargo test` compiles (and runs) its examples.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/conversations.md")]
pub struct ConversationsGuide;
