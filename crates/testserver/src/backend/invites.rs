//! Invite links: `messages.exportChatInvite`, `checkChatInvite`, `importChatInvite`,
//! `getExportedChatInvites`, `getExportedChatInvite`, `editExportedChatInvite`,
//! `deleteExportedChatInvite`, `deleteRevokedExportedChatInvites`.
//!
//! Each admin with the invite right has one permanent link per chat (made on first export,
//! replaced when revoked) and any number of extra links with an expiry, a usage limit or a
//! title. A revoked, expired or used-up link answers `INVITE_HASH_EXPIRED`; an unknown one
//! `INVITE_HASH_INVALID`. Links are the admin's: only they (or the creator) list, edit and
//! revoke them. Joining through a link posts `messageActionChatJoinedByLink` and, in channels,
//! logs `channelAdminLogEventActionParticipantJoinByInvite`.

use rand::Rng;
use tgwire_tl_types::{enums, functions, types};

use super::model::{InviteRec, Peer, State};
use super::present::{self, Refs};
use super::rights;
use super::rpc::{RpcError, RpcResult};
use super::{admin_log, channels, chats, join_requests, peers, Cx};

/// Most links one `messages.getExportedChatInvites` returns.
const MAX_PAGE: i32 = 100;
/// Largest usage limit.
const MAX_USAGE: i32 = 99_999;

/// The link form of `hash`.
fn link_of(hash: &str) -> String {
    format!("https://t.me/+{hash}")
}

/// The hash in a link (`https://t.me/+HASH`, `t.me/joinchat/HASH`) or a bare hash.
pub(crate) fn hash_of(link: &str) -> &str {
    let tail = link.rsplit('/').next().unwrap_or(link);
    tail.strip_prefix('+').unwrap_or(tail)
}

fn new_hash() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut rng = rand::thread_rng();
    (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// A stored link as TL.
pub(crate) fn exported(rec: &InviteRec) -> enums::ExportedChatInvite {
    types::ChatInviteExported {
        revoked: rec.revoked,
        permanent: rec.permanent,
        request_needed: rec.request_needed,
        link: link_of(&rec.hash).into(),
        admin_id: rec.admin,
        date: rec.date,
        start_date: None,
        expire_date: rec.expire_date,
        usage_limit: rec.usage_limit,
        usage: (rec.usage > 0).then_some(rec.usage),
        requested: None,
        subscription_expired: None,
        title: rec.title.clone().map(Into::into),
        subscription_pricing: None,
    }
    .into()
}

/// `viewer`'s current permanent link to `peer`, if they are an admin who made one.
pub(crate) fn permanent_of(
    state: &State,
    viewer: i64,
    peer: Peer,
) -> Option<enums::ExportedChatInvite> {
    if !rights::is_admin(state, viewer, peer) {
        return None;
    }
    state
        .invites
        .values()
        .find(|i| i.peer == peer && i.admin == viewer && i.permanent && !i.revoked)
        .map(exported)
}

/// Whether the link can still be used.
fn usable(rec: &InviteRec, now: i32) -> bool {
    !rec.revoked
        && rec.expire_date.is_none_or(|date| date > now)
        && rec.usage_limit.is_none_or(|limit| rec.usage < limit)
}

/// The group or channel `input` names, where `me` may manage invite links.
pub(crate) fn managed_peer(cx: &Cx<'_>, me: i64, input: &enums::InputPeer) -> RpcResult<Peer> {
    let peer = peers::input_peer(cx.state, me, input)?;
    if matches!(peer, Peer::User(_)) {
        return Err(RpcError::bad("PEER_ID_INVALID"));
    }
    let may = rights::admin_rights(cx.state, me, peer).is_some_and(|r| r.invite_users);
    if !may {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    Ok(peer)
}

fn is_creator(state: &State, user: i64, peer: Peer) -> bool {
    match peer {
        Peer::Chat(id) => state.chats.get(&id).is_some_and(|c| c.creator == user),
        Peer::Channel(id) => state.channels.get(&id).is_some_and(|c| c.creator == user),
        Peer::User(_) => false,
    }
}

/// The stored link `link` of `peer` that `me` may manage (theirs, or any for the creator).
fn managed_link(cx: &Cx<'_>, me: i64, peer: Peer, link: &str) -> RpcResult<InviteRec> {
    let rec = cx
        .state
        .invites
        .get(hash_of(link))
        .filter(|i| i.peer == peer)
        .ok_or_else(|| RpcError::bad("INVITE_HASH_INVALID"))?;
    if rec.admin != me && !is_creator(cx.state, me, peer) {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    Ok(rec.clone())
}

/// Stores a new link.
fn create(cx: &mut Cx<'_>, rec: InviteRec) -> InviteRec {
    let mut rec = rec;
    loop {
        rec.hash = new_hash();
        if !cx.state.invites.contains_key(&rec.hash) {
            break;
        }
    }
    cx.state.invites.insert(rec.hash.clone(), rec.clone());
    cx.dirty = true;
    rec
}

/// Revokes `hash`; a revoked permanent link is replaced by a new one, which is returned.
fn revoke(cx: &mut Cx<'_>, me: i64, hash: &str) -> Option<InviteRec> {
    let rec = cx.state.invites.get_mut(hash)?;
    rec.revoked = true;
    let old = rec.clone();
    cx.dirty = true;
    if let Peer::Channel(id) = old.peer {
        let action = types::ChannelAdminLogEventActionExportedInviteRevoke {
            invite: exported(&old),
        };
        admin_log::record(cx, id, me, action.into(), vec![old.admin]);
    }
    old.permanent.then(|| {
        create(
            cx,
            InviteRec {
                revoked: false,
                date: cx.now,
                usage: 0,
                ..old
            },
        )
    })
}

fn check_limits(cx: &Cx<'_>, expire_date: Option<i32>, usage_limit: Option<i32>) -> RpcResult<()> {
    if expire_date.is_some_and(|date| date != 0 && date <= cx.now) {
        return Err(RpcError::bad("EXPIRE_DATE_INVALID"));
    }
    if usage_limit.is_some_and(|limit| !(0..=MAX_USAGE).contains(&limit)) {
        return Err(RpcError::bad("USAGE_LIMIT_INVALID"));
    }
    Ok(())
}

pub(crate) fn export_chat_invite(
    cx: &mut Cx<'_>,
    req: functions::messages::ExportChatInvite,
) -> RpcResult<enums::ExportedChatInvite> {
    let me = cx.me()?;
    let peer = managed_peer(cx, me, &req.peer)?;
    check_limits(cx, req.expire_date, req.usage_limit)?;
    if let Some(title) = &req.title {
        if title.chars().count() > 32 {
            return Err(RpcError::bad("TITLE_INVALID"));
        }
    }
    let extra = req.expire_date.is_some_and(|d| d != 0)
        || req.usage_limit.is_some_and(|l| l != 0)
        || req.title.is_some()
        || req.request_needed;
    let current = cx
        .state
        .invites
        .values()
        .find(|i| i.peer == peer && i.admin == me && i.permanent && !i.revoked)
        .cloned();
    if !extra {
        match current {
            Some(rec) if req.legacy_revoke_permanent => {
                if let Some(new) = revoke(cx, me, &rec.hash) {
                    return Ok(exported(&new));
                }
            }
            Some(rec) => return Ok(exported(&rec)),
            None => {}
        }
    }
    let rec = create(
        cx,
        InviteRec {
            hash: String::new(),
            peer,
            admin: me,
            date: cx.now,
            permanent: !extra,
            revoked: false,
            expire_date: req.expire_date.filter(|&d| d != 0),
            usage_limit: req.usage_limit.filter(|&l| l != 0),
            usage: 0,
            title: req.title.map(Into::into),
            request_needed: req.request_needed,
        },
    );
    Ok(exported(&rec))
}

/// The usable link `hash` (`INVITE_HASH_INVALID`, `INVITE_HASH_EXPIRED`).
fn usable_link(cx: &Cx<'_>, hash: &str) -> RpcResult<InviteRec> {
    let rec = cx
        .state
        .invites
        .get(hash_of(hash))
        .ok_or_else(|| RpcError::bad("INVITE_HASH_INVALID"))?;
    let alive = match rec.peer {
        Peer::Chat(id) => cx.state.chats.get(&id).is_some_and(|c| !c.deactivated),
        Peer::Channel(id) => cx.state.channels.contains_key(&id),
        Peer::User(_) => false,
    };
    if !alive || !usable(rec, cx.now) {
        return Err(RpcError::bad("INVITE_HASH_EXPIRED"));
    }
    Ok(rec.clone())
}

pub(crate) fn is_member(state: &State, user: i64, peer: Peer) -> bool {
    match peer {
        Peer::Chat(id) => state
            .chats
            .get(&id)
            .is_some_and(|c| c.members.contains_key(&user)),
        Peer::Channel(id) => state
            .channels
            .get(&id)
            .is_some_and(|c| c.members.contains_key(&user)),
        Peer::User(_) => false,
    }
}

pub(crate) fn check_chat_invite(
    cx: &mut Cx<'_>,
    req: functions::messages::CheckChatInvite,
) -> RpcResult<enums::ChatInvite> {
    let me = cx.me()?;
    let rec = usable_link(cx, &req.hash)?;
    let chat = match rec.peer {
        Peer::Chat(id) => present::chat(cx.state, me, id),
        Peer::Channel(id) => present::channel(cx.state, me, id),
        Peer::User(_) => None,
    }
    .ok_or_else(|| RpcError::bad("INVITE_HASH_EXPIRED"))?;
    if is_member(cx.state, me, rec.peer) {
        return Ok(types::ChatInviteAlready { chat }.into());
    }
    let invite = match rec.peer {
        Peer::Chat(id) => {
            let Some(c) = cx.state.chats.get(&id) else {
                return Err(RpcError::bad("INVITE_HASH_EXPIRED"));
            };
            let users = c
                .members
                .keys()
                .filter_map(|&u| present::user(cx.state, me, u))
                .collect();
            types::ChatInvite {
                channel: false,
                broadcast: false,
                public: false,
                megagroup: false,
                request_needed: rec.request_needed,
                verified: false,
                scam: false,
                fake: false,
                can_refulfill_subscription: false,
                title: c.title.clone().into(),
                about: ((!c.about.is_empty()).then(|| c.about.clone())).map(Into::into),
                photo: chat_photo(cx.state, c.photo),
                participants_count: i32::try_from(c.members.len()).unwrap_or(i32::MAX),
                participants: Some(users),
                color: 0,
                subscription_pricing: None,
                subscription_form_id: None,
                bot_verification: None,
            }
        }
        _ => {
            let Some(c) = rec_channel(cx.state, rec.peer) else {
                return Err(RpcError::bad("INVITE_HASH_EXPIRED"));
            };
            types::ChatInvite {
                channel: true,
                broadcast: c.broadcast,
                public: c.username.is_some(),
                megagroup: c.megagroup,
                request_needed: rec.request_needed,
                verified: false,
                scam: false,
                fake: false,
                can_refulfill_subscription: false,
                title: c.title.clone().into(),
                about: ((!c.about.is_empty()).then(|| c.about.clone())).map(Into::into),
                photo: chat_photo(cx.state, c.photo),
                participants_count: i32::try_from(c.members.len()).unwrap_or(i32::MAX),
                participants: None,
                color: 0,
                subscription_pricing: None,
                subscription_form_id: None,
                bot_verification: None,
            }
        }
    };
    Ok(invite.into())
}

fn rec_channel(state: &State, peer: Peer) -> Option<&super::model::ChannelRec> {
    match peer {
        Peer::Channel(id) => state.channels.get(&id),
        _ => None,
    }
}

fn chat_photo(state: &State, photo: Option<super::model::ChatPhotoRec>) -> enums::Photo {
    photo
        .and_then(|p| present::photo(state, p.id))
        .unwrap_or(types::PhotoEmpty { id: 0 }.into())
}

pub(crate) fn import_chat_invite(
    cx: &mut Cx<'_>,
    req: functions::messages::ImportChatInvite,
) -> RpcResult<enums::messages::ChatInviteJoinResult> {
    let me = cx.me_user()?;
    let rec = usable_link(cx, &req.hash)?;
    if is_member(cx.state, me, rec.peer) {
        return Err(RpcError::bad("USER_ALREADY_PARTICIPANT"));
    }
    if rec.request_needed {
        if rec_channel(cx.state, rec.peer).is_some_and(|c| c.kicked.contains_key(&me)) {
            return Err(RpcError::bad("CHANNEL_PRIVATE"));
        }
        // Telegram's answer to a request filed (the error is the success).
        join_requests::file(cx, me, &rec);
        return Err(RpcError::bad("INVITE_REQUEST_SENT"));
    }
    let updates = match rec.peer {
        Peer::Chat(id) => chats::join_by_link(cx, me, id, rec.admin)?,
        Peer::Channel(id) => {
            if rec_channel(cx.state, rec.peer).is_some_and(|c| c.kicked.contains_key(&me)) {
                return Err(RpcError::bad("CHANNEL_PRIVATE"));
            }
            let mut used = rec.clone();
            used.usage += 1;
            channels::join(cx, me, id, Some((rec.admin, exported(&used))))?
        }
        Peer::User(_) => return Err(RpcError::bad("INVITE_HASH_INVALID")),
    };
    if let Some(stored) = cx.state.invites.get_mut(&rec.hash) {
        stored.usage += 1;
    }
    join_requests::imported(cx, &rec.hash, me, None);
    cx.dirty = true;
    Ok(types::messages::ChatInviteJoinResultOk { updates }.into())
}

pub(crate) fn get_exported_chat_invites(
    cx: &mut Cx<'_>,
    req: functions::messages::GetExportedChatInvites,
) -> RpcResult<enums::messages::ExportedChatInvites> {
    let me = cx.me()?;
    let peer = managed_peer(cx, me, &req.peer)?;
    let admin = peers::input_user(cx.state, me, &req.admin_id)?;
    if admin != me && !is_creator(cx.state, me, peer) {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    let mut list: Vec<&InviteRec> = cx
        .state
        .invites
        .values()
        .filter(|i| i.peer == peer && i.admin == admin && i.revoked == req.revoked)
        .collect();
    // Newest first; ties (same second) by hash, so offsets page deterministically.
    list.sort_by(|a, b| (b.date, &b.hash).cmp(&(a.date, &a.hash)));
    let count = list.len();
    if let (Some(date), Some(link)) = (req.offset_date, req.offset_link.as_deref()) {
        let hash = hash_of(link);
        list.retain(|i| (i.date, i.hash.as_str()) < (date, hash));
    }
    let limit = usize::try_from(req.limit.clamp(1, MAX_PAGE)).unwrap_or(1);
    let mut refs = Refs::default();
    refs.user(admin);
    Ok(types::messages::ExportedChatInvites {
        count: i32::try_from(count).unwrap_or(i32::MAX),
        invites: list.into_iter().take(limit).map(exported).collect(),
        users: refs.users(cx.state, me),
    }
    .into())
}

pub(crate) fn get_exported_chat_invite(
    cx: &mut Cx<'_>,
    req: functions::messages::GetExportedChatInvite,
) -> RpcResult<enums::messages::ExportedChatInvite> {
    let me = cx.me()?;
    let peer = managed_peer(cx, me, &req.peer)?;
    let rec = managed_link(cx, me, peer, &req.link)?;
    let mut refs = Refs::default();
    refs.user(rec.admin);
    Ok(types::messages::ExportedChatInvite {
        invite: exported(&rec),
        users: refs.users(cx.state, me),
    }
    .into())
}

pub(crate) fn edit_exported_chat_invite(
    cx: &mut Cx<'_>,
    req: functions::messages::EditExportedChatInvite,
) -> RpcResult<enums::messages::ExportedChatInvite> {
    let me = cx.me()?;
    let peer = managed_peer(cx, me, &req.peer)?;
    let rec = managed_link(cx, me, peer, &req.link)?;
    let mut refs = Refs::default();
    refs.user(rec.admin);
    if req.revoked {
        if rec.revoked {
            return Err(RpcError::bad("INVITE_REVOKED_MISSING"));
        }
        let replacement = revoke(cx, me, &rec.hash);
        let revoked = cx.state.invites.get(&rec.hash).map(exported);
        let revoked = revoked.ok_or_else(|| RpcError::bad("INVITE_HASH_INVALID"))?;
        return Ok(match replacement {
            Some(new) => types::messages::ExportedChatInviteReplaced {
                invite: revoked,
                new_invite: exported(&new),
                users: refs.users(cx.state, me),
            }
            .into(),
            None => types::messages::ExportedChatInvite {
                invite: revoked,
                users: refs.users(cx.state, me),
            }
            .into(),
        });
    }
    if rec.revoked {
        return Err(RpcError::bad("INVITE_HASH_EXPIRED"));
    }
    if rec.permanent {
        // The primary link has no limits; make another link for that.
        return Err(RpcError::bad("CHAT_INVITE_PERMANENT"));
    }
    check_limits(cx, req.expire_date, req.usage_limit)?;
    let before = exported(&rec);
    let Some(stored) = cx.state.invites.get_mut(&rec.hash) else {
        return Err(RpcError::bad("INVITE_HASH_INVALID"));
    };
    if let Some(date) = req.expire_date {
        stored.expire_date = (date != 0).then_some(date);
    }
    if let Some(limit) = req.usage_limit {
        stored.usage_limit = (limit != 0).then_some(limit);
    }
    if let Some(needed) = req.request_needed {
        stored.request_needed = needed;
    }
    if let Some(title) = req.title {
        stored.title = (!title.is_empty()).then_some(title.to_string());
    }
    let after = exported(stored);
    cx.dirty = true;
    if let Peer::Channel(id) = peer {
        let action = types::ChannelAdminLogEventActionExportedInviteEdit {
            prev_invite: before,
            new_invite: after.clone(),
        };
        admin_log::record(cx, id, me, action.into(), vec![rec.admin]);
    }
    Ok(types::messages::ExportedChatInvite {
        invite: after,
        users: refs.users(cx.state, me),
    }
    .into())
}

/// Deletes a revoked link (live links must be revoked first: `INVITE_REVOKED_MISSING`).
fn delete(cx: &mut Cx<'_>, me: i64, rec: &InviteRec) -> RpcResult<()> {
    if !rec.revoked {
        return Err(RpcError::bad("INVITE_REVOKED_MISSING"));
    }
    cx.state.invites.remove(&rec.hash);
    cx.dirty = true;
    if let Peer::Channel(id) = rec.peer {
        let action = types::ChannelAdminLogEventActionExportedInviteDelete {
            invite: exported(rec),
        };
        admin_log::record(cx, id, me, action.into(), vec![rec.admin]);
    }
    Ok(())
}

pub(crate) fn delete_exported_chat_invite(
    cx: &mut Cx<'_>,
    req: functions::messages::DeleteExportedChatInvite,
) -> RpcResult<bool> {
    let me = cx.me()?;
    let peer = managed_peer(cx, me, &req.peer)?;
    let rec = managed_link(cx, me, peer, &req.link)?;
    delete(cx, me, &rec)?;
    Ok(true)
}

pub(crate) fn delete_revoked_exported_chat_invites(
    cx: &mut Cx<'_>,
    req: functions::messages::DeleteRevokedExportedChatInvites,
) -> RpcResult<bool> {
    let me = cx.me()?;
    let peer = managed_peer(cx, me, &req.peer)?;
    let admin = peers::input_user(cx.state, me, &req.admin_id)?;
    if admin != me && !is_creator(cx.state, me, peer) {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    let revoked: Vec<InviteRec> = cx
        .state
        .invites
        .values()
        .filter(|i| i.peer == peer && i.admin == admin && i.revoked)
        .cloned()
        .collect();
    for rec in &revoked {
        delete(cx, me, rec)?;
    }
    Ok(true)
}
