//! Sending, editing, deleting, forwarding, pinning and reading messages.

use std::sync::Arc;

use rand::Rng;
use tgwire_session::PeerRef;
use tgwire_tl_types::{enums, functions, types};

use crate::text::{parse_html, parse_markdown, MessageEntity};
use crate::types::chat::{input_channel, input_peer, input_user};
use crate::types::message::ChatMap;
use crate::{Client, InvocationError, Message, PeerQuery};

/// A message to send or an edit to make: text (plain, markdown or HTML) and options.
///
/// ```
/// use tgwire::InputMessage;
///
/// let message = InputMessage::markdown("**Hello** from _tgwire_ 👋")
///     .reply_to(Some(42))
///     .link_preview(false)
///     .silent(true);
/// assert_eq!(message.plain_text(), "Hello from tgwire 👋");
/// assert_eq!(message.entities().len(), 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct InputMessage {
    pub(crate) text: String,
    pub(crate) entities: Vec<MessageEntity>,
    pub(crate) reply_to: Option<i32>,
    pub(crate) link_preview: bool,
    pub(crate) silent: bool,
    pub(crate) background: bool,
    pub(crate) clear_draft: bool,
    pub(crate) schedule_date: Option<i32>,
    pub(crate) reply_markup: Option<enums::ReplyMarkup>,
}

impl InputMessage {
    /// Plain text, sent as it is.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            link_preview: true,
            ..Self::default()
        }
    }

    /// Text with Telegram-flavoured markdown (see [`parse_markdown`]).
    pub fn markdown(markdown: &str) -> Self {
        let (text, entities) = parse_markdown(markdown);
        Self {
            entities,
            ..Self::text(text)
        }
    }

    /// Text with Telegram's HTML subset (see [`parse_html`]).
    pub fn html(html: &str) -> Self {
        let (text, entities) = parse_html(html);
        Self {
            entities,
            ..Self::text(text)
        }
    }

    /// Sets the formatting directly.
    #[must_use]
    pub fn with_entities(mut self, entities: Vec<MessageEntity>) -> Self {
        self.entities = entities;
        self
    }

    /// Replies to message `id` of the same chat (`None`: not a reply).
    #[must_use]
    pub fn reply_to(mut self, id: Option<i32>) -> Self {
        self.reply_to = id;
        self
    }

    /// Whether a preview of the first link is shown (default true).
    #[must_use]
    pub fn link_preview(mut self, show: bool) -> Self {
        self.link_preview = show;
        self
    }

    /// Sends without a notification sound.
    #[must_use]
    pub fn silent(mut self, silent: bool) -> Self {
        self.silent = silent;
        self
    }

    /// Sends "in the background" (as apps do for scheduled sends).
    #[must_use]
    pub fn background(mut self, background: bool) -> Self {
        self.background = background;
        self
    }

    /// Clears the chat's draft when sending.
    #[must_use]
    pub fn clear_draft(mut self, clear: bool) -> Self {
        self.clear_draft = clear;
        self
    }

    /// Schedules the message for a Unix time instead of sending it now.
    #[must_use]
    pub fn schedule(mut self, unix_time: Option<i32>) -> Self {
        self.schedule_date = unix_time;
        self
    }

    /// Attaches a keyboard or other reply markup.
    #[must_use]
    pub fn reply_markup(mut self, markup: Option<enums::ReplyMarkup>) -> Self {
        self.reply_markup = markup;
        self
    }

    /// Attaches buttons: rows of [`InlineButton`](crate::InlineButton)s or
    /// [`ReplyButton`](crate::ReplyButton)s, or any [`ReplyMarkup`](crate::ReplyMarkup)
    /// (a keyboard with options, a forced reply, a keyboard removal). Only bots' markup is
    /// kept by Telegram.
    #[must_use]
    pub fn buttons(mut self, markup: impl Into<crate::ReplyMarkup>) -> Self {
        self.reply_markup = Some(markup.into().into());
        self
    }

    /// The markup that will be attached, if any.
    pub fn markup(&self) -> Option<&enums::ReplyMarkup> {
        self.reply_markup.as_ref()
    }

    /// The plain text (after markup was parsed).
    pub fn plain_text(&self) -> &str {
        &self.text
    }

    /// The formatting.
    pub fn entities(&self) -> &[MessageEntity] {
        &self.entities
    }

    /// Mentions by user id become the input form with the user's access hash from the cache,
    /// which is what Telegram requires when sending.
    pub(crate) fn input_entities(&self, client: &Client) -> Option<Vec<MessageEntity>> {
        if self.entities.is_empty() {
            return None;
        }
        let storage = client.session();
        Some(
            self.entities
                .iter()
                .map(|e| match e {
                    enums::MessageEntity::MentionName(m) => {
                        match storage.peer_ref(m.user_id).and_then(input_user) {
                            Some(user_id) => types::InputMessageEntityMentionName {
                                offset: m.offset,
                                length: m.length,
                                user_id,
                            }
                            .into(),
                            None => e.clone(),
                        }
                    }
                    _ => e.clone(),
                })
                .collect(),
        )
    }
}

impl From<&str> for InputMessage {
    fn from(text: &str) -> Self {
        InputMessage::text(text)
    }
}

impl From<String> for InputMessage {
    fn from(text: String) -> Self {
        InputMessage::text(text)
    }
}

impl Client {
    /// Sends a text message and returns it as the server stored it.
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client) -> Result<(), tgwire::InvocationError> {
    /// use tgwire::InputMessage;
    /// client.send_message("me", "plain text").await?;
    /// client.send_message("@friend", InputMessage::markdown("**bold** and `code`")).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// Peer resolution errors, and the server's (`MESSAGE_EMPTY`, `CHAT_WRITE_FORBIDDEN`,
    /// flood waits above the threshold, …).
    pub async fn send_message(
        &self,
        chat: impl Into<PeerQuery>,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        let peer = self.resolve(chat).await?;
        let message = message.into();
        let random_id: i64 = rand::thread_rng().gen();
        let request = functions::messages::SendMessage {
            no_webpage: !message.link_preview,
            silent: message.silent,
            background: message.background,
            clear_draft: message.clear_draft,
            noforwards: false,
            update_stickersets_order: false,
            invert_media: false,
            allow_paid_floodskip: false,
            peer: input_peer(peer),
            reply_to: message.reply_to.map(reply_header),
            message: message.text.clone().into(),
            random_id,
            reply_markup: message.reply_markup.clone(),
            entities: message.input_entities(self),
            schedule_date: message.schedule_date,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            allow_paid_stars: None,
            suggested_post: None,
            rich_message: None,
        };
        let updates = self.invoke(&request).await?;
        if let enums::Updates::UpdateShortSentMessage(short) = &updates {
            return Ok(self.message_from_short(peer, &message, short));
        }
        self.messages_from_updates(updates, Some(&[random_id]))
            .into_iter()
            .next()
            .ok_or(InvocationError::UnexpectedAnswer(
                "sendMessage without the new message",
            ))
    }

    /// Replaces the text (and formatting) of message `id`.
    ///
    /// # Errors
    ///
    /// `MESSAGE_NOT_MODIFIED`, `MESSAGE_ID_INVALID`, `MESSAGE_AUTHOR_REQUIRED` and others.
    pub async fn edit_message(
        &self,
        chat: impl Into<PeerQuery>,
        id: i32,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        let peer = self.resolve(chat).await?;
        let message = message.into();
        let request = functions::messages::EditMessage {
            no_webpage: !message.link_preview,
            invert_media: false,
            peer: input_peer(peer),
            id,
            message: Some(message.text.clone().into()),
            media: None,
            reply_markup: message.reply_markup.clone(),
            entities: message.input_entities(self),
            schedule_date: message.schedule_date,
            schedule_repeat_period: None,
            quick_reply_shortcut_id: None,
            rich_message: None,
        };
        let updates = self.invoke(&request).await?;
        self.messages_from_updates(updates, None)
            .into_iter()
            .find(|m| m.id() == id)
            .ok_or(InvocationError::UnexpectedAnswer(
                "editMessage without the message",
            ))
    }

    /// Deletes messages; `revoke` deletes them for everyone, not only for us (always the case
    /// in channels and megagroups). Returns how many were deleted.
    ///
    /// # Errors
    ///
    /// `MESSAGE_DELETE_FORBIDDEN` and others.
    pub async fn delete_messages(
        &self,
        chat: impl Into<PeerQuery>,
        ids: &[i32],
        revoke: bool,
    ) -> Result<usize, InvocationError> {
        let peer = self.resolve(chat).await?;
        let affected = match input_channel(peer) {
            Some(channel) => {
                self.invoke(&functions::channels::DeleteMessages {
                    channel,
                    id: ids.to_vec(),
                })
                .await?
            }
            None => {
                self.invoke(&functions::messages::DeleteMessages {
                    revoke,
                    id: ids.to_vec(),
                })
                .await?
            }
        };
        let enums::messages::AffectedMessages::AffectedMessages(affected) = affected;
        Ok(usize::try_from(affected.pts_count).unwrap_or(0))
    }

    /// Forwards messages `ids` of chat `from` to chat `to`; returns the new messages.
    ///
    /// # Errors
    ///
    /// `MESSAGE_ID_INVALID`, `CHAT_FORWARDS_RESTRICTED` and others.
    pub async fn forward_messages(
        &self,
        to: impl Into<PeerQuery>,
        ids: &[i32],
        from: impl Into<PeerQuery>,
    ) -> Result<Vec<Message>, InvocationError> {
        let to = self.resolve(to).await?;
        let from = self.resolve(from).await?;
        let random_ids: Vec<i64> = {
            let mut rng = rand::thread_rng();
            ids.iter().map(|_| rng.gen()).collect()
        };
        let request = functions::messages::ForwardMessages {
            silent: false,
            background: false,
            with_my_score: false,
            drop_author: false,
            drop_media_captions: false,
            noforwards: false,
            allow_paid_floodskip: false,
            from_ephemeral: false,
            from_peer: input_peer(from),
            id: ids.to_vec(),
            random_id: random_ids.clone(),
            to_peer: input_peer(to),
            top_msg_id: None,
            reply_to: None,
            schedule_date: None,
            schedule_repeat_period: None,
            send_as: None,
            quick_reply_shortcut: None,
            effect: None,
            video_timestamp: None,
            allow_paid_stars: None,
            suggested_post: None,
        };
        let updates = self.invoke(&request).await?;
        Ok(self.messages_from_updates(updates, Some(&random_ids)))
    }

    /// Pins message `id` (with a notification, as apps do by default) and returns the service
    /// message announcing the pin (`None` when the server posted none).
    ///
    /// # Errors
    ///
    /// `CHAT_ADMIN_REQUIRED`, `MESSAGE_ID_INVALID` and others.
    pub async fn pin_message(
        &self,
        chat: impl Into<PeerQuery>,
        id: i32,
    ) -> Result<Option<Message>, InvocationError> {
        self.update_pin(chat.into(), id, false).await
    }

    /// Unpins message `id`.
    ///
    /// # Errors
    ///
    /// As [`pin_message`](Self::pin_message).
    pub async fn unpin_message(
        &self,
        chat: impl Into<PeerQuery>,
        id: i32,
    ) -> Result<(), InvocationError> {
        self.update_pin(chat.into(), id, true).await.map(drop)
    }

    /// Unpins every pinned message of `chat`.
    ///
    /// # Errors
    ///
    /// As [`pin_message`](Self::pin_message).
    pub async fn unpin_all_messages(
        &self,
        chat: impl Into<PeerQuery>,
    ) -> Result<(), InvocationError> {
        let peer = self.resolve(chat).await?;
        // Like deleteHistory, the answer's offset asks for another call while more remain.
        for _ in 0..1000 {
            let enums::messages::AffectedHistory::AffectedHistory(affected) = self
                .invoke(&functions::messages::UnpinAllMessages {
                    peer: input_peer(peer),
                    top_msg_id: None,
                    saved_peer_id: None,
                })
                .await?;
            if affected.offset <= 0 {
                break;
            }
        }
        Ok(())
    }

    async fn update_pin(
        &self,
        chat: PeerQuery,
        id: i32,
        unpin: bool,
    ) -> Result<Option<Message>, InvocationError> {
        let peer = self.resolve(chat).await?;
        let updates = self
            .invoke(&functions::messages::UpdatePinnedMessage {
                silent: false,
                unpin,
                pm_oneside: false,
                peer: input_peer(peer),
                id,
            })
            .await?;
        Ok(self
            .messages_from_updates(updates, None)
            .into_iter()
            .find(Message::is_service))
    }

    /// Messages scheduled for `chat` and not sent yet, the latest scheduled first.
    ///
    /// # Errors
    ///
    /// Peer resolution and server errors.
    pub async fn get_scheduled_messages(
        &self,
        chat: impl Into<PeerQuery>,
    ) -> Result<Vec<Message>, InvocationError> {
        let peer = self.resolve(chat).await?;
        let answer = self
            .invoke(&functions::messages::GetScheduledHistory {
                peer: input_peer(peer),
                hash: 0,
            })
            .await?;
        Ok(self.messages_from_answer(answer))
    }

    /// Marks everything in `chat` as read.
    ///
    /// # Errors
    ///
    /// Peer resolution and server errors.
    pub async fn mark_read(&self, chat: impl Into<PeerQuery>) -> Result<(), InvocationError> {
        let peer = self.resolve(chat).await?;
        match input_channel(peer) {
            Some(channel) => {
                self.invoke(&functions::channels::ReadHistory { channel, max_id: 0 })
                    .await?;
            }
            None => {
                self.invoke(&functions::messages::ReadHistory {
                    peer: input_peer(peer),
                    max_id: 0,
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Marks every mention of us in `chat` as read (the "@" badge of the chat list), leaving
    /// the rest of the history unread; [`mark_read`](Self::mark_read) reads the mentions it
    /// covers too. Telegram tells our other sessions with a contents read
    /// ([`MessageRead`](crate::events::MessageRead) with
    /// [`contents_ids`](crate::events::MessageReadEvent::contents_ids)), and the unread ones
    /// are listed by [`MessageIter::unread_mentions`](crate::MessageIter::unread_mentions).
    ///
    /// # Errors
    ///
    /// Peer resolution and server errors.
    pub async fn read_mentions(&self, chat: impl Into<PeerQuery>) -> Result<(), InvocationError> {
        let peer = self.resolve(chat).await?;
        // Like deleteHistory, the answer's offset asks for another call while more remain.
        for _ in 0..1000 {
            let enums::messages::AffectedHistory::AffectedHistory(affected) = self
                .invoke(&functions::messages::ReadMentions {
                    peer: input_peer(peer),
                    top_msg_id: None,
                })
                .await?;
            if affected.offset <= 0 {
                break;
            }
        }
        Ok(())
    }

    /// Fetches messages by id; `None` where a message does not exist (or was deleted).
    ///
    /// # Errors
    ///
    /// Peer resolution and server errors.
    pub async fn get_messages(
        &self,
        chat: impl Into<PeerQuery>,
        ids: &[i32],
    ) -> Result<Vec<Option<Message>>, InvocationError> {
        let peer = self.resolve(chat).await?;
        let input: Vec<enums::InputMessage> = ids
            .iter()
            .map(|&id| types::InputMessageId { id }.into())
            .collect();
        let answer = match input_channel(peer) {
            Some(channel) => {
                self.invoke(&functions::channels::GetMessages { channel, id: input })
                    .await?
            }
            None => {
                self.invoke(&functions::messages::GetMessages { id: input })
                    .await?
            }
        };
        let messages = self.messages_from_answer(answer);
        Ok(ids
            .iter()
            .map(|id| {
                messages
                    .iter()
                    .find(|m| m.id() == *id && !matches!(m.raw(), enums::Message::Empty(_)))
                    .cloned()
            })
            .collect())
    }

    /// Saves (or with empty text, clears) the draft of `chat`.
    ///
    /// # Errors
    ///
    /// Peer resolution and server errors.
    pub async fn save_draft(
        &self,
        chat: impl Into<PeerQuery>,
        message: impl Into<InputMessage>,
    ) -> Result<(), InvocationError> {
        let peer = self.resolve(chat).await?;
        let message = message.into();
        self.invoke(&functions::messages::SaveDraft {
            no_webpage: !message.link_preview,
            invert_media: false,
            reply_to: message.reply_to.map(reply_header),
            peer: input_peer(peer),
            message: message.text.clone().into(),
            entities: message.input_entities(self),
            media: None,
            effect: None,
            suggested_post: None,
            rich_message: None,
        })
        .await?;
        Ok(())
    }

    /// Messages of a `messages.Messages` answer, with the chats it carries.
    pub(crate) fn messages_from_answer(&self, answer: enums::messages::Messages) -> Vec<Message> {
        let (messages, users, chats) = match answer {
            enums::messages::Messages::Messages(m) => (m.messages, m.users, m.chats),
            enums::messages::Messages::Slice(m) => (m.messages, m.users, m.chats),
            enums::messages::Messages::ChannelMessages(m) => (m.messages, m.users, m.chats),
            enums::messages::Messages::NotModified(_) => return Vec::new(),
        };
        let map = ChatMap::new(&users, &chats);
        messages
            .into_iter()
            .map(|raw| Message::new(self, raw, Arc::clone(&map)))
            .collect()
    }

    /// The new or edited messages an `Updates` answer carries; with `random_ids`, only those
    /// the request created (matched through `updateMessageID`), in that order.
    pub(crate) fn messages_from_updates(
        &self,
        updates: enums::Updates,
        random_ids: Option<&[i64]>,
    ) -> Vec<Message> {
        let (list, users, chats) = match updates {
            enums::Updates::Updates(u) => (u.updates, u.users, u.chats),
            enums::Updates::Combined(u) => (u.updates, u.users, u.chats),
            enums::Updates::UpdateShort(u) => (vec![u.update], Vec::new(), Vec::new()),
            _ => return Vec::new(),
        };
        let map = ChatMap::new(&users, &chats);
        let mut ids_by_random = Vec::new();
        let mut messages = Vec::new();
        for update in list {
            match update {
                enums::Update::MessageId(u) => ids_by_random.push((u.random_id, u.id)),
                enums::Update::NewMessage(u) => messages.push(u.message),
                enums::Update::NewChannelMessage(u) => messages.push(u.message),
                enums::Update::NewScheduledMessage(u) => messages.push(u.message),
                enums::Update::EditMessage(u) => messages.push(u.message),
                enums::Update::EditChannelMessage(u) => messages.push(u.message),
                _ => {}
            }
        }
        let wrap = |raw| Message::new(self, raw, Arc::clone(&map));
        match random_ids {
            None => messages.into_iter().map(wrap).collect(),
            Some(randoms) => randoms
                .iter()
                .filter_map(|random| {
                    let (_, id) = ids_by_random.iter().find(|(r, _)| r == random)?;
                    let index = messages.iter().position(|m| message_id(m) == *id)?;
                    Some(wrap(messages.swap_remove(index)))
                })
                .collect(),
        }
    }

    /// The message Telegram described only by id and date (`updateShortSentMessage`), rebuilt
    /// from what was sent.
    fn message_from_short(
        &self,
        peer: PeerRef,
        sent: &InputMessage,
        short: &types::UpdateShortSentMessage,
    ) -> Message {
        let me = self.session().self_user().map(|me| me.id);
        let peer_id: enums::Peer = match peer.kind() {
            k if k.is_user() => types::PeerUser { user_id: peer.id() }.into(),
            k if k.is_basic_group() => types::PeerChat { chat_id: peer.id() }.into(),
            _ => types::PeerChannel {
                channel_id: peer.id(),
            }
            .into(),
        };
        let raw = types::Message {
            out: short.out,
            mentioned: false,
            media_unread: false,
            silent: sent.silent,
            post: false,
            from_scheduled: false,
            legacy: false,
            edit_hide: false,
            pinned: false,
            noforwards: false,
            invert_media: false,
            offline: false,
            video_processing_pending: false,
            paid_suggested_post_stars: false,
            paid_suggested_post_ton: false,
            id: short.id,
            from_id: me.map(|user_id| types::PeerUser { user_id }.into()),
            from_boosts_applied: None,
            from_rank: None,
            peer_id,
            saved_peer_id: None,
            fwd_from: None,
            via_bot_id: None,
            via_business_bot_id: None,
            guestchat_via_from: None,
            reply_to: sent.reply_to.map(|id| {
                types::MessageReplyHeader {
                    reply_to_scheduled: false,
                    forum_topic: false,
                    quote: false,
                    reply_to_ephemeral: false,
                    reply_to_msg_id: Some(id),
                    reply_to_peer_id: None,
                    reply_from: None,
                    reply_media: None,
                    reply_to_top_id: None,
                    quote_text: None,
                    quote_entities: None,
                    quote_offset: None,
                    todo_item_id: None,
                    poll_option: None,
                }
                .into()
            }),
            date: short.date,
            message: sent.text.clone().into(),
            media: short.media.clone(),
            reply_markup: sent.reply_markup.clone(),
            entities: short
                .entities
                .clone()
                .or_else(|| (!sent.entities.is_empty()).then(|| sent.entities.clone())),
            views: None,
            forwards: None,
            replies: None,
            edit_date: None,
            post_author: None,
            grouped_id: None,
            reactions: None,
            restriction_reason: None,
            ttl_period: short.ttl_period,
            quick_reply_shortcut_id: None,
            effect: None,
            factcheck: None,
            report_delivery_until_date: None,
            paid_message_stars: None,
            suggested_post: None,
            schedule_repeat_period: None,
            summary_from_language: None,
            rich_message: None,
        };
        Message::new(self, raw.into(), ChatMap::new(&[], &[]))
    }
}

pub(crate) fn reply_header(id: i32) -> enums::InputReplyTo {
    types::InputReplyToMessage {
        reply_to_msg_id: id,
        top_msg_id: None,
        reply_to_peer_id: None,
        quote_text: None,
        quote_entities: None,
        quote_offset: None,
        monoforum_peer_id: None,
        todo_item_id: None,
        poll_option: None,
    }
    .into()
}

fn message_id(message: &enums::Message) -> i32 {
    match message {
        enums::Message::Message(m) => m.id,
        enums::Message::Service(m) => m.id,
        enums::Message::Empty(m) => m.id,
    }
}
