//! Accounts: creating users and bots, usernames, `users.*` and `contacts.*`.

use std::collections::BTreeSet;

use tgwire_tl_types::{enums, functions, types};

use super::model::{Peer, State, UserRec};
use super::present::{self, Refs};
use super::rpc::{RpcError, RpcResult};
use super::{bot_commands, peers, random_i64, Cx};

/// The account with this phone number (digits only).
pub(crate) fn by_phone(state: &State, phone: &str) -> Option<i64> {
    state
        .users
        .values()
        .find(|user| user.phone.as_deref() == Some(phone))
        .map(|user| user.id)
}

/// The user or channel holding `username` (case-insensitive).
pub(crate) fn username_owner(state: &State, username: &str) -> Option<Peer> {
    let wanted = username.to_ascii_lowercase();
    let matches = |name: &Option<String>| {
        name.as_deref()
            .is_some_and(|n| n.to_ascii_lowercase() == wanted)
    };
    if let Some(user) = state.users.values().find(|u| matches(&u.username)) {
        return Some(Peer::User(user.id));
    }
    state
        .channels
        .values()
        .find(|c| matches(&c.username))
        .map(|c| Peer::Channel(c.id))
}

/// Telegram's username rule: 5–32 characters of `[A-Za-z0-9_]`, starting with a letter, not
/// ending with `_`.
pub(crate) fn valid_username(name: &str) -> bool {
    let bytes = name.as_bytes();
    (5..=32).contains(&bytes.len())
        && bytes[0].is_ascii_alphabetic()
        && !name.ends_with('_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Checks `name` can be taken by `owner` (`USERNAME_INVALID`, `USERNAME_OCCUPIED`).
pub(crate) fn check_username_free(state: &State, name: &str, owner: Peer) -> RpcResult<()> {
    if !valid_username(name) {
        return Err(RpcError::bad("USERNAME_INVALID"));
    }
    match username_owner(state, name) {
        Some(other) if other != owner => Err(RpcError::bad("USERNAME_OCCUPIED")),
        _ => Ok(()),
    }
}

fn insert_user(cx: &mut Cx<'_>, rec: UserRec) -> i64 {
    let id = rec.id;
    cx.state.users.insert(id, rec);
    cx.state.boxes.entry(id).or_default();
    cx.dirty = true;
    id
}

/// Creates a user account and returns its id.
pub(crate) fn create_user(
    cx: &mut Cx<'_>,
    phone: Option<String>,
    first_name: String,
    last_name: String,
    home_dc: i32,
) -> i64 {
    let mut id = cx.state.next_user_id;
    // Bot ids come from their tokens and may sit anywhere: skip over them.
    while cx.state.users.contains_key(&id) {
        id += 1;
    }
    cx.state.next_user_id = id + 1;
    insert_user(
        cx,
        UserRec {
            id,
            access_hash: random_i64(),
            first_name,
            last_name,
            username: None,
            phone,
            bot: false,
            about: None,
            home_dc,
            password: None,
            contacts: BTreeSet::new(),
            created: cx.now,
            blocked: Default::default(),
        },
    )
}

/// Creates bot `id` with the username `bot<id>_bot` (when free).
pub(crate) fn create_bot(cx: &mut Cx<'_>, id: i64, first_name: String, home_dc: i32) -> i64 {
    let username = Some(format!("bot{id}_bot"))
        .filter(|name| check_username_free(cx.state, name, Peer::User(id)).is_ok());
    insert_user(
        cx,
        UserRec {
            id,
            access_hash: random_i64(),
            first_name,
            last_name: String::new(),
            username,
            phone: None,
            bot: true,
            about: None,
            home_dc,
            password: None,
            contacts: BTreeSet::new(),
            created: cx.now,
            blocked: Default::default(),
        },
    )
}

pub(crate) fn get_users(
    cx: &mut Cx<'_>,
    req: functions::users::GetUsers,
) -> RpcResult<Vec<enums::User>> {
    let me = cx.me()?;
    // Like Telegram, entries that do not resolve are left out rather than failing the call.
    Ok(req
        .id
        .iter()
        .filter_map(|input| peers::input_user(cx.state, me, input).ok())
        .filter_map(|id| present::user(cx.state, me, id))
        .collect())
}

pub(crate) fn get_full_user(
    cx: &mut Cx<'_>,
    req: functions::users::GetFullUser,
) -> RpcResult<enums::users::UserFull> {
    let me = cx.me()?;
    let id = peers::input_user(cx.state, me, &req.id)?;
    let rec = cx
        .state
        .users
        .get(&id)
        .ok_or_else(|| RpcError::bad("USER_ID_INVALID"))?;
    let common = cx
        .state
        .chats
        .values()
        .filter(|c| c.members.contains_key(&me) && c.members.contains_key(&id))
        .count()
        + cx.state
            .channels
            .values()
            .filter(|c| c.megagroup && c.members.contains_key(&me) && c.members.contains_key(&id))
            .count();
    let full_user = types::UserFull {
        blocked: false,
        phone_calls_available: false,
        phone_calls_private: false,
        can_pin_message: true,
        has_scheduled: false,
        video_calls_available: false,
        voice_messages_forbidden: false,
        translations_disabled: false,
        stories_pinned_available: false,
        blocked_my_stories_from: false,
        wallpaper_overridden: false,
        contact_require_premium: false,
        read_dates_private: false,
        sponsored_enabled: false,
        can_view_revenue: false,
        bot_can_manage_emoji_status: false,
        display_gifts_button: false,
        noforwards_my_enabled: false,
        noforwards_peer_enabled: false,
        unofficial_security_risk: false,
        id,
        about: rec.about.clone().map(Into::into),
        settings: types::PeerSettings {
            report_spam: false,
            add_contact: false,
            block_contact: false,
            share_contact: false,
            need_contacts_exception: false,
            report_geo: false,
            autoarchived: false,
            invite_members: false,
            request_chat_broadcast: false,
            business_bot_paused: false,
            business_bot_can_reply: false,
            geo_distance: None,
            request_chat_title: None,
            request_chat_date: None,
            business_bot_id: None,
            business_bot_manage_url: None,
            charge_paid_message_stars: None,
            registration_month: None,
            phone_country: None,
            name_change_date: None,
            photo_change_date: None,
        }
        .into(),
        personal_photo: None,
        profile_photo: None,
        fallback_photo: None,
        notify_settings: present::notify_settings(),
        bot_info: rec.bot.then(|| {
            types::BotInfo {
                has_preview_medias: false,
                user_id: Some(id),
                description: rec.about.clone().map(Into::into),
                description_photo: None,
                description_document: None,
                commands: Some(bot_commands::private_chat_commands(cx.state, id, me)),
                menu_button: None,
                privacy_policy_url: None,
                app_settings: None,
                verifier_settings: None,
            }
            .into()
        }),
        pinned_msg_id: None,
        common_chats_count: i32::try_from(common).unwrap_or(i32::MAX),
        folder_id: None,
        ttl_period: None,
        theme: None,
        private_forward_name: None,
        bot_group_admin_rights: None,
        bot_broadcast_admin_rights: None,
        wallpaper: None,
        stories: None,
        business_work_hours: None,
        business_location: None,
        business_greeting_message: None,
        business_away_message: None,
        business_intro: None,
        birthday: None,
        personal_channel_id: None,
        personal_channel_message: None,
        stargifts_count: None,
        starref_program: None,
        bot_verification: None,
        send_paid_messages_stars: None,
        disallowed_gifts: None,
        stars_rating: None,
        stars_my_pending_rating: None,
        stars_my_pending_rating_date: None,
        main_tab: None,
        saved_music: None,
        note: None,
        bot_manager_id: None,
    };
    let mut refs = Refs::default();
    refs.user(id);
    Ok(types::users::UserFull {
        full_user: full_user.into(),
        chats: Vec::new(),
        users: refs.users(cx.state, me),
    }
    .into())
}

fn resolved(cx: &Cx<'_>, me: i64, peer: Peer) -> enums::contacts::ResolvedPeer {
    let mut refs = Refs::default();
    refs.peer(peer);
    types::contacts::ResolvedPeer {
        peer: peer.to_tl(),
        chats: refs.chats(cx.state, me),
        users: refs.users(cx.state, me),
    }
    .into()
}

pub(crate) fn resolve_username(
    cx: &mut Cx<'_>,
    req: functions::contacts::ResolveUsername,
) -> RpcResult<enums::contacts::ResolvedPeer> {
    let me = cx.me()?;
    let name = req.username.trim_start_matches('@');
    if !valid_username(name) {
        return Err(RpcError::bad("USERNAME_INVALID"));
    }
    let peer =
        username_owner(cx.state, name).ok_or_else(|| RpcError::bad("USERNAME_NOT_OCCUPIED"))?;
    Ok(resolved(cx, me, peer))
}

pub(crate) fn resolve_phone(
    cx: &mut Cx<'_>,
    req: functions::contacts::ResolvePhone,
) -> RpcResult<enums::contacts::ResolvedPeer> {
    let me = cx.me_user()?;
    let phone = super::auth::normalize_phone(&req.phone)?;
    let user = by_phone(cx.state, &phone).ok_or_else(|| RpcError::bad("PHONE_NOT_OCCUPIED"))?;
    Ok(resolved(cx, me, Peer::User(user)))
}

pub(crate) fn get_contacts(
    cx: &mut Cx<'_>,
    _: functions::contacts::GetContacts,
) -> RpcResult<enums::contacts::Contacts> {
    let me = cx.me_user()?;
    let contacts = cx
        .state
        .users
        .get(&me)
        .map(|u| u.contacts.clone())
        .unwrap_or_default();
    let mut refs = Refs::default();
    let list = contacts
        .iter()
        .map(|&user_id| {
            refs.user(user_id);
            let mutual = cx
                .state
                .users
                .get(&user_id)
                .is_some_and(|u| u.contacts.contains(&me));
            types::Contact { user_id, mutual }.into()
        })
        .collect();
    Ok(types::contacts::Contacts {
        contacts: list,
        saved_count: 0,
        users: refs.users(cx.state, me),
    }
    .into())
}

pub(crate) fn import_contacts(
    cx: &mut Cx<'_>,
    req: functions::contacts::ImportContacts,
) -> RpcResult<enums::contacts::ImportedContacts> {
    let me = cx.me_user()?;
    let mut imported = Vec::new();
    let mut refs = Refs::default();
    for contact in &req.contacts {
        let enums::InputContact::InputPhoneContact(contact) = contact;
        let Ok(phone) = super::auth::normalize_phone(&contact.phone) else {
            continue;
        };
        // Numbers without an account are simply not imported (no invitations here).
        let Some(user_id) = by_phone(cx.state, &phone).filter(|&id| id != me) else {
            continue;
        };
        if let Some(rec) = cx.state.users.get_mut(&me) {
            rec.contacts.insert(user_id);
            cx.dirty = true;
        }
        refs.user(user_id);
        imported.push(
            types::ImportedContact {
                user_id,
                client_id: contact.client_id,
            }
            .into(),
        );
    }
    Ok(types::contacts::ImportedContacts {
        imported,
        popular_invites: Vec::new(),
        retry_contacts: Vec::new(),
        users: refs.users(cx.state, me),
    }
    .into())
}

/// `contacts.block` / `contacts.unblock`: one's own block list; a bot learns it was stopped or
/// restarted through `updateBotStopped` (a qts update), one's other sessions through
/// `updatePeerBlocked`.
fn set_blocked(cx: &mut Cx<'_>, input: &enums::InputPeer, blocked: bool) -> RpcResult<bool> {
    let me = cx.me()?;
    let peer = peers::input_peer(cx.state, me, input)?;
    let Peer::User(user) = peer else {
        // Blocking chats and channels is not modelled.
        return Err(RpcError::bad("PEER_ID_INVALID"));
    };
    if user == me {
        return Err(RpcError::bad("CONTACT_ID_INVALID"));
    }
    let rec = cx
        .state
        .users
        .get_mut(&me)
        .ok_or_else(|| RpcError::bad("USER_ID_INVALID"))?;
    let changed = if blocked {
        rec.blocked.insert(user)
    } else {
        rec.blocked.remove(&user)
    };
    if !changed {
        return Ok(true);
    }
    cx.dirty = true;
    let mut refs = Refs::default();
    refs.user(user);
    cx.push_with(
        me,
        vec![types::UpdatePeerBlocked {
            blocked,
            blocked_my_stories_from: false,
            peer_id: peer.to_tl(),
        }
        .into()],
        &refs,
    );
    if cx.state.users.get(&user).is_some_and(|u| u.bot) {
        super::qts::record(
            cx,
            user,
            super::model::QtsKind::BotStopped {
                user: me,
                stopped: blocked,
            },
        );
    }
    Ok(true)
}

pub(crate) fn block(cx: &mut Cx<'_>, req: functions::contacts::Block) -> RpcResult<bool> {
    set_blocked(cx, &req.id, true)
}

pub(crate) fn unblock(cx: &mut Cx<'_>, req: functions::contacts::Unblock) -> RpcResult<bool> {
    set_blocked(cx, &req.id, false)
}
