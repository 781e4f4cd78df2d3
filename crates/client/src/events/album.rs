//! [`Album`]: the messages of one album (one `grouped_id`) gathered into one
//! [`AlbumEvent`].
//!
//! Telegram sends an album's messages as separate new-message updates; the dispatcher gathers
//! those of one chat and `grouped_id` from the first one on for [`ALBUM_WAIT`] and then hands
//! them out together. Each message is also a [`NewMessage`](super::NewMessage) on its own.

use std::sync::Arc;
use std::time::Duration;

use super::filters::ChatFilters;
use super::sealed::{Item, Prepare, Sealed};
use super::EventBuilder;
use crate::{Chat, Client, InputMessage, InvocationError, Message, PeerQuery};

/// How long the dispatcher gathers an album's messages after the first one arrives. An
/// album's messages come in one container, so they are handed out back to back; the wait only
/// has to cover the time the engine takes between them.
pub const ALBUM_WAIT: Duration = Duration::from_millis(500);

/// The messages of one album, in the order they arrived (their ids ascending).
#[derive(Clone, Debug)]
pub struct AlbumEvent {
    messages: Arc<Vec<Message>>,
}

impl AlbumEvent {
    fn first(&self) -> &Message {
        // The dispatcher never gathers an empty album.
        &self.messages[0]
    }

    /// The messages.
    pub fn messages(&self) -> &[Message] {
        &self.messages
    }

    /// The album's id (shared by its messages).
    pub fn grouped_id(&self) -> Option<i64> {
        self.first().grouped_id()
    }

    /// The chat's Bot API id.
    pub fn chat_id(&self) -> Option<i64> {
        self.first().chat_id()
    }

    /// The sender's Bot API id.
    pub fn sender_id(&self) -> Option<i64> {
        self.first().sender_id()
    }

    /// The album's caption: the first non-empty text among its messages.
    pub fn text(&self) -> &str {
        self.messages
            .iter()
            .map(Message::text)
            .find(|t| !t.is_empty())
            .unwrap_or("")
    }

    /// The chat, when the update described it.
    pub fn chat(&self) -> Option<Chat> {
        self.first().chat()
    }

    /// The sender, when the update described them.
    pub fn sender(&self) -> Option<Chat> {
        self.first().sender()
    }

    /// The chat: from the update, else the peer cache or the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`].
    pub async fn get_chat(&self) -> Result<Chat, InvocationError> {
        self.first().get_chat().await
    }

    /// The sender: from the update, else the peer cache or the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`].
    pub async fn get_sender(&self) -> Result<Option<Chat>, InvocationError> {
        self.first().get_sender().await
    }

    /// Replies to the album (to its first message).
    ///
    /// # Errors
    ///
    /// As [`Client::send_message`].
    pub async fn reply(
        &self,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        self.first().reply(message).await
    }

    /// Sends a message to the album's chat.
    ///
    /// # Errors
    ///
    /// As [`Client::send_message`].
    pub async fn respond(
        &self,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        self.first().respond(message).await
    }

    /// Replaces the caption (on the message that has it, else the first).
    ///
    /// # Errors
    ///
    /// As [`Client::edit_message`].
    pub async fn edit(&self, message: impl Into<InputMessage>) -> Result<Message, InvocationError> {
        let captioned = self
            .messages
            .iter()
            .find(|m| !m.text().is_empty())
            .unwrap_or(self.first());
        captioned.edit(message).await
    }

    /// Deletes every message of the album, for everyone.
    ///
    /// # Errors
    ///
    /// As [`Client::delete_messages`].
    pub async fn delete(&self) -> Result<(), InvocationError> {
        let first = self.first();
        let chat = first.get_chat().await?;
        let ids: Vec<i32> = self.messages.iter().map(Message::id).collect();
        first
            .client()
            .delete_messages(&chat, &ids, true)
            .await
            .map(drop)
    }

    /// Forwards the whole album to `chat`.
    ///
    /// # Errors
    ///
    /// As [`Client::forward_messages`].
    pub async fn forward_to(
        &self,
        chat: impl Into<PeerQuery>,
    ) -> Result<Vec<Message>, InvocationError> {
        let first = self.first();
        let from = first.get_chat().await?;
        let ids: Vec<i32> = self.messages.iter().map(Message::id).collect();
        first.client().forward_messages(chat, &ids, &from).await
    }

    /// The client, to act on the event.
    pub fn client(&self) -> &Client {
        self.first().client()
    }
}

/// Albums, as [`AlbumEvent`]s.
#[derive(Clone, Debug, Default)]
pub struct Album {
    filters: ChatFilters<AlbumEvent>,
}

impl Album {
    /// Every album.
    pub fn new() -> Self {
        Self::default()
    }

    super::filters::chat_filter_methods!(
        AlbumEvent,
        "Only albums in these chats (resolved when the handler is registered)."
    );
}

impl Sealed for Album {}

impl EventBuilder for Album {
    type Event = AlbumEvent;

    fn name(&self) -> &'static str {
        "Album"
    }

    fn build(&self, item: &Item, _client: &Client) -> Option<AlbumEvent> {
        let Item::Album(messages) = item else {
            return None;
        };
        let first = messages.first()?;
        if !self.filters.chat_passes(first.chat_id()) {
            return None;
        }
        let event = AlbumEvent {
            messages: Arc::clone(messages),
        };
        self.filters.check(event)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        self.filters.prepare()
    }

    fn wants_albums(&self) -> bool {
        true
    }
}
