//! [`UserUpdate`]: someone is typing (or uploading, recording, …) or went on- or offline, as
//! [`UserUpdateEvent`]s.

use tgwire_tl_types::enums;

use super::deleted::channel_bot_api_id;
use super::filters::ChatFilters;
use super::sealed::{Item, Prepare, Sealed};
use super::EventBuilder;
use crate::types::chat::peer_bot_api_id;
use crate::{Chat, Client, InvocationError};

/// A user's activity in a chat, or their online status.
#[derive(Clone, Debug)]
pub struct UserUpdateEvent {
    user_id: i64,
    chat_id: i64,
    action: Option<enums::SendMessageAction>,
    status: Option<enums::UserStatus>,
    client: Client,
}

impl UserUpdateEvent {
    /// The user (or, for channel posts being typed, the channel) this is about.
    pub fn user_id(&self) -> i64 {
        self.user_id
    }

    /// Where the activity happens: the private chat (the user's id), a group or a channel.
    /// For status changes, the user's id.
    pub fn chat_id(&self) -> i64 {
        self.chat_id
    }

    /// The activity (typing, uploading a photo, …), for activity updates.
    pub fn action(&self) -> Option<&enums::SendMessageAction> {
        self.action.as_ref()
    }

    /// The online status, for status updates.
    pub fn status(&self) -> Option<&enums::UserStatus> {
        self.status.as_ref()
    }

    /// Whether the user is typing.
    pub fn typing(&self) -> bool {
        matches!(
            self.action,
            Some(enums::SendMessageAction::SendMessageTypingAction)
        )
    }

    /// Whether the user stopped whatever they were doing.
    pub fn cancel(&self) -> bool {
        matches!(
            self.action,
            Some(enums::SendMessageAction::SendMessageCancelAction)
        )
    }

    /// Whether the user is uploading something (photo, video, audio, round video, document).
    pub fn uploading(&self) -> bool {
        use enums::SendMessageAction as A;
        matches!(
            self.action,
            Some(
                A::SendMessageUploadPhotoAction(_)
                    | A::SendMessageUploadVideoAction(_)
                    | A::SendMessageUploadAudioAction(_)
                    | A::SendMessageUploadRoundAction(_)
                    | A::SendMessageUploadDocumentAction(_)
            )
        )
    }

    /// Whether the user is recording (voice, video, round video).
    pub fn recording(&self) -> bool {
        use enums::SendMessageAction as A;
        matches!(
            self.action,
            Some(
                A::SendMessageRecordAudioAction
                    | A::SendMessageRecordVideoAction
                    | A::SendMessageRecordRoundAction
            )
        )
    }

    /// Whether the user is playing a game.
    pub fn playing(&self) -> bool {
        matches!(
            self.action,
            Some(enums::SendMessageAction::SendMessageGamePlayAction)
        )
    }

    /// Whether the user is choosing a sticker.
    pub fn sticker(&self) -> bool {
        matches!(
            self.action,
            Some(enums::SendMessageAction::SendMessageChooseStickerAction)
        )
    }

    /// Whether the user is choosing a contact.
    pub fn contact(&self) -> bool {
        matches!(
            self.action,
            Some(enums::SendMessageAction::SendMessageChooseContactAction)
        )
    }

    /// Whether the user is picking a location.
    pub fn geo(&self) -> bool {
        matches!(
            self.action,
            Some(enums::SendMessageAction::SendMessageGeoLocationAction)
        )
    }

    /// For status updates: `Some(true)` online, `Some(false)` offline or hidden.
    pub fn online(&self) -> Option<bool> {
        Some(matches!(
            self.status.as_ref()?,
            enums::UserStatus::Online(_)
        ))
    }

    /// When an offline user was last seen (Unix time), if they show it.
    pub fn last_seen(&self) -> Option<i32> {
        match self.status.as_ref()? {
            enums::UserStatus::Offline(s) => Some(s.was_online),
            _ => None,
        }
    }

    /// Until when an online user counts as online (Unix time).
    pub fn until(&self) -> Option<i32> {
        match self.status.as_ref()? {
            enums::UserStatus::Online(s) => Some(s.expires),
            _ => None,
        }
    }

    /// Whether the user was seen recently (the exact time hidden).
    pub fn recently(&self) -> bool {
        matches!(self.status, Some(enums::UserStatus::Recently(_)))
    }

    /// The user, from the peer cache or the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`].
    pub async fn get_user(&self) -> Result<Chat, InvocationError> {
        self.client.get_chat(self.user_id).await
    }

    /// The chat, from the peer cache or the server.
    ///
    /// # Errors
    ///
    /// As [`Client::get_chat`].
    pub async fn get_chat(&self) -> Result<Chat, InvocationError> {
        self.client.get_chat(self.chat_id).await
    }

    /// The client, to act on the event.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Activity and status updates, as [`UserUpdateEvent`]s.
#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    filters: ChatFilters<UserUpdateEvent>,
}

impl UserUpdate {
    /// Every activity and status update.
    pub fn new() -> Self {
        Self::default()
    }

    super::filters::chat_filter_methods!(UserUpdateEvent, "Only updates whose [chat](UserUpdateEvent::chat_id) is one of these (for status updates and private chats, the user), resolved when the handler is registered.");
}

impl Sealed for UserUpdate {}

impl EventBuilder for UserUpdate {
    type Event = UserUpdateEvent;

    fn name(&self) -> &'static str {
        "UserUpdate"
    }

    fn build(&self, item: &Item, client: &Client) -> Option<UserUpdateEvent> {
        let Item::Update(update) = item else {
            return None;
        };
        use enums::Update as U;
        let (user_id, chat_id, action, status) = match &update.update {
            U::UserTyping(u) => (u.user_id, u.user_id, Some(u.action.clone()), None),
            U::ChatUserTyping(u) => (
                peer_bot_api_id(&u.from_id),
                -u.chat_id,
                Some(u.action.clone()),
                None,
            ),
            U::ChannelUserTyping(u) => (
                peer_bot_api_id(&u.from_id),
                channel_bot_api_id(u.channel_id),
                Some(u.action.clone()),
                None,
            ),
            U::UserStatus(u) => (u.user_id, u.user_id, None, Some(u.status.clone())),
            _ => return None,
        };
        if !self.filters.chat_passes(Some(chat_id)) {
            return None;
        }
        let event = UserUpdateEvent {
            user_id,
            chat_id,
            action,
            status,
            client: client.clone(),
        };
        self.filters.check(event)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        self.filters.prepare()
    }
}
