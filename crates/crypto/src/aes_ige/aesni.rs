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
//! The receiver's msg_key check hashes every decrypted byte with SHA-256;
//! [`decrypt_append_sha256`] runs that hash with the SHA extensions inside
//! the decryption loop (the same kind of `unsafe`, under the same kind of
//! run-time check: AES-NI, SHA, SSSE3, SSE4.1).
//!
//! Tests compare this path with the portable one (and the fused hash with
//! the `sha2` crate) on random inputs.

#![allow(unsafe_code)]
// The multi-buffer loops index several lanes' arrays with one lane number.
#![allow(clippy::needless_range_loop)]

use zeroize::Zeroize;

use core::arch::x86_64::{
    __m128i, _mm_add_epi32, _mm_aesdec_si128, _mm_aesdeclast_si128, _mm_aesenc_si128,
    _mm_aesenclast_si128, _mm_aesimc_si128, _mm_aeskeygenassist_si128, _mm_alignr_epi8,
    _mm_blend_epi16, _mm_loadu_si128, _mm_set_epi64x, _mm_setzero_si128, _mm_sha256msg1_epu32,
    _mm_sha256msg2_epu32, _mm_sha256rnds2_epu32, _mm_shuffle_epi32, _mm_shuffle_epi8,
    _mm_slli_si128, _mm_storeu_si128, _mm_xor_si128,
};

/// AES-256 round keys: 15 for encryption, or their "equivalent inverse
/// cipher" form for decryption.
pub(crate) type RoundKeys = [__m128i; 15];

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

/// The 15 encryption round keys of `key` (the IGE chains here and the CTR
/// loop of `crate::aes_ctr` share this schedule). The caller zeroizes them.
///
/// # Safety
/// The CPU must have AES-NI.
#[inline]
#[target_feature(enable = "aes,sse2")]
pub(crate) unsafe fn expand_encrypt_key(key: &[u8; 32]) -> RoundKeys {
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

/// The state of an IGE chain between calls, in either direction: the round keys and the
/// two chaining values, all wiped on drop.
///
/// With plaintext x and ciphertext y both directions compute
/// `out_i = F(in_i ⊕ out_{i-1}) ⊕ in_{i-1}`: encryption reads x and writes y with
/// `F = E`, decryption reads y and writes x with `F = D` (and the decryption round keys).
struct Chain<const DECRYPT: bool> {
    k: RoundKeys,
    prev_out: __m128i,
    prev_in: __m128i,
}

type EncryptChain = Chain<false>;
type DecryptChain = Chain<true>;

impl<const DECRYPT: bool> Drop for Chain<DECRYPT> {
    fn drop(&mut self) {
        self.k.zeroize();
        self.prev_out.zeroize();
        self.prev_in.zeroize();
    }
}

impl<const DECRYPT: bool> Chain<DECRYPT> {
    /// # Safety
    /// The CPU must have AES-NI.
    #[target_feature(enable = "aes,sse2")]
    unsafe fn new(key: &[u8; 32], iv: &[u8; 32]) -> Self {
        // The IV is y_0 ‖ x_0.
        let (y0, x0) = halves(iv);
        let (prev_out, prev_in) = if DECRYPT { (x0, y0) } else { (y0, x0) };
        Chain {
            k: if DECRYPT {
                expand_decrypt_key(key)
            } else {
                expand_encrypt_key(key)
            },
            prev_out: load(prev_out),
            prev_in: load(prev_in),
        }
    }

    /// `out_i = F(in_i ⊕ out_{i-1}) ⊕ in_{i-1}` for `blocks` blocks from `src` to `dst`.
    ///
    /// The chain's speed is the latency of the path from one block's output to the next
    /// block's: here it is the 14 AES rounds and nothing else. The last round XORs its key
    /// in, so `⊕ in_{i-1}` (this block's output) and `⊕ in_{i+1} ⊕ k_0` (the next block's
    /// input whitening) fold into that key, computed off the critical path; the output
    /// block itself comes from a second, independent last round.
    ///
    /// # Safety
    /// The CPU must have AES-NI; `src` must be readable and `dst` writable for
    /// `blocks * 16` bytes. They may be the same pointer (in place), not otherwise overlap.
    #[inline]
    #[target_feature(enable = "aes,sse2")]
    unsafe fn run(&mut self, src: *const u8, dst: *mut u8, blocks: usize) {
        if blocks == 0 {
            return;
        }
        let k = &self.k;
        let (mut prev_out, mut prev_in) = (self.prev_out, self.prev_in);
        let mut current = _mm_loadu_si128(src.cast());
        let mut input = _mm_xor_si128(_mm_xor_si128(current, prev_out), k[0]);
        for i in 0..blocks {
            let next = if i + 1 < blocks {
                _mm_loadu_si128(src.add(16 * (i + 1)).cast())
            } else {
                _mm_setzero_si128()
            };
            let mut b = input;
            for key in &k[1..14] {
                b = if DECRYPT {
                    _mm_aesdec_si128(b, *key)
                } else {
                    _mm_aesenc_si128(b, *key)
                };
            }
            let last = _mm_xor_si128(k[14], prev_in);
            let folded = _mm_xor_si128(last, _mm_xor_si128(next, k[0]));
            let (out, following) = if DECRYPT {
                (
                    _mm_aesdeclast_si128(b, last),
                    _mm_aesdeclast_si128(b, folded),
                )
            } else {
                (
                    _mm_aesenclast_si128(b, last),
                    _mm_aesenclast_si128(b, folded),
                )
            };
            input = following;
            _mm_storeu_si128(dst.add(16 * i).cast(), out);
            prev_out = out;
            prev_in = current;
            current = next;
        }
        self.prev_out = prev_out;
        self.prev_in = prev_in;
    }
}

/// Decrypts `src` (a multiple of 16 bytes), appends the plaintext to `out` and returns
/// `SHA-256(prefix ‖ plaintext)`, if the CPU has AES-NI and the SHA extensions; returns
/// `None`, touching nothing, if it does not.
///
/// The hash runs inside the decryption loop, one 64-byte SHA-256 block behind every four
/// AES blocks: the IGE chain is bound by the latency of its AES rounds and leaves the
/// execution units mostly idle, the SHA-256 rounds form an independent chain, so the
/// processor runs the two side by side and the hash comes nearly for free (an MTProto
/// receiver hashes every decrypted byte for the msg_key check). The bytes hashed were just
/// written and are still in L1.
pub(super) fn decrypt_append_sha256(
    src: &[u8],
    out: &mut Vec<u8>,
    key: &[u8; 32],
    iv: &[u8; 32],
    prefix: &[u8; 32],
) -> Option<[u8; 32]> {
    if !has_fused_path() {
        return None;
    }
    let blocks = src.len() / 16;
    out.reserve(blocks * 16);
    let base = out.len();
    // SAFETY: the CPU has AES-NI, SHA, SSSE3 and SSE4.1 (checked above). `decrypt_hash`
    // reads the `blocks` whole blocks of `src` and writes as many into `out`'s spare
    // capacity, reserved just above, and reads back only bytes it wrote; the length grows
    // only once every one of those bytes is written.
    unsafe {
        let mut digests = [[0u8; 32]; LANES];
        decrypt_hash(
            1,
            &[src.as_ptr(); LANES],
            &[out.as_mut_ptr().add(base); LANES],
            &[blocks; LANES],
            &[(key, iv); LANES],
            prefix,
            &mut digests,
        );
        out.set_len(base + blocks * 16);
        Some(digests[0])
    }
}

/// How many packets [`decrypt_append_sha256_many`] opens side by side.
const PAIR: usize = 2;

/// [`decrypt_append_sha256`] of several packets at once, all hashed after the same
/// `prefix`: packet `m` is `srcs[m]` (a multiple of 16 bytes), decrypted under `keys[m]` /
/// `ivs[m]` and appended to `outs[m]`; `digests[m]` gets its hash. The packets go two at a
/// time, their AES and SHA-256 rounds interleaved in one loop ([`decrypt_hash_lanes`]):
/// measured on AMD EPYC (`benches/crypto.rs` `file-part-1MiB`, open 4 together), ~10 %
/// faster than four at a time with the AES rounds and the hashing one after the other
/// (two chains and two hashes fit the registers better than four). Returns `false`, touching nothing, without AES-NI and the
/// SHA extensions.
pub(super) fn decrypt_append_sha256_many(
    srcs: &[&[u8]],
    outs: &mut [Vec<u8>],
    keys: &[[u8; 32]],
    ivs: &[[u8; 32]],
    prefix: &[u8; 32],
    digests: &mut [[u8; 32]],
) -> bool {
    if !has_fused_path() {
        return false;
    }
    let count = srcs
        .len()
        .min(outs.len())
        .min(keys.len())
        .min(ivs.len())
        .min(digests.len());
    let mut start = 0;
    while start < count {
        let n = (count - start).min(PAIR);
        let last = start + n - 1;
        let at = |c: usize| start + c.min(n - 1);
        let blocks: [usize; LANES] = core::array::from_fn(|c| srcs[at(c)].len() / 16);
        let mut bases = [0usize; LANES];
        let mut dst = [core::ptr::null_mut::<u8>(); LANES];
        for c in 0..n {
            let out = &mut outs[start + c];
            out.reserve(blocks[c] * 16);
            bases[c] = out.len();
            // SAFETY: `bases[c]` is the vector's length, within its allocation.
            dst[c] = unsafe { out.as_mut_ptr().add(bases[c]) };
        }
        let src: [*const u8; LANES] = core::array::from_fn(|c| srcs[at(c)].as_ptr());
        let key_ivs: [(&[u8; 32], &[u8; 32]); LANES] =
            core::array::from_fn(|c| (&keys[at(c)], &ivs[at(c)]));
        let mut got = [[0u8; 32]; LANES];
        // SAFETY: the CPU has AES-NI, SHA, SSSE3 and SSE4.1 (checked above). For each of
        // the `n` packets, `decrypt_hash` reads its `blocks[c]` whole blocks and writes as
        // many into its own vector's spare capacity, reserved just above (distinct `&mut`
        // vectors do not overlap), reading back only bytes it wrote; a length grows only
        // once every one of those bytes is written.
        unsafe {
            decrypt_hash(n, &src, &dst, &blocks, &key_ivs, prefix, &mut got);
            for c in 0..n {
                outs[start + c].set_len(bases[c] + blocks[c] * 16);
            }
        }
        digests[start..=last].copy_from_slice(&got[..n]);
        got.zeroize();
        start += n;
    }
    true
}

/// The loop of [`decrypt_append_sha256`] and [`decrypt_append_sha256_many`], for `n`
/// (1 to [`LANES`]) packets side by side: packet `c` is `blocks[c]` blocks at `src[c]`,
/// decrypted to `dst[c]` under `keys[c]` / `ivs[c]`; `digests[c]` gets
/// `SHA-256(prefix ‖ plaintext c)`.
///
/// The chains of the packets run interleaved ([`run_lanes`]) for as many 64-byte units as
/// all of them have; each packet then finishes alone.
///
/// # Safety
/// The CPU must have AES-NI, SHA, SSSE3 and SSE4.1; for `c < n`, `src[c]` must be readable
/// and `dst[c]` writable for `blocks[c] * 16` bytes, no two of these regions overlapping.
#[target_feature(enable = "aes,sha,sse2,ssse3,sse4.1")]
unsafe fn decrypt_hash(
    n: usize,
    src: &[*const u8; LANES],
    dst: &[*mut u8; LANES],
    blocks: &[usize; LANES],
    key_ivs: &[(&[u8; 32], &[u8; 32]); LANES],
    prefix: &[u8; 32],
    digests: &mut [[u8; 32]; LANES],
) {
    let n = n.clamp(1, LANES);
    let mut chains: [DecryptChain; LANES] = core::array::from_fn(|c| {
        let (key, iv) = key_ivs[c.min(n - 1)];
        DecryptChain::new(key, iv)
    });
    let mut states = [sha256_start(); LANES];
    // The hashed stream is prefix ‖ plaintext, so SHA-256 block j is plaintext bytes
    // 64j-32 .. 64j+32: whole once AES unit j (plaintext 64j .. 64j+64) is written.
    let mut first = [[0u8; 64]; LANES];
    for f in &mut first {
        f[..32].copy_from_slice(prefix);
    }
    let units: [usize; LANES] = core::array::from_fn(|c| blocks[c] / 4);
    let common = units[..n].iter().copied().min().unwrap_or(0);
    let idx: [usize; LANES] = core::array::from_fn(|c| c);
    // Block j-1 of each packet is hashed just before unit j is decrypted: its bytes are all
    // there. The first two units go one step at a time (SHA-256 block 0 starts with the
    // prefix). From the third on, the AES and SHA-256 rounds of one or two packets run
    // interleaved ([`decrypt_hash_lanes`]): each chain alone waits on latencies, side by
    // side they overlap. Three or four packets keep each other's chains busy already: the
    // AES rounds of all of them, then the SHA-256 rounds of all of them, unit by unit
    // (measured on AMD EPYC, `benches/crypto.rs` `file-part-1MiB`: interleaving 4 packets
    // so was ~25 % slower, spilling registers; one packet alone ~25 % faster; two packets
    // interleaved ~10 % faster than four one after the other).
    let head = if n <= 2 { common.min(2) } else { common };
    let mut from = [core::ptr::null::<u8>(); LANES];
    let mut to = [core::ptr::null_mut::<u8>(); LANES];
    let mut hashed = [core::ptr::null::<u8>(); LANES];
    for j in 0..head {
        for c in 0..n {
            if j < 2 {
                hash_before_unit(&mut states[c], &mut first[c], dst[c], j);
            } else {
                hashed[c] = dst[c].add(64 * (j - 1) - 32);
            }
            from[c] = src[c].add(64 * j);
            to[c] = dst[c].add(64 * j);
        }
        if j >= 2 {
            sha256_group(&mut states, &idx[..n], &hashed, 1);
        }
        run_group(&mut chains, &idx[..n], &from, &to, 4);
    }
    if common > head {
        // One or two packets (n <= 2), from unit 2 on. SHA-256 block j-1 of `prefix ‖ plaintext` is
        // plaintext bytes 64j-96 .. 64j-32.
        for c in 0..n {
            from[c] = src[c].add(64 * head);
            to[c] = dst[c].add(64 * head);
            hashed[c] = dst[c].add(64 * (head - 1) - 32);
        }
        if n == 1 {
            let [c0, ..] = &mut chains;
            let [s0, ..] = &mut states;
            decrypt_hash_lanes([c0], [s0], [from[0]], [to[0]], [hashed[0]], common - head);
        } else {
            let [c0, c1, ..] = &mut chains;
            let [s0, s1, ..] = &mut states;
            let (f, t, h) = ([from[0], from[1]], [to[0], to[1]], [hashed[0], hashed[1]]);
            decrypt_hash_lanes([c0, c1], [s0, s1], f, t, h, common - head);
        }
    }
    for c in 0..n {
        for j in common..units[c] {
            hash_before_unit(&mut states[c], &mut first[c], dst[c], j);
            chains[c].run(src[c].add(64 * j), dst[c].add(64 * j), 4);
        }
        let rest = blocks[c] % 4;
        chains[c].run(src[c].add(64 * units[c]), dst[c].add(64 * units[c]), rest);
        hash_before_unit(&mut states[c], &mut first[c], dst[c], units[c]);
        digests[c] = hash_tail(states[c], dst[c], blocks[c], prefix);
    }
    for f in &mut first {
        f.zeroize();
    }
    states.zeroize();
}

/// `units` 64-byte units of the first `N` packets, decrypted and hashed in one loop: unit
/// `u` of lane `c` decrypts 4 blocks from `src[c] + 64u` to `dst[c] + 64u` (chain `c`) and
/// feeds the 64 bytes at `hashed[c] + 64u` to SHA-256 state `c`.
///
/// An IGE chain waits on the latency of each AES round and SHA-256 on the latency of each
/// pair of its rounds; the two use different units. Run one after the other for each unit
/// (as [`run_group`] then [`sha256_group`]), they overlap little; here every third AES round
/// of the lanes is followed by one group of SHA-256 rounds (two rounds and a step of the
/// message schedule, [`sha256_step`]), so both chains advance side by side: 13 rounds of
/// each of the 4 AES blocks of a unit, 16 groups of its SHA-256 block. Same arithmetic as
/// [`Chain::run`] and [`sha256_block`], lane by lane.
///
/// # Safety
/// The CPU must have AES-NI, SHA, SSSE3 and SSE4.1. For `c < N`: `src[c]` readable and
/// `dst[c]` writable for `64 * units` bytes, not overlapping each other or another lane's;
/// `hashed[c]` readable for `64 * units` bytes, each 64-byte block of it either written
/// before the call or by an earlier unit of this call (the unit before: `hashed[c] + 64u`
/// ends at or before `dst[c] + 64u`).
#[inline]
#[target_feature(enable = "aes,sha,sse2,ssse3,sse4.1")]
unsafe fn decrypt_hash_lanes<const N: usize>(
    chains: [&mut DecryptChain; N],
    states: [&mut ShaState; N],
    src: [*const u8; N],
    dst: [*mut u8; N],
    hashed: [*const u8; N],
    units: usize,
) {
    if units == 0 {
        return;
    }
    let be = _mm_set_epi64x(0x0c0d_0e0f_0809_0a0b, 0x0405_0607_0001_0203);
    let zero = _mm_setzero_si128();
    let blocks = 4 * units;
    let mut prev_in = [zero; N];
    let mut current = [zero; N];
    let mut input = [zero; N];
    let mut out = [zero; N];
    for c in 0..N {
        let chain = &chains[c];
        prev_in[c] = chain.prev_in;
        out[c] = chain.prev_out;
        current[c] = _mm_loadu_si128(src[c].cast());
        input[c] = _mm_xor_si128(_mm_xor_si128(current[c], chain.prev_out), chain.k[0]);
    }
    let mut w = [[zero; 4]; N];
    let mut abef = [zero; N];
    let mut cdgh = [zero; N];
    {
        let keys: [&RoundKeys; N] = core::array::from_fn(|c| &chains[c].k);
        for u in 0..units {
            for c in 0..N {
                for (i, w) in w[c].iter_mut().enumerate() {
                    *w = _mm_shuffle_epi8(
                        _mm_loadu_si128(hashed[c].add(64 * u + 16 * i).cast()),
                        be,
                    );
                }
                [abef[c], cdgh[c]] = *states[c];
            }
            for b in 0..4 {
                let i = 4 * u + b;
                let mut next = [zero; N];
                if i + 1 < blocks {
                    for c in 0..N {
                        next[c] = _mm_loadu_si128(src[c].add(16 * (i + 1)).cast());
                    }
                }
                let mut x = input;
                // After rounds 3, 6, 9 and 12 of each block: SHA-256 groups 4b .. 4b+3 (group
                // 4b+q keeps its message words in w[q]).
                macro_rules! rounds_then_group {
                    ($q:literal) => {
                        for r in 3 * $q + 1..3 * $q + 4 {
                            for c in 0..N {
                                x[c] = _mm_aesdec_si128(x[c], keys[c][r]);
                            }
                        }
                        for c in 0..N {
                            sha256_step_at::<$q>(4 * b + $q, &mut w[c], &mut abef[c], &mut cdgh[c]);
                        }
                    };
                }
                rounds_then_group!(0);
                rounds_then_group!(1);
                rounds_then_group!(2);
                rounds_then_group!(3);
                for c in 0..N {
                    x[c] = _mm_aesdec_si128(x[c], keys[c][13]);
                }
                for c in 0..N {
                    let last = _mm_xor_si128(keys[c][14], prev_in[c]);
                    let folded = _mm_xor_si128(last, _mm_xor_si128(next[c], keys[c][0]));
                    out[c] = _mm_aesdeclast_si128(x[c], last);
                    input[c] = _mm_aesdeclast_si128(x[c], folded);
                    _mm_storeu_si128(dst[c].add(16 * i).cast(), out[c]);
                    prev_in[c] = current[c];
                    current[c] = next[c];
                }
            }
            for c in 0..N {
                let state = &mut *states[c];
                state[0] = _mm_add_epi32(state[0], abef[c]);
                state[1] = _mm_add_epi32(state[1], cdgh[c]);
            }
        }
    }
    for c in 0..N {
        let chain = &mut *chains[c];
        chain.prev_out = out[c];
        chain.prev_in = prev_in[c];
    }
    input.zeroize();
    out.zeroize();
    prev_in.zeroize();
    current.zeroize();
    w.zeroize();
    abef.zeroize();
    cdgh.zeroize();
}

/// A packet's decryption with its msg_key hash, stopped between two 64-byte units so that
/// it can go on as more of the packet arrives ([`super::Resumable`]): the IGE chain, the
/// SHA-256 state (one block behind the plaintext, as in [`decrypt_hash`]), the first hashed
/// block (the prefix and the plaintext's first 32 bytes) and how many units are written.
pub(super) struct Progress {
    chain: DecryptChain,
    sha: ShaState,
    first: [u8; 64],
    units: usize,
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.sha.zeroize();
        self.first.zeroize();
    }
}

/// Whether the CPU has what [`Progress`] and [`decrypt_hash`] run on.
fn has_fused_path() -> bool {
    std::arch::is_x86_feature_detected!("aes")
        && std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("ssse3")
        && std::arch::is_x86_feature_detected!("sse4.1")
}

impl Progress {
    /// A decryption under `key` / `iv` hashing `prefix ‖ plaintext`, nothing decrypted yet;
    /// `None` without AES-NI and the SHA extensions.
    pub(super) fn new(key: &[u8; 32], iv: &[u8; 32], prefix: &[u8; 32]) -> Option<Self> {
        if !has_fused_path() {
            return None;
        }
        let mut first = [0u8; 64];
        first[..32].copy_from_slice(prefix);
        // SAFETY: the CPU has AES-NI, SHA, SSSE3 and SSE4.1 (checked above).
        unsafe {
            Some(Progress {
                chain: DecryptChain::new(key, iv),
                sha: sha256_start(),
                first,
                units: 0,
            })
        }
    }

    /// Decrypts the whole 64-byte units of `arrived` (the packet's ciphertext received so
    /// far, from its first byte) that two packets both have beyond what is done, side by side
    /// ([`decrypt_hash_lanes`]); the plaintext goes on at `outs[c][bases[c] + 64 * units]`.
    /// Each packet's first two units (whose hashing starts with the prefix) go alone. Units
    /// one packet has beyond the other's are left for a later call or [`Self::finish`].
    ///
    /// The caller keeps, for each packet between calls, `arrived` a prefix of the same
    /// ciphertext and `outs[c].len() == bases[c] + 64 * units` (this function keeps the
    /// latter).
    pub(super) fn advance_pair(
        progress: [&mut Progress; 2],
        arrived: [&[u8]; 2],
        outs: [&mut Vec<u8>; 2],
        bases: [usize; 2],
    ) {
        let [a, b] = progress;
        let [out_a, out_b] = outs;
        let avail = [arrived[0].len() / 64, arrived[1].len() / 64];
        let done = [a.units, b.units];
        // What the pair can do together, and each packet's lone head before it.
        let heads = [avail[0].min(2).max(done[0]), avail[1].min(2).max(done[1])];
        let common = avail[0]
            .saturating_sub(heads[0])
            .min(avail[1].saturating_sub(heads[1]));
        if common == 0 {
            // Nothing to do side by side: what is left goes later.
            return;
        }
        let ends = [heads[0] + common, heads[1] + common];
        for (c, out) in [&mut *out_a, &mut *out_b].into_iter().enumerate() {
            if out.len() != bases[c] + 64 * done[c] {
                // (A broken caller invariant: decrypt nothing rather than write elsewhere.)
                return;
            }
            out.reserve(64 * (ends[c] - done[c]));
        }
        let src = [arrived[0].as_ptr(), arrived[1].as_ptr()];
        // SAFETY: `bases[c]` is within each vector (its length is `bases[c] + 64 * done[c]`,
        // checked above), and each has room for `ends[c] - done[c]` more units (reserved
        // above): every unit written, `done[c] .. ends[c]`, lies in that room; the units
        // read from `arrived[c]` are below `avail[c]`, whole 64-byte units inside it. The two
        // vectors are distinct `&mut` borrows, so no region overlaps another.
        unsafe {
            let dst = [
                out_a.as_mut_ptr().add(bases[0]),
                out_b.as_mut_ptr().add(bases[1]),
            ];
            for (c, p) in [&mut *a, &mut *b].into_iter().enumerate() {
                for j in p.units..heads[c] {
                    hash_before_unit(&mut p.sha, &mut p.first, dst[c], j);
                    p.chain.run(src[c].add(64 * j), dst[c].add(64 * j), 4);
                }
                p.units = heads[c];
            }
            // From unit 2 on (heads are at least 2 when anything is left in common):
            // SHA-256 block j-1 of `prefix ‖ plaintext` is plaintext bytes 64j-96 ..
            // 64j-32.
            let at = |c: usize| 64 * heads[c];
            let from = [src[0].add(at(0)), src[1].add(at(1))];
            let to = [dst[0].add(at(0)), dst[1].add(at(1))];
            let hashed = [
                dst[0].add(at(0) - 96).cast_const(),
                dst[1].add(at(1) - 96).cast_const(),
            ];
            decrypt_hash_lanes(
                [&mut a.chain, &mut b.chain],
                [&mut a.sha, &mut b.sha],
                from,
                to,
                hashed,
                common,
            );
            a.units = ends[0];
            b.units = ends[1];
            out_a.set_len(bases[0] + 64 * a.units);
            out_b.set_len(bases[1] + 64 * b.units);
        }
    }

    /// Decrypts the rest of `ciphertext` (the whole packet body, a multiple of 16 bytes, of
    /// which [`Self::advance_pair`] saw prefixes), appends it after what is written in
    /// `out` (`out.len() == base + 64 * units`) and returns `SHA-256(prefix ‖ plaintext)`;
    /// `None`, with `out` truncated to `base`, if the invariants do not hold.
    pub(super) fn finish(
        mut self,
        ciphertext: &[u8],
        out: &mut Vec<u8>,
        base: usize,
        prefix: &[u8; 32],
    ) -> Option<[u8; 32]> {
        let blocks = ciphertext.len() / 16;
        let units = blocks / 4;
        if ciphertext.len() % 16 != 0 || self.units > units || out.len() != base + 64 * self.units {
            out.truncate(base);
            return None;
        }
        out.reserve(16 * blocks - 64 * self.units);
        let src = ciphertext.as_ptr();
        // SAFETY: the CPU has the features (a `Progress` exists only then). `out` has room
        // for the whole plaintext after `base` (reserved above); units `0 .. self.units`
        // are written (its length says so), the rest are written here in order, each read
        // back only once written; `src` is read below `16 * blocks`.
        unsafe {
            let dst = out.as_mut_ptr().add(base);
            let head = units.min(2).max(self.units);
            for j in self.units..head {
                hash_before_unit(&mut self.sha, &mut self.first, dst, j);
                self.chain.run(src.add(64 * j), dst.add(64 * j), 4);
            }
            if units > head {
                // From unit 2 on, the rounds of the hash interleaved with the chain's (as in
                // `decrypt_hash`); SHA-256 block j-1 is plaintext bytes 64j-96 .. 64j-32.
                decrypt_hash_lanes(
                    [&mut self.chain],
                    [&mut self.sha],
                    [src.add(64 * head)],
                    [dst.add(64 * head)],
                    [dst.add(64 * head - 96).cast_const()],
                    units - head,
                );
            }
            self.chain
                .run(src.add(64 * units), dst.add(64 * units), blocks % 4);
            hash_before_unit(&mut self.sha, &mut self.first, dst, units);
            let digest = hash_tail(self.sha, dst, blocks, prefix);
            out.set_len(base + 16 * blocks);
            Some(digest)
        }
    }
}

/// Group `i` (0 to 15) of a SHA-256 compression: rounds `4i .. 4i+4` (two `sha256rnds2`),
/// then, for `i < 12`, message words `4i+16 .. 4i+20` into `w[i % 4]`. `w[i % 4]` holds
/// words `4i .. 4i+4` when group `i` runs. [`sha256_block`] is groups 0 to 15 in order.
///
/// # Safety
/// The CPU must have SHA, SSSE3 and SSE4.1.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn sha256_step(i: usize, w: &mut [__m128i; 4], abef: &mut __m128i, cdgh: &mut __m128i) {
    let msg = _mm_add_epi32(
        w[i % 4],
        _mm_loadu_si128(SHA256_K.as_ptr().add(4 * i).cast()),
    );
    // Two rounds take (CDGH, ABEF) and give the new ABEF; the old ABEF is then the CDGH of
    // the next two.
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, msg);
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32::<0x0E>(msg));
    if i < 12 {
        // W[t] = σ1(W[t-2]) + W[t-7] + σ0(W[t-15]) + W[t-16] for t = 4i+16 .. 4i+20.
        let sigma0 = _mm_sha256msg1_epu32(w[i % 4], w[(i + 1) % 4]);
        let with_w7 = _mm_add_epi32(sigma0, _mm_alignr_epi8::<4>(w[(i + 3) % 4], w[(i + 2) % 4]));
        w[i % 4] = _mm_sha256msg2_epu32(with_w7, w[(i + 3) % 4]);
    }
}

/// [`sha256_step`] of group `i`, `i % 4` being `Q` (a constant, so that the message words
/// can stay in registers where the group number is not known when compiling).
///
/// # Safety
/// The CPU must have SHA, SSSE3 and SSE4.1; `i < 16`.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn sha256_step_at<const Q: usize>(
    i: usize,
    w: &mut [__m128i; 4],
    abef: &mut __m128i,
    cdgh: &mut __m128i,
) {
    debug_assert_eq!(i % 4, Q);
    let msg = _mm_add_epi32(w[Q], _mm_loadu_si128(SHA256_K.as_ptr().add(4 * i).cast()));
    *cdgh = _mm_sha256rnds2_epu32(*cdgh, *abef, msg);
    *abef = _mm_sha256rnds2_epu32(*abef, *cdgh, _mm_shuffle_epi32::<0x0E>(msg));
    if i < 12 {
        let sigma0 = _mm_sha256msg1_epu32(w[Q], w[(Q + 1) % 4]);
        let with_w7 = _mm_add_epi32(sigma0, _mm_alignr_epi8::<4>(w[(Q + 3) % 4], w[(Q + 2) % 4]));
        w[Q] = _mm_sha256msg2_epu32(with_w7, w[(Q + 3) % 4]);
    }
}

/// Hashes SHA-256 block `j - 1` of `prefix ‖ plaintext` (nothing for `j = 0`); `first`
/// holds the prefix in its first half, `dst` the plaintext, of which units `0..j` are
/// written.
///
/// # Safety
/// The CPU must have SHA, SSSE3 and SSE4.1; `dst` must be readable for `64 * j` bytes.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn hash_before_unit(state: &mut ShaState, first: &mut [u8; 64], dst: *const u8, j: usize) {
    match j {
        0 => {}
        1 => {
            core::ptr::copy_nonoverlapping(dst, first.as_mut_ptr().add(32), 32);
            sha256_block(state, first.as_ptr());
        }
        _ => sha256_block(state, dst.add(64 * (j - 1) - 32)),
    }
}

/// Finishes the hash of `prefix ‖ plaintext` (`blocks` blocks at `dst`, all written) once
/// every SHA-256 block before the last unit's end has been hashed: what is left of the
/// stream (32 + 16·(blocks % 4) bytes, at most 80), then the padding: 0x80, zeros, and the
/// stream's length in bits, big-endian, ending a 64-byte block.
///
/// # Safety
/// The CPU must have SHA, SSSE3 and SSE4.1; `dst` must be readable for `blocks * 16` bytes.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn hash_tail(
    mut state: ShaState,
    dst: *const u8,
    blocks: usize,
    prefix: &[u8; 32],
) -> [u8; 32] {
    let units = blocks / 4;
    let rest = blocks % 4;
    let mut tail = [0u8; 128];
    let left = 32 + 16 * rest;
    if units == 0 {
        tail[..32].copy_from_slice(prefix);
        core::ptr::copy_nonoverlapping(dst, tail.as_mut_ptr().add(32), 16 * rest);
    } else {
        core::ptr::copy_nonoverlapping(dst.add(64 * units - 32), tail.as_mut_ptr(), left);
    }
    tail[left] = 0x80;
    let padded = if left + 9 <= 64 { 64 } else { 128 };
    let bits = (32 + 16 * blocks as u64) * 8;
    tail[padded - 8..padded].copy_from_slice(&bits.to_be_bytes());
    sha256_block(&mut state, tail.as_ptr());
    if padded == 128 {
        sha256_block(&mut state, tail.as_ptr().add(64));
    }
    tail.zeroize();
    sha256_finish(state)
}

/// SHA-256's initial hash value.
const SHA256_H0: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];

/// SHA-256's round constants.
const SHA256_K: [u32; 64] = [
    0x428a_2f98,
    0x7137_4491,
    0xb5c0_fbcf,
    0xe9b5_dba5,
    0x3956_c25b,
    0x59f1_11f1,
    0x923f_82a4,
    0xab1c_5ed5,
    0xd807_aa98,
    0x1283_5b01,
    0x2431_85be,
    0x550c_7dc3,
    0x72be_5d74,
    0x80de_b1fe,
    0x9bdc_06a7,
    0xc19b_f174,
    0xe49b_69c1,
    0xefbe_4786,
    0x0fc1_9dc6,
    0x240c_a1cc,
    0x2de9_2c6f,
    0x4a74_84aa,
    0x5cb0_a9dc,
    0x76f9_88da,
    0x983e_5152,
    0xa831_c66d,
    0xb003_27c8,
    0xbf59_7fc7,
    0xc6e0_0bf3,
    0xd5a7_9147,
    0x06ca_6351,
    0x1429_2967,
    0x27b7_0a85,
    0x2e1b_2138,
    0x4d2c_6dfc,
    0x5338_0d13,
    0x650a_7354,
    0x766a_0abb,
    0x81c2_c92e,
    0x9272_2c85,
    0xa2bf_e8a1,
    0xa81a_664b,
    0xc24b_8b70,
    0xc76c_51a3,
    0xd192_e819,
    0xd699_0624,
    0xf40e_3585,
    0x106a_a070,
    0x19a4_c116,
    0x1e37_6c08,
    0x2748_774c,
    0x34b0_bcb5,
    0x391c_0cb3,
    0x4ed8_aa4a,
    0x5b9c_ca4f,
    0x682e_6ff3,
    0x748f_82ee,
    0x78a5_636f,
    0x84c8_7814,
    0x8cc7_0208,
    0x90be_fffa,
    0xa450_6ceb,
    0xbef9_a3f7,
    0xc671_78f2,
];

/// The SHA-256 state in the layout the SHA extensions use: `[ABEF, CDGH]`.
type ShaState = [__m128i; 2];

/// The initial state, rearranged from `a..h` into `[ABEF, CDGH]`.
#[inline]
#[target_feature(enable = "sse2,ssse3,sse4.1")]
unsafe fn sha256_start() -> ShaState {
    let abcd = _mm_loadu_si128(SHA256_H0.as_ptr().cast());
    let efgh = _mm_loadu_si128(SHA256_H0.as_ptr().add(4).cast());
    let badc = _mm_shuffle_epi32::<0xB1>(abcd);
    let hgfe = _mm_shuffle_epi32::<0x1B>(efgh);
    [
        _mm_alignr_epi8::<8>(badc, hgfe),
        _mm_blend_epi16::<0xF0>(hgfe, badc),
    ]
}

/// The digest of a finished state: `a..h` back from `[ABEF, CDGH]`, each word big-endian.
#[inline]
#[target_feature(enable = "sse2,ssse3,sse4.1")]
unsafe fn sha256_finish(mut state: ShaState) -> [u8; 32] {
    let abef = _mm_shuffle_epi32::<0x1B>(state[0]);
    let cdgh = _mm_shuffle_epi32::<0xB1>(state[1]);
    let mut words = [0u32; 8];
    _mm_storeu_si128(
        words.as_mut_ptr().cast(),
        _mm_blend_epi16::<0xF0>(abef, cdgh),
    );
    _mm_storeu_si128(
        words.as_mut_ptr().add(4).cast(),
        _mm_alignr_epi8::<8>(cdgh, abef),
    );
    state.zeroize();
    let mut digest = [0u8; 32];
    for (out, word) in digest.chunks_exact_mut(4).zip(words) {
        out.copy_from_slice(&word.to_be_bytes());
    }
    digest
}

/// One SHA-256 compression of the 64 bytes at `block`.
///
/// # Safety
/// The CPU must have SHA, SSSE3 and SSE4.1; `block` must be readable for 64 bytes.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn sha256_block(state: &mut ShaState, block: *const u8) {
    // Byte order of each 32-bit word reversed: the message words are big-endian.
    let be = _mm_set_epi64x(0x0c0d_0e0f_0809_0a0b, 0x0405_0607_0001_0203);
    // w[i % 4] holds W[4i .. 4i+4] when round group i runs.
    let mut w = [_mm_setzero_si128(); 4];
    for (i, w) in w.iter_mut().enumerate() {
        *w = _mm_shuffle_epi8(_mm_loadu_si128(block.add(16 * i).cast()), be);
    }
    let [mut abef, mut cdgh] = *state;
    for i in 0..16 {
        sha256_step(i, &mut w, &mut abef, &mut cdgh);
    }
    state[0] = _mm_add_epi32(state[0], abef);
    state[1] = _mm_add_epi32(state[1], cdgh);
}

/// How many independent IGE chains run side by side on one core. AES-NI starts a round
/// every cycle or two but a round's result comes four cycles later: one chain leaves the
/// unit idle most of the time, four keep it busy without the spills of more.
pub(super) const LANES: usize = 4;

/// Runs `N` independent chains side by side: `blocks` blocks of chain `idx[c]` from
/// `src[c]` to `dst[c]`, the rounds of the `N` chains interleaved so that each chain's
/// latency hides behind the others'. Same arithmetic as [`Chain::run`], chain by chain.
///
/// # Safety
/// The CPU must have AES-NI; every `src[c]` must be readable and every `dst[c]` writable for
/// `blocks * 16` bytes, each source either equal to its destination or not overlapping it,
/// no destination overlapping another lane's source or destination; `idx` holds `N`
/// distinct indices into `chains`.
#[inline]
#[target_feature(enable = "aes,sse2")]
unsafe fn run_lanes<const DECRYPT: bool, const N: usize>(
    chains: &mut [Chain<DECRYPT>],
    idx: [usize; N],
    src: [*const u8; N],
    dst: [*mut u8; N],
    blocks: usize,
) {
    if blocks == 0 {
        return;
    }
    let zero = _mm_setzero_si128();
    let mut prev_in = [zero; N];
    let mut current = [zero; N];
    let mut input = [zero; N];
    let mut out = [zero; N];
    for c in 0..N {
        let chain = &chains[idx[c]];
        prev_in[c] = chain.prev_in;
        out[c] = chain.prev_out;
        current[c] = _mm_loadu_si128(src[c].cast());
        input[c] = _mm_xor_si128(_mm_xor_si128(current[c], chain.prev_out), chain.k[0]);
    }
    {
        let keys: [&RoundKeys; N] = core::array::from_fn(|c| &chains[idx[c]].k);
        for i in 0..blocks {
            let mut next = [zero; N];
            if i + 1 < blocks {
                for c in 0..N {
                    next[c] = _mm_loadu_si128(src[c].add(16 * (i + 1)).cast());
                }
            }
            let mut b = input;
            for r in 1..14 {
                for c in 0..N {
                    b[c] = if DECRYPT {
                        _mm_aesdec_si128(b[c], keys[c][r])
                    } else {
                        _mm_aesenc_si128(b[c], keys[c][r])
                    };
                }
            }
            for c in 0..N {
                let last = _mm_xor_si128(keys[c][14], prev_in[c]);
                let folded = _mm_xor_si128(last, _mm_xor_si128(next[c], keys[c][0]));
                if DECRYPT {
                    out[c] = _mm_aesdeclast_si128(b[c], last);
                    input[c] = _mm_aesdeclast_si128(b[c], folded);
                } else {
                    out[c] = _mm_aesenclast_si128(b[c], last);
                    input[c] = _mm_aesenclast_si128(b[c], folded);
                }
                _mm_storeu_si128(dst[c].add(16 * i).cast(), out[c]);
                prev_in[c] = current[c];
                current[c] = next[c];
            }
        }
    }
    for c in 0..N {
        let chain = &mut chains[idx[c]];
        chain.prev_out = out[c];
        chain.prev_in = prev_in[c];
    }
    input.zeroize();
    out.zeroize();
    prev_in.zeroize();
    current.zeroize();
}

/// [`run_lanes`] for the lanes `idx` names (one to [`LANES`] of them).
///
/// # Safety
/// As for [`run_lanes`], for the first `idx.len()` entries of `src` and `dst`.
#[inline]
#[target_feature(enable = "aes,sse2")]
unsafe fn run_group<const DECRYPT: bool>(
    chains: &mut [Chain<DECRYPT>],
    idx: &[usize],
    src: &[*const u8; LANES],
    dst: &[*mut u8; LANES],
    blocks: usize,
) {
    match *idx {
        [a] => chains[a].run(src[0], dst[0], blocks),
        [a, b] => run_lanes(chains, [a, b], [src[0], src[1]], [dst[0], dst[1]], blocks),
        [a, b, c] => run_lanes(
            chains,
            [a, b, c],
            [src[0], src[1], src[2]],
            [dst[0], dst[1], dst[2]],
            blocks,
        ),
        [a, b, c, d] => run_lanes(chains, [a, b, c, d], *src, *dst, blocks),
        _ => {}
    }
}

/// Reads the concatenation of some parts as runs of whole `B`-byte blocks (16 for AES, 64
/// for SHA-256): straight from a part where whole blocks lie in it, through a staging block
/// where one straddles two parts.
struct PartsCursor<'a, const B: usize> {
    parts: core::slice::Iter<'a, &'a [u8]>,
    rest: &'a [u8],
    carry: [u8; B],
    /// `carry` holds the next block.
    carried: bool,
    blocks_left: usize,
}

impl<'a, const B: usize> PartsCursor<'a, B> {
    fn new(parts: &'a [&'a [u8]], blocks: usize) -> Self {
        PartsCursor {
            parts: parts.iter(),
            rest: &[],
            carry: [0; B],
            carried: false,
            blocks_left: blocks,
        }
    }

    /// The next run: where it starts and how many whole blocks it has (at least one while
    /// blocks are left; 0 once done, or if the parts end early). The pointer is valid until
    /// the next call of [`Self::consume`] and while the cursor does not move.
    fn peek(&mut self) -> (*const u8, usize) {
        if self.blocks_left == 0 {
            return (core::ptr::null(), 0);
        }
        if self.carried {
            return (self.carry.as_ptr(), 1);
        }
        while self.rest.is_empty() {
            match self.parts.next() {
                Some(part) => self.rest = part,
                None => return (core::ptr::null(), 0),
            }
        }
        if self.rest.len() >= B {
            return (
                self.rest.as_ptr(),
                (self.rest.len() / B).min(self.blocks_left),
            );
        }
        let mut filled = 0;
        loop {
            let take = (B - filled).min(self.rest.len());
            self.carry[filled..filled + take].copy_from_slice(&self.rest[..take]);
            filled += take;
            self.rest = &self.rest[take..];
            if filled == B {
                break;
            }
            match self.parts.next() {
                Some(part) => self.rest = part,
                None => return (core::ptr::null(), 0),
            }
        }
        self.carried = true;
        (self.carry.as_ptr(), 1)
    }

    /// Moves past `blocks` blocks of the run [`Self::peek`] returned (at most its length).
    fn consume(&mut self, blocks: usize) {
        if blocks == 0 {
            return;
        }
        if self.carried {
            self.carried = false;
        } else {
            self.rest = self.rest.get(B * blocks..).unwrap_or_default();
        }
        self.blocks_left -= blocks;
    }

    /// Once no whole block is left: copies the bytes that remain (fewer than `B` if the
    /// parts hold as many as the cursor was told) into `buf`, up to its length; returns how
    /// many.
    fn rest_into(&mut self, buf: &mut [u8]) -> usize {
        let mut filled = 0;
        loop {
            let take = (buf.len() - filled).min(self.rest.len());
            buf[filled..filled + take].copy_from_slice(&self.rest[..take]);
            filled += take;
            self.rest = &self.rest[take..];
            if filled == buf.len() {
                return filled;
            }
            match self.parts.next() {
                Some(part) => self.rest = part,
                None => return filled,
            }
        }
    }
}

impl<const B: usize> Drop for PartsCursor<'_, B> {
    fn drop(&mut self) {
        self.carry.zeroize();
    }
}

/// Encrypts several messages at once: message `m` is the concatenation of `parts[m]` (a
/// multiple of 16 bytes), encrypted under `keys[m]` / `ivs[m]` and appended to `outs[m]`.
/// Up to [`LANES`] chains run side by side, each reading its parts where they lie. Returns
/// `false`, touching nothing, without AES-NI.
pub(super) fn encrypt_parts_append_many(
    parts: &[&[&[u8]]],
    outs: &mut [Vec<u8>],
    keys: &[[u8; 32]],
    ivs: &[[u8; 32]],
) -> bool {
    if !std::arch::is_x86_feature_detected!("aes") {
        return false;
    }
    let count = parts.len().min(outs.len()).min(keys.len()).min(ivs.len());
    let mut start = 0;
    while start < count {
        let end = (start + LANES).min(count);
        let n = end - start;
        let totals: [usize; LANES] = core::array::from_fn(|c| {
            parts
                .get(start + c)
                .filter(|_| c < n)
                .map_or(0, |p| p.iter().map(|part| part.len()).sum::<usize>() / 16)
        });
        let mut cursors: [PartsCursor<'_, 16>; LANES] = core::array::from_fn(|c| {
            PartsCursor::new(if c < n { parts[start + c] } else { &[] }, totals[c])
        });
        let mut bases = [core::ptr::null_mut::<u8>(); LANES];
        let mut lens = [0usize; LANES];
        for c in 0..n {
            let out = &mut outs[start + c];
            out.reserve(totals[c] * 16);
            lens[c] = out.len();
            // SAFETY: `lens[c]` is the vector's length, within its allocation.
            bases[c] = unsafe { out.as_mut_ptr().add(lens[c]) };
        }
        let mut written = [0usize; LANES];
        // SAFETY: AES-NI is present (checked above). Lane `c` writes `out[c]`'s spare
        // capacity, reserved above for `totals[c]` blocks, one block after the other
        // (`written[c]` never passes `totals[c]`: a cursor yields no more than its blocks
        // left), and reads runs its cursor hands out: whole blocks inside one part, or its
        // own staging block. Distinct vectors do not overlap (they are distinct `&mut`).
        // A length grows only over bytes written.
        unsafe {
            let mut chains: [EncryptChain; LANES] = core::array::from_fn(|c| {
                EncryptChain::new(&keys[start + c.min(n - 1)], &ivs[start + c.min(n - 1)])
            });
            loop {
                let mut idx = [0usize; LANES];
                let mut src = [core::ptr::null::<u8>(); LANES];
                let mut dst = [core::ptr::null_mut::<u8>(); LANES];
                let mut active = 0;
                let mut run = usize::MAX;
                for c in 0..n {
                    let (from, blocks) = cursors[c].peek();
                    if blocks == 0 {
                        continue;
                    }
                    idx[active] = c;
                    src[active] = from;
                    dst[active] = bases[c].add(written[c] * 16);
                    active += 1;
                    run = run.min(blocks);
                }
                if active == 0 {
                    break;
                }
                run_group(&mut chains, &idx[..active], &src, &dst, run);
                for &c in &idx[..active] {
                    cursors[c].consume(run);
                    written[c] += run;
                }
            }
            for c in 0..n {
                if written[c] == totals[c] {
                    outs[start + c].set_len(lens[c] + totals[c] * 16);
                }
            }
        }
        start = end;
    }
    true
}

/// Encrypts (`DECRYPT = false`) or decrypts several buffers in place, buffer `m` (a multiple
/// of 16 bytes) under `keys[m]` / `ivs[m]`, up to [`LANES`] chains side by side. Returns
/// `false`, touching nothing, without AES-NI.
pub(super) fn run_many_in_place<const DECRYPT: bool>(
    bufs: &mut [&mut [u8]],
    keys: &[[u8; 32]],
    ivs: &[[u8; 32]],
) -> bool {
    if !std::arch::is_x86_feature_detected!("aes") {
        return false;
    }
    let count = bufs.len().min(keys.len()).min(ivs.len());
    let mut start = 0;
    while start < count {
        let n = (count - start).min(LANES);
        let at = |c: usize| start + c.min(n - 1);
        let blocks: [usize; LANES] =
            core::array::from_fn(|c| if c < n { bufs[start + c].len() / 16 } else { 0 });
        let bases: [*mut u8; LANES] = core::array::from_fn(|c| bufs[at(c)].as_mut_ptr());
        let mut done = [0usize; LANES];
        // SAFETY: AES-NI is present (checked above). Lane `c` reads and writes, in place,
        // blocks `done[c] .. done[c] + run` of its own buffer, never past its `blocks[c]`
        // (`run` is at most what every active lane has left); distinct `&mut` buffers do
        // not overlap.
        unsafe {
            let mut chains: [Chain<DECRYPT>; LANES] =
                core::array::from_fn(|c| Chain::new(&keys[at(c)], &ivs[at(c)]));
            loop {
                let mut idx = [0usize; LANES];
                let mut src = [core::ptr::null::<u8>(); LANES];
                let mut dst = [core::ptr::null_mut::<u8>(); LANES];
                let mut active = 0;
                let mut run = usize::MAX;
                for c in 0..n {
                    let left = blocks[c] - done[c];
                    if left == 0 {
                        continue;
                    }
                    idx[active] = c;
                    dst[active] = bases[c].add(16 * done[c]);
                    src[active] = dst[active];
                    active += 1;
                    run = run.min(left);
                }
                if active == 0 {
                    break;
                }
                run_group(&mut chains, &idx[..active], &src, &dst, run);
                for &c in &idx[..active] {
                    done[c] += run;
                }
            }
        }
        start += n;
    }
    true
}

/// SHA-256 of several streams side by side: stream `m` is the concatenation of `parts[m]`
/// and `digests[m]` gets its hash. The SHA extensions finish a pair of rounds every cycle
/// or two but each pair waits for the previous one: up to [`LANES`] streams interleaved
/// use the unit that one stream leaves idle. Returns `false`, touching nothing, without the
/// SHA extensions.
pub(super) fn sha256_many(parts: &[&[&[u8]]], digests: &mut [[u8; 32]]) -> bool {
    if !(std::arch::is_x86_feature_detected!("sha")
        && std::arch::is_x86_feature_detected!("ssse3")
        && std::arch::is_x86_feature_detected!("sse4.1"))
    {
        return false;
    }
    let count = parts.len().min(digests.len());
    let mut start = 0;
    while start < count {
        let n = (count - start).min(LANES);
        let lens: [usize; LANES] = core::array::from_fn(|c| {
            if c < n {
                parts[start + c].iter().map(|p| p.len()).sum()
            } else {
                0
            }
        });
        let mut cursors: [PartsCursor<'_, 64>; LANES] = core::array::from_fn(|c| {
            PartsCursor::new(if c < n { parts[start + c] } else { &[] }, lens[c] / 64)
        });
        // SAFETY: the CPU has SHA, SSSE3 and SSE4.1 (checked above). Every pointer hashed is
        // a run a cursor hands out: whole 64-byte blocks inside one part, or the cursor's
        // own staging block, valid until it is consumed just after; the tails are arrays.
        unsafe {
            let mut states = [sha256_start(); LANES];
            loop {
                let mut idx = [0usize; LANES];
                let mut src = [core::ptr::null::<u8>(); LANES];
                let mut active = 0;
                let mut run = usize::MAX;
                for c in 0..n {
                    let (from, blocks) = cursors[c].peek();
                    if blocks == 0 {
                        continue;
                    }
                    idx[active] = c;
                    src[active] = from;
                    active += 1;
                    run = run.min(blocks);
                }
                if active == 0 {
                    break;
                }
                sha256_group(&mut states, &idx[..active], &src, run);
                for &c in &idx[..active] {
                    cursors[c].consume(run);
                }
            }
            for c in 0..n {
                // What is left (under 64 bytes), then 0x80, zeros and the length in bits,
                // big-endian, ending a 64-byte block.
                let mut tail = [0u8; 128];
                let left = cursors[c].rest_into(&mut tail[..63]);
                tail[left] = 0x80;
                let padded = if left + 9 <= 64 { 64 } else { 128 };
                let bits = (lens[c] as u64) * 8;
                tail[padded - 8..padded].copy_from_slice(&bits.to_be_bytes());
                sha256_block(&mut states[c], tail.as_ptr());
                if padded == 128 {
                    sha256_block(&mut states[c], tail.as_ptr().add(64));
                }
                tail.zeroize();
                digests[start + c] = sha256_finish(states[c]);
            }
            states.zeroize();
        }
        start += n;
    }
    true
}

/// [`sha256_lanes`] for the states `idx` names (one to [`LANES`] of them).
///
/// # Safety
/// As for [`sha256_lanes`], for the first `idx.len()` entries of `src`.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn sha256_group(
    states: &mut [ShaState; LANES],
    idx: &[usize],
    src: &[*const u8; LANES],
    blocks: usize,
) {
    match *idx {
        [a] => {
            for i in 0..blocks {
                sha256_block(&mut states[a], src[0].add(64 * i));
            }
        }
        [a, b] => sha256_lanes(states, [a, b], [src[0], src[1]], blocks),
        [a, b, c] => sha256_lanes(states, [a, b, c], [src[0], src[1], src[2]], blocks),
        // Two pairs rather than four at once: a pair's message words and states (12
        // registers) stay in the 16 xmm registers, four spill; a pair's rounds already
        // overlap enough to keep the SHA unit about as busy (measured on AMD EPYC,
        // `benches/crypto.rs` `file-part-1MiB` seal 4 together: ~7 % faster than four).
        [a, b, c, d] => {
            sha256_lanes(states, [a, b], [src[0], src[1]], blocks);
            sha256_lanes(states, [c, d], [src[2], src[3]], blocks);
        }
        _ => {}
    }
}

/// `blocks` SHA-256 compressions of `N` streams side by side: state `idx[c]` takes the
/// 64-byte blocks at `src[c]`, the rounds of the `N` streams interleaved. Same arithmetic
/// as [`sha256_block`], stream by stream.
///
/// # Safety
/// The CPU must have SHA, SSSE3 and SSE4.1; every `src[c]` must be readable for
/// `blocks * 64` bytes; `idx` holds `N` distinct indices.
#[inline]
#[target_feature(enable = "sha,sse2,ssse3,sse4.1")]
unsafe fn sha256_lanes<const N: usize>(
    states: &mut [ShaState; LANES],
    idx: [usize; N],
    src: [*const u8; N],
    blocks: usize,
) {
    let be = _mm_set_epi64x(0x0c0d_0e0f_0809_0a0b, 0x0405_0607_0001_0203);
    let zero = _mm_setzero_si128();
    for block in 0..blocks {
        let mut w = [[zero; 4]; N];
        let mut abef = [zero; N];
        let mut cdgh = [zero; N];
        for c in 0..N {
            for (i, w) in w[c].iter_mut().enumerate() {
                *w = _mm_shuffle_epi8(_mm_loadu_si128(src[c].add(64 * block + 16 * i).cast()), be);
            }
            [abef[c], cdgh[c]] = states[idx[c]];
        }
        // Groups 4g .. 4g+3, each with its message words at a constant index
        // ([`sha256_step_at`]): with the group number known only at run time the words
        // went through memory (measured: `file-part-1MiB` seal, see the report).
        for g in 0..4 {
            for c in 0..N {
                sha256_step_at::<0>(4 * g, &mut w[c], &mut abef[c], &mut cdgh[c]);
            }
            for c in 0..N {
                sha256_step_at::<1>(4 * g + 1, &mut w[c], &mut abef[c], &mut cdgh[c]);
            }
            for c in 0..N {
                sha256_step_at::<2>(4 * g + 2, &mut w[c], &mut abef[c], &mut cdgh[c]);
            }
            for c in 0..N {
                sha256_step_at::<3>(4 * g + 3, &mut w[c], &mut abef[c], &mut cdgh[c]);
            }
        }
        for c in 0..N {
            let state = &mut states[idx[c]];
            state[0] = _mm_add_epi32(state[0], abef[c]);
            state[1] = _mm_add_epi32(state[1], cdgh[c]);
        }
        w.zeroize();
    }
}
