//! [`CallbackQuery`] (a button of a bot's message was pressed) and [`InlineQuery`] (someone
//! typed `@bot query`): the events and their filters. Answering them belongs to the bots API;
//! meanwhile `messages.setBotCallbackAnswer` / `messages.setInlineBotResults` through
//! [`Client::invoke`] take the [`query_id`](CallbackQueryEvent::query_id).

use std::sync::Arc;

use tgwire_tl_types::enums;

use super::filters::{ChatFilter, PeerFilter, Predicate};
use super::sealed::{Item, Prepare, Sealed};
use super::EventBuilder;
use crate::types::chat::peer_bot_api_id;
use crate::{Chat, Client, InvocationError, Message, PeerQuery};

/// A user pressed a callback button of a bot's message.
#[derive(Clone, Debug)]
pub struct CallbackQueryEvent {
    query_id: i64,
    user_id: i64,
    chat_id: Option<i64>,
    message_id: Option<i32>,
    inline_message_id: Option<enums::InputBotInlineMessageId>,
    chat_instance: i64,
    data: Option<Vec<u8>>,
    game_short_name: Option<String>,
    pattern: Option<Arc<regex::bytes::Regex>>,
    client: Client,
}

impl CallbackQueryEvent {
    /// The query's id, to answer it with.
    pub fn query_id(&self) -> i64 {
        self.query_id
    }

    /// Who pressed the button.
    pub fn sender_id(&self) -> i64 {
        self.user_id
    }

    /// The chat of the message with the button (`None` for messages sent via inline mode).
    pub fn chat_id(&self) -> Option<i64> {
        self.chat_id
    }

    /// The message with the button (`None` for messages sent via inline mode).
    pub fn message_id(&self) -> Option<i32> {
        self.message_id
    }

    /// For messages sent via inline mode, the id that addresses the message.
    pub fn inline_message_id(&self) -> Option<&enums::InputBotInlineMessageId> {
        self.inline_message_id.as_ref()
    }

    /// Whether the message was sent via inline mode.
    pub fn via_inline(&self) -> bool {
        self.inline_message_id.is_some()
    }

    /// A global id of the chat the message is in (the same for every user).
    pub fn chat_instance(&self) -> i64 {
        self.chat_instance
    }

    /// The button's data.
    pub fn data(&self) -> Option<&[u8]> {
        self.data.as_deref()
    }

    /// For game buttons, the game's short name.
    pub fn game_short_name(&self) -> Option<&str> {
        self.game_short_name.as_deref()
    }

    /// The captures of the builder's `pattern` in the data (Telethon's `data_match`).
    pub fn data_match(&self) -> Option<regex::bytes::Captures<'_>> {
        self.pattern.as_ref()?.captures(self.data.as_deref()?)
    }

    /// Who pressed the button, from the peer cache or the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`].
    pub async fn get_sender(&self) -> Result<Chat, InvocationError> {
        self.client.get_chat(self.user_id).await
    }

    /// The chat of the message, from the peer cache or the server.
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

    /// The message with the button, fetched from the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_messages`].
    pub async fn get_message(&self) -> Result<Option<Message>, InvocationError> {
        let (Some(chat), Some(id)) = (self.chat_id, self.message_id) else {
            return Ok(None);
        };
        let mut found = self.client.get_messages(chat, &[id]).await?;
        Ok(found.pop().flatten())
    }

    /// The client, to act on the event.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Callback queries, as [`CallbackQueryEvent`]s.
#[derive(Clone, Debug, Default)]
pub struct CallbackQuery {
    chat: ChatFilter,
    data: Option<Vec<u8>>,
    pattern: Option<Arc<regex::bytes::Regex>>,
    error: Option<String>,
    predicate: Predicate<CallbackQueryEvent>,
}

impl CallbackQuery {
    /// Every callback query.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only queries on messages in these chats (resolved when the handler is registered).
    pub fn chats<I, P>(mut self, chats: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PeerQuery>,
    {
        self.chat.chats.extend(chats);
        self
    }

    /// With `true`, [`chats`](Self::chats) lists the chats to ignore instead.
    pub fn blacklist_chats(mut self, blacklist: bool) -> Self {
        self.chat.blacklist = blacklist;
        self
    }

    /// Only buttons whose data is exactly `data`.
    pub fn data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = Some(data.into());
        self
    }

    /// Only buttons whose data matches this regular expression (over bytes); the captures are
    /// in [`CallbackQueryEvent::data_match`]. A bad expression makes registration fail.
    pub fn pattern(mut self, pattern: &str) -> Self {
        match regex::bytes::Regex::new(pattern) {
            Ok(re) => {
                self.pattern = Some(Arc::new(re));
                self.error = None;
            }
            Err(e) => self.error = Some(format!("bad pattern {pattern:?}: {e}")),
        }
        self
    }

    /// Only events for which `predicate` returns `true`.
    pub fn filter(
        mut self,
        predicate: impl Fn(&CallbackQueryEvent) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.predicate.set(predicate);
        self
    }
}

impl Sealed for CallbackQuery {}

impl EventBuilder for CallbackQuery {
    type Event = CallbackQueryEvent;

    fn name(&self) -> &'static str {
        "CallbackQuery"
    }

    fn build(&self, item: &Item, client: &Client) -> Option<CallbackQueryEvent> {
        let Item::Update(update) = item else {
            return None;
        };
        let event = match &update.update {
            enums::Update::BotCallbackQuery(u) => CallbackQueryEvent {
                query_id: u.query_id,
                user_id: u.user_id,
                chat_id: Some(peer_bot_api_id(&u.peer)),
                message_id: Some(u.msg_id),
                inline_message_id: None,
                chat_instance: u.chat_instance,
                data: u.data.clone(),
                game_short_name: u.game_short_name.clone(),
                pattern: self.pattern.clone(),
                client: client.clone(),
            },
            enums::Update::InlineBotCallbackQuery(u) => CallbackQueryEvent {
                query_id: u.query_id,
                user_id: u.user_id,
                chat_id: None,
                message_id: None,
                inline_message_id: Some(u.msg_id.clone()),
                chat_instance: u.chat_instance,
                data: u.data.clone(),
                game_short_name: u.game_short_name.clone(),
                pattern: self.pattern.clone(),
                client: client.clone(),
            },
            _ => return None,
        };
        if !self.chat.passes(event.chat_id) {
            return None;
        }
        if self
            .data
            .as_ref()
            .is_some_and(|want| event.data() != Some(want))
        {
            return None;
        }
        if let Some(re) = &self.pattern {
            if !event.data().is_some_and(|data| re.is_match(data)) {
                return None;
            }
        }
        self.predicate.passes(&event).then_some(event)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        Prepare {
            error: self.error.clone(),
            peers: vec![&mut self.chat.chats],
        }
    }
}

/// Someone typed `@yourbot query` in a chat.
#[derive(Clone, Debug)]
pub struct InlineQueryEvent {
    query_id: i64,
    user_id: i64,
    text: String,
    offset: String,
    geo: Option<enums::GeoPoint>,
    peer_type: Option<enums::InlineQueryPeerType>,
    pattern: Option<Arc<regex::Regex>>,
    client: Client,
}

impl InlineQueryEvent {
    /// The query's id, to answer it with.
    pub fn query_id(&self) -> i64 {
        self.query_id
    }

    /// Who typed it.
    pub fn sender_id(&self) -> i64 {
        self.user_id
    }

    /// What they typed after the bot's username.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The offset of the results to return (for the next page).
    pub fn offset(&self) -> &str {
        &self.offset
    }

    /// Where the user is, if the bot asks for locations.
    pub fn geo(&self) -> Option<&enums::GeoPoint> {
        self.geo.as_ref()
    }

    /// What kind of chat the query was typed in.
    pub fn peer_type(&self) -> Option<&enums::InlineQueryPeerType> {
        self.peer_type.as_ref()
    }

    /// The captures of the builder's `pattern` in the text (Telethon's `pattern_match`).
    pub fn pattern_match(&self) -> Option<regex::Captures<'_>> {
        self.pattern.as_ref()?.captures(&self.text)
    }

    /// Who typed it, from the peer cache or the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`].
    pub async fn get_sender(&self) -> Result<Chat, InvocationError> {
        self.client.get_chat(self.user_id).await
    }

    /// The client, to act on the event.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Inline queries, as [`InlineQueryEvent`]s.
#[derive(Clone, Debug, Default)]
pub struct InlineQuery {
    users: ChatFilter,
    pattern: super::filters::Pattern,
    predicate: Predicate<InlineQueryEvent>,
}

impl InlineQuery {
    /// Every inline query.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only queries from these users (resolved when the handler is registered).
    pub fn users<I, P>(mut self, users: I) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PeerQuery>,
    {
        let filter: &mut PeerFilter = &mut self.users.chats;
        filter.extend(users);
        self
    }

    /// With `true`, [`users`](Self::users) lists the users to ignore instead.
    pub fn blacklist_users(mut self, blacklist: bool) -> Self {
        self.users.blacklist = blacklist;
        self
    }

    /// Only queries whose text matches this regular expression; the captures are in
    /// [`InlineQueryEvent::pattern_match`]. A bad expression makes registration fail.
    pub fn pattern(mut self, pattern: &str) -> Self {
        self.pattern.set(pattern);
        self
    }

    /// Only events for which `predicate` returns `true`.
    pub fn filter(
        mut self,
        predicate: impl Fn(&InlineQueryEvent) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.predicate.set(predicate);
        self
    }
}

impl Sealed for InlineQuery {}

impl EventBuilder for InlineQuery {
    type Event = InlineQueryEvent;

    fn name(&self) -> &'static str {
        "InlineQuery"
    }

    fn build(&self, item: &Item, client: &Client) -> Option<InlineQueryEvent> {
        let Item::Update(update) = item else {
            return None;
        };
        let enums::Update::BotInlineQuery(u) = &update.update else {
            return None;
        };
        if !self.users.passes(Some(u.user_id)) || !self.pattern.passes(&u.query) {
            return None;
        }
        let event = InlineQueryEvent {
            query_id: u.query_id,
            user_id: u.user_id,
            text: u.query.clone(),
            offset: u.offset.clone(),
            geo: u.geo.clone(),
            peer_type: u.peer_type.clone(),
            pattern: self.pattern.regex().cloned(),
            client: client.clone(),
        };
        self.predicate.passes(&event).then_some(event)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        Prepare {
            error: self.pattern.error(),
            peers: vec![&mut self.users.chats],
        }
    }
}
