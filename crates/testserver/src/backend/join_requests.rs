//! Join requests: invite links with `request_needed` (`messages.importChatInvite` answers
//! `INVITE_REQUEST_SENT` and files a request), the admins' list of requests and of the users
//! who joined by a link (`messages.getChatInviteImporters`), and their answer
//! (`messages.hideChatJoinRequest`, `messages.hideAllChatJoinRequests`).
//!
//! Admins who may invite get `updatePendingJoinRequests` whenever the pending list changes;
//! bots among them get `updateBotChatInviteRequester` instead, once per request (a qts step of
//! the bot's account: the Bot API's `chat_join_request`), with the requester's bio as it was
//! then (`about`, also listed with the request).
//! An approved request joins the user as a link would (service message, admin-log
//! `participantJoinByRequest` in channels); the approving session learns the service message
//! from its channel's or account's next difference, as it was not the one that posted it.

use serde::{Deserialize, Serialize};
use tgwire_tl_types::{enums, functions, types};

use super::invites::{exported, hash_of, is_member, managed_peer};
use super::model::{Bytes, InviteRec, Peer, QtsKind, State};
use super::present::Refs;
use super::rpc::{RpcError, RpcResult};
use super::{channels, chats, peers, qts, rights, Cx};

/// Most importers one `messages.getChatInviteImporters` returns.
const MAX_PAGE: i32 = 100;

/// A pending request to join `peer` through link `hash`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct JoinRequestRec {
    pub(crate) peer: Peer,
    pub(crate) user: i64,
    pub(crate) date: i32,
    pub(crate) hash: String,
    /// The requester's bio when they asked.
    #[serde(default)]
    pub(crate) about: Option<String>,
}

/// A user who joined through link `hash` (directly, or approved by `approved_by`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ImporterRec {
    pub(crate) hash: String,
    pub(crate) user: i64,
    pub(crate) date: i32,
    pub(crate) approved_by: Option<i64>,
}

/// Files `me`'s request to join through `rec` (once; asking again changes nothing) and tells
/// the admins. The caller answers `INVITE_REQUEST_SENT`, as Telegram does.
pub(crate) fn file(cx: &mut Cx<'_>, me: i64, rec: &InviteRec) {
    let pending = cx
        .state
        .join_requests
        .iter()
        .any(|r| r.peer == rec.peer && r.user == me);
    if !pending {
        let date = cx.now;
        let about = cx
            .state
            .users
            .get(&me)
            .and_then(|u| u.about.clone())
            .filter(|a| !a.is_empty());
        cx.state.join_requests.push(JoinRequestRec {
            peer: rec.peer,
            user: me,
            date,
            hash: rec.hash.clone(),
            about: about.clone(),
        });
        cx.dirty = true;
        push_pending(cx, rec.peer);
        for bot in inviting_admins(cx.state, rec.peer, true) {
            qts::record(
                cx,
                bot,
                QtsKind::ChatInviteRequester {
                    peer: rec.peer,
                    user: me,
                    about: about.clone().unwrap_or_default(),
                    invite: Bytes::tl(&exported(rec)),
                },
            );
        }
    }
}

/// The admins of `peer` who may invite users: its bots (`bots`) or its people.
fn inviting_admins(state: &State, peer: Peer, bots: bool) -> Vec<i64> {
    let members: Vec<i64> = match peer {
        Peer::Chat(id) => state
            .chats
            .get(&id)
            .map(|c| c.members.keys().copied().collect())
            .unwrap_or_default(),
        Peer::Channel(id) => state
            .channels
            .get(&id)
            .map(|c| c.members.keys().copied().collect())
            .unwrap_or_default(),
        Peer::User(_) => Vec::new(),
    };
    members
        .into_iter()
        .filter(|&m| state.users.get(&m).is_some_and(|u| u.bot) == bots)
        .filter(|&m| rights::admin_rights(state, m, peer).is_some_and(|r| r.invite_users))
        .collect()
}

/// Records that `user` joined through link `hash`.
pub(crate) fn imported(cx: &mut Cx<'_>, hash: &str, user: i64, approved_by: Option<i64>) {
    let date = cx.now;
    cx.state.invite_importers.push(ImporterRec {
        hash: hash.to_owned(),
        user,
        date,
        approved_by,
    });
    cx.dirty = true;
}

/// `updatePendingJoinRequests` to every admin of `peer` who may invite, bots aside (the
/// caller's own session gets it in its answer, returned here).
fn push_pending(cx: &mut Cx<'_>, peer: Peer) -> enums::Update {
    let mut pending: Vec<&JoinRequestRec> = cx
        .state
        .join_requests
        .iter()
        .filter(|r| r.peer == peer)
        .collect();
    pending.sort_by_key(|r| std::cmp::Reverse(r.date));
    let count = i32::try_from(pending.len()).unwrap_or(i32::MAX);
    let recent: Vec<i64> = pending.iter().take(3).map(|r| r.user).collect();
    let admins = inviting_admins(cx.state, peer, false);
    let mut refs = Refs::default();
    refs.peer(peer);
    for &user in &recent {
        refs.user(user);
    }
    let update: enums::Update = types::UpdatePendingJoinRequests {
        peer: peer.to_tl(),
        requests_pending: count,
        recent_requesters: recent,
    }
    .into();
    for admin in admins {
        cx.push_with(admin, vec![update.clone()], &refs);
    }
    update
}

pub(crate) fn get_chat_invite_importers(
    cx: &mut Cx<'_>,
    req: functions::messages::GetChatInviteImporters,
) -> RpcResult<enums::messages::ChatInviteImporters> {
    let me = cx.me()?;
    let peer = managed_peer(cx, me, &req.peer)?;
    let hash = req.link.as_deref().map(hash_of);
    if let Some(hash) = hash {
        if cx.state.invites.get(hash).is_none_or(|i| i.peer != peer) {
            return Err(RpcError::bad("INVITE_HASH_INVALID"));
        }
    }
    let query = req.q.as_deref().unwrap_or("").to_lowercase();
    let matches_query = |user: i64| {
        query.is_empty()
            || cx.state.users.get(&user).is_some_and(|u| {
                let name = format!("{} {}", u.first_name, u.last_name).to_lowercase();
                name.contains(&query)
                    || u.username
                        .as_deref()
                        .is_some_and(|n| n.to_lowercase().contains(&query))
            })
    };
    // (date, user, about the importer) newest first.
    let mut rows: Vec<types::ChatInviteImporter> = if req.requested {
        cx.state
            .join_requests
            .iter()
            .filter(|r| r.peer == peer && hash.is_none_or(|h| r.hash == h))
            .map(|r| types::ChatInviteImporter {
                requested: true,
                via_chatlist: false,
                user_id: r.user,
                date: r.date,
                about: r.about.clone().map(Into::into),
                approved_by: None,
            })
            .collect()
    } else {
        cx.state
            .invite_importers
            .iter()
            .filter(|i| {
                cx.state
                    .invites
                    .get(&i.hash)
                    .is_some_and(|rec| rec.peer == peer)
                    && hash.is_none_or(|h| i.hash == h)
            })
            .map(|i| types::ChatInviteImporter {
                requested: false,
                via_chatlist: false,
                user_id: i.user,
                date: i.date,
                about: None,
                approved_by: i.approved_by,
            })
            .collect()
    };
    rows.retain(|r| matches_query(r.user_id));
    rows.sort_by_key(|r| std::cmp::Reverse((r.date, r.user_id)));
    let count = i32::try_from(rows.len()).unwrap_or(i32::MAX);
    let offset_user = peers::input_user(cx.state, me, &req.offset_user).ok();
    if req.offset_date != 0 || offset_user.is_some() {
        let after = (req.offset_date, offset_user.unwrap_or(i64::MAX));
        rows.retain(|r| (r.date, r.user_id) < after);
    }
    let limit = usize::try_from(req.limit.clamp(1, MAX_PAGE)).unwrap_or(1);
    rows.truncate(limit);
    let mut refs = Refs::default();
    for row in &rows {
        refs.user(row.user_id);
        if let Some(admin) = row.approved_by {
            refs.user(admin);
        }
    }
    Ok(types::messages::ChatInviteImporters {
        count,
        importers: rows.into_iter().map(Into::into).collect(),
        users: refs.users(cx.state, me),
    }
    .into())
}

/// Approves or declines `user`'s pending request to join `peer`, by admin `me`.
fn hide(cx: &mut Cx<'_>, me: i64, peer: Peer, user: i64, approved: bool) -> RpcResult<()> {
    let Some(index) = cx
        .state
        .join_requests
        .iter()
        .position(|r| r.peer == peer && r.user == user)
    else {
        return Err(RpcError::bad("HIDE_REQUESTER_MISSING"));
    };
    let request = cx.state.join_requests.remove(index);
    cx.dirty = true;
    if approved && !is_member(cx.state, user, peer) {
        let link = cx.state.invites.get(&request.hash).cloned();
        match peer {
            Peer::Chat(id) => {
                chats::join_by_link(cx, user, id, me)?;
            }
            Peer::Channel(id) => {
                let invite = link.as_ref().map_or_else(
                    || enums::ExportedChatInvite::ChatInvitePublicJoinRequests,
                    exported,
                );
                channels::join_by_request(cx, user, id, me, invite)?;
            }
            Peer::User(_) => return Err(RpcError::bad("PEER_ID_INVALID")),
        }
        imported(cx, &request.hash, user, Some(me));
        if let Some(stored) = cx.state.invites.get_mut(&request.hash) {
            stored.usage += 1;
        }
    }
    Ok(())
}

fn answer(cx: &Cx<'_>, me: i64, peer: Peer, pending: enums::Update) -> enums::Updates {
    let mut refs = Refs::default();
    refs.peer(peer);
    if let enums::Update::PendingJoinRequests(u) = &pending {
        for &user in &u.recent_requesters {
            refs.user(user);
        }
    }
    let mut list = match peer {
        Peer::Channel(channel_id) => vec![types::UpdateChannel { channel_id }.into()],
        _ => Vec::new(),
    };
    list.push(pending);
    refs.updates(cx.state, me, list, cx.now)
}

pub(crate) fn hide_chat_join_request(
    cx: &mut Cx<'_>,
    req: functions::messages::HideChatJoinRequest,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let peer = managed_peer(cx, me, &req.peer)?;
    let user = peers::input_user(cx.state, me, &req.user_id)?;
    hide(cx, me, peer, user, req.approved)?;
    let pending = push_pending(cx, peer);
    Ok(answer(cx, me, peer, pending))
}

pub(crate) fn hide_all_chat_join_requests(
    cx: &mut Cx<'_>,
    req: functions::messages::HideAllChatJoinRequests,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let peer = managed_peer(cx, me, &req.peer)?;
    let hash = req.link.as_deref().map(|l| hash_of(l).to_owned());
    let users: Vec<i64> = cx
        .state
        .join_requests
        .iter()
        .filter(|r| r.peer == peer && hash.as_ref().is_none_or(|h| &r.hash == h))
        .map(|r| r.user)
        .collect();
    for user in users {
        hide(cx, me, peer, user, req.approved)?;
    }
    let pending = push_pending(cx, peer);
    Ok(answer(cx, me, peer, pending))
}
