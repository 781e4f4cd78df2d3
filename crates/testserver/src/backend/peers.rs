//! Resolving the client's input peers, with their access hashes checked.
//!
//! Each user and channel has one access hash (Telegram's are per viewer; a test server needs no
//! more). A wrong or missing hash is an error, as on Telegram, so clients that forget to cache
//! hashes from `users`/`chats` vectors fail here rather than in production.

use tgwire_tl_types::enums;

use super::model::{Peer, State};
use super::rpc::{RpcError, RpcResult};

/// The peer an `InputPeer` names, for the signed-in user `me`.
pub(crate) fn input_peer(state: &State, me: i64, peer: &enums::InputPeer) -> RpcResult<Peer> {
    let invalid = || RpcError::bad("PEER_ID_INVALID");
    match peer {
        enums::InputPeer::Empty => Err(invalid()),
        enums::InputPeer::InputPeerSelf => Ok(Peer::User(me)),
        enums::InputPeer::Chat(chat) => state
            .chats
            .contains_key(&chat.chat_id)
            .then_some(Peer::Chat(chat.chat_id))
            .ok_or_else(invalid),
        enums::InputPeer::User(user) => state
            .users
            .get(&user.user_id)
            .filter(|rec| rec.access_hash == user.access_hash || rec.id == me)
            .map(|rec| Peer::User(rec.id))
            .ok_or_else(invalid),
        enums::InputPeer::Channel(channel) => state
            .channels
            .get(&channel.channel_id)
            .filter(|rec| rec.access_hash == channel.access_hash)
            .map(|rec| Peer::Channel(rec.id))
            .ok_or_else(invalid),
        enums::InputPeer::UserFromMessage(from) => {
            input_peer(state, me, &from.peer)?;
            state
                .users
                .contains_key(&from.user_id)
                .then_some(Peer::User(from.user_id))
                .ok_or_else(invalid)
        }
        enums::InputPeer::ChannelFromMessage(from) => {
            input_peer(state, me, &from.peer)?;
            state
                .channels
                .contains_key(&from.channel_id)
                .then_some(Peer::Channel(from.channel_id))
                .ok_or_else(invalid)
        }
    }
}

/// The user an `InputUser` names (`USER_ID_INVALID` otherwise).
pub(crate) fn input_user(state: &State, me: i64, user: &enums::InputUser) -> RpcResult<i64> {
    let invalid = || RpcError::bad("USER_ID_INVALID");
    match user {
        enums::InputUser::Empty => Err(invalid()),
        enums::InputUser::InputUserSelf => Ok(me),
        enums::InputUser::InputUser(user) => state
            .users
            .get(&user.user_id)
            .filter(|rec| rec.access_hash == user.access_hash || rec.id == me)
            .map(|rec| rec.id)
            .ok_or_else(invalid),
        enums::InputUser::FromMessage(from) => {
            input_peer(state, me, &from.peer).map_err(|_| invalid())?;
            state
                .users
                .contains_key(&from.user_id)
                .then_some(from.user_id)
                .ok_or_else(invalid)
        }
    }
}

/// The channel an `InputChannel` names (`CHANNEL_INVALID` otherwise).
pub(crate) fn input_channel(
    state: &State,
    me: i64,
    channel: &enums::InputChannel,
) -> RpcResult<i64> {
    let invalid = || RpcError::bad("CHANNEL_INVALID");
    match channel {
        enums::InputChannel::Empty => Err(invalid()),
        enums::InputChannel::InputChannel(channel) => state
            .channels
            .get(&channel.channel_id)
            .filter(|rec| rec.access_hash == channel.access_hash)
            .map(|rec| rec.id)
            .ok_or_else(invalid),
        enums::InputChannel::FromMessage(from) => {
            input_peer(state, me, &from.peer).map_err(|_| invalid())?;
            state
                .channels
                .contains_key(&from.channel_id)
                .then_some(from.channel_id)
                .ok_or_else(invalid)
        }
    }
}
