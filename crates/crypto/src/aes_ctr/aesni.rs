//! AES-256-CTR on x86-64 with AES-NI, the fast path behind
//! [`super::aes256_ctr_apply`] and [`super::AesCtr`].
//!
//! # Why this module uses `unsafe`
//!
//! CTR is fully parallel: every keystream block is AES of its own counter.
//! AES-NI issues an `aesenc` every cycle or two but each one waits about four
//! cycles for the previous round of the same block, so one block at a time
//! runs at a quarter of the unit's rate. The loop below encrypts eight
//! counter blocks side by side with the round keys in registers and XORs the
//! keystream straight into the data (no keystream buffer in between), folding
//! that XOR into the last round's key. Going through the `aes` crate instead
//! costs a call per group of blocks into a separately compiled backend, a
//! staging buffer of counter blocks and a second pass to XOR them (measured
//! in `benches/crypto.rs`, group `ctr-1MiB`).
//!
//! As in `aes_ige/aesni.rs`, the `#[target_feature]` functions are `unsafe
//! fn`s whose contract is "the CPU has AES-NI and SSSE3" (the crate's MSRV,
//! 1.85, predates safe `#[target_feature]` functions), called only from
//! [`apply`] after the run-time check; the other `unsafe` operations are
//! unaligned 16-byte loads and stores inside `data`, whose bounds are
//! argued where they happen. The round keys (from the shared key schedule,
//! `aes_ige::aesni::expand_encrypt_key`) and keystream bytes that pass
//! through memory are wiped before returning.

#![allow(unsafe_code)]

use core::arch::x86_64::{
    __m128i, _mm_add_epi64, _mm_aesenc_si128, _mm_aesenclast_si128, _mm_loadu_si128,
    _mm_set_epi64x, _mm_shuffle_epi8, _mm_storeu_si128, _mm_xor_si128,
};

use zeroize::Zeroize;

use crate::aes_ige::aesni::{expand_encrypt_key, RoundKeys};

/// Counter blocks encrypted side by side: enough to cover the `aesenc`
/// latency on the unit's throughput, few enough that the blocks and most
/// round keys stay in the 16 XMM registers.
const LANES: usize = 8;
const CHUNK: usize = 16 * LANES;

/// XORs `data` with the keystream from byte `skip` (under 16) of counter
/// block `counter` on, if the CPU has AES-NI and SSSE3; returns `false`,
/// touching nothing, if it does not.
pub(super) fn apply(key: &[u8; 32], counter: u128, skip: usize, data: &mut [u8]) -> bool {
    if !(std::arch::is_x86_feature_detected!("aes") && std::arch::is_x86_feature_detected!("ssse3"))
    {
        return false;
    }
    // SAFETY: the CPU has AES-NI and SSSE3 (checked above); SSE2 is part of x86-64.
    unsafe { apply_aesni(key, counter, skip, data) };
    true
}

/// # Safety
/// The CPU must have AES-NI and SSSE3.
#[target_feature(enable = "aes,sse2,ssse3")]
unsafe fn apply_aesni(key: &[u8; 32], mut counter: u128, skip: usize, mut data: &mut [u8]) {
    let mut k = expand_encrypt_key(key);
    // A keystream that starts inside a block, and the last partial chunk, go through a stack
    // buffer; every whole chunk in between is XORed in place.
    let mut buf = [0u8; CHUNK];
    if skip != 0 {
        keystream_into(&k, counter, &mut buf);
        let n = data.len().min(CHUNK - skip);
        let (head, rest) = core::mem::take(&mut data).split_at_mut(n);
        xor_bytes(head, &buf[skip..skip + n]);
        data = rest;
        // `n < CHUNK - skip` only when `data` is used up, and then the counter is not read
        // again.
        counter = counter.wrapping_add(LANES as u128);
    }
    let chunks = data.len() / CHUNK;
    let at = data.as_mut_ptr();
    for c in 0..chunks {
        // SAFETY: chunk `c < data.len() / CHUNK` lies inside `data`.
        xor_chunk(&k, counter, at.add(c * CHUNK));
        counter = counter.wrapping_add(LANES as u128);
    }
    let tail = &mut data[chunks * CHUNK..];
    if !tail.is_empty() {
        keystream_into(&k, counter, &mut buf);
        let n = tail.len();
        xor_bytes(tail, &buf[..n]);
    }
    buf.zeroize();
    k.zeroize();
}

/// The byte-reversal shuffle: a big-endian counter block ⇄ a little-endian
/// 128-bit number whose low 64-bit lane is the counter's low half.
#[inline]
#[target_feature(enable = "sse2,ssse3")]
unsafe fn byte_reverse(x: __m128i) -> __m128i {
    _mm_shuffle_epi8(
        x,
        _mm_set_epi64x(0x0001_0203_0405_0607, 0x0809_0a0b_0c0d_0e0f),
    )
}

/// Counter blocks `counter .. counter + LANES` (wrapping at 2^128), big-endian, each XORed
/// with the first round key.
#[inline]
#[target_feature(enable = "aes,sse2,ssse3")]
unsafe fn first_round(k0: __m128i, counter: u128) -> [__m128i; LANES] {
    let mut blocks = [k0; LANES];
    let low = counter as u64;
    if low <= u64::MAX - (LANES as u64 - 1) {
        // No carry out of the low half within this group: one 64-bit add per block.
        let le = _mm_set_epi64x((counter >> 64) as i64, low as i64);
        for (i, b) in blocks.iter_mut().enumerate() {
            let n = _mm_add_epi64(le, _mm_set_epi64x(0, i as i64));
            *b = _mm_xor_si128(byte_reverse(n), k0);
        }
    } else {
        // Once every 2^64 blocks: the full 128-bit addition.
        for (i, b) in blocks.iter_mut().enumerate() {
            let n = counter.wrapping_add(i as u128);
            let le = _mm_set_epi64x((n >> 64) as i64, n as i64);
            *b = _mm_xor_si128(byte_reverse(le), k0);
        }
    }
    blocks
}

/// Rounds 1 to 13 of [`LANES`] blocks, interleaved round by round.
#[inline]
#[target_feature(enable = "aes,sse2")]
unsafe fn middle_rounds(k: &RoundKeys, blocks: &mut [__m128i; LANES]) {
    for key in &k[1..14] {
        for b in blocks.iter_mut() {
            *b = _mm_aesenc_si128(*b, *key);
        }
        round_barrier(blocks);
    }
}

/// Keeps the compiler from reordering the rounds block by block.
///
/// Left alone, LLVM schedules the eight blocks' 14 rounds one block after the other (to
/// save registers); the CPU then has to find the parallelism across ~120 dependent
/// instructions in its out-of-order window, and measured at half OpenSSL's speed. An
/// empty `asm!` that takes and returns all eight blocks after each round pins the
/// round-major order, so that eight independent `aesenc`s sit next to each other.
#[inline(always)]
fn round_barrier(blocks: &mut [__m128i; LANES]) {
    let [b0, b1, b2, b3, b4, b5, b6, b7] = blocks;
    // SAFETY: an empty instruction sequence: it reads and writes nothing but the
    // registers it is given, which it leaves as they are.
    unsafe {
        core::arch::asm!(
            "/* {0} {1} {2} {3} {4} {5} {6} {7} */",
            inout(xmm_reg) * b0,
            inout(xmm_reg) * b1,
            inout(xmm_reg) * b2,
            inout(xmm_reg) * b3,
            inout(xmm_reg) * b4,
            inout(xmm_reg) * b5,
            inout(xmm_reg) * b6,
            inout(xmm_reg) * b7,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
}

/// XORs the keystream of counter blocks `counter .. counter + LANES` into the
/// [`CHUNK`] bytes at `at`.
///
/// # Safety
/// The CPU must have AES-NI and SSSE3; `at` must be readable and writable for [`CHUNK`]
/// bytes.
#[inline]
#[target_feature(enable = "aes,sse2,ssse3")]
unsafe fn xor_chunk(k: &RoundKeys, counter: u128, at: *mut u8) {
    let mut blocks = first_round(k[0], counter);
    middle_rounds(k, &mut blocks);
    // The last round ends by XORing its key in, so XORing the data into that key gives
    // keystream ⊕ data with no separate pass.
    for (i, b) in blocks.iter().enumerate() {
        let p = at.add(16 * i);
        let last = _mm_xor_si128(k[14], _mm_loadu_si128(p.cast()));
        _mm_storeu_si128(p.cast(), _mm_aesenclast_si128(*b, last));
    }
}

/// Writes the keystream of counter blocks `counter .. counter + LANES` into `out`.
///
/// # Safety
/// The CPU must have AES-NI and SSSE3.
#[inline]
#[target_feature(enable = "aes,sse2,ssse3")]
unsafe fn keystream_into(k: &RoundKeys, counter: u128, out: &mut [u8; CHUNK]) {
    let mut blocks = first_round(k[0], counter);
    middle_rounds(k, &mut blocks);
    for (i, b) in blocks.iter().enumerate() {
        // SAFETY: block `i < LANES` of `out`, which is LANES blocks long.
        _mm_storeu_si128(
            out.as_mut_ptr().add(16 * i).cast(),
            _mm_aesenclast_si128(*b, k[14]),
        );
    }
}

fn xor_bytes(data: &mut [u8], keystream: &[u8]) {
    for (d, s) in data.iter_mut().zip(keystream) {
        *d ^= s;
    }
}
