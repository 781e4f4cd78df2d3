//! Diffie–Hellman of the auth-key exchange (and the group SRP works in),
//! with every check the spec demands.
//!
//! The client must verify that `dh_prime` is a safe 2048-bit prime, that `g`
//! generates the subgroup of prime order `(p-1)/2`, and that the public
//! values `g_a`, `g_b` lie in `[2^(2048-64), p - 2^(2048-64)]`. Passing the
//! first two checks yields a [`DhParams`], the only way to reach the
//! exponentiations, so they cannot be skipped.

use num_bigint::BigUint;
use num_traits::{One, Zero};
use rand::RngCore;
use zeroize::Zeroizing;

use crate::primes::is_probable_prime;
use crate::{AuthKey, Error};

/// Telegram's standard 2048-bit safe prime, as sent in `server_DH_inner_data`
/// (and `passwordKdfAlgo…ModPow.p`). Value from
/// core.telegram.org/mtproto/samples-auth_key. Recognising it skips the
/// expensive primality test.
pub const TELEGRAM_DH_PRIME: [u8; 256] = hex_256(concat!(
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F",
    "48198A0AA7C14058229493D22530F4DBFA336F6E0AC925139543AED44CCE7C37",
    "20FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64",
    "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4",
    "A4A695811051907E162753B56B0F6B410DBA74D8A84B2A14B3144E0EF1284754",
    "FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4",
    "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F",
    "0D8115F635B105EE2E4E15D04B2454BF6F4FADF034B10403119CD8E3B92FCC5B",
));

const fn hex_256(s: &str) -> [u8; 256] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'A'..=b'F' => c - b'A' + 10,
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a hex digit"),
        }
    }
    let s = s.as_bytes();
    assert!(s.len() == 512);
    let mut out = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        out[i] = (nibble(s[2 * i]) << 4) | nibble(s[2 * i + 1]);
        i += 1;
    }
    out
}

/// Miller–Rabin rounds for an unknown prime; a composite survives with
/// probability below 4^-40.
const MR_ROUNDS: usize = 40;

/// A verified DH group: a safe 2048-bit prime and an acceptable generator.
#[derive(Clone, PartialEq, Eq)]
pub struct DhParams {
    p: BigUint,
    g: u32,
}

impl core::fmt::Debug for DhParams {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("DhParams")
            .field("g", &self.g)
            .field(
                "telegram_prime",
                &(self.p == BigUint::from_bytes_be(&TELEGRAM_DH_PRIME)),
            )
            .finish()
    }
}

/// Checks `dh_prime` and `g` as the spec requires and returns the verified
/// group.
///
/// - `2^2047 < p < 2^2048`, sent as exactly 256 bytes;
/// - `p` and `(p-1)/2` are prime (skipped for [`TELEGRAM_DH_PRIME`]; otherwise
///   trial division and 40 Miller–Rabin rounds each, a fraction of a second);
/// - `g` is in 2..=7 and a quadratic residue mod p, so it generates the
///   subgroup of order `(p-1)/2`: `p mod 8 = 7` for g = 2, `p mod 3 = 2` for
///   g = 3, nothing for g = 4, `p mod 5 ∈ {1, 4}` for g = 5,
///   `p mod 24 ∈ {19, 23}` for g = 6, `p mod 7 ∈ {3, 5, 6}` for g = 7.
///
/// The Miller–Rabin bases come from the thread-local RNG: they cannot change
/// the verdict for a real safe prime, and unpredictable bases are what stops a
/// hostile server from crafting a composite that passes. Use
/// [`check_prime_and_g_with`] to supply the randomness instead.
///
/// # Errors
/// [`Error::BadDhPrime`] or [`Error::BadDhGenerator`].
pub fn check_prime_and_g(dh_prime: &[u8], g: i32) -> Result<DhParams, Error> {
    check_prime_and_g_with(dh_prime, g, &mut rand::thread_rng())
}

/// [`check_prime_and_g`] with the Miller–Rabin bases drawn from `rng`.
///
/// # Errors
/// [`Error::BadDhPrime`] or [`Error::BadDhGenerator`].
pub fn check_prime_and_g_with(
    dh_prime: &[u8],
    g: i32,
    rng: &mut impl RngCore,
) -> Result<DhParams, Error> {
    if dh_prime.len() != 256 || dh_prime[0] & 0x80 == 0 {
        return Err(Error::BadDhPrime("not a 2048-bit number"));
    }
    let p = BigUint::from_bytes_be(dh_prime);
    check_generator(&p, g)?;
    if dh_prime != TELEGRAM_DH_PRIME {
        if !is_probable_prime(&p, MR_ROUNDS, rng) {
            return Err(Error::BadDhPrime("p is not prime"));
        }
        let half = (&p - BigUint::one()) >> 1u32;
        if !is_probable_prime(&half, MR_ROUNDS, rng) {
            return Err(Error::BadDhPrime("(p-1)/2 is not prime"));
        }
    }
    // check_generator accepted only 2..=7, so the cast is exact.
    Ok(DhParams { p, g: g as u32 })
}

fn check_generator(p: &BigUint, g: i32) -> Result<(), Error> {
    let residue = |m: u32| (p % m).iter_u32_digits().next().unwrap_or(0);
    let ok = match g {
        2 => residue(8) == 7,
        3 => residue(3) == 2,
        4 => true,
        5 => matches!(residue(5), 1 | 4),
        6 => matches!(residue(24), 19 | 23),
        7 => matches!(residue(7), 3 | 5 | 6),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(Error::BadDhGenerator { g })
    }
}

/// Checks a DH public value (`g_a` from the server, `g_b` from the client,
/// or SRP's `A`/`B` where the spec asks for it) against the spec's bounds:
/// `1 < x < p - 1` and `2^(2048-64) ≤ x ≤ p - 2^(2048-64)`.
///
/// # Errors
/// [`Error::DhValueOutOfRange`].
pub fn check_g_a(g_a: &[u8], dh_prime: &[u8]) -> Result<(), Error> {
    let p = BigUint::from_bytes_be(dh_prime);
    check_range(&BigUint::from_bytes_be(g_a), &p, "g_a")
}

fn check_range(x: &BigUint, p: &BigUint, what: &'static str) -> Result<(), Error> {
    let margin = BigUint::one() << (2048 - 64);
    let one = BigUint::one();
    if p <= &margin || *x <= one || *x >= p - &one || *x < margin || *x > p - &margin {
        return Err(Error::DhValueOutOfRange(what));
    }
    Ok(())
}

/// `base^exp mod modulus` over big-endian byte strings, left-padded to the
/// modulus' length.
///
/// # Errors
/// [`Error::BadDhPrime`] if the modulus is zero.
pub fn mod_pow(base: &[u8], exp: &[u8], modulus: &[u8]) -> Result<Vec<u8>, Error> {
    let m = BigUint::from_bytes_be(modulus);
    if m.is_zero() {
        return Err(Error::BadDhPrime("modulus is zero"));
    }
    let r = BigUint::from_bytes_be(base).modpow(&BigUint::from_bytes_be(exp), &m);
    Ok(pad_to(&r, modulus.len()))
}

/// Big-endian bytes of `x` left-padded to `len` (x must fit).
pub(crate) fn pad_to(x: &BigUint, len: usize) -> Vec<u8> {
    let bytes = x.to_bytes_be();
    let mut out = vec![0u8; len.saturating_sub(bytes.len())];
    out.extend_from_slice(&bytes);
    out
}

fn to_256(x: &BigUint) -> [u8; 256] {
    let bytes = x.to_bytes_be();
    let mut out = [0u8; 256];
    // Values reduced mod a 2048-bit prime always fit.
    let offset = 256usize.saturating_sub(bytes.len());
    out[offset..].copy_from_slice(&bytes[bytes.len().saturating_sub(256)..]);
    out
}

/// The result of one side's half of the exchange.
#[derive(Debug)]
pub struct DhOutcome {
    /// Our public value to send: `g_b` for the client, `g_a` for the server.
    pub public: [u8; 256],
    /// The shared authorization key `peer_public^secret mod p`.
    pub auth_key: AuthKey,
}

impl DhParams {
    /// The generator.
    pub fn g(&self) -> i32 {
        // Always 2..=7.
        self.g as i32
    }

    /// The prime as 256 big-endian bytes.
    pub fn prime(&self) -> [u8; 256] {
        to_256(&self.p)
    }

    /// Our public value `g^secret mod p`, checked to lie in the safe range.
    ///
    /// # Errors
    /// [`Error::DhValueOutOfRange`] for an unlucky `secret` (probability about
    /// 2^-63); draw a new one.
    pub fn public_value(&self, secret: &[u8; 256]) -> Result<[u8; 256], Error> {
        let x = Zeroizing::new(secret.to_vec());
        let public = BigUint::from(self.g).modpow(&BigUint::from_bytes_be(&x), &self.p);
        check_range(&public, &self.p, "own public value")?;
        Ok(to_256(&public))
    }

    /// The shared key `peer_public^secret mod p` after range-checking the peer's value.
    ///
    /// # Errors
    /// [`Error::DhValueOutOfRange`] if `peer_public` is outside the safe range.
    pub fn shared_key(&self, peer_public: &[u8], secret: &[u8; 256]) -> Result<AuthKey, Error> {
        let peer = BigUint::from_bytes_be(peer_public);
        check_range(&peer, &self.p, "peer public value")?;
        let shared = peer.modpow(&BigUint::from_bytes_be(secret), &self.p);
        Ok(AuthKey::from_bytes(to_256(&shared)))
    }

    /// Both steps for one side: the client passes `g_a` and its random `b`
    /// and gets `g_b` and the auth key; the server passes `g_b` and its `a`.
    ///
    /// # Errors
    /// As [`public_value`](Self::public_value) and [`shared_key`](Self::shared_key).
    pub fn exchange(&self, peer_public: &[u8], secret: &[u8; 256]) -> Result<DhOutcome, Error> {
        let auth_key = self.shared_key(peer_public, secret)?;
        let public = self.public_value(secret)?;
        Ok(DhOutcome { public, auth_key })
    }

    pub(crate) fn p(&self) -> &BigUint {
        &self.p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn telegram_prime_passes_the_full_test_too() {
        // Run the slow path on the known prime by perturbing nothing but the
        // fast-path check: call the primality test directly.
        let p = BigUint::from_bytes_be(&TELEGRAM_DH_PRIME);
        let mut rng = StdRng::seed_from_u64(9);
        assert!(is_probable_prime(&p, 8, &mut rng));
        assert!(is_probable_prime(&((&p - 1u32) >> 1u32), 8, &mut rng));
    }

    #[test]
    fn generator_conditions_for_telegram_prime() {
        // p ≡ 3 (mod 8), 2 (mod 3), 3 (mod 5), 11 (mod 24), 6 (mod 7): the
        // quadratic residues among 2..7 are exactly 3, 4 and 7.
        for g in 2..=7 {
            let ok = check_prime_and_g(&TELEGRAM_DH_PRIME, g).is_ok();
            assert_eq!(ok, matches!(g, 3 | 4 | 7), "g = {g}");
        }
        for g in [-1, 0, 1, 8, 1000] {
            assert_eq!(
                check_prime_and_g(&TELEGRAM_DH_PRIME, g),
                Err(Error::BadDhGenerator { g })
            );
        }
        // Cross-check the residue rule with Euler's criterion.
        let p = BigUint::from_bytes_be(&TELEGRAM_DH_PRIME);
        let half = (&p - 1u32) >> 1u32;
        for g in 2u32..=7 {
            let euler = BigUint::from(g).modpow(&half, &p).is_one();
            assert_eq!(euler, check_generator(&p, g as i32).is_ok(), "g = {g}");
        }
    }

    #[test]
    fn rejects_bad_primes() {
        let mut p = TELEGRAM_DH_PRIME;
        p[255] = p[255].wrapping_add(2); // p + 2: odd, not prime
                                         // (keep g's residue condition satisfiable: g = 4 has none)
        assert!(matches!(
            check_prime_and_g(&p, 4),
            Err(Error::BadDhPrime(_))
        ));
        assert!(matches!(
            check_prime_and_g(&TELEGRAM_DH_PRIME[1..], 3),
            Err(Error::BadDhPrime(_))
        ));
        let mut small = TELEGRAM_DH_PRIME;
        small[0] = 0x47; // below 2^2047
        assert!(matches!(
            check_prime_and_g(&small, 4),
            Err(Error::BadDhPrime(_))
        ));
        let mut even = TELEGRAM_DH_PRIME;
        even[255] &= 0xFE;
        assert!(matches!(
            check_prime_and_g(&even, 4),
            Err(Error::BadDhPrime(_))
        ));
    }

    /// A random 2048-bit prime is almost never safe (about 1 in 1400), so it
    /// exercises the second half of the safe-prime test.
    #[test]
    fn rejects_a_prime_that_is_not_safe() {
        let mut rng = StdRng::seed_from_u64(2048);
        let p = crate::primes::random_prime(2048, &mut rng, |_| true);
        assert_eq!(
            check_prime_and_g_with(&pad_to(&p, 256), 4, &mut rng),
            Err(Error::BadDhPrime("(p-1)/2 is not prime"))
        );
    }

    #[test]
    fn range_checks() {
        let p = &TELEGRAM_DH_PRIME;
        let pn = BigUint::from_bytes_be(p);
        let margin = BigUint::one() << 1984u32;
        let ok = [&margin + 0u32, &pn - &margin, &pn >> 1u32];
        for x in ok {
            check_g_a(&pad_to(&x, 256), p).unwrap();
        }
        let bad = [
            BigUint::zero(),
            BigUint::one(),
            BigUint::from(2u8),
            &margin - 1u32,
            &pn - &margin + 1u32,
            &pn - 1u32,
            pn.clone(),
            &pn + 1u32,
        ];
        for x in bad {
            assert_eq!(
                check_g_a(&pad_to(&x, 257), p),
                Err(Error::DhValueOutOfRange("g_a")),
                "{x:x}"
            );
        }
    }

    #[test]
    fn both_sides_agree() {
        let params = check_prime_and_g(&TELEGRAM_DH_PRIME, 3).unwrap();
        let a: [u8; 256] = core::array::from_fn(|i| (i * 7 + 3) as u8);
        let b: [u8; 256] = core::array::from_fn(|i| (i * 11 + 5) as u8);
        let g_a = params.public_value(&a).unwrap();
        let client = params.exchange(&g_a, &b).unwrap();
        let server = params.exchange(&client.public, &a).unwrap();
        assert_eq!(client.auth_key, server.auth_key);
        assert_eq!(server.public, g_a);
        assert_eq!(
            mod_pow(&[3], &b, &TELEGRAM_DH_PRIME).unwrap(),
            client.public.to_vec()
        );
        assert!(mod_pow(&[3], &b, &[0, 0]).is_err());
        assert_eq!(params.g(), 3);
        assert_eq!(params.prime(), TELEGRAM_DH_PRIME);
    }
}
