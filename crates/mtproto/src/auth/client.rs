//! The client's side of the auth-key exchange.

use rand::RngCore;
use tgwire_crypto::dh::{check_g_a, check_prime_and_g_with, DhParams};
use tgwire_crypto::rsa::RsaPublicKey;
use tgwire_crypto::{factorize, initial_server_salt, new_nonce_hash, AuthKey};
use tgwire_tl_types::mtproto::{enums, functions, types};
use tgwire_tl_types::Serializable;

use super::{
    be_bytes, decrypt_with_hash, encrypt_with_hash, from_be, new_nonce_hash_fail, plain_id,
    read_plain, tl, write_plain,
};
use crate::error::AuthError;
use crate::msg_id::IdKind;
use crate::time::Instant;

/// Which RSA padding wraps `p_q_inner_data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RsaPadding {
    /// RSA_PAD (current spec; the default).
    RsaPad,
    /// The old `SHA1(data) ‖ data ‖ random` padding, still accepted by servers.
    Old,
}

/// What the client asks for.
#[derive(Clone, Debug)]
pub struct Config {
    /// The server public keys we trust; the first whose fingerprint the server lists is used.
    pub keys: Vec<RsaPublicKey>,
    /// The DC id for `p_q_inner_data_dc` / `_temp_dc` (+10000 for test DCs, negative for media);
    /// `None` sends the variants without a DC.
    pub dc_id: Option<i32>,
    /// `Some(seconds)` asks for a temporary key (`p_q_inner_data_temp*`, for PFS).
    pub temp_expires_in: Option<i32>,
    /// The RSA padding.
    pub padding: RsaPadding,
    /// Use `req_pq_multi` (default) rather than the old `req_pq`.
    pub req_pq_multi: bool,
    /// `dh_gen_retry` answers tolerated before giving up.
    pub max_retries: u32,
}

impl Config {
    /// RSA_PAD, `p_q_inner_data_dc` for `dc_id`, a permanent key.
    pub fn new(keys: Vec<RsaPublicKey>, dc_id: i32) -> Self {
        Self {
            keys,
            dc_id: Some(dc_id),
            temp_expires_in: None,
            padding: RsaPadding::RsaPad,
            req_pq_multi: true,
            max_retries: 5,
        }
    }
}

/// The result: a verified key and what goes with it.
#[derive(Clone, Debug)]
pub struct Finished {
    /// The new authorization key.
    pub auth_key: AuthKey,
    /// Server time minus local time, seconds (from `server_DH_inner_data.server_time`).
    pub time_offset: i32,
    /// The first server salt: `new_nonce[0..8] XOR server_nonce[0..8]`.
    pub first_salt: i64,
    /// For a temporary key: its lifetime in seconds.
    pub expires_in: Option<i32>,
}

/// Sends `req_pq_multi` (or `req_pq`) and returns the state awaiting `resPQ`.
pub fn start(
    config: Config,
    now: Instant,
    rng: &mut impl RngCore,
    out: &mut Vec<u8>,
) -> ExpectResPq {
    let mut nonce = [0; 16];
    rng.fill_bytes(&mut nonce);
    let body = if config.req_pq_multi {
        functions::ReqPqMulti { nonce }.to_bytes()
    } else {
        functions::ReqPq { nonce }.to_bytes()
    };
    write_plain(plain_id(now, IdKind::Client), &body, out);
    ExpectResPq { config, nonce }
}

/// Waiting for `resPQ`.
#[derive(Debug)]
pub struct ExpectResPq {
    config: Config,
    nonce: [u8; 16],
}

impl ExpectResPq {
    /// Handles `resPQ`: checks the nonce, picks a known key, factorises pq and sends
    /// `req_DH_params`.
    ///
    /// # Errors
    /// A nonce mismatch, no known fingerprint, an unfactorisable pq, malformed input.
    pub fn handle(
        self,
        now: Instant,
        packet: &[u8],
        rng: &mut impl RngCore,
        out: &mut Vec<u8>,
    ) -> Result<ExpectServerDh, AuthError> {
        let (_, body) = read_plain(packet)?;
        let enums::ResPq::ResPq(res) = tl::<enums::ResPq>(body)?;
        if res.nonce != self.nonce {
            return Err(AuthError::NonceMismatch("nonce"));
        }
        let key = self
            .config
            .keys
            .iter()
            .find(|k| {
                res.server_public_key_fingerprints
                    .contains(&k.fingerprint())
            })
            .ok_or_else(|| {
                AuthError::UnknownFingerprint(res.server_public_key_fingerprints.clone())
            })?;
        let pq = from_be(&res.pq).ok_or(AuthError::Rejected("pq is not a 64-bit number"))?;
        let (p, q) = factorize(pq)?;
        let mut new_nonce = [0; 32];
        rng.fill_bytes(&mut new_nonce);

        let inner = p_q_inner_data(
            &self.config,
            &res.pq,
            p,
            q,
            self.nonce,
            res.server_nonce,
            new_nonce,
        );
        let encrypted = match self.config.padding {
            RsaPadding::RsaPad => key.encrypt_rsa_pad(&inner, rng)?,
            RsaPadding::Old => key.encrypt_old_padding(&inner, rng)?,
        };
        let req = functions::ReqDhParams {
            nonce: self.nonce,
            server_nonce: res.server_nonce,
            p: be_bytes(p).into(),
            q: be_bytes(q).into(),
            public_key_fingerprint: key.fingerprint(),
            encrypted_data: encrypted.to_vec().into(),
        };
        write_plain(plain_id(now, IdKind::Client), &req.to_bytes(), out);
        Ok(ExpectServerDh {
            config: self.config,
            nonce: self.nonce,
            server_nonce: res.server_nonce,
            new_nonce,
        })
    }
}

/// Serializes the `p_q_inner_data` variant the config asks for.
pub(crate) fn p_q_inner_data(
    config: &Config,
    pq: &[u8],
    p: u64,
    q: u64,
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: [u8; 32],
) -> Vec<u8> {
    let (pq, p, q) = (pq.to_vec(), be_bytes(p), be_bytes(q));
    match (config.dc_id, config.temp_expires_in) {
        (Some(dc), None) => types::PQInnerDataDc {
            pq: pq.into(),
            p: p.into(),
            q: q.into(),
            nonce,
            server_nonce,
            new_nonce,
            dc,
        }
        .to_bytes(),
        (Some(dc), Some(expires_in)) => types::PQInnerDataTempDc {
            pq: pq.into(),
            p: p.into(),
            q: q.into(),
            nonce,
            server_nonce,
            new_nonce,
            dc,
            expires_in,
        }
        .to_bytes(),
        (None, Some(expires_in)) => types::PQInnerDataTemp {
            pq: pq.into(),
            p: p.into(),
            q: q.into(),
            nonce,
            server_nonce,
            new_nonce,
            expires_in,
        }
        .to_bytes(),
        (None, None) => types::PQInnerData {
            pq: pq.into(),
            p: p.into(),
            q: q.into(),
            nonce,
            server_nonce,
            new_nonce,
        }
        .to_bytes(),
    }
}

/// Waiting for `server_DH_params_ok`.
#[derive(Debug)]
pub struct ExpectServerDh {
    config: Config,
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: [u8; 32],
}

impl ExpectServerDh {
    /// Handles `server_DH_params_ok`: decrypts and verifies the answer, checks the DH group
    /// and g_a, computes the key and sends `set_client_DH_params`.
    ///
    /// # Errors
    /// Nonce mismatches, a bad answer hash, an unsafe prime or g_a, `server_DH_params_fail`.
    pub fn handle(
        self,
        now: Instant,
        packet: &[u8],
        rng: &mut impl RngCore,
        out: &mut Vec<u8>,
    ) -> Result<ExpectDhGen, AuthError> {
        let (_, body) = read_plain(packet)?;
        let ok = match tl::<enums::ServerDhParams>(body)? {
            enums::ServerDhParams::Ok(ok) => ok,
            enums::ServerDhParams::Fail(fail) => {
                check_nonces(
                    &fail.nonce,
                    &fail.server_nonce,
                    &self.nonce,
                    &self.server_nonce,
                )?;
                if fail.new_nonce_hash != new_nonce_hash_fail(&self.new_nonce) {
                    return Err(AuthError::NewNonceHashMismatch(0));
                }
                return Err(AuthError::ServerDhParamsFail);
            }
        };
        check_nonces(&ok.nonce, &ok.server_nonce, &self.nonce, &self.server_nonce)?;
        let enums::ServerDhInnerData::ServerDhInnerData(inner) =
            decrypt_with_hash::<enums::ServerDhInnerData>(
                &ok.encrypted_answer,
                &self.new_nonce,
                &self.server_nonce,
            )?;
        check_nonces(
            &inner.nonce,
            &inner.server_nonce,
            &self.nonce,
            &self.server_nonce,
        )?;
        let group = check_prime_and_g_with(&inner.dh_prime, inner.g, rng)?;
        check_g_a(&inner.g_a, &inner.dh_prime)?;
        let local = i64::try_from(now.unix_secs()).unwrap_or(i64::MAX);
        let time_offset = i32::try_from(i64::from(inner.server_time) - local).unwrap_or(0);
        let mut state = ExpectDhGen {
            config: self.config,
            nonce: self.nonce,
            server_nonce: self.server_nonce,
            new_nonce: self.new_nonce,
            group,
            g_a: inner.g_a.into_vec(),
            time_offset,
            auth_key: AuthKey::from_bytes([0; 256]),
            retries: 0,
        };
        state.send_client_dh(now, 0, rng, out)?;
        Ok(state)
    }
}

fn check_nonces(
    nonce: &[u8; 16],
    server_nonce: &[u8; 16],
    ours: &[u8; 16],
    server: &[u8; 16],
) -> Result<(), AuthError> {
    if nonce != ours {
        return Err(AuthError::NonceMismatch("nonce"));
    }
    if server_nonce != server {
        return Err(AuthError::NonceMismatch("server_nonce"));
    }
    Ok(())
}

/// Waiting for `dh_gen_ok` / `dh_gen_retry` / `dh_gen_fail`.
#[derive(Debug)]
pub struct ExpectDhGen {
    config: Config,
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: [u8; 32],
    group: DhParams,
    g_a: Vec<u8>,
    time_offset: i32,
    auth_key: AuthKey,
    retries: u32,
}

/// What `dh_gen_*` led to.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum DhGenOutcome {
    /// `dh_gen_ok`: the key is ready.
    Done(Finished),
    /// `dh_gen_retry`: a new `set_client_DH_params` was appended to `out`.
    Retry(ExpectDhGen),
}

impl ExpectDhGen {
    /// Draws b, computes g_b and the key, and appends `set_client_DH_params`.
    fn send_client_dh(
        &mut self,
        now: Instant,
        retry_id: i64,
        rng: &mut impl RngCore,
        out: &mut Vec<u8>,
    ) -> Result<(), AuthError> {
        let mut b = [0u8; 256];
        // An out-of-range g_b has probability ~2^-63; a bounded loop turns a broken RNG into
        // an error instead of a hang.
        let mut outcome = None;
        for _ in 0..8 {
            rng.fill_bytes(&mut b);
            if let Ok(o) = self.group.exchange(&self.g_a, &b) {
                outcome = Some(o);
                break;
            }
        }
        b.fill(0);
        let outcome = outcome.ok_or(AuthError::Rejected("could not draw a usable b"))?;
        self.auth_key = outcome.auth_key;
        let inner = types::ClientDhInnerData {
            nonce: self.nonce,
            server_nonce: self.server_nonce,
            retry_id,
            g_b: outcome.public.to_vec().into(),
        }
        .to_bytes();
        let encrypted_data = encrypt_with_hash(&inner, &self.new_nonce, &self.server_nonce, rng);
        let set = functions::SetClientDhParams {
            nonce: self.nonce,
            server_nonce: self.server_nonce,
            encrypted_data: encrypted_data.into(),
        };
        write_plain(plain_id(now, IdKind::Client), &set.to_bytes(), out);
        Ok(())
    }

    /// Handles the server's verdict on the key.
    ///
    /// # Errors
    /// Nonce or new_nonce_hash mismatches, `dh_gen_fail`, too many retries.
    pub fn handle(
        mut self,
        now: Instant,
        packet: &[u8],
        rng: &mut impl RngCore,
        out: &mut Vec<u8>,
    ) -> Result<DhGenOutcome, AuthError> {
        let (_, body) = read_plain(packet)?;
        match tl::<enums::SetClientDhParamsAnswer>(body)? {
            enums::SetClientDhParamsAnswer::DhGenOk(ok) => {
                check_nonces(&ok.nonce, &ok.server_nonce, &self.nonce, &self.server_nonce)?;
                if ok.new_nonce_hash1 != new_nonce_hash(&self.new_nonce, 1, &self.auth_key) {
                    return Err(AuthError::NewNonceHashMismatch(1));
                }
                Ok(DhGenOutcome::Done(Finished {
                    auth_key: self.auth_key,
                    time_offset: self.time_offset,
                    first_salt: initial_server_salt(&self.new_nonce, &self.server_nonce),
                    expires_in: self.config.temp_expires_in,
                }))
            }
            enums::SetClientDhParamsAnswer::DhGenRetry(retry) => {
                check_nonces(
                    &retry.nonce,
                    &retry.server_nonce,
                    &self.nonce,
                    &self.server_nonce,
                )?;
                if retry.new_nonce_hash2 != new_nonce_hash(&self.new_nonce, 2, &self.auth_key) {
                    return Err(AuthError::NewNonceHashMismatch(2));
                }
                self.retries += 1;
                if self.retries > self.config.max_retries {
                    return Err(AuthError::TooManyRetries(self.retries - 1));
                }
                // The spec: retry_id is the auth_key_aux_hash of the failed attempt.
                let retry_id = i64::from_le_bytes(self.auth_key.aux_hash());
                self.send_client_dh(now, retry_id, rng, out)?;
                Ok(DhGenOutcome::Retry(self))
            }
            enums::SetClientDhParamsAnswer::DhGenFail(fail) => {
                check_nonces(
                    &fail.nonce,
                    &fail.server_nonce,
                    &self.nonce,
                    &self.server_nonce,
                )?;
                if fail.new_nonce_hash3 != new_nonce_hash(&self.new_nonce, 3, &self.auth_key) {
                    return Err(AuthError::NewNonceHashMismatch(3));
                }
                Err(AuthError::DhGenFail)
            }
        }
    }
}
