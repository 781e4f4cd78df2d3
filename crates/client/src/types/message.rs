//! [`Message`]: a message with the chats it mentions, and the client to act on it.

use std::collections::HashMap;
use std::sync::Arc;

use tgwire_session::PeerRef;
use tgwire_tl_types::enums;

use super::chat::{peer_bot_api_id, Chat};
use crate::text::{unparse_html, unparse_markdown, MessageEntity};
use crate::{Client, InputMessage, InvocationError};

/// The users and chats an answer carried, by Bot API id, so that messages can name their chat
/// and sender without another request.
#[derive(Debug, Default)]
pub(crate) struct ChatMap(HashMap<i64, Chat>);

impl ChatMap {
    pub(crate) fn new(users: &[enums::User], chats: &[enums::Chat]) -> Arc<Self> {
        let mut map = HashMap::with_capacity(users.len() + chats.len());
        for user in users {
            let chat = Chat::from_raw_user(user.clone());
            map.insert(chat.bot_api_id(), chat);
        }
        for chat in chats.iter().cloned().filter_map(Chat::from_raw_chat) {
            map.insert(chat.bot_api_id(), chat);
        }
        Arc::new(ChatMap(map))
    }

    pub(crate) fn get(&self, bot_api_id: i64) -> Option<&Chat> {
        self.0.get(&bot_api_id)
    }
}

/// What a message carries besides text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MediaKind {
    /// A photo.
    Photo,
    /// A document: file, video, audio, voice note, sticker, animation.
    Document,
    /// A location (static or live) or venue.
    Location,
    /// A shared contact.
    Contact,
    /// A link preview.
    WebPage,
    /// A poll.
    Poll,
    /// A dice roll.
    Dice,
    /// Anything else (games, invoices, stories, giveaways, …).
    Other,
}

/// A message, with friendly accessors and methods that act on it.
///
/// It keeps a handle on the client, so `message.reply("…")` works anywhere.
#[derive(Clone)]
pub struct Message {
    raw: enums::Message,
    chats: Arc<ChatMap>,
    client: Client,
}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("id", &self.id())
            .field("chat", &self.chat_id())
            .field("text", &self.text())
            .finish_non_exhaustive()
    }
}

impl Message {
    pub(crate) fn new(client: &Client, raw: enums::Message, chats: Arc<ChatMap>) -> Self {
        Message {
            raw,
            chats,
            client: client.clone(),
        }
    }

    /// The raw TL object (`message`, `messageService` or `messageEmpty`).
    pub fn raw(&self) -> &enums::Message {
        &self.raw
    }

    /// The message id (unique per chat for channels and megagroups, per account otherwise).
    pub fn id(&self) -> i32 {
        match &self.raw {
            enums::Message::Message(m) => m.id,
            enums::Message::Service(m) => m.id,
            enums::Message::Empty(m) => m.id,
        }
    }

    /// The text (the caption for media); empty for service messages.
    pub fn text(&self) -> &str {
        match &self.raw {
            enums::Message::Message(m) => &m.message,
            _ => "",
        }
    }

    /// The formatting of [`text`](Self::text), offsets in UTF-16 code units.
    pub fn entities(&self) -> &[MessageEntity] {
        match &self.raw {
            enums::Message::Message(m) => m.entities.as_deref().unwrap_or_default(),
            _ => &[],
        }
    }

    /// The text with its formatting as markdown.
    pub fn markdown_text(&self) -> String {
        unparse_markdown(self.text(), self.entities())
    }

    /// The text with its formatting as HTML.
    pub fn html_text(&self) -> String {
        unparse_html(self.text(), self.entities())
    }

    /// When it was sent (Unix time).
    pub fn date(&self) -> i32 {
        match &self.raw {
            enums::Message::Message(m) => m.date,
            enums::Message::Service(m) => m.date,
            enums::Message::Empty(_) => 0,
        }
    }

    /// When it was last edited (Unix time), if ever.
    pub fn edit_date(&self) -> Option<i32> {
        match &self.raw {
            enums::Message::Message(m) => m.edit_date,
            _ => None,
        }
    }

    /// Whether the signed-in account sent it.
    pub fn outgoing(&self) -> bool {
        match &self.raw {
            enums::Message::Message(m) => m.out,
            enums::Message::Service(m) => m.out,
            enums::Message::Empty(_) => false,
        }
    }

    /// Whether this is a service message (someone joined, the title changed, …).
    pub fn is_service(&self) -> bool {
        matches!(self.raw, enums::Message::Service(_))
    }

    /// Whether it is pinned.
    pub fn is_pinned(&self) -> bool {
        matches!(&self.raw, enums::Message::Message(m) if m.pinned)
    }

    /// Whether it mentions us (our username or account, or a reply to one of our messages).
    pub fn is_mentioned(&self) -> bool {
        match &self.raw {
            enums::Message::Message(m) => m.mentioned,
            enums::Message::Service(m) => m.mentioned,
            enums::Message::Empty(_) => false,
        }
    }

    /// Whether it mentions us and we have not read the mention yet (Telegram's `mentioned`
    /// with `media_unread`; [`Client::read_mentions`] or reading the chat clears it).
    pub fn is_unread_mention(&self) -> bool {
        match &self.raw {
            enums::Message::Message(m) => m.mentioned && m.media_unread,
            enums::Message::Service(m) => m.mentioned && m.media_unread,
            enums::Message::Empty(_) => false,
        }
    }

    /// Whether it was sent silently.
    pub fn is_silent(&self) -> bool {
        match &self.raw {
            enums::Message::Message(m) => m.silent,
            enums::Message::Service(m) => m.silent,
            enums::Message::Empty(_) => false,
        }
    }

    fn peer(&self) -> Option<&enums::Peer> {
        match &self.raw {
            enums::Message::Message(m) => Some(&m.peer_id),
            enums::Message::Service(m) => Some(&m.peer_id),
            enums::Message::Empty(m) => m.peer_id.as_ref(),
        }
    }

    /// The chat's Bot API id (users positive, groups negative, channels `-100…`).
    pub fn chat_id(&self) -> Option<i64> {
        self.peer().map(peer_bot_api_id)
    }

    /// The chat it was sent in, when the answer that brought the message described it.
    pub fn chat(&self) -> Option<Chat> {
        self.chats.get(self.chat_id()?).cloned()
    }

    /// The sender's Bot API id: the `from_id`, or in private chats the other user (or us, for
    /// outgoing messages). `None` for anonymous channel posts.
    pub fn sender_id(&self) -> Option<i64> {
        let from = match &self.raw {
            enums::Message::Message(m) => m.from_id.as_ref(),
            enums::Message::Service(m) => m.from_id.as_ref(),
            enums::Message::Empty(_) => None,
        };
        if let Some(from) = from {
            return Some(peer_bot_api_id(from));
        }
        match self.peer()? {
            enums::Peer::User(user) if !self.outgoing() => Some(user.user_id),
            enums::Peer::User(_) => self.client.session().self_user().map(|me| me.id),
            _ => None,
        }
    }

    /// The sender, when known (see [`sender_id`](Self::sender_id)).
    pub fn sender(&self) -> Option<Chat> {
        self.chats.get(self.sender_id()?).cloned()
    }

    /// The id of the message this one replies to.
    pub fn reply_to_message_id(&self) -> Option<i32> {
        let header = match &self.raw {
            enums::Message::Message(m) => m.reply_to.as_ref(),
            enums::Message::Service(m) => m.reply_to.as_ref(),
            enums::Message::Empty(_) => None,
        };
        match header? {
            enums::MessageReplyHeader::MessageReplyHeader(h) => h.reply_to_msg_id,
            _ => None,
        }
    }

    /// The keyboard or other markup a bot attached.
    pub fn reply_markup(&self) -> Option<&enums::ReplyMarkup> {
        match &self.raw {
            enums::Message::Message(m) => m.reply_markup.as_ref(),
            _ => None,
        }
    }

    /// What media the message carries, if any.
    pub fn media_kind(&self) -> Option<MediaKind> {
        let enums::Message::Message(m) = &self.raw else {
            return None;
        };
        use enums::MessageMedia as M;
        Some(match m.media.as_ref()? {
            M::Empty => return None,
            M::Photo(_) => MediaKind::Photo,
            M::Document(_) => MediaKind::Document,
            M::Geo(_) | M::GeoLive(_) | M::Venue(_) => MediaKind::Location,
            M::Contact(_) => MediaKind::Contact,
            M::WebPage(_) => MediaKind::WebPage,
            M::Poll(_) => MediaKind::Poll,
            M::Dice(_) => MediaKind::Dice,
            _ => MediaKind::Other,
        })
    }

    /// Whether it was sent in a private chat (with a user or bot).
    pub fn is_private(&self) -> bool {
        matches!(self.peer(), Some(enums::Peer::User(_)))
    }

    /// Whether it was sent in a group (basic group or megagroup).
    pub fn is_group(&self) -> bool {
        match self.peer() {
            Some(enums::Peer::Chat(_)) => true,
            Some(enums::Peer::Channel(_)) => !self.is_channel_post(),
            _ => false,
        }
    }

    /// Whether it was posted in a broadcast channel.
    pub fn is_channel(&self) -> bool {
        matches!(self.peer(), Some(enums::Peer::Channel(_))) && self.is_channel_post()
    }

    /// Whether the chat is a broadcast channel: from the chat object when the update described
    /// it, otherwise from the message's `post` flag (set on every broadcast post).
    fn is_channel_post(&self) -> bool {
        match self.chat() {
            Some(Chat::Channel(_)) => true,
            Some(_) => false,
            None => match &self.raw {
                enums::Message::Message(m) => m.post,
                enums::Message::Service(m) => m.post,
                enums::Message::Empty(_) => false,
            },
        }
    }

    /// Where a forwarded message came from; `None` if it is not a forward.
    pub fn forward_header(&self) -> Option<&enums::MessageFwdHeader> {
        match &self.raw {
            enums::Message::Message(m) => m.fwd_from.as_ref(),
            _ => None,
        }
    }

    /// Whether it is a forward.
    pub fn is_forward(&self) -> bool {
        self.forward_header().is_some()
    }

    /// The album it belongs to: messages sent together share this id.
    pub fn grouped_id(&self) -> Option<i64> {
        match &self.raw {
            enums::Message::Message(m) => m.grouped_id,
            _ => None,
        }
    }

    /// What a service message announces (someone joined, a new title, a pin, …).
    pub fn action(&self) -> Option<&enums::MessageAction> {
        match &self.raw {
            enums::Message::Service(m) => Some(&m.action),
            _ => None,
        }
    }

    /// The client this message acts through.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A user or chat the answer (or update) that brought this message described, by Bot API
    /// id.
    pub(crate) fn known_chat(&self, bot_api_id: i64) -> Option<Chat> {
        self.chats.get(bot_api_id).cloned()
    }

    /// The chat it was sent in: from the answer that brought it, else from the peer cache or
    /// the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`]; [`InvocationError::PeerNotFound`] for a message without a chat.
    pub async fn get_chat(&self) -> Result<Chat, InvocationError> {
        if let Some(chat) = self.chat() {
            return Ok(chat);
        }
        let id = self
            .chat_id()
            .ok_or_else(|| InvocationError::PeerNotFound("message without a chat".into()))?;
        self.client.get_chat(id).await
    }

    /// The sender: from the answer that brought the message, else from the peer cache or the
    /// server; `None` for anonymous channel posts.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`].
    pub async fn get_sender(&self) -> Result<Option<Chat>, InvocationError> {
        if let Some(sender) = self.sender() {
            return Ok(Some(sender));
        }
        match self.sender_id() {
            Some(id) => self.client.get_chat(id).await.map(Some),
            None => Ok(None),
        }
    }

    /// A reference to the chat, for acting on the message.
    pub(crate) fn chat_ref(&self) -> Result<PeerRef, InvocationError> {
        let id = self
            .chat_id()
            .ok_or_else(|| InvocationError::PeerNotFound("message without a chat".into()))?;
        if let Some(peer) = self.chats.get(id).and_then(Chat::peer_ref) {
            return Ok(peer);
        }
        self.client
            .session()
            .peer_ref(id)
            .ok_or_else(|| InvocationError::PeerNotFound(id.to_string()))
    }

    /// Replies to this message in its chat.
    ///
    /// # Errors
    ///
    /// As [`Client::send_message`].
    pub async fn reply(
        &self,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        let message = message.into().reply_to(Some(self.id()));
        self.client.send_message(self.chat_ref()?, message).await
    }

    /// Sends a message to this message's chat (not as a reply).
    ///
    /// # Errors
    ///
    /// As [`Client::send_message`].
    pub async fn respond(
        &self,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        self.client.send_message(self.chat_ref()?, message).await
    }

    /// Replaces this message's text.
    ///
    /// # Errors
    ///
    /// As [`Client::edit_message`].
    pub async fn edit(&self, message: impl Into<InputMessage>) -> Result<Message, InvocationError> {
        self.client
            .edit_message(self.chat_ref()?, self.id(), message)
            .await
    }

    /// Deletes this message for everyone.
    ///
    /// # Errors
    ///
    /// As [`Client::delete_messages`].
    pub async fn delete(&self) -> Result<(), InvocationError> {
        self.client
            .delete_messages(self.chat_ref()?, &[self.id()], true)
            .await
            .map(drop)
    }

    /// Forwards this message to `chat`.
    ///
    /// # Errors
    ///
    /// As [`Client::forward_messages`].
    pub async fn forward_to(
        &self,
        chat: impl Into<crate::PeerQuery>,
    ) -> Result<Message, InvocationError> {
        let mut sent = self
            .client
            .forward_messages(chat, &[self.id()], self.chat_ref()?)
            .await?;
        sent.pop().ok_or(InvocationError::UnexpectedAnswer(
            "forward without a new message",
        ))
    }

    /// Pins this message; returns the service message announcing it, if any.
    ///
    /// # Errors
    ///
    /// As [`Client::pin_message`].
    pub async fn pin(&self) -> Result<Option<Message>, InvocationError> {
        self.client.pin_message(self.chat_ref()?, self.id()).await
    }

    /// Unpins this message.
    ///
    /// # Errors
    ///
    /// As [`Client::unpin_message`].
    pub async fn unpin(&self) -> Result<(), InvocationError> {
        self.client.unpin_message(self.chat_ref()?, self.id()).await
    }

    /// The message this one replies to, fetched from the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_messages`].
    pub async fn get_reply_message(&self) -> Result<Option<Message>, InvocationError> {
        let Some(id) = self.reply_to_message_id() else {
            return Ok(None);
        };
        let mut found = self.client.get_messages(self.chat_ref()?, &[id]).await?;
        Ok(found.pop().flatten())
    }
}
