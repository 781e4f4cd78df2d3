//! The chat list and what a user sets on it: `messages.getDialogs` (folders, pinned dialogs
//! first, drafts), pinning dialogs, the archive (`folders.editPeerFolders`), drafts, and
//! clearing a private chat's or basic group's history (`messages.deleteHistory`).
//!
//! A dialog exists while its box holds a message of it (or, for channels, while the user is a
//! member), or while it has a draft; its folder, draft and pin live in the owner's box
//! ([`MessageBox::dialogs`], [`MessageBox::pinned_dialogs`]).

use std::collections::BTreeMap;

use tgwire_tl_types::{enums, functions, types};

use super::messages::{
    box_mut, check_visible, copy_in, delete_from_box, mentions_read_to, MAX_PAGE,
};
use super::model::{Bytes, DialogRec, DraftRec, EventKind, MessageBox, MessageRec, Peer, State};
use super::present::{self, Refs};
use super::rpc::{RpcError, RpcResult};
use super::{peers, Cx};

/// Pinned dialogs allowed in the main list and in the archive (Telegram's limits for accounts
/// without Premium).
const MAX_PINNED: [usize; 2] = [5, 100];
/// Messages one `messages.deleteHistory` removes; with more, the answer's `offset` tells the
/// client to call again, as Telegram does for long histories.
const DELETE_HISTORY_CHUNK: usize = 100;
/// The archive.
const ARCHIVE: i32 = 1;

/// One dialog of `me`, as `messages.getDialogs` lists it.
pub(crate) struct DialogInfo<'a> {
    peer: Peer,
    top: Option<&'a MessageRec>,
    read_inbox: i32,
    read_outbox: i32,
    unread: usize,
    unread_mentions: usize,
    pts: Option<i32>,
    folder: i32,
    pinned: bool,
    draft: Option<&'a DraftRec>,
}

impl DialogInfo<'_> {
    /// Where the dialog sorts among unpinned ones: its newest message or draft.
    fn recency(&self) -> (i32, i64) {
        let top = self.top.map_or((0, 0), |m| (m.date, m.global_id));
        let draft = self.draft.map_or(0, |d| d.date);
        if draft > top.0 {
            (draft, 0)
        } else {
            top
        }
    }
}

/// The settings `me` made on dialog `peer` (defaults when none).
fn settings(state: &State, me: i64, peer: Peer) -> Option<&DialogRec> {
    state.boxes.get(&me)?.dialogs.get(&peer.marked())
}

fn pinned_dialogs(state: &State, me: i64) -> &[Peer] {
    state
        .boxes
        .get(&me)
        .map_or(&[][..], |b| b.pinned_dialogs.as_slice())
}

pub(crate) fn dialog_for<'a>(state: &'a State, me: i64, peer: Peer) -> DialogInfo<'a> {
    let set = settings(state, me, peer);
    let mentions_read = mentions_read_to(state, me, peer);
    let unread_mention = |m: &MessageRec| m.id > mentions_read && present::mentions(state, me, m);
    let folder = set.map_or(0, |s| s.folder);
    let draft = set.and_then(|s| s.draft.as_ref());
    let pinned = pinned_dialogs(state, me).contains(&peer);
    match peer {
        Peer::Channel(channel) => {
            let rec = state.channels.get(&channel);
            let hidden = rec
                .and_then(|c| c.available_min_id.get(&me).copied())
                .unwrap_or(0);
            let read_inbox = rec
                .and_then(|c| c.read_inbox.get(&me).copied())
                .unwrap_or(0);
            let visible: Vec<&MessageRec> = rec
                .map(|c| {
                    c.store
                        .messages
                        .range(hidden + 1..)
                        .map(|(_, m)| &**m)
                        .collect()
                })
                .unwrap_or_default();
            DialogInfo {
                peer,
                top: visible.last().copied(),
                read_inbox,
                read_outbox: rec.map_or(0, |c| c.store.last_id),
                unread: visible
                    .iter()
                    .filter(|m| m.id > read_inbox && m.from != Some(Peer::User(me)))
                    .count(),
                unread_mentions: visible.iter().filter(|m| unread_mention(m)).count(),
                pts: rec.map(|c| c.store.pts),
                folder,
                pinned,
                draft,
            }
        }
        _ => {
            let mbox = state.boxes.get(&me);
            let marks = mbox
                .and_then(|b| b.reads.get(&peer.marked()).copied())
                .unwrap_or_default();
            let messages = || {
                mbox.into_iter()
                    .flat_map(|b| b.store.messages.values())
                    .map(|m| &**m)
                    .filter(move |m| m.peer == peer)
            };
            DialogInfo {
                peer,
                top: messages().next_back(),
                read_inbox: marks.inbox,
                read_outbox: marks.outbox,
                unread: messages().filter(|m| !m.out && m.id > marks.inbox).count(),
                unread_mentions: messages().filter(|m| unread_mention(m)).count(),
                pts: None,
                folder,
                pinned,
                draft,
            }
        }
    }
}

/// Every dialog of `me` in `folder` (all folders for `None`): pinned ones first, most
/// recently pinned first, then the others by their newest message or draft.
pub(crate) fn dialogs_of(state: &State, me: i64, folder: Option<i32>) -> Vec<DialogInfo<'_>> {
    let mut peers: BTreeMap<Peer, ()> = BTreeMap::new();
    if let Some(mbox) = state.boxes.get(&me) {
        for msg in mbox.store.messages.values() {
            peers.insert(msg.peer, ());
        }
        for (&marked, rec) in &mbox.dialogs {
            if rec.draft.is_some() {
                if let Some(peer) = peer_of_marked(state, marked) {
                    peers.insert(peer, ());
                }
            }
        }
    }
    for channel in state.channels.values() {
        if channel.members.contains_key(&me) {
            peers.insert(Peer::Channel(channel.id), ());
        }
    }
    let pins = pinned_dialogs(state, me);
    let mut dialogs: Vec<DialogInfo<'_>> = peers
        .into_keys()
        .map(|peer| dialog_for(state, me, peer))
        .filter(|d| folder.is_none_or(|f| d.folder == f))
        .collect();
    dialogs.sort_by_key(|d| {
        let pin_rank = pins.iter().position(|p| *p == d.peer).unwrap_or(usize::MAX);
        (pin_rank, std::cmp::Reverse(d.recency()))
    });
    dialogs
}

/// The peer a [`Peer::marked`] id stands for, if it still exists.
fn peer_of_marked(state: &State, marked: i64) -> Option<Peer> {
    const CHANNEL_BASE: i64 = -1_000_000_000_000;
    let peer = if marked > 0 {
        Peer::User(marked)
    } else if marked > CHANNEL_BASE {
        Peer::Chat(-marked)
    } else {
        Peer::Channel(CHANNEL_BASE - marked)
    };
    let exists = match peer {
        Peer::User(id) => state.users.contains_key(&id),
        Peer::Chat(id) => state.chats.contains_key(&id),
        Peer::Channel(id) => state.channels.contains_key(&id),
    };
    exists.then_some(peer)
}

pub(crate) fn draft_tl(draft: &DraftRec) -> enums::DraftMessage {
    types::DraftMessage {
        no_webpage: draft.no_webpage,
        invert_media: false,
        reply_to: draft.reply_to.map(|reply_to_msg_id| {
            types::InputReplyToMessage {
                reply_to_msg_id,
                top_msg_id: None,
                reply_to_peer_id: None,
                quote_text: None,
                quote_entities: None,
                quote_offset: None,
                monoforum_peer_id: None,
                todo_item_id: None,
                poll_option: None,
            }
            .into()
        }),
        message: draft.text.clone().into(),
        entities: draft.entities.as_ref().and_then(Bytes::decode),
        media: None,
        date: draft.date,
        effect: None,
        suggested_post: None,
        rich_message: None,
    }
    .into()
}

/// `me`'s dialog `peer` as the chat list shows it.
pub(crate) fn dialog(state: &State, me: i64, peer: Peer) -> enums::Dialog {
    dialog_tl(&dialog_for(state, me, peer))
}

fn dialog_tl(info: &DialogInfo<'_>) -> enums::Dialog {
    types::Dialog {
        pinned: info.pinned,
        unread_mark: false,
        view_forum_as_messages: false,
        peer: info.peer.to_tl(),
        top_message: info.top.map_or(0, |m| m.id),
        read_inbox_max_id: info.read_inbox,
        read_outbox_max_id: info.read_outbox,
        unread_count: i32::try_from(info.unread).unwrap_or(i32::MAX),
        unread_mentions_count: i32::try_from(info.unread_mentions).unwrap_or(i32::MAX),
        unread_reactions_count: 0,
        unread_poll_votes_count: 0,
        notify_settings: present::notify_settings(),
        pts: info.pts,
        draft: info.draft.map(draft_tl),
        folder_id: (info.folder != 0).then_some(info.folder),
        ttl_period: None,
    }
    .into()
}

/// Dialogs, their top messages and everything mentioned.
#[allow(clippy::type_complexity)] // the four vectors of every dialogs answer
fn dialogs_parts(
    cx: &Cx<'_>,
    me: i64,
    list: &[DialogInfo<'_>],
) -> (
    Vec<enums::Dialog>,
    Vec<enums::Message>,
    Vec<enums::Chat>,
    Vec<enums::User>,
) {
    let mut refs = Refs::default();
    let mut messages = Vec::new();
    for info in list {
        refs.peer(info.peer);
        if let Some(top) = info.top {
            refs.message(top);
            messages.push(present::message(cx.state, me, top));
        }
    }
    (
        list.iter().map(dialog_tl).collect(),
        messages,
        refs.chats(cx.state, me),
        refs.users(cx.state, me),
    )
}

fn check_folder(folder: i32) -> RpcResult<i32> {
    match folder {
        0 | ARCHIVE => Ok(folder),
        _ => Err(RpcError::bad("FOLDER_ID_INVALID")),
    }
}

pub(crate) fn get_dialogs(
    cx: &mut Cx<'_>,
    req: functions::messages::GetDialogs,
) -> RpcResult<enums::messages::Dialogs> {
    let me = cx.me_user()?;
    // Without a folder, Telegram lists every dialog (archived ones carry their folder id).
    let folder = req.folder_id.map(check_folder).transpose()?;
    let mut all = dialogs_of(cx.state, me, folder);
    if req.exclude_pinned {
        all.retain(|d| !d.pinned);
    }
    let offset_peer = match &req.offset_peer {
        enums::InputPeer::Empty => None,
        other => Some(peers::input_peer(cx.state, me, other)?),
    };
    let start = match offset_peer {
        Some(peer) => all
            .iter()
            .position(|d| d.peer == peer)
            .map_or(all.len(), |i| i + 1),
        None if req.offset_date > 0 => all
            .iter()
            .position(|d| !d.pinned && d.recency().0 < req.offset_date)
            .unwrap_or(all.len()),
        None => 0,
    };
    let limit = usize::try_from(req.limit.clamp(1, MAX_PAGE)).unwrap_or(1);
    let end = (start + limit).min(all.len());
    let (dialogs, messages, chats, users) = dialogs_parts(cx, me, &all[start..end]);
    if start == 0 && end == all.len() {
        return Ok(types::messages::Dialogs {
            dialogs,
            messages,
            chats,
            users,
        }
        .into());
    }
    Ok(types::messages::DialogsSlice {
        count: i32::try_from(all.len()).unwrap_or(i32::MAX),
        dialogs,
        messages,
        chats,
        users,
    }
    .into())
}

fn peer_dialogs(cx: &Cx<'_>, me: i64, list: &[DialogInfo<'_>]) -> enums::messages::PeerDialogs {
    let (dialogs, messages, chats, users) = dialogs_parts(cx, me, list);
    types::messages::PeerDialogs {
        dialogs,
        messages,
        chats,
        users,
        state: present::update_state(cx.state, me, cx.now),
    }
    .into()
}

fn dialog_peer(cx: &Cx<'_>, me: i64, input: &enums::InputDialogPeer) -> RpcResult<Peer> {
    let enums::InputDialogPeer::InputDialogPeer(dialog) = input else {
        // Folders as dialogs (`inputDialogPeerFolder`) are not modelled.
        return Err(RpcError::bad("PEER_ID_INVALID"));
    };
    let peer = peers::input_peer(cx.state, me, &dialog.peer)?;
    check_visible(cx.state, me, peer)?;
    Ok(peer)
}

pub(crate) fn get_peer_dialogs(
    cx: &mut Cx<'_>,
    req: functions::messages::GetPeerDialogs,
) -> RpcResult<enums::messages::PeerDialogs> {
    let me = cx.me_user()?;
    let list = req
        .peers
        .iter()
        .map(|input| dialog_peer(cx, me, input))
        .collect::<RpcResult<Vec<Peer>>>()?;
    let infos: Vec<DialogInfo<'_>> = list
        .into_iter()
        .map(|peer| dialog_for(cx.state, me, peer))
        .collect();
    Ok(peer_dialogs(cx, me, &infos))
}

pub(crate) fn get_pinned_dialogs(
    cx: &mut Cx<'_>,
    req: functions::messages::GetPinnedDialogs,
) -> RpcResult<enums::messages::PeerDialogs> {
    let me = cx.me_user()?;
    let folder = check_folder(req.folder_id)?;
    let mut pinned = dialogs_of(cx.state, me, Some(folder));
    pinned.retain(|d| d.pinned);
    Ok(peer_dialogs(cx, me, &pinned))
}

pub(crate) fn toggle_dialog_pin(
    cx: &mut Cx<'_>,
    req: functions::messages::ToggleDialogPin,
) -> RpcResult<bool> {
    let me = cx.me_user()?;
    let peer = dialog_peer(cx, me, &req.peer)?;
    let folder = settings(cx.state, me, peer).map_or(0, |s| s.folder);
    let in_folder = |state: &State, p: &Peer| settings(state, me, *p).map_or(0, |s| s.folder);
    let pins = pinned_dialogs(cx.state, me);
    let already = pins.contains(&peer);
    if req.pinned == already {
        return Ok(true);
    }
    if req.pinned {
        let count = pins
            .iter()
            .filter(|p| in_folder(cx.state, p) == folder)
            .count();
        let max = MAX_PINNED[usize::from(folder == ARCHIVE)];
        if count >= max {
            return Err(RpcError::bad("PINNED_DIALOGS_TOO_MUCH"));
        }
    }
    let mbox = box_mut(cx.state, me);
    mbox.pinned_dialogs.retain(|p| *p != peer);
    if req.pinned {
        mbox.pinned_dialogs.insert(0, peer);
    }
    cx.dirty = true;
    let update = types::UpdateDialogPinned {
        pinned: req.pinned,
        folder_id: (folder != 0).then_some(folder),
        peer: types::DialogPeer { peer: peer.to_tl() }.into(),
    };
    let now = cx.now;
    cx.push(
        me,
        types::UpdateShort {
            update: update.into(),
            date: now,
        }
        .into(),
    );
    Ok(true)
}

/// `updateFolderPeers` for dialogs moved to folders.
pub(crate) fn folder_update(peers: &[(Peer, i32)], pts: i32, pts_count: i32) -> enums::Update {
    types::UpdateFolderPeers {
        folder_peers: peers
            .iter()
            .map(|&(peer, folder_id)| {
                types::FolderPeer {
                    peer: peer.to_tl(),
                    folder_id,
                }
                .into()
            })
            .collect(),
        pts,
        pts_count,
    }
    .into()
}

pub(crate) fn edit_peer_folders(
    cx: &mut Cx<'_>,
    req: functions::folders::EditPeerFolders,
) -> RpcResult<enums::Updates> {
    let me = cx.me_user()?;
    let mut moved = Vec::new();
    for input in &req.folder_peers {
        let enums::InputFolderPeer::InputFolderPeer(folder_peer) = input;
        let peer = peers::input_peer(cx.state, me, &folder_peer.peer)?;
        check_visible(cx.state, me, peer)?;
        moved.push((peer, check_folder(folder_peer.folder_id)?));
    }
    if moved.is_empty() {
        return Err(RpcError::bad("FOLDER_PEERS_EMPTY"));
    }
    let mbox = box_mut(cx.state, me);
    for &(peer, folder) in &moved {
        mbox.dialogs.entry(peer.marked()).or_default().folder = folder;
        // A pin belongs to the folder's own list: moving the dialog drops it.
        mbox.pinned_dialogs.retain(|p| *p != peer);
    }
    let count = i32::try_from(moved.len()).unwrap_or(i32::MAX);
    let pts = mbox.store.record(
        count,
        EventKind::FolderPeers {
            peers: moved.clone(),
        },
    );
    cx.dirty = true;
    let mut refs = Refs::default();
    for &(peer, _) in &moved {
        refs.peer(peer);
    }
    let updates = refs.updates(
        cx.state,
        me,
        vec![folder_update(&moved, pts, count)],
        cx.now,
    );
    cx.push(me, updates.clone());
    Ok(updates)
}

/// Sets (or with `None`, clears) `me`'s draft of `peer` and tells `me`'s other sessions.
pub(crate) fn set_draft(cx: &mut Cx<'_>, me: i64, peer: Peer, draft: Option<DraftRec>) {
    let now = cx.now;
    let mbox = box_mut(cx.state, me);
    let entry = mbox.dialogs.entry(peer.marked()).or_default();
    if entry.draft.is_none() && draft.is_none() {
        return;
    }
    let tl = match &draft {
        Some(draft) => draft_tl(draft),
        None => types::DraftMessageEmpty { date: Some(now) }.into(),
    };
    entry.draft = draft;
    cx.dirty = true;
    let mut refs = Refs::default();
    refs.peer(peer);
    let update = types::UpdateDraftMessage {
        peer: peer.to_tl(),
        top_msg_id: None,
        saved_peer_id: None,
        draft: tl,
    };
    cx.push_with(me, vec![update.into()], &refs);
}

pub(crate) fn save_draft(cx: &mut Cx<'_>, req: functions::messages::SaveDraft) -> RpcResult<bool> {
    let me = cx.me_user()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    check_visible(cx.state, me, peer)?;
    let reply_to = match &req.reply_to {
        Some(enums::InputReplyTo::Message(reply)) => Some(reply.reply_to_msg_id),
        _ => None,
    };
    if req.message.chars().count() > super::messages::MAX_TEXT {
        return Err(RpcError::bad("MESSAGE_TOO_LONG"));
    }
    // An empty draft without a reply is how clients delete one.
    let entities = super::messages::stored_entities(cx.state, me, req.entities.as_ref())?;
    let draft = (!req.message.is_empty() || reply_to.is_some()).then_some(DraftRec {
        text: req.message.to_string(),
        entities,
        reply_to,
        no_webpage: req.no_webpage,
        date: cx.now,
    });
    set_draft(cx, me, peer, draft);
    Ok(true)
}

pub(crate) fn get_all_drafts(
    cx: &mut Cx<'_>,
    _: functions::messages::GetAllDrafts,
) -> RpcResult<enums::Updates> {
    let me = cx.me_user()?;
    let mut refs = Refs::default();
    let mut list = Vec::new();
    let empty = MessageBox::default();
    let mbox = cx.state.boxes.get(&me).unwrap_or(&empty);
    for (&marked, rec) in &mbox.dialogs {
        let (Some(draft), Some(peer)) = (&rec.draft, peer_of_marked(cx.state, marked)) else {
            continue;
        };
        refs.peer(peer);
        list.push(
            types::UpdateDraftMessage {
                peer: peer.to_tl(),
                top_msg_id: None,
                saved_peer_id: None,
                draft: draft_tl(draft),
            }
            .into(),
        );
    }
    Ok(refs.updates(cx.state, me, list, cx.now))
}

pub(crate) fn delete_history(
    cx: &mut Cx<'_>,
    req: functions::messages::DeleteHistory,
) -> RpcResult<enums::messages::AffectedHistory> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, &req.peer)?;
    if let Peer::Channel(_) = peer {
        // Channels clear their history with channels.deleteHistory.
        return Err(RpcError::bad("PEER_ID_INVALID"));
    }
    check_visible(cx.state, me, peer)?;
    let in_range = |m: &&MessageRec| {
        m.peer == peer
            && (req.max_id <= 0 || m.id <= req.max_id)
            && req.min_date.is_none_or(|d| m.date >= d)
            && req.max_date.is_none_or(|d| m.date <= d)
    };
    let matching: Vec<(i32, i64)> = cx
        .state
        .boxes
        .get(&me)
        .map(|b| {
            b.store
                .messages
                .values()
                .map(|m| &**m)
                .rev()
                .filter(in_range)
                .map(|m| (m.id, m.global_id))
                .collect()
        })
        .unwrap_or_default();
    let chunk = &matching[..matching.len().min(DELETE_HISTORY_CHUNK)];
    let ids: Vec<i32> = chunk.iter().map(|&(id, _)| id).collect();
    // Revoking deletes the other side's copies too (private chats only).
    if let Peer::User(other) = peer {
        if req.revoke && other != me {
            let theirs: Vec<i32> = chunk
                .iter()
                .filter_map(|&(_, global)| copy_in(cx.state, other, global))
                .collect();
            delete_from_box(cx, other, &theirs);
        }
    }
    let (pts, pts_count) = delete_from_box(cx, me, &ids);
    let remaining = matching.len() - chunk.len();
    Ok(types::messages::AffectedHistory {
        pts,
        pts_count,
        offset: i32::try_from(remaining).unwrap_or(i32::MAX),
    }
    .into())
}
