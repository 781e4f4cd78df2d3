//! `updates.getState`, `updates.getDifference` and `updates.getChannelDifference`, replayed from
//! each box's event log.
//!
//! A box's log holds every pts event since the box was created, so a client can fill any gap —
//! including those made on purpose by [`crate::faults::Faults::drop_updates`]. Messages deleted
//! since are left out of `new_messages`, and edits show the current text, as on Telegram.
//!
//! Channels keep their own pts; the common difference only points at them: every channel of the
//! user with a message dated at or after the client's `date` gets an `updateChannelTooLong`, and
//! the client fetches the rest with `updates.getChannelDifference`.

use tgwire_tl_types::{enums, functions, types};

use super::model::{EventKind, MessageRec, Peer, PtsEvent};
use super::present::{self, Refs};
use super::rpc::{RpcError, RpcResult};
use super::{peers, Cx};

/// Most events one `updates.getDifference` returns before answering with a slice.
const DIFFERENCE_SLICE: usize = 100;
/// Default and largest `limit` of `updates.getChannelDifference`.
const CHANNEL_DIFFERENCE_LIMIT: i32 = 100;

pub(crate) fn get_state(
    cx: &mut Cx<'_>,
    _: functions::updates::GetState,
) -> RpcResult<enums::updates::State> {
    let me = cx.me()?;
    Ok(present::update_state(cx.state, me, cx.now))
}

/// The events after `pts` (each event covers `(pts - count, pts]`).
fn events_after(events: &[PtsEvent], pts: i32) -> &[PtsEvent] {
    let first = events.partition_point(|e| e.pts <= pts);
    &events[first..]
}

/// `new_messages` and `other_updates` for a run of box events, as `viewer` sees them.
fn replay<'a>(
    events: &[PtsEvent],
    lookup: impl Fn(i32) -> Option<&'a MessageRec>,
    channel: Option<i64>,
    viewer: i64,
    state: &super::model::State,
    refs: &mut Refs,
) -> (Vec<enums::Message>, Vec<enums::Update>) {
    let mut new_messages = Vec::new();
    let mut other = Vec::new();
    for event in events {
        match &event.kind {
            EventKind::NewMessage { id } => {
                if let Some(msg) = lookup(*id) {
                    refs.message(msg);
                    new_messages.push(present::message(state, viewer, msg));
                }
            }
            EventKind::EditMessage { id } => {
                if let Some(msg) = lookup(*id) {
                    refs.message(msg);
                    let message = present::message(state, viewer, msg);
                    other.push(match channel {
                        Some(_) => types::UpdateEditChannelMessage {
                            message,
                            pts: event.pts,
                            pts_count: event.count,
                        }
                        .into(),
                        None => types::UpdateEditMessage {
                            message,
                            pts: event.pts,
                            pts_count: event.count,
                        }
                        .into(),
                    });
                }
            }
            EventKind::DeleteMessages { ids } => other.push(match channel {
                Some(channel_id) => types::UpdateDeleteChannelMessages {
                    channel_id,
                    messages: ids.clone(),
                    pts: event.pts,
                    pts_count: event.count,
                }
                .into(),
                None => types::UpdateDeleteMessages {
                    messages: ids.clone(),
                    pts: event.pts,
                    pts_count: event.count,
                }
                .into(),
            }),
            EventKind::ReadInbox { peer, max_id } => {
                refs.peer(*peer);
                other.push(
                    types::UpdateReadHistoryInbox {
                        folder_id: None,
                        peer: peer.to_tl(),
                        top_msg_id: None,
                        max_id: *max_id,
                        still_unread_count: 0,
                        pts: event.pts,
                        pts_count: event.count,
                    }
                    .into(),
                );
            }
            EventKind::ReadOutbox { peer, max_id } => {
                refs.peer(*peer);
                other.push(
                    types::UpdateReadHistoryOutbox {
                        peer: peer.to_tl(),
                        max_id: *max_id,
                        pts: event.pts,
                        pts_count: event.count,
                    }
                    .into(),
                );
            }
            EventKind::Pinned { peer, ids, pinned } => {
                refs.peer(*peer);
                other.push(match channel {
                    Some(channel_id) => types::UpdatePinnedChannelMessages {
                        pinned: *pinned,
                        channel_id,
                        messages: ids.clone(),
                        pts: event.pts,
                        pts_count: event.count,
                    }
                    .into(),
                    None => types::UpdatePinnedMessages {
                        pinned: *pinned,
                        peer: peer.to_tl(),
                        messages: ids.clone(),
                        pts: event.pts,
                        pts_count: event.count,
                    }
                    .into(),
                });
            }
            EventKind::FolderPeers { peers } => {
                for (peer, _) in peers {
                    refs.peer(*peer);
                }
                other.push(super::dialogs::folder_update(peers, event.pts, event.count));
            }
        }
    }
    (new_messages, other)
}

/// `updateChannelTooLong` for each of `me`'s channels with messages since `date`.
fn channels_changed_since(state: &super::model::State, me: i64, date: i32) -> Vec<i64> {
    state
        .channels
        .values()
        .filter(|c| c.members.contains_key(&me))
        .filter(|c| {
            c.store
                .messages
                .values()
                .next_back()
                .is_some_and(|m| m.date >= date)
        })
        .map(|c| c.id)
        .collect()
}

pub(crate) fn get_difference(
    cx: &mut Cx<'_>,
    req: functions::updates::GetDifference,
) -> RpcResult<enums::updates::Difference> {
    let me = cx.me()?;
    let state = present::update_state(cx.state, me, cx.now);
    let enums::updates::State::State(current) = &state;
    if req.pts > current.pts {
        // The client is ahead of us (e.g. the server restarted without --data): start over.
        return Ok(types::updates::DifferenceTooLong { pts: current.pts }.into());
    }
    if req.pts < 0 {
        return Err(RpcError::bad("PERSISTENT_TIMESTAMP_INVALID"));
    }
    let channels = channels_changed_since(cx.state, me, req.date);
    if req.pts == current.pts && channels.is_empty() {
        return Ok(types::updates::DifferenceEmpty {
            date: cx.now,
            seq: current.seq,
        }
        .into());
    }
    let empty = super::model::MessageBox::default();
    let mbox = cx.state.boxes.get(&me).unwrap_or(&empty);
    let pending = events_after(&mbox.store.events, req.pts);
    let limit = req
        .pts_total_limit
        .and_then(|l| usize::try_from(l).ok())
        .filter(|&l| l > 0)
        .map_or(DIFFERENCE_SLICE, |l| l.min(DIFFERENCE_SLICE));
    let sliced = pending.len() > limit;
    let taken = &pending[..pending.len().min(limit)];
    let mut refs = Refs::default();
    let (new_messages, mut other_updates) = replay(
        taken,
        |id| mbox.store.messages.get(&id),
        None,
        me,
        cx.state,
        &mut refs,
    );
    for channel_id in channels {
        refs.peer(Peer::Channel(channel_id));
        other_updates.push(
            types::UpdateChannelTooLong {
                channel_id,
                pts: None,
            }
            .into(),
        );
    }
    let users = refs.users(cx.state, me);
    let chats = refs.chats(cx.state, me);
    if sliced {
        let reached = taken.last().map_or(req.pts, |e| e.pts);
        return Ok(types::updates::DifferenceSlice {
            new_messages,
            new_encrypted_messages: Vec::new(),
            other_updates,
            chats,
            users,
            intermediate_state: types::updates::State {
                pts: reached,
                ..(**current).clone()
            }
            .into(),
        }
        .into());
    }
    Ok(types::updates::Difference {
        new_messages,
        new_encrypted_messages: Vec::new(),
        other_updates,
        chats,
        users,
        state,
    }
    .into())
}

pub(crate) fn get_channel_difference(
    cx: &mut Cx<'_>,
    req: functions::updates::GetChannelDifference,
) -> RpcResult<enums::updates::ChannelDifference> {
    let me = cx.me()?;
    let channel_id = peers::input_channel(cx.state, me, &req.channel)?;
    super::messages::check_visible(cx.state, me, Peer::Channel(channel_id))?;
    let channel = cx
        .state
        .channels
        .get(&channel_id)
        .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
    if req.pts <= 0 {
        return Err(RpcError::bad("PERSISTENT_TIMESTAMP_INVALID"));
    }
    if req.pts >= channel.store.pts {
        return Ok(types::updates::ChannelDifferenceEmpty {
            r#final: true,
            pts: channel.store.pts,
            timeout: Some(30),
        }
        .into());
    }
    let limit = usize::try_from(req.limit.clamp(1, CHANNEL_DIFFERENCE_LIMIT)).unwrap_or(1);
    let pending = events_after(&channel.store.events, req.pts);
    let mut refs = Refs::default();
    refs.peer(Peer::Channel(channel_id));
    if pending.len() > limit {
        // Too far behind: the latest messages and a fresh dialog instead of the events.
        let messages: Vec<&MessageRec> =
            channel.store.messages.values().rev().take(limit).collect();
        for msg in &messages {
            refs.message(msg);
        }
        let read_inbox = channel.read_inbox.get(&me).copied().unwrap_or(0);
        let unread = channel
            .store
            .messages
            .values()
            .filter(|m| m.id > read_inbox && m.from != Some(Peer::User(me)))
            .count();
        let dialog = types::Dialog {
            pinned: false,
            unread_mark: false,
            view_forum_as_messages: false,
            peer: Peer::Channel(channel_id).to_tl(),
            top_message: channel.store.last_id,
            read_inbox_max_id: read_inbox,
            read_outbox_max_id: channel.store.last_id,
            unread_count: i32::try_from(unread).unwrap_or(i32::MAX),
            unread_mentions_count: 0,
            unread_reactions_count: 0,
            unread_poll_votes_count: 0,
            notify_settings: present::notify_settings(),
            pts: Some(channel.store.pts),
            draft: None,
            folder_id: None,
            ttl_period: None,
        };
        return Ok(types::updates::ChannelDifferenceTooLong {
            r#final: true,
            timeout: Some(30),
            dialog: dialog.into(),
            messages: messages
                .iter()
                .map(|m| present::message(cx.state, me, m))
                .collect(),
            chats: refs.chats(cx.state, me),
            users: refs.users(cx.state, me),
        }
        .into());
    }
    let (new_messages, other_updates) = replay(
        pending,
        |id| channel.store.messages.get(&id),
        Some(channel_id),
        me,
        cx.state,
        &mut refs,
    );
    Ok(types::updates::ChannelDifference {
        r#final: true,
        pts: channel.store.pts,
        timeout: Some(30),
        new_messages,
        other_updates,
        chats: refs.chats(cx.state, me),
        users: refs.users(cx.state, me),
    }
    .into())
}
