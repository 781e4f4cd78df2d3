//! Small conversions for working with raw API objects: links and phone numbers, ids, and the
//! `Input*` forms requests take (what Telethon keeps in `telethon.utils`).
//!
//! Each helper is pure: nothing here talks to the server or the session. Most of Telethon's
//! `utils` already have a home on the types themselves; this table says where:
//!
//! | Telethon | tgwire |
//! |---|---|
//! | `get_display_name(entity)` | [`User::full_name`](crate::User::full_name), [`Chat::name`](crate::Chat::name) |
//! | `get_peer_id(peer)` | [`peer_bot_api_id`], [`PeerRef::bot_api_id`], [`Chat::bot_api_id`](crate::Chat::bot_api_id) |
//! | `resolve_id(marked_id)` | [`PeerRef::from_bot_api_id`] (then [`PeerRef::kind`], [`PeerRef::id`]) |
//! | `get_peer(entity)` | [`peer`] |
//! | `get_input_peer` / `get_input_user` / `get_input_channel` | [`input_peer`], [`input_user`], [`input_channel`] from a [`PeerRef`]; [`user_ref`] and [`chat_ref`] get that reference from a raw object; [`input_user_of`] and [`input_channel_of`] convert an `InputPeer` |
//! | `get_input_document` / `get_input_photo` | [`input_document`], [`input_photo`] |
//! | `get_input_media(media)` | [`InputMedia::from_media`](crate::InputMedia::from_media) |
//! | `pack_bot_file_id` / `resolve_bot_file_id` | [`FileId::pack`](crate::FileId::pack) / [`FileId::unpack`](crate::FileId::unpack) |
//! | `parse_username(text)`, `resolve_invite_link(link)` | [`parse_link`] |
//! | `parse_phone(text)` | [`parse_phone`] |
//!
//! Every method that takes a chat ([`PeerQuery`](crate::PeerQuery)) already understands the
//! links, usernames, phone numbers and ids these helpers parse; use the helpers when you need
//! the parts yourself (a message link's id, a bot's start parameter, a raw request's input).

mod links;
mod phone;

pub(crate) use links::valid_username;
pub use links::{parse_link, Link, LinkChat, MessageLink};
pub use phone::parse_phone;

pub use crate::types::chat::{input_channel, input_peer, input_user, peer_bot_api_id};

use tgwire_session::{PeerKind, PeerRef};
use tgwire_tl_types::{enums, types};

use crate::types::chat::{Chat, User};

/// The TL `Peer` (as messages and updates name chats) for a reference.
///
/// ```
/// use tgwire::{tl::enums, utils, PeerRef};
///
/// let news: PeerRef = "c1234.ff".parse()?;
/// let peer = utils::peer(news);
/// assert!(matches!(&peer, enums::Peer::Channel(c) if c.channel_id == 1234));
/// assert_eq!(utils::peer_bot_api_id(&peer), news.bot_api_id());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn peer(peer: PeerRef) -> enums::Peer {
    match peer.kind() {
        PeerKind::User | PeerKind::Bot => types::PeerUser { user_id: peer.id() }.into(),
        PeerKind::BasicGroup => types::PeerChat { chat_id: peer.id() }.into(),
        _ => types::PeerChannel {
            channel_id: peer.id(),
        }
        .into(),
    }
}

/// The reference to a raw user (bots included); `None` for `userEmpty` and users without an
/// access hash.
pub fn user_ref(raw: &enums::User) -> Option<PeerRef> {
    User::from_raw(raw.clone()).peer_ref()
}

/// The reference to a raw chat: basic groups, supergroups, channels (forbidden ones too);
/// `None` for `chatEmpty` and channels without an access hash.
pub fn chat_ref(raw: &enums::Chat) -> Option<PeerRef> {
    Chat::from_raw_chat(raw.clone())?.peer_ref()
}

/// The `InputUser` an `InputPeer` stands for, if it is a user (the signed-in user, a user by
/// hash, or a user seen in a message).
///
/// ```
/// use tgwire::{tl::{enums, types}, utils};
///
/// let peer: enums::InputPeer = types::InputPeerUser { user_id: 42, access_hash: 7 }.into();
/// let user = utils::input_user_of(&peer);
/// assert_eq!(user, Some(types::InputUser { user_id: 42, access_hash: 7 }.into()));
/// assert_eq!(utils::input_channel_of(&peer), None);
/// ```
pub fn input_user_of(peer: &enums::InputPeer) -> Option<enums::InputUser> {
    match peer {
        enums::InputPeer::InputPeerSelf => Some(enums::InputUser::InputUserSelf),
        enums::InputPeer::User(u) => Some(
            types::InputUser {
                user_id: u.user_id,
                access_hash: u.access_hash,
            }
            .into(),
        ),
        enums::InputPeer::UserFromMessage(u) => Some(
            types::InputUserFromMessage {
                peer: u.peer.clone(),
                msg_id: u.msg_id,
                user_id: u.user_id,
            }
            .into(),
        ),
        _ => None,
    }
}

/// The `InputChannel` an `InputPeer` stands for, if it is a supergroup or channel.
pub fn input_channel_of(peer: &enums::InputPeer) -> Option<enums::InputChannel> {
    match peer {
        enums::InputPeer::Channel(c) => Some(
            types::InputChannel {
                channel_id: c.channel_id,
                access_hash: c.access_hash,
            }
            .into(),
        ),
        enums::InputPeer::ChannelFromMessage(c) => Some(
            types::InputChannelFromMessage {
                peer: c.peer.clone(),
                msg_id: c.msg_id,
                channel_id: c.channel_id,
            }
            .into(),
        ),
        _ => None,
    }
}

/// The `InputPeer` for an `InputUser` (the reverse of [`input_user_of`]); `None` for
/// `inputUserEmpty`.
pub fn input_peer_of_user(user: &enums::InputUser) -> Option<enums::InputPeer> {
    match user {
        enums::InputUser::Empty => None,
        enums::InputUser::InputUserSelf => Some(enums::InputPeer::InputPeerSelf),
        enums::InputUser::InputUser(u) => Some(
            types::InputPeerUser {
                user_id: u.user_id,
                access_hash: u.access_hash,
            }
            .into(),
        ),
        enums::InputUser::FromMessage(u) => Some(
            types::InputPeerUserFromMessage {
                peer: u.peer.clone(),
                msg_id: u.msg_id,
                user_id: u.user_id,
            }
            .into(),
        ),
    }
}

/// The `InputPeer` for an `InputChannel`; `None` for `inputChannelEmpty`.
pub fn input_peer_of_channel(channel: &enums::InputChannel) -> Option<enums::InputPeer> {
    match channel {
        enums::InputChannel::Empty => None,
        enums::InputChannel::InputChannel(c) => Some(
            types::InputPeerChannel {
                channel_id: c.channel_id,
                access_hash: c.access_hash,
            }
            .into(),
        ),
        enums::InputChannel::FromMessage(c) => Some(
            types::InputPeerChannelFromMessage {
                peer: c.peer.clone(),
                msg_id: c.msg_id,
                channel_id: c.channel_id,
            }
            .into(),
        ),
    }
}

/// The `InputDocument` that names a document in requests (to send it again, fave a sticker,
/// …); `None` for `documentEmpty`.
pub fn input_document(document: &enums::Document) -> Option<enums::InputDocument> {
    match document {
        enums::Document::Document(d) => Some(
            types::InputDocument {
                id: d.id,
                access_hash: d.access_hash,
                file_reference: d.file_reference.clone(),
            }
            .into(),
        ),
        enums::Document::Empty(_) => None,
    }
}

/// The `InputPhoto` that names a photo in requests; `None` for `photoEmpty`.
pub fn input_photo(photo: &enums::Photo) -> Option<enums::InputPhoto> {
    match photo {
        enums::Photo::Photo(p) => Some(
            types::InputPhoto {
                id: p.id,
                access_hash: p.access_hash,
                file_reference: p.file_reference.clone(),
            }
            .into(),
        ),
        enums::Photo::Empty(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::chat::tests::{raw_channel, raw_user};

    #[test]
    fn peers_and_references() {
        for text in ["u42.7", "b43.8", "g44", "s45.9", "c46.a", "x47.b"] {
            let r: PeerRef = text.parse().unwrap();
            assert_eq!(peer_bot_api_id(&peer(r)), r.bot_api_id(), "{text}");
            // Input forms round-trip through the InputPeer conversions.
            let input = input_peer(r);
            if let Some(user) = input_user(r) {
                assert_eq!(input_user_of(&input), Some(user.clone()));
                assert_eq!(input_peer_of_user(&user), Some(input.clone()));
            }
            if let Some(channel) = input_channel(r) {
                assert_eq!(input_channel_of(&input), Some(channel.clone()));
                assert_eq!(input_peer_of_channel(&channel), Some(input.clone()));
            }
            assert_eq!(
                input_user_of(&input).is_some(),
                r.kind().is_user(),
                "{text}"
            );
            assert_eq!(
                input_channel_of(&input).is_some(),
                r.kind().is_channel(),
                "{text}"
            );
        }
        let from_message: enums::InputPeer = types::InputPeerChannelFromMessage {
            peer: enums::InputPeer::InputPeerSelf,
            msg_id: 5,
            channel_id: 9,
        }
        .into();
        let channel = input_channel_of(&from_message).unwrap();
        assert_eq!(input_peer_of_channel(&channel), Some(from_message));
        assert_eq!(
            input_peer_of_user(&enums::InputUser::InputUserSelf),
            Some(enums::InputPeer::InputPeerSelf)
        );
        assert_eq!(input_peer_of_user(&enums::InputUser::Empty), None);
    }

    #[test]
    fn raw_objects_to_references() {
        let bot = user_ref(&raw_user(42, 7, true, false)).unwrap();
        assert_eq!(bot, "b42.7".parse().unwrap());
        let channel = chat_ref(&raw_channel(46, 10, true)).unwrap();
        assert_eq!(channel.kind(), PeerKind::Broadcast);
        assert_eq!(channel.access_hash(), Some(10));
        let basic: enums::Chat = types::ChatForbidden {
            id: 44,
            title: "old".into(),
        }
        .into();
        assert_eq!(chat_ref(&basic), Some("g44".parse().unwrap()));
    }

    #[test]
    fn media_inputs() {
        let document: enums::Document = types::DocumentEmpty { id: 1 }.into();
        assert_eq!(input_document(&document), None);
        let photo: enums::Photo = types::Photo {
            has_stickers: false,
            id: 5,
            access_hash: 6,
            file_reference: vec![1, 2].into(),
            date: 0,
            sizes: Vec::new(),
            video_sizes: None,
            dc_id: 2,
        }
        .into();
        assert_eq!(
            input_photo(&photo),
            Some(
                types::InputPhoto {
                    id: 5,
                    access_hash: 6,
                    file_reference: vec![1, 2].into()
                }
                .into()
            )
        );
    }
}
