//! Criterion benches of tgwire-crypto's hot paths.
//!
//! IGE cannot be faster than a serial AES-256 chain, so the group `aes-1MiB`
//! also measures CBC encryption (the same kind of chain) from the same `aes`
//! crate, both through the `cbc` crate and as a hand-written loop: the ratio
//! IGE / CBC is the figure of merit. The group `ctr-1MiB` measures the
//! parallel mode, CTR, against the `ctr` crate.
#![allow(missing_docs)] // criterion's macros generate undocumented items

use aes::cipher::{BlockEncrypt, BlockEncryptMut, KeyInit, KeyIvInit, StreamCipher};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_crypto::{
    aes256_ctr_apply, decrypt_message, decrypt_messages, derive_aes_key_iv, dh, encrypt_message,
    encrypt_messages_parts, factorize, ige_decrypt, ige_encrypt, msg_key, open_side_by_side, srp,
    AesCtr, AuthKey, Opening, RsaPrivateKey, Side,
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
    g.finish();
}

/// AES-256-CTR over 1 MiB: the `ctr` crate (what the obfuscated transport and [`AesCtr`] used
/// before) against this crate's AES-NI loop, statelessly at an unaligned position (as the
/// transport calls it, key schedule included) and through [`AesCtr`]. The yardstick is
/// `openssl speed -evp aes-256-ctr` (16384-byte column).
fn aes_ctr(c: &mut Criterion) {
    let key = [0x5Au8; 32];
    let iv = [0xA5u8; 16];
    let mut data = vec![0x11u8; MIB];
    let mut g = c.benchmark_group("ctr-1MiB");
    g.throughput(Throughput::Bytes(MIB as u64));
    g.bench_function("ctr crate (old)", |b| {
        let mut ctr = ctr::Ctr128BE::<aes::Aes256>::new(&key.into(), &iv.into());
        b.iter(|| ctr.apply_keystream(black_box(&mut data)))
    });
    // From a keystream position inside a block (as the transport's usually are) the
    // keystream blocks fall across the data's 16-byte boundaries: most loads and stores are
    // unaligned, and a quarter of them straddle two cache lines.
    for start in [0u64, 5] {
        g.bench_function(
            format!("aes256_ctr_apply (position {start} + n MiB)"),
            |b| {
                let mut position = start;
                b.iter(|| {
                    aes256_ctr_apply(&key, &iv, position, black_box(&mut data));
                    position += MIB as u64;
                })
            },
        );
    }
    g.bench_function("AesCtr", |b| {
        let mut ctr = AesCtr::new(&key, &iv);
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

/// File parts as a download moves them: 1 MiB messages sealed by the server four at a time
/// (msg_key SHA-256 then AES-IGE) and opened by the client one or four at a time (AES-IGE
/// with the msg_key SHA-256 inside). Throughput is per byte of all the messages.
fn file_parts(c: &mut Criterion) {
    let key = AuthKey::from_bytes(core::array::from_fn(|i| (i * 7) as u8));
    let plain: Vec<Vec<u8>> = (0..4u8).map(|m| vec![m ^ 0x5C; MIB + 32]).collect();
    let mut g = c.benchmark_group("file-part-1MiB");
    g.throughput(Throughput::Bytes(4 * MIB as u64));
    let mut outs: Vec<Vec<u8>> = (0..4).map(|_| Vec::with_capacity(MIB + 64)).collect();
    g.bench_function("seal 4 together", |b| {
        b.iter(|| {
            outs.iter_mut().for_each(Vec::clear);
            let messages: Vec<[&[u8]; 1]> = plain.iter().map(|p| [p.as_slice()]).collect();
            let messages: Vec<&[&[u8]]> = messages.iter().map(|m| m.as_slice()).collect();
            encrypt_messages_parts(&key, Side::Server, black_box(&messages), &mut outs)
        })
    });
    let packets: Vec<Vec<u8>> = plain
        .iter()
        .map(|p| {
            let mut out = Vec::new();
            encrypt_message(&key, Side::Server, p, &mut out).unwrap();
            out
        })
        .collect();
    let refs: Vec<&[u8]> = packets.iter().map(Vec::as_slice).collect();
    g.bench_function("open 4 together", |b| {
        b.iter(|| {
            outs.iter_mut().for_each(Vec::clear);
            decrypt_messages(&key, Side::Server, black_box(&refs), &mut outs)
        })
    });
    // What the net driver does with parts streaming in: each part's rest decrypted side by side
    // with the first half of the next one (what has arrived of it), which then waits for its
    // own next; the first part's second half and the last's go alone (a burst's ends).
    g.bench_function(
        "open 4 as they arrive (each with the next's first half)",
        |b| {
            let begin = |packet: &[u8]| {
                Opening::begin(
                    &key,
                    Side::Server,
                    packet,
                    packet.len(),
                    Vec::with_capacity(MIB + 64),
                )
                .unwrap()
            };
            b.iter(|| {
                let mut begun: Option<Opening> = None;
                for (i, packet) in refs.iter().enumerate() {
                    let mut current = begun.take().unwrap_or_else(|| begin(packet));
                    if let Some(next) = refs.get(i + 1) {
                        let mut following = begin(next);
                        open_side_by_side(
                            &mut current,
                            packet,
                            &mut following,
                            &next[..next.len() / 2],
                        );
                        begun = Some(following);
                    }
                    black_box(current.finish(black_box(packet)).unwrap());
                }
            })
        },
    );
    g.bench_function("open 4 one by one", |b| {
        b.iter(|| {
            for (packet, out) in refs.iter().zip(outs.iter_mut()) {
                out.clear();
                decrypt_message(&key, Side::Server, black_box(packet), out).unwrap();
            }
        })
    });
    g.finish();
}

fn handshake(c: &mut Criterion) {
    let key = RsaPrivateKey::from_pkcs1_pem(include_str!("../testdata/test_rsa_key.pem")).unwrap();
    let public = key.public_key().clone();
    let mut rng = StdRng::seed_from_u64(1);
    let inner = [0x42u8; 96]; // about the size of p_q_inner_data_dc
    let mut g = c.benchmark_group("handshake");
    g.bench_function("rsa encrypt_old_padding (2048)", |b| {
        b.iter(|| public.encrypt_old_padding(black_box(&inner), &mut rng))
    });
    g.bench_function("rsa encrypt_rsa_pad (2048)", |b| {
        b.iter(|| public.encrypt_rsa_pad(black_box(&inner), &mut rng))
    });
    let sealed = public.encrypt_rsa_pad(&inner, &mut rng).unwrap();
    g.bench_function("rsa decrypt_rsa_pad (2048, CRT)", |b| {
        b.iter(|| key.decrypt_rsa_pad(black_box(&sealed)))
    });
    g.bench_function("factorize spec pq 0x17ED48941A08F981", |b| {
        b.iter(|| factorize(black_box(0x17ED48941A08F981)))
    });
    g.bench_function("factorize (2^32-5)(2^32-17)", |b| {
        b.iter(|| factorize(black_box(4_294_967_291 * 4_294_967_279)))
    });
    let params = dh::check_prime_and_g(&dh::TELEGRAM_DH_PRIME, 3).unwrap();
    let secret = [0x5Au8; 256];
    let g_a = params.public_value(&[0x33; 256]).unwrap();
    g.bench_function("dh exchange (g_b + auth_key)", |b| {
        b.iter(|| params.exchange(black_box(&g_a), &secret))
    });
    g.finish();

    let mut g = c.benchmark_group("srp");
    g.sample_size(10);
    let (s1, s2) = (b"salt1-salt1-salt1".as_slice(), b"salt2".as_slice());
    let v = srp::make_verifier(b"password", s1, s2, 3, &dh::TELEGRAM_DH_PRIME).unwrap();
    let server =
        srp::ServerSession::new(&v, s1, s2, 3, &dh::TELEGRAM_DH_PRIME, &[0x77; 256]).unwrap();
    let srp_b = *server.public_b();
    g.bench_function("compute_check (PBKDF2 100k + 3 modpow)", |b| {
        b.iter(|| {
            srp::compute_check(
                b"password",
                s1,
                s2,
                3,
                &dh::TELEGRAM_DH_PRIME,
                &srp_b,
                1,
                &[0x11; 256],
            )
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = aes, aes_ctr, messages, file_parts, handshake
}
criterion_main!(benches);
