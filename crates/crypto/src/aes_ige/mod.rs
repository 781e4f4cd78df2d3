//! AES-256 in Infinite Garble Extension (IGE) mode, the cipher of every
//! encrypted MTProto message and of the handshake's DH inner data.
//!
//! With plaintext blocks `x_i`, ciphertext blocks `y_i` and the 32-byte IV
//! split as `y_0 ‖ x_0`:
//!
//! ```text
//! encrypt: y_i = E(x_i ⊕ y_{i-1}) ⊕ x_{i-1}
//! decrypt: x_i = D(y_i ⊕ x_{i-1}) ⊕ y_{i-1}
//! ```
//!
//! Both directions are a serial chain: the input of every block cipher call
//! depends on the previous call's output. So, unlike CTR or CBC decryption,
//! there is no parallelism to exploit and the speed limit is the latency of
//! one AES-256 block, exactly as for CBC encryption. The loops below keep the
//! chaining values in `u128` registers, borrow each block as a fixed-size
//! array (no bounds checks in the loop body) and hand the block cipher one
//! block at a time without allocating.
//!
//! On x86-64 with AES-NI a dedicated loop (`aesni.rs`, `unsafe` code
//! explained there; `aes_ctr` shares its key schedule) keeps the round keys
//! in registers and folds the chaining XORs into the last round's key, so
//! that the path from one block to the next is the 14 AES rounds alone: on
//! this project's Xeon (`examples/ige_ratio.rs`, best of many) 1,070 MiB/s,
//! 1.23x the `cbc` crate's serial CBC encryption (874 MiB/s before the
//! folding). Elsewhere the portable loop over the `aes` crate is used.
//!
//! Besides the in-place functions, the crate encrypts a message from its
//! pieces (header, body, padding) and decrypts a packet into another buffer
//! without first copying the input: the cipher reads one buffer and writes
//! the other at no extra cost, which saves a pass over every file part.

use aes::cipher::consts::U16;
use aes::cipher::{
    Block, BlockBackend, BlockClosure, BlockDecrypt, BlockEncrypt, BlockSizeUser, KeyInit,
};
use aes::Aes256;
use sha2::{Digest, Sha256};

use crate::Error;

#[cfg(target_arch = "x86_64")]
pub(crate) mod aesni;

const BLOCK: usize = 16;

/// Encrypts `data` in place with AES-256-IGE.
///
/// `iv` is the 32-byte IGE IV (`y_0 ‖ x_0`, as MTProto derives it).
///
/// # Errors
/// [`Error::BufferNotBlockAligned`] if `data.len()` is not a multiple of 16;
/// `data` is then left untouched.
pub fn encrypt_in_place(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) -> Result<(), Error> {
    check_aligned(data)?;
    #[cfg(target_arch = "x86_64")]
    if aesni::encrypt(data, key, iv) {
        return Ok(());
    }
    portable_encrypt(data, key, iv);
    Ok(())
}

/// Decrypts `data` in place with AES-256-IGE; the inverse of [`encrypt_in_place`].
///
/// # Errors
/// [`Error::BufferNotBlockAligned`] if `data.len()` is not a multiple of 16;
/// `data` is then left untouched.
pub fn decrypt_in_place(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) -> Result<(), Error> {
    check_aligned(data)?;
    #[cfg(target_arch = "x86_64")]
    if aesni::decrypt(data, key, iv) {
        return Ok(());
    }
    portable_decrypt(data, key, iv);
    Ok(())
}

/// Encrypts the concatenation of `parts` with AES-256-IGE and appends the
/// ciphertext to `out`, reading each part where it lies (an MTProto message
/// is encrypted from its header, body and padding without first gathering
/// them into one buffer).
///
/// # Errors
/// [`Error::BufferNotBlockAligned`] if the parts' total length is not a
/// multiple of 16; `out` is then left untouched.
pub(crate) fn encrypt_parts_append(
    parts: &[&[u8]],
    out: &mut Vec<u8>,
    key: &[u8; 32],
    iv: &[u8; 32],
) -> Result<(), Error> {
    let total: usize = parts.iter().map(|p| p.len()).sum();
    if total % BLOCK != 0 {
        return Err(Error::BufferNotBlockAligned { len: total });
    }
    #[cfg(target_arch = "x86_64")]
    if aesni::encrypt_parts_append(parts, out, key, iv) {
        return Ok(());
    }
    let start = out.len();
    out.reserve(total);
    for part in parts {
        out.extend_from_slice(part);
    }
    portable_encrypt(&mut out[start..], key, iv);
    Ok(())
}

/// Decrypts `ciphertext` with AES-256-IGE and appends the plaintext to `out`
/// (straight from `ciphertext`: no copy of it first).
///
/// # Errors
/// [`Error::BufferNotBlockAligned`] if `ciphertext` is not a multiple of 16
/// bytes long; `out` is then left untouched.
pub(crate) fn decrypt_append(
    ciphertext: &[u8],
    out: &mut Vec<u8>,
    key: &[u8; 32],
    iv: &[u8; 32],
) -> Result<(), Error> {
    check_aligned(ciphertext)?;
    #[cfg(target_arch = "x86_64")]
    if aesni::decrypt_append(ciphertext, out, key, iv) {
        return Ok(());
    }
    let start = out.len();
    out.extend_from_slice(ciphertext);
    portable_decrypt(&mut out[start..], key, iv);
    Ok(())
}

/// Decrypts `ciphertext` as [`decrypt_append`] does and returns
/// `SHA-256(prefix ‖ plaintext)` (the MTProto 2.0 receiver's msg_key hash).
/// On x86-64 with AES-NI and the SHA extensions the hash runs inside the
/// decryption loop, block by block behind it, instead of as a second pass.
///
/// # Errors
/// [`Error::BufferNotBlockAligned`] if `ciphertext` is not a multiple of 16
/// bytes long; `out` is then left untouched.
pub(crate) fn decrypt_append_sha256(
    ciphertext: &[u8],
    out: &mut Vec<u8>,
    key: &[u8; 32],
    iv: &[u8; 32],
    prefix: &[u8; 32],
) -> Result<[u8; 32], Error> {
    check_aligned(ciphertext)?;
    #[cfg(target_arch = "x86_64")]
    if let Some(digest) = aesni::decrypt_append_sha256(ciphertext, out, key, iv, prefix) {
        return Ok(digest);
    }
    let start = out.len();
    decrypt_append(ciphertext, out, key, iv)?;
    let digest = Sha256::new()
        .chain_update(prefix)
        .chain_update(&out[start..])
        .finalize();
    Ok(digest.into())
}

/// [`decrypt_append_sha256`] of one packet, done piecewise as its ciphertext arrives: the
/// units two packets both have are decrypted side by side ([`Resumable::advance_pair`]), the
/// rest when the packet is whole ([`Resumable::finish`]). Where the fused AES-NI + SHA path
/// is missing, nothing is done early and `finish` does it all.
pub(crate) struct Resumable {
    #[cfg(target_arch = "x86_64")]
    fast: Option<aesni::Progress>,
}

impl Resumable {
    pub(crate) fn new(key: &[u8; 32], iv: &[u8; 32], prefix: &[u8; 32]) -> Self {
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (key, iv, prefix);
        Resumable {
            #[cfg(target_arch = "x86_64")]
            fast: aesni::Progress::new(key, iv, prefix),
        }
    }

    /// Decrypts, two packets side by side, the whole 64-byte units both have arrived
    /// (`arrived[c]`: packet `c`'s ciphertext so far, always a prefix of the same bytes),
    /// appending the plaintext to `outs[c]`, which holds `bases[c]` bytes before it. Does
    /// nothing without the fast path.
    pub(crate) fn advance_pair(
        pair: [&mut Resumable; 2],
        arrived: [&[u8]; 2],
        outs: [&mut Vec<u8>; 2],
        bases: [usize; 2],
    ) {
        #[cfg(target_arch = "x86_64")]
        if let [Resumable { fast: Some(a) }, Resumable { fast: Some(b) }] = pair {
            aesni::Progress::advance_pair([a, b], arrived, outs, bases);
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = (pair, arrived, outs, bases);
    }

    /// Decrypts the rest of `ciphertext` (the whole body) into `out` after `base` and returns
    /// `SHA-256(prefix ‖ plaintext)`.
    ///
    /// # Errors
    /// [`Error::BufferNotBlockAligned`] if `ciphertext` is not a multiple of 16 bytes, or
    /// [`Error::MalformedPacket`] if it is shorter than what was decrypted already; `out` is
    /// truncated to `base` then.
    pub(crate) fn finish(
        self,
        ciphertext: &[u8],
        out: &mut Vec<u8>,
        base: usize,
        key: &[u8; 32],
        iv: &[u8; 32],
        prefix: &[u8; 32],
    ) -> Result<[u8; 32], Error> {
        if let Err(e) = check_aligned(ciphertext) {
            out.truncate(base);
            return Err(e);
        }
        #[cfg(target_arch = "x86_64")]
        if let Some(progress) = self.fast {
            return progress
                .finish(ciphertext, out, base, prefix)
                .ok_or(Error::MalformedPacket {
                    len: ciphertext.len(),
                });
        }
        out.truncate(base);
        decrypt_append_sha256(ciphertext, out, key, iv, prefix)
    }
}

/// Encrypts several buffers in place with AES-256-IGE, buffer `m` under `keys[m]` and
/// `ivs[m]`: the same result as [`encrypt_in_place`] on each, but on x86-64 with AES-NI up
/// to four chains run side by side on one core, which costs little more than one (an IGE
/// chain is bound by the latency of AES rounds, not by the unit's throughput).
///
/// # Errors
/// [`Error::BufferNotBlockAligned`] if a buffer's length is not a multiple of 16, or
/// [`Error::LengthMismatch`] if `keys` or `ivs` do not have one entry per buffer; no buffer
/// is touched then.
pub fn encrypt_many_in_place(
    bufs: &mut [&mut [u8]],
    keys: &[[u8; 32]],
    ivs: &[[u8; 32]],
) -> Result<(), Error> {
    run_many_in_place::<false>(bufs, keys, ivs)
}

/// Decrypts several buffers in place; the inverse of [`encrypt_many_in_place`].
///
/// # Errors
/// As [`encrypt_many_in_place`].
pub fn decrypt_many_in_place(
    bufs: &mut [&mut [u8]],
    keys: &[[u8; 32]],
    ivs: &[[u8; 32]],
) -> Result<(), Error> {
    run_many_in_place::<true>(bufs, keys, ivs)
}

/// Both directions of the multi-buffer API: AES-NI lanes where the CPU has them, else the
/// portable single-chain code on each buffer.
fn run_many_in_place<const DECRYPT: bool>(
    bufs: &mut [&mut [u8]],
    keys: &[[u8; 32]],
    ivs: &[[u8; 32]],
) -> Result<(), Error> {
    check_many(bufs, keys, ivs)?;
    #[cfg(target_arch = "x86_64")]
    if aesni::run_many_in_place::<DECRYPT>(bufs, keys, ivs) {
        return Ok(());
    }
    for ((buf, key), iv) in bufs.iter_mut().zip(keys).zip(ivs) {
        if DECRYPT {
            portable_decrypt(buf, key, iv);
        } else {
            portable_encrypt(buf, key, iv);
        }
    }
    Ok(())
}

fn check_many(bufs: &[&mut [u8]], keys: &[[u8; 32]], ivs: &[[u8; 32]]) -> Result<(), Error> {
    if keys.len() != bufs.len() || ivs.len() != bufs.len() {
        return Err(Error::LengthMismatch {
            expected: bufs.len(),
            got: keys.len().min(ivs.len()),
        });
    }
    bufs.iter().try_for_each(|b| check_aligned(b))
}

/// [`encrypt_parts_append`] of several messages at once: message `m` is the concatenation
/// of `parts[m]`, encrypted under `keys[m]` / `ivs[m]` and appended to `outs[m]`; up to four
/// chains side by side on x86-64 with AES-NI. The four slices have one entry per message
/// (the caller's invariant; extra entries are ignored).
///
/// # Errors
/// [`Error::BufferNotBlockAligned`] if a message's total length is not a multiple of 16;
/// no output is touched then.
pub(crate) fn encrypt_parts_append_many(
    parts: &[&[&[u8]]],
    outs: &mut [Vec<u8>],
    keys: &[[u8; 32]],
    ivs: &[[u8; 32]],
) -> Result<(), Error> {
    for message in parts {
        let total: usize = message.iter().map(|p| p.len()).sum();
        if total % BLOCK != 0 {
            return Err(Error::BufferNotBlockAligned { len: total });
        }
    }
    #[cfg(target_arch = "x86_64")]
    if aesni::encrypt_parts_append_many(parts, outs, keys, ivs) {
        return Ok(());
    }
    for (((message, out), key), iv) in parts.iter().zip(outs).zip(keys).zip(ivs) {
        encrypt_parts_append(message, out, key, iv)?;
    }
    Ok(())
}

/// [`decrypt_append_sha256`] of several packets at once, all hashed after `prefix`:
/// `srcs[m]` is decrypted under `keys[m]` / `ivs[m]` and appended to `outs[m]`, and
/// `digests[m]` gets `SHA-256(prefix ‖ plaintext m)`; up to four packets side by side on
/// x86-64 with AES-NI and the SHA extensions. The slices have one entry per packet (the
/// caller's invariant; extra entries are ignored).
///
/// # Errors
/// [`Error::BufferNotBlockAligned`] if a packet is not a multiple of 16 bytes long; no
/// output is touched then.
pub(crate) fn decrypt_append_sha256_many(
    srcs: &[&[u8]],
    outs: &mut [Vec<u8>],
    keys: &[[u8; 32]],
    ivs: &[[u8; 32]],
    prefix: &[u8; 32],
    digests: &mut [[u8; 32]],
) -> Result<(), Error> {
    srcs.iter().try_for_each(|s| check_aligned(s))?;
    #[cfg(target_arch = "x86_64")]
    if aesni::decrypt_append_sha256_many(srcs, outs, keys, ivs, prefix, digests) {
        return Ok(());
    }
    for ((((src, out), key), iv), digest) in srcs.iter().zip(outs).zip(keys).zip(ivs).zip(digests) {
        *digest = decrypt_append_sha256(src, out, key, iv, prefix)?;
    }
    Ok(())
}

/// SHA-256 of several streams, stream `m` the concatenation of `parts[m]`, into
/// `digests[m]` (one entry per stream; extra entries are ignored): up to four streams
/// hashed side by side on x86-64 with the SHA extensions, else one after the other with
/// the `sha2` crate. The sender's msg_key hash of several messages sealed together.
pub(crate) fn sha256_many(parts: &[&[&[u8]]], digests: &mut [[u8; 32]]) {
    #[cfg(target_arch = "x86_64")]
    if aesni::sha256_many(parts, digests) {
        return;
    }
    for (stream, digest) in parts.iter().zip(digests) {
        let mut hasher = Sha256::new();
        for part in *stream {
            hasher.update(part);
        }
        *digest = hasher.finalize().into();
    }
}

/// The portable path: the `aes` crate (hardware AES where it detects it,
/// else its constant-time software implementation), one block per call.
fn portable_encrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) {
    encrypt_with(&Aes256::new(key.into()), data, iv);
}

fn portable_decrypt(data: &mut [u8], key: &[u8; 32], iv: &[u8; 32]) {
    decrypt_with(&Aes256::new(key.into()), data, iv);
}

fn check_aligned(data: &[u8]) -> Result<(), Error> {
    if data.len() % BLOCK == 0 {
        Ok(())
    } else {
        Err(Error::BufferNotBlockAligned { len: data.len() })
    }
}

/// Splits the IGE IV into the two chaining values `(y_0, x_0)`.
#[inline(always)]
fn split_iv(iv: &[u8; 32]) -> (u128, u128) {
    let (a, b) = iv.split_at(BLOCK);
    // Both halves are exactly 16 bytes long, so these conversions cannot fail.
    let a: [u8; BLOCK] = a.try_into().unwrap_or_default();
    let b: [u8; BLOCK] = b.try_into().unwrap_or_default();
    (u128::from_ne_bytes(a), u128::from_ne_bytes(b))
}

/// IGE encryption with any 128-bit block cipher (AES-256 in production; the
/// tests also run OpenSSL's AES-128 IGE vectors through it).
///
/// The loop runs inside `encrypt_with_backend`, so the cipher's CPU-feature
/// dispatch happens once per call instead of once per block.
#[inline]
pub(crate) fn encrypt_with<C: BlockEncrypt<BlockSize = U16>>(
    cipher: &C,
    data: &mut [u8],
    iv: &[u8; 32],
) {
    cipher.encrypt_with_backend(IgeChain {
        data,
        iv,
        direction: Direction::Encrypt,
    });
}

/// IGE decryption with any 128-bit block cipher; see [`encrypt_with`].
#[inline]
pub(crate) fn decrypt_with<C: BlockDecrypt<BlockSize = U16>>(
    cipher: &C,
    data: &mut [u8],
    iv: &[u8; 32],
) {
    cipher.decrypt_with_backend(IgeChain {
        data,
        iv,
        direction: Direction::Decrypt,
    });
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    Encrypt,
    Decrypt,
}

/// The IGE loop, handed to the block cipher's backend as a closure.
struct IgeChain<'a> {
    data: &'a mut [u8],
    iv: &'a [u8; 32],
    direction: Direction,
}

impl BlockSizeUser for IgeChain<'_> {
    type BlockSize = U16;
}

impl BlockClosure for IgeChain<'_> {
    #[inline(always)]
    fn call<B: BlockBackend<BlockSize = U16>>(self, backend: &mut B) {
        // With plaintext x and ciphertext y, both directions compute
        // out_i = F(in_i ⊕ a_{i-1}) ⊕ b_{i-1}; encryption chains
        // (a, b) = (y, x), decryption (a, b) = (x, y).
        let (y0, x0) = split_iv(self.iv);
        let (mut a, mut b) = match self.direction {
            Direction::Encrypt => (y0, x0),
            Direction::Decrypt => (x0, y0),
        };
        let mut block = Block::<Self>::default();
        for chunk in self.data.chunks_exact_mut(BLOCK) {
            let Ok(chunk) = <&mut [u8; BLOCK]>::try_from(chunk) else {
                continue; // chunks_exact_mut only yields full blocks
            };
            let input = u128::from_ne_bytes(*chunk);
            block.copy_from_slice(&(input ^ a).to_ne_bytes());
            backend.proc_block((&mut block).into());
            let mut out = [0u8; BLOCK];
            out.copy_from_slice(&block);
            let out = u128::from_ne_bytes(out) ^ b;
            *chunk = out.to_ne_bytes();
            a = out;
            b = input;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::generic_array::GenericArray;
    use aes::Aes128;

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s.replace([' ', '\n'], "")).unwrap()
    }

    fn arr<const N: usize>(s: &str) -> [u8; N] {
        h(s).try_into().unwrap()
    }

    /// The IGE vectors of OpenSSL's `test/igetest.c` (`ige_test_vectors`),
    /// which use AES-128: they pin the chaining order and the IV layout.
    #[test]
    fn openssl_aes128_ige_vectors() {
        let vectors = [
            (
                "000102030405060708090a0b0c0d0e0f",
                "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
                "0000000000000000000000000000000000000000000000000000000000000000",
                "1a8519a6557be652e9da8e43da4ef4453cf456b4ca488aa383c79c98b34797cb",
            ),
            (
                "5468697320697320616e20696d706c65",
                "6d656e746174696f6e206f6620494745206d6f646520666f72204f70656e5353",
                "99706487a1cde613bc6de0b6f24b1c7aa448c8b9c3403e3467a8cad89340f53b",
                "4c2e204c6574277320686f70652042656e20676f74206974207269676874210a",
            ),
        ];
        for (key, iv, plain, cipher) in vectors {
            let aes = Aes128::new_from_slice(&h(key)).unwrap();
            let iv: [u8; 32] = arr(iv);
            let mut buf = h(plain);
            encrypt_with(&aes, &mut buf, &iv);
            assert_eq!(hex::encode(&buf), cipher);
            decrypt_with(&aes, &mut buf, &iv);
            assert_eq!(hex::encode(&buf), plain);
        }
    }

    /// The AES-NI loop (used by the public functions on x86-64) and the
    /// portable loop agree on pseudo-random keys, IVs and lengths.
    #[test]
    fn fast_and_portable_paths_agree() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        };
        for blocks in [0usize, 1, 2, 3, 7, 64, 257] {
            let key: [u8; 32] = core::array::from_fn(|_| next());
            let iv: [u8; 32] = core::array::from_fn(|_| next());
            let plain: Vec<u8> = (0..blocks * 16).map(|_| next()).collect();

            let mut fast = plain.clone();
            encrypt_in_place(&mut fast, &key, &iv).unwrap();
            let mut portable = plain.clone();
            portable_encrypt(&mut portable, &key, &iv);
            assert_eq!(fast, portable, "encrypt, {blocks} blocks");

            decrypt_in_place(&mut fast, &key, &iv).unwrap();
            portable_decrypt(&mut portable, &key, &iv);
            assert_eq!(fast, plain, "decrypt, {blocks} blocks");
            assert_eq!(portable, plain);
        }
    }

    /// Decrypting with the hash inside the loop gives the plaintext
    /// `decrypt_append` gives and the `sha2` crate's SHA-256 of
    /// `prefix ‖ plaintext`, at every length around the 64-byte units and the
    /// padding's one-or-two-block boundary, and after bytes already in `out`.
    #[test]
    fn decrypt_with_hash_matches_decrypt_then_sha256() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        };
        let lengths = (0usize..=20).chain([63, 64, 65, 1024, 65_536 + 3]);
        for blocks in lengths {
            let key: [u8; 32] = core::array::from_fn(|_| next());
            let iv: [u8; 32] = core::array::from_fn(|_| next());
            let prefix: [u8; 32] = core::array::from_fn(|_| next());
            let ciphertext: Vec<u8> = (0..blocks * 16).map(|_| next()).collect();

            let mut plain = vec![0xAB; 5];
            decrypt_append(&ciphertext, &mut plain, &key, &iv).unwrap();
            let expected: [u8; 32] = Sha256::new()
                .chain_update(prefix)
                .chain_update(&plain[5..])
                .finalize()
                .into();

            let mut out = vec![0xAB; 5];
            let digest = decrypt_append_sha256(&ciphertext, &mut out, &key, &iv, &prefix).unwrap();
            assert_eq!(out, plain, "plaintext, {blocks} blocks");
            assert_eq!(digest, expected, "digest, {blocks} blocks");
        }
        let mut out = Vec::new();
        let unaligned = decrypt_append_sha256(&[0; 17], &mut out, &[0; 32], &[0; 32], &[0; 32]);
        assert!(unaligned.is_err());
        assert!(out.is_empty());
    }

    /// Encrypting from pieces (split anywhere, even inside a block) and
    /// decrypting into a buffer that already holds bytes give what the
    /// in-place functions give.
    #[test]
    fn pieces_and_appends_match_in_place() {
        let key: [u8; 32] = core::array::from_fn(|i| (i * 5 + 3) as u8);
        let iv: [u8; 32] = core::array::from_fn(|i| (i * 11 + 7) as u8);
        for blocks in [0usize, 1, 2, 3, 5, 64] {
            let plain: Vec<u8> = (0..blocks * 16).map(|i| (i * 29 + 1) as u8).collect();
            let mut whole = plain.clone();
            encrypt_in_place(&mut whole, &key, &iv).unwrap();
            let len = plain.len();
            for cuts in [
                vec![],
                vec![0],
                vec![len / 2],
                vec![1, 2, 3],
                vec![7, 7, len.saturating_sub(5)],
                vec![16, 32.min(len)],
            ] {
                let mut pieces = Vec::new();
                let mut at = 0;
                for cut in cuts {
                    let cut = cut.clamp(at, len);
                    pieces.push(&plain[at..cut]);
                    at = cut;
                }
                pieces.push(&plain[at..]);
                let mut out = vec![0xEE; 3];
                encrypt_parts_append(&pieces, &mut out, &key, &iv).unwrap();
                assert_eq!(out[..3], [0xEE; 3]);
                assert_eq!(
                    out[3..],
                    whole[..],
                    "{blocks} blocks, {} pieces",
                    pieces.len()
                );
            }
            let mut back = vec![0xDD; 5];
            decrypt_append(&whole, &mut back, &key, &iv).unwrap();
            assert_eq!(back[..5], [0xDD; 5]);
            assert_eq!(back[5..], plain[..]);
        }
        let mut out = vec![1u8];
        let odd: [&[u8]; 2] = [&[0; 10], &[0; 7]];
        assert!(encrypt_parts_append(&odd, &mut out, &key, &iv).is_err());
        assert!(decrypt_append(&[0; 17], &mut out, &key, &iv).is_err());
        assert_eq!(out, [1]);
    }

    fn xorshift(seed: u64) -> impl FnMut() -> u8 {
        let mut state = seed;
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        }
    }

    /// Several buffers at once (1 to 9 of them, so groups of four and a remainder, with
    /// lengths that differ, empty ones among them, at odd memory offsets) give what the
    /// single-chain functions give on each, in both directions.
    #[test]
    fn many_in_place_matches_one_at_a_time() {
        let mut next = xorshift(0x51ed_270b_2a3c_91f7);
        for count in 1..=9usize {
            for round in 0..4 {
                let lens: Vec<usize> = (0..count)
                    .map(|i| match (round + i) % 5 {
                        0 => 0,
                        1 => 1,
                        2 => 64 + i,
                        3 => usize::from(next()) % 40,
                        _ => 1000 + usize::from(next()),
                    })
                    .collect();
                let keys: Vec<[u8; 32]> = (0..count)
                    .map(|_| core::array::from_fn(|_| next()))
                    .collect();
                let ivs: Vec<[u8; 32]> = (0..count)
                    .map(|_| core::array::from_fn(|_| next()))
                    .collect();
                let offset = round % 3 + 1;
                let mut storage: Vec<Vec<u8>> = lens
                    .iter()
                    .map(|len| (0..offset + len * 16).map(|_| next()).collect())
                    .collect();
                let plain: Vec<Vec<u8>> = storage.iter().map(|s| s[offset..].to_vec()).collect();
                let mut expected = plain.clone();
                for ((buf, key), iv) in expected.iter_mut().zip(&keys).zip(&ivs) {
                    encrypt_in_place(buf, key, iv).unwrap();
                }
                let mut bufs: Vec<&mut [u8]> =
                    storage.iter_mut().map(|s| &mut s[offset..]).collect();
                encrypt_many_in_place(&mut bufs, &keys, &ivs).unwrap();
                for (i, buf) in bufs.iter().enumerate() {
                    assert_eq!(**buf, expected[i][..], "encrypt, {count} buffers, #{i}");
                }
                decrypt_many_in_place(&mut bufs, &keys, &ivs).unwrap();
                for (i, buf) in bufs.iter().enumerate() {
                    assert_eq!(**buf, plain[i][..], "decrypt, {count} buffers, #{i}");
                }
            }
        }
        // A key or IV short, or a buffer unaligned: nothing is touched.
        let mut a = [5u8; 32];
        let mut b = [6u8; 33];
        let mut bufs: Vec<&mut [u8]> = vec![&mut a[..], &mut b[..]];
        assert!(encrypt_many_in_place(&mut bufs, &[[0; 32]; 2], &[[0; 32]; 2]).is_err());
        assert!(decrypt_many_in_place(&mut bufs[..1], &[], &[]).is_err());
        assert_eq!(a, [5; 32]);
        assert_eq!(b, [6; 33]);
    }

    /// Encrypting several messages from pieces (cut anywhere, at odd offsets) and
    /// decrypting several packets with their hashes give what the one-message functions
    /// give, after bytes already in the outputs.
    #[test]
    fn many_messages_match_one_at_a_time() {
        let mut next = xorshift(0x0123_4567_89ab_cdef);
        // Short packets among long ones, then only long ones (whose chains and hashes run
        // interleaved for most of their length).
        for (count, short) in (1..=9usize)
            .map(|c| (c, true))
            .chain((2..=5).map(|c| (c, false)))
        {
            let blocks: Vec<usize> = (0..count)
                .map(|i| match i % 4 {
                    0 => 65_536 / 16 + 3,
                    1 if short => usize::from(next()) % 9,
                    2 if short => 4 * usize::from(next() % 7) + 1,
                    _ => 300 + usize::from(next()),
                })
                .collect();
            let keys: Vec<[u8; 32]> = (0..count)
                .map(|_| core::array::from_fn(|_| next()))
                .collect();
            let ivs: Vec<[u8; 32]> = (0..count)
                .map(|_| core::array::from_fn(|_| next()))
                .collect();
            let plain: Vec<Vec<u8>> = blocks
                .iter()
                .map(|b| (0..1 + b * 16).map(|_| next()).collect())
                .collect();
            // Pieces: 1..=4 cuts per message, some inside blocks, skipping the first byte.
            let pieces: Vec<Vec<&[u8]>> = plain
                .iter()
                .map(|p| {
                    let p = &p[1..];
                    let mut cuts: Vec<usize> = (0..1 + usize::from(next()) % 4)
                        .map(|_| {
                            if p.is_empty() {
                                0
                            } else {
                                usize::from(next()) * 7 % p.len()
                            }
                        })
                        .collect();
                    cuts.sort_unstable();
                    let mut out = Vec::new();
                    let mut at = 0;
                    for cut in cuts {
                        out.push(&p[at..cut]);
                        at = cut;
                    }
                    out.push(&p[at..]);
                    out
                })
                .collect();
            let messages: Vec<&[&[u8]]> = pieces.iter().map(Vec::as_slice).collect();
            let mut outs: Vec<Vec<u8>> = (0..count).map(|i| vec![0xC0 ^ i as u8; i % 3]).collect();
            encrypt_parts_append_many(&messages, &mut outs, &keys, &ivs).unwrap();
            let mut ciphertexts = Vec::new();
            for i in 0..count {
                let mut one = vec![0xC0 ^ i as u8; i % 3];
                encrypt_parts_append(messages[i], &mut one, &keys[i], &ivs[i]).unwrap();
                assert_eq!(outs[i], one, "encrypt, {count} messages, #{i}");
                ciphertexts.push(one[i % 3..].to_vec());
            }

            let prefix: [u8; 32] = core::array::from_fn(|_| next());
            let srcs: Vec<&[u8]> = ciphertexts.iter().map(Vec::as_slice).collect();
            let mut outs: Vec<Vec<u8>> = (0..count).map(|i| vec![0xAB; i % 2]).collect();
            let mut digests = vec![[0u8; 32]; count];
            decrypt_append_sha256_many(&srcs, &mut outs, &keys, &ivs, &prefix, &mut digests)
                .unwrap();
            for i in 0..count {
                let mut one = vec![0xAB; i % 2];
                let digest =
                    decrypt_append_sha256(srcs[i], &mut one, &keys[i], &ivs[i], &prefix).unwrap();
                assert_eq!(outs[i], one, "decrypt, {count} packets, #{i}");
                assert_eq!(outs[i][i % 2..], plain[i][1..], "plaintext #{i}");
                assert_eq!(digests[i], digest, "digest, {count} packets, #{i}");
                let mut hasher = Sha256::new();
                hasher.update(prefix);
                hasher.update(&plain[i][1..]);
                let expected: [u8; 32] = hasher.finalize().into();
                assert_eq!(digests[i], expected, "sha2's digest, {count} packets, #{i}");
            }
        }
        let odd: [&[u8]; 2] = [&[0; 16], &[0; 17]];
        let mut outs = vec![Vec::new(), Vec::new()];
        let mut digests = [[0u8; 32]; 2];
        let keys = [[0u8; 32]; 2];
        assert!(
            decrypt_append_sha256_many(&odd, &mut outs, &keys, &keys, &[0; 32], &mut digests)
                .is_err()
        );
        let parts: [&[&[u8]]; 2] = [&[&[0; 16]], &[&[0; 10], &[0; 7]]];
        assert!(encrypt_parts_append_many(&parts, &mut outs, &keys, &keys).is_err());
        assert!(outs.iter().all(Vec::is_empty));
    }

    /// Several streams hashed side by side (1 to 9, lengths around the 64-byte blocks and
    /// the padding's one-or-two-block boundary, cut into pieces anywhere) give what the
    /// `sha2` crate gives on each.
    #[test]
    fn sha256_many_matches_sha2() {
        let mut next = xorshift(0x7f4a_7c15_9e37_79b9);
        for count in 1..=9usize {
            let data: Vec<Vec<u8>> = (0..count)
                .map(|i| {
                    let len = match i % 5 {
                        0 => 0,
                        1 => 55 + usize::from(next()) % 3,
                        2 => 64 * usize::from(next() % 5) + usize::from(next()) % 64,
                        3 => 119 + usize::from(next()) % 10,
                        _ => 5000 + usize::from(next()),
                    };
                    (0..len).map(|_| next()).collect()
                })
                .collect();
            let pieces: Vec<Vec<&[u8]>> = data
                .iter()
                .map(|d| {
                    let a = if d.is_empty() {
                        0
                    } else {
                        usize::from(next()) % d.len()
                    };
                    let b = a + (d.len() - a) / 3;
                    vec![&d[..a], &d[a..a], &d[a..b], &d[b..]]
                })
                .collect();
            let streams: Vec<&[&[u8]]> = pieces.iter().map(Vec::as_slice).collect();
            let mut digests = vec![[0u8; 32]; count];
            sha256_many(&streams, &mut digests);
            for (i, d) in data.iter().enumerate() {
                let expected: [u8; 32] = Sha256::digest(d).into();
                assert_eq!(
                    digests[i],
                    expected,
                    "{count} streams, #{i}, {} bytes",
                    d.len()
                );
            }
        }
        // Every lane busy for many blocks (two to four long streams, of unequal lengths,
        // so that the lanes also drop out one by one).
        for count in 2..=4usize {
            let data: Vec<Vec<u8>> = (0..count)
                .map(|i| (0..700 + 333 * i).map(|_| next()).collect())
                .collect();
            let streams: Vec<[&[u8]; 1]> = data.iter().map(|d| [d.as_slice()]).collect();
            let streams: Vec<&[&[u8]]> = streams.iter().map(|s| s.as_slice()).collect();
            let mut digests = vec![[0u8; 32]; count];
            sha256_many(&streams, &mut digests);
            for (i, d) in data.iter().enumerate() {
                let expected: [u8; 32] = Sha256::digest(d).into();
                assert_eq!(digests[i], expected, "{count} long streams, #{i}");
            }
        }
    }

    #[test]
    fn rejects_unaligned_and_leaves_data_alone() {
        let mut data = vec![7u8; 33];
        let err = encrypt_in_place(&mut data, &[1; 32], &[2; 32]).unwrap_err();
        assert_eq!(err, Error::BufferNotBlockAligned { len: 33 });
        assert_eq!(data, vec![7u8; 33]);
        assert!(decrypt_in_place(&mut data[..15], &[1; 32], &[2; 32]).is_err());
    }

    #[test]
    fn empty_input_is_fine() {
        let mut data: [u8; 0] = [];
        encrypt_in_place(&mut data, &[1; 32], &[2; 32]).unwrap();
        decrypt_in_place(&mut data, &[1; 32], &[2; 32]).unwrap();
    }

    /// Cross-checks the u128 fast path against a naive byte-wise IGE written
    /// straight from the definition, for many lengths and keys.
    #[test]
    fn matches_naive_definition() {
        fn naive(data: &[u8], key: &[u8; 32], iv: &[u8; 32]) -> Vec<u8> {
            let aes = Aes256::new(key.into());
            let mut y_prev = iv[..16].to_vec();
            let mut x_prev = iv[16..].to_vec();
            let mut out = Vec::new();
            for x in data.chunks(16) {
                let mut b = GenericArray::clone_from_slice(
                    &x.iter()
                        .zip(&y_prev)
                        .map(|(a, b)| a ^ b)
                        .collect::<Vec<_>>(),
                );
                aes.encrypt_block(&mut b);
                let y: Vec<u8> = b.iter().zip(&x_prev).map(|(a, b)| a ^ b).collect();
                out.extend_from_slice(&y);
                y_prev = y;
                x_prev = x.to_vec();
            }
            out
        }
        for blocks in 0..20usize {
            let key: [u8; 32] = core::array::from_fn(|i| (i * 7 + blocks) as u8);
            let iv: [u8; 32] = core::array::from_fn(|i| (i * 13 + 1) as u8);
            let plain: Vec<u8> = (0..blocks * 16).map(|i| (i * 31 + 5) as u8).collect();
            let mut buf = plain.clone();
            encrypt_in_place(&mut buf, &key, &iv).unwrap();
            assert_eq!(buf, naive(&plain, &key, &iv), "{blocks} blocks");
            decrypt_in_place(&mut buf, &key, &iv).unwrap();
            assert_eq!(buf, plain);
        }
    }
}
