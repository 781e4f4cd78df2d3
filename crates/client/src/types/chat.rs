//! Users, groups and channels as one would talk about them, over the raw TL objects.
//!
//! Telegram's API has three peer objects (`User`, `Chat` for basic groups, `Channel` for
//! megagroups, gigagroups and broadcast channels). What a user means is different: a
//! [`Group`] is any group (basic or megagroup), a [`Channel`] is a broadcast channel. The raw
//! object stays available through `raw()`.

use tgwire_session::{CachedPeer, PeerKind, PeerRef};
use tgwire_tl_types::{enums, types};

/// A user or a bot.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    raw: enums::User,
}

impl User {
    /// Wraps the raw object.
    pub fn from_raw(raw: enums::User) -> Self {
        User { raw }
    }

    /// The raw TL object.
    pub fn raw(&self) -> &enums::User {
        &self.raw
    }

    fn full(&self) -> Option<&types::User> {
        match &self.raw {
            enums::User::User(u) => Some(u),
            enums::User::Empty(_) => None,
        }
    }

    /// The user's id.
    pub fn id(&self) -> i64 {
        match &self.raw {
            enums::User::User(u) => u.id,
            enums::User::Empty(u) => u.id,
        }
    }

    /// First name ("" if none or inaccessible).
    pub fn first_name(&self) -> &str {
        self.full()
            .and_then(|u| u.first_name.as_deref())
            .unwrap_or("")
    }

    /// Last name, if set.
    pub fn last_name(&self) -> Option<&str> {
        self.full().and_then(|u| u.last_name.as_deref())
    }

    /// First and last name joined by a space.
    pub fn full_name(&self) -> String {
        match self.last_name() {
            Some(last) if !last.is_empty() => format!("{} {last}", self.first_name()),
            _ => self.first_name().to_owned(),
        }
    }

    /// The main username, without `@`.
    pub fn username(&self) -> Option<&str> {
        let user = self.full()?;
        user.username.as_deref().or_else(|| {
            user.usernames.as_ref()?.iter().find_map(|u| match u {
                enums::Username::Username(u) if u.active => Some(u.username.as_str()),
                _ => None,
            })
        })
    }

    /// Every active username (the main one and collectible ones).
    pub fn usernames(&self) -> Vec<String> {
        usernames(
            self.full().and_then(|u| u.username.as_deref()),
            self.full().and_then(|u| u.usernames.as_deref()),
        )
    }

    /// The phone number, when visible to us (digits, no `+`).
    pub fn phone(&self) -> Option<&str> {
        self.full().and_then(|u| u.phone.as_deref())
    }

    /// Whether this is a bot.
    pub fn is_bot(&self) -> bool {
        self.full().is_some_and(|u| u.bot)
    }

    /// Whether this is the signed-in account.
    pub fn is_self(&self) -> bool {
        self.full().is_some_and(|u| u.is_self)
    }

    /// Whether the account was deleted.
    pub fn is_deleted(&self) -> bool {
        self.full().is_some_and(|u| u.deleted)
    }

    /// Whether Telegram verified the account.
    pub fn is_verified(&self) -> bool {
        self.full().is_some_and(|u| u.verified)
    }

    /// Whether the user has Telegram Premium.
    pub fn is_premium(&self) -> bool {
        self.full().is_some_and(|u| u.premium)
    }

    /// Whether this is a "min" object whose access hash is only valid in the message it came
    /// with.
    pub fn is_min(&self) -> bool {
        self.full().is_some_and(|u| u.min)
    }

    /// The reference that addresses this user in requests (`None` without an access hash).
    pub fn peer_ref(&self) -> Option<PeerRef> {
        let kind = if self.is_bot() {
            PeerKind::Bot
        } else {
            PeerKind::User
        };
        let hash = self.full()?.access_hash?;
        PeerRef::new(kind, self.id(), Some(hash)).ok()
    }
}

/// A group: a basic group (`Chat`) or a megagroup/gigagroup (`Channel` with `megagroup`).
#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    raw: GroupRaw,
}

/// The TL object behind a [`Group`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum GroupRaw {
    /// A basic group (`chat` or `chatForbidden`).
    Basic(enums::Chat),
    /// A megagroup or gigagroup (`channel` or `channelForbidden`).
    Mega(enums::Chat),
}

impl Group {
    /// The raw TL object.
    pub fn raw(&self) -> &enums::Chat {
        match &self.raw {
            GroupRaw::Basic(c) | GroupRaw::Mega(c) => c,
        }
    }

    /// The group's id (bare, as in the TL object).
    pub fn id(&self) -> i64 {
        chat_id(self.raw())
    }

    /// The title.
    pub fn title(&self) -> &str {
        chat_title(self.raw())
    }

    /// The public username, if any.
    pub fn username(&self) -> Option<&str> {
        channel_username(self.raw())
    }

    /// Whether this is a megagroup (a supergroup) rather than a basic group.
    pub fn is_megagroup(&self) -> bool {
        matches!(self.raw, GroupRaw::Mega(_))
    }

    /// Whether the signed-in account created it.
    pub fn is_creator(&self) -> bool {
        match self.raw() {
            enums::Chat::Chat(c) => c.creator,
            enums::Chat::Channel(c) => c.creator,
            _ => false,
        }
    }

    /// Members, when the object says.
    pub fn participants_count(&self) -> Option<i32> {
        match self.raw() {
            enums::Chat::Chat(c) => Some(c.participants_count),
            enums::Chat::Channel(c) => c.participants_count,
            _ => None,
        }
    }

    /// The reference that addresses this group in requests.
    pub fn peer_ref(&self) -> Option<PeerRef> {
        chat_peer_ref(self.raw())
    }
}

/// A broadcast channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Channel {
    raw: enums::Chat,
}

impl Channel {
    /// The raw TL object (`channel` or `channelForbidden`).
    pub fn raw(&self) -> &enums::Chat {
        &self.raw
    }

    /// The channel's id (bare).
    pub fn id(&self) -> i64 {
        chat_id(&self.raw)
    }

    /// The title.
    pub fn title(&self) -> &str {
        chat_title(&self.raw)
    }

    /// The public username, if any.
    pub fn username(&self) -> Option<&str> {
        channel_username(&self.raw)
    }

    /// The reference that addresses this channel in requests.
    pub fn peer_ref(&self) -> Option<PeerRef> {
        chat_peer_ref(&self.raw)
    }
}

/// Anything one can talk to: a user, a group or a channel.
#[derive(Clone, Debug, PartialEq)]
pub enum Chat {
    /// A user or bot.
    User(User),
    /// A basic group or megagroup.
    Group(Group),
    /// A broadcast channel.
    Channel(Channel),
}

impl Chat {
    /// Sorts a raw `Chat` object into a [`Group`] or a [`Channel`]; `None` for `chatEmpty`.
    pub fn from_raw_chat(raw: enums::Chat) -> Option<Chat> {
        match &raw {
            // Communities group chats; they are not a chat one can talk to.
            enums::Chat::Empty(_)
            | enums::Chat::Community(_)
            | enums::Chat::CommunityForbidden(_) => None,
            enums::Chat::Chat(_) | enums::Chat::Forbidden(_) => Some(Chat::Group(Group {
                raw: GroupRaw::Basic(raw),
            })),
            enums::Chat::Channel(c) if !c.broadcast => Some(Chat::Group(Group {
                raw: GroupRaw::Mega(raw),
            })),
            enums::Chat::ChannelForbidden(c) if c.megagroup => Some(Chat::Group(Group {
                raw: GroupRaw::Mega(raw),
            })),
            enums::Chat::Channel(_) | enums::Chat::ChannelForbidden(_) => {
                Some(Chat::Channel(Channel { raw }))
            }
        }
    }

    /// Wraps a raw user.
    pub fn from_raw_user(raw: enums::User) -> Chat {
        Chat::User(User::from_raw(raw))
    }

    /// The id as the TL objects have it (positive; users, groups and channels may share one).
    pub fn id(&self) -> i64 {
        match self {
            Chat::User(u) => u.id(),
            Chat::Group(g) => g.id(),
            Chat::Channel(c) => c.id(),
        }
    }

    /// The Bot API style id, unique across kinds: users positive, basic groups `-id`,
    /// channels and megagroups `-100…`.
    pub fn bot_api_id(&self) -> i64 {
        match self.peer_ref() {
            Some(peer) => peer.bot_api_id(),
            None => match self {
                Chat::User(u) => u.id(),
                Chat::Group(g) if !g.is_megagroup() => -g.id(),
                _ => -(tgwire_session::BOT_API_CHANNEL_OFFSET + self.id()),
            },
        }
    }

    /// A user's full name or a group's or channel's title.
    pub fn name(&self) -> String {
        match self {
            Chat::User(u) => u.full_name(),
            Chat::Group(g) => g.title().to_owned(),
            Chat::Channel(c) => c.title().to_owned(),
        }
    }

    /// The public username, if any.
    pub fn username(&self) -> Option<&str> {
        match self {
            Chat::User(u) => u.username(),
            Chat::Group(g) => g.username(),
            Chat::Channel(c) => c.username(),
        }
    }

    /// The reference that addresses this chat in requests.
    pub fn peer_ref(&self) -> Option<PeerRef> {
        match self {
            Chat::User(u) => u.peer_ref(),
            Chat::Group(g) => g.peer_ref(),
            Chat::Channel(c) => c.peer_ref(),
        }
    }

    /// What the peer cache stores about this chat (`None` for objects that carry no usable
    /// reference).
    pub fn to_cached(&self) -> Option<CachedPeer> {
        match self {
            Chat::User(u) => cached_user(u.raw()),
            Chat::Group(g) => cached_chat(g.raw()),
            Chat::Channel(c) => cached_chat(c.raw()),
        }
    }
}

fn usernames(main: Option<&str>, all: Option<&[enums::Username]>) -> Vec<String> {
    let mut names: Vec<String> = main.map(str::to_owned).into_iter().collect();
    for name in all.unwrap_or_default() {
        let enums::Username::Username(u) = name;
        if u.active && !names.iter().any(|n| n.eq_ignore_ascii_case(&u.username)) {
            names.push(u.username.to_string());
        }
    }
    names
}

fn chat_id(raw: &enums::Chat) -> i64 {
    match raw {
        enums::Chat::Empty(c) => c.id,
        enums::Chat::Chat(c) => c.id,
        enums::Chat::Forbidden(c) => c.id,
        enums::Chat::Channel(c) => c.id,
        enums::Chat::ChannelForbidden(c) => c.id,
        enums::Chat::Community(c) => c.id,
        enums::Chat::CommunityForbidden(c) => c.id,
    }
}

fn chat_title(raw: &enums::Chat) -> &str {
    match raw {
        enums::Chat::Empty(_) => "",
        enums::Chat::Chat(c) => &c.title,
        enums::Chat::Forbidden(c) => &c.title,
        enums::Chat::Channel(c) => &c.title,
        enums::Chat::ChannelForbidden(c) => &c.title,
        enums::Chat::Community(c) => &c.title,
        enums::Chat::CommunityForbidden(c) => &c.title,
    }
}

fn channel_username(raw: &enums::Chat) -> Option<&str> {
    match raw {
        enums::Chat::Channel(c) => c.username.as_deref().or_else(|| {
            c.usernames.as_ref()?.iter().find_map(|u| match u {
                enums::Username::Username(u) if u.active => Some(u.username.as_str()),
                _ => None,
            })
        }),
        _ => None,
    }
}

fn channel_kind(broadcast: bool, megagroup: bool, gigagroup: bool) -> PeerKind {
    if gigagroup {
        PeerKind::Gigagroup
    } else if megagroup || !broadcast {
        PeerKind::Supergroup
    } else {
        PeerKind::Broadcast
    }
}

fn chat_peer_ref(raw: &enums::Chat) -> Option<PeerRef> {
    match raw {
        enums::Chat::Empty(_) | enums::Chat::Community(_) | enums::Chat::CommunityForbidden(_) => {
            None
        }
        enums::Chat::Chat(c) => PeerRef::new(PeerKind::BasicGroup, c.id, None).ok(),
        enums::Chat::Forbidden(c) => PeerRef::new(PeerKind::BasicGroup, c.id, None).ok(),
        enums::Chat::Channel(c) => PeerRef::new(
            channel_kind(c.broadcast, c.megagroup, c.gigagroup),
            c.id,
            Some(c.access_hash?),
        )
        .ok(),
        enums::Chat::ChannelForbidden(c) => PeerRef::new(
            channel_kind(c.broadcast, c.megagroup, false),
            c.id,
            Some(c.access_hash),
        )
        .ok(),
    }
}

/// The peer-cache entry for a raw user (this is the conversion `tgwire-session` leaves to the
/// client): kind from the `bot` flag, `min` kept so the session's min rule can protect full
/// hashes.
pub(crate) fn cached_user(raw: &enums::User) -> Option<CachedPeer> {
    let enums::User::User(u) = raw else {
        return None;
    };
    let kind = if u.bot { PeerKind::Bot } else { PeerKind::User };
    let mut cached = CachedPeer::new(PeerRef::new(kind, u.id, u.access_hash).ok()?);
    cached.min = u.min;
    cached.usernames = usernames(u.username.as_deref(), u.usernames.as_deref());
    cached.phone = u.phone.clone().map(Into::into);
    let user = User::from_raw(raw.clone());
    let name = user.full_name();
    cached.name = (!name.is_empty()).then_some(name);
    Some(cached)
}

/// The peer-cache entry for a raw chat or channel.
pub(crate) fn cached_chat(raw: &enums::Chat) -> Option<CachedPeer> {
    let peer = match raw {
        // A channel without a hash is still worth caching by id and name only if it is min:
        // skip it otherwise, there is nothing to address it with.
        enums::Chat::Channel(c) if c.access_hash.is_none() => return None,
        _ => chat_peer_ref(raw)?,
    };
    let mut cached = CachedPeer::new(peer);
    if let enums::Chat::Channel(c) = raw {
        cached.min = c.min;
        cached.usernames = usernames(c.username.as_deref(), c.usernames.as_deref());
    }
    let title = chat_title(raw);
    cached.name = (!title.is_empty()).then(|| title.to_owned());
    Some(cached)
}

/// The `InputPeer` for a reference (no hash: 0, which Telegram accepts for some peers such as
/// bots' own chats and the session's own user).
pub fn input_peer(peer: PeerRef) -> enums::InputPeer {
    let hash = peer.access_hash().unwrap_or(0);
    match peer.kind() {
        PeerKind::User | PeerKind::Bot => types::InputPeerUser {
            user_id: peer.id(),
            access_hash: hash,
        }
        .into(),
        PeerKind::BasicGroup => types::InputPeerChat { chat_id: peer.id() }.into(),
        _ => types::InputPeerChannel {
            channel_id: peer.id(),
            access_hash: hash,
        }
        .into(),
    }
}

/// The `InputUser` for a user reference; `None` for groups and channels.
pub fn input_user(peer: PeerRef) -> Option<enums::InputUser> {
    peer.kind().is_user().then(|| {
        types::InputUser {
            user_id: peer.id(),
            access_hash: peer.access_hash().unwrap_or(0),
        }
        .into()
    })
}

/// The `InputChannel` for a channel or megagroup reference; `None` otherwise.
pub fn input_channel(peer: PeerRef) -> Option<enums::InputChannel> {
    peer.kind().is_channel().then(|| {
        types::InputChannel {
            channel_id: peer.id(),
            access_hash: peer.access_hash().unwrap_or(0),
        }
        .into()
    })
}

/// The Bot API id of a TL `Peer` (users positive, chats `-id`, channels `-100…id`).
pub fn peer_bot_api_id(peer: &enums::Peer) -> i64 {
    match peer {
        enums::Peer::User(p) => p.user_id,
        enums::Peer::Chat(p) => -p.chat_id,
        enums::Peer::Channel(p) => -(tgwire_session::BOT_API_CHANNEL_OFFSET + p.channel_id),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn raw_user(id: i64, hash: i64, bot: bool, min: bool) -> enums::User {
        types::User {
            is_self: false,
            contact: false,
            mutual_contact: false,
            deleted: false,
            bot,
            bot_chat_history: false,
            bot_nochats: false,
            verified: false,
            restricted: false,
            min,
            bot_inline_geo: false,
            support: false,
            scam: false,
            apply_min_photo: false,
            fake: false,
            bot_attach_menu: false,
            premium: false,
            attach_menu_enabled: false,
            bot_can_edit: false,
            close_friend: false,
            stories_hidden: false,
            stories_unavailable: false,
            contact_require_premium: false,
            bot_business: false,
            bot_has_main_app: false,
            bot_forum_view: false,
            bot_forum_can_manage_topics: false,
            bot_can_manage_bots: false,
            bot_guestchat: false,
            bot_guard: false,
            id,
            access_hash: Some(hash),
            first_name: Some("Ada".into()),
            last_name: Some("Lovelace".into()),
            username: Some("ada".into()),
            phone: Some("15550001".into()),
            photo: None,
            status: None,
            bot_info_version: None,
            restriction_reason: None,
            bot_inline_placeholder: None,
            lang_code: None,
            emoji_status: None,
            usernames: Some(vec![
                types::Username {
                    editable: false,
                    active: true,
                    deletable: false,
                    expired: false,
                    username: "countess".into(),
                }
                .into(),
                types::Username {
                    editable: false,
                    active: false,
                    deletable: false,
                    expired: false,
                    username: "old".into(),
                }
                .into(),
            ]),
            stories_max_id: None,
            color: None,
            profile_color: None,
            bot_active_users: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_community_id: None,
        }
        .into()
    }

    pub(crate) fn raw_channel(id: i64, hash: i64, broadcast: bool) -> enums::Chat {
        types::Channel {
            creator: false,
            left: false,
            broadcast,
            verified: false,
            megagroup: !broadcast,
            restricted: false,
            signatures: false,
            min: false,
            scam: false,
            has_link: false,
            has_geo: false,
            slowmode_enabled: false,
            call_active: false,
            call_not_empty: false,
            fake: false,
            gigagroup: false,
            noforwards: false,
            join_to_send: false,
            join_request: false,
            forum: false,
            stories_hidden: false,
            stories_hidden_min: false,
            stories_unavailable: false,
            signature_profiles: false,
            autotranslation: false,
            broadcast_messages_allowed: false,
            monoforum: false,
            forum_tabs: false,
            id,
            access_hash: Some(hash),
            title: "News".into(),
            username: Some("news".into()),
            photo: enums::ChatPhoto::Empty,
            date: 0,
            restriction_reason: None,
            admin_rights: None,
            banned_rights: None,
            default_banned_rights: None,
            participants_count: Some(3),
            usernames: None,
            stories_max_id: None,
            color: None,
            profile_color: None,
            emoji_status: None,
            level: None,
            subscription_until_date: None,
            bot_verification_icon: None,
            send_paid_messages_stars: None,
            linked_monoforum_id: None,
            linked_community_id: None,
        }
        .into()
    }

    #[test]
    fn users_map_to_cache_entries() {
        let user = User::from_raw(raw_user(42, 7, false, false));
        assert_eq!(user.full_name(), "Ada Lovelace");
        assert_eq!(user.username(), Some("ada"));
        assert_eq!(user.usernames(), ["ada", "countess"]);
        assert_eq!(
            user.peer_ref().map(|p| p.to_string()).as_deref(),
            Some("u42.7")
        );
        let cached = cached_user(user.raw()).unwrap();
        assert_eq!(cached.peer.to_string(), "u42.7");
        assert_eq!(cached.usernames, ["ada", "countess"]);
        assert_eq!(cached.phone.as_deref(), Some("15550001"));
        assert_eq!(cached.name.as_deref(), Some("Ada Lovelace"));
        assert!(!cached.min);

        let bot = cached_user(&raw_user(43, 8, true, true)).unwrap();
        assert_eq!(bot.peer.kind(), PeerKind::Bot);
        assert!(bot.min);
        assert!(cached_user(&types::UserEmpty { id: 1 }.into()).is_none());
    }

    #[test]
    fn chats_sort_into_groups_and_channels() {
        let basic = Chat::from_raw_chat(
            types::Chat {
                creator: true,
                left: false,
                deactivated: false,
                call_active: false,
                call_not_empty: false,
                noforwards: false,
                id: 77,
                title: "Friends".into(),
                photo: enums::ChatPhoto::Empty,
                participants_count: 3,
                date: 0,
                version: 1,
                migrated_to: None,
                admin_rights: None,
                default_banned_rights: None,
            }
            .into(),
        )
        .unwrap();
        let Chat::Group(group) = &basic else {
            panic!("basic group is a Group: {basic:?}")
        };
        assert!(!group.is_megagroup() && group.is_creator());
        assert_eq!(basic.bot_api_id(), -77);
        assert_eq!(basic.to_cached().unwrap().peer.to_string(), "g77");

        let mega = Chat::from_raw_chat(raw_channel(5, 9, false)).unwrap();
        assert!(matches!(&mega, Chat::Group(g) if g.is_megagroup()));
        assert_eq!(mega.bot_api_id(), -1_000_000_000_005);
        assert_eq!(mega.peer_ref().unwrap().kind(), PeerKind::Supergroup);

        let channel = Chat::from_raw_chat(raw_channel(6, 10, true)).unwrap();
        assert!(matches!(&channel, Chat::Channel(_)));
        let cached = channel.to_cached().unwrap();
        assert_eq!(cached.peer.to_string(), "c6.a");
        assert_eq!(cached.usernames, ["news"]);
        assert_eq!(channel.name(), "News");
        assert!(Chat::from_raw_chat(types::ChatEmpty { id: 1 }.into()).is_none());
    }

    #[test]
    fn references_become_input_objects() {
        let user: PeerRef = "u42.7".parse().unwrap();
        assert_eq!(
            input_peer(user),
            types::InputPeerUser {
                user_id: 42,
                access_hash: 7
            }
            .into()
        );
        assert!(input_channel(user).is_none());
        let chat: PeerRef = "g5".parse().unwrap();
        assert_eq!(input_peer(chat), types::InputPeerChat { chat_id: 5 }.into());
        let channel: PeerRef = "s6.10".parse().unwrap();
        assert_eq!(
            input_channel(channel),
            Some(
                types::InputChannel {
                    channel_id: 6,
                    access_hash: 16
                }
                .into()
            )
        );
        assert_eq!(
            peer_bot_api_id(&types::PeerChannel { channel_id: 6 }.into()),
            -1_000_000_000_006
        );
    }
}
