//! AES-256-CTR, the stream cipher of the obfuscated transport, MTProxy and
//! CDN file parts.
//!
//! The keystream is AES-256 of successive 128-bit big-endian counter blocks
//! starting at the IV (the layout OpenSSL's `EVP_aes_256_ctr` and Telegram
//! use), wrapping at 2^128. Every block is independent of the others, so
//! the keystream can start at any byte ([`aes256_ctr_apply`] takes the
//! position) and many blocks can be encrypted side by side.
//!
//! On x86-64 with AES-NI a dedicated loop (`aesni.rs`, explained there)
//! encrypts eight counter blocks at a time (sixteen with VAES) and XORs them
//! straight into the data; elsewhere [`portable_apply`] drives the `aes`
//! crate. Both take a
//! block counter and a byte offset into that block, so the stateless entry
//! point and [`AesCtr`] share them.

use aes::cipher::{Block, BlockEncrypt, KeyInit};
use aes::Aes256Enc;
use zeroize::Zeroize;

#[cfg(target_arch = "x86_64")]
mod aesni;

/// XORs `data` in place with the AES-256-CTR keystream of `key` and `iv`
/// from byte `position` of the keystream on.
///
/// Encryption and decryption are the same operation. A stream processed in
/// pieces gives the same bytes as in one call, as long as each piece is
/// passed the position where the previous one ended; no state is kept
/// between calls (the round keys are expanded on the stack and wiped), so a
/// caller that holds only the key, iv and a byte count (like an idle
/// connection) stays small.
pub fn aes256_ctr_apply(key: &[u8; 32], iv: &[u8; 16], position: u64, data: &mut [u8]) {
    let block = u128::from_be_bytes(*iv).wrapping_add(u128::from(position / 16));
    apply_at(key, block, (position % 16) as usize, data);
}

/// XORs `data` with the keystream from byte `skip` (under 16) of counter
/// block `counter` on, through the fastest path the CPU offers.
fn apply_at(key: &[u8; 32], counter: u128, skip: usize, data: &mut [u8]) {
    debug_assert!(skip < 16);
    if data.is_empty() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    if aesni::apply(key, counter, skip, data, true) {
        return;
    }
    portable_apply(key, counter, skip, data);
}

/// [`apply_at`] through the `aes` crate (which uses hardware AES where it
/// detects it): eight counter blocks encrypted into a buffer, then XORed.
fn portable_apply(key: &[u8; 32], mut counter: u128, mut skip: usize, mut data: &mut [u8]) {
    let cipher = Aes256Enc::new(key.into());
    let mut blocks: [Block<Aes256Enc>; 8] = Default::default();
    while !data.is_empty() {
        for block in &mut blocks {
            block.copy_from_slice(&counter.to_be_bytes());
            counter = counter.wrapping_add(1);
        }
        cipher.encrypt_blocks(&mut blocks);
        let n = data.len().min(16 * blocks.len() - skip);
        let (now, rest) = core::mem::take(&mut data).split_at_mut(n);
        let keystream = blocks.iter().flat_map(|b| b.iter()).skip(skip);
        for (d, s) in now.iter_mut().zip(keystream) {
            *d ^= s;
        }
        data = rest;
        skip = 0;
    }
    for block in &mut blocks {
        block.as_mut_slice().zeroize();
    }
}

/// An AES-256-CTR keystream with a 128-bit big-endian counter (the layout
/// OpenSSL's `EVP_aes_256_ctr` and Telegram's obfuscation use).
///
/// One value encrypts (or decrypts, it is the same XOR) one direction of a
/// connection: the position in the keystream carries over between calls, so
/// a stream can be processed in pieces of any size. It holds the key and
/// the position, not the round keys: each [`apply`](Self::apply) expands
/// them on the stack (a few dozen cycles next to the bytes it encrypts) and
/// wipes them; the key is wiped on drop.
pub struct AesCtr {
    key: [u8; 32],
    /// The counter block holding the next keystream byte.
    counter: u128,
    /// Keystream bytes of `counter` already used (under 16).
    skip: u8,
}

impl AesCtr {
    /// Starts a keystream at counter block `iv`.
    pub fn new(key: &[u8; 32], iv: &[u8; 16]) -> Self {
        Self {
            key: *key,
            counter: u128::from_be_bytes(*iv),
            skip: 0,
        }
    }

    /// XORs `data` in place with the next `data.len()` keystream bytes.
    pub fn apply(&mut self, data: &mut [u8]) {
        apply_at(&self.key, self.counter, usize::from(self.skip), data);
        // A slice's length is below 2^64, so this sum cannot overflow a u128; the counter
        // wraps at 2^128 like the keystream's.
        let end = u128::from(self.skip) + data.len() as u128;
        self.counter = self.counter.wrapping_add(end / 16);
        self.skip = (end % 16) as u8;
    }
}

impl Drop for AesCtr {
    fn drop(&mut self) {
        self.key.zeroize();
        self.counter.zeroize();
    }
}

impl core::fmt::Debug for AesCtr {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AesCtr").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use aes::cipher::{KeyIvInit, StreamCipher, StreamCipherSeek};
    use rand::rngs::SmallRng;
    use rand::{Rng, RngCore, SeedableRng};

    use super::*;

    /// A keystream implementation under test: `(key, iv, position, data)`.
    type Path = fn(&[u8; 32], &[u8; 16], u64, &mut [u8]);

    fn counter_and_skip(iv: &[u8; 16], position: u64) -> (u128, usize) {
        let counter = u128::from_be_bytes(*iv).wrapping_add(u128::from(position / 16));
        (counter, (position % 16) as usize)
    }

    fn portable(key: &[u8; 32], iv: &[u8; 16], position: u64, data: &mut [u8]) {
        let (counter, skip) = counter_and_skip(iv, position);
        portable_apply(key, counter, skip, data);
    }

    /// The AES-NI loop alone, without VAES (the portable path where the CPU lacks AES-NI;
    /// see `aesni_path_runs_here`).
    fn aesni_only(key: &[u8; 32], iv: &[u8; 16], position: u64, data: &mut [u8]) {
        let (counter, skip) = counter_and_skip(iv, position);
        #[cfg(target_arch = "x86_64")]
        if aesni::apply(key, counter, skip, data, false) {
            return;
        }
        portable_apply(key, counter, skip, data);
    }

    /// [`AesCtr`] started at `iv` and moved to `position` by applying it to a throwaway
    /// buffer first (in uneven steps, so that the position it reaches is itself a test).
    fn stateful(key: &[u8; 32], iv: &[u8; 16], position: u64, data: &mut [u8]) {
        let mut ctr = AesCtr::new(key, iv);
        let mut left = position as usize;
        let mut scratch = [0u8; 37];
        while left > 0 {
            let n = left.min(scratch.len());
            ctr.apply(&mut scratch[..n]);
            left -= n;
        }
        ctr.apply(data);
    }

    /// `aes256_ctr_apply` is the fastest path the CPU has: AES-NI with VAES for runs of 256
    /// bytes where there is VAES (see `aesni_path_runs_here`).
    const PATHS: [(&str, Path); 4] = [
        ("aes256_ctr_apply", aes256_ctr_apply),
        ("portable", portable),
        ("aesni without vaes", aesni_only),
        ("AesCtr", stateful),
    ];

    /// The `ctr` crate, the implementation this module replaced.
    fn reference(key: &[u8; 32], iv: &[u8; 16], position: u64, data: &mut [u8]) {
        let mut cipher = ctr::Ctr128BE::<aes::Aes256>::new(key.into(), iv.into());
        cipher.seek(position);
        cipher.apply_keystream(data);
    }

    fn unhex<const N: usize>(s: &str) -> [u8; N] {
        hex::decode(s).unwrap().try_into().unwrap()
    }

    /// NIST SP 800-38A, F.5.5 CTR-AES256.Encrypt and F.5.6 CTR-AES256.Decrypt (the same
    /// key, counter blocks, plaintext and ciphertext), through every path, whole and from
    /// every starting byte. The initial counter's low byte is `ff`, so the second block
    /// carries into the byte above.
    #[test]
    fn nist_sp800_38a_f55_f56() {
        let key = unhex::<32>("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
        let iv = unhex::<16>("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
        let plain = unhex::<64>(concat!(
            "6bc1bee22e409f96e93d7e117393172a",
            "ae2d8a571e03ac9c9eb76fac45af8e51",
            "30c81c46a35ce411e5fbc1191a0a52ef",
            "f69f2445df4f9b17ad2b417be66c3710"
        ));
        let cipher = unhex::<64>(concat!(
            "601ec313775789a5b7a7f504bbf3d228",
            "f443e3ca4d62b59aca84e990cacaf5c5",
            "2b0930daa23de94ce87017ba2d84988d",
            "dfc9c58db67aada613c2dd08457941a6"
        ));
        for (name, path) in PATHS {
            let mut buf = plain;
            path(&key, &iv, 0, &mut buf);
            assert_eq!(buf, cipher, "{name}: F.5.5 encrypt");
            path(&key, &iv, 0, &mut buf);
            assert_eq!(buf, plain, "{name}: F.5.6 decrypt");
            for start in 0..64 {
                let mut tail = plain[start..].to_vec();
                path(&key, &iv, start as u64, &mut tail);
                assert_eq!(tail, cipher[start..], "{name}: from byte {start}");
            }
        }
        // Piecewise through one AesCtr: the position carries over between calls.
        let mut buf = plain;
        let mut ctr = AesCtr::new(&key, &iv);
        let (a, rest) = buf.split_at_mut(5);
        let (b, c) = rest.split_at_mut(17);
        ctr.apply(a);
        ctr.apply(b);
        ctr.apply(c);
        assert_eq!(buf, cipher);
    }

    /// An initial counter that tests something: random, its low 64 bits a few blocks short
    /// of a carry into the high half, or the whole 128 bits a few blocks short of wrapping.
    fn interesting_iv(rng: &mut SmallRng) -> [u8; 16] {
        let mut iv = [0u8; 16];
        rng.fill_bytes(&mut iv);
        let short = rng.gen_range(0..20u64);
        match rng.gen_range(0..4) {
            0 => {}
            1 => iv[8..].copy_from_slice(&(u64::MAX - short).to_be_bytes()),
            2 => iv = (u128::MAX - u128::from(short)).to_be_bytes(),
            _ => iv[8..].copy_from_slice(&(u64::MAX / 2 - short).to_be_bytes()),
        }
        iv
    }

    /// Every path agrees with the `ctr` crate on random keys, counters (some about to
    /// carry), unaligned positions (some near the end of the 64-bit range) and lengths
    /// from empty to several 128-byte chunks plus a tail.
    #[test]
    fn paths_agree_with_ctr_crate() {
        let mut rng = SmallRng::seed_from_u64(0x00c7_a5e5);
        for round in 0..600 {
            let mut key = [0u8; 32];
            rng.fill_bytes(&mut key);
            let iv = interesting_iv(&mut rng);
            let position = match rng.gen_range(0..3) {
                0 => rng.gen_range(0..600),
                1 => rng.gen(),
                _ => u64::MAX - rng.gen_range(0..100_000),
            };
            let len = match rng.gen_range(0..3) {
                0 => rng.gen_range(0..40),
                1 => rng.gen_range(0..600),
                _ => rng.gen_range(0..5000),
            };
            let mut data = vec![0u8; len];
            rng.fill_bytes(&mut data);
            let mut expected = data.clone();
            reference(&key, &iv, position, &mut expected);
            for (name, path) in PATHS {
                // The stateful path walks to the position byte by byte; keep it to small ones.
                if name == "AesCtr" && position > 1000 {
                    continue;
                }
                let mut got = data.clone();
                path(&key, &iv, position, &mut got);
                assert!(
                    got == expected,
                    "{name}: round {round}, iv {}, position {position}, len {len}",
                    hex::encode(iv)
                );
            }
        }
    }

    /// A stream cut into random pieces, each applied at the position the previous one
    /// ended (statelessly) or through one [`AesCtr`], equals the stream in one call.
    #[test]
    fn pieces_continue_the_stream() {
        let mut rng = SmallRng::seed_from_u64(0x0070_1ece);
        for _ in 0..200 {
            let mut key = [0u8; 32];
            rng.fill_bytes(&mut key);
            let iv = interesting_iv(&mut rng);
            let mut data = vec![0u8; rng.gen_range(0..3000)];
            rng.fill_bytes(&mut data);
            let mut expected = data.clone();
            reference(&key, &iv, 0, &mut expected);

            let mut stateless = data.clone();
            let mut stateful = data.clone();
            let mut ctr = AesCtr::new(&key, &iv);
            let mut at = 0;
            while at < data.len() {
                let n = match rng.gen_range(0..3) {
                    0 => rng.gen_range(0..17),
                    1 => rng.gen_range(0..200),
                    _ => rng.gen_range(0..1500),
                }
                .min(data.len() - at);
                aes256_ctr_apply(&key, &iv, at as u64, &mut stateless[at..at + n]);
                ctr.apply(&mut stateful[at..at + n]);
                at += n;
            }
            assert_eq!(stateless, expected);
            assert_eq!(stateful, expected);
        }
    }

    /// The counter is one 128-bit big-endian number: built block by block from the `aes`
    /// crate's single-block encryption, the keystream across a carry out of the low 64 bits
    /// and across the wrap from all ones to zero matches (independently of the `ctr`
    /// crate's counter arithmetic).
    #[test]
    fn counter_carries_across_64_and_128_bits() {
        let key = [0x3cu8; 32];
        let cipher = Aes256Enc::new(&key.into());
        // Every start from 40 blocks short of the carry on: the carry then falls on each
        // block of an eight-block AES-NI group and of a sixteen-block VAES group in turn.
        let starts = (0..=40).flat_map(|short| [u128::from(u64::MAX) - short, u128::MAX - short]);
        for start in starts {
            let mut expected = Vec::new();
            for i in 0..80u128 {
                let mut block = start.wrapping_add(i).to_be_bytes().into();
                cipher.encrypt_block(&mut block);
                expected.extend_from_slice(&block);
            }
            for (name, path) in PATHS {
                let mut keystream = vec![0u8; expected.len()];
                path(&key, &start.to_be_bytes(), 0, &mut keystream);
                assert_eq!(keystream, expected, "{name}, start {start:#x}");
            }
        }
    }

    /// On a CPU with AES-NI the fast loop is what runs (so the tests above compare it, not
    /// the portable path twice).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn aesni_path_runs_here() {
        if std::arch::is_x86_feature_detected!("aes")
            && std::arch::is_x86_feature_detected!("ssse3")
        {
            assert!(aesni::apply(&[1; 32], 7, 3, &mut [0u8; 300], true));
        }
    }
}
