//! Two-factor authentication: SRP-6a with Telegram's key derivation
//! `passwordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow`, as
//! described on core.telegram.org/api/srp.
//!
//! With `H = SHA256`, `SH(data, salt) = H(salt ‖ data ‖ salt)` and all
//! numbers hashed as 256-byte big-endian strings:
//!
//! ```text
//! PH1(password) = SH(SH(password, salt1), salt2)
//! PH2(password) = SH(PBKDF2-HMAC-SHA512(PH1, salt1, 100000 iterations), salt2)
//! x = PH2 as a number        v = g^x            k = H(p ‖ g)
//! A = g^a                    B = k·v + g^b      u = H(A ‖ B)
//! client: S = (B − k·v)^(a + u·x)       server: S = (A · v^u)^b
//! K = H(S)
//! M1 = H(H(p) XOR H(g) ‖ H(salt1) ‖ H(salt2) ‖ A ‖ B ‖ K)
//! ```
//!
//! The client sends `(srp_id, A, M1)` as `inputCheckPasswordSRP`; the server
//! (tgwire's test server) stores only `v` and recomputes `M1`.

use hmac::Hmac;
use num_bigint::BigUint;
use num_traits::Zero;
use sha2::{Digest, Sha256, Sha512};
use zeroize::{Zeroize, Zeroizing};

use crate::dh::{check_prime_and_g, DhParams};
use crate::Error;

/// PBKDF2 iterations of the only KDF Telegram uses.
pub const PBKDF2_ITERATIONS: u32 = 100_000;

/// What the client sends in `inputCheckPasswordSRP`.
#[derive(Clone, PartialEq, Eq)]
pub struct SrpCheck {
    /// The `srp_id` the server sent with the parameters.
    pub srp_id: i64,
    /// The client's public value `A = g^a mod p`.
    pub a: [u8; 256],
    /// The proof `M1`.
    pub m1: [u8; 32],
}

impl core::fmt::Debug for SrpCheck {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SrpCheck")
            .field("srp_id", &self.srp_id)
            .finish_non_exhaustive()
    }
}

fn sh(data: &[u8], salt: &[u8]) -> [u8; 32] {
    Sha256::new()
        .chain_update(salt)
        .chain_update(data)
        .chain_update(salt)
        .finalize()
        .into()
}

/// `PH2(password, salt1, salt2)`, the 32-byte password hash whose number is `x`.
pub fn password_hash(password: &[u8], salt1: &[u8], salt2: &[u8]) -> Zeroizing<[u8; 32]> {
    let ph1 = Zeroizing::new(sh(&sh(password, salt1), salt2));
    let mut stretched = Zeroizing::new([0u8; 64]);
    // HMAC accepts keys of any length, so PBKDF2 cannot fail here.
    let _ = pbkdf2::pbkdf2::<Hmac<Sha512>>(&ph1[..], salt1, PBKDF2_ITERATIONS, &mut stretched[..]);
    Zeroizing::new(sh(&stretched[..], salt2))
}

fn pad256(x: &BigUint) -> [u8; 256] {
    let bytes = x.to_bytes_be();
    let mut out = [0u8; 256];
    let offset = 256usize.saturating_sub(bytes.len());
    out[offset..].copy_from_slice(&bytes[bytes.len().saturating_sub(256)..]);
    out
}

/// The group and the multiplier `k = H(p ‖ g)`.
struct Group {
    params: DhParams,
    p_bytes: [u8; 256],
    g_bytes: [u8; 256],
    k: BigUint,
}

impl Group {
    fn new(g: i32, p: &[u8]) -> Result<Self, Error> {
        let params = check_prime_and_g(p, g)?;
        let p_bytes = params.prime();
        let g_bytes = pad256(&BigUint::from(params.g() as u32));
        let k = BigUint::from_bytes_be(
            &Sha256::new()
                .chain_update(p_bytes)
                .chain_update(g_bytes)
                .finalize(),
        );
        Ok(Self {
            params,
            p_bytes,
            g_bytes,
            k,
        })
    }

    fn p(&self) -> &BigUint {
        self.params.p()
    }

    fn g(&self) -> BigUint {
        BigUint::from(self.params.g() as u32)
    }

    /// `0 < value < p`, the bound the spec asks of `A` and `B`.
    fn check_public(&self, value: &BigUint, what: &'static str) -> Result<(), Error> {
        if value.is_zero() || value >= self.p() {
            return Err(Error::BadSrpParameter(what));
        }
        Ok(())
    }

    fn u(&self, a: &[u8; 256], b: &[u8; 256]) -> BigUint {
        BigUint::from_bytes_be(&Sha256::new().chain_update(a).chain_update(b).finalize())
    }

    fn m1(
        &self,
        salt1: &[u8],
        salt2: &[u8],
        a: &[u8; 256],
        b: &[u8; 256],
        k_a: &[u8; 32],
    ) -> [u8; 32] {
        let hp = Sha256::digest(self.p_bytes);
        let hg = Sha256::digest(self.g_bytes);
        let mut xor = [0u8; 32];
        for ((x, p), g) in xor.iter_mut().zip(hp.iter()).zip(hg.iter()) {
            *x = p ^ g;
        }
        Sha256::new()
            .chain_update(xor)
            .chain_update(Sha256::digest(salt1))
            .chain_update(Sha256::digest(salt2))
            .chain_update(a)
            .chain_update(b)
            .chain_update(k_a)
            .finalize()
            .into()
    }
}

/// The client's answer to `account.password`: computes `A` and `M1` from the
/// password, the server's parameters (`salt1`, `salt2`, `g`, `p` of the
/// current algo; `srp_B`, `srp_id`) and 256 random bytes for `a`.
///
/// `p` and `g` go through [`check_prime_and_g`]; `B` must satisfy `0 < B < p`;
/// `u` must not be zero.
///
/// # Errors
/// [`Error::BadDhPrime`], [`Error::BadDhGenerator`] or
/// [`Error::BadSrpParameter`] for unusable server parameters.
#[allow(clippy::too_many_arguments)] // mirrors the fields of the TL objects
pub fn compute_check(
    password: &[u8],
    salt1: &[u8],
    salt2: &[u8],
    g: i32,
    p: &[u8],
    srp_b: &[u8],
    srp_id: i64,
    random_a: &[u8; 256],
) -> Result<SrpCheck, Error> {
    let group = Group::new(g, p)?;
    let p = group.p();
    let b = BigUint::from_bytes_be(srp_b);
    group.check_public(&b, "srp_B is not in (0, p)")?;
    let b_bytes = pad256(&b);

    let x = BigUint::from_bytes_be(&password_hash(password, salt1, salt2)[..]);
    let a = BigUint::from_bytes_be(random_a);
    let a_pub = group.g().modpow(&a, p);
    group.check_public(&a_pub, "A is not in (0, p)")?;
    let a_bytes = pad256(&a_pub);

    let u = group.u(&a_bytes, &b_bytes);
    if u.is_zero() {
        return Err(Error::BadSrpParameter("u = H(A ‖ B) is zero"));
    }
    let v = group.g().modpow(&x, p);
    let kv = (&group.k * v) % p;
    let base = (&b + p - kv) % p;
    let s = base.modpow(&(a + u * x), p);
    let mut s_bytes = pad256(&s);
    let k_a: [u8; 32] = Sha256::digest(s_bytes).into();
    s_bytes.zeroize();

    Ok(SrpCheck {
        srp_id,
        a: a_bytes,
        m1: group.m1(salt1, salt2, &a_bytes, &b_bytes, &k_a),
    })
}

/// The server's stored verifier `v = g^x mod p` for a password.
///
/// # Errors
/// [`Error::BadDhPrime`] or [`Error::BadDhGenerator`] for an unusable group.
pub fn make_verifier(
    password: &[u8],
    salt1: &[u8],
    salt2: &[u8],
    g: i32,
    p: &[u8],
) -> Result<[u8; 256], Error> {
    let group = Group::new(g, p)?;
    let x = BigUint::from_bytes_be(&password_hash(password, salt1, salt2)[..]);
    Ok(pad256(&group.g().modpow(&x, group.p())))
}

/// The server's half of one password check: holds the secret `b` and
/// publishes `B` (`srp_B` in `account.password`).
pub struct ServerSession {
    group: Group,
    v: BigUint,
    b_secret: Zeroizing<Vec<u8>>,
    b_public: [u8; 256],
    salt1: Vec<u8>,
    salt2: Vec<u8>,
}

impl core::fmt::Debug for ServerSession {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerSession").finish_non_exhaustive()
    }
}

impl ServerSession {
    /// Starts a check against verifier `v` with 256 random bytes for `b`.
    /// The salts are those of the stored password (they enter `M1`).
    ///
    /// # Errors
    /// [`Error::BadDhPrime`] or [`Error::BadDhGenerator`] for an unusable
    /// group; [`Error::BadSrpParameter`] if `v` is not in `(0, p)`.
    pub fn new(
        v: &[u8],
        salt1: &[u8],
        salt2: &[u8],
        g: i32,
        p: &[u8],
        random_b: &[u8; 256],
    ) -> Result<Self, Error> {
        let group = Group::new(g, p)?;
        let v = BigUint::from_bytes_be(v);
        group.check_public(&v, "verifier is not in (0, p)")?;
        let b = BigUint::from_bytes_be(random_b);
        let big_b = (&group.k * &v + group.g().modpow(&b, group.p())) % group.p();
        group.check_public(&big_b, "B is zero")?;
        Ok(Self {
            b_public: pad256(&big_b),
            group,
            v,
            b_secret: Zeroizing::new(random_b.to_vec()),
            salt1: salt1.to_vec(),
            salt2: salt2.to_vec(),
        })
    }

    /// `srp_B`, to send to the client.
    pub fn public_b(&self) -> &[u8; 256] {
        &self.b_public
    }

    /// Checks the client's `A` and `M1`; `false` for a wrong password or
    /// malformed values. The comparison of `M1` is constant-time.
    pub fn verify(&self, a: &[u8], m1: &[u8]) -> bool {
        let p = self.group.p();
        let a_num = BigUint::from_bytes_be(a);
        if self.group.check_public(&a_num, "A").is_err() {
            return false;
        }
        let a_bytes = pad256(&a_num);
        let u = self.group.u(&a_bytes, &self.b_public);
        let base = (&a_num * self.v.modpow(&u, p)) % p;
        let s = base.modpow(&BigUint::from_bytes_be(&self.b_secret), p);
        let mut s_bytes = pad256(&s);
        let k: [u8; 32] = Sha256::digest(s_bytes).into();
        s_bytes.zeroize();
        let expected = self
            .group
            .m1(&self.salt1, &self.salt2, &a_bytes, &self.b_public, &k);
        crate::ct_eq(&expected, m1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dh::TELEGRAM_DH_PRIME;
    use std::collections::HashMap;

    /// Inputs and outputs derived by the independent Python implementation
    /// `testdata/srp_vector.py`.
    fn vector() -> HashMap<&'static str, Vec<u8>> {
        include_str!("../testdata/srp_vector.txt")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once(" = "))
            .map(|(k, v)| (k, hex::decode(v).unwrap()))
            .collect()
    }

    fn arr256(v: &[u8]) -> [u8; 256] {
        v.try_into().unwrap()
    }

    #[test]
    fn fixed_vector_matches_independent_implementation() {
        let t = vector();
        let (pw, s1, s2) = (&t["password"], &t["salt1"], &t["salt2"]);
        assert_eq!(password_hash(pw, s1, s2)[..], t["x"][..]);

        let v = make_verifier(pw, s1, s2, 3, &TELEGRAM_DH_PRIME).unwrap();
        assert_eq!(v[..], t["v"][..]);

        let server =
            ServerSession::new(&v, s1, s2, 3, &TELEGRAM_DH_PRIME, &arr256(&t["b_secret"])).unwrap();
        assert_eq!(server.public_b()[..], t["srp_B"][..]);

        let check = compute_check(
            pw,
            s1,
            s2,
            3,
            &TELEGRAM_DH_PRIME,
            &t["srp_B"],
            42,
            &arr256(&t["a_secret"]),
        )
        .unwrap();
        assert_eq!(check.srp_id, 42);
        assert_eq!(check.a[..], t["A"][..]);
        assert_eq!(check.m1[..], t["M1"][..]);
        assert!(server.verify(&check.a, &check.m1));
    }

    /// Cross-implementation vector from gotd/td (`internal/crypto/srp/srp_test.go`):
    /// password "123123", a = 1 (so A = g = 3) and a server-chosen srp_B.
    #[test]
    fn gotd_vector() {
        let h = |s: &str| hex::decode(s).unwrap();
        let srp_b = h(concat!(
            "9C52401A6A8084EC82F01C3725D3FB448BD2F0C909F9D97726EAC4B7A74172D9",
            "52F02466BE6734FA274D2B7429E27397F10372D66B400B80A5C5AE3F28B17BF3",
            "105D7A2D2A885998CDC2DEFC208AEC217AB58859A9ABC2374AD93DC285F4B3FB",
            "CAFF4143D7888F2425BD2FB711B25609CEB21757D935B1EF2F042173AD0CE2FE",
            "0E474DAC53914BD25A8A9AED4AEA8953D55CB88621DB37B871EA0D04393AC098",
            "7F68094CCC9DE8239251375D8FFFD263316CD528C097B7BC9FB919FBEDB76C52",
            "5DF3413C374EE076D97A1E6D352BB7CC80FD13651B04B32E2E48C5268150842C",
            "FD07CF855958B1B5EA9C36FDAD697FE3AEC8DCC6B1EFEC36874AF226204676CF",
        ));
        let salt1 =
            h("4D11FB6BEC38F9D2546BB0F61E4F1C99A1BC0DB8F0D5F35B1291B37B213123D7ED48F3C6794D495B");
        let salt2 = h("A1B181AAFE88188680AE32860D60BB01");
        let mut a = [0u8; 256];
        a[255] = 1;
        let check = compute_check(
            b"123123",
            &salt1,
            &salt2,
            3,
            &TELEGRAM_DH_PRIME,
            &srp_b,
            7,
            &a,
        )
        .unwrap();
        let mut three = [0u8; 256];
        three[255] = 3;
        assert_eq!(check.a, three);
        assert_eq!(
            hex::encode_upper(check.m1),
            "999DF906BDA2C6CBB52F503406EBA2D0D0503ACE0CC302C38F13EE5010AD4051"
        );
    }

    #[test]
    fn wrong_password_and_tampering_fail() {
        let (s1, s2) = (b"salt-one-salt-one".as_slice(), b"salt-two".as_slice());
        let v = make_verifier(b"right", s1, s2, 3, &TELEGRAM_DH_PRIME).unwrap();
        let server = ServerSession::new(&v, s1, s2, 3, &TELEGRAM_DH_PRIME, &[0x5a; 256]).unwrap();
        let b = *server.public_b();
        let a = [0x33; 256];

        let good = compute_check(b"right", s1, s2, 3, &TELEGRAM_DH_PRIME, &b, 1, &a).unwrap();
        assert!(server.verify(&good.a, &good.m1));

        let wrong = compute_check(b"wrong", s1, s2, 3, &TELEGRAM_DH_PRIME, &b, 1, &a).unwrap();
        assert_eq!(wrong.a, good.a, "A does not depend on the password");
        assert!(!server.verify(&wrong.a, &wrong.m1));

        let mut m1 = good.m1;
        m1[31] ^= 1;
        assert!(!server.verify(&good.a, &m1));
        assert!(!server.verify(&good.a, &good.m1[..31]));
        assert!(!server.verify(&[0; 256], &good.m1));
        assert!(!server.verify(&TELEGRAM_DH_PRIME, &good.m1)); // A = p
                                                               // A different salt2 (as after a password change) also fails.
        let other =
            compute_check(b"right", s1, b"salt-3", 3, &TELEGRAM_DH_PRIME, &b, 1, &a).unwrap();
        assert!(!server.verify(&other.a, &other.m1));
    }

    #[test]
    fn rejects_bad_server_parameters() {
        let a = [7; 256];
        let p = &TELEGRAM_DH_PRIME;
        assert!(matches!(
            compute_check(b"pw", b"s1", b"s2", 3, p, &[0; 256], 1, &a),
            Err(Error::BadSrpParameter(_))
        ));
        assert!(matches!(
            compute_check(b"pw", b"s1", b"s2", 3, p, p, 1, &a),
            Err(Error::BadSrpParameter(_))
        ));
        assert_eq!(
            compute_check(b"pw", b"s1", b"s2", 2, p, &[9; 256], 1, &a),
            Err(Error::BadDhGenerator { g: 2 })
        );
        assert!(matches!(
            compute_check(b"pw", b"s1", b"s2", 3, &p[..255], &[9; 255], 1, &a),
            Err(Error::BadDhPrime(_))
        ));
        assert!(ServerSession::new(&[0; 256], b"", b"", 3, p, &a).is_err());
    }
}
