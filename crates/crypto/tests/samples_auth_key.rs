//! Reproduces the worked auth-key exchange of
//! core.telegram.org/mtproto/samples-auth_key step by step, from the values
//! recorded in `testdata/samples_auth_key.txt` (both editions of the page).

use std::collections::HashMap;

use sha1::{Digest, Sha1};
use tgwire_crypto::{
    dh, factorize, ige_decrypt, ige_encrypt, tmp_aes_key_iv, AuthKey, Error, RsaPublicKey,
};

fn samples() -> HashMap<String, Vec<u8>> {
    include_str!("../testdata/samples_auth_key.txt")
        .lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line.split_once('=').expect("name = HEX");
            (
                name.trim().to_owned(),
                hex::decode(value.trim()).expect("hex value"),
            )
        })
        .collect()
}

fn get<const N: usize>(s: &HashMap<String, Vec<u8>>, name: &str) -> [u8; N] {
    s[name]
        .as_slice()
        .try_into()
        .unwrap_or_else(|_| panic!("{name} is not {N} bytes"))
}

fn be_u64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0, |acc, &b| (acc << 8) | u64::from(b))
}

/// Telegram's key with fingerprint 0xc3b42b026ce86b21, used by edition 1.
const TELEGRAM_OLD_KEY: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAwVACPi9w23mF3tBkdZz+zwrzKOaaQdr01vAbU4E1pvkfj4sqDsm6
lyDONS789sVoD/xCS9Y0hkkC3gtL1tSfTlgCMOOul9lcixlEKzwKENj1Yz/s7daS
an9tqw3bfUV/nqgbhGX81v/+7RFAEd+RwFnK7a+XYl9sluzHRyVVaTTveB2GazTw
Efzk2DWgkBluml8OREmvfraX3bkHZJTKX4EQSjBbbdJ2ZXIsRrYOXfaA+xayEGB+
8hdlLmAjbCVfaigxX0CDqWeR1yFL9kwd9P0NsZRPsmoqVwMbMu7mStFai6aIhc3n
Slv8kg9qv1m6XHVQY3PnEw+QQtqSIXklHwIDAQAB
-----END RSA PUBLIC KEY-----
";

/// Serialises a TL `bytes` of fewer than 254 bytes.
fn tl_short_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.push(b.len() as u8);
    out.extend_from_slice(b);
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

/// Checks `SHA1(answer) ‖ answer ‖ padding` and returns `answer`.
fn strip_hash(decrypted: &[u8], answer_len: usize) -> &[u8] {
    let answer = &decrypted[20..20 + answer_len];
    assert_eq!(Sha1::digest(answer)[..], decrypted[..20], "answer hash");
    assert!(
        decrypted.len() - 20 - answer_len < 16,
        "at most 15 padding bytes"
    );
    answer
}

#[test]
fn edition1_pq_inner_data_and_rsa() {
    let s = samples();
    // Step 3: pq = p × q.
    let (p, q) = factorize(be_u64(&s["v1.pq"])).unwrap();
    assert_eq!((p, q), (be_u64(&s["v1.p"]), be_u64(&s["v1.q"])));

    // Step 4: p_q_inner_data and its SHA1.
    let mut inner = 0x83c9_5aecu32.to_le_bytes().to_vec();
    tl_short_bytes(&mut inner, &s["v1.pq"]);
    tl_short_bytes(&mut inner, &(p as u32).to_be_bytes());
    tl_short_bytes(&mut inner, &(q as u32).to_be_bytes());
    inner.extend_from_slice(&s["v1.nonce"]);
    inner.extend_from_slice(&s["v1.server_nonce"]);
    inner.extend_from_slice(&s["v1.new_nonce"]);
    assert_eq!(inner, s["v1.p_q_inner_data"]);
    assert_eq!(Sha1::digest(&inner)[..], s["v1.p_q_inner_data_sha1"][..]);

    // The server's key and its fingerprint as listed in resPQ.
    let key = RsaPublicKey::from_pkcs1_pem(TELEGRAM_OLD_KEY).unwrap();
    assert_eq!(
        key.fingerprint().to_le_bytes()[..],
        s["v1.fingerprint_le"][..]
    );

    // Old padding with explicit random bytes reproduces the recorded RSA result.
    let data_with_hash = &s["v1.data_with_hash"];
    assert_eq!(data_with_hash[..20], s["v1.p_q_inner_data_sha1"][..]);
    assert_eq!(data_with_hash[20..116], inner[..]);
    let encrypted = key
        .encrypt_old_padding_with(&inner, &data_with_hash[116..])
        .unwrap();
    assert_eq!(encrypted[..], s["v1.data_with_hash_rsa"][..]);

    // The page's own encrypted_data was made with unpublished random bytes;
    // it is at least a well-formed ciphertext for this key (256 bytes < n).
    let page = &s["v1.encrypted_data"];
    assert_eq!(page.len(), 256);
    assert!(page[..] < key.modulus()[..]);
}

#[test]
fn edition1_server_dh_params_and_auth_key() {
    let s = samples();
    let new_nonce: [u8; 32] = get(&s, "v1.new_nonce");
    let server_nonce: [u8; 16] = get(&s, "v1.server_nonce");

    // Step 5: tmp_aes_key / tmp_aes_iv.
    let (key, iv) = tmp_aes_key_iv(&new_nonce, &server_nonce);
    assert_eq!(key, get::<32>(&s, "v1.tmp_aes_key"));
    assert_eq!(iv, get::<32>(&s, "v1.tmp_aes_iv"));

    // encrypted_answer decrypts to SHA1(answer) ‖ answer ‖ padding …
    let mut buf = s["v1.encrypted_answer"].clone();
    ige_decrypt(&mut buf, &key, &iv).unwrap();
    let answer = strip_hash(&buf, s["v1.answer"].len()).to_vec();
    assert_eq!(answer, s["v1.answer"]);
    // … and encrypting it again gives the server's bytes (an AES-256-IGE
    // encryption vector of 592 bytes).
    ige_encrypt(&mut buf, &key, &iv).unwrap();
    assert_eq!(buf, s["v1.encrypted_answer"]);

    // server_DH_inner_data: constructor, nonces, g, dh_prime, g_a, server_time.
    assert_eq!(answer[..4], 0xb589_0dbau32.to_le_bytes());
    assert_eq!(answer[4..20], s["v1.nonce"][..]);
    assert_eq!(answer[20..36], server_nonce);
    assert_eq!(answer[36..40], 2i32.to_le_bytes());
    assert_eq!(answer[40..44], [0xfe, 0, 1, 0]);
    let dh_prime = &answer[44..300];
    assert_eq!(answer[300..304], [0xfe, 0, 1, 0]);
    let g_a = &answer[304..560];
    assert_eq!(dh_prime, &s["v1.dh_prime"][..]);
    assert_eq!(dh_prime, &dh::TELEGRAM_DH_PRIME[..]);
    assert_eq!(g_a, &s["v1.g_a"][..]);

    // This edition predates the generator rule: 2 is not a quadratic residue
    // modulo Telegram's prime (p ≡ 3 mod 8), and the check says so.
    assert_eq!(
        dh::check_prime_and_g(dh_prime, 2).unwrap_err(),
        Error::BadDhGenerator { g: 2 }
    );
    dh::check_g_a(g_a, dh_prime).unwrap();

    // Step 6: g_b = g^b and auth_key = g_a^b with the page's b.
    let b = &s["v1.b"];
    let g_b = dh::mod_pow(&[2], b, dh_prime).unwrap();
    assert_eq!(g_b, s["v1.g_b"]);
    dh::check_g_a(&g_b, dh_prime).unwrap();
    let auth_key = dh::mod_pow(g_a, b, dh_prime).unwrap();
    assert_eq!(auth_key, s["v1.auth_key"]);

    // set_client_DH_params.encrypted_data: SHA1 ‖ client_DH_inner_data ‖ padding.
    let mut client = s["v1.encrypted_client_dh"].clone();
    ige_decrypt(&mut client, &key, &iv).unwrap();
    let mut inner = 0x6643_b654u32.to_le_bytes().to_vec();
    inner.extend_from_slice(&s["v1.nonce"]);
    inner.extend_from_slice(&server_nonce);
    inner.extend_from_slice(&0i64.to_le_bytes()); // retry_id
    inner.extend_from_slice(&[0xfe, 0, 1, 0]);
    inner.extend_from_slice(&g_b);
    assert_eq!(strip_hash(&client, inner.len()), &inner[..]);
    ige_encrypt(&mut client, &key, &iv).unwrap();
    assert_eq!(client, s["v1.encrypted_client_dh"]);

    let auth_key = AuthKey::from_bytes(auth_key.try_into().unwrap());
    let digest = Sha1::digest(auth_key.as_bytes());
    assert_eq!(auth_key.id().to_le_bytes()[..], digest[12..]);
}

#[test]
fn edition2_server_dh_params_and_auth_key_id() {
    let s = samples();
    let new_nonce: [u8; 32] = get(&s, "v2.new_nonce");
    let server_nonce: [u8; 16] = get(&s, "v2.server_nonce");

    let pq = be_u64(&s["v2.pq"]);
    let (p, q) = factorize(pq).unwrap();
    assert!(p < q && p * q == pq);

    let (key, iv) = tmp_aes_key_iv(&new_nonce, &server_nonce);
    assert_eq!(key, get::<32>(&s, "v2.tmp_aes_key"));
    assert_eq!(iv, get::<32>(&s, "v2.tmp_aes_iv"));

    let mut buf = s["v2.encrypted_answer"].clone();
    ige_decrypt(&mut buf, &key, &iv).unwrap();
    // server_DH_inner_data has the same fixed layout as in edition 1.
    let answer = strip_hash(&buf, 564);
    assert_eq!(answer[..4], 0xb589_0dbau32.to_le_bytes());
    assert_eq!(answer[4..20], s["v2.nonce"][..]);
    assert_eq!(answer[20..36], server_nonce);
    assert_eq!(answer[36..40], 3i32.to_le_bytes());
    let dh_prime = &answer[44..300];
    let g_a = &answer[304..560];
    assert_eq!(g_a[..8], s["v2.g_a_prefix"][..]);

    // g = 3 satisfies p mod 3 = 2: the full check passes (fast path).
    let params = dh::check_prime_and_g(dh_prime, 3).unwrap();
    assert_eq!(params.g(), 3);
    dh::check_g_a(g_a, dh_prime).unwrap();

    let auth_key = AuthKey::from_bytes(get(&s, "v2.auth_key"));
    assert_eq!(
        auth_key.id().to_le_bytes(),
        get::<8>(&s, "v2.auth_key_id_le")
    );
}
