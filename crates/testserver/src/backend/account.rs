//! `account.*` and `auth.checkPassword`: 2FA passwords checked with real SRP, profile and
//! username changes.
//!
//! The server stores only the SRP verifier `v` the client computed (`new_password_hash`) with
//! the salts and group it used; `account.getPassword` starts a [`ServerSession`] whose `B` and
//! `srp_id` go to the client, and the `(srp_id, A, M1)` it answers with is verified against it.
//! Each `srp_id` is good for one check.

use rand::RngCore;
use tgwire_crypto::dh::TELEGRAM_DH_PRIME;
use tgwire_crypto::srp::ServerSession;
use tgwire_tl_types::{enums, functions, types};

use std::collections::BTreeSet;

use super::model::{Bytes, PasswordRec, Peer, State, StatusRec};
use super::rpc::{RpcError, RpcResult};
use super::runtime::SrpPending;
use super::{auth, present, random_i64, users, Cx};

/// The generator offered for new passwords (with [`TELEGRAM_DH_PRIME`]).
const SRP_G: i32 = 3;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0; N];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes
}

fn algo(salt1: &[u8], salt2: &[u8], g: i32, p: &[u8]) -> enums::PasswordKdfAlgo {
    types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
        salt1: salt1.to_vec().into(),
        salt2: salt2.to_vec().into(),
        g,
        p: p.to_vec().into(),
    }
    .into()
}

/// The account the caller may manage a password for: signed in, or half-way through a
/// sign-in that asked for the password.
fn password_user(cx: &Cx<'_>) -> RpcResult<i64> {
    if let Some(&user) = cx.rt.password_pending.get(&cx.perm_key()) {
        return Ok(user);
    }
    cx.me()
}

pub(crate) fn get_password(
    cx: &mut Cx<'_>,
    _: functions::account::GetPassword,
) -> RpcResult<enums::account::Password> {
    let user = password_user(cx)?;
    // New passwords: the client appends its own random bytes to salt1.
    let new_algo = algo(
        &random_bytes::<8>(),
        &random_bytes::<16>(),
        SRP_G,
        &TELEGRAM_DH_PRIME,
    );
    let new_secure_algo = types::SecurePasswordKdfAlgoSha512 {
        salt: random_bytes::<8>().to_vec().into(),
    }
    .into();
    let mut password = types::account::Password {
        has_recovery: false,
        has_secure_values: false,
        has_password: false,
        current_algo: None,
        srp_b: None,
        srp_id: None,
        hint: None,
        email_unconfirmed_pattern: None,
        new_algo,
        new_secure_algo,
        secure_random: random_bytes::<32>().to_vec().into(),
        pending_reset_date: None,
        login_email_pattern: None,
    };
    let stored = cx.state.users.get(&user).and_then(|u| u.password.clone());
    if let Some(stored) = stored {
        let session = ServerSession::new(
            &stored.verifier.0,
            &stored.salt1.0,
            &stored.salt2.0,
            stored.g,
            &stored.p.0,
            &random_bytes::<256>(),
        )
        .map_err(|error| {
            log::error!("stored password of user {user} is unusable: {error}");
            RpcError::new(500, "PASSWORD_STORAGE_CORRUPT_IN_TESTSERVER")
        })?;
        let srp_id = random_i64();
        password.has_password = true;
        password.current_algo = Some(algo(
            &stored.salt1.0,
            &stored.salt2.0,
            stored.g,
            &stored.p.0,
        ));
        password.srp_b = Some(session.public_b().to_vec().into());
        password.srp_id = Some(srp_id);
        password.hint = stored.hint.clone().map(Into::into);
        cx.rt.srp.insert(
            srp_id,
            SrpPending {
                user_id: user,
                session,
            },
        );
    }
    Ok(password.into())
}

/// Checks the client's proof of `user`'s current password (`inputCheckPasswordEmpty` is right
/// only when there is none).
fn check_srp(cx: &mut Cx<'_>, user: i64, check: &enums::InputCheckPasswordSrp) -> RpcResult<()> {
    let has_password = cx
        .state
        .users
        .get(&user)
        .is_some_and(|u| u.password.is_some());
    match check {
        enums::InputCheckPasswordSrp::InputCheckPasswordEmpty if !has_password => Ok(()),
        enums::InputCheckPasswordSrp::InputCheckPasswordEmpty => {
            Err(RpcError::bad("PASSWORD_HASH_INVALID"))
        }
        enums::InputCheckPasswordSrp::InputCheckPasswordSrp(srp) => {
            let pending = cx
                .rt
                .srp
                .remove(&srp.srp_id)
                .filter(|pending| pending.user_id == user)
                .ok_or_else(|| RpcError::bad("SRP_ID_INVALID"))?;
            if pending.session.verify(&srp.a, &srp.m1) {
                Ok(())
            } else {
                Err(RpcError::bad("PASSWORD_HASH_INVALID"))
            }
        }
    }
}

pub(crate) fn check_password(
    cx: &mut Cx<'_>,
    req: functions::auth::CheckPassword,
) -> RpcResult<enums::auth::Authorization> {
    let user = password_user(cx)?;
    check_srp(cx, user, &req.password)?;
    cx.authorize(user);
    auth::authorization(cx, user)
}

/// Builds the stored form of a new password from what the client sent, validating the group
/// and the verifier by starting a throw-away SRP session with them.
pub(crate) fn new_password(
    new_algo: &enums::PasswordKdfAlgo,
    verifier: &[u8],
    hint: Option<String>,
) -> RpcResult<PasswordRec> {
    let enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo) = new_algo
    else {
        return Err(RpcError::bad("NEW_SALT_INVALID"));
    };
    if algo.salt1.is_empty() || algo.salt2.is_empty() {
        return Err(RpcError::bad("NEW_SALT_INVALID"));
    }
    if verifier.len() != 256 {
        return Err(RpcError::bad("NEW_PASSWORD_BAD"));
    }
    ServerSession::new(
        verifier,
        &algo.salt1,
        &algo.salt2,
        algo.g,
        &algo.p,
        &random_bytes::<256>(),
    )
    .map_err(|_| RpcError::bad("NEW_SALT_INVALID"))?;
    Ok(PasswordRec {
        salt1: Bytes(algo.salt1.to_vec()),
        salt2: Bytes(algo.salt2.to_vec()),
        g: algo.g,
        p: Bytes(algo.p.to_vec()),
        verifier: Bytes(verifier.to_vec()),
        hint,
    })
}

pub(crate) fn update_password_settings(
    cx: &mut Cx<'_>,
    req: functions::account::UpdatePasswordSettings,
) -> RpcResult<bool> {
    let me = cx.me_user()?;
    check_srp(cx, me, &req.password)?;
    let enums::account::PasswordInputSettings::PasswordInputSettings(settings) = req.new_settings;
    let new_password = match (&settings.new_algo, &settings.new_password_hash) {
        // Only the hint (or e-mail, which is ignored) changes.
        (None, _) => cx
            .state
            .users
            .get(&me)
            .and_then(|u| u.password.clone())
            .map(|mut stored| {
                if settings.hint.is_some() {
                    stored.hint = settings.hint.clone().map(Into::into);
                }
                stored
            }),
        // `passwordKdfAlgoUnknown` or an empty hash removes the password.
        (Some(enums::PasswordKdfAlgo::Unknown), _) => None,
        (Some(_), None) => None,
        (Some(_), Some(hash)) if hash.is_empty() => None,
        (Some(new_algo), Some(hash)) => Some(new_password(
            new_algo,
            hash,
            settings.hint.clone().map(Into::into),
        )?),
    };
    if let Some(user) = cx.state.users.get_mut(&me) {
        user.password = new_password;
        cx.dirty = true;
    }
    // Pending checks were made against the old verifier.
    cx.rt.srp.retain(|_, pending| pending.user_id != me);
    Ok(true)
}

fn self_user(cx: &Cx<'_>, me: i64) -> RpcResult<enums::User> {
    present::user(cx.state, me, me).ok_or_else(|| RpcError::new(500, "USER_LOST_IN_TESTSERVER"))
}

pub(crate) fn update_profile(
    cx: &mut Cx<'_>,
    req: functions::account::UpdateProfile,
) -> RpcResult<enums::User> {
    let me = cx.me()?;
    if let Some(first) = &req.first_name {
        if first.trim().is_empty() || first.chars().count() > 64 {
            return Err(RpcError::bad("FIRSTNAME_INVALID"));
        }
    }
    if req
        .about
        .as_ref()
        .is_some_and(|about| about.chars().count() > 70)
    {
        return Err(RpcError::bad("ABOUT_TOO_LONG"));
    }
    let user = cx
        .state
        .users
        .get_mut(&me)
        .ok_or_else(|| RpcError::new(500, "USER_LOST_IN_TESTSERVER"))?;
    if let Some(first) = req.first_name {
        user.first_name = first.trim().to_owned();
    }
    if let Some(last) = req.last_name {
        user.last_name = last.trim().to_owned();
    }
    if let Some(about) = req.about {
        user.about = (!about.is_empty()).then_some(about.to_string());
    }
    cx.dirty = true;
    self_user(cx, me)
}

pub(crate) fn update_username(
    cx: &mut Cx<'_>,
    req: functions::account::UpdateUsername,
) -> RpcResult<enums::User> {
    let me = cx.me()?;
    let current = cx.state.users.get(&me).and_then(|u| u.username.clone());
    let wanted = (!req.username.is_empty()).then_some(req.username);
    if wanted.as_deref().map(str::to_ascii_lowercase)
        == current.as_deref().map(str::to_ascii_lowercase)
    {
        return Err(RpcError::bad("USERNAME_NOT_MODIFIED"));
    }
    if let Some(name) = &wanted {
        users::check_username_free(cx.state, name, Peer::User(me))?;
    }
    if let Some(user) = cx.state.users.get_mut(&me) {
        user.username = wanted.map(Into::into);
        cx.dirty = true;
    }
    self_user(cx, me)
}

/// How long an "online" report lasts without a new one (Telegram's clients renew theirs about
/// every minute; the server shows them offline after five).
pub(crate) const ONLINE_FOR: i32 = 300;

/// `account.updateStatus`: stores the presence and tells everyone who sees it — users who have
/// the caller as a contact and users with a private chat with them — with `updateUserStatus`
/// (an `updateShort`, as Telegram sends it). Bots have no presence.
pub(crate) fn update_status(
    cx: &mut Cx<'_>,
    req: functions::account::UpdateStatus,
) -> RpcResult<bool> {
    let me = cx.me()?;
    if cx.state.users.get(&me).is_some_and(|u| u.bot) {
        return Ok(true);
    }
    let online = !req.offline;
    let now = cx.now;
    let previous = cx
        .state
        .statuses
        .insert(me, StatusRec { online, date: now });
    cx.dirty = true;
    if previous.is_some_and(|p| p.online == online && online && now - p.date < ONLINE_FOR / 2) {
        // A renewal of a fresh "online": nothing new to tell.
        return Ok(true);
    }
    let status = present::status(cx.state, me, now);
    let Some(status) = status else {
        return Ok(true);
    };
    for watcher in presence_watchers(cx.state, me) {
        cx.push(
            watcher,
            types::UpdateShort {
                update: types::UpdateUserStatus {
                    user_id: me,
                    status: status.clone(),
                }
                .into(),
                date: now,
            }
            .into(),
        );
    }
    Ok(true)
}

/// Users who see `user`'s presence: those with `user` among their contacts and those with a
/// private chat with them.
fn presence_watchers(state: &State, user: i64) -> BTreeSet<i64> {
    let mut watchers: BTreeSet<i64> = state
        .users
        .values()
        .filter(|u| u.id != user && u.contacts.contains(&user))
        .map(|u| u.id)
        .collect();
    if let Some(mbox) = state.boxes.get(&user) {
        watchers.extend(mbox.store.messages.values().filter_map(|m| match m.peer {
            Peer::User(other) if other != user => Some(other),
            _ => None,
        }));
    }
    watchers.retain(|w| state.users.get(w).is_some_and(|u| !u.bot));
    watchers
}
