//! Full information about users, groups and channels (`users.getFullUser`,
//! `messages.getFullChat`, `channels.getFullChannel`).

use tgwire_tl_types::{enums, functions};

use super::invites::InviteLink;
use super::rights::Permissions;
use crate::types::chat::{input_channel, input_user};
use crate::{Chat, Client, InvocationError, PeerQuery, User};

/// A user with their profile details.
#[derive(Clone, Debug, PartialEq)]
pub struct FullUser {
    user: User,
    raw: enums::UserFull,
}

impl FullUser {
    fn full(&self) -> &tgwire_tl_types::types::UserFull {
        let enums::UserFull::UserFull(full) = &self.raw;
        full
    }

    /// The user.
    pub fn user(&self) -> &User {
        &self.user
    }

    /// Their bio.
    pub fn about(&self) -> Option<&str> {
        self.full().about.as_deref().filter(|a| !a.is_empty())
    }

    /// How many groups we share.
    pub fn common_chats_count(&self) -> i32 {
        self.full().common_chats_count
    }

    /// Whether we blocked them.
    pub fn is_blocked(&self) -> bool {
        self.full().blocked
    }

    /// The message pinned in our private chat, if any.
    pub fn pinned_msg_id(&self) -> Option<i32> {
        self.full().pinned_msg_id
    }

    /// Their profile photo.
    pub fn photo(&self) -> Option<&enums::Photo> {
        self.full().profile_photo.as_ref()
    }

    /// For a bot, the commands it offers in our private chat with it (the list for that chat,
    /// else for private chats, else its default one); empty for users.
    pub fn bot_commands(&self) -> Vec<crate::BotCommand> {
        match &self.full().bot_info {
            Some(enums::BotInfo::BotInfo(info)) => info
                .commands
                .iter()
                .flatten()
                .map(crate::BotCommand::from_raw)
                .collect(),
            None => Vec::new(),
        }
    }

    /// The raw TL object.
    pub fn raw(&self) -> &enums::UserFull {
        &self.raw
    }
}

/// A group or channel with its full details.
#[derive(Clone, Debug, PartialEq)]
pub struct FullChat {
    chat: Chat,
    raw: enums::ChatFull,
}

impl FullChat {
    /// The group or channel.
    pub fn chat(&self) -> &Chat {
        &self.chat
    }

    /// The description.
    pub fn about(&self) -> &str {
        match &self.raw {
            enums::ChatFull::ChatFull(f) => &f.about,
            enums::ChatFull::ChannelFull(f) => &f.about,
            enums::ChatFull::CommunityFull(f) => &f.about,
        }
    }

    /// How many members it has (for basic groups, the members listed).
    pub fn participants_count(&self) -> Option<i32> {
        match &self.raw {
            enums::ChatFull::ChatFull(f) => match &f.participants {
                enums::ChatParticipants::ChatParticipants(p) => {
                    Some(i32::try_from(p.participants.len()).unwrap_or(i32::MAX))
                }
                enums::ChatParticipants::Forbidden(_) => None,
            },
            enums::ChatFull::ChannelFull(f) => f.participants_count,
            enums::ChatFull::CommunityFull(_) => None,
        }
    }

    /// How many admins it has (channels and supergroups, when visible).
    pub fn admins_count(&self) -> Option<i32> {
        match &self.raw {
            enums::ChatFull::ChatFull(_) => None,
            enums::ChatFull::ChannelFull(f) => f.admins_count,
            enums::ChatFull::CommunityFull(f) => f.admins_count,
        }
    }

    /// How many users are banned (channels and supergroups, admins see it).
    pub fn kicked_count(&self) -> Option<i32> {
        match &self.raw {
            enums::ChatFull::ChatFull(_) => None,
            enums::ChatFull::ChannelFull(f) => f.kicked_count,
            enums::ChatFull::CommunityFull(f) => f.kicked_count,
        }
    }

    /// How many members are restricted (channels and supergroups, admins see it).
    pub fn banned_count(&self) -> Option<i32> {
        match &self.raw {
            enums::ChatFull::ChannelFull(f) => f.banned_count,
            _ => None,
        }
    }

    /// The slow-mode interval, if on.
    pub fn slowmode_seconds(&self) -> Option<i32> {
        match &self.raw {
            enums::ChatFull::ChannelFull(f) => f.slowmode_seconds,
            _ => None,
        }
    }

    /// The basic group a supergroup was migrated from, and that group's last message id.
    pub fn migrated_from(&self) -> Option<(i64, i32)> {
        match &self.raw {
            enums::ChatFull::ChannelFull(f) => Some((
                f.migrated_from_chat_id?,
                f.migrated_from_max_id.unwrap_or(0),
            )),
            _ => None,
        }
    }

    /// The pinned message, if any.
    pub fn pinned_msg_id(&self) -> Option<i32> {
        match &self.raw {
            enums::ChatFull::ChatFull(f) => f.pinned_msg_id,
            enums::ChatFull::ChannelFull(f) => f.pinned_msg_id,
            enums::ChatFull::CommunityFull(_) => None,
        }
    }

    /// The photo.
    pub fn photo(&self) -> Option<&enums::Photo> {
        match &self.raw {
            enums::ChatFull::ChatFull(f) => f.chat_photo.as_ref(),
            enums::ChatFull::ChannelFull(f) => Some(&f.chat_photo),
            enums::ChatFull::CommunityFull(f) => Some(&f.chat_photo),
        }
        .filter(|p| matches!(p, enums::Photo::Photo(_)))
    }

    /// Our primary invite link, when we are an admin who made one.
    pub fn invite_link(&self) -> Option<InviteLink> {
        let raw = match &self.raw {
            enums::ChatFull::ChatFull(f) => f.exported_invite.clone(),
            enums::ChatFull::ChannelFull(f) => f.exported_invite.clone(),
            enums::ChatFull::CommunityFull(_) => None,
        }?;
        InviteLink::from_exported(raw)
    }

    /// What members may do by default.
    pub fn default_permissions(&self) -> Permissions {
        let raw = match &self.chat {
            Chat::Group(g) => g.raw(),
            Chat::Channel(c) => c.raw(),
            Chat::User(_) => return Permissions::all(),
        };
        match raw {
            enums::Chat::Chat(c) => c.default_banned_rights.as_ref(),
            enums::Chat::Channel(c) => c.default_banned_rights.as_ref(),
            _ => None,
        }
        .map(Permissions::from_banned)
        .unwrap_or_default()
    }

    /// The raw TL object.
    pub fn raw(&self) -> &enums::ChatFull {
        &self.raw
    }
}

impl Client {
    /// A user's full profile.
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] for groups and channels; server errors.
    pub async fn get_full_user(
        &self,
        user: impl Into<PeerQuery>,
    ) -> Result<FullUser, InvocationError> {
        let peer = self.resolve(user).await?;
        let id = input_user(peer)
            .ok_or_else(|| InvocationError::InvalidArgument(format!("{peer} is not a user")))?;
        let enums::users::UserFull::UserFull(answer) = self
            .invoke(&tgwire_tl_types::functions::users::GetFullUser { id })
            .await?;
        let user = answer
            .users
            .into_iter()
            .map(User::from_raw)
            .find(|u| u.id() == peer.id())
            .ok_or(InvocationError::UnexpectedAnswer(
                "getFullUser without the user",
            ))?;
        Ok(FullUser {
            user,
            raw: answer.full_user,
        })
    }

    /// A group's or channel's full details (a basic group's members included).
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] for users; `CHANNEL_PRIVATE` and other server
    /// errors.
    pub async fn get_full_chat(
        &self,
        chat: impl Into<PeerQuery>,
    ) -> Result<FullChat, InvocationError> {
        let peer = super::require_group(self.resolve(chat).await?)?;
        let answer = match input_channel(peer) {
            Some(channel) => {
                self.invoke(&functions::channels::GetFullChannel { channel })
                    .await?
            }
            None => {
                self.invoke(&functions::messages::GetFullChat { chat_id: peer.id() })
                    .await?
            }
        };
        let enums::messages::ChatFull::ChatFull(answer) = answer;
        let chat = answer
            .chats
            .into_iter()
            .filter_map(Chat::from_raw_chat)
            .find(|c| c.peer_ref().map(|p| p.bot_api_id()) == Some(peer.bot_api_id()))
            .ok_or(InvocationError::UnexpectedAnswer(
                "getFullChat without the chat",
            ))?;
        Ok(FullChat {
            chat,
            raw: answer.full_chat,
        })
    }
}
