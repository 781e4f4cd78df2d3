//! [`ChatAction`]: what service messages announce (joins, leaves, titles, photos, pins), and
//! the membership changes `updateChannelParticipant` reports in broadcast channels, as
//! [`ChatActionEvent`]s.

use std::sync::Arc;

use tgwire_tl_types::{enums, types};

use super::deleted::channel_bot_api_id;
use super::filters::ChatFilters;
use super::message::new_message;
use super::sealed::{Item, Prepare, Sealed};
use super::EventBuilder;
use crate::types::chat::peer_bot_api_id;
use crate::types::message::ChatMap;
use crate::{Chat, Client, InputMessage, InvocationError, Message};

/// What happened in the chat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChatActionKind {
    /// Users joined by themselves (public group, invite link, accepted join request).
    UserJoined,
    /// Someone (the [actor](ChatActionEvent::actor_id)) added users.
    UserAdded,
    /// A user left.
    UserLeft,
    /// Someone (the actor) removed a user.
    UserKicked,
    /// The group or channel was created (with [`title`](ChatActionEvent::new_title)).
    Created,
    /// The title changed.
    NewTitle,
    /// The photo changed.
    NewPhoto,
    /// The photo was removed.
    PhotoRemoved,
    /// A message was pinned ([`message_ids`](ChatActionEvent::message_ids) names it when the
    /// service message does).
    Pinned,
    /// Messages were unpinned.
    Unpinned,
}

/// Something happened in a chat: a member came or went, the title or photo changed, a
/// message was (un)pinned. Built from the service message announcing it; unpins, which have
/// none, from the pinned-messages update; and joins, leaves, additions and kicks in broadcast
/// channels, which have no service message for them, from `updateChannelParticipant` (which
/// Telegram sends to the channel's admin bots and to a bot about itself). In supergroups the
/// service message is the one event for a membership change (their admin bots also get
/// `updateChannelParticipant`, which does not make a second event; it stays available to
/// [`Raw`](super::Raw) handlers).
#[derive(Clone, Debug)]
pub struct ChatActionEvent {
    kind: ChatActionKind,
    chat_id: i64,
    actor_id: Option<i64>,
    user_ids: Vec<i64>,
    title: Option<String>,
    message_ids: Vec<i32>,
    message: Option<Message>,
    /// The users and chats of the update, for events without a message.
    chats: Option<Arc<ChatMap>>,
    client: Client,
}

impl ChatActionEvent {
    /// What happened.
    pub fn kind(&self) -> ChatActionKind {
        self.kind
    }

    /// The chat's Bot API id.
    pub fn chat_id(&self) -> i64 {
        self.chat_id
    }

    /// Who did it (the sender of the service message, or the participant update's actor): the
    /// adder, the kicker, the one who changed the title; for joins and leaves the user
    /// themselves.
    pub fn actor_id(&self) -> Option<i64> {
        self.actor_id
    }

    /// The users who joined, were added, left or were kicked.
    pub fn user_ids(&self) -> &[i64] {
        &self.user_ids
    }

    /// The first of [`user_ids`](Self::user_ids).
    pub fn user_id(&self) -> Option<i64> {
        self.user_ids.first().copied()
    }

    /// Whether users joined by themselves.
    pub fn user_joined(&self) -> bool {
        self.kind == ChatActionKind::UserJoined
    }

    /// Whether someone added users.
    pub fn user_added(&self) -> bool {
        self.kind == ChatActionKind::UserAdded
    }

    /// Whether a user left.
    pub fn user_left(&self) -> bool {
        self.kind == ChatActionKind::UserLeft
    }

    /// Whether someone removed a user.
    pub fn user_kicked(&self) -> bool {
        self.kind == ChatActionKind::UserKicked
    }

    /// Whether the chat was created.
    pub fn created(&self) -> bool {
        self.kind == ChatActionKind::Created
    }

    /// The new title (also the title a chat was created with).
    pub fn new_title(&self) -> Option<&str> {
        self.title.as_deref()
    }

    /// Whether the photo changed.
    pub fn new_photo(&self) -> bool {
        self.kind == ChatActionKind::NewPhoto
    }

    /// Whether the photo was removed.
    pub fn photo_removed(&self) -> bool {
        self.kind == ChatActionKind::PhotoRemoved
    }

    /// Whether a message was pinned.
    pub fn new_pin(&self) -> bool {
        self.kind == ChatActionKind::Pinned
    }

    /// Whether messages were unpinned.
    pub fn unpin(&self) -> bool {
        self.kind == ChatActionKind::Unpinned
    }

    /// The messages pinned or unpinned.
    pub fn message_ids(&self) -> &[i32] {
        &self.message_ids
    }

    /// The service message announcing it (none for unpins and for changes reported by
    /// `updateChannelParticipant`).
    pub fn action_message(&self) -> Option<&Message> {
        self.message.as_ref()
    }

    /// The chat: from the update, else the peer cache or the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`].
    pub async fn get_chat(&self) -> Result<Chat, InvocationError> {
        if let Some(chat) = self.message.as_ref().and_then(Message::chat) {
            return Ok(chat);
        }
        if let Some(chat) = self.known_chat(self.chat_id) {
            return Ok(chat);
        }
        self.client.get_chat(self.chat_id).await
    }

    /// The users of [`user_ids`](Self::user_ids): from the update, else the peer cache or the
    /// server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`].
    pub async fn get_users(&self) -> Result<Vec<Chat>, InvocationError> {
        let mut users = Vec::with_capacity(self.user_ids.len());
        for &id in &self.user_ids {
            let known = self.known_chat(id);
            users.push(match known {
                Some(user) => user,
                None => self.client.get_chat(id).await?,
            });
        }
        Ok(users)
    }

    /// A user or chat the update carried.
    fn known_chat(&self, bot_api_id: i64) -> Option<Chat> {
        match (&self.message, &self.chats) {
            (Some(message), _) => message.known_chat(bot_api_id),
            (None, Some(chats)) => chats.get(bot_api_id).cloned(),
            (None, None) => None,
        }
    }

    /// The pinned message, fetched from the server (for [`ChatActionKind::Pinned`]).
    ///
    /// # Errors
    ///
    /// As [`Client::get_messages`].
    pub async fn get_pinned_message(&self) -> Result<Option<Message>, InvocationError> {
        if self.kind != ChatActionKind::Pinned {
            return Ok(None);
        }
        match &self.message {
            Some(message) => message.get_reply_message().await,
            None => Ok(None),
        }
    }

    /// Sends a message to the chat.
    ///
    /// # Errors
    ///
    /// As [`Client::send_message`].
    pub async fn respond(
        &self,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        match &self.message {
            Some(service) => service.respond(message).await,
            None => self.client.send_message(self.chat_id, message).await,
        }
    }

    /// Replies to the service message (or sends to the chat, for unpins).
    ///
    /// # Errors
    ///
    /// As [`Client::send_message`].
    pub async fn reply(
        &self,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        match &self.message {
            Some(service) => service.reply(message).await,
            None => self.client.send_message(self.chat_id, message).await,
        }
    }

    /// Deletes the service message, if there is one.
    ///
    /// # Errors
    ///
    /// As [`Client::delete_messages`].
    pub async fn delete(&self) -> Result<(), InvocationError> {
        match &self.message {
            Some(service) => service.delete().await,
            None => Ok(()),
        }
    }

    /// The client, to act on the event.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Chat actions, as [`ChatActionEvent`]s.
#[derive(Clone, Debug, Default)]
pub struct ChatAction {
    filters: ChatFilters<ChatActionEvent>,
}

impl ChatAction {
    /// Every chat action.
    pub fn new() -> Self {
        Self::default()
    }

    super::filters::chat_filter_methods!(
        ChatActionEvent,
        "Only actions in these chats (resolved when the handler is registered)."
    );
}

impl Sealed for ChatAction {}

impl EventBuilder for ChatAction {
    type Event = ChatActionEvent;

    fn name(&self) -> &'static str {
        "ChatAction"
    }

    fn build(&self, item: &Item, client: &Client) -> Option<ChatActionEvent> {
        let Item::Update(update) = item else {
            return None;
        };
        let event = match &update.update {
            enums::Update::PinnedMessages(u) if !u.pinned => {
                unpinned(client, peer_bot_api_id(&u.peer), &u.messages)
            }
            enums::Update::PinnedChannelMessages(u) if !u.pinned => {
                unpinned(client, channel_bot_api_id(u.channel_id), &u.messages)
            }
            enums::Update::ChannelParticipant(u) => from_participant(client, u, &update.chats)?,
            other => {
                let raw = new_message(other)?;
                let message = Message::new(client, raw.clone(), update.chats.clone());
                from_service_message(message)?
            }
        };
        if !self.filters.chat_passes(Some(event.chat_id)) {
            return None;
        }
        self.filters.check(event)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        self.filters.prepare()
    }
}

fn unpinned(client: &Client, chat_id: i64, ids: &[i32]) -> ChatActionEvent {
    ChatActionEvent {
        kind: ChatActionKind::Unpinned,
        chat_id,
        actor_id: None,
        user_ids: Vec::new(),
        title: None,
        message_ids: ids.to_vec(),
        message: None,
        chats: None,
        client: client.clone(),
    }
}

/// Whether a participant (as `updateChannelParticipant` reports it before or after the change)
/// is in the channel: members, admins and the creator are, and so are restricted members (a
/// `channelParticipantBanned` without `left`); nobody, `channelParticipantLeft` and kicked or
/// banned users are not.
fn is_member(participant: Option<&enums::ChannelParticipant>) -> bool {
    use enums::ChannelParticipant as P;
    match participant {
        Some(P::ChannelParticipant(_))
        | Some(P::ChannelParticipantSelf(_))
        | Some(P::Creator(_))
        | Some(P::Admin(_)) => true,
        Some(P::Banned(p)) => !p.left,
        Some(P::Left(_)) | None => false,
    }
}

/// The membership change an `updateChannelParticipant` reports, for broadcast channels (in
/// supergroups the service message is the event); `None` for rights changes (promotions,
/// restrictions) and for bans of users who were not members.
fn from_participant(
    client: &Client,
    u: &types::UpdateChannelParticipant,
    chats: &Arc<ChatMap>,
) -> Option<ChatActionEvent> {
    let chat_id = channel_bot_api_id(u.channel_id);
    if !matches!(chats.get(chat_id), Some(Chat::Channel(_))) {
        return None;
    }
    let was = is_member(u.prev_participant.as_ref());
    let is = is_member(u.new_participant.as_ref());
    let by_self = u.actor_id == u.user_id;
    let kind = match (was, is) {
        (false, true) if by_self || u.invite.is_some() => ChatActionKind::UserJoined,
        (false, true) => ChatActionKind::UserAdded,
        (true, false) => {
            let banned = matches!(
                u.new_participant,
                Some(enums::ChannelParticipant::Banned(_))
            );
            if by_self && !banned {
                ChatActionKind::UserLeft
            } else {
                ChatActionKind::UserKicked
            }
        }
        _ => return None,
    };
    Some(ChatActionEvent {
        kind,
        chat_id,
        actor_id: Some(u.actor_id),
        user_ids: vec![u.user_id],
        title: None,
        message_ids: Vec::new(),
        message: None,
        chats: Some(Arc::clone(chats)),
        client: client.clone(),
    })
}

/// The chat action a service message announces; `None` for other messages and for actions
/// this event does not cover (payments, calls, gifts, …).
fn from_service_message(message: Message) -> Option<ChatActionEvent> {
    use enums::MessageAction as A;
    let chat_id = message.chat_id()?;
    let actor = message.sender_id();
    let mut title = None;
    let mut message_ids = Vec::new();
    let (kind, user_ids) = match message.action()? {
        A::ChatAddUser(a) if actor.is_some_and(|who| a.users == [who]) => {
            (ChatActionKind::UserJoined, a.users.clone())
        }
        A::ChatAddUser(a) => (ChatActionKind::UserAdded, a.users.clone()),
        A::ChatJoinedByLink(_) | A::ChatJoinedByRequest => {
            (ChatActionKind::UserJoined, actor.into_iter().collect())
        }
        A::ChatDeleteUser(a) if Some(a.user_id) == actor => {
            (ChatActionKind::UserLeft, vec![a.user_id])
        }
        A::ChatDeleteUser(a) => (ChatActionKind::UserKicked, vec![a.user_id]),
        A::ChatCreate(a) => {
            title = Some(a.title.clone());
            (ChatActionKind::Created, a.users.clone())
        }
        A::ChannelCreate(a) => {
            title = Some(a.title.clone());
            (ChatActionKind::Created, Vec::new())
        }
        A::ChatEditTitle(a) => {
            title = Some(a.title.clone());
            (ChatActionKind::NewTitle, Vec::new())
        }
        A::ChatEditPhoto(_) => (ChatActionKind::NewPhoto, Vec::new()),
        A::ChatDeletePhoto => (ChatActionKind::PhotoRemoved, Vec::new()),
        A::PinMessage => {
            message_ids.extend(message.reply_to_message_id());
            (ChatActionKind::Pinned, Vec::new())
        }
        _ => return None,
    };
    Some(ChatActionEvent {
        kind,
        chat_id,
        actor_id: actor,
        user_ids,
        title: title.map(Into::into),
        message_ids,
        chats: None,
        client: message.client().clone(),
        message: Some(message),
    })
}
