//! The auth-key exchange: the spec's published sample replayed byte for byte, and client ↔
//! server exchanges over every padding and inner-data variant, retry and failure.

use std::collections::{HashMap, VecDeque};

use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use tgwire_crypto::rsa::{RsaPrivateKey, RsaPublicKey};

use super::client::{self, DhGenOutcome, RsaPadding};
use super::server;
use crate::error::AuthError;
use crate::time::Instant;

fn sample() -> HashMap<String, Vec<u8>> {
    include_str!("../../testdata/samples_auth_key.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let hex: String = v.chars().filter(|c| !c.is_whitespace()).collect();
            (k.trim().to_owned(), hex::decode(hex).expect("sample hex"))
        })
        .map(|(k, mut v): (String, Vec<u8>)| {
            // The published server packets carry message_length values that disagree with
            // their own bodies (resPQ says 168 for 80 bytes, server_DH_params_ok 708 for 632,
            // dh_gen_ok 116 for 52); we are strict about lengths, so the field is corrected.
            let published = match k.as_str() {
                "res_pq" => Some(168),
                "server_dh_params_ok" => Some(708),
                "dh_gen_ok" => Some(116),
                _ => None,
            };
            if let Some(published) = published {
                assert_eq!(v[16..20], u32::to_le_bytes(published));
                let actual = (v.len() - 20) as u32;
                v[16..20].copy_from_slice(&actual.to_le_bytes());
            }
            (k, v)
        })
        .collect()
}

/// Replays chosen byte strings for fills of exactly their length, in order, and falls back to
/// a seeded generator for every other fill (RSA padding and temp keys, whose values the
/// sample does not publish).
struct ScriptedRng {
    script: VecDeque<Vec<u8>>,
    fallback: StdRng,
}

impl RngCore for ScriptedRng {
    fn next_u32(&mut self) -> u32 {
        self.fallback.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.fallback.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        match self.script.front() {
            Some(next) if next.len() == dest.len() => {
                dest.copy_from_slice(next);
                self.script.pop_front();
            }
            _ => self.fallback.fill_bytes(dest),
        }
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}

fn telegram_old_key() -> RsaPublicKey {
    RsaPublicKey::from_pkcs1_pem(include_str!("../../testdata/telegram_old_key.pem")).unwrap()
}

#[test]
fn spec_sample_is_reproduced_on_the_client() {
    let s = sample();
    let mut rng = ScriptedRng {
        script: [
            &s["nonce"],
            &s["new_nonce"],
            &s["b"],
            &s["client_dh_padding"],
        ]
        .into_iter()
        .cloned()
        .collect(),
        fallback: StdRng::seed_from_u64(0),
    };
    // The sample's server_time, so the clock correction comes out as 0.
    let now = Instant::from_unix_secs(0x65C5_3D51);
    // The sample picks the key 85FD64DE851D9DD0; it also lists Telegram's old key
    // (216BE86C022BB4C3), whose public half we have. RSA output is random either way.
    let key = telegram_old_key();
    assert_eq!(
        key.fingerprint().to_le_bytes(),
        [0x21, 0x6B, 0xE8, 0x6C, 0x02, 0x2B, 0xB4, 0xC3]
    );
    let config = client::Config::new(vec![key], 2);

    let mut out = Vec::new();
    let state = client::start(config.clone(), now, &mut rng, &mut out);
    // auth_key_id 0, a client msg_id, length 20, then req_pq_multi with the sample's nonce.
    assert_eq!(out[..8], [0; 8]);
    assert_eq!(i64::from_le_bytes(out[8..16].try_into().unwrap()) & 3, 0);
    assert_eq!(out[16..], s["req_pq_multi"][16..]);

    out.clear();
    let state = state.handle(now, &s["res_pq"], &mut rng, &mut out).unwrap();
    // req_DH_params: constructor, nonce, server_nonce, p, q as in the sample.
    let body = &out[20..];
    assert_eq!(body[..4], 0xd712e4be_u32.to_le_bytes());
    assert_eq!(body[4..20], s["nonce"][..]);
    assert_eq!(body[20..36], s["server_nonce"][..]);
    assert_eq!(
        body[36..52],
        hex::decode("045A300D4B000000046A26DB65000000").unwrap()[..]
    );
    assert_eq!(
        i64::from_le_bytes(body[52..60].try_into().unwrap()),
        telegram_old_key().fingerprint()
    );
    // The RSA-wrapped payload is the sample's p_q_inner_data_dc, byte for byte.
    let inner = client::p_q_inner_data(
        &config,
        &hex::decode("256595EDB7766797").unwrap(),
        1_513_098_571,
        1_780_931_429,
        s["nonce"][..].try_into().unwrap(),
        s["server_nonce"][..].try_into().unwrap(),
        s["new_nonce"][..].try_into().unwrap(),
    );
    assert_eq!(inner, s["p_q_inner_data_dc"]);

    out.clear();
    let state = state
        .handle(now, &s["server_dh_params_ok"], &mut rng, &mut out)
        .unwrap();
    // set_client_DH_params is fully determined by b and the padding: identical to the sample.
    assert_eq!(out[..8], s["set_client_dh_params"][..8]);
    assert_eq!(out[16..], s["set_client_dh_params"][16..]);

    out.clear();
    let DhGenOutcome::Done(done) = state
        .handle(now, &s["dh_gen_ok"], &mut rng, &mut out)
        .unwrap()
    else {
        panic!("dh_gen_ok must finish the exchange")
    };
    assert_eq!(done.auth_key.as_bytes()[..], s["auth_key"][..]);
    assert_eq!(done.time_offset, 0);
    assert!(out.is_empty());
}

#[test]
fn spec_sample_checks_reject_tampering() {
    let s = sample();
    let fresh_rng = || ScriptedRng {
        script: [
            &s["nonce"],
            &s["new_nonce"],
            &s["b"],
            &s["client_dh_padding"],
        ]
        .into_iter()
        .cloned()
        .collect(),
        fallback: StdRng::seed_from_u64(0),
    };
    let now = Instant::from_unix_secs(0x65C5_3D51);
    let config = client::Config::new(vec![telegram_old_key()], 2);
    let run_to_dh = |rng: &mut ScriptedRng| {
        let mut out = Vec::new();
        let st = client::start(config.clone(), now, rng, &mut out);
        st.handle(now, &s["res_pq"], rng, &mut out).unwrap()
    };
    // A flipped bit inside the encrypted answer breaks the SHA1 check.
    let mut rng = fresh_rng();
    let st = run_to_dh(&mut rng);
    let mut bad = s["server_dh_params_ok"].clone();
    bad[100] ^= 1;
    assert!(matches!(
        st.handle(now, &bad, &mut rng, &mut Vec::new()),
        Err(AuthError::AnswerHashMismatch | AuthError::Tl(_))
    ));
    // A wrong server_nonce in the envelope.
    let mut rng = fresh_rng();
    let st = run_to_dh(&mut rng);
    let mut bad = s["server_dh_params_ok"].clone();
    bad[40] ^= 1;
    assert_eq!(
        st.handle(now, &bad, &mut rng, &mut Vec::new()).unwrap_err(),
        AuthError::NonceMismatch("server_nonce")
    );
    // A forged dh_gen_ok hash.
    let mut rng = fresh_rng();
    let st = run_to_dh(&mut rng)
        .handle(now, &s["server_dh_params_ok"], &mut rng, &mut Vec::new())
        .unwrap();
    let mut bad = s["dh_gen_ok"].clone();
    bad[60] ^= 1;
    assert_eq!(
        st.handle(now, &bad, &mut rng, &mut Vec::new()).unwrap_err(),
        AuthError::NewNonceHashMismatch(1)
    );
    // A wrong nonce in resPQ.
    let mut rng = fresh_rng();
    let mut out = Vec::new();
    let st = client::start(config.clone(), now, &mut rng, &mut out);
    let mut bad = s["res_pq"].clone();
    bad[30] ^= 1;
    assert_eq!(
        st.handle(now, &bad, &mut rng, &mut out).unwrap_err(),
        AuthError::NonceMismatch("nonce")
    );
    // No known key.
    let mut rng = fresh_rng();
    let st = client::start(client::Config::new(vec![], 2), now, &mut rng, &mut out);
    assert!(matches!(
        st.handle(now, &s["res_pq"], &mut rng, &mut out),
        Err(AuthError::UnknownFingerprint(_))
    ));
}

fn server_key() -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs1_pem(include_str!("../../testdata/test_rsa_key.pem")).unwrap()
}

/// Runs a whole exchange between the two roles; the server answers the first `retries`
/// attempts with dh_gen_retry.
fn exchange(
    config: client::Config,
    retries: usize,
    seed: u64,
) -> Result<(client::Finished, server::Finished), AuthError> {
    let mut crng = StdRng::seed_from_u64(seed);
    let mut srng = StdRng::seed_from_u64(seed + 1000);
    let now = Instant::from_unix_secs(1_700_000_000);
    let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
    let c = client::start(config, now, &mut crng, &mut to_server);
    let s = server::ExpectReqPq::new(server::Config {
        keys: vec![server_key()],
    });
    let s = s.handle(now, &to_server, &mut srng, &mut to_client)?;
    to_server.clear();
    let c = c.handle(now, &to_client, &mut crng, &mut to_server)?;
    to_client.clear();
    let mut s = s.handle(now, &to_server, &mut srng, &mut to_client)?;
    to_server.clear();
    let mut c = c.handle(now, &to_client, &mut crng, &mut to_server)?;
    let mut retried = 0;
    loop {
        to_client.clear();
        let decision = s.handle(&to_server)?;
        to_server.clear();
        if retried < retries {
            retried += 1;
            s = decision.retry(now, &mut to_client);
            match c.handle(now, &to_client, &mut crng, &mut to_server)? {
                DhGenOutcome::Retry(next) => c = next,
                DhGenOutcome::Done(_) => panic!("retry must not finish"),
            }
            continue;
        }
        let server_done = decision.accept(now, &mut to_client);
        match c.handle(now, &to_client, &mut crng, &mut to_server)? {
            DhGenOutcome::Done(client_done) => return Ok((client_done, server_done)),
            DhGenOutcome::Retry(_) => panic!("ok must finish"),
        }
    }
}

#[test]
fn both_paddings_and_all_inner_data_variants() {
    let key = server_key().public_key().clone();
    let mut seed = 1;
    for padding in [RsaPadding::RsaPad, RsaPadding::Old] {
        for (dc_id, temp) in [
            (None, None),
            (Some(2), None),
            (None, Some(3600)),
            (Some(-10002), Some(86400)),
        ] {
            for multi in [true, false] {
                let config = client::Config {
                    keys: vec![key.clone()],
                    dc_id,
                    temp_expires_in: temp,
                    padding,
                    req_pq_multi: multi,
                    max_retries: 5,
                };
                seed += 1;
                let (c, s) = exchange(config, 0, seed).unwrap();
                assert_eq!(c.auth_key.as_bytes(), s.auth_key.as_bytes());
                assert_eq!(c.first_salt, s.first_salt);
                assert_eq!(c.expires_in, temp);
                assert_eq!(
                    s.request,
                    server::ClientRequest {
                        dc_id,
                        expires_in: temp,
                        old_padding: padding == RsaPadding::Old
                    }
                );
                assert_eq!(c.time_offset, 0);
            }
        }
    }
}

#[test]
fn dh_gen_retry_then_ok_and_retry_limit() {
    let key = server_key().public_key().clone();
    let (c, s) = exchange(client::Config::new(vec![key.clone()], 2), 2, 77).unwrap();
    assert_eq!(c.auth_key.as_bytes(), s.auth_key.as_bytes());
    let config = client::Config {
        max_retries: 1,
        ..client::Config::new(vec![key], 2)
    };
    assert_eq!(
        exchange(config, 2, 78).unwrap_err(),
        AuthError::TooManyRetries(1)
    );
}

#[test]
fn dh_gen_fail_is_an_error() {
    let key = server_key().public_key().clone();
    let mut crng = StdRng::seed_from_u64(5);
    let mut srng = StdRng::seed_from_u64(6);
    let now = Instant::from_unix_secs(1_700_000_000);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let c = client::start(client::Config::new(vec![key], 2), now, &mut crng, &mut a);
    let s = server::ExpectReqPq::new(server::Config {
        keys: vec![server_key()],
    })
    .handle(now, &a, &mut srng, &mut b)
    .unwrap();
    a.clear();
    let c = c.handle(now, &b, &mut crng, &mut a).unwrap();
    b.clear();
    let s = s.handle(now, &a, &mut srng, &mut b).unwrap();
    a.clear();
    let c = c.handle(now, &b, &mut crng, &mut a).unwrap();
    b.clear();
    s.handle(&a).unwrap().fail(now, &mut b);
    assert_eq!(
        c.handle(now, &b, &mut crng, &mut Vec::new()).unwrap_err(),
        AuthError::DhGenFail
    );
}

#[test]
fn server_rejects_wrong_factors_and_garbage() {
    let mut srng = StdRng::seed_from_u64(9);
    let now = Instant::from_unix_secs(1_700_000_000);
    let s = server::ExpectReqPq::new(server::Config {
        keys: vec![server_key()],
    });
    assert!(s.handle(now, &[0; 40], &mut srng, &mut Vec::new()).is_err());
    // pq really is a product of two primes below 2^32 with p < q.
    let mut crng = StdRng::seed_from_u64(10);
    let mut a = Vec::new();
    let mut b = Vec::new();
    client::start(client::Config::new(vec![], 2), now, &mut crng, &mut a);
    let s = server::ExpectReqPq::new(server::Config {
        keys: vec![server_key()],
    });
    let st = s.handle(now, &a, &mut srng, &mut b).unwrap();
    let (_, body) = super::read_plain(&b).unwrap();
    let res =
        <tgwire_tl_types::mtproto::types::ResPq as tgwire_tl_types::Deserializable>::from_bytes(
            body,
        )
        .unwrap();
    let pq = super::from_be(&res.pq).unwrap();
    let (p, q) = tgwire_crypto::factorize(pq).unwrap();
    assert!(p < q && q < 1 << 32 && p > 1 << 31);
    // A client claiming other factors is refused.
    let req = tgwire_tl_types::mtproto::functions::ReqDhParams {
        nonce: res.nonce,
        server_nonce: res.server_nonce,
        p: super::be_bytes(p + 2).into(),
        q: super::be_bytes(q).into(),
        public_key_fingerprint: res.server_public_key_fingerprints[0],
        encrypted_data: vec![0; 256].into(),
    };
    let mut packet = Vec::new();
    super::write_plain(
        crate::MsgId(4),
        &tgwire_tl_types::Serializable::to_bytes(&req),
        &mut packet,
    );
    assert!(matches!(
        st.handle(now, &packet, &mut srng, &mut Vec::new()),
        Err(AuthError::Rejected(_))
    ));
}

#[test]
fn server_pq_always_fits_a_signed_64_bit_integer() {
    // Drawn both factors freely from [2^31, 2^32), pq would reach 2^63 or more about 60% of
    // the time; clients that read it signed (Telethon) then fail.
    let now = Instant::from_unix_secs(1_700_000_000);
    let mut srng = StdRng::seed_from_u64(21);
    let mut crng = StdRng::seed_from_u64(22);
    for _ in 0..200 {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        client::start(client::Config::new(vec![], 2), now, &mut crng, &mut a);
        server::ExpectReqPq::new(server::Config {
            keys: vec![server_key()],
        })
        .handle(now, &a, &mut srng, &mut b)
        .unwrap();
        let (_, body) = super::read_plain(&b).unwrap();
        let res =
            <tgwire_tl_types::mtproto::types::ResPq as tgwire_tl_types::Deserializable>::from_bytes(
                body,
            )
            .unwrap();
        let pq = super::from_be(&res.pq).unwrap();
        assert!(pq < 1 << 63, "pq {pq:#x}");
        let (p, q) = tgwire_crypto::factorize(pq).unwrap();
        assert!(p > 1 << 31 && q < 1 << 32);
    }
}
