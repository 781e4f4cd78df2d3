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
//! Where the CPU also has VAES (AES rounds on both halves of a YMM register),
//! runs of 256 bytes go through [`xor_chunks_vaes`] instead: sixteen blocks
//! in eight registers, twice the AES-NI loop's rate on this project's AMD
//! EPYC (`ctr-1MiB`: ~10 GiB/s against ~5.2, OpenSSL's AES-NI code ~5.5).
//! It is written with `asm!`, since `#[target_feature(enable = "vaes")]`
//! needs Rust 1.89 and the MSRV is 1.85, and VAES is detected from CPUID
//! ([`has_vaes`]) for the same reason.
//!
//! As in `aes_ige/aesni.rs`, the `#[target_feature]` functions are `unsafe
//! fn`s whose contract is "the CPU has AES-NI and SSSE3" (and, for the VAES
//! loop, VAES and AVX2; the crate's MSRV predates safe `#[target_feature]`
//! functions), called only from [`apply`] after the run-time checks; the
//! other `unsafe` operations are unaligned loads and stores inside `data`,
//! whose bounds are argued where they happen. The round keys (from the
//! shared key schedule, `aes_ige::aesni::expand_encrypt_key`) and keystream
//! bytes that pass through memory are wiped before returning, and the VAES
//! loop clears the YMM registers it used.

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
///
/// Where the CPU has VAES too, runs of 256 bytes go through [`xor_chunks_vaes`] (two blocks
/// per instruction) unless `use_vaes` is false (tests use that to check the AES-NI loop on
/// its own).
pub(super) fn apply(
    key: &[u8; 32],
    counter: u128,
    skip: usize,
    data: &mut [u8],
    use_vaes: bool,
) -> bool {
    if !(std::arch::is_x86_feature_detected!("aes") && std::arch::is_x86_feature_detected!("ssse3"))
    {
        return false;
    }
    let vaes = use_vaes && has_vaes();
    // SAFETY: the CPU has AES-NI and SSSE3 (checked above; SSE2 is part of x86-64), and
    // VAES with AVX2 if `vaes`.
    unsafe { apply_aesni(key, counter, skip, data, vaes) };
    true
}

/// # Safety
/// The CPU must have AES-NI and SSSE3, and VAES and AVX2 if `vaes` is true.
#[target_feature(enable = "aes,sse2,ssse3")]
unsafe fn apply_aesni(
    key: &[u8; 32],
    mut counter: u128,
    skip: usize,
    mut data: &mut [u8],
    vaes: bool,
) {
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
    if vaes {
        let mut done = 0;
        while data.len() - done >= VAES_CHUNK {
            // VAES steps the counter's low half without carrying: stop short of a carry
            // and let the AES-NI loop (which carries) take the chunk across it.
            let before_carry = (u64::MAX - counter as u64) as u128 + 1;
            let run = ((data.len() - done) / VAES_CHUNK)
                .min(usize::try_from(before_carry / VAES_BLOCKS as u128).unwrap_or(usize::MAX));
            let at = data.as_mut_ptr().add(done);
            if run == 0 {
                // SAFETY: at least VAES_CHUNK > CHUNK bytes are left from `at`.
                xor_chunk(&k, counter, at);
                counter = counter.wrapping_add(LANES as u128);
                done += CHUNK;
                continue;
            }
            // SAFETY: VAES and AVX2 are present (the caller's contract); `run` chunks are
            // left from `at`, and the low half of the counter has room for their blocks.
            xor_chunks_vaes(&k, counter, at, run);
            counter = counter.wrapping_add((run * VAES_BLOCKS) as u128);
            done += run * VAES_CHUNK;
        }
        data = &mut core::mem::take(&mut data)[done..];
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

/// Whether the CPU has VAES (AES rounds on both 128-bit halves of a YMM register) and the
/// OS saves YMM registers, asked once and cached.
///
/// `is_x86_feature_detected!("vaes")` is stable only from Rust 1.89 (the crate's MSRV is
/// 1.85), so VAES is read from CPUID leaf 7 directly; `avx2` (also in leaf 7, so the leaf
/// exists) stands for the OS's YMM support, which std's detection checks.
fn has_vaes() -> bool {
    use core::sync::atomic::{AtomicU8, Ordering};
    const UNKNOWN: u8 = 0;
    const NO: u8 = 1;
    const YES: u8 = 2;
    static VAES: AtomicU8 = AtomicU8::new(UNKNOWN);
    match VAES.load(Ordering::Relaxed) {
        NO => false,
        YES => true,
        _ => {
            let yes = std::arch::is_x86_feature_detected!("avx2") && {
                // SAFETY: CPUID exists on every x86-64 CPU, and leaf 7 on any with AVX2.
                // (The intrinsic is an `unsafe fn` on older compilers, a safe one on newer.)
                #[allow(unused_unsafe)]
                let leaf7 = unsafe { core::arch::x86_64::__cpuid_count(7, 0) };
                leaf7.ecx & (1 << 9) != 0
            };
            VAES.store(if yes { YES } else { NO }, Ordering::Relaxed);
            yes
        }
    }
}

/// Counter blocks per VAES chunk: eight YMM registers of two blocks.
const VAES_BLOCKS: usize = 16;
const VAES_CHUNK: usize = 16 * VAES_BLOCKS;

/// XORs the keystream of counter blocks `counter ..` into the `chunks` [`VAES_CHUNK`]s at
/// `at`, sixteen blocks at a time in eight YMM registers.
///
/// Written in `asm!` because `#[target_feature(enable = "vaes")]` (and with it the VAES
/// intrinsics) is stable only from Rust 1.89. The counter runs in the registers as two
/// little-endian 128-bit lanes stepped with 64-bit adds, so its low half must not carry
/// within the run.
///
/// # Safety
/// The CPU must have VAES and AVX2 ([`has_vaes`]); `at` must be readable and writable for
/// `chunks * VAES_CHUNK` bytes, `chunks > 0`, and `counter`'s low 64 bits plus
/// `chunks * VAES_BLOCKS - 1` must not exceed `u64::MAX`.
#[target_feature(enable = "avx2")]
unsafe fn xor_chunks_vaes(k: &RoundKeys, counter: u128, at: *mut u8, chunks: usize) {
    let (lo, hi) = (counter as u64, (counter >> 64) as u64);
    // Counters `counter` and `counter + 1` (lanes), their step, and the byte reversal that
    // turns each lane into a big-endian counter block.
    let consts: [u64; 12] = [
        lo,
        hi,
        lo + 1,
        hi,
        2,
        0,
        2,
        0,
        0x0809_0a0b_0c0d_0e0f,
        0x0001_0203_0405_0607,
        0x0809_0a0b_0c0d_0e0f,
        0x0001_0203_0405_0607,
    ];
    core::arch::asm!(
        "vmovdqu ymm9, [{c}]",
        "vmovdqu ymm10, [{c} + 32]",
        "vmovdqu ymm11, [{c} + 64]",
        "vbroadcasti128 ymm12, [{k}]",
        "vbroadcasti128 ymm13, [{k} + 224]",
        "2:",
        // Sixteen counter blocks, byte-reversed and whitened with round key 0.
        "vpshufb ymm0, ymm9, ymm11",
        "vpaddq ymm9, ymm9, ymm10",
        "vpshufb ymm1, ymm9, ymm11",
        "vpaddq ymm9, ymm9, ymm10",
        "vpshufb ymm2, ymm9, ymm11",
        "vpaddq ymm9, ymm9, ymm10",
        "vpshufb ymm3, ymm9, ymm11",
        "vpaddq ymm9, ymm9, ymm10",
        "vpshufb ymm4, ymm9, ymm11",
        "vpaddq ymm9, ymm9, ymm10",
        "vpshufb ymm5, ymm9, ymm11",
        "vpaddq ymm9, ymm9, ymm10",
        "vpshufb ymm6, ymm9, ymm11",
        "vpaddq ymm9, ymm9, ymm10",
        "vpshufb ymm7, ymm9, ymm11",
        "vpaddq ymm9, ymm9, ymm10",
        "vpxor ymm0, ymm0, ymm12",
        "vpxor ymm1, ymm1, ymm12",
        "vpxor ymm2, ymm2, ymm12",
        "vpxor ymm3, ymm3, ymm12",
        "vpxor ymm4, ymm4, ymm12",
        "vpxor ymm5, ymm5, ymm12",
        "vpxor ymm6, ymm6, ymm12",
        "vpxor ymm7, ymm7, ymm12",
        // Rounds 1 to 13, each key broadcast to both halves, eight registers per round.
        "mov {r}, 16",
        "3:",
        "vbroadcasti128 ymm8, [{k} + {r}]",
        "vaesenc ymm0, ymm0, ymm8",
        "vaesenc ymm1, ymm1, ymm8",
        "vaesenc ymm2, ymm2, ymm8",
        "vaesenc ymm3, ymm3, ymm8",
        "vaesenc ymm4, ymm4, ymm8",
        "vaesenc ymm5, ymm5, ymm8",
        "vaesenc ymm6, ymm6, ymm8",
        "vaesenc ymm7, ymm7, ymm8",
        "add {r}, 16",
        "cmp {r}, 224",
        "jne 3b",
        // The last round with the data XORed into its key: keystream ⊕ data in one step.
        "vpxor ymm14, ymm13, [{p}]",
        "vpxor ymm15, ymm13, [{p} + 32]",
        "vaesenclast ymm0, ymm0, ymm14",
        "vaesenclast ymm1, ymm1, ymm15",
        "vmovdqu [{p}], ymm0",
        "vmovdqu [{p} + 32], ymm1",
        "vpxor ymm14, ymm13, [{p} + 64]",
        "vpxor ymm15, ymm13, [{p} + 96]",
        "vaesenclast ymm2, ymm2, ymm14",
        "vaesenclast ymm3, ymm3, ymm15",
        "vmovdqu [{p} + 64], ymm2",
        "vmovdqu [{p} + 96], ymm3",
        "vpxor ymm14, ymm13, [{p} + 128]",
        "vpxor ymm15, ymm13, [{p} + 160]",
        "vaesenclast ymm4, ymm4, ymm14",
        "vaesenclast ymm5, ymm5, ymm15",
        "vmovdqu [{p} + 128], ymm4",
        "vmovdqu [{p} + 160], ymm5",
        "vpxor ymm14, ymm13, [{p} + 192]",
        "vpxor ymm15, ymm13, [{p} + 224]",
        "vaesenclast ymm6, ymm6, ymm14",
        "vaesenclast ymm7, ymm7, ymm15",
        "vmovdqu [{p} + 192], ymm6",
        "vmovdqu [{p} + 224], ymm7",
        "add {p}, 256",
        "dec {n}",
        "jnz 2b",
        // Wipe the registers that held round keys, counters and keystream, and leave the
        // upper halves clean for SSE code (`vzeroall` does both).
        "vzeroall",
        c = in(reg) consts.as_ptr(),
        k = in(reg) k.as_ptr(),
        p = inout(reg) at => _,
        n = inout(reg) chunks => _,
        r = out(reg) _,
        out("ymm0") _, out("ymm1") _, out("ymm2") _, out("ymm3") _,
        out("ymm4") _, out("ymm5") _, out("ymm6") _, out("ymm7") _,
        out("ymm8") _, out("ymm9") _, out("ymm10") _, out("ymm11") _,
        out("ymm12") _, out("ymm13") _, out("ymm14") _, out("ymm15") _,
        options(nostack),
    );
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
