//! Primality tests: deterministic Miller–Rabin for `u64` (factorisation) and
//! probabilistic Miller–Rabin for big numbers (DH prime checks, RSA key
//! generation).

use num_bigint::{BigUint, RandBigInt};
use num_integer::Integer;
use num_traits::{One, Zero};
use rand::RngCore;

/// Odd primes below 1000, for trial division before the expensive test.
pub(crate) const SMALL_PRIMES: [u32; 167] = {
    let mut out = [0u32; 167];
    let mut count = 0;
    let mut n = 3u32;
    while n < 1000 {
        let mut d = 3;
        let mut prime = true;
        while d * d <= n {
            if n % d == 0 {
                prime = false;
                break;
            }
            d += 2;
        }
        if prime {
            out[count] = n;
            count += 1;
        }
        n += 2;
    }
    out
};

fn mul_mod(a: u64, b: u64, m: u64) -> u64 {
    ((a as u128 * b as u128) % m as u128) as u64
}

fn pow_mod(mut base: u64, mut exp: u64, m: u64) -> u64 {
    let mut acc = 1 % m;
    base %= m;
    while exp > 0 {
        if exp & 1 == 1 {
            acc = mul_mod(acc, base, m);
        }
        base = mul_mod(base, base, m);
        exp >>= 1;
    }
    acc
}

/// Exact primality of a `u64`: Miller–Rabin with the first twelve primes as
/// bases is deterministic below 3.3 · 10^24, which covers every `u64`.
pub(crate) fn is_prime_u64(n: u64) -> bool {
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    if n < 2 {
        return false;
    }
    for p in BASES {
        if n % p == 0 {
            return n == p;
        }
    }
    let s = (n - 1).trailing_zeros();
    let d = (n - 1) >> s;
    'bases: for a in BASES {
        let mut x = pow_mod(a, d, n);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mul_mod(x, x, n);
            if x == n - 1 {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

/// True if `n` has a prime factor below 1000 (and is not that prime).
pub(crate) fn has_small_factor(n: &BigUint) -> bool {
    if n.is_even() {
        return *n != BigUint::from(2u8);
    }
    SMALL_PRIMES.iter().any(|&p| {
        let p = BigUint::from(p);
        (n % &p).is_zero() && *n != p
    })
}

/// Miller–Rabin with `rounds` random bases. A composite passes one round with
/// probability below 1/4, so 40 rounds give an error below 2^-80 even for
/// adversarially chosen input.
pub(crate) fn is_probable_prime(n: &BigUint, rounds: usize, rng: &mut impl RngCore) -> bool {
    let two = BigUint::from(2u8);
    if *n < two {
        return false;
    }
    if *n < BigUint::from(1_000_000u32) {
        let small = n.iter_u64_digits().next().unwrap_or(0);
        return is_prime_u64(small);
    }
    if has_small_factor(n) {
        return false;
    }
    let one = BigUint::one();
    let n_minus_1 = n - &one;
    let s = n_minus_1.trailing_zeros().unwrap_or(0);
    let d = &n_minus_1 >> s;
    'rounds: for _ in 0..rounds {
        let a = rng.gen_biguint_range(&two, &n_minus_1);
        let mut x = a.modpow(&d, n);
        if x == one || x == n_minus_1 {
            continue;
        }
        for _ in 1..s {
            x = x.modpow(&two, n);
            if x == n_minus_1 {
                continue 'rounds;
            }
        }
        return false;
    }
    true
}

/// A random prime of exactly `bits` bits (at least 16) with its two top
/// bits set, so that the product of two such primes has exactly `2 * bits`
/// bits, and for which `accept` holds (checked before the expensive test).
pub(crate) fn random_prime(
    bits: u64,
    rng: &mut impl RngCore,
    accept: impl Fn(&BigUint) -> bool,
) -> BigUint {
    let one = BigUint::one();
    let top = BigUint::from(3u8) << (bits.max(16) - 2);
    loop {
        let candidate = rng.gen_biguint(bits.max(16)) | &top | &one;
        if accept(&candidate) && is_probable_prime(&candidate, 24, rng) {
            return candidate;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::SeedableRng;

    #[test]
    fn small_prime_table() {
        assert_eq!(SMALL_PRIMES[0], 3);
        assert_eq!(SMALL_PRIMES[166], 997);
    }

    #[test]
    fn u64_primality_against_a_sieve() {
        let limit = 20_000usize;
        let mut sieve = vec![true; limit];
        sieve[0] = false;
        sieve[1] = false;
        for i in 2..limit {
            if sieve[i] {
                for j in (i * i..limit).step_by(i) {
                    sieve[j] = false;
                }
            }
        }
        for (n, &prime) in sieve.iter().enumerate() {
            assert_eq!(is_prime_u64(n as u64), prime, "{n}");
        }
        // Large known values: 2^61 - 1 is prime, a strong pseudoprime to
        // several bases and a Carmichael number are not.
        assert!(is_prime_u64((1 << 61) - 1));
        assert!(is_prime_u64(18_446_744_073_709_551_557)); // largest u64 prime
        assert!(!is_prime_u64(3_215_031_751)); // spsp(2,3,5,7)
        assert!(!is_prime_u64(561));
        assert!(!is_prime_u64(0x17ED48941A08F981));
    }

    #[test]
    fn big_primality() {
        let mut rng = SmallRng::seed_from_u64(1);
        let m127 = (BigUint::one() << 127u32) - 1u32;
        assert!(is_probable_prime(&m127, 20, &mut rng));
        let composite = &m127 * BigUint::from(1_000_003u32);
        assert!(!is_probable_prime(&composite, 20, &mut rng));
        // 2^128 + 1 = 59649589127497217 × 5704689200685129054721 (no small factor)
        let f7 = (BigUint::one() << 128u32) + 1u32;
        assert!(!is_probable_prime(&f7, 20, &mut rng));
        assert!(is_probable_prime(&BigUint::from(999_983u32), 5, &mut rng));
        assert!(!is_probable_prime(&BigUint::from(1u8), 5, &mut rng));
    }
}
