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
//! besides unaligned 16-byte loads and stores through raw pointers. Both are
//! guarded:
//!
//! - the entry points check `is_x86_feature_detected!("aes")` (cached by std)
//!   and return `false` so the caller falls back to the portable path;
//! - the chains read and write `blocks * 16` bytes from pointers the entry
//!   points take from slices of at least that length, or from a `Vec`'s spare
//!   capacity reserved just before (its length is set only once every byte is
//!   written). Writing into spare capacity is what lets a packet be decrypted
//!   straight from the read buffer, and a message encrypted straight from its
//!   pieces, with no copy of the bytes first.
//!
//! Every function with `#[target_feature]` is an `unsafe fn` whose contract
//! is "the CPU has AES-NI" (the crate's MSRV, 1.85, predates safe
//! `#[target_feature]` functions); only the entry points below call into
//! them, after the run-time check.
//!
//! Tests compare this path with the portable one on random inputs.

#![allow(unsafe_code)]

use zeroize::Zeroize;

use core::arch::x86_64::{
    __m128i, _mm_aesdec_si128, _mm_aesdeclast_si128, _mm_aesenc_si128, _mm_aesenclast_si128,
    _mm_aesimc_si128, _mm_aeskeygenassist_si128, _mm_loadu_si128, _mm_setzero_si128,
    _mm_shuffle_epi32, _mm_slli_si128, _mm_storeu_si128, _mm_xor_si128,
};

/// AES-256 round keys: 15 for encryption, or their "equivalent inverse
/// cipher" form for decryption.
type RoundKeys = [__m128i; 15];

/// Encrypts `data` (a multiple of 16 bytes) in place if the CPU has AES-NI;
/// returns `false`, touching nothing, if it does not.
pub(super) fn encrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) -> bool {
    if !std::arch::is_x86_feature_detected!("aes") {
        return false;
    }
    let blocks = data.len() / 16;
    let at = data.as_mut_ptr();
    // SAFETY: the CPU supports AES-NI (checked above); SSE2 is part of x86-64. Source and
    // destination are the same `blocks * 16` bytes of `data`, which the loop reads block by
    // block before writing each.
    unsafe {
        let mut chain = EncryptChain::new(key, iv);
        chain.run(at, at, blocks);
    }
    true
}

/// Decrypts `data` (a multiple of 16 bytes) in place if the CPU has AES-NI;
/// returns `false`, touching nothing, if it does not.
pub(super) fn decrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) -> bool {
    if !std::arch::is_x86_feature_detected!("aes") {
        return false;
    }
    let blocks = data.len() / 16;
    let at = data.as_mut_ptr();
    // SAFETY: as in `encrypt`.
    unsafe {
        let mut chain = DecryptChain::new(key, iv);
        chain.run(at, at, blocks);
    }
    true
}

/// Encrypts the concatenation of `parts` (a multiple of 16 bytes in all)
/// and appends the ciphertext to `out`, reading every part where it lies
/// (no staging copy but for a block that straddles two parts), if the CPU
/// has AES-NI; returns `false`, touching nothing, if it does not.
pub(super) fn encrypt_parts_append(
    parts: &[&[u8]],
    out: &mut Vec<u8>,
    key: &[u8; 32],
    iv: &[u8; 32],
) -> bool {
    if !std::arch::is_x86_feature_detected!("aes") {
        return false;
    }
    let total: usize = parts.iter().map(|p| p.len()).sum();
    debug_assert_eq!(total % 16, 0);
    let total = total / 16 * 16;
    out.reserve(total);
    let base = out.len();
    let mut written = 0;
    let mut carry = [0u8; 16];
    let mut carried = 0;
    // SAFETY: AES-NI is present (checked above). Every write goes to `out`'s spare capacity
    // (reserved above for `total` bytes) below `base + total`: `written` counts whole blocks
    // written and never exceeds `total`, because the blocks taken from the parts sum to at
    // most `total / 16`. Reads stay inside `carry` or inside the part being read (`whole`
    // blocks of it from `offset`). The length is set only after all `total` bytes are
    // written; on a (debug-asserted impossible) unaligned total, the trailing partial block
    // is simply never written nor exposed.
    unsafe {
        let dst = out.as_mut_ptr().add(base);
        let mut chain = EncryptChain::new(key, iv);
        for part in parts {
            let mut offset = 0;
            if carried > 0 {
                let take = (16 - carried).min(part.len());
                carry[carried..carried + take].copy_from_slice(&part[..take]);
                carried += take;
                offset = take;
                if carried < 16 {
                    continue;
                }
                if written + 16 > total {
                    break;
                }
                chain.run(carry.as_ptr(), dst.add(written), 1);
                written += 16;
            }
            let rest = &part[offset..];
            let whole = (rest.len() / 16).min((total - written) / 16);
            chain.run(rest.as_ptr(), dst.add(written), whole);
            written += whole * 16;
            let tail = &rest[whole * 16..];
            carry[..tail.len().min(16)].copy_from_slice(&tail[..tail.len().min(16)]);
            carried = tail.len().min(16);
        }
        carry.zeroize();
        if written == total {
            out.set_len(base + total);
        }
    }
    true
}

/// Decrypts `src` (a multiple of 16 bytes) and appends the plaintext to
/// `out` without copying the ciphertext first, if the CPU has AES-NI;
/// returns `false`, touching nothing, if it does not.
pub(super) fn decrypt_append(src: &[u8], out: &mut Vec<u8>, key: &[u8; 32], iv: &[u8; 32]) -> bool {
    if !std::arch::is_x86_feature_detected!("aes") {
        return false;
    }
    let blocks = src.len() / 16;
    out.reserve(blocks * 16);
    let base = out.len();
    // SAFETY: AES-NI is present (checked above). The loop reads the `blocks` whole blocks of
    // `src` and writes as many into `out`'s spare capacity, reserved just above; the length
    // grows only once every one of those bytes is written.
    unsafe {
        let mut chain = DecryptChain::new(key, iv);
        chain.run(src.as_ptr(), out.as_mut_ptr().add(base), blocks);
        out.set_len(base + blocks * 16);
    }
    true
}

#[inline(always)]
fn load(bytes: &[u8; 16]) -> __m128i {
    // SAFETY: reads exactly the 16 bytes of `bytes`; loadu has no alignment requirement.
    unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
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

/// The state of an IGE encryption between calls: the round keys and the
/// chaining values `(y_{i-1}, x_{i-1})`, all wiped on drop.
struct EncryptChain {
    k: RoundKeys,
    prev_y: __m128i,
    prev_x: __m128i,
}

impl Drop for EncryptChain {
    fn drop(&mut self) {
        self.k.zeroize();
        self.prev_y.zeroize();
        self.prev_x.zeroize();
    }
}

impl EncryptChain {
    /// # Safety
    /// The CPU must have AES-NI.
    #[target_feature(enable = "aes,sse2")]
    unsafe fn new(key: &[u8; 32], iv: &[u8; 32]) -> Self {
        let (y0, x0) = halves(iv);
        EncryptChain {
            k: expand_encrypt_key(key),
            prev_y: load(y0),
            prev_x: load(x0),
        }
    }

    /// `y_i = E(x_i ⊕ y_{i-1}) ⊕ x_{i-1}` for `blocks` blocks from `src` to `dst`.
    ///
    /// The chain's speed is the latency of the path from one block's output to the next
    /// block's: here it is the 14 AES rounds and nothing else. The last round XORs its key
    /// in, so `⊕ x_{i-1}` (this block's output) and `⊕ x_{i+1} ⊕ k_0` (the next block's
    /// input whitening) fold into that key, computed off the critical path; the output
    /// block itself comes from a second, independent last round.
    ///
    /// # Safety
    /// The CPU must have AES-NI; `src` must be readable and `dst` writable for
    /// `blocks * 16` bytes. They may be the same pointer (in place), not otherwise overlap.
    #[target_feature(enable = "aes,sse2")]
    unsafe fn run(&mut self, src: *const u8, dst: *mut u8, blocks: usize) {
        if blocks == 0 {
            return;
        }
        let k = &self.k;
        let (mut prev_y, mut prev_x) = (self.prev_y, self.prev_x);
        let mut x = _mm_loadu_si128(src.cast());
        let mut input = _mm_xor_si128(_mm_xor_si128(x, prev_y), k[0]);
        for i in 0..blocks {
            let next_x = if i + 1 < blocks {
                _mm_loadu_si128(src.add(16 * (i + 1)).cast())
            } else {
                _mm_setzero_si128()
            };
            let mut b = input;
            for key in &k[1..14] {
                b = _mm_aesenc_si128(b, *key);
            }
            let last = _mm_xor_si128(k[14], prev_x);
            let y = _mm_aesenclast_si128(b, last);
            input = _mm_aesenclast_si128(b, _mm_xor_si128(last, _mm_xor_si128(next_x, k[0])));
            _mm_storeu_si128(dst.add(16 * i).cast(), y);
            prev_y = y;
            prev_x = x;
            x = next_x;
        }
        self.prev_y = prev_y;
        self.prev_x = prev_x;
    }
}

/// The state of an IGE decryption between calls, as [`EncryptChain`].
struct DecryptChain {
    k: RoundKeys,
    prev_y: __m128i,
    prev_x: __m128i,
}

impl Drop for DecryptChain {
    fn drop(&mut self) {
        self.k.zeroize();
        self.prev_y.zeroize();
        self.prev_x.zeroize();
    }
}

impl DecryptChain {
    /// # Safety
    /// The CPU must have AES-NI.
    #[target_feature(enable = "aes,sse2")]
    unsafe fn new(key: &[u8; 32], iv: &[u8; 32]) -> Self {
        let (y0, x0) = halves(iv);
        DecryptChain {
            k: expand_decrypt_key(key),
            prev_y: load(y0),
            prev_x: load(x0),
        }
    }

    /// `x_i = D(y_i ⊕ x_{i-1}) ⊕ y_{i-1}` for `blocks` blocks from `src` to `dst`, with
    /// the same folding into the last round key as [`EncryptChain::run`].
    ///
    /// # Safety
    /// As [`EncryptChain::run`].
    #[target_feature(enable = "aes,sse2")]
    unsafe fn run(&mut self, src: *const u8, dst: *mut u8, blocks: usize) {
        if blocks == 0 {
            return;
        }
        let k = &self.k;
        let (mut prev_y, mut prev_x) = (self.prev_y, self.prev_x);
        let mut y = _mm_loadu_si128(src.cast());
        let mut input = _mm_xor_si128(_mm_xor_si128(y, prev_x), k[0]);
        for i in 0..blocks {
            let next_y = if i + 1 < blocks {
                _mm_loadu_si128(src.add(16 * (i + 1)).cast())
            } else {
                _mm_setzero_si128()
            };
            let mut b = input;
            for key in &k[1..14] {
                b = _mm_aesdec_si128(b, *key);
            }
            let last = _mm_xor_si128(k[14], prev_y);
            let x = _mm_aesdeclast_si128(b, last);
            input = _mm_aesdeclast_si128(b, _mm_xor_si128(last, _mm_xor_si128(next_y, k[0])));
            _mm_storeu_si128(dst.add(16 * i).cast(), x);
            prev_y = y;
            prev_x = x;
            y = next_y;
        }
        self.prev_y = prev_y;
        self.prev_x = prev_x;
    }
}
