//! [`MessageDeleted`]: messages deleted for everyone, as [`MessageDeletedEvent`]s.

use tgwire_tl_types::enums;

use super::filters::ChatFilters;
use super::sealed::{Item, Prepare, Sealed};
use super::EventBuilder;
use crate::{Chat, Client, InvocationError};

/// Messages were deleted.
///
/// Telegram names the chat only for channels and megagroups (their message ids are per chat);
/// in private chats and basic groups ids are per account, and the update says only which.
#[derive(Clone, Debug)]
pub struct MessageDeletedEvent {
    ids: Vec<i32>,
    chat_id: Option<i64>,
    client: Client,
}

impl MessageDeletedEvent {
    /// The ids of the deleted messages.
    pub fn deleted_ids(&self) -> &[i32] {
        &self.ids
    }

    /// The first deleted id (Telethon's `deleted_id`).
    pub fn deleted_id(&self) -> Option<i32> {
        self.ids.first().copied()
    }

    /// The chat's Bot API id, when the update names it (channels and megagroups).
    pub fn chat_id(&self) -> Option<i64> {
        self.chat_id
    }

    /// The chat, when the update names it, from the peer cache or the server.
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

/// Deleted messages, as [`MessageDeletedEvent`]s.
///
/// With a [`chats`](Self::chats) list, deletions whose chat is unknown (private chats and
/// basic groups) never match; as a blacklist they always do.
#[derive(Clone, Debug, Default)]
pub struct MessageDeleted {
    filters: ChatFilters<MessageDeletedEvent>,
}

impl MessageDeleted {
    /// Every deletion.
    pub fn new() -> Self {
        Self::default()
    }

    super::filters::chat_filter_methods!(
        MessageDeletedEvent,
        "Only deletions in these chats (resolved when the handler is registered)."
    );
}

impl Sealed for MessageDeleted {}

impl EventBuilder for MessageDeleted {
    type Event = MessageDeletedEvent;

    fn name(&self) -> &'static str {
        "MessageDeleted"
    }

    fn build(&self, item: &Item, client: &Client) -> Option<MessageDeletedEvent> {
        let Item::Update(update) = item else {
            return None;
        };
        let (ids, chat_id) = match &update.update {
            enums::Update::DeleteMessages(u) => (&u.messages, None),
            enums::Update::DeleteChannelMessages(u) => {
                (&u.messages, Some(channel_bot_api_id(u.channel_id)))
            }
            _ => return None,
        };
        if !self.filters.chat_passes(chat_id) {
            return None;
        }
        let event = MessageDeletedEvent {
            ids: ids.clone(),
            chat_id,
            client: client.clone(),
        };
        self.filters.check(event)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        self.filters.prepare()
    }
}

/// A channel's Bot API id from its bare id.
pub(crate) fn channel_bot_api_id(channel_id: i64) -> i64 {
    -(tgwire_session::BOT_API_CHANNEL_OFFSET + channel_id)
}
