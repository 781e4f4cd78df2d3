//! `help.*` and `auth.*`: configuration, phone sign-in with test-server codes, bots, moving an
//! authorization between DCs and QR-login tokens.

use tgwire_tl_types::{enums, functions, types};

use super::rpc::{RpcError, RpcResult};
use super::runtime::{CodeRequest, LoginTokenRec};
use super::{present, random_i64, users, Cx};

/// How long a login code or QR token stays valid, in seconds.
const CODE_LIFETIME: i32 = 600;
const LOGIN_TOKEN_LIFETIME: i32 = 30;
/// The code of phone numbers outside the `99966XYYYY` test range.
const DEFAULT_CODE: &str = "12345";

pub(crate) fn get_config(
    cx: &mut Cx<'_>,
    _: functions::help::GetConfig,
) -> RpcResult<enums::Config> {
    let cdn = cx.cdn.map(|cdn| (&cdn.dc, true));
    let dc_options = cx
        .cfg
        .dcs
        .iter()
        .map(|dc| (dc, false))
        .chain(cdn)
        .map(|(dc, cdn)| {
            types::DcOption {
                ipv6: false,
                media_only: false,
                tcpo_only: false,
                cdn,
                r#static: false,
                this_port_only: false,
                id: dc.id,
                ip_address: dc.host.clone().into(),
                port: i32::from(dc.port),
                secret: None,
            }
            .into()
        })
        .collect();
    Ok(types::Config {
        default_p2p_contacts: false,
        preload_featured_stickers: false,
        revoke_pm_inbox: true,
        blocked_mode: false,
        force_try_ipv6: false,
        date: cx.now,
        expires: cx.now.saturating_add(3600),
        test_mode: false,
        this_dc: cx.ctx.dc_id,
        dc_options,
        dc_txt_domain_name: String::new().into(),
        chat_size_max: 200,
        megagroup_size_max: 200_000,
        forwarded_count_max: 100,
        online_update_period_ms: 210_000,
        offline_blur_timeout_ms: 5_000,
        offline_idle_timeout_ms: 30_000,
        online_cloud_timeout_ms: 300_000,
        notify_cloud_delay_ms: 30_000,
        notify_default_delay_ms: 1_500,
        push_chat_period_ms: 60_000,
        push_chat_limit: 2,
        edit_time_limit: 172_800,
        revoke_time_limit: i32::MAX,
        revoke_pm_time_limit: i32::MAX,
        rating_e_decay: 2_419_200,
        stickers_recent_limit: 200,
        channels_read_media_period: 604_800,
        tmp_sessions: None,
        call_receive_timeout_ms: 20_000,
        call_ring_timeout_ms: 90_000,
        call_connect_timeout_ms: 30_000,
        call_packet_timeout_ms: 10_000,
        me_url_prefix: "https://t.me/".into(),
        autoupdate_url_prefix: None,
        gif_search_username: None,
        venue_search_username: None,
        img_search_username: None,
        static_maps_provider: None,
        caption_length_max: 1024,
        message_length_max: 4096,
        webfile_dc_id: cx.cfg.dcs.first().map_or(cx.ctx.dc_id, |dc| dc.id),
        suggested_lang_code: None,
        lang_pack_version: None,
        base_lang_pack_version: None,
        reactions_default: None,
        autologin_token: None,
    }
    .into())
}

pub(crate) fn get_nearest_dc(
    cx: &mut Cx<'_>,
    _: functions::help::GetNearestDc,
) -> RpcResult<enums::NearestDc> {
    Ok(types::NearestDc {
        country: "ZZ".into(),
        this_dc: cx.ctx.dc_id,
        nearest_dc: cx.ctx.dc_id,
    }
    .into())
}

/// A phone number reduced to its digits (`+999 66 2 1234` → `9996621234`).
pub(crate) fn normalize_phone(phone: &str) -> RpcResult<String> {
    let digits: String = phone
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')'))
        .collect();
    if digits.is_empty() || digits.len() > 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(RpcError::bad("PHONE_NUMBER_INVALID"));
    }
    Ok(digits)
}

/// Where a number lives and the code it signs in with: `99966XYYYY` → DC `X`, code `XXXXX`;
/// other numbers → the DC of their account, or `here` for new ones, with [`DEFAULT_CODE`].
fn phone_home(cx: &Cx<'_>, phone: &str) -> RpcResult<(i32, String)> {
    if let Some(dc) = test_number_dc(phone) {
        if !cx.cfg.dcs.iter().any(|d| d.id == dc) {
            return Err(RpcError::bad("PHONE_NUMBER_INVALID"));
        }
        return Ok((dc, dc.to_string().repeat(5)));
    }
    let dc = users::by_phone(cx.state, phone)
        .and_then(|id| cx.state.users.get(&id))
        .map_or(cx.ctx.dc_id, |user| user.home_dc);
    Ok((dc, DEFAULT_CODE.into()))
}

/// The DC `X` of a test number `99966XYYYY` (digits only).
pub(crate) fn test_number_dc(phone: &str) -> Option<i32> {
    let digit = *phone.as_bytes().get(5)?;
    (phone.len() == 10 && phone.starts_with("99966") && digit.is_ascii_digit())
        .then(|| i32::from(digit - b'0'))
}

pub(crate) fn send_code(
    cx: &mut Cx<'_>,
    req: functions::auth::SendCode,
) -> RpcResult<enums::auth::SentCode> {
    let phone = normalize_phone(&req.phone_number)?;
    let (dc, code) = phone_home(cx, &phone)?;
    if dc != cx.ctx.dc_id {
        return Err(RpcError::migrate("PHONE_MIGRATE", dc));
    }
    let hash = format!("{:016x}", random_i64());
    cx.rt.codes.insert(
        hash.clone(),
        CodeRequest {
            phone,
            code,
            expires: cx.now.saturating_add(CODE_LIFETIME),
        },
    );
    Ok(types::auth::SentCode {
        r#type: types::auth::SentCodeTypeApp { length: 5 }.into(),
        phone_code_hash: hash.into(),
        next_type: None,
        timeout: None,
    }
    .into())
}

/// The code request `hash` names, checked against the phone number (and DC).
fn pending_code(cx: &Cx<'_>, phone: &str, hash: &str) -> RpcResult<CodeRequest> {
    if hash.is_empty() {
        return Err(RpcError::bad("PHONE_CODE_HASH_EMPTY"));
    }
    let request = cx
        .rt
        .codes
        .get(hash)
        .filter(|request| request.expires > cx.now)
        .ok_or_else(|| RpcError::bad("PHONE_CODE_EXPIRED"))?;
    if request.phone != phone {
        return Err(RpcError::bad("PHONE_NUMBER_INVALID"));
    }
    let (dc, _) = phone_home(cx, phone)?;
    if dc != cx.ctx.dc_id {
        return Err(RpcError::migrate("PHONE_MIGRATE", dc));
    }
    Ok(request.clone())
}

/// `auth.authorization` for the signed-in `user`.
pub(crate) fn authorization(cx: &Cx<'_>, user: i64) -> RpcResult<enums::auth::Authorization> {
    let user = present::user(cx.state, user, user)
        .ok_or_else(|| RpcError::new(500, "USER_LOST_IN_TESTSERVER"))?;
    Ok(types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user,
    }
    .into())
}

/// Signs the caller in as `user`, unless a 2FA password must be checked first.
fn finish_sign_in(cx: &mut Cx<'_>, user: i64) -> RpcResult<enums::auth::Authorization> {
    if cx
        .state
        .users
        .get(&user)
        .is_some_and(|u| u.password.is_some())
    {
        let key = cx.perm_key();
        cx.rt.password_pending.insert(key, user);
        return Err(RpcError::unauthorized("SESSION_PASSWORD_NEEDED"));
    }
    cx.authorize(user);
    authorization(cx, user)
}

pub(crate) fn sign_in(
    cx: &mut Cx<'_>,
    req: functions::auth::SignIn,
) -> RpcResult<enums::auth::Authorization> {
    let phone = normalize_phone(&req.phone_number)?;
    let request = pending_code(cx, &phone, &req.phone_code_hash)?;
    match req.phone_code.as_deref() {
        None | Some("") => return Err(RpcError::bad("PHONE_CODE_EMPTY")),
        Some(code) if code != request.code => return Err(RpcError::bad("PHONE_CODE_INVALID")),
        Some(_) => {}
    }
    let user = match users::by_phone(cx.state, &phone) {
        Some(user) => user,
        None if cx.cfg.require_signup => {
            return Ok(types::auth::AuthorizationSignUpRequired {
                terms_of_service: None,
            }
            .into())
        }
        None => {
            let first_name = format!("Test {}", &phone[phone.len().saturating_sub(4)..]);
            let dc = cx.ctx.dc_id;
            users::create_user(cx, Some(phone), first_name, String::new(), dc)
        }
    };
    cx.rt.codes.remove(req.phone_code_hash.as_str());
    finish_sign_in(cx, user)
}

pub(crate) fn sign_up(
    cx: &mut Cx<'_>,
    req: functions::auth::SignUp,
) -> RpcResult<enums::auth::Authorization> {
    let phone = normalize_phone(&req.phone_number)?;
    pending_code(cx, &phone, &req.phone_code_hash)?;
    if users::by_phone(cx.state, &phone).is_some() {
        return Err(RpcError::bad("PHONE_NUMBER_OCCUPIED"));
    }
    let first_name = req.first_name.trim();
    if first_name.is_empty() || first_name.chars().count() > 64 {
        return Err(RpcError::bad("FIRSTNAME_INVALID"));
    }
    if req.last_name.chars().count() > 64 {
        return Err(RpcError::bad("LASTNAME_INVALID"));
    }
    cx.rt.codes.remove(req.phone_code_hash.as_str());
    let dc = cx.ctx.dc_id;
    let user = users::create_user(
        cx,
        Some(phone),
        first_name.to_owned(),
        req.last_name.trim().to_owned(),
        dc,
    );
    finish_sign_in(cx, user)
}

pub(crate) fn log_out(
    cx: &mut Cx<'_>,
    _: functions::auth::LogOut,
) -> RpcResult<enums::auth::LoggedOut> {
    cx.me()?;
    let key = cx.perm_key();
    cx.state.authorizations.remove(&key);
    cx.dirty = true;
    Ok(types::auth::LoggedOut {
        future_auth_token: None,
    }
    .into())
}

/// The bot id of a well-formed token `<id>:<35 or more of [A-Za-z0-9_-]>`.
pub(crate) fn parse_bot_token(token: &str) -> Option<i64> {
    let (id, secret) = token.split_once(':')?;
    let id: i64 = id.parse().ok().filter(|&id| id > 0)?;
    let well_formed = secret.len() >= 35
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    well_formed.then_some(id)
}

pub(crate) fn import_bot_authorization(
    cx: &mut Cx<'_>,
    req: functions::auth::ImportBotAuthorization,
) -> RpcResult<enums::auth::Authorization> {
    let invalid = || RpcError::bad("ACCESS_TOKEN_INVALID");
    let bot_id = parse_bot_token(&req.bot_auth_token).ok_or_else(invalid)?;
    match cx.state.users.get(&bot_id) {
        Some(user) if !user.bot => return Err(invalid()),
        Some(_) => {}
        None => {
            let dc = cx.ctx.dc_id;
            users::create_bot(cx, bot_id, format!("Bot {bot_id}"), dc);
        }
    }
    cx.authorize(bot_id);
    authorization(cx, bot_id)
}

fn known_dc(cx: &Cx<'_>, dc_id: i32) -> RpcResult<()> {
    if cx.cfg.dcs.iter().any(|dc| dc.id == dc_id) {
        Ok(())
    } else {
        Err(RpcError::bad("DC_ID_INVALID"))
    }
}

pub(crate) fn export_authorization(
    cx: &mut Cx<'_>,
    req: functions::auth::ExportAuthorization,
) -> RpcResult<enums::auth::ExportedAuthorization> {
    let me = cx.me()?;
    known_dc(cx, req.dc_id)?;
    let bytes: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    cx.rt.exported.insert(bytes.clone(), (me, req.dc_id));
    Ok(types::auth::ExportedAuthorization {
        id: me,
        bytes: bytes.into(),
    }
    .into())
}

pub(crate) fn import_authorization(
    cx: &mut Cx<'_>,
    req: functions::auth::ImportAuthorization,
) -> RpcResult<enums::auth::Authorization> {
    let (user, _) = cx
        .rt
        .exported
        .get(&*req.bytes)
        .copied()
        .filter(|&(user, dc)| user == req.id && dc == cx.ctx.dc_id)
        .ok_or_else(|| RpcError::bad("AUTH_BYTES_INVALID"))?;
    cx.rt.exported.remove(&*req.bytes);
    cx.authorize(user);
    authorization(cx, user)
}

pub(crate) fn export_login_token(
    cx: &mut Cx<'_>,
    _: functions::auth::ExportLoginToken,
) -> RpcResult<enums::auth::LoginToken> {
    let key = cx.perm_key();
    // A token of this key accepted meanwhile: the export doubles as the import.
    let accepted = cx
        .rt
        .login_tokens
        .iter()
        .find(|(_, rec)| rec.perm_key == key && rec.accepted_by.is_some() && rec.expires > cx.now)
        .map(|(token, _)| token.clone());
    if let Some(token) = accepted {
        return import_login_token(
            cx,
            functions::auth::ImportLoginToken {
                token: token.into(),
            },
        );
    }
    let token: Vec<u8> = (0..32).map(|_| rand::random::<u8>()).collect();
    let expires = cx.now.saturating_add(LOGIN_TOKEN_LIFETIME);
    cx.rt.login_tokens.insert(
        token.clone(),
        LoginTokenRec {
            perm_key: key,
            dc_id: cx.ctx.dc_id,
            expires,
            accepted_by: None,
        },
    );
    Ok(types::auth::LoginToken {
        expires,
        token: token.into(),
    }
    .into())
}

pub(crate) fn import_login_token(
    cx: &mut Cx<'_>,
    req: functions::auth::ImportLoginToken,
) -> RpcResult<enums::auth::LoginToken> {
    let rec = cx
        .rt
        .login_tokens
        .get(&*req.token)
        .cloned()
        .ok_or_else(|| RpcError::bad("AUTH_TOKEN_INVALID"))?;
    if rec.expires <= cx.now {
        cx.rt.login_tokens.remove(&*req.token);
        return Err(RpcError::bad("AUTH_TOKEN_EXPIRED"));
    }
    let Some(user) = rec.accepted_by else {
        return Ok(types::auth::LoginToken {
            expires: rec.expires,
            token: req.token,
        }
        .into());
    };
    let home_dc = cx.state.users.get(&user).map_or(rec.dc_id, |u| u.home_dc);
    if home_dc != cx.ctx.dc_id {
        return Ok(types::auth::LoginTokenMigrateTo {
            dc_id: home_dc,
            token: req.token,
        }
        .into());
    }
    cx.rt.login_tokens.remove(&*req.token);
    let authorization = finish_sign_in(cx, user)?;
    Ok(types::auth::LoginTokenSuccess { authorization }.into())
}

pub(crate) fn accept_login_token(
    cx: &mut Cx<'_>,
    req: functions::auth::AcceptLoginToken,
) -> RpcResult<enums::Authorization> {
    let me = cx.me_user()?;
    let rec = cx
        .rt
        .login_tokens
        .get_mut(&*req.token)
        .ok_or_else(|| RpcError::bad("AUTH_TOKEN_INVALID"))?;
    if rec.expires <= cx.now {
        return Err(RpcError::bad("AUTH_TOKEN_EXPIRED"));
    }
    if rec.accepted_by.is_some() {
        return Err(RpcError::bad("AUTH_TOKEN_ALREADY_ACCEPTED"));
    }
    rec.accepted_by = Some(me);
    let perm_key = rec.perm_key;
    let now = cx.now;
    cx.push_to_key(
        perm_key,
        types::UpdateShort {
            update: enums::Update::LoginToken,
            date: now,
        }
        .into(),
    );
    Ok(types::Authorization {
        current: false,
        official_app: false,
        password_pending: false,
        encrypted_requests_disabled: false,
        call_requests_disabled: false,
        unconfirmed: false,
        hash: perm_key,
        device_model: "tgwire-testserver client".into(),
        platform: String::new().into(),
        system_version: String::new().into(),
        api_id: 0,
        app_name: String::new().into(),
        app_version: String::new().into(),
        date_created: now,
        date_active: now,
        ip: "127.0.0.1".into(),
        country: String::new().into(),
        region: String::new().into(),
    }
    .into())
}
