//! From an RPC query to its answer: strip the generic wrappers, answer what needs the auth-key
//! store (`auth.bindTempAuthKey`), hand everything else to the backend.
//!
//! Wrappers, outermost first, in any order and nesting:
//!
//! - `invokeWithLayer` — the layer is remembered for the key and passed to the backend;
//! - `initConnection` — the client's description is remembered for the key;
//! - `invokeWithoutUpdates` — stripped, and the query does not subscribe its session to updates
//!   (neither do `upload.*` queries, as on Telegram); any other query does (see
//!   [`execute_subscribing`]);
//! - `invokeAfterMsg(s)` — stripped: a connection's queries run one after another in the order
//!   they arrived, so a query always runs after the queries it names that arrived before it.

use tgwire_crypto::{derive_aes_key_iv_v1, ige_decrypt, msg_key_v1, Side};
use tgwire_tl_types::mtproto::enums::BindAuthKeyInner;
use tgwire_tl_types::{functions, Blob, Deserializable, Identifiable, Serializable};

use super::auth_keys::{AuthKeyStore, BindRefusal, ClientInfo};
use crate::backend::{Answer, Backend, CallContext, RpcOutcome};

fn err(code: i32, message: &str) -> RpcOutcome {
    RpcOutcome::Err {
        code,
        message: message.to_owned(),
    }
}

fn constructor(body: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(body.get(..4)?.try_into().ok()?))
}

/// Answers the query `msg_id` (its body as received, wrappers included).
#[cfg(test)]
pub(crate) fn execute(
    store: &AuthKeyStore,
    backend: &Backend,
    ctx: &mut CallContext,
    now: i64,
    msg_id: i64,
    body: &[u8],
) -> RpcOutcome {
    match execute_subscribing(store, backend, ctx, now, msg_id, body, |_| {}) {
        Answer::Now(outcome) => outcome,
        // Nobody to wait here (see `Backend::call`).
        Answer::Later(_) => err(400, "BOT_RESPONSE_TIMEOUT"),
    }
}

/// Answers the query `msg_id` (its body as received, wrappers included). Telegram pushes
/// updates to a session once it made an API query that was neither wrapped in
/// `invokeWithoutUpdates` nor a file transfer; for such a query `subscribe` is called before
/// the backend runs it (so the query's own updates for its session already reach it). A query
/// a bot answers comes back as [`Answer::Later`].
pub(crate) fn execute_subscribing(
    store: &AuthKeyStore,
    backend: &Backend,
    ctx: &mut CallContext,
    now: i64,
    msg_id: i64,
    body: &[u8],
    subscribe: impl FnOnce(&CallContext),
) -> Answer {
    let mut subscribes = true;
    let malformed = || Answer::Now(err(400, "INPUT_FETCH_ERROR"));
    let mut query = body.to_vec();
    loop {
        match constructor(&query) {
            Some(functions::InvokeWithLayer::<Blob>::CONSTRUCTOR_ID) => {
                let Ok(w) = functions::InvokeWithLayer::<Blob>::from_bytes(&query) else {
                    return malformed();
                };
                ctx.layer = w.layer;
                store.set_layer(ctx.auth_key_id, w.layer);
                query = w.query.0;
            }
            Some(functions::InitConnection::<Blob>::CONSTRUCTOR_ID) => {
                let Ok(w) = functions::InitConnection::<Blob>::from_bytes(&query) else {
                    return malformed();
                };
                log::debug!(
                    "initConnection api_id={} {} / {} / {}",
                    w.api_id,
                    w.device_model,
                    w.system_version,
                    w.app_version
                );
                backend.note_lang_code(ctx, &w.lang_code);
                store.set_client(
                    ctx.auth_key_id,
                    ClientInfo {
                        api_id: w.api_id,
                        device_model: w.device_model.to_string(),
                        system_version: w.system_version.to_string(),
                        app_version: w.app_version.to_string(),
                        lang_code: w.lang_code.to_string(),
                    },
                );
                query = w.query.0;
            }
            Some(functions::InvokeWithoutUpdates::<Blob>::CONSTRUCTOR_ID) => {
                let Ok(w) = functions::InvokeWithoutUpdates::<Blob>::from_bytes(&query) else {
                    return malformed();
                };
                subscribes = false;
                query = w.query.0;
            }
            Some(functions::InvokeAfterMsg::<Blob>::CONSTRUCTOR_ID) => {
                let Ok(w) = functions::InvokeAfterMsg::<Blob>::from_bytes(&query) else {
                    return malformed();
                };
                query = w.query.0;
            }
            Some(functions::InvokeAfterMsgs::<Blob>::CONSTRUCTOR_ID) => {
                let Ok(w) = functions::InvokeAfterMsgs::<Blob>::from_bytes(&query) else {
                    return malformed();
                };
                query = w.query.0;
            }
            Some(functions::auth::BindTempAuthKey::CONSTRUCTOR_ID) => {
                let Ok(req) = functions::auth::BindTempAuthKey::from_bytes(&query) else {
                    return malformed();
                };
                return Answer::Now(bind_temp_auth_key(store, backend, ctx, now, msg_id, &req));
            }
            id => {
                let file_transfer = id
                    .and_then(tgwire_tl_types::name_for_id)
                    .is_some_and(|name| name.starts_with("upload."));
                if subscribes && !file_transfer {
                    subscribe(ctx);
                }
                return backend.call_deferred(ctx, &query);
            }
        }
    }
}

/// The TL name of the function inside the generic wrappers of `body` (`None` if malformed or
/// unknown).
pub(crate) fn innermost_method(body: &[u8]) -> Option<&'static str> {
    let mut query = body.to_vec();
    loop {
        query = match constructor(&query)? {
            functions::InvokeWithLayer::<Blob>::CONSTRUCTOR_ID => {
                functions::InvokeWithLayer::<Blob>::from_bytes(&query)
                    .ok()?
                    .query
                    .0
            }
            functions::InitConnection::<Blob>::CONSTRUCTOR_ID => {
                functions::InitConnection::<Blob>::from_bytes(&query)
                    .ok()?
                    .query
                    .0
            }
            functions::InvokeWithoutUpdates::<Blob>::CONSTRUCTOR_ID => {
                functions::InvokeWithoutUpdates::<Blob>::from_bytes(&query)
                    .ok()?
                    .query
                    .0
            }
            functions::InvokeAfterMsg::<Blob>::CONSTRUCTOR_ID => {
                functions::InvokeAfterMsg::<Blob>::from_bytes(&query)
                    .ok()?
                    .query
                    .0
            }
            functions::InvokeAfterMsgs::<Blob>::CONSTRUCTOR_ID => {
                functions::InvokeAfterMsgs::<Blob>::from_bytes(&query)
                    .ok()?
                    .query
                    .0
            }
            id => return tgwire_tl_types::name_for_id(id),
        };
    }
}

/// `auth.bindTempAuthKey`: decrypts the MTProto 1.0 binding message with the permanent key and
/// checks every field against the call it arrived in (core.telegram.org/method/auth.bindTempAuthKey).
fn bind_temp_auth_key(
    store: &AuthKeyStore,
    backend: &Backend,
    ctx: &CallContext,
    now: i64,
    msg_id: i64,
    req: &functions::auth::BindTempAuthKey,
) -> RpcOutcome {
    let invalid = || err(400, "ENCRYPTED_MESSAGE_INVALID");
    let Some(temp) = store.get(ctx.auth_key_id, now) else {
        return err(400, "TEMP_AUTH_KEY_EMPTY");
    };
    if !temp.is_temp() {
        return err(400, "TEMP_AUTH_KEY_EMPTY");
    }
    let Some(perm) = store
        .get(req.perm_auth_key_id, now)
        .filter(|k| !k.is_temp())
    else {
        return invalid();
    };
    let Some(inner) = open_binding_message(&perm.key, msg_id, &req.encrypted_message) else {
        return invalid();
    };
    let BindAuthKeyInner::BindAuthKeyInner(inner) = inner;
    if inner.nonce != req.nonce
        || inner.temp_auth_key_id != ctx.auth_key_id
        || inner.perm_auth_key_id != req.perm_auth_key_id
        || inner.temp_session_id != ctx.session_id
        || inner.expires_at != req.expires_at
    {
        return invalid();
    }
    match store.bind(ctx.auth_key_id, req.perm_auth_key_id) {
        Ok(()) => {}
        Err(BindRefusal::AlreadyBound) => return err(400, "TEMP_AUTH_KEY_ALREADY_BOUND"),
        Err(BindRefusal::NotTemp) => return err(400, "TEMP_AUTH_KEY_EMPTY"),
        Err(BindRefusal::BadPerm) => return invalid(),
    }
    backend.bind_temp_key(ctx.auth_key_id, req.perm_auth_key_id, req.expires_at);
    log::info!(
        "temporary key {} bound to {}",
        ctx.auth_key_id,
        req.perm_auth_key_id
    );
    RpcOutcome::Ok(true.to_bytes())
}

/// Decrypts `perm_auth_key_id ‖ msg_key ‖ AES-IGE(random:int128 ‖ msg_id ‖ seqno=0 ‖ len ‖
/// bind_auth_key_inner ‖ padding)` and checks the key id, msg_key (MTProto 1.0: SHA1 of the
/// unpadded plaintext), msg_id and seqno.
fn open_binding_message(
    perm: &tgwire_crypto::AuthKey,
    msg_id: i64,
    encrypted: &[u8],
) -> Option<BindAuthKeyInner> {
    const HEADER: usize = 24;
    let body_len = encrypted.len().checked_sub(HEADER)?;
    if body_len < 48 || body_len % 16 != 0 {
        return None;
    }
    let key_id = i64::from_le_bytes(encrypted.get(..8)?.try_into().ok()?);
    if key_id != perm.id() {
        return None;
    }
    let msg_key: [u8; 16] = encrypted.get(8..HEADER)?.try_into().ok()?;
    let (key, iv) = derive_aes_key_iv_v1(perm, &msg_key, Side::Client);
    let mut plain = encrypted.get(HEADER..)?.to_vec();
    ige_decrypt(&mut plain, &key, &iv).ok()?;
    let inner_msg_id = i64::from_le_bytes(plain.get(16..24)?.try_into().ok()?);
    let seq_no = i32::from_le_bytes(plain.get(24..28)?.try_into().ok()?);
    let len = u32::from_le_bytes(plain.get(28..32)?.try_into().ok()?) as usize;
    let unpadded = plain.get(..32usize.checked_add(len)?)?;
    // At most 15 bytes of padding follow (1.0 pads only to the block size).
    if plain.len() - unpadded.len() > 15 || msg_key_v1(unpadded) != msg_key {
        return None;
    }
    if inner_msg_id != msg_id || seq_no != 0 {
        return None;
    }
    BindAuthKeyInner::from_bytes(unpadded.get(32..)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faults::Faults;
    use tgwire_crypto::{derive_aes_key_iv_v1, ige_encrypt, AuthKey};
    use tgwire_tl_types::mtproto::types;

    fn binding_message(perm: &AuthKey, msg_id: i64, inner: &types::BindAuthKeyInner) -> Vec<u8> {
        let data = BindAuthKeyInner::from(inner.clone()).to_bytes();
        let mut plain = vec![0x5a; 16];
        plain.extend_from_slice(&msg_id.to_le_bytes());
        plain.extend_from_slice(&0i32.to_le_bytes());
        plain.extend_from_slice(&(data.len() as u32).to_le_bytes());
        plain.extend_from_slice(&data);
        let msg_key = msg_key_v1(&plain);
        plain.resize(plain.len().div_ceil(16) * 16, 0xa5);
        let (key, iv) = derive_aes_key_iv_v1(perm, &msg_key, Side::Client);
        ige_encrypt(&mut plain, &key, &iv).unwrap();
        let mut out = perm.id().to_le_bytes().to_vec();
        out.extend_from_slice(&msg_key);
        out.extend_from_slice(&plain);
        out
    }

    fn setup() -> (AuthKeyStore, Backend, AuthKey, AuthKey) {
        let store = AuthKeyStore::open(None).unwrap();
        let (perm, temp) = (AuthKey::from_bytes([3; 256]), AuthKey::from_bytes([4; 256]));
        assert!(store.insert(perm.clone(), None));
        assert!(store.insert(temp.clone(), Some(i64::from(i32::MAX))));
        let backend = Backend::new(crate::backend::BackendConfig::default(), Faults::new());
        (store, backend, perm, temp)
    }

    fn ctx(key: &AuthKey) -> CallContext {
        CallContext {
            dc_id: 1,
            auth_key_id: key.id(),
            perm_auth_key_id: key.id(),
            session_id: 77,
            layer: 0,
            temporary: false,
        }
    }

    #[test]
    fn binds_a_temporary_key_after_checking_every_field() {
        let (store, backend, perm, temp) = setup();
        let msg_id = 0x6000_0000_0000_0004;
        let inner = types::BindAuthKeyInner {
            nonce: 99,
            temp_auth_key_id: temp.id(),
            perm_auth_key_id: perm.id(),
            temp_session_id: 77,
            expires_at: 2_000_000_000,
        };
        let request = |inner: &types::BindAuthKeyInner, id: i64| functions::auth::BindTempAuthKey {
            perm_auth_key_id: perm.id(),
            nonce: 99,
            expires_at: 2_000_000_000,
            encrypted_message: binding_message(&perm, id, inner).into(),
        };
        let run = |req: &functions::auth::BindTempAuthKey, key: &AuthKey| {
            let wrapped = functions::InvokeWithLayer {
                layer: 229,
                query: req.clone(),
            };
            execute(
                &store,
                &backend,
                &mut ctx(key),
                1_700_000_000,
                msg_id,
                &wrapped.to_bytes(),
            )
        };
        let message = |outcome: RpcOutcome| match outcome {
            RpcOutcome::Err { message, .. } => message,
            RpcOutcome::Ok(bytes) => format!("ok {bytes:02x?}"),
            RpcOutcome::Part(part) => format!("ok {:02x?}", part.to_vec()),
        };

        // Wrong msg_id inside, wrong session, wrong nonce, called under the permanent key.
        assert_eq!(
            message(run(&request(&inner, msg_id + 4), &temp)),
            "ENCRYPTED_MESSAGE_INVALID"
        );
        let other_session = types::BindAuthKeyInner {
            temp_session_id: 78,
            ..inner.clone()
        };
        assert_eq!(
            message(run(&request(&other_session, msg_id), &temp)),
            "ENCRYPTED_MESSAGE_INVALID"
        );
        let mut bad_nonce = request(&inner, msg_id);
        bad_nonce.nonce = 98;
        assert_eq!(message(run(&bad_nonce, &temp)), "ENCRYPTED_MESSAGE_INVALID");
        assert_eq!(
            message(run(&request(&inner, msg_id), &perm)),
            "TEMP_AUTH_KEY_EMPTY"
        );
        let mut flipped = request(&inner, msg_id);
        let last = flipped.encrypted_message.len() - 1;
        flipped.encrypted_message[last] ^= 1;
        assert_eq!(message(run(&flipped, &temp)), "ENCRYPTED_MESSAGE_INVALID");
        assert_eq!(store.get(temp.id(), 0).unwrap().bound_to, None);

        assert_eq!(
            message(run(&request(&inner, msg_id), &temp)),
            message(RpcOutcome::Ok(true.to_bytes()))
        );
        assert_eq!(store.get(temp.id(), 0).unwrap().perm_id(), perm.id());
        assert_eq!(store.get(temp.id(), 0).unwrap().layer, 229);
    }

    #[test]
    fn wrappers_are_stripped_and_unknown_methods_reach_the_backend() {
        let (store, backend, perm, _) = setup();
        let query = functions::InvokeWithLayer {
            layer: 229,
            query: functions::InitConnection {
                api_id: 4,
                device_model: "dev".into(),
                system_version: "sys".into(),
                app_version: "1.0".into(),
                system_lang_code: "en".into(),
                lang_pack: String::new().into(),
                lang_code: "en".into(),
                proxy: None,
                params: None,
                query: functions::InvokeAfterMsgs {
                    msg_ids: vec![1, 2],
                    query: functions::InvokeWithoutUpdates {
                        query: functions::InvokeAfterMsg {
                            msg_id: 1,
                            // A function id no layer has.
                            query: Blob(vec![0x78, 0x56, 0x34, 0x12]),
                        },
                    },
                },
            },
        };
        let mut c = ctx(&perm);
        let outcome = execute(&store, &backend, &mut c, 0, 4, &query.to_bytes());
        assert!(matches!(outcome, RpcOutcome::Err { code, .. } if code == 400 || code == 501));
        assert_eq!(c.layer, 229);
        assert_eq!(store.client(perm.id()).map(|c| c.api_id), Some(4));

        let truncated = &query.to_bytes()[..20];
        assert!(matches!(
            execute(&store, &backend, &mut c, 0, 4, truncated),
            RpcOutcome::Err { message, .. } if message == "INPUT_FETCH_ERROR"
        ));
    }

    proptest::proptest! {
        /// Whatever follows a wrapper or bind constructor, `execute` answers (never panics).
        #[test]
        fn garbage_after_any_wrapper_gets_an_answer(
            which in 0usize..6,
            tail in proptest::collection::vec(proptest::num::u8::ANY, 0..256),
        ) {
            let ids = [
                functions::InvokeWithLayer::<Blob>::CONSTRUCTOR_ID,
                functions::InitConnection::<Blob>::CONSTRUCTOR_ID,
                functions::InvokeWithoutUpdates::<Blob>::CONSTRUCTOR_ID,
                functions::InvokeAfterMsg::<Blob>::CONSTRUCTOR_ID,
                functions::InvokeAfterMsgs::<Blob>::CONSTRUCTOR_ID,
                functions::auth::BindTempAuthKey::CONSTRUCTOR_ID,
            ];
            let (store, backend, _, temp) = setup();
            let mut body = ids[which].to_le_bytes().to_vec();
            body.extend_from_slice(&tail);
            let _ = execute(&store, &backend, &mut ctx(&temp), 0, 4, &body);
            let _ = open_binding_message(&temp, 4, &tail);
        }
    }
}
