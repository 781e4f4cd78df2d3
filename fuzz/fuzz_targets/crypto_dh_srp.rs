//! The number-theory checks a peer's values go through: `pq` factorisation (the server picks
//! pq), DH prime/generator and public-value checks (the server picks the group and g_a, the
//! client g_b), and both halves of the SRP 2FA check (the server picks p, g and B; the client
//! sends A and M1). Each must reject bad values with an error, never panic.
//!
//! Input: `mode` (mod 4: factorize, DH, SRP client, SRP server), `g` (mod 8), `flags` (bit 0:
//! use Telegram's 2048-bit prime instead of bytes from the input), then fields cut from the rest
//! by `u16 LE` length prefixes (missing fields are empty).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_crypto::dh::{check_g_a, check_prime_and_g_with, mod_pow, TELEGRAM_DH_PRIME};
use tgwire_crypto::{factorize, srp};

/// The next length-prefixed field (or whatever is left, or nothing).
fn field<'a>(input: &mut &'a [u8]) -> &'a [u8] {
    let Some((len, rest)) = input.split_first_chunk::<2>() else {
        return std::mem::take(input);
    };
    let len = usize::from(u16::from_le_bytes(*len)).min(rest.len());
    let (head, tail) = rest.split_at(len);
    *input = tail;
    head
}

fn secret(bytes: &[u8]) -> [u8; 256] {
    let mut out = [0u8; 256];
    let n = bytes.len().min(256);
    out[..n].copy_from_slice(&bytes[..n]);
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&[mode, g, flags], mut rest)) = data.split_first_chunk::<3>() else {
        return;
    };
    let g = i32::from(g % 8);
    let mut rng = StdRng::seed_from_u64(5);
    let prime_field = field(&mut rest);
    let prime: &[u8] = if flags & 1 == 1 {
        &TELEGRAM_DH_PRIME
    } else {
        prime_field
    };
    match mode % 4 {
        0 => {
            let mut n = [0u8; 8];
            let len = prime_field.len().min(8);
            n[..len].copy_from_slice(&prime_field[..len]);
            let pq = u64::from_le_bytes(n);
            if let Ok((p, q)) = factorize(pq) {
                assert!(p < q && p.checked_mul(q) == Some(pq), "{pq} = {p} * {q}");
            }
        }
        1 => {
            let peer = field(&mut rest);
            let own = secret(field(&mut rest));
            let _ = check_g_a(peer, prime);
            if let Ok(group) = check_prime_and_g_with(prime, g, &mut rng) {
                assert_eq!(group.prime()[..], prime[..]);
                let _ = group.exchange(peer, &own);
            }
            let _ = mod_pow(peer, field(&mut rest), prime);
        }
        2 => {
            let salt1 = field(&mut rest);
            let salt2 = field(&mut rest);
            let srp_b = field(&mut rest);
            let a = secret(field(&mut rest));
            let _ = srp::compute_check(b"password", salt1, salt2, g, prime, srp_b, 1, &a);
        }
        _ => {
            let v = field(&mut rest);
            let b = secret(field(&mut rest));
            let a = field(&mut rest);
            let m1 = field(&mut rest);
            if let Ok(session) = srp::ServerSession::new(v, b"salt1", b"salt2", g, prime, &b) {
                let _ = session.verify(a, m1);
            }
        }
    }
});
