//! `auth.bindTempAuthKey` through the two-peer harness, checked the way a server checks it: the
//! inner message decrypts with the permanent key (MTProto 1.0) and names the temporary key, the
//! session and the very msg_id of the request carrying it.

use std::time::Duration;

use tgwire_crypto::{derive_aes_key_iv_v1, ige_decrypt, msg_key_v1, AuthKey, Side};
use tgwire_tl_types::mtproto::enums::BindAuthKeyInner;
use tgwire_tl_types::{functions, Deserializable, Serializable};

use super::harness::{answer, key, query, Pair};
use crate::{ClientConfig, DropReason, Event, MsgId, ServerConfig, ServerEvent};

const EXPIRES_AT: i32 = 1_700_086_400;
const NONCE: i64 = 0x0123_4567_89ab_cdef;

fn perm_key() -> AuthKey {
    AuthKey::from_bytes([0x42; 256])
}

/// What a server verifies before binding; `Err` says which check failed.
fn server_check(
    perm: &AuthKey,
    temp_key_id: i64,
    session_id: i64,
    msg_id: MsgId,
    body: &[u8],
) -> Result<(), &'static str> {
    let req = functions::auth::BindTempAuthKey::from_bytes(body).map_err(|_| "not a bind")?;
    let enc = &req.encrypted_message;
    if req.perm_auth_key_id != perm.id() || enc.get(..8) != Some(&perm.id().to_le_bytes()[..]) {
        return Err("permanent key id");
    }
    let msg_key: [u8; 16] = enc.get(8..24).ok_or("short")?.try_into().unwrap();
    let mut plain = enc[24..].to_vec();
    let (k, iv) = derive_aes_key_iv_v1(perm, &msg_key, Side::Client);
    ige_decrypt(&mut plain, &k, &iv).map_err(|_| "not block aligned")?;
    let len = u32::from_le_bytes(plain[28..32].try_into().unwrap()) as usize;
    let unpadded = plain.get(..32 + len).ok_or("length")?;
    if msg_key_v1(unpadded) != msg_key || plain.len() - unpadded.len() > 15 {
        return Err("msg_key or padding");
    }
    if plain[16..24] != msg_id.0.to_le_bytes() || plain[24..28] != [0; 4] {
        return Err("inner msg_id must equal the outer one, seqno 0");
    }
    let BindAuthKeyInner::BindAuthKeyInner(inner) =
        BindAuthKeyInner::from_bytes(&unpadded[32..]).map_err(|_| "inner")?;
    if inner.nonce != req.nonce
        || inner.nonce != NONCE
        || inner.temp_auth_key_id != temp_key_id
        || inner.perm_auth_key_id != perm.id()
        || inner.temp_session_id != session_id
        || inner.expires_at != req.expires_at
        || inner.expires_at != EXPIRES_AT
    {
        return Err("inner fields");
    }
    Ok(())
}

/// Requests the server got, in order.
fn requests(p: &Pair) -> Vec<(MsgId, Vec<u8>)> {
    p.server_events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Request { msg_id, body } => Some((*msg_id, body.clone())),
            _ => None,
        })
        .collect()
}

fn is_bind(body: &[u8]) -> bool {
    body.get(..4) == Some(&0xcdd4_2a05u32.to_le_bytes()[..])
}

#[test]
fn binding_goes_first_checks_out_and_holds_other_requests_back() {
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    let early = p.client.enqueue(query(1, 0));
    let bind = p
        .client
        .enqueue_bind_temp_key(&perm_key(), NONCE, EXPIRES_AT);
    assert!(p.run_until(Duration::from_secs(1), |p| p.requests_seen() >= 1));
    p.run_for(Duration::from_secs(1));
    let seen = requests(&p);
    assert_eq!(
        seen.len(),
        1,
        "only the binding goes out before it is answered"
    );
    let (msg_id, body) = &seen[0];
    assert!(is_bind(body));
    assert_eq!(p.client.msg_id_of(bind), Some(*msg_id));
    let session_id = p.client.session_id();
    assert_eq!(
        server_check(&perm_key(), key().id(), session_id, *msg_id, body),
        Ok(())
    );
    // A wrong permanent key, session or msg_id is caught by the same check.
    assert!(server_check(
        &AuthKey::from_bytes([1; 256]),
        key().id(),
        session_id,
        *msg_id,
        body
    )
    .is_err());
    assert!(server_check(&perm_key(), key().id(), session_id ^ 1, *msg_id, body).is_err());
    assert!(server_check(
        &perm_key(),
        key().id(),
        session_id,
        MsgId(msg_id.0 + 4),
        body
    )
    .is_err());

    p.server.respond(*msg_id, true.to_bytes());
    assert!(p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 2));
    let (early_id, early_body) = requests(&p)[1].clone();
    assert_eq!(early_body, query(1, 0));
    p.server.respond(early_id, answer(1));
    assert!(p.run_until(Duration::from_secs(1), |p| p.outcomes() == 2));
    assert_eq!(
        p.responses(),
        vec![(bind, true.to_bytes()), (early, answer(1))]
    );
}

#[test]
fn a_binding_resent_under_a_new_id_is_rebuilt_for_it() {
    // Salt 0: the first packet is refused with bad_server_salt and resent under new ids.
    let mut p = Pair::new(ClientConfig::default(), ServerConfig::default(), 5);
    p.client = crate::Session::new(key(), 0, 0, ClientConfig::default(), [8; 32]);
    p.auto_answer = None;
    p.client
        .enqueue_bind_temp_key(&perm_key(), NONCE, EXPIRES_AT);
    assert!(p.run_until(Duration::from_secs(2), |p| p.requests_seen() == 1));
    let binds: Vec<i64> = p
        .tap
        .iter()
        .filter(|t| t.from == Side::Client && t.ctor == 0xcdd4_2a05)
        .map(|t| t.msg_id)
        .collect();
    assert_eq!(binds.len(), 2, "refused once, resent once: {binds:?}");
    let (msg_id, body) = &requests(&p)[0];
    assert_eq!(msg_id.0, binds[1]);
    assert_eq!(
        server_check(
            &perm_key(),
            key().id(),
            p.client.session_id(),
            *msg_id,
            body
        ),
        Ok(())
    );
}

#[test]
fn a_failed_binding_keeps_requests_back_until_rekeyed() {
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    let bind = p
        .client
        .enqueue_bind_temp_key(&perm_key(), NONCE, EXPIRES_AT);
    let waiting = p.client.enqueue(query(7, 0));
    assert!(p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 1));
    let (msg_id, _) = requests(&p)[0].clone();
    p.server
        .respond_error(msg_id, 400, "ENCRYPTED_MESSAGE_INVALID");
    assert!(p.run_until(Duration::from_secs(1), |p| p.outcomes() == 1));
    p.run_for(Duration::from_secs(2));
    assert_eq!(p.requests_seen(), 1, "nothing else went out unbound");

    // A new key (the harness server keeps the old one, so both ends move), a new binding.
    let old_session = p.client.session_id();
    p.client.rekey(key(), p.client.salt());
    assert_ne!(p.client.session_id(), old_session);
    let rebind = p
        .client
        .enqueue_bind_temp_key(&perm_key(), NONCE, EXPIRES_AT);
    assert!(p.run_until(Duration::from_secs(2), |p| p.requests_seen() == 2));
    let (msg_id, body) = requests(&p)[1].clone();
    assert_eq!(
        server_check(
            &perm_key(),
            key().id(),
            p.client.session_id(),
            msg_id,
            &body
        ),
        Ok(())
    );
    p.server.respond(msg_id, true.to_bytes());
    assert!(p.run_until(Duration::from_secs(2), |p| p.requests_seen() == 3));
    let (id, body) = requests(&p)[2].clone();
    assert_eq!(body, query(7, 0));
    p.server.respond(id, answer(7));
    assert!(p.run_until(Duration::from_secs(2), |p| p.outcomes() == 3));
    assert!(p
        .client_events
        .iter()
        .any(|e| matches!(e, Event::RpcError { request, .. } if *request == bind)));
    assert_eq!(
        p.responses(),
        vec![(rebind, true.to_bytes()), (waiting, answer(7))]
    );
}

#[test]
fn rekey_resends_in_flight_requests_under_the_new_key_once() {
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    let r = p.client.enqueue(query(3, 0));
    assert!(p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 1));
    let pending_bind = p
        .client
        .enqueue_bind_temp_key(&perm_key(), NONCE, EXPIRES_AT);
    p.client.rekey(key(), p.client.salt());
    assert!(p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 2));
    assert!(p.client_events.contains(&Event::Dropped {
        request: pending_bind,
        reason: DropReason::Cancelled
    }));
    let (id, body) = requests(&p)[1].clone();
    assert_eq!(body, query(3, 0), "sent again in the new session");
    p.server.respond(id, answer(3));
    assert!(p.run_until(Duration::from_secs(1), |p| !p.responses().is_empty()));
    assert_eq!(p.responses(), vec![(r, answer(3))]);
}

/// Answers every request seen so far, from `from` on, with `401 AUTH_KEY_PERM_EMPTY`.
fn refuse_unbound(p: &mut Pair, from: usize) {
    for (msg_id, _) in requests(p).into_iter().skip(from) {
        assert!(p.server.respond_error(msg_id, 401, "AUTH_KEY_PERM_EMPTY"));
    }
}

fn errors_for(p: &Pair, r: crate::RequestId) -> usize {
    p.client_events
        .iter()
        .filter(|e| matches!(e, Event::RpcError { request, .. } if *request == r))
        .count()
}

#[test]
fn a_request_refused_for_an_unbound_key_waits_for_the_next_key() {
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    p.client.set_temporary(true);
    let r = p.client.enqueue(query(7, 0));
    assert!(p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 1));
    refuse_unbound(&mut p, 0);
    let held = |p: &Pair| {
        p.client_events
            .iter()
            .any(|e| matches!(e, Event::KeyUnbound { request } if *request == r))
    };
    assert!(p.run_until(Duration::from_secs(1), held));
    assert_eq!(errors_for(&p, r), 0, "held, not ended");
    assert_eq!(
        (p.client.pending_requests(), p.client.held_requests()),
        (1, 1)
    );
    // Not sent again under the unbound key, whatever the timers say.
    p.run_for(Duration::from_secs(120));
    assert_eq!(p.requests_seen(), 1);

    p.client.rekey(key(), p.client.salt());
    assert_eq!(p.client.held_requests(), 0);
    assert!(p.run_until(Duration::from_secs(2), |p| p.requests_seen() == 2));
    let (msg_id, body) = requests(&p)[1].clone();
    assert_eq!(body, query(7, 0), "the same request, under the new key");
    p.server.respond(msg_id, answer(7));
    assert!(p.run_until(Duration::from_secs(2), |p| p.outcomes() == 1));
    assert_eq!(p.responses(), vec![(r, answer(7))]);
    assert_eq!(p.client.pending_requests(), 0);
}

#[test]
fn unbound_refusals_end_the_request_unless_temporary_or_after_three_holds() {
    // A session not marked temporary ends the request with the error.
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    let r = p.client.enqueue(query(1, 0));
    assert!(p.run_until(Duration::from_secs(1), |p| p.requests_seen() == 1));
    refuse_unbound(&mut p, 0);
    assert!(p.run_until(Duration::from_secs(1), |p| p.outcomes() == 1));
    assert_eq!(errors_for(&p, r), 1);

    // A temporary one holds it three times, then lets the error through.
    let mut p = Pair::default_pair();
    p.auto_answer = None;
    p.client.set_temporary(true);
    let r = p.client.enqueue(query(2, 0));
    for round in 1..=4 {
        assert!(p.run_until(Duration::from_secs(2), |p| p.requests_seen() == round));
        refuse_unbound(&mut p, round - 1);
        p.run_for(Duration::from_secs(1));
        if round < 4 {
            assert_eq!(p.client.held_requests(), 1, "round {round}");
            p.client.rekey(key(), p.client.salt());
        }
    }
    assert_eq!(errors_for(&p, r), 1);
    assert_eq!(
        (p.client.pending_requests(), p.client.held_requests()),
        (0, 0)
    );
}
