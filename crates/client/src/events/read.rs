//! [`MessageRead`]: read receipts, as [`MessageReadEvent`]s.

use tgwire_tl_types::enums;

use super::deleted::channel_bot_api_id;
use super::filters::ChatFilters;
use super::sealed::{Item, Prepare, Sealed};
use super::EventBuilder;
use crate::types::chat::peer_bot_api_id;
use crate::{Chat, Client, InvocationError, Message};

/// Messages in a chat were read, up to an id: by us on another device (inbox) or by the other
/// side (outbox); or the contents of some messages were opened (voice notes, round videos).
#[derive(Clone, Debug)]
pub struct MessageReadEvent {
    chat_id: Option<i64>,
    max_id: i32,
    outbox: bool,
    still_unread: Option<i32>,
    contents: Option<Vec<i32>>,
    client: Client,
}

impl MessageReadEvent {
    /// The chat's Bot API id (unknown only for contents read outside channels).
    pub fn chat_id(&self) -> Option<i64> {
        self.chat_id
    }

    /// Every message up to this id (included) is read; 0 for contents reads.
    pub fn max_id(&self) -> i32 {
        self.max_id
    }

    /// Whether others read what we sent.
    pub fn outbox(&self) -> bool {
        self.outbox
    }

    /// Whether we read what others sent (on this or another device).
    pub fn inbox(&self) -> bool {
        !self.outbox
    }

    /// For inbox reads, how many messages are still unread in the chat.
    pub fn still_unread_count(&self) -> Option<i32> {
        self.still_unread
    }

    /// For contents reads (a voice note listened to, …), which messages; `None` for history
    /// reads.
    pub fn contents_ids(&self) -> Option<&[i32]> {
        self.contents.as_deref()
    }

    /// Whether this read covers `message` (same chat, and at or below
    /// [`max_id`](Self::max_id), or among the contents ids).
    pub fn is_read(&self, message: &Message) -> bool {
        if let Some(ids) = &self.contents {
            return ids.contains(&message.id());
        }
        message.chat_id() == self.chat_id && message.id() <= self.max_id
    }

    /// The chat, from the peer cache or the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`].
    pub async fn get_chat(&self) -> Result<Option<Chat>, InvocationError> {
        match self.chat_id {
            Some(id) => self.client.get_chat(id).await.map(Some),
            None => Ok(None),
        }
    }

    /// The client, to act on the event.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Read receipts, as [`MessageReadEvent`]s: by default both directions (Telethon's default is
/// outbox only: say [`outbox`](Self::outbox) for that).
#[derive(Clone, Debug, Default)]
pub struct MessageRead {
    /// `Some(true)`: only outbox; `Some(false)`: only inbox.
    outbox: Option<bool>,
    filters: ChatFilters<MessageReadEvent>,
}

impl MessageRead {
    /// Every read, both directions.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only reads of what others sent (by this account, on any device).
    pub fn inbox(mut self) -> Self {
        self.outbox = Some(false);
        self
    }

    /// Only reads of what this account sent (by the other side).
    pub fn outbox(mut self) -> Self {
        self.outbox = Some(true);
        self
    }

    super::filters::chat_filter_methods!(
        MessageReadEvent,
        "Only reads in these chats (resolved when the handler is registered)."
    );
}

impl Sealed for MessageRead {}

impl EventBuilder for MessageRead {
    type Event = MessageReadEvent;

    fn name(&self) -> &'static str {
        "MessageRead"
    }

    fn build(&self, item: &Item, client: &Client) -> Option<MessageReadEvent> {
        let Item::Update(update) = item else {
            return None;
        };
        use enums::Update as U;
        let (chat_id, max_id, outbox, still_unread, contents) = match &update.update {
            U::ReadHistoryInbox(u) => (
                Some(peer_bot_api_id(&u.peer)),
                u.max_id,
                false,
                Some(u.still_unread_count),
                None,
            ),
            U::ReadHistoryOutbox(u) => (Some(peer_bot_api_id(&u.peer)), u.max_id, true, None, None),
            U::ReadChannelInbox(u) => (
                Some(channel_bot_api_id(u.channel_id)),
                u.max_id,
                false,
                Some(u.still_unread_count),
                None,
            ),
            U::ReadChannelOutbox(u) => (
                Some(channel_bot_api_id(u.channel_id)),
                u.max_id,
                true,
                None,
                None,
            ),
            U::ReadMessagesContents(u) => (None, 0, false, None, Some(u.messages.clone())),
            U::ChannelReadMessagesContents(u) => (
                Some(channel_bot_api_id(u.channel_id)),
                0,
                false,
                None,
                Some(u.messages.clone()),
            ),
            _ => return None,
        };
        if self.outbox.is_some_and(|want| want != outbox) || !self.filters.chat_passes(chat_id) {
            return None;
        }
        let event = MessageReadEvent {
            chat_id,
            max_id,
            outbox,
            still_unread,
            contents,
            client: client.clone(),
        };
        self.filters.check(event)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        self.filters.prepare()
    }
}
