//! Basic groups: `messages.createChat`, `addChatUser`, `deleteChatUser`, `getChats`,
//! `getFullChat`. Their messages live in every member's own box (see [`super::model`]); joins and
//! leaves are service messages like any other.

use std::collections::{BTreeMap, BTreeSet};

use tgwire_tl_types::{enums, functions, types};

use super::messages::{self, Content};
use super::model::{ActionRec, ChatMember, ChatRec, Peer};
use super::present::{self, Refs};
use super::rpc::{RpcError, RpcResult};
use super::{peers, Cx};

/// Most members of a basic group.
const CHAT_SIZE_MAX: usize = 200;

/// A service message from `me` in chat `chat`, answered as `updates`.
fn service(cx: &mut Cx<'_>, me: i64, chat: i64, action: ActionRec) -> RpcResult<enums::Updates> {
    let content = Content {
        action: Some(action),
        ..Content::default()
    };
    let posted = messages::post(cx, me, Peer::Chat(chat), content, None)?;
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

fn member_chat(cx: &Cx<'_>, me: i64, chat_id: i64) -> RpcResult<()> {
    let chat = cx
        .state
        .chats
        .get(&chat_id)
        .ok_or_else(|| RpcError::bad("CHAT_ID_INVALID"))?;
    if !chat.members.contains_key(&me) {
        return Err(RpcError::forbidden("CHAT_WRITE_FORBIDDEN"));
    }
    Ok(())
}

/// Adds `user` to basic group `chat_id` on behalf of `me`.
pub(crate) fn add_user(
    cx: &mut Cx<'_>,
    me: i64,
    chat_id: i64,
    user: i64,
) -> RpcResult<enums::Updates> {
    member_chat(cx, me, chat_id)?;
    let now = cx.now;
    let chat = cx
        .state
        .chats
        .get_mut(&chat_id)
        .ok_or_else(|| RpcError::bad("CHAT_ID_INVALID"))?;
    if chat.members.contains_key(&user) {
        return Err(RpcError::bad("USER_ALREADY_PARTICIPANT"));
    }
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
    member_chat(cx, me, req.chat_id)?;
    let chat = cx
        .state
        .chats
        .get(&req.chat_id)
        .ok_or_else(|| RpcError::bad("CHAT_ID_INVALID"))?;
    let Some(member) = chat.members.get(&user) else {
        return Err(RpcError::bad("USER_NOT_PARTICIPANT"));
    };
    if user != me && chat.creator != me && member.inviter != me {
        return Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"));
    }
    // The service message first, so the leaving member's box gets it too.
    let updates = service(cx, me, req.chat_id, ActionRec::ChatDeleteUser { user })?;
    if let Some(chat) = cx.state.chats.get_mut(&req.chat_id) {
        chat.members.remove(&user);
        chat.former.insert(user);
        chat.version += 1;
    }
    cx.dirty = true;
    Ok(updates)
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
        about: String::new(),
        participants: types::ChatParticipants {
            chat_id: chat.id,
            participants,
            version: chat.version,
        }
        .into(),
        chat_photo: None,
        notify_settings: present::notify_settings(),
        exported_invite: None,
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
