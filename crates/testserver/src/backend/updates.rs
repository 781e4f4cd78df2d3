//! `updates.getState`, `updates.getDifference` and `updates.getChannelDifference`, replayed from
//! each box's event log.
//!
//! A box's log holds every pts event since the box was created, so a client can fill any gap —
//! including those made on purpose by [`crate::faults::Faults::drop_updates`]. Messages deleted
//! since are left out of `new_messages`, and edits show the current text, as on Telegram.
//!
//! Channels keep their own pts; the common difference only points at them: every channel of the
//! user with a message dated at or after the client's `date` gets an `updateChannelTooLong`
//! carrying the channel's current pts (so a client already there can skip it), and the client
//! fetches the rest with `updates.getChannelDifference`.
//!
//! How much comes at once follows [`super::UpdateLimits`]: a common difference lists at most
//! `difference_slice` pts events (then `differenceSlice`, whose intermediate state the client
//! continues from) and answers `differenceTooLong` beyond `difference_too_long` (or the request's
//! `pts_total_limit`); a channel difference pages by the request's `limit` with `final: false`
//! and answers `channelDifferenceTooLong` beyond `channel_difference_too_long`. The qts events of
//! the account after the client's `qts` (see [`super::qts`]) come in `other_updates` of the
//! last page, and the state carries the account's pts, qts, seq and the current date.

use tgwire_tl_types::{enums, functions, types};

use super::model::{EventKind, MessageRec, Peer, PtsEvent};
use super::present::{self, Refs};
use super::rpc::{RpcError, RpcResult};
use super::{peers, Cx};

/// Largest `limit` of `updates.getChannelDifference` for users (bots: [`BOT_CHANNEL_LIMIT`]).
const CHANNEL_DIFFERENCE_LIMIT: i32 = 100;
const BOT_CHANNEL_LIMIT: i32 = 100_000;
/// Seconds a client may wait before polling a channel again (the `timeout` of channel
/// differences).
const CHANNEL_POLL_TIMEOUT: i32 = 30;

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
            EventKind::ReadContents { ids } => other.push(
                types::UpdateReadMessagesContents {
                    messages: ids.clone(),
                    pts: event.pts,
                    pts_count: event.count,
                    date: None,
                }
                .into(),
            ),
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
    if req.pts < 0 || req.qts < 0 {
        return Err(RpcError::bad("PERSISTENT_TIMESTAMP_INVALID"));
    }
    // A client ahead of us (e.g. the server restarted without --data) starts over, and so does
    // one too far behind.
    let too_long = req
        .pts_total_limit
        .filter(|&l| l > 0)
        .map_or(cx.limits.difference_too_long, |l| {
            l.min(cx.limits.difference_too_long)
        });
    if req.pts > current.pts || current.pts - req.pts > too_long {
        return Ok(types::updates::DifferenceTooLong { pts: current.pts }.into());
    }
    let channels = channels_changed_since(cx.state, me, req.date);
    if req.pts == current.pts && channels.is_empty() && req.qts >= current.qts {
        return Ok(types::updates::DifferenceEmpty {
            date: cx.now,
            seq: current.seq,
        }
        .into());
    }
    let empty = super::model::MessageBox::default();
    let mbox = cx.state.boxes.get(&me).unwrap_or(&empty);
    let pending = events_after(&mbox.store.events, req.pts);
    let limit = cx.limits.difference_slice.max(1);
    let sliced = pending.len() > limit;
    let taken = &pending[..pending.len().min(limit)];
    let mut refs = Refs::default();
    let (new_messages, mut other_updates) = replay(
        taken,
        |id| mbox.store.messages.get(&id).map(|m| &**m),
        None,
        me,
        cx.state,
        &mut refs,
    );
    if sliced {
        let reached = taken.last().map_or(req.pts, |e| e.pts);
        let users = refs.users(cx.state, me);
        let chats = refs.chats(cx.state, me);
        // The rest (further pts, qts, channels) comes with the next pages; the intermediate
        // state keeps the client's qts and date so those are asked for again.
        return Ok(types::updates::DifferenceSlice {
            new_messages,
            new_encrypted_messages: Vec::new(),
            other_updates,
            chats,
            users,
            intermediate_state: types::updates::State {
                pts: reached,
                qts: req.qts.min(current.qts),
                date: if req.date > 0 { req.date } else { current.date },
                ..(*current).clone()
            }
            .into(),
        }
        .into());
    }
    other_updates.extend(super::qts::replay_after(cx.state, me, req.qts, &mut refs));
    for channel_id in channels {
        refs.peer(Peer::Channel(channel_id));
        other_updates.push(
            types::UpdateChannelTooLong {
                channel_id,
                pts: cx.state.channels.get(&channel_id).map(|c| c.store.pts),
            }
            .into(),
        );
    }
    let users = refs.users(cx.state, me);
    let chats = refs.chats(cx.state, me);
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
            timeout: Some(CHANNEL_POLL_TIMEOUT),
        }
        .into());
    }
    let is_bot = cx.state.users.get(&me).is_some_and(|u| u.bot);
    let max_limit = if is_bot {
        BOT_CHANNEL_LIMIT
    } else {
        CHANNEL_DIFFERENCE_LIMIT
    };
    let limit = usize::try_from(req.limit.clamp(1, max_limit)).unwrap_or(1);
    let pending = events_after(&channel.store.events, req.pts);
    let mut refs = Refs::default();
    refs.peer(Peer::Channel(channel_id));
    if pending.len() > cx.limits.channel_difference_too_long {
        // Too far behind: the latest messages and a fresh dialog instead of the events.
        let messages: Vec<&MessageRec> = channel
            .store
            .messages
            .values()
            .rev()
            .take(limit)
            .map(|m| &**m)
            .collect();
        for msg in &messages {
            refs.message(msg);
        }
        let dialog = super::dialogs::dialog(cx.state, me, Peer::Channel(channel_id));
        return Ok(types::updates::ChannelDifferenceTooLong {
            r#final: true,
            timeout: Some(CHANNEL_POLL_TIMEOUT),
            dialog,
            messages: messages
                .iter()
                .map(|m| present::message(cx.state, me, m))
                .collect(),
            chats: refs.chats(cx.state, me),
            users: refs.users(cx.state, me),
        }
        .into());
    }
    // More than `limit` events: this page, and `final: false` so the client asks again from
    // the pts it reached.
    let is_final = pending.len() <= limit;
    let taken = &pending[..pending.len().min(limit)];
    let reached = taken.last().map_or(req.pts, |e| e.pts);
    let (new_messages, other_updates) = replay(
        taken,
        |id| channel.store.messages.get(&id).map(|m| &**m),
        Some(channel_id),
        me,
        cx.state,
        &mut refs,
    );
    Ok(types::updates::ChannelDifference {
        r#final: is_final,
        pts: reached,
        timeout: is_final.then_some(CHANNEL_POLL_TIMEOUT),
        new_messages,
        other_updates,
        chats: refs.chats(cx.state, me),
        users: refs.users(cx.state, me),
    }
    .into())
}
