//! Basic groups: `messages.createChat`, `addChatUser`, `deleteChatUser`, `editChatAdmin`,
//! `migrateChat`, `getChats`, `getFullChat`. Their messages live in every member's own box (see
//! [`super::model`]); joins, leaves, kicks and migrations are service messages like any other.
//!
//! Rights as on Telegram: the creator may do everything, admins (`editChatAdmin`) everything
//! but promote, members what the group's default banned rights leave them; a member may remove
//! the users they invited.

use std::collections::{BTreeMap, BTreeSet};

use tgwire_tl_types::{enums, functions, types};

use super::messages::{self, Content};
use super::model::{ActionRec, AdminRec, Bytes, ChannelMember, ChatMember, ChatRec, Peer};
use super::present::{self, Refs};
use super::rights::{self, Right};
use super::rpc::{RpcError, RpcResult};
use super::{channels, invites, peers, Cx};

/// Most members of a basic group.
const CHAT_SIZE_MAX: usize = 200;

/// Posts service message `action` from `me` in basic group `peer` (to every member's box).
pub(crate) fn post_service(
    cx: &mut Cx<'_>,
    me: i64,
    peer: Peer,
    action: ActionRec,
) -> RpcResult<messages::Posted> {
    let content = Content {
        action: Some(action),
        ..Content::default()
    };
    messages::post(cx, me, peer, content, None)
}

/// A service message from `me` in chat `chat`, answered as `updates`.
fn service(cx: &mut Cx<'_>, me: i64, chat: i64, action: ActionRec) -> RpcResult<enums::Updates> {
    let posted = post_service(cx, me, Peer::Chat(chat), action)?;
    Ok(messages::sent_updates(
        cx,
        me,
        vec![(None, posted)],
        Vec::new(),
    ))
}

fn invited(updates: enums::Updates) -> enums::messages::InvitedUsers {
    types::messages::InvitedUsers {
        updates,
        missing_invitees: Vec::new(),
    }
    .into()
}

/// Creates basic group `title` with `creator` and `members`; returns its id and the answer.
pub(crate) fn create(
    cx: &mut Cx<'_>,
    creator: i64,
    title: &str,
    members: &[i64],
) -> RpcResult<(i64, enums::Updates)> {
    let title = title.trim();
    if title.is_empty() {
        return Err(RpcError::bad("CHAT_TITLE_EMPTY"));
    }
    let others: BTreeSet<i64> = members.iter().copied().filter(|&m| m != creator).collect();
    if others.len() + 1 > CHAT_SIZE_MAX {
        return Err(RpcError::bad("USERS_TOO_MUCH"));
    }
    let id = cx.state.next_chat_id;
    cx.state.next_chat_id += 1;
    let now = cx.now;
    let mut all = BTreeMap::new();
    all.insert(
        creator,
        ChatMember {
            inviter: creator,
            date: now,
            admin: true,
        },
    );
    for &member in &others {
        all.insert(
            member,
            ChatMember {
                inviter: creator,
                date: now,
                admin: false,
            },
        );
    }
    cx.state.chats.insert(
        id,
        ChatRec {
            id,
            title: title.to_owned(),
            creator,
            date: now,
            version: 1,
            members: all,
            former: BTreeSet::new(),
            about: String::new(),
            photo: None,
            default_banned: None,
            migrated_to: None,
            deactivated: false,
        },
    );
    cx.dirty = true;
    let action = ActionRec::ChatCreate {
        title: title.to_owned(),
        users: others.into_iter().collect(),
    };
    Ok((id, service(cx, creator, id, action)?))
}

pub(crate) fn create_chat(
    cx: &mut Cx<'_>,
    req: functions::messages::CreateChat,
) -> RpcResult<enums::messages::InvitedUsers> {
    let me = cx.me_user()?;
    let mut members = Vec::new();
    for user in &req.users {
        members.push(peers::input_user(cx.state, me, user)?);
    }
    if members.iter().all(|&m| m == me) {
        return Err(RpcError::bad("USERS_TOO_FEW"));
    }
    let (_, updates) = create(cx, me, &req.title, &members)?;
    Ok(invited(updates))
}

fn member_chat<'c>(cx: &'c Cx<'_>, me: i64, chat_id: i64) -> RpcResult<&'c ChatRec> {
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
    Ok(chat)
}

/// Adds `user` to basic group `chat_id` on behalf of `me`.
pub(crate) fn add_user(
    cx: &mut Cx<'_>,
    me: i64,
    chat_id: i64,
    user: i64,
) -> RpcResult<enums::Updates> {
    let chat = member_chat(cx, me, chat_id)?;
    if chat.members.contains_key(&user) {
        return Err(RpcError::bad("USER_ALREADY_PARTICIPANT"));
    }
    rights::require(cx.state, me, Peer::Chat(chat_id), Right::InviteUsers)?;
    let now = cx.now;
    let chat = cx
        .state
        .chats
        .get_mut(&chat_id)
        .ok_or_else(|| RpcError::bad("CHAT_ID_INVALID"))?;
    if chat.members.len() >= CHAT_SIZE_MAX {
        return Err(RpcError::bad("USERS_TOO_MUCH"));
    }
    chat.members.insert(
        user,
        ChatMember {
            inviter: me,
            date: now,
            admin: false,
        },
    );
    chat.former.remove(&user);
    chat.version += 1;
    cx.dirty = true;
    service(
        cx,
        me,
        chat_id,
        ActionRec::ChatAddUser { users: vec![user] },
    )
}

/// Joins `me` to basic group `chat_id` through `inviter`'s invite link.
pub(crate) fn join_by_link(
    cx: &mut Cx<'_>,
    me: i64,
    chat_id: i64,
    inviter: i64,
) -> RpcResult<enums::Updates> {
    let now = cx.now;
    let chat = cx
        .state
        .chats
        .get_mut(&chat_id)
        .filter(|c| !c.deactivated)
        .ok_or_else(|| RpcError::bad("CHAT_ID_INVALID"))?;
    if chat.members.contains_key(&me) {
        return Err(RpcError::bad("USER_ALREADY_PARTICIPANT"));
    }
    if chat.members.len() >= CHAT_SIZE_MAX {
        return Err(RpcError::bad("USERS_TOO_MUCH"));
    }
    chat.members.insert(
        me,
        ChatMember {
            inviter,
            date: now,
            admin: false,
        },
    );
    chat.former.remove(&me);
    chat.version += 1;
    cx.dirty = true;
    service(cx, me, chat_id, ActionRec::ChatJoinedByLink { inviter })
}

pub(crate) fn add_chat_user(
    cx: &mut Cx<'_>,
    req: functions::messages::AddChatUser,
) -> RpcResult<enums::messages::InvitedUsers> {
    let me = cx.me()?;
    let user = peers::input_user(cx.state, me, &req.user_id)?;
    Ok(invited(add_user(cx, me, req.chat_id, user)?))
}

pub(crate) fn delete_chat_user(
    cx: &mut Cx<'_>,
    req: functions::messages::DeleteChatUser,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    let user = peers::input_user(cx.state, me, &req.user_id)?;
    let chat = member_chat(cx, me, req.chat_id)?;
    let Some(member) = chat.members.get(&user) else {
        return Err(RpcError::bad("USER_NOT_PARTICIPANT"));
    };
    if user != me {
        // The creator removes anyone; admins anyone but the creator and other admins; members
        // only the users they invited themselves (who are not admins).
        let my_admin = chat.members.get(&me).is_some_and(|m| m.admin);
        let allowed = chat.creator == me
            || (user != chat.creator && !member.admin && (my_admin || member.inviter == me));
        if !allowed {
            return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
        }
    }
    // The service message first, so the leaving member's box gets it too.
    let updates = service(cx, me, req.chat_id, ActionRec::ChatDeleteUser { user })?;
    if let Some(chat) = cx.state.chats.get_mut(&req.chat_id) {
        chat.members.remove(&user);
        chat.former.insert(user);
        chat.version += 1;
    }
    if req.revoke_history && user == me {
        let ids: Vec<i32> = cx
            .state
            .boxes
            .get(&me)
            .map(|b| {
                b.store
                    .messages
                    .values()
                    .filter(|m| m.peer == Peer::Chat(req.chat_id))
                    .map(|m| m.id)
                    .collect()
            })
            .unwrap_or_default();
        messages::delete_from_box(cx, me, &ids);
    }
    cx.dirty = true;
    Ok(updates)
}

pub(crate) fn edit_chat_admin(
    cx: &mut Cx<'_>,
    req: functions::messages::EditChatAdmin,
) -> RpcResult<bool> {
    let me = cx.me()?;
    let user = peers::input_user(cx.state, me, &req.user_id)?;
    let chat = member_chat(cx, me, req.chat_id)?;
    if chat.creator != me {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    if user == chat.creator {
        return Err(RpcError::bad("USER_CREATOR"));
    }
    let Some(member) = chat.members.get(&user) else {
        return Err(RpcError::bad("USER_NOT_PARTICIPANT"));
    };
    if member.admin == req.is_admin {
        return Ok(true);
    }
    let Some(chat) = cx.state.chats.get_mut(&req.chat_id) else {
        return Err(RpcError::bad("CHAT_ID_INVALID"));
    };
    if let Some(member) = chat.members.get_mut(&user) {
        member.admin = req.is_admin;
    }
    chat.version += 1;
    let version = chat.version;
    let members: Vec<i64> = chat.members.keys().copied().collect();
    cx.dirty = true;
    let update: enums::Update = types::UpdateChatParticipantAdmin {
        chat_id: req.chat_id,
        user_id: user,
        is_admin: req.is_admin,
        version,
    }
    .into();
    let mut refs = Refs::default();
    refs.peer(Peer::Chat(req.chat_id)).user(user);
    for member in members {
        cx.push_with(member, vec![update.clone()], &refs);
    }
    Ok(true)
}

/// Turns basic group `chat_id` into a supergroup with the same title, description, photo,
/// members and admins; the group is deactivated and points at the supergroup (`migrated_to`),
/// which points back (`migrated_from_chat_id`). Returns the supergroup's id and the answer.
pub(crate) fn migrate(cx: &mut Cx<'_>, me: i64, chat_id: i64) -> RpcResult<(i64, enums::Updates)> {
    let chat = member_chat(cx, me, chat_id)?.clone();
    if chat.creator != me {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    let channel_id = channels::insert(cx, me, &chat.title, &chat.about, true)?;
    let last_id = cx
        .state
        .boxes
        .get(&me)
        .and_then(|b| {
            b.store
                .messages
                .values()
                .filter(|m| m.peer == Peer::Chat(chat_id))
                .map(|m| m.id)
                .max()
        })
        .unwrap_or(0);
    let admin_rights = Bytes::tl(&present::full_admin_rights(false));
    if let Some(rec) = cx.state.channels.get_mut(&channel_id) {
        rec.photo = chat.photo;
        rec.default_banned = chat.default_banned.clone();
        rec.migrated_from = Some((chat_id, last_id));
        for (&user, member) in &chat.members {
            if user == me {
                continue;
            }
            rec.members.insert(
                user,
                ChannelMember {
                    date: member.date,
                    inviter: member.inviter,
                    admin: member.admin.then(|| AdminRec {
                        rights: admin_rights.clone(),
                        rank: None,
                        promoted_by: me,
                    }),
                    restricted: None,
                },
            );
            rec.read_inbox.insert(user, 0);
        }
    }
    let to = post_service(
        cx,
        me,
        Peer::Chat(chat_id),
        ActionRec::ChatMigrateTo {
            channel: channel_id,
        },
    )?;
    if let Some(rec) = cx.state.chats.get_mut(&chat_id) {
        let members: Vec<i64> = rec.members.keys().copied().collect();
        rec.former.extend(members);
        rec.members.clear();
        rec.deactivated = true;
        rec.migrated_to = Some(channel_id);
        rec.version += 1;
    }
    cx.state
        .invites
        .retain(|_, invite| invite.peer != Peer::Chat(chat_id));
    let from = channels::channel_service(
        cx,
        me,
        channel_id,
        ActionRec::ChannelMigrateFrom {
            title: chat.title.clone(),
            chat: chat_id,
        },
    )?;
    cx.dirty = true;
    for &user in chat.members.keys() {
        let mut refs = Refs::default();
        refs.peer(Peer::Chat(chat_id))
            .peer(Peer::Channel(channel_id));
        cx.push_with(
            user,
            vec![
                types::UpdateChat { chat_id }.into(),
                types::UpdateChannel { channel_id }.into(),
            ],
            &refs,
        );
    }
    let extra = vec![
        types::UpdateChat { chat_id }.into(),
        types::UpdateChannel { channel_id }.into(),
    ];
    let mut updates = messages::sent_updates(cx, me, vec![(None, to), (None, from)], extra);
    if let enums::Updates::Updates(u) = &mut updates {
        if let Some(chat) = present::chat(cx.state, me, chat_id) {
            if !u.chats.contains(&chat) {
                u.chats.push(chat);
            }
        }
    }
    Ok((channel_id, updates))
}

pub(crate) fn migrate_chat(
    cx: &mut Cx<'_>,
    req: functions::messages::MigrateChat,
) -> RpcResult<enums::Updates> {
    let me = cx.me()?;
    Ok(migrate(cx, me, req.chat_id)?.1)
}

pub(crate) fn get_chats(
    cx: &mut Cx<'_>,
    req: functions::messages::GetChats,
) -> RpcResult<enums::messages::Chats> {
    let me = cx.me()?;
    let chats = req
        .id
        .iter()
        .filter_map(|&id| present::chat(cx.state, me, id))
        .collect();
    Ok(types::messages::Chats { chats }.into())
}

pub(crate) fn get_full_chat(
    cx: &mut Cx<'_>,
    req: functions::messages::GetFullChat,
) -> RpcResult<enums::messages::ChatFull> {
    let me = cx.me()?;
    messages::check_visible(cx.state, me, Peer::Chat(req.chat_id))?;
    let chat = cx
        .state
        .chats
        .get(&req.chat_id)
        .ok_or_else(|| RpcError::bad("CHAT_ID_INVALID"))?;
    let mut refs = Refs::default();
    refs.peer(Peer::Chat(chat.id));
    let participants = chat
        .members
        .iter()
        .map(|(&user_id, member)| {
            refs.user(user_id);
            if user_id == chat.creator {
                types::ChatParticipantCreator {
                    user_id,
                    rank: None,
                }
                .into()
            } else if member.admin {
                types::ChatParticipantAdmin {
                    user_id,
                    inviter_id: member.inviter,
                    date: member.date,
                    rank: None,
                }
                .into()
            } else {
                types::ChatParticipant {
                    user_id,
                    inviter_id: member.inviter,
                    date: member.date,
                    rank: None,
                }
                .into()
            }
        })
        .collect();
    let full = types::ChatFull {
        can_set_username: false,
        has_scheduled: false,
        translations_disabled: false,
        has_welcome_messages: false,
        id: chat.id,
        about: chat.about.clone().into(),
        participants: types::ChatParticipants {
            chat_id: chat.id,
            participants,
            version: chat.version,
        }
        .into(),
        chat_photo: chat.photo.and_then(|p| present::photo(cx.state, p.id)),
        notify_settings: present::notify_settings(),
        exported_invite: invites::permanent_of(cx.state, me, Peer::Chat(chat.id)),
        bot_info: None,
        pinned_msg_id: None,
        folder_id: None,
        call: None,
        ttl_period: None,
        groupcall_default_join_as: None,
        theme_emoticon: None,
        requests_pending: None,
        recent_requesters: None,
        available_reactions: None,
        reactions_limit: None,
    };
    Ok(types::messages::ChatFull {
        full_chat: full.into(),
        chats: refs.chats(cx.state, me),
        users: refs.users(cx.state, me),
    }
    .into())
}
