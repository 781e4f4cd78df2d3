//! The auth-key exchange on one connection: plain (auth_key_id = 0) packets drive
//! `tgwire_mtproto::auth::server`'s typed states; finished keys go to the shared
//! [`AuthKeyStore`].
//!
//! All protocol checks happen in the mtproto crate; this module only keeps the current state,
//! restarts on a new `req_pq(_multi)`, refuses a key whose id collides with a stored one
//! (`dh_gen_retry`, as the spec recommends), and records temporary keys with their lifetime.

use rand::RngCore;
use tgwire_mtproto::auth::read_plain;
use tgwire_mtproto::auth::server::{Config, ExpectClientDh, ExpectReqDhParams, ExpectReqPq};
use tgwire_mtproto::{AuthError, Instant};
use tgwire_tl_types::mtproto::functions;
use tgwire_tl_types::Identifiable;

use super::auth_keys::AuthKeyStore;
use super::clock::unix_secs;

/// Where one connection's exchange stands.
#[derive(Debug, Default)]
pub(crate) enum Handshake {
    /// No exchange running (none yet, or the last one finished).
    #[default]
    Idle,
    /// `resPQ` sent.
    SentResPq(ExpectReqDhParams),
    /// `server_DH_params_ok` (or `dh_gen_retry`) sent.
    SentDhParams(Box<ExpectClientDh>),
}

/// A key the exchange produced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct NewKey {
    pub(crate) auth_key_id: i64,
    pub(crate) temp: bool,
}

impl Handshake {
    /// Feeds one plain packet; the answer (if any) is appended to `out`. A failed step resets
    /// the exchange: the client has to start over with `req_pq_multi`.
    pub(crate) fn handle(
        &mut self,
        config: &Config,
        store: &AuthKeyStore,
        now: Instant,
        packet: &[u8],
        rng: &mut impl RngCore,
        out: &mut Vec<u8>,
    ) -> Result<Option<NewKey>, AuthError> {
        let (_, body) = read_plain(packet)?;
        let starts_over = matches!(
            body.get(..4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            Some(functions::ReqPqMulti::CONSTRUCTOR_ID | functions::ReqPq::CONSTRUCTOR_ID)
        );
        let state = std::mem::take(self);
        let state = if starts_over { Handshake::Idle } else { state };
        match state {
            Handshake::Idle => {
                *self = Handshake::SentResPq(answer_req_pq(config, now, packet, rng, out)?);
                Ok(None)
            }
            Handshake::SentResPq(s) => {
                *self = Handshake::SentDhParams(Box::new(s.handle(now, packet, rng, out)?));
                Ok(None)
            }
            Handshake::SentDhParams(s) => {
                let decision = s.handle(packet)?;
                if store.contains(decision.auth_key().id()) {
                    log::info!("new auth key collides with a stored one: dh_gen_retry");
                    *self = Handshake::SentDhParams(Box::new(decision.retry(now, out)));
                    return Ok(None);
                }
                let finished = decision.accept(now, out);
                let expires_at = finished
                    .request
                    .expires_in
                    .map(|secs| unix_secs(now).saturating_add(i64::from(secs.max(0))));
                let auth_key_id = finished.auth_key.id();
                if !store.insert(finished.auth_key, expires_at) {
                    // Another connection stored the same id in between: astronomically unlikely;
                    // the client's later packets under it then fail to decrypt and it re-keys.
                    log::warn!("auth key {auth_key_id} was stored concurrently");
                }
                log::info!(
                    "new {} auth key {auth_key_id} (dc {:?}, {} padding)",
                    if expires_at.is_some() {
                        "temporary"
                    } else {
                        "permanent"
                    },
                    finished.request.dc_id,
                    if finished.request.old_padding {
                        "old RSA"
                    } else {
                        "RSA_PAD"
                    },
                );
                Ok(Some(NewKey {
                    auth_key_id,
                    temp: expires_at.is_some(),
                }))
            }
        }
    }
}

/// Answers `req_pq(_multi)`; the core keeps pq below 2^63, as Telegram does.
fn answer_req_pq(
    config: &Config,
    now: Instant,
    packet: &[u8],
    rng: &mut impl RngCore,
    out: &mut Vec<u8>,
) -> Result<ExpectReqDhParams, AuthError> {
    ExpectReqPq::new(config.clone()).handle(now, packet, rng, out)
}
