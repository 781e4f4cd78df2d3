//! AES-256-IGE on x86-64 with AES-NI, the fast path behind
//! [`super::encrypt_in_place`] / [`super::decrypt_in_place`].
//!
//! # Why this module uses `unsafe`
//!
//! IGE is a serial chain, so its speed is the *latency* of one AES-256 block.
//! Through the `aes` crate every block is a call into a separately compiled
//! `#[target_feature(enable = "aes")]` function that reloads the 15 round keys
//! and passes the block through memory; measured best-of-many on this project's
//! machine (AMD EPYC, `examples/ige_ratio.rs`), that path reaches about
//! 710 MiB/s, ~89 % of OpenSSL's assembly CBC (~795 MiB/s). Keeping the round
//! keys and the chaining values in XMM registers across the whole loop needs
//! the loop itself compiled with the `aes` feature, which in turn means
//! calling a `#[target_feature]` function — the only `unsafe` operation here
//! besides unaligned 16-byte loads and stores. Both are guarded:
//!
//! - the entry points check `is_x86_feature_detected!("aes")` (cached by std)
//!   and return `false` so the caller falls back to the portable path;
//! - loads and stores only touch the 16-byte arrays they are given.
//!
//! Every function with `#[target_feature]` is an `unsafe fn` whose contract
//! is "the CPU has AES-NI" (the crate's MSRV, 1.85, predates safe
//! `#[target_feature]` functions); only `encrypt` and `decrypt` below call
//! into them, after the run-time check.
//!
//! Tests compare this path with the portable one on random inputs.

#![allow(unsafe_code)]

use zeroize::Zeroize;

use core::arch::x86_64::{
    __m128i, _mm_aesdec_si128, _mm_aesdeclast_si128, _mm_aesenc_si128, _mm_aesenclast_si128,
    _mm_aesimc_si128, _mm_aeskeygenassist_si128, _mm_loadu_si128, _mm_shuffle_epi32,
    _mm_slli_si128, _mm_storeu_si128, _mm_xor_si128,
};

/// AES-256 round keys: 15 for encryption, or their "equivalent inverse
/// cipher" form for decryption.
type RoundKeys = [__m128i; 15];

/// Encrypts `data` (a multiple of 16 bytes) if the CPU has AES-NI; returns
/// `false`, touching nothing, if it does not.
pub(super) fn encrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) -> bool {
    if !std::arch::is_x86_feature_detected!("aes") {
        return false;
    }
    // SAFETY: the CPU supports AES-NI (checked above); SSE2 is part of x86-64.
    unsafe { encrypt_aesni(data, key, iv) };
    true
}

/// Decrypts `data` (a multiple of 16 bytes) if the CPU has AES-NI; returns
/// `false`, touching nothing, if it does not.
pub(super) fn decrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) -> bool {
    if !std::arch::is_x86_feature_detected!("aes") {
        return false;
    }
    // SAFETY: as in `encrypt`.
    unsafe { decrypt_aesni(data, key, iv) };
    true
}

#[inline(always)]
fn load(bytes: &[u8; 16]) -> __m128i {
    // SAFETY: reads exactly the 16 bytes of `bytes`; loadu has no alignment requirement.
    unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
}

#[inline(always)]
fn store(bytes: &mut [u8; 16], value: __m128i) {
    // SAFETY: writes exactly the 16 bytes of `bytes`; storeu has no alignment requirement.
    unsafe { _mm_storeu_si128(bytes.as_mut_ptr().cast(), value) }
}

fn halves(bytes: &[u8; 32]) -> (&[u8; 16], &[u8; 16]) {
    let (a, b) = bytes.split_at(16);
    // Both halves are 16 bytes; the fallbacks are unreachable.
    (
        a.try_into().unwrap_or(&[0; 16]),
        b.try_into().unwrap_or(&[0; 16]),
    )
}

/// One step of the AES-256 key schedule for the even-numbered round key:
/// `prev ⊕ (prev << 32) ⊕ (prev << 64) ⊕ (prev << 96) ⊕ broadcast(assist[3])`.
#[inline]
#[target_feature(enable = "aes,sse2")]
unsafe fn schedule_even(prev: __m128i, assist: __m128i) -> __m128i {
    let assist = _mm_shuffle_epi32::<0xff>(assist);
    let mut t = _mm_xor_si128(prev, _mm_slli_si128::<4>(prev));
    t = _mm_xor_si128(t, _mm_slli_si128::<8>(prev));
    t = _mm_xor_si128(t, _mm_slli_si128::<12>(prev));
    _mm_xor_si128(t, assist)
}

/// The odd-numbered round key: like [`schedule_even`] but with SubWord of
/// the previous key's last word (no rotation, no round constant).
#[inline]
#[target_feature(enable = "aes,sse2")]
unsafe fn schedule_odd(prev_odd: __m128i, even: __m128i) -> __m128i {
    let assist = _mm_shuffle_epi32::<0xaa>(_mm_aeskeygenassist_si128::<0x00>(even));
    let mut t = _mm_xor_si128(prev_odd, _mm_slli_si128::<4>(prev_odd));
    t = _mm_xor_si128(t, _mm_slli_si128::<8>(prev_odd));
    t = _mm_xor_si128(t, _mm_slli_si128::<12>(prev_odd));
    _mm_xor_si128(t, assist)
}

#[inline]
#[target_feature(enable = "aes,sse2")]
unsafe fn expand_encrypt_key(key: &[u8; 32]) -> RoundKeys {
    let (lo, hi) = halves(key);
    let mut k = [load(lo); 15];
    k[1] = load(hi);
    // Round keys 2i and 2i+1 from 2i-2 and 2i-1; the round constant must be
    // an immediate, hence the macro. Key 14 has no odd partner.
    macro_rules! even {
        ($i:expr, $rcon:expr) => {
            k[$i] = schedule_even(k[$i - 2], _mm_aeskeygenassist_si128::<$rcon>(k[$i - 1]))
        };
    }
    macro_rules! odd {
        ($i:expr) => {
            k[$i] = schedule_odd(k[$i - 2], k[$i - 1])
        };
    }
    even!(2, 0x01);
    odd!(3);
    even!(4, 0x02);
    odd!(5);
    even!(6, 0x04);
    odd!(7);
    even!(8, 0x08);
    odd!(9);
    even!(10, 0x10);
    odd!(11);
    even!(12, 0x20);
    odd!(13);
    even!(14, 0x40);
    k
}

#[inline]
#[target_feature(enable = "aes,sse2")]
unsafe fn expand_decrypt_key(key: &[u8; 32]) -> RoundKeys {
    let mut enc = expand_encrypt_key(key);
    let mut dec = enc;
    dec[0] = enc[14];
    for i in 1..14 {
        dec[i] = _mm_aesimc_si128(enc[14 - i]);
    }
    dec[14] = enc[0];
    enc.zeroize();
    dec
}

#[inline]
#[target_feature(enable = "aes,sse2")]
unsafe fn encrypt_block(k: &RoundKeys, block: __m128i) -> __m128i {
    let mut b = _mm_xor_si128(block, k[0]);
    for key in &k[1..14] {
        b = _mm_aesenc_si128(b, *key);
    }
    _mm_aesenclast_si128(b, k[14])
}

#[inline]
#[target_feature(enable = "aes,sse2")]
unsafe fn decrypt_block(k: &RoundKeys, block: __m128i) -> __m128i {
    let mut b = _mm_xor_si128(block, k[0]);
    for key in &k[1..14] {
        b = _mm_aesdec_si128(b, *key);
    }
    _mm_aesdeclast_si128(b, k[14])
}

/// `y_i = E(x_i ⊕ y_{i-1}) ⊕ x_{i-1}`.
#[target_feature(enable = "aes,sse2")]
unsafe fn encrypt_aesni(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) {
    let mut k = expand_encrypt_key(key);
    let (y0, x0) = halves(iv);
    let (mut prev_y, mut prev_x) = (load(y0), load(x0));
    for chunk in data.chunks_exact_mut(16) {
        let Ok(chunk) = <&mut [u8; 16]>::try_from(chunk) else {
            continue;
        };
        let x = load(chunk);
        let y = _mm_xor_si128(encrypt_block(&k, _mm_xor_si128(x, prev_y)), prev_x);
        store(chunk, y);
        prev_y = y;
        prev_x = x;
    }
    k.zeroize();
}

/// `x_i = D(y_i ⊕ x_{i-1}) ⊕ y_{i-1}`.
#[target_feature(enable = "aes,sse2")]
unsafe fn decrypt_aesni(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) {
    let mut k = expand_decrypt_key(key);
    let (y0, x0) = halves(iv);
    let (mut prev_y, mut prev_x) = (load(y0), load(x0));
    for chunk in data.chunks_exact_mut(16) {
        let Ok(chunk) = <&mut [u8; 16]>::try_from(chunk) else {
            continue;
        };
        let y = load(chunk);
        let x = _mm_xor_si128(decrypt_block(&k, _mm_xor_si128(y, prev_x)), prev_y);
        store(chunk, x);
        prev_y = y;
        prev_x = x;
    }
    k.zeroize();
}
