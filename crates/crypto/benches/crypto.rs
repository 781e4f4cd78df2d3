//! Criterion benches of tgwire-crypto's hot paths.
//!
//! IGE cannot be faster than a serial AES-256 chain, so the group `aes-1MiB`
//! also measures CBC encryption (the same kind of chain) from the same `aes`
//! crate, both through the `cbc` crate and as a hand-written loop: the ratio
//! IGE / CBC is the figure of merit. CTR is there for the parallel ceiling.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use aes::cipher::{BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tgwire_crypto::{
    decrypt_message, derive_aes_key_iv, encrypt_message, ige_decrypt, ige_encrypt, msg_key, AesCtr,
    AuthKey, Side,
};

const MIB: usize = 1 << 20;

fn aes(c: &mut Criterion) {
    let key = [0x5Au8; 32];
    let iv = [0xA5u8; 32];
    let mut data = vec![0x11u8; MIB];

    let mut g = c.benchmark_group("aes-1MiB");
    g.throughput(Throughput::Bytes(MIB as u64));
    g.bench_function("ige-encrypt", |b| {
        b.iter(|| ige_encrypt(black_box(&mut data), &key, &iv))
    });
    g.bench_function("ige-decrypt", |b| {
        b.iter(|| ige_decrypt(black_box(&mut data), &key, &iv))
    });
    g.bench_function("cbc-encrypt (cbc crate)", |b| {
        b.iter(|| {
            let mut enc = cbc::Encryptor::<aes::Aes256>::new(&key.into(), iv[..16].into());
            let blocks = aes::cipher::generic_array::GenericArray::from_mut_slice(&mut data[..16]);
            enc.encrypt_block_mut(blocks);
            for chunk in data.chunks_exact_mut(16) {
                enc.encrypt_block_mut(chunk.into());
            }
        })
    });
    g.bench_function("cbc-encrypt (encrypt_block loop)", |b| {
        let cipher = aes::Aes256::new(&key.into());
        b.iter(|| {
            let mut prev = u128::from_ne_bytes(iv[..16].try_into().unwrap());
            for chunk in data.chunks_exact_mut(16) {
                let chunk: &mut [u8; 16] = chunk.try_into().unwrap();
                let mut block = (u128::from_ne_bytes(*chunk) ^ prev).to_ne_bytes().into();
                cipher.encrypt_block(&mut block);
                prev = u128::from_ne_bytes(block.into());
                *chunk = prev.to_ne_bytes();
            }
        })
    });
    g.bench_function("ctr", |b| {
        let mut ctr = AesCtr::new(&key, &[0; 16]);
        b.iter(|| ctr.apply(black_box(&mut data)))
    });
    g.finish();
}

fn messages(c: &mut Criterion) {
    let key = AuthKey::from_bytes(core::array::from_fn(|i| i as u8));
    let plaintext = vec![0x33u8; 256];
    let mut g = c.benchmark_group("message");
    g.bench_function("msg_key+derive_aes_key_iv (256 B)", |b| {
        b.iter(|| {
            let mk = msg_key(&key, Side::Client, black_box(&plaintext));
            derive_aes_key_iv(&key, &mk, Side::Client)
        })
    });
    g.bench_function("encrypt_message (256 B)", |b| {
        let mut out = Vec::with_capacity(1024);
        b.iter(|| {
            out.clear();
            encrypt_message(&key, Side::Client, black_box(&plaintext), &mut out)
        })
    });
    let mut packet = Vec::new();
    encrypt_message(&key, Side::Client, &plaintext, &mut packet).unwrap();
    g.bench_function("decrypt_message (256 B)", |b| {
        b.iter_batched_ref(
            || Vec::with_capacity(1024),
            |out| decrypt_message(&key, Side::Client, black_box(&packet), out),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = aes, messages
}
criterion_main!(benches);
