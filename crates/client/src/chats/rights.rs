//! Admin rights, member permissions, and the calls that change and read them.

use std::future::IntoFuture;

use tgwire_session::PeerRef;
use tgwire_tl_types::{enums, functions, types};

use super::{require_group, BoxFuture};
use crate::types::chat::{input_channel, input_peer, input_user};
use crate::{Client, InvocationError, PeerQuery};

/// What an admin may do. `Default` is no right at all (demoting to it removes the admin);
/// [`AdminRights::all`] is everything.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // one flag per right, as Telegram has them
pub struct AdminRights {
    /// Change the title, photo and description.
    pub change_info: bool,
    /// Post in a broadcast channel.
    pub post_messages: bool,
    /// Edit others' posts in a broadcast channel.
    pub edit_messages: bool,
    /// Delete others' messages.
    pub delete_messages: bool,
    /// Restrict and ban members.
    pub ban_users: bool,
    /// Add members and manage invite links.
    pub invite_users: bool,
    /// Pin messages.
    pub pin_messages: bool,
    /// Promote others with (a subset of) one's own rights.
    pub add_admins: bool,
    /// Post anonymously, as the group.
    pub anonymous: bool,
    /// Manage voice chats.
    pub manage_call: bool,
    /// Anything else (see the admin log, bypass slow mode…).
    pub other: bool,
    /// Manage forum topics.
    pub manage_topics: bool,
    /// Post stories for the channel.
    pub post_stories: bool,
    /// Edit the channel's stories.
    pub edit_stories: bool,
    /// Delete the channel's stories.
    pub delete_stories: bool,
}

impl AdminRights {
    /// Every right.
    pub fn all() -> Self {
        Self {
            change_info: true,
            post_messages: true,
            edit_messages: true,
            delete_messages: true,
            ban_users: true,
            invite_users: true,
            pin_messages: true,
            add_admins: true,
            anonymous: true,
            manage_call: true,
            other: true,
            manage_topics: true,
            post_stories: true,
            edit_stories: true,
            delete_stories: true,
        }
    }

    /// Whether no right is set.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// Reads the raw TL object.
    pub fn from_raw(raw: &enums::ChatAdminRights) -> Self {
        let enums::ChatAdminRights::ChatAdminRights(r) = raw;
        Self {
            change_info: r.change_info,
            post_messages: r.post_messages,
            edit_messages: r.edit_messages,
            delete_messages: r.delete_messages,
            ban_users: r.ban_users,
            invite_users: r.invite_users,
            pin_messages: r.pin_messages,
            add_admins: r.add_admins,
            anonymous: r.anonymous,
            manage_call: r.manage_call,
            other: r.other,
            manage_topics: r.manage_topics,
            post_stories: r.post_stories,
            edit_stories: r.edit_stories,
            delete_stories: r.delete_stories,
        }
    }

    /// The raw TL object.
    pub fn to_raw(&self) -> enums::ChatAdminRights {
        types::ChatAdminRights {
            change_info: self.change_info,
            post_messages: self.post_messages,
            edit_messages: self.edit_messages,
            delete_messages: self.delete_messages,
            ban_users: self.ban_users,
            invite_users: self.invite_users,
            pin_messages: self.pin_messages,
            add_admins: self.add_admins,
            anonymous: self.anonymous,
            manage_call: self.manage_call,
            other: self.other,
            manage_topics: self.manage_topics,
            post_stories: self.post_stories,
            edit_stories: self.edit_stories,
            delete_stories: self.delete_stories,
            manage_direct_messages: false,
            manage_ranks: false,
            manage_linked_peers: false,
            manage_welcome_messages: false,
        }
        .into()
    }

    /// The rights a basic group has no notion of (its admins have every other right, and
    /// these never), by name.
    fn beyond_basic_groups(&self) -> Vec<&'static str> {
        [
            (self.post_messages, "post_messages"),
            (self.edit_messages, "edit_messages"),
            (self.anonymous, "anonymous"),
            (self.manage_topics, "manage_topics"),
            (self.post_stories, "post_stories"),
            (self.edit_stories, "edit_stories"),
            (self.delete_stories, "delete_stories"),
        ]
        .into_iter()
        .filter_map(|(set, name)| set.then_some(name))
        .collect()
    }
}

/// What members may do: `true` allows. [`Permissions::all`] (also `Default`) is an
/// unrestricted member; [`Permissions::none`] with `view_messages` off is a ban.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // one flag per permission, as Telegram has them
pub struct Permissions {
    /// Read the chat at all (off: banned).
    pub view_messages: bool,
    /// Send messages.
    pub send_messages: bool,
    /// Send media.
    pub send_media: bool,
    /// Send stickers.
    pub send_stickers: bool,
    /// Send GIFs.
    pub send_gifs: bool,
    /// Send games.
    pub send_games: bool,
    /// Use inline bots.
    pub send_inline: bool,
    /// Send link previews.
    pub embed_links: bool,
    /// Send polls.
    pub send_polls: bool,
    /// Change the title, photo and description.
    pub change_info: bool,
    /// Add members.
    pub invite_users: bool,
    /// Pin messages.
    pub pin_messages: bool,
}

impl Default for Permissions {
    fn default() -> Self {
        Self::all()
    }
}

impl Permissions {
    /// Everything allowed.
    pub fn all() -> Self {
        Self {
            view_messages: true,
            send_messages: true,
            send_media: true,
            send_stickers: true,
            send_gifs: true,
            send_games: true,
            send_inline: true,
            embed_links: true,
            send_polls: true,
            change_info: true,
            invite_users: true,
            pin_messages: true,
        }
    }

    /// Nothing allowed, not even reading (a ban).
    pub fn none() -> Self {
        Self {
            view_messages: false,
            send_messages: false,
            send_media: false,
            send_stickers: false,
            send_gifs: false,
            send_games: false,
            send_inline: false,
            embed_links: false,
            send_polls: false,
            change_info: false,
            invite_users: false,
            pin_messages: false,
        }
    }

    /// Reads raw banned rights (where `true` forbids).
    pub fn from_banned(raw: &enums::ChatBannedRights) -> Self {
        let enums::ChatBannedRights::ChatBannedRights(r) = raw;
        Self {
            view_messages: !r.view_messages,
            send_messages: !r.send_messages,
            send_media: !r.send_media,
            send_stickers: !r.send_stickers,
            send_gifs: !r.send_gifs,
            send_games: !r.send_games,
            send_inline: !r.send_inline,
            embed_links: !r.embed_links,
            send_polls: !r.send_polls,
            change_info: !r.change_info,
            invite_users: !r.invite_users,
            pin_messages: !r.pin_messages,
        }
    }

    /// The raw banned rights (until `until_date`, 0 for ever).
    pub fn into_banned(self, until_date: i32) -> types::ChatBannedRights {
        types::ChatBannedRights {
            view_messages: !self.view_messages,
            send_messages: !self.send_messages,
            send_media: !self.send_media,
            send_stickers: !self.send_stickers,
            send_gifs: !self.send_gifs,
            send_games: !self.send_games,
            send_inline: !self.send_inline,
            embed_links: !self.embed_links,
            send_polls: !self.send_polls,
            change_info: !self.change_info,
            invite_users: !self.invite_users,
            pin_messages: !self.pin_messages,
            manage_topics: false,
            send_photos: false,
            send_videos: false,
            send_roundvideos: false,
            send_audios: false,
            send_voices: false,
            send_docs: false,
            send_plain: false,
            edit_rank: false,
            send_reactions: false,
            manage_linked_peers: false,
            until_date,
        }
    }
}

/// Promotes, edits or demotes an admin; see [`Client::edit_admin`]. Await it to send.
#[must_use = "nothing changes until this is awaited"]
pub struct EditAdmin {
    client: Client,
    chat: PeerQuery,
    user: PeerQuery,
    rights: AdminRights,
    rank: Option<String>,
}

impl EditAdmin {
    /// The admin's custom title (supergroups and channels; at most 16 characters).
    pub fn rank(mut self, rank: impl Into<String>) -> Self {
        self.rank = Some(rank.into());
        self
    }
}

impl IntoFuture for EditAdmin {
    type Output = Result<(), InvocationError>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let client = self.client;
            let peer = require_group(client.resolve(self.chat).await?)?;
            let user = client.resolve(self.user).await?;
            let user_id = input_user(user)
                .ok_or_else(|| InvocationError::InvalidArgument(format!("{user} is not a user")))?;
            match input_channel(peer) {
                Some(channel) => {
                    client
                        .invoke(&functions::channels::EditAdmin {
                            channel,
                            user_id,
                            admin_rights: self.rights.to_raw(),
                            rank: self.rank.map(Into::into),
                        })
                        .await?;
                }
                None => {
                    if self.rank.is_some() {
                        return Err(InvocationError::InvalidArgument(
                            "basic groups have no admin titles; migrate to a supergroup first"
                                .into(),
                        ));
                    }
                    let beyond = self.rights.beyond_basic_groups();
                    if !beyond.is_empty() {
                        return Err(InvocationError::InvalidArgument(format!(
                            "basic groups do not support the rights {}; their admins have \
                             every other right (migrate to a supergroup for finer rights)",
                            beyond.join(", ")
                        )));
                    }
                    client
                        .invoke(&functions::messages::EditChatAdmin {
                            chat_id: peer.id(),
                            user_id,
                            is_admin: !self.rights.is_empty(),
                        })
                        .await?;
                }
            }
            Ok(())
        })
    }
}

/// Restricts one member or every member of a chat; see [`Client::edit_permissions`] and
/// [`Client::edit_default_permissions`]. Await it to send.
#[must_use = "nothing changes until this is awaited"]
pub struct EditPermissions {
    client: Client,
    chat: PeerQuery,
    user: Option<PeerQuery>,
    permissions: Permissions,
    until: i32,
}

impl EditPermissions {
    /// Until when a member's restriction lasts (Unix time; default for ever). Telegram treats
    /// less than 30 seconds or more than 366 days from now as for ever.
    pub fn until(mut self, unix_time: i32) -> Self {
        self.until = unix_time;
        self
    }
}

impl IntoFuture for EditPermissions {
    type Output = Result<(), InvocationError>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let client = self.client;
            let peer = require_group(client.resolve(self.chat).await?)?;
            let Some(user) = self.user else {
                if self.until != 0 {
                    return Err(InvocationError::InvalidArgument(
                        "default permissions have no end date".into(),
                    ));
                }
                client
                    .invoke(&functions::messages::EditChatDefaultBannedRights {
                        peer: input_peer(peer),
                        banned_rights: self.permissions.into_banned(0).into(),
                    })
                    .await?;
                return Ok(());
            };
            let user = client.resolve(user).await?;
            match input_channel(peer) {
                Some(channel) => {
                    client
                        .invoke(&functions::channels::EditBanned {
                            channel,
                            participant: input_peer(user),
                            banned_rights: self.permissions.into_banned(self.until).into(),
                        })
                        .await?;
                    Ok(())
                }
                None if !self.permissions.view_messages => {
                    // The one restriction a basic group has for one member: removal.
                    client.kick_participant(peer, user).await
                }
                None => Err(InvocationError::InvalidArgument(
                    "basic groups restrict members only all together \
                     (edit_default_permissions) or by removing them; migrate to a supergroup \
                     to restrict one member"
                        .into(),
                )),
            }
        })
    }
}

/// What one participant may do in a chat, as [`Client::get_permissions`] reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct ParticipantPermissions {
    creator: bool,
    admin: Option<AdminRights>,
    banned: Option<Permissions>,
    kicked: bool,
    left: bool,
    until: Option<i32>,
    defaults: Permissions,
    rank: Option<String>,
}

impl ParticipantPermissions {
    /// Nothing known yet: not an admin, not restricted, with the chat's `defaults`.
    fn outsider(defaults: Permissions) -> Self {
        Self {
            creator: false,
            admin: None,
            banned: None,
            kicked: false,
            left: false,
            until: None,
            defaults,
            rank: None,
        }
    }

    /// Whether they created the chat.
    pub fn is_creator(&self) -> bool {
        self.creator
    }

    /// Whether they are an admin (the creator is one).
    pub fn is_admin(&self) -> bool {
        self.creator || self.admin.is_some()
    }

    /// Whether they are restricted or banned.
    pub fn is_banned(&self) -> bool {
        self.banned.is_some()
    }

    /// Whether they were banned from the chat (cannot even read it).
    pub fn is_kicked(&self) -> bool {
        self.kicked
    }

    /// Whether they are not (or no longer) in the chat.
    pub fn has_left(&self) -> bool {
        self.left
    }

    /// Their admin rights (every right for the creator).
    pub fn admin_rights(&self) -> Option<AdminRights> {
        if self.creator {
            return Some(AdminRights::all());
        }
        self.admin
    }

    /// Their admin title.
    pub fn rank(&self) -> Option<&str> {
        self.rank.as_deref()
    }

    /// Until when a restriction lasts (`None`: no restriction, or for ever).
    pub fn banned_until(&self) -> Option<i32> {
        self.until
    }

    /// What they may do as a member: their own restriction on top of the chat's defaults
    /// (admins: everything).
    pub fn permissions(&self) -> Permissions {
        if self.is_admin() {
            return Permissions::all();
        }
        if self.left || self.kicked {
            return Permissions::none();
        }
        let own = self.banned.unwrap_or_default();
        let d = self.defaults;
        Permissions {
            view_messages: own.view_messages && d.view_messages,
            send_messages: own.send_messages && d.send_messages,
            send_media: own.send_media && d.send_media,
            send_stickers: own.send_stickers && d.send_stickers,
            send_gifs: own.send_gifs && d.send_gifs,
            send_games: own.send_games && d.send_games,
            send_inline: own.send_inline && d.send_inline,
            embed_links: own.embed_links && d.embed_links,
            send_polls: own.send_polls && d.send_polls,
            change_info: own.change_info && d.change_info,
            invite_users: own.invite_users && d.invite_users,
            pin_messages: own.pin_messages && d.pin_messages,
        }
    }

    /// Whether they may send messages.
    pub fn can_send_messages(&self) -> bool {
        self.permissions().send_messages
    }

    /// Whether they may change the chat's info.
    pub fn can_change_info(&self) -> bool {
        self.admin_rights()
            .map_or(self.permissions().change_info, |r| r.change_info)
    }

    /// Whether they may add members.
    pub fn can_invite_users(&self) -> bool {
        self.admin_rights()
            .map_or(self.permissions().invite_users, |r| r.invite_users)
    }

    /// Whether they may pin messages.
    pub fn can_pin_messages(&self) -> bool {
        self.admin_rights()
            .map_or(self.permissions().pin_messages, |r| r.pin_messages)
    }

    /// Whether they may ban members.
    pub fn can_ban_users(&self) -> bool {
        self.admin_rights().is_some_and(|r| r.ban_users)
    }

    /// Whether they may delete others' messages.
    pub fn can_delete_messages(&self) -> bool {
        self.admin_rights().is_some_and(|r| r.delete_messages)
    }

    /// Whether they may promote others.
    pub fn can_add_admins(&self) -> bool {
        self.admin_rights().is_some_and(|r| r.add_admins)
    }
}

/// The default permissions stored in a raw chat object.
fn defaults_of(chats: &[enums::Chat], id: i64) -> Permissions {
    chats
        .iter()
        .find_map(|c| match c {
            enums::Chat::Chat(c) if c.id == id => c.default_banned_rights.as_ref(),
            enums::Chat::Channel(c) if c.id == id => c.default_banned_rights.as_ref(),
            _ => None,
        })
        .map(Permissions::from_banned)
        .unwrap_or_default()
}

fn channel_permissions(
    participant: &enums::ChannelParticipant,
    defaults: Permissions,
) -> ParticipantPermissions {
    use enums::ChannelParticipant as P;
    let mut perms = ParticipantPermissions::outsider(defaults);
    match participant {
        P::Creator(c) => {
            perms.creator = true;
            perms.rank = c.rank.as_ref().map(|r| r.to_string());
        }
        P::Admin(a) => {
            perms.admin = Some(AdminRights::from_raw(&a.admin_rights));
            perms.rank = a.rank.as_ref().map(|r| r.to_string());
        }
        P::Banned(b) => {
            let enums::ChatBannedRights::ChatBannedRights(raw) = &b.banned_rights;
            perms.banned = Some(Permissions::from_banned(&b.banned_rights));
            perms.kicked = raw.view_messages;
            perms.left = b.left;
            perms.until = (raw.until_date != 0).then_some(raw.until_date);
        }
        P::Left(_) => perms.left = true,
        P::ChannelParticipant(_) | P::ChannelParticipantSelf(_) => {}
    }
    perms
}

impl Client {
    /// Promotes `user` to admin of `chat` with `rights`, edits their rights, or demotes them
    /// (`AdminRights::default()`). Add a title with [`EditAdmin::rank`], then await.
    ///
    /// Basic groups know only "admin or not" (an admin has every right a basic group has):
    /// rights they cannot hold, or a title, answer [`InvocationError::InvalidArgument`].
    ///
    /// Server errors: `CHAT_ADMIN_REQUIRED`, `RIGHT_FORBIDDEN` (granting a right one does not
    /// hold), `USER_CREATOR`, `ADMIN_RANK_INVALID`, `USER_NOT_PARTICIPANT`.
    pub fn edit_admin(
        &self,
        chat: impl Into<PeerQuery>,
        user: impl Into<PeerQuery>,
        rights: AdminRights,
    ) -> EditAdmin {
        EditAdmin {
            client: self.clone(),
            chat: chat.into(),
            user: user.into(),
            rights,
            rank: None,
        }
    }

    /// Sets what `user` may do in `chat` (a restriction; `Permissions::all()` lifts it;
    /// `view_messages: false` bans). Set an end with [`EditPermissions::until`], then await.
    ///
    /// Basic groups cannot restrict one member: a ban removes them, anything else answers
    /// [`InvocationError::InvalidArgument`].
    ///
    /// Server errors: `CHAT_ADMIN_REQUIRED`, `USER_ADMIN_INVALID`, `USER_NOT_PARTICIPANT`.
    pub fn edit_permissions(
        &self,
        chat: impl Into<PeerQuery>,
        user: impl Into<PeerQuery>,
        permissions: Permissions,
    ) -> EditPermissions {
        EditPermissions {
            client: self.clone(),
            chat: chat.into(),
            user: Some(user.into()),
            permissions,
            until: 0,
        }
    }

    /// Sets what every member who is not an admin may do in `chat`. Await it to send.
    ///
    /// Server errors: `CHAT_ADMIN_REQUIRED`, `CHAT_NOT_MODIFIED`.
    pub fn edit_default_permissions(
        &self,
        chat: impl Into<PeerQuery>,
        permissions: Permissions,
    ) -> EditPermissions {
        EditPermissions {
            client: self.clone(),
            chat: chat.into(),
            user: None,
            permissions,
            until: 0,
        }
    }

    /// What `user` may do in `chat`: creator, admin (with which rights), restricted, banned or
    /// gone, and the permissions that follow.
    ///
    /// Users not in the chat (who left, or never joined) come back with
    /// [`ParticipantPermissions::has_left`].
    ///
    /// # Errors
    ///
    /// `CHANNEL_PRIVATE` when we cannot see the chat, and other server errors.
    pub async fn get_permissions(
        &self,
        chat: impl Into<PeerQuery>,
        user: impl Into<PeerQuery>,
    ) -> Result<ParticipantPermissions, InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        let user = self.resolve(user).await?;
        match input_channel(peer) {
            Some(channel) => {
                let answer = self
                    .invoke(&functions::channels::GetParticipant {
                        channel,
                        participant: input_peer(user),
                    })
                    .await;
                let answer = match answer {
                    Ok(enums::channels::ChannelParticipant::ChannelParticipant(answer)) => answer,
                    // Telegram does not tell users who left from users who never came.
                    Err(e) if e.is("USER_NOT_PARTICIPANT") => {
                        return Ok(ParticipantPermissions {
                            left: true,
                            ..ParticipantPermissions::outsider(Permissions::all())
                        });
                    }
                    Err(e) => return Err(e),
                };
                let defaults = defaults_of(&answer.chats, peer.id());
                Ok(channel_permissions(&answer.participant, defaults))
            }
            None => self.basic_permissions(peer, user).await,
        }
    }

    async fn basic_permissions(
        &self,
        peer: PeerRef,
        user: PeerRef,
    ) -> Result<ParticipantPermissions, InvocationError> {
        let enums::messages::ChatFull::ChatFull(full) = self
            .invoke(&functions::messages::GetFullChat { chat_id: peer.id() })
            .await?;
        let mut perms = ParticipantPermissions {
            left: true,
            ..ParticipantPermissions::outsider(defaults_of(&full.chats, peer.id()))
        };
        let enums::ChatFull::ChatFull(chat_full) = &full.full_chat else {
            return Ok(perms);
        };
        let enums::ChatParticipants::ChatParticipants(list) = &chat_full.participants else {
            return Ok(perms);
        };
        for participant in &list.participants {
            match participant {
                enums::ChatParticipant::Creator(c) if c.user_id == user.id() => {
                    perms.creator = true;
                    perms.left = false;
                }
                enums::ChatParticipant::Admin(a) if a.user_id == user.id() => {
                    // A basic-group admin holds every right a basic group has.
                    let rights = AdminRights {
                        post_messages: false,
                        edit_messages: false,
                        anonymous: false,
                        manage_topics: false,
                        post_stories: false,
                        edit_stories: false,
                        delete_stories: false,
                        ..AdminRights::all()
                    };
                    perms.admin = Some(rights);
                    perms.left = false;
                }
                enums::ChatParticipant::ChatParticipant(p) if p.user_id == user.id() => {
                    perms.left = false;
                }
                _ => {}
            }
        }
        Ok(perms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_and_banned_rights_are_opposites() {
        let muted = Permissions {
            send_messages: false,
            ..Permissions::all()
        };
        let raw = muted.into_banned(1234);
        assert!(raw.send_messages && !raw.view_messages);
        assert_eq!(raw.until_date, 1234);
        assert_eq!(Permissions::from_banned(&raw.into()), muted);
        assert_eq!(Permissions::default(), Permissions::all());
    }

    #[test]
    fn admin_rights_round_trip_and_basic_group_limits() {
        let rights = AdminRights {
            ban_users: true,
            post_stories: true,
            ..AdminRights::default()
        };
        assert_eq!(AdminRights::from_raw(&rights.to_raw()), rights);
        assert_eq!(rights.beyond_basic_groups(), ["post_stories"]);
        assert!(AdminRights::default().is_empty());
    }
}
