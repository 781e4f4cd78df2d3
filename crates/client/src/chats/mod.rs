//! Chat management: creating, joining and leaving groups and channels, adding members,
//! editing them, migrating basic groups, and everything an admin does (rights, permissions,
//! participants, the admin log, invite links); chat actions ("typing…") and our profile.
//!
//! Telegram has two kinds of groups with different calls: basic groups (`messages.*`, at most
//! 200 members, every admin has every right) and channels — supergroups and broadcast channels
//! (`channels.*`). The methods here take any chat and pick the call; where a basic group cannot
//! do what is asked (an admin title, a restriction of one member), they answer
//! [`InvocationError::InvalidArgument`] saying so rather than sending a request Telegram would
//! refuse.

mod action;
mod admin_log;
mod full;
mod invites;
mod join_requests;
mod participants;
mod profile;
mod rights;
mod stats;
mod takeout;

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use tgwire_session::{Changes, PeerKind, PeerRef};
use tgwire_tl_types::{enums, functions, types};

use crate::types::chat::{input_channel, input_peer, input_user};
use crate::{Chat, Client, Group, InvocationError, PeerQuery};

pub use action::{ActionGuard, ChatAction};
pub use admin_log::{AdminLogAction, AdminLogEvent, AdminLogFilter, AdminLogIter};
pub use full::{FullChat, FullUser};
pub use invites::{ExportInvite, InviteLink, InvitePreview};
pub use join_requests::{InviteImporter, InviteImporters};
pub use participants::{Participant, ParticipantFilter, ParticipantIter, ParticipantList, Role};
pub use profile::ProfilePhotoIter;
pub use rights::{AdminRights, EditAdmin, EditPermissions, ParticipantPermissions, Permissions};
pub use stats::{ChannelStats, Graph, MessageStats, RawStats, StatValue};
pub use takeout::{Takeout, TakeoutBuilder, TakeoutError};

/// A boxed future, what the builders here turn into.
type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Stores users and chats an answer carried that `invoke` does not know to look at.
async fn cache(
    client: &Client,
    users: &[enums::User],
    chats: &[enums::Chat],
) -> Result<(), InvocationError> {
    let entries: Vec<_> = users
        .iter()
        .filter_map(crate::types::chat::cached_user)
        .chain(chats.iter().filter_map(crate::types::chat::cached_chat))
        .collect();
    if entries.is_empty() {
        return Ok(());
    }
    let mut changes = Changes::new();
    changes.upsert_peers(entries);
    client.persist(changes).await
}

/// The chats an `Updates` carries.
fn chats_of(updates: &enums::Updates) -> Vec<enums::Chat> {
    match updates {
        enums::Updates::Updates(u) => u.chats.clone(),
        enums::Updates::Combined(u) => u.chats.clone(),
        _ => Vec::new(),
    }
}

/// The first chat of `updates` satisfying `pick`, as a [`Chat`].
fn find_chat(updates: &enums::Updates, pick: impl Fn(&Chat) -> bool) -> Option<Chat> {
    chats_of(updates)
        .into_iter()
        .filter_map(Chat::from_raw_chat)
        .find(|c| pick(c))
}

/// Refuses users where a group or channel is needed.
fn require_group(peer: PeerRef) -> Result<PeerRef, InvocationError> {
    if peer.kind().is_user() {
        return Err(InvocationError::InvalidArgument(format!(
            "{peer} is a user, not a group or channel"
        )));
    }
    Ok(peer)
}

/// The hash of an invite link (`https://t.me/+HASH`, `t.me/joinchat/HASH`,
/// `tg://join?invite=HASH`, `+HASH`), if `text` is one. Agrees with
/// [`parse_link`](crate::utils::parse_link)'s `Link::Invite`, but borrows.
pub(crate) fn invite_hash(text: &str) -> Option<&str> {
    let text = text.trim();
    if let Some(query) = text.strip_prefix("tg://join?") {
        let hash = query.split('&').find_map(|kv| kv.strip_prefix("invite="))?;
        return (!hash.is_empty()).then_some(hash);
    }
    let link = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"))
        .unwrap_or(text);
    let link = link.strip_prefix("www.").unwrap_or(link);
    let path = ["t.me/", "telegram.me/", "telegram.dog/"]
        .iter()
        .find_map(|host| link.strip_prefix(host))
        .unwrap_or(link);
    let hash = path
        .strip_prefix("joinchat/")
        .or_else(|| path.strip_prefix('+'))?;
    let hash = hash.split(['/', '?', '#']).next().unwrap_or("");
    (!hash.is_empty()).then_some(hash)
}

/// Creates a supergroup or broadcast channel; see [`Client::create_supergroup`] and
/// [`Client::create_channel`]. Await it to send.
#[must_use = "the channel is created when this is awaited"]
pub struct CreateChannel {
    client: Client,
    title: String,
    about: String,
    megagroup: bool,
}

impl CreateChannel {
    /// Sets the description (default empty).
    pub fn about(mut self, about: impl Into<String>) -> Self {
        self.about = about.into();
        self
    }
}

impl IntoFuture for CreateChannel {
    type Output = Result<Chat, InvocationError>;
    type IntoFuture = BoxFuture<'static, Self::Output>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move {
            let updates = self
                .client
                .invoke(&functions::channels::CreateChannel {
                    broadcast: !self.megagroup,
                    megagroup: self.megagroup,
                    for_import: false,
                    forum: false,
                    title: self.title.into(),
                    about: self.about.into(),
                    geo_point: None,
                    address: None,
                    ttl_period: None,
                })
                .await?;
            find_chat(&updates, |c| matches!(c, Chat::Group(_) | Chat::Channel(_))).ok_or(
                InvocationError::UnexpectedAnswer("createChannel without the new channel"),
            )
        })
    }
}

impl Client {
    /// Creates a basic group `title` with `users` (at least one other user).
    ///
    /// # Errors
    ///
    /// Peer resolution; `USERS_TOO_FEW`, `CHAT_TITLE_EMPTY` and other server errors.
    pub async fn create_group<Q: Into<PeerQuery>>(
        &self,
        title: &str,
        users: impl IntoIterator<Item = Q>,
    ) -> Result<Group, InvocationError> {
        let mut inputs = Vec::new();
        for user in users {
            inputs.push(self.input_user(user).await?);
        }
        let enums::messages::InvitedUsers::InvitedUsers(invited) = self
            .invoke(&functions::messages::CreateChat {
                users: inputs,
                title: title.into(),
                ttl_period: None,
            })
            .await?;
        cache(self, &[], &chats_of(&invited.updates)).await?;
        match find_chat(&invited.updates, |c| matches!(c, Chat::Group(_))) {
            Some(Chat::Group(group)) => Ok(group),
            _ => Err(InvocationError::UnexpectedAnswer(
                "createChat without the new group",
            )),
        }
    }

    /// Creates a supergroup (a megagroup) named `title`; set a description with
    /// [`CreateChannel::about`], then await.
    pub fn create_supergroup(&self, title: impl Into<String>) -> CreateChannel {
        CreateChannel {
            client: self.clone(),
            title: title.into(),
            about: String::new(),
            megagroup: true,
        }
    }

    /// Creates a broadcast channel named `title`; set a description with
    /// [`CreateChannel::about`], then await.
    pub fn create_channel(&self, title: impl Into<String>) -> CreateChannel {
        CreateChannel {
            megagroup: false,
            ..self.create_supergroup(title)
        }
    }

    /// Joins a chat: a public group or channel by username or link, or a private one by its
    /// invite link (`https://t.me/+HASH`, `t.me/joinchat/HASH`). For a bare invite hash use
    /// [`join_invite`](Self::join_invite). Returns the chat joined.
    ///
    /// # Errors
    ///
    /// `INVITE_HASH_EXPIRED`, `INVITE_HASH_INVALID`, `USER_ALREADY_PARTICIPANT`,
    /// `CHANNELS_TOO_MUCH`, `CHANNEL_PRIVATE` and other server errors.
    pub async fn join_chat(&self, chat: impl Into<PeerQuery>) -> Result<Chat, InvocationError> {
        let query = chat.into();
        if let PeerQuery::Text(text) = &query {
            if let Some(hash) = invite_hash(text) {
                return self.join_invite(hash).await;
            }
        }
        let peer = self.resolve(query).await?;
        let channel = input_channel(peer).ok_or_else(|| {
            InvocationError::InvalidArgument(format!(
                "{peer} is not a public group or channel; basic groups are joined by invite link"
            ))
        })?;
        let result = self
            .invoke(&functions::channels::JoinChannel { channel })
            .await?;
        let enums::messages::ChatInviteJoinResult::Ok(ok) = result else {
            return Err(InvocationError::UnexpectedAnswer(
                "joinChannel asked for a web view",
            ));
        };
        find_chat(&ok.updates, |c| {
            c.peer_ref().map(|p| p.id()) == Some(peer.id())
        })
        .ok_or(InvocationError::UnexpectedAnswer(
            "joinChannel without the chat",
        ))
    }

    /// Joins a private chat by invite hash or link.
    ///
    /// # Errors
    ///
    /// As [`join_chat`](Self::join_chat).
    pub async fn join_invite(&self, hash_or_link: &str) -> Result<Chat, InvocationError> {
        let hash = invite_hash(hash_or_link).unwrap_or(hash_or_link.trim());
        let result = self
            .invoke(&functions::messages::ImportChatInvite { hash: hash.into() })
            .await?;
        let enums::messages::ChatInviteJoinResult::Ok(ok) = result else {
            return Err(InvocationError::UnexpectedAnswer(
                "importChatInvite asked for a web view",
            ));
        };
        find_chat(&ok.updates, |c| {
            matches!(c, Chat::Group(_) | Chat::Channel(_))
        })
        .ok_or(InvocationError::UnexpectedAnswer(
            "importChatInvite without the chat",
        ))
    }

    /// Leaves a group or channel (a basic group keeps our history of it).
    ///
    /// # Errors
    ///
    /// `USER_NOT_PARTICIPANT` and other server errors.
    pub async fn leave_chat(&self, chat: impl Into<PeerQuery>) -> Result<(), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        match input_channel(peer) {
            Some(channel) => {
                self.invoke(&functions::channels::LeaveChannel { channel })
                    .await?;
            }
            None => {
                self.invoke(&functions::messages::DeleteChatUser {
                    revoke_history: false,
                    chat_id: peer.id(),
                    user_id: enums::InputUser::InputUserSelf,
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Adds users to a group or channel (basic groups take them one by one; channels all at
    /// once).
    ///
    /// # Errors
    ///
    /// `USER_ALREADY_PARTICIPANT`, `CHAT_ADMIN_REQUIRED`, `USERS_TOO_MUCH`,
    /// `USER_CHANNELS_TOO_MUCH` and other server errors.
    pub async fn add_participants<Q: Into<PeerQuery>>(
        &self,
        chat: impl Into<PeerQuery>,
        users: impl IntoIterator<Item = Q>,
    ) -> Result<(), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        let mut inputs = Vec::new();
        for user in users {
            inputs.push(self.input_user(user).await?);
        }
        match input_channel(peer) {
            Some(channel) => {
                self.invoke(&functions::channels::InviteToChannel {
                    channel,
                    users: inputs,
                })
                .await?;
            }
            None => {
                for user_id in inputs {
                    self.invoke(&functions::messages::AddChatUser {
                        chat_id: peer.id(),
                        user_id,
                        // How many recent messages the new member sees (Telegram's maximum).
                        fwd_limit: 100,
                    })
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Renames a group or channel.
    ///
    /// # Errors
    ///
    /// `CHAT_ADMIN_REQUIRED`, `CHAT_NOT_MODIFIED`, `CHAT_TITLE_EMPTY` and others.
    pub async fn edit_title(
        &self,
        chat: impl Into<PeerQuery>,
        title: &str,
    ) -> Result<(), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        match input_channel(peer) {
            Some(channel) => {
                self.invoke(&functions::channels::EditTitle {
                    channel,
                    title: title.into(),
                })
                .await?;
            }
            None => {
                self.invoke(&functions::messages::EditChatTitle {
                    chat_id: peer.id(),
                    title: title.into(),
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Sets (or with `None` removes) the public username of a supergroup or channel the
    /// signed-in user created (basic groups have none: [`InvocationError::InvalidArgument`]).
    ///
    /// # Errors
    ///
    /// `CHAT_ADMIN_REQUIRED` (not the creator), `USERNAME_OCCUPIED`, `USERNAME_INVALID`,
    /// `USERNAME_NOT_MODIFIED` and others.
    pub async fn set_chat_username(
        &self,
        chat: impl Into<PeerQuery>,
        username: Option<&str>,
    ) -> Result<(), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        let channel = input_channel(peer).ok_or_else(|| {
            InvocationError::InvalidArgument(format!("{peer} is a basic group: no username"))
        })?;
        self.invoke(&functions::channels::UpdateUsername {
            channel,
            username: username.unwrap_or("").trim_start_matches('@').into(),
        })
        .await?;
        Ok(())
    }

    /// Sets a group's or channel's description.
    ///
    /// # Errors
    ///
    /// `CHAT_ADMIN_REQUIRED`, `CHAT_ABOUT_NOT_MODIFIED`, `CHAT_ABOUT_TOO_LONG` and others.
    pub async fn edit_about(
        &self,
        chat: impl Into<PeerQuery>,
        about: &str,
    ) -> Result<(), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        self.invoke(&functions::messages::EditChatAbout {
            peer: input_peer(peer),
            about: about.into(),
        })
        .await?;
        Ok(())
    }

    /// Sets a group's or channel's photo to an uploaded file (`upload.saveFilePart` parts
    /// named by `file`), or removes it with `None`.
    ///
    /// # Errors
    ///
    /// `CHAT_ADMIN_REQUIRED`, `CHAT_NOT_MODIFIED`, `FILE_PART_0_MISSING` and others.
    pub async fn edit_photo(
        &self,
        chat: impl Into<PeerQuery>,
        file: Option<enums::InputFile>,
    ) -> Result<(), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        let photo = match file {
            Some(file) => types::InputChatUploadedPhoto {
                file: Some(file),
                video: None,
                video_start_ts: None,
                video_emoji_markup: None,
            }
            .into(),
            None => enums::InputChatPhoto::Empty,
        };
        match input_channel(peer) {
            Some(channel) => {
                self.invoke(&functions::channels::EditPhoto { channel, photo })
                    .await?;
            }
            None => {
                self.invoke(&functions::messages::EditChatPhoto {
                    chat_id: peer.id(),
                    photo,
                })
                .await?;
            }
        }
        Ok(())
    }

    /// Sets a supergroup's slow mode: members wait `seconds` between messages (one of 0 — off
    /// —, 10, 30, 60, 300, 900, 3600).
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] for basic groups (migrate them first);
    /// `SECONDS_INVALID`, `CHAT_ADMIN_REQUIRED`, `CHAT_NOT_MODIFIED` from the server.
    pub async fn set_slow_mode(
        &self,
        chat: impl Into<PeerQuery>,
        seconds: i32,
    ) -> Result<(), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        let channel = input_channel(peer).ok_or_else(|| {
            InvocationError::InvalidArgument(
                "basic groups have no slow mode; migrate to a supergroup first".into(),
            )
        })?;
        self.invoke(&functions::channels::ToggleSlowMode { channel, seconds })
            .await?;
        Ok(())
    }

    /// Deletes a group or channel for everyone (its creator only).
    ///
    /// # Errors
    ///
    /// `CHAT_ADMIN_REQUIRED` and other server errors.
    pub async fn delete_chat(&self, chat: impl Into<PeerQuery>) -> Result<(), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        match input_channel(peer) {
            Some(channel) => {
                self.invoke(&functions::channels::DeleteChannel { channel })
                    .await?;
            }
            None => {
                self.invoke(&functions::messages::DeleteChat { chat_id: peer.id() })
                    .await?;
            }
        }
        Ok(())
    }

    /// Turns a basic group into a supergroup (creator only) and returns the supergroup. The old
    /// id keeps resolving: [`migrated_to`](Self::migrated_to) follows it to the new one.
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] for anything but a basic group;
    /// `CHAT_ADMIN_REQUIRED` and other server errors.
    pub async fn migrate_chat(&self, chat: impl Into<PeerQuery>) -> Result<Group, InvocationError> {
        let peer = self.resolve(chat).await?;
        if peer.kind() != PeerKind::BasicGroup {
            return Err(InvocationError::InvalidArgument(format!(
                "{peer} is not a basic group"
            )));
        }
        let updates = self
            .invoke(&functions::messages::MigrateChat { chat_id: peer.id() })
            .await?;
        match find_chat(
            &updates,
            |c| matches!(c, Chat::Group(g) if g.is_megagroup()),
        ) {
            Some(Chat::Group(group)) => Ok(group),
            _ => Err(InvocationError::UnexpectedAnswer(
                "migrateChat without the supergroup",
            )),
        }
    }

    /// The supergroup a basic group was migrated to (`None` if it was not), so code holding an
    /// old id can follow the migration.
    ///
    /// # Errors
    ///
    /// Peer resolution and server errors.
    pub async fn migrated_to(
        &self,
        chat: impl Into<PeerQuery>,
    ) -> Result<Option<Group>, InvocationError> {
        let peer = self.resolve(chat).await?;
        if peer.kind() != PeerKind::BasicGroup {
            return Ok(None);
        }
        let Chat::Group(group) = self.get_chat(peer).await? else {
            return Ok(None);
        };
        let Some(enums::InputChannel::InputChannel(to)) = (match group.raw() {
            enums::Chat::Chat(c) => c.migrated_to.clone(),
            _ => None,
        }) else {
            return Ok(None);
        };
        let target = PeerRef::new(PeerKind::Supergroup, to.channel_id, Some(to.access_hash))
            .map_err(|e| InvocationError::InvalidArgument(e.to_string()))?;
        match self.get_chat(target).await? {
            Chat::Group(group) => Ok(Some(group)),
            _ => Ok(None),
        }
    }

    /// Removes `user` from a group or channel: in channels and supergroups a ban lifted right
    /// away (so they may come back), in basic groups a removal; when `user` is us, leaves.
    ///
    /// # Errors
    ///
    /// `CHAT_ADMIN_REQUIRED`, `USER_NOT_PARTICIPANT`, `USER_ADMIN_INVALID` and others.
    pub async fn kick_participant(
        &self,
        chat: impl Into<PeerQuery>,
        user: impl Into<PeerQuery>,
    ) -> Result<(), InvocationError> {
        let peer = require_group(self.resolve(chat).await?)?;
        let user = self.resolve(user).await?;
        let me = self.get_me().await?.id();
        if user.id() == me && user.kind().is_user() {
            return self.leave_chat(peer).await;
        }
        match input_channel(peer) {
            Some(channel) => {
                let participant = input_peer(user);
                let banned = Permissions::none().into_banned(0);
                self.invoke(&functions::channels::EditBanned {
                    channel: channel.clone(),
                    participant: participant.clone(),
                    banned_rights: banned.into(),
                })
                .await?;
                let lifted = Permissions::all().into_banned(0);
                self.invoke(&functions::channels::EditBanned {
                    channel,
                    participant,
                    banned_rights: lifted.into(),
                })
                .await?;
            }
            None => {
                let user_id = input_user(user).ok_or_else(|| {
                    InvocationError::InvalidArgument(format!("{user} is not a user"))
                })?;
                self.invoke(&functions::messages::DeleteChatUser {
                    revoke_history: false,
                    chat_id: peer.id(),
                    user_id,
                })
                .await?;
            }
        }
        Ok(())
    }
}

/// The chats guide, `docs/chats.md`, included so that `cargo test` compiles its examples.
#[cfg(doctest)]
#[doc = include_str!("../../../../docs/chats.md")]
pub struct ChatsGuide;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_links_are_recognised() {
        assert_eq!(invite_hash("https://t.me/+AbC_d-1"), Some("AbC_d-1"));
        assert_eq!(invite_hash("t.me/joinchat/XyZ"), Some("XyZ"));
        assert_eq!(invite_hash("https://telegram.me/+q?x=1"), Some("q"));
        assert_eq!(invite_hash("+hash"), Some("hash"));
        assert_eq!(invite_hash("https://t.me/durov"), None);
        assert_eq!(invite_hash("durov"), None);
        assert_eq!(invite_hash("tg://join?invite=XyZ"), Some("XyZ"));
        assert_eq!(invite_hash("tg://join?x=1"), None);
        for link in [
            "https://t.me/+AbC_d-1",
            "t.me/joinchat/XyZ",
            "tg://join?invite=XyZ",
        ] {
            let Some(crate::utils::Link::Invite(hash)) = crate::utils::parse_link(link) else {
                panic!("{link} is an invite link");
            };
            assert_eq!(invite_hash(link), Some(hash.as_str()));
        }
        assert_eq!(invite_hash("https://t.me/+"), None);
    }
}
