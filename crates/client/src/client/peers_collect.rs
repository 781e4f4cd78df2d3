//! Storing the users and chats an answer carries in the peer cache.
//!
//! `invoke` is generic over every function, but only some answer types carry users and chats.
//! Rather than a trait every generated type would need, the answer is looked at through
//! `std::any::Any` and the known carriers are matched by type.

use std::any::Any;

use tgwire_session::{CachedPeer, Changes};
use tgwire_tl_types::enums;

use super::Client;
use crate::types::chat::{cached_chat, cached_user};
use crate::InvocationError;

/// The users and chats of an answer, if its type is one that carries them.
pub(crate) fn peers_of(value: &dyn Any) -> Option<(&[enums::User], &[enums::Chat])> {
    use enums::{auth, channels, contacts, messages, updates, users};
    macro_rules! try_types {
        ($($t:ty => |$v:ident| $body:expr,)*) => {
            $(
                if let Some($v) = value.downcast_ref::<$t>() {
                    return $body;
                }
            )*
        };
    }
    try_types! {
        enums::Updates => |v| match v {
            enums::Updates::Updates(u) => Some((&u.users[..], &u.chats[..])),
            enums::Updates::Combined(u) => Some((&u.users[..], &u.chats[..])),
            _ => None,
        },
        messages::Messages => |v| match v {
            messages::Messages::Messages(m) => Some((&m.users[..], &m.chats[..])),
            messages::Messages::Slice(m) => Some((&m.users[..], &m.chats[..])),
            messages::Messages::ChannelMessages(m) => Some((&m.users[..], &m.chats[..])),
            _ => None,
        },
        messages::Dialogs => |v| match v {
            messages::Dialogs::Dialogs(d) => Some((&d.users[..], &d.chats[..])),
            messages::Dialogs::Slice(d) => Some((&d.users[..], &d.chats[..])),
            _ => None,
        },
        messages::PeerDialogs => |v| {
            let messages::PeerDialogs::PeerDialogs(d) = v;
            Some((&d.users[..], &d.chats[..]))
        },
        messages::Chats => |v| match v {
            messages::Chats::Chats(c) => Some((&[][..], &c.chats[..])),
            messages::Chats::Slice(c) => Some((&[][..], &c.chats[..])),
        },
        messages::ChatFull => |v| {
            let messages::ChatFull::ChatFull(c) = v;
            Some((&c.users[..], &c.chats[..]))
        },
        contacts::ResolvedPeer => |v| {
            let contacts::ResolvedPeer::ResolvedPeer(r) = v;
            Some((&r.users[..], &r.chats[..]))
        },
        contacts::Contacts => |v| match v {
            contacts::Contacts::Contacts(c) => Some((&c.users[..], &[][..])),
            _ => None,
        },
        contacts::ImportedContacts => |v| {
            let contacts::ImportedContacts::ImportedContacts(c) = v;
            Some((&c.users[..], &[][..]))
        },
        Vec<enums::User> => |v| Some((&v[..], &[][..])),
        users::UserFull => |v| {
            let users::UserFull::UserFull(u) = v;
            Some((&u.users[..], &u.chats[..]))
        },
        auth::Authorization => |v| match v {
            auth::Authorization::Authorization(a) => Some((std::slice::from_ref(&a.user), &[][..])),
            _ => None,
        },
        channels::ChannelParticipants => |v| match v {
            channels::ChannelParticipants::ChannelParticipants(p) => Some((&p.users[..], &p.chats[..])),
            _ => None,
        },
        channels::ChannelParticipant => |v| {
            let channels::ChannelParticipant::ChannelParticipant(p) = v;
            Some((&p.users[..], &p.chats[..]))
        },
        updates::Difference => |v| match v {
            updates::Difference::Difference(d) => Some((&d.users[..], &d.chats[..])),
            updates::Difference::Slice(d) => Some((&d.users[..], &d.chats[..])),
            _ => None,
        },
    }
    None
}

/// The cache entries for a list of users and chats.
pub(crate) fn cache_entries(users: &[enums::User], chats: &[enums::Chat]) -> Vec<CachedPeer> {
    users
        .iter()
        .filter_map(cached_user)
        .chain(chats.iter().filter_map(cached_chat))
        .collect()
}

impl Client {
    /// Stores the users and chats `value` carries, if its type carries any.
    pub(crate) async fn cache_peers_of<T: Any>(&self, value: &T) -> Result<(), InvocationError> {
        let Some((users, chats)) = peers_of(value) else {
            return Ok(());
        };
        let entries = cache_entries(users, chats);
        if entries.is_empty() {
            return Ok(());
        }
        let mut changes = Changes::new();
        changes.upsert_peers(entries);
        self.persist(changes).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::chat::tests::{raw_channel, raw_user};
    use tgwire_tl_types::types;

    #[test]
    fn finds_peers_in_known_answer_types() {
        let answer: enums::contacts::ResolvedPeer = types::contacts::ResolvedPeer {
            peer: types::PeerUser { user_id: 1 }.into(),
            chats: vec![raw_channel(2, 3, true)],
            users: vec![raw_user(1, 9, false, false)],
        }
        .into();
        let (users, chats) = peers_of(&answer).unwrap();
        let entries = cache_entries(users, chats);
        let refs: Vec<String> = entries.iter().map(|e| e.peer.to_string()).collect();
        assert_eq!(refs, ["u1.9", "c2.3"]);

        let list: Vec<enums::User> = vec![raw_user(5, 6, true, false)];
        assert_eq!(peers_of(&list).map(|(u, _)| u.len()), Some(1));
        // Types without peers are passed over.
        assert!(peers_of(&true).is_none());
        assert!(peers_of(&enums::Updates::TooLong).is_none());
    }
}
