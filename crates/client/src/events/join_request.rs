//! [`JoinRequest`]: someone asked to join a chat through an invite link that needs an admin's
//! approval, as [`JoinRequestEvent`]s (the Bot API's `chat_join_request`).

use tgwire_tl_types::enums;

use super::filters::ChatFilters;
use super::sealed::{Item, Prepare, Sealed};
use super::EventBuilder;
use crate::types::chat::peer_bot_api_id;
use crate::{Chat, Client, InviteLink, InvocationError, User};

/// A request to join a group or channel we may invite to, to approve or decline.
///
/// Telegram sends it (`updateBotChatInviteRequester`) to the bots among the chat's admins who
/// may invite users; people who administer the chat get `updatePendingJoinRequests` instead
/// (a [`Raw`](super::Raw) event with the count and the latest requesters) and list the
/// requests with [`Client::join_requests`].
#[derive(Clone, Debug)]
pub struct JoinRequestEvent {
    chat_id: i64,
    chat: Option<Chat>,
    user_id: i64,
    user: Option<User>,
    date: i32,
    about: String,
    invite: Option<InviteLink>,
    client: Client,
}

impl JoinRequestEvent {
    /// The group or channel asked about, as a Bot API id.
    pub fn chat_id(&self) -> i64 {
        self.chat_id
    }

    /// The chat, as the update carried it.
    pub fn chat(&self) -> Option<&Chat> {
        self.chat.as_ref()
    }

    /// Who asked.
    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    /// Who asked, as the update carried them.
    pub fn user(&self) -> Option<&User> {
        self.user.as_ref()
    }

    /// When they asked (Unix time).
    pub fn date(&self) -> i32 {
        self.date
    }

    /// Their bio when they asked (empty if they have none).
    pub fn about(&self) -> &str {
        &self.about
    }

    /// The link they used; `None` when they asked from the chat's public page (a public
    /// chat that needs approval to join).
    pub fn invite(&self) -> Option<&InviteLink> {
        self.invite.as_ref()
    }

    /// Lets them in (`messages.hideChatJoinRequest` approving): they join as through the
    /// link.
    ///
    /// # Errors
    ///
    /// As [`Client::approve_join_request`] (`HIDE_REQUESTER_MISSING` once answered).
    pub async fn approve(&self) -> Result<(), InvocationError> {
        self.client
            .approve_join_request(self.chat_id, self.user_id)
            .await
    }

    /// Turns the request down.
    ///
    /// # Errors
    ///
    /// As [`Client::decline_join_request`].
    pub async fn decline(&self) -> Result<(), InvocationError> {
        self.client
            .decline_join_request(self.chat_id, self.user_id)
            .await
    }

    /// The client, to act on the event.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Requests to join chats we administer, as [`JoinRequestEvent`]s (bots only receive them).
#[derive(Clone, Debug, Default)]
pub struct JoinRequest {
    filters: ChatFilters<JoinRequestEvent>,
}

impl JoinRequest {
    /// Every join request.
    pub fn new() -> Self {
        Self::default()
    }

    super::filters::chat_filter_methods!(
        JoinRequestEvent,
        "Only requests to join these chats (resolved when the handler is registered)."
    );
}

impl Sealed for JoinRequest {}

impl EventBuilder for JoinRequest {
    type Event = JoinRequestEvent;

    fn name(&self) -> &'static str {
        "JoinRequest"
    }

    fn build(&self, item: &Item, client: &Client) -> Option<JoinRequestEvent> {
        let Item::Update(update) = item else {
            return None;
        };
        let enums::Update::BotChatInviteRequester(u) = &update.update else {
            return None;
        };
        let chat_id = peer_bot_api_id(&u.peer);
        if !self.filters.chat_passes(Some(chat_id)) {
            return None;
        }
        let user = match update.chat(u.user_id) {
            Some(Chat::User(user)) => Some(user.clone()),
            _ => None,
        };
        let event = JoinRequestEvent {
            chat_id,
            chat: update.chat(chat_id).cloned(),
            user_id: u.user_id,
            user,
            date: u.date,
            about: u.about.to_string(),
            invite: InviteLink::from_exported(u.invite.clone()),
            client: client.clone(),
        };
        self.filters.check(event)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        self.filters.prepare()
    }
}
