//! Editing groups and channels: title, photo, about, default banned rights, slow mode, and
//! deleting them — for basic groups (`messages.*`) and channels (`channels.*`) alike, with the
//! rights checks of [`super::rights`], a service message for each visible change (pushed with
//! its pts to every member, replayed by `getDifference`) and an admin-log entry in channels.

use tgwire_tl_types::{enums, functions, types};

use super::channels::{self, channel_service, channel_updates, no_banned_rights};
use super::chats;
use super::files;
use super::messages::{self, Posted};
use super::model::{ActionRec, Bytes, ChatPhotoRec, MediaRec, Peer};
use super::present::{self, Refs};
use super::rights::{self, Right};
use super::rpc::{RpcError, RpcResult};
use super::{admin_log, peers, Cx};

/// Longest group or channel description.
const MAX_ABOUT: usize = 255;
/// Longest title.
const MAX_TITLE: usize = 128;

/// The group or channel an `InputPeer` names (users are `PEER_ID_INVALID`).
fn group_peer(cx: &Cx<'_>, me: i64, input: &enums::InputPeer) -> RpcResult<Peer> {
    match peers::input_peer(cx.state, me, input)? {
        Peer::User(_) => Err(RpcError::bad("PEER_ID_INVALID")),
        peer => {
            messages::check_visible(cx.state, me, peer)?;
            Ok(peer)
        }
    }
}

/// Basic group `chat_id`, which `me` must be a member of.
fn member_chat(cx: &Cx<'_>, me: i64, chat_id: i64) -> RpcResult<()> {
    let chat = cx
        .state
        .chats
        .get(&chat_id)
        .ok_or_else(|| RpcError::bad("CHAT_ID_INVALID"))?;
    if chat.deactivated {
        return Err(RpcError::bad("CHAT_ID_INVALID"));
    }
    if !chat.members.contains_key(&me) {
        return Err(RpcError::forbidden("CHAT_WRITE_FORBIDDEN"));
    }
    Ok(())
}

/// Channel `input`, which `me` must be a member of; returns its id.
fn member_channel(cx: &Cx<'_>, me: i64, input: &enums::InputChannel) -> RpcResult<i64> {
    let rec = channels::channel(cx.state, me, input)?;
    if rec.kicked.contains_key(&me) {
        return Err(RpcError::bad("CHANNEL_PRIVATE"));
    }
    if !rec.members.contains_key(&me) {
        return Err(RpcError::bad("USER_NOT_PARTICIPANT"));
    }
    Ok(rec.id)
}

fn check_title(title: &str) -> RpcResult<String> {
    let title = title.trim();
    if title.is_empty() {
        return Err(RpcError::bad("CHAT_TITLE_EMPTY"));
    }
    if title.chars().count() > MAX_TITLE {
        return Err(RpcError::bad("CHAT_TITLE_TOO_LONG"));
    }
    Ok(title.to_owned())
}

/// Pushes `updateChat`/`updateChannel` to every member of `peer` (and the former ones of a
/// basic group): the object changed, fetch it again.
fn push_changed(cx: &mut Cx<'_>, peer: Peer) {
    let (members, update): (Vec<i64>, enums::Update) = match peer {
        Peer::Chat(id) => (
            cx.state
                .chats
                .get(&id)
                .map(|c| c.members.keys().chain(&c.former).copied().collect())
                .unwrap_or_default(),
            types::UpdateChat { chat_id: id }.into(),
        ),
        Peer::Channel(id) => (
            cx.state
                .channels
                .get(&id)
                .map(|c| c.members.keys().copied().collect())
                .unwrap_or_default(),
            types::UpdateChannel { channel_id: id }.into(),
        ),
        Peer::User(_) => return,
    };
    let mut refs = Refs::default();
    refs.peer(peer);
    for member in members {
        cx.push_with(member, vec![update.clone()], &refs);
    }
}

/// The answer for a change in `peer` by `me`: the service message if one was posted, and
/// `updateChat`/`updateChannel`.
fn answer(cx: &Cx<'_>, me: i64, peer: Peer, posted: Option<Posted>) -> enums::Updates {
    match peer {
        Peer::Channel(id) => channel_updates(cx, me, id, posted),
        _ => {
            let extra = match peer {
                Peer::Chat(chat_id) => vec![types::UpdateChat { chat_id }.into()],
                _ => Vec::new(),
            };
            let mut updates = messages::sent_updates(
                cx,
                me,
                posted.map(|p| (None, p)).into_iter().collect(),
                extra,
            );
            if let (enums::Updates::Updates(u), Peer::Chat(id)) = (&mut updates, peer) {
                if let Some(chat) = present::chat(cx.state, me, id) {
                    if !u.chats.contains(&chat) {
                        u.chats.push(chat);
                    }
                }
            }
            updates
        }
    }
}

/// Posts `action` in `peer` as `me`.
fn service(cx: &mut Cx<'_>, me: i64, peer: Peer, action: ActionRec) -> RpcResult<Posted> {
    match peer {
        Peer::Channel(id) => channel_service(cx, me, id, action),
        _ => chats::post_service(cx, me, peer, action),
    }
}

fn set_title(cx: &mut Cx<'_>, me: i64, peer: Peer, title: &str) -> RpcResult<enums::Updates> {
    rights::require(cx.state, me, peer, Right::ChangeInfo)?;
    let title = check_title(title)?;
    let previous = match peer {
        Peer::Chat(id) => cx.state.chats.get_mut(&id).map(|c| {
            c.version += 1;
            std::mem::replace(&mut c.title, title.clone())
        }),
        Peer::Channel(id) => cx
            .state
            .channels
            .get_mut(&id)
            .map(|c| std::mem::replace(&mut c.title, title.clone())),
        Peer::User(_) => None,
    };
    let previous = previous.ok_or_else(|| RpcError::bad("PEER_ID_INVALID"))?;
    if previous == title {
        // Put it back as it was (the version bump included) and refuse.
        if let Peer::Chat(id) = peer {
            if let Some(c) = cx.state.chats.get_mut(&id) {
                c.version -= 1;
            }
        }
        return Err(RpcError::bad("CHAT_NOT_MODIFIED"));
    }
    cx.dirty = true;
    let posted = service(
        cx,
        me,
        peer,
        ActionRec::ChatEditTitle {
            title: title.clone(),
        },
    )?;
    if let Peer::Channel(id) = peer {
        admin_log::record(
            cx,
            id,
            me,
            types::ChannelAdminLogEventActionChangeTitle {
                prev_value: previous.into(),
                new_value: title.into(),
            }
            .into(),
            Vec::new(),
        );
    }
    Ok(answer(cx, me, peer, Some(posted)))
}

pub(crate) fn edit_chat_title(
    cx: &mut Cx<'_>,
    req: functions::messages::EditChatTitle,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    member_chat(cx, me, req.chat_id)?;
    set_title(cx, me, Peer::Chat(req.chat_id), &req.title)
}

pub(crate) fn edit_title(
    cx: &mut Cx<'_>,
    req: functions::channels::EditTitle,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let id = member_channel(cx, me, &req.channel)?;
    set_title(cx, me, Peer::Channel(id), &req.title)
}

/// The photo `input` names: a new upload, an existing photo, or none.
fn chat_photo(
    cx: &mut Cx<'_>,
    me: i64,
    input: &enums::InputChatPhoto,
) -> RpcResult<Option<ChatPhotoRec>> {
    let id = match input {
        enums::InputChatPhoto::Empty => return Ok(None),
        enums::InputChatPhoto::InputChatUploadedPhoto(uploaded) => {
            let file = uploaded
                .file
                .as_ref()
                .ok_or_else(|| RpcError::bad("PHOTO_FILE_MISSING"))?;
            match files::create_photo(cx, me, file)? {
                MediaRec::Photo(id) => id,
                _ => return Err(RpcError::bad("PHOTO_INVALID")),
            }
        }
        enums::InputChatPhoto::InputChatPhoto(existing) => match &existing.id {
            enums::InputPhoto::InputPhoto(photo)
                if cx
                    .state
                    .photos
                    .get(&photo.id)
                    .is_some_and(|p| p.access_hash == photo.access_hash) =>
            {
                photo.id
            }
            _ => return Err(RpcError::bad("PHOTO_INVALID")),
        },
    };
    let dc_id = cx.state.photos.get(&id).map_or(cx.ctx.dc_id, |p| p.dc_id);
    Ok(Some(ChatPhotoRec { id, dc_id }))
}

fn photo_tl(cx: &Cx<'_>, photo: Option<ChatPhotoRec>) -> enums::Photo {
    photo
        .and_then(|p| present::photo(cx.state, p.id))
        .unwrap_or(types::PhotoEmpty { id: 0 }.into())
}

fn set_photo(
    cx: &mut Cx<'_>,
    me: i64,
    peer: Peer,
    input: &enums::InputChatPhoto,
) -> RpcResult<enums::Updates> {
    rights::require(cx.state, me, peer, Right::ChangeInfo)?;
    let previous = match peer {
        Peer::Chat(id) => cx.state.chats.get(&id).map(|c| c.photo),
        Peer::Channel(id) => cx.state.channels.get(&id).map(|c| c.photo),
        Peer::User(_) => None,
    }
    .ok_or_else(|| RpcError::bad("PEER_ID_INVALID"))?;
    if previous.is_none() && matches!(input, enums::InputChatPhoto::Empty) {
        return Err(RpcError::bad("CHAT_NOT_MODIFIED"));
    }
    let photo = chat_photo(cx, me, input)?;
    match peer {
        Peer::Chat(id) => {
            if let Some(c) = cx.state.chats.get_mut(&id) {
                c.photo = photo;
                c.version += 1;
            }
        }
        Peer::Channel(id) => {
            if let Some(c) = cx.state.channels.get_mut(&id) {
                c.photo = photo;
            }
        }
        Peer::User(_) => {}
    }
    cx.dirty = true;
    let action = match photo {
        Some(p) => ActionRec::ChatEditPhoto { photo: p.id },
        None => ActionRec::ChatDeletePhoto,
    };
    let posted = service(cx, me, peer, action)?;
    if let Peer::Channel(id) = peer {
        let action = types::ChannelAdminLogEventActionChangePhoto {
            prev_photo: photo_tl(cx, previous),
            new_photo: photo_tl(cx, photo),
        };
        admin_log::record(cx, id, me, action.into(), Vec::new());
    }
    Ok(answer(cx, me, peer, Some(posted)))
}

pub(crate) fn edit_chat_photo(
    cx: &mut Cx<'_>,
    req: functions::messages::EditChatPhoto,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    member_chat(cx, me, req.chat_id)?;
    set_photo(cx, me, Peer::Chat(req.chat_id), &req.photo)
}

pub(crate) fn edit_photo(
    cx: &mut Cx<'_>,
    req: functions::channels::EditPhoto,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let id = member_channel(cx, me, &req.channel)?;
    set_photo(cx, me, Peer::Channel(id), &req.photo)
}

pub(crate) fn edit_chat_about(
    cx: &mut Cx<'_>,
    req: functions::messages::EditChatAbout,
) -> RpcResult<bool> {
    let me = cx.me()?;
    let peer = group_peer(cx, me, &req.peer)?;
    match peer {
        Peer::Chat(id) => member_chat(cx, me, id)?,
        Peer::Channel(id) => {
            let member = cx
                .state
                .channels
                .get(&id)
                .is_some_and(|c| c.members.contains_key(&me));
            if !member {
                return Err(RpcError::bad("USER_NOT_PARTICIPANT"));
            }
        }
        Peer::User(_) => {}
    }
    rights::require(cx.state, me, peer, Right::ChangeInfo)?;
    if req.about.chars().count() > MAX_ABOUT {
        return Err(RpcError::bad("CHAT_ABOUT_TOO_LONG"));
    }
    let previous = match peer {
        Peer::Chat(id) => cx
            .state
            .chats
            .get_mut(&id)
            .map(|c| std::mem::replace(&mut c.about, req.about.to_string())),
        Peer::Channel(id) => cx
            .state
            .channels
            .get_mut(&id)
            .map(|c| std::mem::replace(&mut c.about, req.about.to_string())),
        Peer::User(_) => None,
    }
    .ok_or_else(|| RpcError::bad("PEER_ID_INVALID"))?;
    if previous == req.about {
        return Err(RpcError::bad("CHAT_ABOUT_NOT_MODIFIED"));
    }
    cx.dirty = true;
    if let Peer::Channel(id) = peer {
        let action = types::ChannelAdminLogEventActionChangeAbout {
            prev_value: previous.into(),
            new_value: req.about,
        };
        admin_log::record(cx, id, me, action.into(), Vec::new());
    }
    push_changed(cx, peer);
    Ok(true)
}

pub(crate) fn edit_chat_default_banned_rights(
    cx: &mut Cx<'_>,
    req: functions::messages::EditChatDefaultBannedRights,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let peer = group_peer(cx, me, &req.peer)?;
    let may = rights::admin_rights(cx.state, me, peer).is_some_and(|r| r.ban_users);
    if !may {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    let enums::ChatBannedRights::ChatBannedRights(wanted) = &req.banned_rights;
    if wanted.view_messages {
        // Nobody can be kept from reading a group they are in.
        return Err(RpcError::bad("BANNED_RIGHTS_INVALID"));
    }
    let stored = Bytes::tl(&req.banned_rights);
    let previous = match peer {
        Peer::Chat(id) => cx
            .state
            .chats
            .get_mut(&id)
            .map(|c| c.default_banned.replace(stored)),
        Peer::Channel(id) => cx
            .state
            .channels
            .get_mut(&id)
            .map(|c| c.default_banned.replace(stored)),
        Peer::User(_) => None,
    }
    .ok_or_else(|| RpcError::bad("PEER_ID_INVALID"))?;
    let previous = rights::banned_rights(previous.as_ref()).unwrap_or_else(|| no_banned_rights(0));
    if previous == *wanted {
        return Err(RpcError::bad("CHAT_NOT_MODIFIED"));
    }
    cx.dirty = true;
    let now = cx.now;
    match peer {
        Peer::Chat(id) => {
            let version = cx.state.chats.get_mut(&id).map_or(0, |c| {
                c.version += 1;
                c.version
            });
            let update: enums::Update = types::UpdateChatDefaultBannedRights {
                peer: peer.to_tl(),
                default_banned_rights: req.banned_rights.clone(),
                version,
            }
            .into();
            let members: Vec<i64> = cx
                .state
                .chats
                .get(&id)
                .map(|c| c.members.keys().copied().collect())
                .unwrap_or_default();
            let mut refs = Refs::default();
            refs.peer(peer);
            for member in members {
                cx.push_with(member, vec![update.clone()], &refs);
            }
            Ok(refs.updates(cx.state, me, vec![update], now))
        }
        Peer::Channel(id) => {
            let action = types::ChannelAdminLogEventActionDefaultBannedRights {
                prev_banned_rights: previous.into(),
                new_banned_rights: req.banned_rights.clone(),
            };
            admin_log::record(cx, id, me, action.into(), Vec::new());
            push_changed(cx, peer);
            Ok(channel_updates(cx, me, id, None))
        }
        Peer::User(_) => Err(RpcError::bad("PEER_ID_INVALID")),
    }
}

pub(crate) fn toggle_slow_mode(
    cx: &mut Cx<'_>,
    req: functions::channels::ToggleSlowMode,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let id = member_channel(cx, me, &req.channel)?;
    let broadcast = cx.state.channels.get(&id).is_some_and(|c| c.broadcast);
    if broadcast {
        return Err(RpcError::bad("CHANNEL_INVALID"));
    }
    let may = rights::admin_rights(cx.state, me, Peer::Channel(id)).is_some_and(|r| r.ban_users);
    if !may {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    if !channels::slowmode_valid(req.seconds) {
        return Err(RpcError::bad("SECONDS_INVALID"));
    }
    let previous = cx
        .state
        .channels
        .get_mut(&id)
        .map(|c| std::mem::replace(&mut c.slowmode, req.seconds))
        .unwrap_or(0);
    if previous == req.seconds {
        return Err(RpcError::bad("CHAT_NOT_MODIFIED"));
    }
    cx.dirty = true;
    let action = types::ChannelAdminLogEventActionToggleSlowMode {
        prev_value: previous,
        new_value: req.seconds,
    };
    admin_log::record(cx, id, me, action.into(), Vec::new());
    push_changed(cx, Peer::Channel(id));
    Ok(channel_updates(cx, me, id, None))
}

/// Checks the chat's own rules before `from` sends a (non-service) message to `to`: default
/// banned rights (`CHAT_WRITE_FORBIDDEN`) and slow mode (`SLOWMODE_WAIT_X`), which do not
/// apply to admins; records the send for slow mode.
pub(crate) fn check_send(cx: &mut Cx<'_>, from: i64, to: Peer) -> RpcResult<()> {
    if matches!(to, Peer::User(_)) || rights::is_admin(cx.state, from, to) {
        return Ok(());
    }
    let default = match to {
        Peer::Chat(id) => cx
            .state
            .chats
            .get(&id)
            .and_then(|c| c.default_banned.clone()),
        Peer::Channel(id) => cx
            .state
            .channels
            .get(&id)
            .and_then(|c| c.default_banned.clone()),
        Peer::User(_) => None,
    };
    if rights::banned_rights(default.as_ref()).is_some_and(|r| r.send_messages) {
        return Err(RpcError::forbidden("CHAT_WRITE_FORBIDDEN"));
    }
    let now = cx.now;
    if let Peer::Channel(id) = to {
        if let Some(rec) = cx.state.channels.get_mut(&id) {
            if rec.slowmode > 0 {
                if let Some(&last) = rec.last_sent.get(&from) {
                    let wait = last + rec.slowmode - now;
                    if wait > 0 {
                        return Err(RpcError::new(420, format!("SLOWMODE_WAIT_{wait}")));
                    }
                }
                rec.last_sent.insert(from, now);
                cx.dirty = true;
            }
        }
    }
    Ok(())
}

pub(crate) fn delete_channel(
    cx: &mut Cx<'_>,
    req: functions::channels::DeleteChannel,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let rec = channels::channel(cx.state, me, &req.channel)?;
    if rec.creator != me {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    let id = rec.id;
    let forbidden: enums::Chat = types::ChannelForbidden {
        broadcast: rec.broadcast,
        megagroup: rec.megagroup,
        monoforum: false,
        id,
        access_hash: rec.access_hash,
        title: rec.title.clone().into(),
        until_date: None,
    }
    .into();
    let members: Vec<i64> = rec.members.keys().copied().collect();
    cx.state.channels.remove(&id);
    cx.state
        .invites
        .retain(|_, invite| invite.peer != Peer::Channel(id));
    cx.dirty = true;
    let now = cx.now;
    let updates: enums::Updates = types::Updates {
        updates: vec![types::UpdateChannel { channel_id: id }.into()],
        users: Vec::new(),
        chats: vec![forbidden],
        date: now,
        seq: 0,
    }
    .into();
    for member in members {
        cx.push(member, updates.clone());
    }
    Ok(updates)
}

pub(crate) fn delete_chat(
    cx: &mut Cx<'_>,
    req: functions::messages::DeleteChat,
) -> RpcResult<bool> {
    let me = cx.me()?;
    member_chat(cx, me, req.chat_id)?;
    let chat = cx
        .state
        .chats
        .get(&req.chat_id)
        .ok_or_else(|| RpcError::bad("CHAT_ID_INVALID"))?;
    if chat.creator != me {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    let members: Vec<i64> = chat.members.keys().chain(&chat.former).copied().collect();
    // Every member's copies of the group's messages go, each box recording the deletion.
    for member in &members {
        let ids: Vec<i32> = cx
            .state
            .boxes
            .get(member)
            .map(|b| {
                b.store
                    .messages
                    .values()
                    .filter(|m| m.peer == Peer::Chat(req.chat_id))
                    .map(|m| m.id)
                    .collect()
            })
            .unwrap_or_default();
        messages::delete_from_box(cx, *member, &ids);
    }
    if let Some(chat) = cx.state.chats.get_mut(&req.chat_id) {
        let current: Vec<i64> = chat.members.keys().copied().collect();
        chat.former.extend(current);
        chat.members.clear();
        chat.deactivated = true;
        chat.version += 1;
    }
    cx.state
        .invites
        .retain(|_, invite| invite.peer != Peer::Chat(req.chat_id));
    cx.dirty = true;
    push_changed(cx, Peer::Chat(req.chat_id));
    Ok(true)
}
