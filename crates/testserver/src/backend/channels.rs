//! Supergroups and broadcast channels: `channels.*`. Each channel has one message box and pts
//! shared by its members; membership, admin rights and bans are checked the way Telegram
//! checks them (creator ⊇ admins with the named right ⊇ members).

use std::collections::BTreeMap;

use tgwire_tl_types::{enums, functions, types};

use super::messages::{self, Content};
use super::model::{
    ActionRec, AdminRec, BanRec, Bytes, ChannelMember, ChannelRec, MessageStore, Peer, Removed,
    State,
};
use super::present::{self, Refs};
use super::rights::{self, Right};
use super::rpc::{RpcError, RpcResult};
use super::{admin_log, invites, peers, random_i64, users, Cx};

/// Most channels and supergroups one user may be in (`CHANNELS_TOO_MUCH` beyond).
pub(crate) const CHANNELS_MAX: usize = 500;

/// Seconds slow mode may be set to (0 turns it off).
const SLOWMODE_VALUES: [i32; 7] = [0, 10, 30, 60, 300, 900, 3600];

/// Whether slow mode may be set to `seconds`.
pub(crate) fn slowmode_valid(seconds: i32) -> bool {
    SLOWMODE_VALUES.contains(&seconds)
}

/// Fails with `CHANNELS_TOO_MUCH` (or `USER_CHANNELS_TOO_MUCH` for someone else, `other`) when
/// `user` is in as many channels as allowed.
fn check_channel_count(state: &State, user: i64, other: bool) -> RpcResult<()> {
    let count = state
        .channels
        .values()
        .filter(|c| c.members.contains_key(&user))
        .count();
    if count >= CHANNELS_MAX {
        let name = if other {
            "USER_CHANNELS_TOO_MUCH"
        } else {
            "CHANNELS_TOO_MUCH"
        };
        return Err(RpcError::bad(name));
    }
    Ok(())
}

/// Stores a new channel (broadcast unless `megagroup`) with `creator` as its only member.
pub(crate) fn insert(
    cx: &mut Cx<'_>,
    creator: i64,
    title: &str,
    about: &str,
    megagroup: bool,
) -> RpcResult<i64> {
    let title = title.trim();
    if title.is_empty() {
        return Err(RpcError::bad("CHAT_TITLE_EMPTY"));
    }
    if title.chars().count() > 128 {
        return Err(RpcError::bad("CHAT_TITLE_TOO_LONG"));
    }
    if about.chars().count() > 255 {
        return Err(RpcError::bad("CHAT_ABOUT_TOO_LONG"));
    }
    check_channel_count(cx.state, creator, false)?;
    let id = cx.state.next_channel_id;
    cx.state.next_channel_id += 1;
    let now = cx.now;
    let mut members = BTreeMap::new();
    members.insert(
        creator,
        ChannelMember {
            date: now,
            inviter: creator,
            admin: None,
            restricted: None,
        },
    );
    cx.state.channels.insert(
        id,
        ChannelRec {
            id,
            access_hash: random_i64(),
            title: title.to_owned(),
            about: about.to_owned(),
            username: None,
            broadcast: !megagroup,
            megagroup,
            creator,
            date: now,
            members,
            kicked: BTreeMap::new(),
            store: MessageStore::default(),
            read_inbox: BTreeMap::new(),
            read_mentions: BTreeMap::new(),
            available_min_id: BTreeMap::new(),
            photo: None,
            default_banned: None,
            slowmode: 0,
            last_sent: BTreeMap::new(),
            migrated_from: None,
            admin_log: Vec::new(),
        },
    );
    cx.dirty = true;
    Ok(id)
}

/// Creates a channel (broadcast unless `megagroup`) owned by `creator`; returns its id and the
/// answer to `channels.createChannel`.
pub(crate) fn create(
    cx: &mut Cx<'_>,
    creator: i64,
    title: &str,
    about: &str,
    megagroup: bool,
) -> RpcResult<(i64, enums::Updates)> {
    let id = insert(cx, creator, title, about, megagroup)?;
    let action = ActionRec::ChannelCreate {
        title: title.trim().to_owned(),
    };
    let posted = channel_service(cx, creator, id, action)?;
    Ok((id, channel_updates(cx, creator, id, Some(posted))))
}

pub(crate) fn create_channel(
    cx: &mut Cx<'_>,
    req: functions::channels::CreateChannel,
) -> RpcResult<enums::Updates> {
    let me = cx.me_user()?;
    Ok(create(cx, me, &req.title, &req.about, req.megagroup)?.1)
}

pub(crate) fn channel<'s>(
    state: &'s State,
    me: i64,
    input: &enums::InputChannel,
) -> RpcResult<&'s ChannelRec> {
    let id = peers::input_channel(state, me, input)?;
    state
        .channels
        .get(&id)
        .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))
}

fn require_member(rec: &ChannelRec, me: i64) -> RpcResult<()> {
    if rec.kicked.contains_key(&me) {
        return Err(RpcError::bad("CHANNEL_PRIVATE"));
    }
    if !rec.members.contains_key(&me) {
        return Err(RpcError::bad("USER_NOT_PARTICIPANT"));
    }
    Ok(())
}

/// `user`'s participant object in `rec` as `viewer` sees it.
pub(crate) fn participant(
    rec: &ChannelRec,
    viewer: i64,
    user: i64,
) -> Option<enums::ChannelParticipant> {
    if let Some(ban) = rec.kicked.get(&user) {
        return Some(banned(user, ban, true));
    }
    let member = rec.members.get(&user)?;
    if user == rec.creator {
        return Some(
            types::ChannelParticipantCreator {
                user_id: user,
                admin_rights: present::full_admin_rights(rec.broadcast),
                rank: None,
            }
            .into(),
        );
    }
    if let Some(admin) = &member.admin {
        let rights = admin
            .rights
            .decode()
            .unwrap_or_else(|| no_admin_rights().into());
        return Some(
            types::ChannelParticipantAdmin {
                can_edit: viewer == rec.creator || admin.promoted_by == viewer,
                is_self: user == viewer,
                user_id: user,
                inviter_id: (user == viewer).then_some(member.inviter),
                promoted_by: admin.promoted_by,
                date: member.date,
                admin_rights: rights,
                rank: admin.rank.clone().map(Into::into),
            }
            .into(),
        );
    }
    if let Some(ban) = &member.restricted {
        return Some(banned(user, ban, false));
    }
    if user == viewer {
        return Some(
            types::ChannelParticipantSelf {
                via_request: false,
                user_id: user,
                inviter_id: member.inviter,
                date: member.date,
                subscription_until_date: None,
                rank: None,
            }
            .into(),
        );
    }
    Some(
        types::ChannelParticipant {
            user_id: user,
            date: member.date,
            subscription_until_date: None,
            rank: None,
        }
        .into(),
    )
}

fn banned(user: i64, ban: &BanRec, left: bool) -> enums::ChannelParticipant {
    types::ChannelParticipantBanned {
        left,
        peer: Peer::User(user).to_tl(),
        kicked_by: ban.by,
        date: ban.date,
        banned_rights: ban
            .rights
            .decode()
            .unwrap_or_else(|| no_banned_rights(0).into()),
        rank: None,
    }
    .into()
}

/// Admin rights with every right off (what a demotion sends).
pub(crate) fn no_admin_rights() -> types::ChatAdminRights {
    types::ChatAdminRights {
        change_info: false,
        post_messages: false,
        edit_messages: false,
        delete_messages: false,
        ban_users: false,
        invite_users: false,
        pin_messages: false,
        add_admins: false,
        anonymous: false,
        manage_call: false,
        other: false,
        manage_topics: false,
        post_stories: false,
        edit_stories: false,
        delete_stories: false,
        manage_direct_messages: false,
        manage_ranks: false,
        manage_linked_peers: false,
        manage_welcome_messages: false,
    }
}

/// Banned rights with no restriction (what lifting a ban sends).
pub(crate) fn no_banned_rights(until_date: i32) -> types::ChatBannedRights {
    types::ChatBannedRights {
        view_messages: false,
        send_messages: false,
        send_media: false,
        send_stickers: false,
        send_gifs: false,
        send_games: false,
        send_inline: false,
        embed_links: false,
        send_polls: false,
        change_info: false,
        invite_users: false,
        pin_messages: false,
        manage_topics: false,
        send_photos: false,
        send_videos: false,
        send_roundvideos: false,
        send_audios: false,
        send_voices: false,
        send_docs: false,
        send_plain: false,
        edit_rank: false,
        send_reactions: false,
        manage_linked_peers: false,
        until_date,
    }
}

pub(crate) fn name_matches(state: &State, user: i64, query: &str) -> bool {
    if query.is_empty() {
        return true;
    }
    let query = query.to_lowercase();
    state.users.get(&user).is_some_and(|u| {
        format!("{} {}", u.first_name, u.last_name)
            .to_lowercase()
            .contains(&query)
            || u.username
                .as_deref()
                .is_some_and(|n| n.to_lowercase().contains(&query))
    })
}

pub(crate) fn get_participants(
    cx: &mut Cx<'_>,
    req: functions::channels::GetParticipants,
) -> RpcResult<enums::channels::ChannelParticipants> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    messages::check_visible(cx.state, me, Peer::Channel(rec.id))?;
    if rec.broadcast && !rec.is_admin(me) {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    use enums::ChannelParticipantsFilter as F;
    let restricted_list = matches!(
        req.filter,
        F::ChannelParticipantsKicked(_) | F::ChannelParticipantsBanned(_)
    );
    if restricted_list && !rec.is_admin(me) {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    let state = &*cx.state;
    let contacts = state
        .users
        .get(&me)
        .map(|u| u.contacts.clone())
        .unwrap_or_default();
    let selected: Vec<i64> = match &req.filter {
        F::ChannelParticipantsKicked(f) => rec
            .kicked
            .keys()
            .copied()
            .filter(|&u| name_matches(state, u, &f.q))
            .collect(),
        F::ChannelParticipantsBanned(f) => rec
            .members
            .iter()
            .filter(|(_, m)| m.restricted.is_some())
            .map(|(&u, _)| u)
            .filter(|&u| name_matches(state, u, &f.q))
            .collect(),
        F::ChannelParticipantsAdmins => rec
            .members
            .keys()
            .copied()
            .filter(|&u| rec.is_admin(u))
            .collect(),
        F::ChannelParticipantsBots => rec
            .members
            .keys()
            .copied()
            .filter(|u| state.users.get(u).is_some_and(|u| u.bot))
            .collect(),
        F::ChannelParticipantsSearch(f) => rec
            .members
            .keys()
            .copied()
            .filter(|&u| name_matches(state, u, &f.q))
            .collect(),
        F::ChannelParticipantsContacts(f) => rec
            .members
            .keys()
            .copied()
            .filter(|u| contacts.contains(u))
            .filter(|&u| name_matches(state, u, &f.q))
            .collect(),
        F::ChannelParticipantsMentions(f) => rec
            .members
            .keys()
            .copied()
            .filter(|&u| name_matches(state, u, f.q.as_deref().unwrap_or("")))
            .collect(),
        F::ChannelParticipantsRecent => rec.members.keys().copied().collect(),
    };
    let offset = usize::try_from(req.offset.max(0)).unwrap_or(0);
    let limit = usize::try_from(req.limit.clamp(0, 200)).unwrap_or(0);
    let mut refs = Refs::default();
    let participants = selected
        .iter()
        .skip(offset)
        .take(limit)
        .filter_map(|&user| {
            refs.user(user);
            participant(rec, me, user)
        })
        .collect();
    Ok(types::channels::ChannelParticipants {
        count: i32::try_from(selected.len()).unwrap_or(i32::MAX),
        participants,
        chats: Vec::new(),
        users: refs.users(state, me),
    }
    .into())
}

pub(crate) fn get_participant(
    cx: &mut Cx<'_>,
    req: functions::channels::GetParticipant,
) -> RpcResult<enums::channels::ChannelParticipant> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    messages::check_visible(cx.state, me, Peer::Channel(rec.id))?;
    let Peer::User(user) = peers::input_peer(cx.state, me, &req.participant)? else {
        return Err(RpcError::bad("PARTICIPANT_ID_INVALID"));
    };
    let participant =
        participant(rec, me, user).ok_or_else(|| RpcError::bad("USER_NOT_PARTICIPANT"))?;
    let mut refs = Refs::default();
    refs.user(user).peer(Peer::Channel(rec.id));
    Ok(types::channels::ChannelParticipant {
        participant,
        chats: refs.chats(cx.state, me),
        users: refs.users(cx.state, me),
    }
    .into())
}

pub(crate) fn get_messages(
    cx: &mut Cx<'_>,
    req: functions::channels::GetMessages,
) -> RpcResult<enums::messages::Messages> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    messages::check_visible(cx.state, me, Peer::Channel(rec.id))?;
    let mut refs = Refs::default();
    let list = req
        .id
        .iter()
        .map(|input| {
            let id = match input {
                enums::InputMessage::Id(m) => Some(m.id),
                enums::InputMessage::ReplyTo(m) => {
                    rec.store.messages.get(&m.id).and_then(|msg| msg.reply_to)
                }
                _ => None,
            };
            match id.and_then(|id| rec.store.messages.get(&id)) {
                Some(msg) => {
                    refs.message(msg);
                    present::message(cx.state, me, msg)
                }
                None => types::MessageEmpty {
                    id: id.unwrap_or(0),
                    peer_id: Some(Peer::Channel(rec.id).to_tl()),
                }
                .into(),
            }
        })
        .collect::<Vec<_>>();
    Ok(types::messages::ChannelMessages {
        inexact: false,
        pts: rec.store.pts,
        count: i32::try_from(list.len()).unwrap_or(i32::MAX),
        offset_id_offset: None,
        messages: list,
        topics: Vec::new(),
        chats: refs.chats(cx.state, me),
        users: refs.users(cx.state, me),
    }
    .into())
}

/// Removes messages from a channel, recording and pushing the deletion.
fn delete_in_channel(cx: &mut Cx<'_>, channel_id: i64, ids: &[i32]) -> (i32, i32) {
    let Some(rec) = cx.state.channels.get_mut(&channel_id) else {
        return (0, 0);
    };
    let Some(Removed { ids, pts, count }) = rec.store.remove(ids) else {
        return (rec.store.pts, 0);
    };
    let members: Vec<i64> = rec.members.keys().copied().collect();
    let update: enums::Update = types::UpdateDeleteChannelMessages {
        channel_id,
        messages: ids,
        pts,
        pts_count: count,
    }
    .into();
    for member in members {
        cx.push_with(member, vec![update.clone()], &Refs::default());
    }
    cx.dirty = true;
    (pts, count)
}

pub(crate) fn delete_messages(
    cx: &mut Cx<'_>,
    req: functions::channels::DeleteMessages,
) -> RpcResult<enums::messages::AffectedMessages> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    require_member(rec, me)?;
    let may_delete_any = rec.has_right(me, |r| r.delete_messages);
    let forbidden = req.id.iter().any(|id| {
        rec.store
            .messages
            .get(id)
            .is_some_and(|m| m.from != Some(Peer::User(me)) && !may_delete_any)
    });
    if forbidden {
        return Err(RpcError::forbidden("MESSAGE_DELETE_FORBIDDEN"));
    }
    // Deleting others' messages (and posts) is an admin action the log shows, with the message.
    let logged: Vec<(enums::Message, Vec<i64>)> = req
        .id
        .iter()
        .filter_map(|id| rec.store.messages.get(id))
        .filter(|m| m.post || m.from != Some(Peer::User(me)))
        .map(|m| {
            let author = match m.from {
                Some(Peer::User(user)) => vec![user],
                _ => Vec::new(),
            };
            (present::message(cx.state, me, m), author)
        })
        .collect();
    let id = rec.id;
    let (pts, pts_count) = delete_in_channel(cx, id, &req.id);
    for (message, mentions) in logged {
        let action = types::ChannelAdminLogEventActionDeleteMessage { message };
        admin_log::record(cx, id, me, action.into(), mentions);
    }
    Ok(types::messages::AffectedMessages { pts, pts_count }.into())
}

/// Clears a supergroup's history: for everyone (admins with the delete right; the messages are
/// deleted as by `channels.deleteMessages`) or only for the caller (messages up to `max_id` are
/// hidden from them, `updateChannelAvailableMessages`).
pub(crate) fn delete_history(
    cx: &mut Cx<'_>,
    req: functions::channels::DeleteHistory,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    require_member(rec, me)?;
    if rec.broadcast {
        // Broadcast history cannot be cleared, only its posts deleted.
        return Err(RpcError::bad("CHANNEL_INVALID"));
    }
    let id = rec.id;
    let max_id = if req.max_id <= 0 {
        rec.store.last_id
    } else {
        req.max_id.min(rec.store.last_id)
    };
    let now = cx.now;
    if req.for_everyone {
        if !rec.has_right(me, |r| r.delete_messages) {
            return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
        }
        let ids: Vec<i32> = rec
            .store
            .messages
            .range(..=max_id)
            .map(|(&id, _)| id)
            .collect();
        let (pts, count) = delete_in_channel(cx, id, &ids);
        let updates = if count == 0 {
            Vec::new()
        } else {
            vec![types::UpdateDeleteChannelMessages {
                channel_id: id,
                messages: ids,
                pts,
                pts_count: count,
            }
            .into()]
        };
        let mut refs = Refs::default();
        refs.peer(Peer::Channel(id));
        return Ok(refs.updates(cx.state, me, updates, now));
    }
    if let Some(rec) = cx.state.channels.get_mut(&id) {
        rec.available_min_id.insert(me, max_id);
        // What is hidden counts as read.
        let read = rec.read_inbox.entry(me).or_default();
        *read = (*read).max(max_id);
    }
    cx.dirty = true;
    let update: enums::Update = types::UpdateChannelAvailableMessages {
        channel_id: id,
        available_min_id: max_id,
    }
    .into();
    cx.push(
        me,
        types::UpdateShort {
            update: update.clone(),
            date: now,
        }
        .into(),
    );
    let mut refs = Refs::default();
    refs.peer(Peer::Channel(id));
    Ok(refs.updates(cx.state, me, vec![update], now))
}

pub(crate) fn read_history(
    cx: &mut Cx<'_>,
    req: functions::channels::ReadHistory,
) -> RpcResult<bool> {
    let me = cx.me()?;
    let id = channel(cx.state, me, &req.channel)?.id;
    let now = cx.now;
    let rec = cx
        .state
        .channels
        .get_mut(&id)
        .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
    require_member(rec, me)?;
    let max_id = if req.max_id <= 0 {
        rec.store.last_id
    } else {
        req.max_id.min(rec.store.last_id)
    };
    let previous = rec.read_inbox.get(&me).copied().unwrap_or(0);
    if max_id <= previous {
        return Ok(true);
    }
    rec.read_inbox.insert(me, max_id);
    let still_unread = rec
        .store
        .messages
        .values()
        .filter(|m| m.id > max_id && m.from != Some(Peer::User(me)))
        .count();
    let mut authors: Vec<i64> = rec
        .store
        .messages
        .range(previous + 1..=max_id)
        .filter_map(|(_, m)| match m.from {
            Some(Peer::User(author)) if author != me => Some(author),
            _ => None,
        })
        .collect();
    authors.sort_unstable();
    authors.dedup();
    let pts = rec.store.pts;
    cx.dirty = true;
    cx.push(
        me,
        types::UpdateShort {
            update: types::UpdateReadChannelInbox {
                folder_id: None,
                channel_id: id,
                max_id,
                still_unread_count: i32::try_from(still_unread).unwrap_or(i32::MAX),
                pts,
            }
            .into(),
            date: now,
        }
        .into(),
    );
    for author in authors {
        cx.push(
            author,
            types::UpdateShort {
                update: types::UpdateReadChannelOutbox {
                    channel_id: id,
                    max_id,
                }
                .into(),
                date: now,
            }
            .into(),
        );
    }
    Ok(true)
}

/// `updates` with `updateChannel` (and the service message, if any) for `me`.
pub(crate) fn channel_updates(
    cx: &Cx<'_>,
    me: i64,
    channel_id: i64,
    posted: Option<messages::Posted>,
) -> enums::Updates {
    let extra = vec![types::UpdateChannel { channel_id }.into()];
    messages::sent_updates(
        cx,
        me,
        posted.map(|p| (None, p)).into_iter().collect(),
        extra,
    )
}

/// Tells `user`'s sessions the channel changed for them (joined, left, promoted, banned).
pub(crate) fn push_channel_changed(cx: &mut Cx<'_>, user: i64, channel_id: i64) {
    let mut refs = Refs::default();
    refs.peer(Peer::Channel(channel_id));
    cx.push_with(
        user,
        vec![types::UpdateChannel { channel_id }.into()],
        &refs,
    );
}

/// A service message from `actor` in channel `channel_id` (pushed to every member with its
/// pts, like any message).
pub(crate) fn channel_service(
    cx: &mut Cx<'_>,
    actor: i64,
    channel_id: i64,
    action: ActionRec,
) -> RpcResult<messages::Posted> {
    let content = Content {
        action: Some(action),
        ..Content::default()
    };
    messages::post(cx, actor, Peer::Channel(channel_id), content, None)
}

/// A membership service message in a supergroup (broadcast channels have none for membership).
pub(crate) fn member_service(
    cx: &mut Cx<'_>,
    actor: i64,
    channel_id: i64,
    action: ActionRec,
) -> RpcResult<Option<messages::Posted>> {
    let megagroup = cx
        .state
        .channels
        .get(&channel_id)
        .is_some_and(|c| c.megagroup);
    if !megagroup {
        return Ok(None);
    }
    channel_service(cx, actor, channel_id, action).map(Some)
}

/// Makes `user` a member of `channel_id` (invited by `inviter`).
pub(crate) fn add_member(
    cx: &mut Cx<'_>,
    channel_id: i64,
    user: i64,
    inviter: i64,
) -> RpcResult<()> {
    let now = cx.now;
    let rec = cx
        .state
        .channels
        .get(&channel_id)
        .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
    if rec.members.contains_key(&user) {
        return Err(RpcError::bad("USER_ALREADY_PARTICIPANT"));
    }
    check_channel_count(cx.state, user, user != inviter)?;
    let Some(rec) = cx.state.channels.get_mut(&channel_id) else {
        return Err(RpcError::bad("CHANNEL_INVALID"));
    };
    rec.kicked.remove(&user);
    rec.members.insert(
        user,
        ChannelMember {
            date: now,
            inviter,
            admin: None,
            restricted: None,
        },
    );
    // New members start with everything before their arrival read.
    rec.read_inbox.insert(user, rec.store.last_id);
    cx.dirty = true;
    Ok(())
}

/// Adds `me` to channel `id` on their own (public join or invite link), with the service
/// message, the admin-log entry and the pushes; returns the answer.
pub(crate) fn join(
    cx: &mut Cx<'_>,
    me: i64,
    id: i64,
    via: Option<(i64, enums::ExportedChatInvite)>,
) -> RpcResult<enums::Updates> {
    add_member(cx, id, me, via.as_ref().map_or(me, |(inviter, _)| *inviter))?;
    let (action, log) = match via {
        Some((inviter, invite)) => (
            ActionRec::ChatJoinedByLink { inviter },
            types::ChannelAdminLogEventActionParticipantJoinByInvite {
                via_chatlist: false,
                invite,
            }
            .into(),
        ),
        None => (
            ActionRec::ChatAddUser { users: vec![me] },
            enums::ChannelAdminLogEventAction::ParticipantJoin,
        ),
    };
    let posted = member_service(cx, me, id, action)?;
    admin_log::record(cx, id, me, log, Vec::new());
    push_channel_changed(cx, me, id);
    Ok(channel_updates(cx, me, id, posted))
}

/// `user` joins channel `id` because admin `admin` approved their request to join through
/// `invite`; the log says so (`participantJoinByRequest`).
pub(crate) fn join_by_request(
    cx: &mut Cx<'_>,
    user: i64,
    id: i64,
    admin: i64,
    invite: enums::ExportedChatInvite,
) -> RpcResult<()> {
    add_member(cx, id, user, admin)?;
    member_service(cx, user, id, ActionRec::ChatJoinedByLink { inviter: admin })?;
    let log = types::ChannelAdminLogEventActionParticipantJoinByRequest {
        invite,
        approved_by: admin,
    };
    admin_log::record(cx, id, user, log.into(), vec![admin]);
    push_channel_changed(cx, user, id);
    Ok(())
}

pub(crate) fn join_channel(
    cx: &mut Cx<'_>,
    req: functions::channels::JoinChannel,
) -> RpcResult<enums::messages::ChatInviteJoinResult> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    if rec.kicked.contains_key(&me) {
        return Err(RpcError::bad("CHANNEL_PRIVATE"));
    }
    let id = rec.id;
    Ok(types::messages::ChatInviteJoinResultOk {
        updates: join(cx, me, id, None)?,
    }
    .into())
}

pub(crate) fn leave_channel(
    cx: &mut Cx<'_>,
    req: functions::channels::LeaveChannel,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    require_member(rec, me)?;
    let id = rec.id;
    let posted = member_service(cx, me, id, ActionRec::ChatDeleteUser { user: me })?;
    if let Some(rec) = cx.state.channels.get_mut(&id) {
        rec.members.remove(&me);
        rec.read_inbox.remove(&me);
    }
    admin_log::record(
        cx,
        id,
        me,
        enums::ChannelAdminLogEventAction::ParticipantLeave,
        Vec::new(),
    );
    cx.dirty = true;
    push_channel_changed(cx, me, id);
    Ok(channel_updates(cx, me, id, posted))
}

pub(crate) fn invite_to_channel(
    cx: &mut Cx<'_>,
    req: functions::channels::InviteToChannel,
) -> RpcResult<enums::messages::InvitedUsers> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    require_member(rec, me)?;
    let id = rec.id;
    rights::require(cx.state, me, Peer::Channel(id), Right::InviteUsers)?;
    let may_unban = rights::may(cx.state, me, Peer::Channel(id), Right::BanUsers);
    let mut users = Vec::new();
    for input in &req.users {
        let user = peers::input_user(cx.state, me, input)?;
        if rec.kicked.contains_key(&user) && !may_unban {
            return Err(RpcError::bad("USER_KICKED"));
        }
        users.push(user);
    }
    let mut added = Vec::new();
    let mut last_error = None;
    for user in users {
        match add_member(cx, id, user, me) {
            Ok(()) => added.push(user),
            Err(error) => last_error = Some(error),
        }
    }
    if added.is_empty() {
        return Err(last_error.unwrap_or_else(|| RpcError::bad("USERS_TOO_FEW")));
    }
    let posted = member_service(
        cx,
        me,
        id,
        ActionRec::ChatAddUser {
            users: added.clone(),
        },
    )?;
    for &user in &added {
        let Some(rec) = cx.state.channels.get(&id) else {
            break;
        };
        let participant = admin_log::snapshot(rec, user);
        admin_log::record(
            cx,
            id,
            me,
            types::ChannelAdminLogEventActionParticipantInvite { participant }.into(),
            vec![user],
        );
        push_channel_changed(cx, user, id);
    }
    Ok(types::messages::InvitedUsers {
        updates: channel_updates(cx, me, id, posted),
        missing_invitees: Vec::new(),
    }
    .into())
}

pub(crate) fn edit_admin(
    cx: &mut Cx<'_>,
    req: functions::channels::EditAdmin,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    let id = rec.id;
    let peer = Peer::Channel(id);
    let Some(mine) = rights::admin_rights(cx.state, me, peer).filter(|r| r.add_admins) else {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    };
    let user = peers::input_user(cx.state, me, &req.user_id)?;
    if user == rec.creator {
        return Err(RpcError::bad("USER_CREATOR"));
    }
    if rec.kicked.contains_key(&user) {
        return Err(RpcError::bad("USER_KICKED"));
    }
    if let Some(rank) = &req.rank {
        if rank.chars().count() > 16 {
            return Err(RpcError::bad("ADMIN_RANK_INVALID"));
        }
    }
    let enums::ChatAdminRights::ChatAdminRights(wanted) = &req.admin_rights;
    let current = rec.members.get(&user).and_then(|m| m.admin.as_ref());
    if me != rec.creator {
        // Admins edit only the admins they promoted, and grant only rights they hold.
        if current.is_some_and(|a| a.promoted_by != me) {
            return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
        }
        if rights::exceeds(&mine, wanted) {
            return Err(RpcError::forbidden("RIGHT_FORBIDDEN"));
        }
    }
    let demote = *wanted == no_admin_rights();
    if demote && current.is_none() {
        return Err(RpcError::bad("USER_NOT_PARTICIPANT"));
    }
    let prev = admin_log::snapshot(rec, user);
    if !rec.members.contains_key(&user) {
        add_member(cx, id, user, me)?;
    }
    if let Some(member) = cx
        .state
        .channels
        .get_mut(&id)
        .and_then(|c| c.members.get_mut(&user))
    {
        member.admin = (!demote).then(|| AdminRec {
            rights: Bytes::tl(&req.admin_rights),
            rank: (req.rank.clone().filter(|r| !r.is_empty())).map(Into::into),
            promoted_by: me,
        });
        member.restricted = None;
    }
    cx.dirty = true;
    if let Some(rec) = cx.state.channels.get(&id) {
        let next = admin_log::snapshot(rec, user);
        admin_log::record(
            cx,
            id,
            me,
            types::ChannelAdminLogEventActionParticipantToggleAdmin {
                prev_participant: prev,
                new_participant: next,
            }
            .into(),
            vec![user],
        );
    }
    push_channel_changed(cx, user, id);
    Ok(channel_updates(cx, me, id, None))
}

pub(crate) fn edit_banned(
    cx: &mut Cx<'_>,
    req: functions::channels::EditBanned,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    let id = rec.id;
    // Only admins with the right ban; in broadcast channels admins remove subscribers.
    let may_ban = rights::admin_rights(cx.state, me, Peer::Channel(id))
        .is_some_and(|r| r.ban_users || (rec.broadcast && r.invite_users));
    if !may_ban {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    let Peer::User(user) = peers::input_peer(cx.state, me, &req.participant)? else {
        return Err(RpcError::bad("PARTICIPANT_ID_INVALID"));
    };
    if user == me || user == rec.creator {
        return Err(RpcError::bad("USER_ADMIN_INVALID"));
    }
    // Only the creator, or the admin who promoted them, may restrict an admin.
    if let Some(admin) = rec.members.get(&user).and_then(|m| m.admin.as_ref()) {
        if me != rec.creator && admin.promoted_by != me {
            return Err(RpcError::bad("USER_ADMIN_INVALID"));
        }
    }
    let enums::ChatBannedRights::ChatBannedRights(rights) = &req.banned_rights;
    let lifted = *rights == no_banned_rights(rights.until_date);
    let member = rec.members.contains_key(&user);
    let was_kicked = rec.kicked.contains_key(&user);
    if !rights.view_messages && !lifted && !member {
        return Err(RpcError::bad("USER_NOT_PARTICIPANT"));
    }
    let prev = admin_log::snapshot(rec, user);
    let ban = BanRec {
        rights: Bytes::tl(&req.banned_rights),
        by: me,
        date: cx.now,
    };
    let mut posted = None;
    if rights.view_messages {
        if member {
            posted = member_service(cx, me, id, ActionRec::ChatDeleteUser { user })?;
        }
        if let Some(rec) = cx.state.channels.get_mut(&id) {
            rec.members.remove(&user);
            rec.read_inbox.remove(&user);
            rec.kicked.insert(user, ban);
        }
    } else if let Some(rec) = cx.state.channels.get_mut(&id) {
        rec.kicked.remove(&user);
        if let Some(member) = rec.members.get_mut(&user) {
            member.admin = None;
            member.restricted = (!lifted).then_some(ban);
        }
    }
    cx.dirty = true;
    if let Some(rec) = cx.state.channels.get(&id) {
        let next = admin_log::snapshot(rec, user);
        if member || was_kicked || !lifted {
            admin_log::record(
                cx,
                id,
                me,
                types::ChannelAdminLogEventActionParticipantToggleBan {
                    prev_participant: prev,
                    new_participant: next,
                }
                .into(),
                vec![user],
            );
        }
    }
    push_channel_changed(cx, user, id);
    Ok(channel_updates(cx, me, id, posted))
}

pub(crate) fn get_channels(
    cx: &mut Cx<'_>,
    req: functions::channels::GetChannels,
) -> RpcResult<enums::messages::Chats> {
    let me = cx.me()?;
    let mut chats = Vec::new();
    for input in &req.id {
        let rec = channel(cx.state, me, input)?;
        chats.push(present::channel_of(cx.state, rec, me));
    }
    Ok(types::messages::Chats { chats }.into())
}

pub(crate) fn get_full_channel(
    cx: &mut Cx<'_>,
    req: functions::channels::GetFullChannel,
) -> RpcResult<enums::messages::ChatFull> {
    let me = cx.me()?;
    let rec = channel(cx.state, me, &req.channel)?;
    messages::check_visible(cx.state, me, Peer::Channel(rec.id))?;
    let admins = rec.members.keys().filter(|&&u| rec.is_admin(u)).count();
    let read_inbox = rec.read_inbox.get(&me).copied().unwrap_or(0);
    let unread = rec
        .store
        .messages
        .values()
        .filter(|m| m.id > read_inbox && m.from != Some(Peer::User(me)))
        .count();
    let count = |n: usize| Some(i32::try_from(n).unwrap_or(i32::MAX));
    let can_view_participants = !rec.broadcast || rec.is_admin(me);
    let full = types::ChannelFull {
        can_view_participants,
        can_set_username: rec.creator == me,
        can_set_stickers: false,
        hidden_prehistory: false,
        can_set_location: false,
        has_scheduled: false,
        can_view_stats: rec.is_admin(me),
        blocked: false,
        can_delete_channel: rec.creator == me,
        antispam: false,
        participants_hidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        view_forum_as_messages: false,
        restricted_sponsored: false,
        can_view_revenue: false,
        paid_media_allowed: false,
        can_view_stars_revenue: false,
        paid_reactions_available: false,
        stargifts_available: false,
        paid_messages_available: false,
        has_welcome_messages: false,
        id: rec.id,
        about: rec.about.clone().into(),
        participants_count: count(rec.members.len()),
        admins_count: count(admins),
        kicked_count: count(rec.kicked.len()),
        banned_count: count(
            rec.members
                .values()
                .filter(|m| m.restricted.is_some())
                .count(),
        ),
        online_count: None,
        read_inbox_max_id: read_inbox,
        read_outbox_max_id: rec.store.last_id,
        unread_count: i32::try_from(unread).unwrap_or(i32::MAX),
        chat_photo: rec
            .photo
            .and_then(|p| present::photo(cx.state, p.id))
            .unwrap_or(types::PhotoEmpty { id: 0 }.into()),
        notify_settings: present::notify_settings(),
        exported_invite: invites::permanent_of(cx.state, me, Peer::Channel(rec.id)),
        bot_info: Vec::new(),
        migrated_from_chat_id: rec.migrated_from.map(|(chat, _)| chat),
        migrated_from_max_id: rec.migrated_from.map(|(_, max_id)| max_id),
        pinned_msg_id: None,
        stickerset: None,
        available_min_id: None,
        folder_id: None,
        linked_chat_id: None,
        location: None,
        slowmode_seconds: (rec.slowmode > 0).then_some(rec.slowmode),
        slowmode_next_send_date: rec
            .last_sent
            .get(&me)
            .map(|last| last + rec.slowmode)
            .filter(|&next| rec.slowmode > 0 && next > cx.now && !rec.is_admin(me)),
        stats_dc: None,
        pts: rec.store.pts,
        call: None,
        ttl_period: None,
        pending_suggestions: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        default_send_as: None,
        available_reactions: None,
        reactions_limit: None,
        stories: None,
        wallpaper: None,
        boosts_applied: None,
        boosts_unrestrict: None,
        emojiset: None,
        bot_verification: None,
        stargifts_count: None,
        send_paid_messages_stars: None,
        main_tab: None,
        guard_bot_id: None,
    };
    let mut refs = Refs::default();
    refs.peer(Peer::Channel(rec.id));
    if let Some((chat, _)) = rec.migrated_from {
        refs.peer(Peer::Chat(chat));
    }
    Ok(types::messages::ChatFull {
        full_chat: full.into(),
        chats: refs.chats(cx.state, me),
        users: refs.users(cx.state, me),
    }
    .into())
}

/// Whether the caller may manage the channel's username (the creator may).
fn check_owner(cx: &Cx<'_>, me: i64, input: &enums::InputChannel) -> RpcResult<i64> {
    let rec = channel(cx.state, me, input)?;
    if rec.creator != me {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    Ok(rec.id)
}

pub(crate) fn check_username(
    cx: &mut Cx<'_>,
    req: functions::channels::CheckUsername,
) -> RpcResult<bool> {
    let me = cx.me()?;
    let owner = match &req.channel {
        enums::InputChannel::Empty => Peer::Channel(0),
        input => Peer::Channel(check_owner(cx, me, input)?),
    };
    if !users::valid_username(&req.username) {
        return Err(RpcError::bad("USERNAME_INVALID"));
    }
    Ok(users::check_username_free(cx.state, &req.username, owner).is_ok())
}

pub(crate) fn update_username(
    cx: &mut Cx<'_>,
    req: functions::channels::UpdateUsername,
) -> RpcResult<bool> {
    let me = cx.me()?;
    let id = check_owner(cx, me, &req.channel)?;
    let current = cx.state.channels.get(&id).and_then(|c| c.username.clone());
    if req.username.is_empty() {
        if let Some(rec) = cx.state.channels.get_mut(&id) {
            rec.username = None;
            cx.dirty = true;
        }
    } else {
        if current
            .as_ref()
            .is_some_and(|name| name.eq_ignore_ascii_case(&req.username))
        {
            return Err(RpcError::bad("USERNAME_NOT_MODIFIED"));
        }
        set_username(cx, id, &req.username)?;
    }
    let prev_value = current.unwrap_or_default();
    if prev_value != req.username {
        let action = types::ChannelAdminLogEventActionChangeUsername {
            prev_value: prev_value.into(),
            new_value: req.username,
        };
        admin_log::record(cx, id, me, action.into(), Vec::new());
    }
    Ok(true)
}

/// Sets a channel's public username.
pub(crate) fn set_username(cx: &mut Cx<'_>, channel_id: i64, username: &str) -> RpcResult<()> {
    users::check_username_free(cx.state, username, Peer::Channel(channel_id))?;
    let rec = cx
        .state
        .channels
        .get_mut(&channel_id)
        .ok_or_else(|| RpcError::bad("CHANNEL_INVALID"))?;
    rec.username = Some(username.to_owned());
    cx.dirty = true;
    Ok(())
}
