//! Splitting the handshake's `pq` into its two prime factors.
//!
//! The server sends `pq`, a product of two primes (each below 2^32 in
//! practice), as a proof-of-work. Pollard's rho in Brent's variant finds a
//! factor in about p^(1/2) steps; the arithmetic runs in Montgomery form so a
//! step is two 64×64→128-bit multiplications and no division, and the gcds
//! are batched (one per 128 steps) because a gcd costs far more than a step.

use crate::primes::is_prime_u64;
use crate::Error;

/// Splits `pq` into `(p, q)` with `p < q`, both prime and `p * q == pq`.
///
/// # Errors
/// [`Error::FactorizationFailed`] if `pq` is not a product of two distinct
/// primes (a prime, a square of a prime, 1, or three or more factors).
pub fn factorize(pq: u64) -> Result<(u64, u64), Error> {
    let fail = Error::FactorizationFailed { pq };
    if pq < 6 || is_prime_u64(pq) {
        return Err(fail);
    }
    let p = if pq % 2 == 0 {
        2
    } else {
        find_factor(pq).ok_or_else(|| fail.clone())?
    };
    let q = pq / p;
    let (p, q) = if p < q { (p, q) } else { (q, p) };
    if p == q || !is_prime_u64(p) || !is_prime_u64(q) {
        return Err(fail);
    }
    Ok((p, q))
}

/// Arithmetic modulo an odd `n` in Montgomery form (R = 2^64).
struct Montgomery {
    n: u64,
    /// -n^-1 mod 2^64
    n_neg_inv: u64,
}

impl Montgomery {
    fn new(n: u64) -> Self {
        // Newton's iteration doubles the correct low bits each step:
        // 1 → 2 → 4 → … → 64 (n * n ≡ 1 mod 8 already gives 3 bits).
        let mut inv = n;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n.wrapping_mul(inv)));
        }
        Self {
            n,
            n_neg_inv: inv.wrapping_neg(),
        }
    }

    /// a · b · R^-1 mod n, for a, b < n.
    #[inline(always)]
    fn mul(&self, a: u64, b: u64) -> u64 {
        let t = a as u128 * b as u128;
        let m = (t as u64).wrapping_mul(self.n_neg_inv);
        let mn = m as u128 * self.n as u128;
        // t + m·n is divisible by R; it can exceed 2^128 when n ≥ 2^63.
        let (sum, carry) = t.overflowing_add(mn);
        let mut r = (sum >> 64) as u64;
        if carry || r >= self.n {
            r = r.wrapping_sub(self.n);
        }
        r
    }

    #[inline(always)]
    fn add(&self, a: u64, b: u64) -> u64 {
        let (s, carry) = a.overflowing_add(b);
        if carry || s >= self.n {
            s.wrapping_sub(self.n)
        } else {
            s
        }
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Brent's cycle detection over x → x² + c, retried with other constants
/// in the rare case a run collapses to the trivial factor `n`.
fn find_factor(n: u64) -> Option<u64> {
    const BATCH: u64 = 128;
    let mont = Montgomery::new(n);
    for c in 1..64u64 {
        let c = c % n;
        let f = |x: u64| mont.add(mont.mul(x, x), c);
        let mut y = 2 % n;
        let mut x = y;
        let mut ys = y;
        let mut acc = 1u64;
        let mut g = 1;
        let mut r = 1u64;
        // For a semiprime below 2^64 the smaller factor is below 2^32, so
        // about 2^16 steps suffice; the cap only bounds pathological runs.
        while g == 1 && r < (1 << 32) {
            x = y;
            for _ in 0..r {
                y = f(y);
            }
            let mut k = 0;
            while k < r && g == 1 {
                ys = y;
                for _ in 0..BATCH.min(r - k) {
                    y = f(y);
                    acc = mont.mul(acc, x.abs_diff(y));
                }
                g = gcd(acc, n);
                k += BATCH;
            }
            r *= 2;
        }
        if g == n {
            // The batch overshot: redo its steps one gcd at a time.
            loop {
                ys = f(ys);
                g = gcd(x.abs_diff(ys), n);
                if g != 1 {
                    break;
                }
            }
        }
        if g != 1 && g != n {
            return Some(g);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    /// core.telegram.org/mtproto/samples-auth_key, step 3.
    #[test]
    fn spec_sample() {
        assert_eq!(factorize(0x17ED48941A08F981), Ok((0x494C553B, 0x53911073)));
    }

    fn random_prime(rng: &mut SmallRng, bits: u32) -> u64 {
        loop {
            let candidate = rng.gen_range(1u64 << (bits - 1)..1u64 << bits) | 1;
            if is_prime_u64(candidate) {
                return candidate;
            }
        }
    }

    #[test]
    fn random_products_of_two_primes_below_2_32() {
        let mut rng = SmallRng::seed_from_u64(0x7467_7769_7265);
        for i in 0..300 {
            let bits_a = 2 + i % 31; // also tiny factors such as 3 × big
            let a = random_prime(&mut rng, bits_a);
            let b = random_prime(&mut rng, 32);
            if a == b {
                continue;
            }
            let (p, q) = factorize(a * b).unwrap();
            assert_eq!((p, q), (a.min(b), a.max(b)), "{a} × {b}");
        }
    }

    #[test]
    fn large_factors_near_the_u64_limit() {
        // Both factors just below 2^32: the product needs the overflow branch
        // of Montgomery reduction (n ≥ 2^63).
        let (a, b) = (4_294_967_291u64, 4_294_967_279u64);
        assert_eq!(factorize(a * b), Ok((b, a)));
        assert_eq!(factorize(2 * 4_294_967_291), Ok((2, 4_294_967_291)));
    }

    #[test]
    fn rejects_non_semiprimes() {
        for n in [
            0,
            1,
            2,
            3,
            4,
            5,
            9,
            49,
            4_294_967_291,
            3 * 5 * 7,
            8,
            1 << 40,
            4_294_967_291u64 * 4,
        ] {
            assert_eq!(
                factorize(n),
                Err(Error::FactorizationFailed { pq: n }),
                "{n}"
            );
        }
        let p = 4_294_967_291u64;
        assert!(factorize(p * p).is_err());
        assert!(factorize(65_521 * 65_521).is_err());
    }

    #[test]
    fn montgomery_multiplication_is_exact() {
        let mut rng = SmallRng::seed_from_u64(5);
        for _ in 0..2000 {
            let n = rng.gen::<u64>() | 1;
            let m = Montgomery::new(n);
            let (a, b) = (rng.gen::<u64>() % n, rng.gen::<u64>() % n);
            // mul(a·R, b) = a·b (mod n)
            let a_r = ((a as u128) << 64) % n as u128;
            let expected = (a as u128 * b as u128 % n as u128) as u64;
            assert_eq!(m.mul(a_r as u64, b), expected);
        }
    }
}
