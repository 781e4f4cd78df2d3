//! Pinned messages: `messages.updatePinnedMessage` and `messages.unpinAllMessages`.
//!
//! As on Telegram, a pin is a pts event in every box that holds the message (each member's box
//! for private chats and basic groups, the channel's own box otherwise), pushed as
//! `updatePinnedMessages` / `updatePinnedChannelMessages`; pinning (unless one-sided in a
//! private chat) also posts a `messageActionPinMessage` service message replying to the pinned
//! one.

use tgwire_tl_types::{enums, functions, types};

use super::messages::{self, box_mut, box_owners, copy_in, stored, Content};
use super::model::{ActionRec, EventKind, Peer, State};
use super::present::{self, Refs};
use super::rpc::{RpcError, RpcResult};
use super::{admin_log, peers, Cx};

/// Checks `me` may pin in `peer`: anyone in private chats and basic groups they are in,
/// admins with the right in channels (`pin_messages` in supergroups, `edit_messages` in
/// broadcasts).
fn check_may_pin(state: &State, me: i64, peer: Peer) -> RpcResult<()> {
    match peer {
        Peer::User(_) => Ok(()),
        Peer::Chat(chat) => state
            .chats
            .get(&chat)
            .is_some_and(|c| c.members.contains_key(&me))
            .then_some(())
            .ok_or_else(|| RpcError::forbidden("CHAT_WRITE_FORBIDDEN")),
        Peer::Channel(channel) => {
            let rec = state
                .channels
                .get(&channel)
                .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
            if !rec.members.contains_key(&me) {
                return Err(RpcError::bad("CHANNEL_PRIVATE"));
            }
            let allowed = if rec.broadcast {
                rec.has_right(me, |r| r.edit_messages)
            } else {
                rec.has_right(me, |r| r.pin_messages)
            };
            allowed
                .then_some(())
                .ok_or_else(|| RpcError::forbidden("CHAT_ADMIN_REQUIRED"))
        }
    }
}

/// Sets the pin of the messages `ids` (in `me`'s numbering of `peer`) in every box holding
/// them (only `me`'s with `one_side`), records and pushes the event; returns `me`'s update
/// and the pts it reached.
fn set_pinned(
    cx: &mut Cx<'_>,
    me: i64,
    peer: Peer,
    ids: &[i32],
    pinned: bool,
    one_side: bool,
) -> Option<(enums::Update, i32)> {
    if let Peer::Channel(channel) = peer {
        let rec = cx.state.channels.get_mut(&channel)?;
        for id in ids {
            if let Some(msg) = rec.store.messages.get_mut(id) {
                msg.pinned = pinned;
            }
        }
        let pts = rec.store.record(
            1,
            EventKind::Pinned {
                peer,
                ids: ids.to_vec(),
                pinned,
            },
        );
        let members: Vec<i64> = rec.members.keys().copied().collect();
        let update: enums::Update = types::UpdatePinnedChannelMessages {
            pinned,
            channel_id: channel,
            messages: ids.to_vec(),
            pts,
            pts_count: 1,
        }
        .into();
        for member in members {
            cx.push_with(member, vec![update.clone()], &Refs::default());
        }
        // Every pin and unpin is an admin action the log shows, with the message as it is now.
        let logged: Vec<(enums::Message, Vec<i64>)> = cx
            .state
            .channels
            .get(&channel)
            .map(|rec| {
                ids.iter()
                    .filter_map(|id| rec.store.messages.get(id))
                    .map(|msg| {
                        let author = match msg.from {
                            Some(Peer::User(user)) => vec![user],
                            _ => Vec::new(),
                        };
                        (present::message(cx.state, me, msg), author)
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (message, mentions) in logged {
            let action = types::ChannelAdminLogEventActionUpdatePinned { message };
            admin_log::record(cx, channel, me, action.into(), mentions);
        }
        cx.dirty = true;
        return Some((update, pts));
    }
    let globals: Vec<i64> = ids
        .iter()
        .filter_map(|&id| stored(cx.state, me, peer, id).map(|m| m.global_id))
        .collect();
    let owners = if one_side {
        vec![me]
    } else {
        box_owners(cx.state, me, peer)
    };
    let mut own = None;
    for owner in owners {
        let their_ids: Vec<i32> = globals
            .iter()
            .filter_map(|&global| copy_in(cx.state, owner, global))
            .collect();
        if their_ids.is_empty() {
            continue;
        }
        // Each box sees a private chat as "the other user".
        let their_peer = match peer {
            Peer::User(_) if owner != me => Peer::User(me),
            other => other,
        };
        let mbox = box_mut(cx.state, owner);
        for id in &their_ids {
            if let Some(msg) = mbox.store.messages.get_mut(id) {
                msg.pinned = pinned;
            }
        }
        let pts = mbox.store.record(
            1,
            EventKind::Pinned {
                peer: their_peer,
                ids: their_ids.clone(),
                pinned,
            },
        );
        let update: enums::Update = types::UpdatePinnedMessages {
            pinned,
            peer: their_peer.to_tl(),
            messages: their_ids,
            pts,
            pts_count: 1,
        }
        .into();
        let mut refs = Refs::default();
        refs.peer(their_peer);
        cx.push_with(owner, vec![update.clone()], &refs);
        if owner == me {
            own = Some((update, pts));
        }
    }
    cx.dirty = true;
    own
}

pub(crate) fn update_pinned_message(
    cx: &mut Cx<'_>,
    req: functions::messages::UpdatePinnedMessage,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    check_may_pin(cx.state, me, peer)?;
    let message = stored(cx.state, me, peer, req.id)
        .filter(|m| m.action.is_none())
        .ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))?;
    let mut refs = Refs::default();
    refs.peer(peer).user(me);
    if message.pinned != req.unpin {
        // Already as asked: nothing happens.
        return Ok(refs.updates(cx.state, me, Vec::new(), cx.now));
    }
    let one_side = req.pm_oneside && matches!(peer, Peer::User(_));
    let (update, _) = set_pinned(cx, me, peer, &[req.id], !req.unpin, one_side)
        .ok_or_else(|| RpcError::bad("MESSAGE_ID_INVALID"))?;
    let mut list = vec![update];
    if !req.unpin && !one_side {
        let content = Content {
            action: Some(ActionRec::PinMessage),
            reply_to: Some(req.id),
            silent: req.silent,
            ..Content::default()
        };
        let posted = messages::post(cx, me, peer, content, None)?;
        if let Some(msg) = stored(cx.state, me, posted.peer, posted.id) {
            refs.message(msg);
        }
        list.push(posted.update);
    }
    Ok(refs.updates(cx.state, me, list, cx.now))
}

pub(crate) fn unpin_all_messages(
    cx: &mut Cx<'_>,
    req: functions::messages::UnpinAllMessages,
) -> RpcResult<enums::messages::AffectedHistory> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    check_may_pin(cx.state, me, peer)?;
    let pinned: Vec<i32> = messages::history_of(cx.state, me, peer)
        .into_iter()
        .filter(|m| m.pinned)
        .map(|m| m.id)
        .rev()
        .collect();
    let current_pts = match peer {
        Peer::Channel(channel) => cx.state.channels.get(&channel).map_or(0, |c| c.store.pts),
        _ => cx.state.boxes.get(&me).map_or(0, |b| b.store.pts),
    };
    if pinned.is_empty() {
        return Ok(types::messages::AffectedHistory {
            pts: current_pts,
            pts_count: 0,
            offset: 0,
        }
        .into());
    }
    let (_, pts) = set_pinned(cx, me, peer, &pinned, false, false)
        .ok_or_else(|| RpcError::bad("PEER_ID_INVALID"))?;
    Ok(types::messages::AffectedHistory {
        pts,
        pts_count: 1,
        offset: 0,
    }
    .into())
}
