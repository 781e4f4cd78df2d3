//! The server's side of the auth-key exchange, for the test server.

use rand::{Rng, RngCore};
use tgwire_crypto::dh::{check_prime_and_g_with, DhParams, TELEGRAM_DH_PRIME};
use tgwire_crypto::rsa::RsaPrivateKey;
use tgwire_crypto::{initial_server_salt, new_nonce_hash, AuthKey};
use tgwire_tl_types::mtproto::{enums, functions, types};
use tgwire_tl_types::{Deserializable, Serializable};

use super::{
    be_bytes, decrypt_with_hash, encrypt_with_hash, from_be, plain_id, read_plain, tl, write_plain,
};
use crate::error::AuthError;
use crate::msg_id::IdKind;
use crate::service::constructor;
use crate::time::Instant;

/// The server's keys.
#[derive(Clone)]
pub struct Config {
    /// RSA keys offered in `resPQ` (fingerprints listed in this order).
    pub keys: Vec<RsaPrivateKey>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let fps: Vec<i64> = self
            .keys
            .iter()
            .map(|k| k.public_key().fingerprint())
            .collect();
        f.debug_struct("Config")
            .field("fingerprints", &fps)
            .finish()
    }
}

/// What the client sent in `p_q_inner_data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientRequest {
    /// The DC the client targets (`_dc` variants).
    pub dc_id: Option<i32>,
    /// Temporary key lifetime (`_temp` variants).
    pub expires_in: Option<i32>,
    /// Whether the client used the old SHA1 RSA padding rather than RSA_PAD.
    pub old_padding: bool,
}

/// The server's result.
#[derive(Clone, Debug)]
pub struct Finished {
    /// The new authorization key.
    pub auth_key: AuthKey,
    /// The first server salt both sides derive.
    pub first_salt: i64,
    /// What the client asked for.
    pub request: ClientRequest,
}

/// The first state: waiting for `req_pq` / `req_pq_multi`.
#[derive(Debug)]
pub struct ExpectReqPq {
    config: Config,
}

impl ExpectReqPq {
    /// A fresh exchange.
    pub fn new(config: Config) -> Self {
        Self { config }
    }

    /// Handles `req_pq_multi` or `req_pq`: picks pq as the product of two primes below 2^32,
    /// itself below 2^63, and answers `resPQ`.
    ///
    /// # Errors
    /// Anything but those two queries.
    pub fn handle(
        self,
        now: Instant,
        packet: &[u8],
        rng: &mut impl RngCore,
        out: &mut Vec<u8>,
    ) -> Result<ExpectReqDhParams, AuthError> {
        let (_, body) = read_plain(packet)?;
        let nonce = match constructor(body) {
            Some(<functions::ReqPqMulti as tgwire_tl_types::Identifiable>::CONSTRUCTOR_ID) => {
                tl::<functions::ReqPqMulti>(body)?.nonce
            }
            Some(<functions::ReqPq as tgwire_tl_types::Identifiable>::CONSTRUCTOR_ID) => {
                tl::<functions::ReqPq>(body)?.nonce
            }
            _ => return Err(AuthError::Rejected("expected req_pq_multi or req_pq")),
        };
        let mut server_nonce = [0; 16];
        rng.fill_bytes(&mut server_nonce);
        let (p, q) = (random_prime(rng), random_prime(rng));
        let (p, q) = if p < q { (p, q) } else { (q, p) };
        let pq = p * q;
        let res = types::ResPq {
            nonce,
            server_nonce,
            pq: be_bytes(pq).into(),
            server_public_key_fingerprints: self
                .config
                .keys
                .iter()
                .map(|k| k.public_key().fingerprint())
                .collect(),
        };
        write_plain(
            plain_id(now, IdKind::ServerResponse),
            &enums::ResPq::from(res).to_bytes(),
            out,
        );
        Ok(ExpectReqDhParams {
            config: self.config,
            nonce,
            server_nonce,
            p,
            q,
        })
    }
}

/// The largest factor of pq: below ⌊√(2^63)⌋, so that pq always fits a signed 64-bit integer
/// as Telegram's does (clients such as Telethon read it signed).
const MAX_FACTOR: u32 = 3_037_000_499;

/// A prime in [2^31, [`MAX_FACTOR`]], as Telegram picks the factors of pq.
fn random_prime(rng: &mut impl RngCore) -> u64 {
    loop {
        let candidate = u64::from(rng.gen_range(1u32 << 31..=MAX_FACTOR) | 1);
        if is_prime(candidate) {
            return candidate;
        }
    }
}

/// Trial division: at most 2^15 odd divisors for numbers below 2^32.
fn is_prime(n: u64) -> bool {
    if n < 2 || n % 2 == 0 {
        return n == 2;
    }
    let mut d = 3;
    while d * d <= n {
        if n % d == 0 {
            return false;
        }
        d += 2;
    }
    true
}

/// Waiting for `req_DH_params`.
#[derive(Debug)]
pub struct ExpectReqDhParams {
    config: Config,
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    p: u64,
    q: u64,
}

impl ExpectReqDhParams {
    /// Handles `req_DH_params`: decrypts `p_q_inner_data` (RSA_PAD or the old padding, any of
    /// the four variants), checks it, and answers `server_DH_params_ok` with Telegram's
    /// 2048-bit prime and g = 3.
    ///
    /// # Errors
    /// Mismatched nonces or factors, an unknown key fingerprint, undecryptable data.
    pub fn handle(
        self,
        now: Instant,
        packet: &[u8],
        rng: &mut impl RngCore,
        out: &mut Vec<u8>,
    ) -> Result<ExpectClientDh, AuthError> {
        let (_, body) = read_plain(packet)?;
        let req = tl::<functions::ReqDhParams>(body)?;
        if req.nonce != self.nonce {
            return Err(AuthError::NonceMismatch("nonce"));
        }
        if req.server_nonce != self.server_nonce {
            return Err(AuthError::NonceMismatch("server_nonce"));
        }
        if from_be(&req.p) != Some(self.p) || from_be(&req.q) != Some(self.q) {
            return Err(AuthError::Rejected("p and q are not the factors of pq"));
        }
        let key = self
            .config
            .keys
            .iter()
            .find(|k| k.public_key().fingerprint() == req.public_key_fingerprint)
            .ok_or(AuthError::UnknownFingerprint(vec![
                req.public_key_fingerprint,
            ]))?;

        // RSA_PAD carries its own SHA256 check, so trying it first cannot misread old padding.
        let (inner, old_padding) = match key.decrypt_rsa_pad(&req.encrypted_data) {
            Ok(data) => (
                enums::PQInnerData::from_bytes_prefix(&data[..]).map(|(v, _)| v),
                false,
            ),
            Err(_) => {
                let data = key.decrypt_old_padding(&req.encrypted_data)?;
                (enums::PQInnerData::from_bytes(&data[..]), true)
            }
        };
        let inner = inner.map_err(|e| AuthError::Tl(e.to_string()))?;
        let (pq, p, q, nonce, server_nonce, new_nonce, dc_id, expires_in) = match inner {
            enums::PQInnerData::PQInnerData(i) => (
                i.pq,
                i.p,
                i.q,
                i.nonce,
                i.server_nonce,
                i.new_nonce,
                None,
                None,
            ),
            enums::PQInnerData::Dc(i) => (
                i.pq,
                i.p,
                i.q,
                i.nonce,
                i.server_nonce,
                i.new_nonce,
                Some(i.dc),
                None,
            ),
            enums::PQInnerData::Temp(i) => (
                i.pq,
                i.p,
                i.q,
                i.nonce,
                i.server_nonce,
                i.new_nonce,
                None,
                Some(i.expires_in),
            ),
            enums::PQInnerData::TempDc(i) => (
                i.pq,
                i.p,
                i.q,
                i.nonce,
                i.server_nonce,
                i.new_nonce,
                Some(i.dc),
                Some(i.expires_in),
            ),
        };
        if nonce != self.nonce || server_nonce != self.server_nonce {
            return Err(AuthError::NonceMismatch("nonce inside p_q_inner_data"));
        }
        if from_be(&pq) != Some(self.p * self.q)
            || from_be(&p) != Some(self.p)
            || from_be(&q) != Some(self.q)
        {
            return Err(AuthError::Rejected("p_q_inner_data disagrees with resPQ"));
        }
        let group = check_prime_and_g_with(&TELEGRAM_DH_PRIME, 3, rng)?;
        let mut state = ExpectClientDh {
            nonce,
            server_nonce,
            new_nonce,
            group,
            a: [0; 256],
            g_a: [0; 256],
            request: ClientRequest {
                dc_id,
                expires_in,
                old_padding,
            },
            last_aux_hash: None,
        };
        state.send_server_dh(now, rng, out)?;
        Ok(state)
    }
}

/// Waiting for `set_client_DH_params`.
pub struct ExpectClientDh {
    nonce: [u8; 16],
    server_nonce: [u8; 16],
    new_nonce: [u8; 32],
    group: DhParams,
    a: [u8; 256],
    g_a: [u8; 256],
    request: ClientRequest,
    /// The aux hash of the key of the attempt we answered `dh_gen_retry` to.
    last_aux_hash: Option<[u8; 8]>,
}

impl std::fmt::Debug for ExpectClientDh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExpectClientDh")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl Drop for ExpectClientDh {
    fn drop(&mut self) {
        self.a.fill(0);
    }
}

impl ExpectClientDh {
    fn send_server_dh(
        &mut self,
        now: Instant,
        rng: &mut impl RngCore,
        out: &mut Vec<u8>,
    ) -> Result<(), AuthError> {
        let mut ok = false;
        for _ in 0..8 {
            rng.fill_bytes(&mut self.a);
            if let Ok(g_a) = self.group.public_value(&self.a) {
                self.g_a = g_a;
                ok = true;
                break;
            }
        }
        if !ok {
            return Err(AuthError::Rejected("could not draw a usable a"));
        }
        let server_time = i32::try_from(now.unix_secs()).unwrap_or(i32::MAX);
        let inner = enums::ServerDhInnerData::from(types::ServerDhInnerData {
            nonce: self.nonce,
            server_nonce: self.server_nonce,
            g: self.group.g(),
            dh_prime: self.group.prime().to_vec().into(),
            g_a: self.g_a.to_vec().into(),
            server_time,
        })
        .to_bytes();
        let encrypted_answer = encrypt_with_hash(&inner, &self.new_nonce, &self.server_nonce, rng);
        let ok = types::ServerDhParamsOk {
            nonce: self.nonce,
            server_nonce: self.server_nonce,
            encrypted_answer: encrypted_answer.into(),
        };
        write_plain(
            plain_id(now, IdKind::ServerResponse),
            &enums::ServerDhParams::from(ok).to_bytes(),
            out,
        );
        Ok(())
    }

    /// Handles `set_client_DH_params`: decrypts and checks `client_DH_inner_data` (hash,
    /// nonces, g_b range, retry_id) and computes the key. The owner then decides with the
    /// returned [`Decision`] (e.g. refusing a key whose id collides with an existing one).
    ///
    /// # Errors
    /// Mismatched nonces, a bad hash, g_b out of range, a wrong retry_id.
    pub fn handle(self, packet: &[u8]) -> Result<Decision, AuthError> {
        let (_, body) = read_plain(packet)?;
        let set = tl::<functions::SetClientDhParams>(body)?;
        if set.nonce != self.nonce || set.server_nonce != self.server_nonce {
            return Err(AuthError::NonceMismatch("nonce"));
        }
        let enums::ClientDhInnerData::ClientDhInnerData(inner) =
            decrypt_with_hash::<enums::ClientDhInnerData>(
                &set.encrypted_data,
                &self.new_nonce,
                &self.server_nonce,
            )?;
        if inner.nonce != self.nonce || inner.server_nonce != self.server_nonce {
            return Err(AuthError::NonceMismatch(
                "nonce inside client_DH_inner_data",
            ));
        }
        let expected_retry = self.last_aux_hash.map_or(0, i64::from_le_bytes);
        if inner.retry_id != expected_retry {
            return Err(AuthError::Rejected(
                "retry_id is not the previous key's aux hash",
            ));
        }
        // `a` stays (wiped on drop): after dh_gen_retry the client answers our same g_a.
        let auth_key = self.group.shared_key(&inner.g_b, &self.a)?;
        Ok(Decision {
            state: self,
            auth_key,
        })
    }
}

/// A verified key, waiting for the owner's verdict.
#[derive(Debug)]
pub struct Decision {
    state: ExpectClientDh,
    auth_key: AuthKey,
}

impl Decision {
    /// The key the client computed too (not yet confirmed to it).
    pub fn auth_key(&self) -> &AuthKey {
        &self.auth_key
    }

    /// Answers `dh_gen_ok`.
    pub fn accept(self, now: Instant, out: &mut Vec<u8>) -> Finished {
        let s = &self.state;
        let ok = types::DhGenOk {
            nonce: s.nonce,
            server_nonce: s.server_nonce,
            new_nonce_hash1: new_nonce_hash(&s.new_nonce, 1, &self.auth_key),
        };
        write_plain(
            plain_id(now, IdKind::ServerResponse),
            &enums::SetClientDhParamsAnswer::from(ok).to_bytes(),
            out,
        );
        Finished {
            first_salt: initial_server_salt(&s.new_nonce, &s.server_nonce),
            request: s.request,
            auth_key: self.auth_key,
        }
    }

    /// Answers `dh_gen_retry`: the client keeps our g_a, draws a new b and sends a new g_b
    /// with `retry_id` set to this key's aux hash.
    pub fn retry(self, now: Instant, out: &mut Vec<u8>) -> ExpectClientDh {
        let Decision {
            mut state,
            auth_key,
        } = self;
        let retry = types::DhGenRetry {
            nonce: state.nonce,
            server_nonce: state.server_nonce,
            new_nonce_hash2: new_nonce_hash(&state.new_nonce, 2, &auth_key),
        };
        write_plain(
            plain_id(now, IdKind::ServerResponse),
            &enums::SetClientDhParamsAnswer::from(retry).to_bytes(),
            out,
        );
        state.last_aux_hash = Some(auth_key.aux_hash());
        state
    }

    /// Answers `dh_gen_fail`: the exchange is over.
    pub fn fail(self, now: Instant, out: &mut Vec<u8>) {
        let s = &self.state;
        let fail = types::DhGenFail {
            nonce: s.nonce,
            server_nonce: s.server_nonce,
            new_nonce_hash3: new_nonce_hash(&s.new_nonce, 3, &self.auth_key),
        };
        write_plain(
            plain_id(now, IdKind::ServerResponse),
            &enums::SetClientDhParamsAnswer::from(fail).to_bytes(),
            out,
        );
    }
}
