//! Who may do what in a basic group or channel, the way Telegram decides it.
//!
//! The creator may do everything. Admins may do what their `ChatAdminRights` say (in basic
//! groups an admin has every right a basic group knows). Other members may do what neither the
//! chat's default banned rights nor their own restriction forbid — and only in groups: a
//! broadcast channel's subscribers may do nothing but read. Refusals are
//! `403 CHAT_ADMIN_REQUIRED`, as on Telegram.

use tgwire_tl_types::{enums, types};

use super::channels::no_banned_rights;
use super::model::{Bytes, Peer, State};
use super::present;
use super::rpc::{RpcError, RpcResult};

/// A right as an admin holds it and as a member may be banned from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Right {
    ChangeInfo,
    InviteUsers,
    BanUsers,
}

impl Right {
    fn admin(self, rights: &types::ChatAdminRights) -> bool {
        match self {
            Right::ChangeInfo => rights.change_info,
            Right::InviteUsers => rights.invite_users,
            Right::BanUsers => rights.ban_users,
        }
    }

    /// Whether plain members may hold it at all (unless banned from it).
    fn member_banned(self, banned: &types::ChatBannedRights) -> Option<bool> {
        match self {
            Right::ChangeInfo => Some(banned.change_info),
            Right::InviteUsers => Some(banned.invite_users),
            Right::BanUsers => None,
        }
    }
}

/// Decodes stored `ChatBannedRights`.
pub(crate) fn banned_rights(bytes: Option<&Bytes>) -> Option<types::ChatBannedRights> {
    match bytes?.decode::<enums::ChatBannedRights>()? {
        enums::ChatBannedRights::ChatBannedRights(rights) => Some(rights),
    }
}

/// `user`'s admin rights in `peer`: every right for the creator, the stored ones for admins;
/// `None` for everyone else.
pub(crate) fn admin_rights(state: &State, user: i64, peer: Peer) -> Option<types::ChatAdminRights> {
    let full = |broadcast| match present::full_admin_rights(broadcast) {
        enums::ChatAdminRights::ChatAdminRights(rights) => rights,
    };
    match peer {
        Peer::Chat(id) => {
            let chat = state.chats.get(&id)?;
            let admin = chat.creator == user || chat.members.get(&user).is_some_and(|m| m.admin);
            (admin && chat.members.contains_key(&user)).then(|| full(false))
        }
        Peer::Channel(id) => {
            let rec = state.channels.get(&id)?;
            if rec.creator == user {
                return Some(full(rec.broadcast));
            }
            let admin = rec.members.get(&user)?.admin.as_ref()?;
            match admin.rights.decode::<enums::ChatAdminRights>()? {
                enums::ChatAdminRights::ChatAdminRights(rights) => Some(rights),
            }
        }
        Peer::User(_) => None,
    }
}

/// Whether `user` may use `right` in `peer`.
pub(crate) fn may(state: &State, user: i64, peer: Peer, right: Right) -> bool {
    if let Some(rights) = admin_rights(state, user, peer) {
        return right.admin(&rights);
    }
    let (member, broadcast, default, own) = match peer {
        Peer::Chat(id) => match state.chats.get(&id) {
            Some(chat) => (
                chat.members.contains_key(&user),
                false,
                banned_rights(chat.default_banned.as_ref()),
                None,
            ),
            None => return false,
        },
        Peer::Channel(id) => match state.channels.get(&id) {
            Some(rec) => (
                rec.members.contains_key(&user),
                rec.broadcast,
                banned_rights(rec.default_banned.as_ref()),
                rec.members
                    .get(&user)
                    .and_then(|m| banned_rights(m.restricted.as_ref().map(|b| &b.rights))),
            ),
            None => return false,
        },
        Peer::User(_) => return false,
    };
    if !member || broadcast {
        return false;
    }
    let allowed = |banned: Option<types::ChatBannedRights>| {
        let banned = banned.unwrap_or_else(|| no_banned_rights(0));
        right.member_banned(&banned) == Some(false)
    };
    allowed(default) && allowed(own)
}

/// [`may`], or `403 CHAT_ADMIN_REQUIRED`.
pub(crate) fn require(state: &State, user: i64, peer: Peer, right: Right) -> RpcResult<()> {
    if may(state, user, peer, right) {
        Ok(())
    } else {
        Err(RpcError::forbidden("CHAT_ADMIN_REQUIRED"))
    }
}

/// Whether `user` is the creator or an admin of `peer`.
pub(crate) fn is_admin(state: &State, user: i64, peer: Peer) -> bool {
    admin_rights(state, user, peer).is_some()
}

/// The rights of `rights` that `granter` does not hold (for `RIGHT_FORBIDDEN`).
pub(crate) fn exceeds(granter: &types::ChatAdminRights, rights: &types::ChatAdminRights) -> bool {
    let pairs = [
        (rights.change_info, granter.change_info),
        (rights.post_messages, granter.post_messages),
        (rights.edit_messages, granter.edit_messages),
        (rights.delete_messages, granter.delete_messages),
        (rights.ban_users, granter.ban_users),
        (rights.invite_users, granter.invite_users),
        (rights.pin_messages, granter.pin_messages),
        (rights.add_admins, granter.add_admins),
        (rights.anonymous, granter.anonymous),
        (rights.manage_call, granter.manage_call),
        (rights.other, granter.other),
        (rights.manage_topics, granter.manage_topics),
        (rights.post_stories, granter.post_stories),
        (rights.edit_stories, granter.edit_stories),
        (rights.delete_stories, granter.delete_stories),
    ];
    pairs.iter().any(|&(wanted, held)| wanted && !held)
}
