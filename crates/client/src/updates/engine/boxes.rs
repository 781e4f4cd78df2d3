//! Which sequence ("box") an update belongs to, and where it sits in it.
//!
//! Telegram numbers updates in independent sequences: the account's common message box (`pts`,
//! private chats and basic groups), the secondary box (`qts`: secret chats and bot-only updates),
//! and one `pts` per channel. An update that carries none of these (typing, status, …) can be
//! applied at once.

use tgwire_tl_types::enums::{self, Update};

/// One of the account's update sequences.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BoxKey {
    /// The common message box (`pts`).
    Common,
    /// The secondary box (`qts`).
    Secondary,
    /// One channel's box (its own `pts`), by bare channel id.
    Channel(i64),
}

/// Where an update sits in its box.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Position {
    /// In `key` at `pts`, covering `(pts - count, pts]`.
    Boxed { key: BoxKey, pts: i32, count: i32 },
    /// `updateChannelTooLong`: the channel has more than pushes can carry.
    ChannelTooLong { channel_id: i64, pts: Option<i32> },
    /// `updatePtsChanged`: the common box was renumbered; the state must be fetched again.
    PtsChanged,
    /// In no box: apply at once.
    Unboxed,
}

/// The channel a channel message lives in (`None` for an empty message without a peer).
fn message_channel(message: &enums::Message) -> Option<i64> {
    let peer = match message {
        enums::Message::Message(m) => &m.peer_id,
        enums::Message::Service(m) => &m.peer_id,
        enums::Message::Empty(m) => m.peer_id.as_ref()?,
    };
    match peer {
        enums::Peer::Channel(c) => Some(c.channel_id),
        _ => None,
    }
}

/// Classifies `update` by the sequence it advances.
pub(crate) fn position(update: &Update) -> Position {
    use BoxKey::{Common, Secondary};
    let common = |pts, count| Position::Boxed {
        key: Common,
        pts,
        count,
    };
    let channel = |id: Option<i64>, pts, count| match id {
        Some(id) => Position::Boxed {
            key: BoxKey::Channel(id),
            pts,
            count,
        },
        None => Position::Unboxed,
    };
    let qts = |qts| Position::Boxed {
        key: Secondary,
        pts: qts,
        count: 1,
    };
    match update {
        Update::NewMessage(u) => common(u.pts, u.pts_count),
        Update::DeleteMessages(u) => common(u.pts, u.pts_count),
        Update::ReadHistoryInbox(u) => common(u.pts, u.pts_count),
        Update::ReadHistoryOutbox(u) => common(u.pts, u.pts_count),
        Update::WebPage(u) => common(u.pts, u.pts_count),
        Update::ReadMessagesContents(u) => common(u.pts, u.pts_count),
        Update::EditMessage(u) => common(u.pts, u.pts_count),
        Update::FolderPeers(u) => common(u.pts, u.pts_count),
        Update::PinnedMessages(u) => common(u.pts, u.pts_count),

        Update::NewChannelMessage(u) => channel(message_channel(&u.message), u.pts, u.pts_count),
        Update::EditChannelMessage(u) => channel(message_channel(&u.message), u.pts, u.pts_count),
        Update::DeleteChannelMessages(u) => channel(Some(u.channel_id), u.pts, u.pts_count),
        Update::PinnedChannelMessages(u) => channel(Some(u.channel_id), u.pts, u.pts_count),
        Update::ChannelWebPage(u) => channel(Some(u.channel_id), u.pts, u.pts_count),
        Update::ChannelTooLong(u) => Position::ChannelTooLong {
            channel_id: u.channel_id,
            pts: u.pts,
        },
        Update::PtsChanged => Position::PtsChanged,

        Update::NewEncryptedMessage(u) => qts(u.qts),
        Update::MessagePollVote(u) => qts(u.qts),
        Update::ChatParticipant(u) => qts(u.qts),
        Update::ChannelParticipant(u) => qts(u.qts),
        Update::BotStopped(u) => qts(u.qts),
        Update::BotChatInviteRequester(u) => qts(u.qts),
        Update::BotChatBoost(u) => qts(u.qts),
        Update::BotMessageReaction(u) => qts(u.qts),
        Update::BotMessageReactions(u) => qts(u.qts),
        Update::BotBusinessConnect(u) => qts(u.qts),
        Update::BotNewBusinessMessage(u) => qts(u.qts),
        Update::BotEditBusinessMessage(u) => qts(u.qts),
        Update::BotDeleteBusinessMessage(u) => qts(u.qts),
        Update::BotPurchasedPaidMedia(u) => qts(u.qts),
        Update::ManagedBot(u) => qts(u.qts),
        Update::BotGuestChatQuery(u) => qts(u.qts),
        Update::BotStarsSubscription(u) => qts(u.qts),
        _ => Position::Unboxed,
    }
}

/// The id of a new channel message, to remember how far a channel's messages were handed out.
pub(crate) fn new_channel_message_id(update: &Update) -> Option<i32> {
    match update {
        Update::NewChannelMessage(u) => Some(message_id(&u.message)),
        _ => None,
    }
}

pub(crate) fn message_id(message: &enums::Message) -> i32 {
    match message {
        enums::Message::Message(m) => m.id,
        enums::Message::Service(m) => m.id,
        enums::Message::Empty(m) => m.id,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tgwire_tl_types::types;

    #[test]
    fn classifies_by_box() {
        let delete: Update = types::UpdateDeleteMessages {
            messages: vec![1],
            pts: 7,
            pts_count: 1,
        }
        .into();
        assert_eq!(
            position(&delete),
            Position::Boxed {
                key: BoxKey::Common,
                pts: 7,
                count: 1
            }
        );
        let channel: Update = types::UpdateDeleteChannelMessages {
            channel_id: 5,
            messages: vec![1, 2],
            pts: 9,
            pts_count: 2,
        }
        .into();
        assert_eq!(
            position(&channel),
            Position::Boxed {
                key: BoxKey::Channel(5),
                pts: 9,
                count: 2
            }
        );
        let stopped: Update = types::UpdateBotStopped {
            user_id: 1,
            date: 0,
            stopped: true,
            qts: 4,
        }
        .into();
        assert_eq!(
            position(&stopped),
            Position::Boxed {
                key: BoxKey::Secondary,
                pts: 4,
                count: 1
            }
        );
        let typing: Update = types::UpdateUserTyping {
            user_id: 1,
            top_msg_id: None,
            action: enums::SendMessageAction::SendMessageTypingAction,
        }
        .into();
        assert_eq!(position(&typing), Position::Unboxed);
    }
}
