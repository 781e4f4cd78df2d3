//! [`CallbackQuery`] (a button of a bot's message was pressed) and [`InlineQuery`] (someone
//! typed `@bot query`): the events, their filters, and answering them
//! ([`CallbackQueryEvent::answer`], [`InlineQueryEvent::answer`]).
//!
//! The user who pressed a button waits for the answer (apps show a spinner); Telegram gives
//! the bot a few seconds before the user's call fails with `BOT_RESPONSE_TIMEOUT`, so answer
//! first and do slow work afterwards.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;

use tgwire_tl_types::{enums, functions};

use super::filters::{ChatFilter, PeerFilter, Predicate};
use super::sealed::{Item, Prepare, Sealed};
use super::EventBuilder;
use crate::bots::{InlineAnswer, InputInlineResult};
use crate::types::chat::peer_bot_api_id;
use crate::{Chat, Client, InputMessage, InvocationError, Message, PeerQuery};

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

    /// Answers the query; without options the user's app just stops waiting. Set a
    /// [`text`](CallbackAnswerBuilder::text) (a toast, or with
    /// [`alert`](CallbackAnswerBuilder::alert) a dialog), a [`url`](CallbackAnswerBuilder::url)
    /// or a [`cache_time`](CallbackAnswerBuilder::cache_time), then `.await` it.
    ///
    /// ```no_run
    /// # async fn f(event: tgwire::events::CallbackQueryEvent) -> Result<(), tgwire::InvocationError> {
    /// event.answer().text("Saved").alert(true).await?;
    /// # Ok(()) }
    /// ```
    pub fn answer(&self) -> CallbackAnswerBuilder {
        CallbackAnswerBuilder {
            client: self.client.clone(),
            query_id: self.query_id,
            text: None,
            alert: false,
            url: None,
            cache_time: 0,
        }
    }

    /// Edits the message with the button (text, formatting and buttons: an edit without
    /// [`buttons`](InputMessage::buttons) removes them). Returns the edited message, or `None`
    /// for a message sent via inline mode (edited by its inline id, which returns nothing).
    ///
    /// # Errors
    ///
    /// As [`Client::edit_message`] (`MESSAGE_NOT_MODIFIED`, …).
    pub async fn edit(
        &self,
        message: impl Into<InputMessage>,
    ) -> Result<Option<Message>, InvocationError> {
        let message = message.into();
        if let Some(id) = &self.inline_message_id {
            self.client
                .invoke(&functions::messages::EditInlineBotMessage {
                    no_webpage: !message.link_preview,
                    invert_media: false,
                    id: id.clone(),
                    message: Some(message.text.clone().into()),
                    media: None,
                    reply_markup: message.reply_markup.clone(),
                    entities: message.input_entities(&self.client),
                    rich_message: None,
                })
                .await?;
            return Ok(None);
        }
        let (Some(chat), Some(id)) = (self.chat_id, self.message_id) else {
            return Err(InvocationError::InvalidArgument(
                "a callback query without a message".into(),
            ));
        };
        self.client.edit_message(chat, id, message).await.map(Some)
    }

    /// Deletes the message with the button (for everyone).
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] for messages sent via inline mode (bots cannot
    /// delete those); otherwise as [`Client::delete_messages`].
    pub async fn delete(&self) -> Result<(), InvocationError> {
        let (Some(chat), Some(id)) = (self.chat_id, self.message_id) else {
            return Err(InvocationError::InvalidArgument(
                "messages sent via inline mode cannot be deleted by the bot".into(),
            ));
        };
        self.client
            .delete_messages(chat, &[id], true)
            .await
            .map(drop)
    }
}

/// A callback query's answer being built (see [`CallbackQueryEvent::answer`]); `.await` (or
/// [`send`](Self::send)) sends it.
#[must_use = "an answer does nothing until awaited"]
#[derive(Debug)]
pub struct CallbackAnswerBuilder {
    client: Client,
    query_id: i64,
    text: Option<String>,
    alert: bool,
    url: Option<String>,
    cache_time: i32,
}

impl CallbackAnswerBuilder {
    /// Text to show (at most 200 characters), as a toast unless [`alert`](Self::alert).
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Shows the text as a dialog the user must close.
    pub fn alert(mut self, alert: bool) -> Self {
        self.alert = alert;
        self
    }

    /// A URL for the app to open: a game's, or a `t.me/yourbot?start=…` link.
    pub fn url(mut self, url: impl Into<String>) -> Self {
        self.url = Some(url.into());
        self
    }

    /// How long (seconds) apps may reuse this answer for the same button.
    pub fn cache_time(mut self, seconds: i32) -> Self {
        self.cache_time = seconds;
        self
    }

    /// Sends the answer (`messages.setBotCallbackAnswer`).
    ///
    /// # Errors
    ///
    /// `QUERY_ID_INVALID` when the user stopped waiting (too late) or it was answered
    /// already; `MESSAGE_TOO_LONG`, …
    pub async fn send(self) -> Result<(), InvocationError> {
        self.client
            .invoke(&functions::messages::SetBotCallbackAnswer {
                alert: self.alert,
                query_id: self.query_id,
                message: self.text.map(Into::into),
                url: self.url.map(Into::into),
                cache_time: self.cache_time,
            })
            .await?;
        Ok(())
    }
}

impl IntoFuture for CallbackAnswerBuilder {
    type Output = Result<(), InvocationError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// Callback queries, as [`CallbackQueryEvent`]s.
#[derive(Clone, Debug, Default)]
pub struct CallbackQuery {
    chat: ChatFilter,
    data: Option<Vec<u8>>,
    prefix: Option<Vec<u8>>,
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

    /// Only buttons whose data starts with `prefix` (`b"page:"` for `page:1`, `page:2`, …).
    pub fn data_prefix(mut self, prefix: impl Into<Vec<u8>>) -> Self {
        self.prefix = Some(prefix.into());
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
                data: u.data.as_deref().map(<[u8]>::to_vec),
                game_short_name: u.game_short_name.clone().map(Into::into),
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
                data: u.data.as_deref().map(<[u8]>::to_vec),
                game_short_name: u.game_short_name.clone().map(Into::into),
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
        if self
            .prefix
            .as_ref()
            .is_some_and(|prefix| !event.data().is_some_and(|d| d.starts_with(prefix)))
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

    /// Answers the query with `results` (at most 50); set the answer's options on the builder,
    /// then `.await` it.
    ///
    /// ```no_run
    /// # async fn f(event: tgwire::events::InlineQueryEvent) -> Result<(), tgwire::InvocationError> {
    /// use tgwire::InputInlineResult;
    /// let page: usize = event.offset().parse().unwrap_or(0);
    /// let results = (page..page + 10)
    ///     .map(|n| InputInlineResult::article(format!("#{n}"), format!("{} #{n}", event.text())).id(n.to_string()));
    /// event
    ///     .answer(results)
    ///     .cache_time(60)
    ///     .next_offset((page + 10).to_string())
    ///     .switch_pm("Settings", "settings")
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn answer(&self, results: impl IntoIterator<Item = InputInlineResult>) -> InlineAnswer {
        InlineAnswer::new(
            self.client.clone(),
            self.query_id,
            results.into_iter().collect(),
        )
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
            text: u.query.to_string(),
            offset: u.offset.to_string(),
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
