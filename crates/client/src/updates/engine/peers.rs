//! The users and chats an update mentions, and whether the client knows them.
//!
//! An update that names a user or chat the client has never seen in full (only as a "min"
//! constructor, or not at all) cannot be acted on: there is no access hash to reply with, no
//! name to show. The spec's remedy is to fetch the difference, which carries every user and chat
//! its updates mention in full. The engine asks a [`KnownPeers`] (the client's peer cache) and
//! looks in the update's own container first.

use tgwire_tl_types::enums;

/// A user, basic group or channel by its bare id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerId {
    /// A user.
    User(i64),
    /// A basic group.
    Chat(i64),
    /// A channel or supergroup.
    Channel(i64),
}

impl PeerId {
    pub(crate) fn of(peer: &enums::Peer) -> Self {
        match peer {
            enums::Peer::User(p) => PeerId::User(p.user_id),
            enums::Peer::Chat(p) => PeerId::Chat(p.chat_id),
            enums::Peer::Channel(p) => PeerId::Channel(p.channel_id),
        }
    }
}

/// What the client already knows in full (the peer cache): asked about the users and chats an
/// update mentions that its container does not carry in full.
pub trait KnownPeers {
    /// Whether `peer` is known with everything needed to address it (not only "min").
    fn knows(&self, peer: PeerId) -> bool;
}

impl<F: Fn(PeerId) -> bool> KnownPeers for F {
    fn knows(&self, peer: PeerId) -> bool {
        self(peer)
    }
}

/// The users and chats that came with a container or a difference, shared by its updates.
#[derive(Clone, Debug, Default)]
pub struct Peers {
    /// The users.
    pub users: Vec<enums::User>,
    /// The chats (basic groups and channels).
    pub chats: Vec<enums::Chat>,
}

impl Peers {
    /// Whether this container carries `peer` in full.
    pub(crate) fn has_full(&self, peer: PeerId) -> bool {
        match peer {
            PeerId::User(id) => self.users.iter().any(|u| match u {
                enums::User::User(u) => u.id == id && !u.min,
                enums::User::Empty(_) => false,
            }),
            PeerId::Chat(id) => self.chats.iter().any(|c| match c {
                enums::Chat::Chat(c) => c.id == id,
                enums::Chat::Forbidden(c) => c.id == id,
                _ => false,
            }),
            PeerId::Channel(id) => self.chats.iter().any(|c| match c {
                enums::Chat::Channel(c) => c.id == id && !c.min,
                enums::Chat::ChannelForbidden(c) => c.id == id,
                _ => false,
            }),
        }
    }
}

/// Calls `f` with every peer `message` names: its chat, sender, forward source, inline bot and
/// the users a service message adds or removes. Stops at the first `false`.
fn message_mentions(message: &enums::Message, f: &mut impl FnMut(PeerId) -> bool) -> bool {
    match message {
        enums::Message::Message(m) => {
            f(PeerId::of(&m.peer_id))
                && m.from_id.as_ref().is_none_or(|p| f(PeerId::of(p)))
                && m.fwd_from.as_ref().is_none_or(|fwd| {
                    let enums::MessageFwdHeader::MessageFwdHeader(fwd) = fwd;
                    fwd.from_id.as_ref().is_none_or(|p| f(PeerId::of(p)))
                })
                && m.via_bot_id.is_none_or(|id| f(PeerId::User(id)))
        }
        enums::Message::Service(m) => {
            f(PeerId::of(&m.peer_id))
                && m.from_id.as_ref().is_none_or(|p| f(PeerId::of(p)))
                && match &m.action {
                    enums::MessageAction::ChatCreate(a) => {
                        a.users.iter().all(|u| f(PeerId::User(*u)))
                    }
                    enums::MessageAction::ChatAddUser(a) => {
                        a.users.iter().all(|u| f(PeerId::User(*u)))
                    }
                    enums::MessageAction::ChatDeleteUser(a) => f(PeerId::User(a.user_id)),
                    _ => true,
                }
        }
        enums::Message::Empty(_) => true,
    }
}

/// Whether every peer `update` names is in `peers` in full or known to `known`. Only updates
/// that a difference would return again are looked at (messages and per-chat box updates);
/// the rest count as complete.
pub(crate) fn complete(update: &enums::Update, peers: &Peers, known: &dyn KnownPeers) -> bool {
    let mut check = |peer: PeerId| peers.has_full(peer) || known.knows(peer);
    match update {
        enums::Update::NewMessage(u) => message_mentions(&u.message, &mut check),
        enums::Update::EditMessage(u) => message_mentions(&u.message, &mut check),
        enums::Update::NewChannelMessage(u) => message_mentions(&u.message, &mut check),
        enums::Update::EditChannelMessage(u) => message_mentions(&u.message, &mut check),
        enums::Update::ReadHistoryInbox(u) => check(PeerId::of(&u.peer)),
        enums::Update::ReadHistoryOutbox(u) => check(PeerId::of(&u.peer)),
        enums::Update::PinnedMessages(u) => check(PeerId::of(&u.peer)),
        _ => true,
    }
}
