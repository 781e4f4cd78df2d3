//! Contention-robust throughput check for AES-256-IGE against a serial
//! AES-256-CBC chain from the same `aes` crate.
//!
//! Criterion's medians swing widely on a shared machine; this takes the best
//! of many interleaved 1 MiB runs of each contender, which approximates the
//! uncontended speed, and prints the ratios. It also times what a receiver
//! does with every 1 MiB message: decryption and the msg_key SHA-256, as two
//! passes and as `decrypt_message` does it (the hash inside the IGE loop).
//! Then the multi-buffer calls: 1 to 4 buffers of 1 MiB, each with its own key, encrypted
//! (or sealed, or opened as packets) in one call, in MiB/s of all the buffers together.
//! `cargo run --release -p tgwire-crypto --example ige_ratio`

use std::time::{Duration, Instant};

use aes::cipher::{BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit};
use sha2::{Digest, Sha256};
use tgwire_crypto::{
    decrypt_message, decrypt_messages, encrypt_message, encrypt_message_parts,
    encrypt_messages_parts, ige_decrypt, ige_decrypt_many, ige_encrypt, ige_encrypt_many, AuthKey,
    Side,
};

const MIB: usize = 1 << 20;

fn best_of(runs: usize, mut f: impl FnMut()) -> Duration {
    (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn mib_per_s(d: Duration) -> f64 {
    1.0 / d.as_secs_f64()
}

fn main() {
    let key = [0x5Au8; 32];
    let iv = [0xA5u8; 32];
    let mut data = vec![0x11u8; MIB];
    let cipher = aes::Aes256::new(&key.into());

    let mut best = [Duration::MAX; 4];
    for _ in 0..20 {
        let times = [
            best_of(5, || ige_encrypt(&mut data, &key, &iv).unwrap_or_default()),
            best_of(5, || ige_decrypt(&mut data, &key, &iv).unwrap_or_default()),
            best_of(5, || {
                let mut enc = cbc::Encryptor::<aes::Aes256>::new(&key.into(), iv[..16].into());
                for chunk in data.chunks_exact_mut(16) {
                    enc.encrypt_block_mut(chunk.into());
                }
            }),
            best_of(5, || {
                let mut prev = u128::from_ne_bytes([7; 16]);
                for chunk in data.chunks_exact_mut(16) {
                    let Ok(chunk) = <&mut [u8; 16]>::try_from(chunk) else {
                        continue;
                    };
                    let mut block = (u128::from_ne_bytes(*chunk) ^ prev).to_ne_bytes().into();
                    cipher.encrypt_block(&mut block);
                    prev = u128::from_ne_bytes(block.into());
                    *chunk = prev.to_ne_bytes();
                }
            }),
        ];
        for (b, t) in best.iter_mut().zip(times) {
            *b = (*b).min(t);
        }
    }
    let names = [
        "ige-encrypt",
        "ige-decrypt",
        "cbc-encrypt (cbc crate)",
        "cbc-encrypt (encrypt_block loop)",
    ];
    for (name, t) in names.iter().zip(best) {
        println!(
            "{name:34} {:8.1} MiB/s  ({:.3} ms / MiB)",
            mib_per_s(t),
            t.as_secs_f64() * 1e3
        );
    }

    let auth_key = AuthKey::from_bytes(core::array::from_fn(|i| (i * 7 + 1) as u8));
    let mut packet = Vec::new();
    encrypt_message(&auth_key, Side::Server, &data, &mut packet).unwrap_or_default();
    let mut plain = Vec::with_capacity(MIB);
    let mut open = [Duration::MAX; 2];
    for _ in 0..20 {
        open[0] = open[0].min(best_of(5, || {
            ige_decrypt(&mut data, &key, &iv).unwrap_or_default();
            std::hint::black_box(
                Sha256::new()
                    .chain_update(key)
                    .chain_update(&data)
                    .finalize(),
            );
        }));
        open[1] = open[1].min(best_of(5, || {
            plain.clear();
            decrypt_message(&auth_key, Side::Server, &packet, &mut plain).unwrap_or_default();
        }));
    }
    for (name, t) in ["ige-decrypt then sha-256", "decrypt_message (one pass)"]
        .iter()
        .zip(open)
    {
        println!(
            "{name:34} {:8.1} MiB/s  ({:.3} ms / MiB)",
            mib_per_s(t),
            t.as_secs_f64() * 1e3
        );
    }
    let cbc = mib_per_s(best[2]);
    println!(
        "ratio ige-encrypt / cbc crate: {:.3}",
        mib_per_s(best[0]) / cbc
    );
    println!(
        "ratio ige-decrypt / cbc crate: {:.3}",
        mib_per_s(best[1]) / cbc
    );
    many(&auth_key);
}

/// MiB/s of all the buffers together, `n` 1 MiB buffers per call, for n = 1..=4.
fn many(auth_key: &AuthKey) {
    let keys: Vec<[u8; 32]> = (0..4u8).map(|i| [0x5A ^ i; 32]).collect();
    let ivs: Vec<[u8; 32]> = (0..4u8).map(|i| [0xA5 ^ i; 32]).collect();
    let mut bufs: Vec<Vec<u8>> = (0..4u8).map(|i| vec![0x11 ^ i; MIB]).collect();
    let padding = [0u8; 16];
    let bodies: Vec<Vec<u8>> = (0..4u8).map(|i| vec![0x22 ^ i; MIB]).collect();
    let pieces: Vec<[&[u8]; 2]> = bodies.iter().map(|b| [&b[..], &padding[..]]).collect();
    let messages: Vec<&[&[u8]]> = pieces.iter().map(|p| &p[..]).collect();
    let mut sealed: Vec<Vec<u8>> = (0..4).map(|_| Vec::with_capacity(MIB + 64)).collect();
    let packets: Vec<Vec<u8>> = messages
        .iter()
        .map(|m| {
            let mut p = Vec::new();
            encrypt_message_parts(auth_key, Side::Server, m, &mut p).unwrap_or_default();
            p
        })
        .collect();
    let packet_refs: Vec<&[u8]> = packets.iter().map(Vec::as_slice).collect();
    let mut opened: Vec<Vec<u8>> = (0..4).map(|_| Vec::with_capacity(MIB + 64)).collect();
    println!("multi-buffer (n buffers of 1 MiB per call, MiB/s of all n):");
    println!(
        "{:>3} {:>12} {:>12} {:>22} {:>18}",
        "n", "ige-encrypt", "ige-decrypt", "encrypt_messages_parts", "decrypt_messages"
    );
    for n in 1..=4usize {
        let mut best = [Duration::MAX; 4];
        for _ in 0..20 {
            let times = [
                best_of(3, || {
                    let mut refs: Vec<&mut [u8]> =
                        bufs[..n].iter_mut().map(|b| &mut b[..]).collect();
                    ige_encrypt_many(&mut refs, &keys[..n], &ivs[..n]).unwrap_or_default();
                }),
                best_of(3, || {
                    let mut refs: Vec<&mut [u8]> =
                        bufs[..n].iter_mut().map(|b| &mut b[..]).collect();
                    ige_decrypt_many(&mut refs, &keys[..n], &ivs[..n]).unwrap_or_default();
                }),
                best_of(3, || {
                    for s in &mut sealed[..n] {
                        s.clear();
                    }
                    encrypt_messages_parts(
                        auth_key,
                        Side::Server,
                        &messages[..n],
                        &mut sealed[..n],
                    )
                    .unwrap_or_default();
                }),
                best_of(3, || {
                    for o in &mut opened[..n] {
                        o.clear();
                    }
                    std::hint::black_box(
                        decrypt_messages(
                            auth_key,
                            Side::Server,
                            &packet_refs[..n],
                            &mut opened[..n],
                        )
                        .unwrap_or_default(),
                    );
                }),
            ];
            for (b, t) in best.iter_mut().zip(times) {
                *b = (*b).min(t);
            }
        }
        let rate = |t: Duration| n as f64 / t.as_secs_f64();
        println!(
            "{n:>3} {:>12.1} {:>12.1} {:>22.1} {:>18.1}",
            rate(best[0]),
            rate(best[1]),
            rate(best[2]),
            rate(best[3])
        );
    }
}
