//! RSA as the auth-key exchange uses it: textbook RSA over 2048-bit keys
//! with MTProto's own two paddings, PKCS#1 PEM keys, fingerprints, and the
//! private-key side for the test server.
//!
//! - *Old padding* (`p_q_inner_data` before RSA_PAD existed; still accepted):
//!   `SHA1(data) ‖ data ‖ random`, 255 bytes, raw RSA.
//! - *RSA_PAD* (current): see [`RsaPublicKey::encrypt_rsa_pad`].
//!
//! Both are "textbook" RSA (no PKCS#1 v1.5/OAEP): the paddings carry their
//! own hashes. The private-key operations use num-bigint, which is not
//! constant-time; they exist for tgwire's test server, not for production
//! servers.

use num_bigint::BigUint;
use num_integer::Integer;
use num_traits::One;
use rand::RngCore;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, Zeroizing};

use crate::der::{self, Reader};
use crate::primes::random_prime;
use crate::{aes_ige, Error};

/// Size in bytes of the modulus every MTProto RSA key has.
pub const KEY_BYTES: usize = 256;
/// Longest `data` the old padding takes: 255 − 20 bytes of SHA1.
pub const OLD_PADDING_MAX_DATA: usize = 235;
/// Longest `data` RSA_PAD takes.
pub const RSA_PAD_MAX_DATA: usize = 144;
/// Length of RSA_PAD's `data_with_padding`, which decryption returns.
pub const RSA_PAD_DATA_LEN: usize = 192;

/// A server's RSA public key.
///
/// Cheap to clone: the numbers are shared (every connection of every client keeps the keys it
/// may need for a new auth key, and one copy each would be hundreds of bytes per connection).
#[derive(Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    parts: std::sync::Arc<Parts>,
}

#[derive(PartialEq, Eq)]
struct Parts {
    n: BigUint,
    e: BigUint,
}

impl core::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaPublicKey")
            .field("bits", &self.parts.n.bits())
            .field("fingerprint", &format_args!("{:#018x}", self.fingerprint()))
            .finish()
    }
}

/// Appends `bytes` serialised as a TL `bytes`/`string` value.
fn tl_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let header = if bytes.len() < 254 {
        out.push(bytes.len() as u8);
        1
    } else {
        out.push(254);
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes()[..3]);
        4
    };
    out.extend_from_slice(bytes);
    let padding = (4 - (header + bytes.len()) % 4) % 4;
    out.extend(core::iter::repeat_n(0, padding));
}

/// `n` as exactly `KEY_BYTES` big-endian bytes, or `None` if it does not fit.
fn to_key_bytes(n: &BigUint) -> Option<[u8; KEY_BYTES]> {
    let bytes = n.to_bytes_be();
    let mut out = [0u8; KEY_BYTES];
    let offset = KEY_BYTES.checked_sub(bytes.len())?;
    out[offset..].copy_from_slice(&bytes);
    Some(out)
}

impl RsaPublicKey {
    /// Builds a key from its modulus and public exponent (big-endian bytes).
    ///
    /// # Errors
    /// [`Error::MalformedKey`] if `e` is even or below 3, or `n` is not odd.
    pub fn from_components(n: &[u8], e: &[u8]) -> Result<Self, Error> {
        let n = BigUint::from_bytes_be(n);
        let e = BigUint::from_bytes_be(e);
        if n.is_even() || e.is_even() || e < BigUint::from(3u8) || n <= e {
            return Err(Error::MalformedKey("implausible RSA modulus or exponent"));
        }
        Ok(Self {
            parts: std::sync::Arc::new(Parts { n, e }),
        })
    }

    /// Reads a `-----BEGIN RSA PUBLIC KEY-----` (PKCS#1) PEM block, the form
    /// in which Telegram publishes its keys.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] for bad armour, base64 or DER.
    pub fn from_pkcs1_pem(pem: &str) -> Result<Self, Error> {
        Self::from_pkcs1_der(&der::pem_decode(pem, "RSA PUBLIC KEY")?)
    }

    /// Reads a DER `RSAPublicKey ::= SEQUENCE { modulus, publicExponent }`.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] for malformed or trailing DER.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, Error> {
        let mut outer = Reader::new(der);
        let mut seq = outer.sequence()?;
        let n = seq.unsigned_integer()?;
        let e = seq.unsigned_integer()?;
        if !seq.is_empty() || !outer.is_empty() {
            return Err(Error::MalformedKey("trailing bytes after RSAPublicKey"));
        }
        Self::from_components(n, e)
    }

    /// The DER encoding of `RSAPublicKey`.
    pub fn to_pkcs1_der(&self) -> Vec<u8> {
        let mut contents = Vec::new();
        der::write_unsigned_integer(&mut contents, &self.parts.n.to_bytes_be());
        der::write_unsigned_integer(&mut contents, &self.parts.e.to_bytes_be());
        der::write_sequence(&contents)
    }

    /// The `-----BEGIN RSA PUBLIC KEY-----` PEM encoding.
    pub fn to_pkcs1_pem(&self) -> String {
        der::pem_encode(&self.to_pkcs1_der(), "RSA PUBLIC KEY")
    }

    /// The modulus, big-endian without leading zeros.
    pub fn modulus(&self) -> Vec<u8> {
        self.parts.n.to_bytes_be()
    }

    /// The public exponent, big-endian without leading zeros.
    pub fn exponent(&self) -> Vec<u8> {
        self.parts.e.to_bytes_be()
    }

    /// The key's fingerprint as listed in `resPQ`: the lower 64 bits of
    /// SHA1 over `n` and `e` serialised as TL `bytes`, read little-endian.
    pub fn fingerprint(&self) -> i64 {
        let mut tl = Vec::with_capacity(KEY_BYTES + 16);
        tl_bytes(&mut tl, &self.parts.n.to_bytes_be());
        tl_bytes(&mut tl, &self.parts.e.to_bytes_be());
        let digest = Sha1::digest(&tl);
        let mut low = [0u8; 8];
        low.copy_from_slice(&digest[12..20]);
        i64::from_le_bytes(low)
    }

    fn check_size(&self) -> Result<(), Error> {
        match self.parts.n.bits() {
            2048 => Ok(()),
            bits => Err(Error::RsaKeySize { bits }),
        }
    }

    /// Raw RSA: `message^e mod n` as 256 big-endian bytes.
    ///
    /// # Errors
    /// [`Error::RsaKeySize`] unless the key is 2048 bits;
    /// [`Error::RsaCiphertextOutOfRange`] if `message ≥ n`.
    pub fn encrypt_raw(&self, message: &[u8; KEY_BYTES]) -> Result<[u8; KEY_BYTES], Error> {
        self.check_size()?;
        let m = BigUint::from_bytes_be(message);
        if m >= self.parts.n {
            return Err(Error::RsaCiphertextOutOfRange);
        }
        to_key_bytes(&m.modpow(&self.parts.e, &self.parts.n)).ok_or(Error::RsaCiphertextOutOfRange)
    }

    /// Old padding: RSA of `SHA1(data) ‖ data ‖ random bytes` (255 bytes in
    /// all), with the random bytes drawn from `rng`.
    ///
    /// # Errors
    /// [`Error::RsaDataTooLong`] beyond [`OLD_PADDING_MAX_DATA`] bytes;
    /// [`Error::RsaKeySize`] unless the key is 2048 bits.
    pub fn encrypt_old_padding(
        &self,
        data: &[u8],
        rng: &mut impl RngCore,
    ) -> Result<[u8; KEY_BYTES], Error> {
        let mut padding = Zeroizing::new([0u8; OLD_PADDING_MAX_DATA]);
        let len = OLD_PADDING_MAX_DATA.saturating_sub(data.len());
        rng.fill_bytes(&mut padding[..len]);
        self.encrypt_old_padding_with(data, &padding[..len])
    }

    /// [`encrypt_old_padding`](Self::encrypt_old_padding) with explicit
    /// random bytes, which must be exactly `235 - data.len()` long.
    ///
    /// # Errors
    /// [`Error::RsaDataTooLong`] if `data` or `data + padding` do not fit
    /// 235 bytes exactly; [`Error::RsaKeySize`] unless the key is 2048 bits.
    pub fn encrypt_old_padding_with(
        &self,
        data: &[u8],
        padding: &[u8],
    ) -> Result<[u8; KEY_BYTES], Error> {
        if data.len() + padding.len() != OLD_PADDING_MAX_DATA {
            return Err(Error::RsaDataTooLong {
                len: data.len() + padding.len(),
                max: OLD_PADDING_MAX_DATA,
            });
        }
        // Leading zero byte: 255 bytes of payload in a 256-byte block, so the
        // number is below 2^2040 and hence below any 2048-bit modulus.
        let mut block = Zeroizing::new([0u8; KEY_BYTES]);
        block[1..21].copy_from_slice(&Sha1::digest(data));
        block[21..21 + data.len()].copy_from_slice(data);
        block[21 + data.len()..].copy_from_slice(padding);
        self.encrypt_raw(&block)
    }

    /// RSA_PAD, the padding of `req_DH_params.encrypted_data` today:
    ///
    /// ```text
    /// data_with_padding := data ‖ random           (192 bytes)
    /// data_pad_reversed := reverse(data_with_padding)
    /// temp_key          := 32 random bytes
    /// data_with_hash    := data_pad_reversed ‖ SHA256(temp_key ‖ data_with_padding)
    /// aes_encrypted     := AES256_IGE(data_with_hash, temp_key, iv = 0)
    /// temp_key_xor      := temp_key XOR SHA256(aes_encrypted)
    /// key_aes_encrypted := temp_key_xor ‖ aes_encrypted        (256 bytes)
    /// ```
    ///
    /// and, drawing a new `temp_key` while `key_aes_encrypted ≥ n`, the
    /// result is `key_aes_encrypted^e mod n`. Random bytes come from `rng`:
    /// first the padding, then one `temp_key` per attempt.
    ///
    /// # Errors
    /// [`Error::RsaDataTooLong`] beyond [`RSA_PAD_MAX_DATA`] bytes;
    /// [`Error::RsaKeySize`] unless the key is 2048 bits.
    pub fn encrypt_rsa_pad(
        &self,
        data: &[u8],
        rng: &mut impl RngCore,
    ) -> Result<[u8; KEY_BYTES], Error> {
        self.check_size()?;
        if data.len() > RSA_PAD_MAX_DATA {
            return Err(Error::RsaDataTooLong {
                len: data.len(),
                max: RSA_PAD_MAX_DATA,
            });
        }
        let mut data_with_padding = Zeroizing::new([0u8; RSA_PAD_DATA_LEN]);
        data_with_padding[..data.len()].copy_from_slice(data);
        rng.fill_bytes(&mut data_with_padding[data.len()..]);

        let mut temp_key = Zeroizing::new([0u8; 32]);
        let mut block = Zeroizing::new([0u8; KEY_BYTES]);
        // Each attempt succeeds with probability n / 2^2048 > 1/2, so the
        // loop ends quickly unless the rng is broken (e.g. constant); the
        // bound turns that case into an error instead of a hang.
        for _ in 0..128 {
            rng.fill_bytes(&mut temp_key[..]);
            rsa_pad_block(&data_with_padding, &temp_key, &mut block);
            if BigUint::from_bytes_be(&block[..]) < self.parts.n {
                return self.encrypt_raw(&block);
            }
        }
        Err(Error::RsaCiphertextOutOfRange)
    }
}

/// Builds RSA_PAD's `key_aes_encrypted` for one `temp_key`.
fn rsa_pad_block(
    data_with_padding: &[u8; RSA_PAD_DATA_LEN],
    temp_key: &[u8; 32],
    out: &mut [u8; KEY_BYTES],
) {
    let (temp_key_xor, aes_encrypted) = out.split_at_mut(32);
    for (dst, src) in aes_encrypted[..RSA_PAD_DATA_LEN]
        .iter_mut()
        .zip(data_with_padding.iter().rev())
    {
        *dst = *src;
    }
    let hash = Sha256::new()
        .chain_update(temp_key)
        .chain_update(data_with_padding)
        .finalize();
    aes_encrypted[RSA_PAD_DATA_LEN..].copy_from_slice(&hash);
    // 224 bytes: always block aligned, so this cannot fail.
    let _ = aes_ige::encrypt_in_place(aes_encrypted, temp_key, &[0; 32]);
    let mask = Sha256::digest(&*aes_encrypted);
    for ((dst, k), m) in temp_key_xor.iter_mut().zip(temp_key).zip(mask.iter()) {
        *dst = k ^ m;
    }
}

/// An RSA private key, for the test server's side of the exchange.
///
/// The key material is kept as big-endian bytes that are zeroized on drop;
/// big-number temporaries during decryption are not (num-bigint cannot wipe
/// them).
#[derive(Clone)]
pub struct RsaPrivateKey {
    public: RsaPublicKey,
    secret: Zeroizing<SecretParts>,
}

#[derive(Clone, Default, Zeroize)]
struct SecretParts {
    d: Vec<u8>,
    p: Vec<u8>,
    q: Vec<u8>,
    dp: Vec<u8>,
    dq: Vec<u8>,
    qinv: Vec<u8>,
}

impl core::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

impl RsaPrivateKey {
    /// Generates a key with a `bits`-bit modulus and `e = 65537`, from two
    /// random `bits/2`-bit primes found by Miller–Rabin.
    ///
    /// # Errors
    /// [`Error::RsaKeyGenSize`] unless `bits` is even and in 512..=8192.
    pub fn generate(bits: u64, rng: &mut impl RngCore) -> Result<Self, Error> {
        if !(512..=8192).contains(&bits) || bits % 2 != 0 {
            return Err(Error::RsaKeyGenSize { bits });
        }
        let e = BigUint::from(65_537u32);
        loop {
            // gcd(e, p − 1) = 1 makes e invertible modulo φ(n).
            let coprime = |p: &BigUint| (p - 1u32).gcd(&e).is_one();
            let p = random_prime(bits / 2, rng, coprime);
            let q = random_prime(bits / 2, rng, coprime);
            if p == q {
                continue;
            }
            let n = &p * &q;
            // Two top bits set in each prime make n exactly `bits` long.
            debug_assert_eq!(n.bits(), bits);
            let one = BigUint::one();
            let phi = (&p - &one) * (&q - &one);
            let Some(d) = e.modinv(&phi) else { continue };
            return Self::from_parts(n, e, d, p, q);
        }
    }

    fn from_parts(
        n: BigUint,
        e: BigUint,
        d: BigUint,
        p: BigUint,
        q: BigUint,
    ) -> Result<Self, Error> {
        let one = BigUint::one();
        if p.is_zero_or_one() || q.is_zero_or_one() || &p * &q != n {
            return Err(Error::MalformedKey(
                "RSA primes do not multiply to the modulus",
            ));
        }
        let dp = &d % (&p - &one);
        let dq = &d % (&q - &one);
        let qinv = q
            .modinv(&p)
            .ok_or(Error::MalformedKey("RSA primes are not coprime"))?;
        Ok(Self {
            public: RsaPublicKey {
                parts: std::sync::Arc::new(Parts { n, e }),
            },
            secret: Zeroizing::new(SecretParts {
                d: d.to_bytes_be(),
                p: p.to_bytes_be(),
                q: q.to_bytes_be(),
                dp: dp.to_bytes_be(),
                dq: dq.to_bytes_be(),
                qinv: qinv.to_bytes_be(),
            }),
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> &RsaPublicKey {
        &self.public
    }

    /// Reads a `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1) PEM block.
    ///
    /// # Errors
    /// [`Error::MalformedKey`] for bad armour, base64, DER, or inconsistent numbers.
    pub fn from_pkcs1_pem(pem: &str) -> Result<Self, Error> {
        let der = Zeroizing::new(der::pem_decode(pem, "RSA PRIVATE KEY")?);
        Self::from_pkcs1_der(&der)
    }

    /// Reads a DER `RSAPrivateKey` (two-prime, version 0).
    ///
    /// # Errors
    /// [`Error::MalformedKey`] for malformed DER or inconsistent numbers.
    pub fn from_pkcs1_der(der: &[u8]) -> Result<Self, Error> {
        let mut outer = Reader::new(der);
        let mut seq = outer.sequence()?;
        if seq.unsigned_integer()? != [0] {
            return Err(Error::MalformedKey(
                "only two-prime RSAPrivateKey (version 0) is supported",
            ));
        }
        let mut next = || seq.unsigned_integer().map(BigUint::from_bytes_be);
        let (n, e, d, p, q) = (next()?, next()?, next()?, next()?, next()?);
        // dP, dQ and qInv are recomputed rather than trusted.
        for _ in 0..3 {
            next()?;
        }
        if !seq.is_empty() || !outer.is_empty() {
            return Err(Error::MalformedKey("trailing bytes after RSAPrivateKey"));
        }
        let key = Self::from_parts(n, e, d, p, q)?;
        RsaPublicKey::from_components(&key.public.modulus(), &key.public.exponent())?;
        Ok(key)
    }

    /// The DER encoding of `RSAPrivateKey`.
    pub fn to_pkcs1_der(&self) -> Zeroizing<Vec<u8>> {
        let s = &self.secret;
        let mut contents = Zeroizing::new(Vec::new());
        der::write_unsigned_integer(&mut contents, &[0]);
        der::write_unsigned_integer(&mut contents, &self.public.modulus());
        der::write_unsigned_integer(&mut contents, &self.public.exponent());
        for part in [&s.d, &s.p, &s.q, &s.dp, &s.dq, &s.qinv] {
            der::write_unsigned_integer(&mut contents, part);
        }
        Zeroizing::new(der::write_sequence(&contents))
    }

    /// The `-----BEGIN RSA PRIVATE KEY-----` PEM encoding.
    pub fn to_pkcs1_pem(&self) -> Zeroizing<String> {
        Zeroizing::new(der::pem_encode(&self.to_pkcs1_der(), "RSA PRIVATE KEY"))
    }

    /// Raw RSA decryption `c^d mod n` (via the CRT) as 256 bytes.
    ///
    /// # Errors
    /// [`Error::RsaCiphertextOutOfRange`] unless `ciphertext` is 256 bytes
    /// encoding a number below `n`; [`Error::RsaKeySize`] unless 2048-bit.
    pub fn decrypt_raw(&self, ciphertext: &[u8]) -> Result<Zeroizing<[u8; KEY_BYTES]>, Error> {
        self.public.check_size()?;
        if ciphertext.len() != KEY_BYTES {
            return Err(Error::RsaCiphertextOutOfRange);
        }
        let c = BigUint::from_bytes_be(ciphertext);
        if c >= self.public.parts.n {
            return Err(Error::RsaCiphertextOutOfRange);
        }
        let s = &self.secret;
        let p = BigUint::from_bytes_be(&s.p);
        let q = BigUint::from_bytes_be(&s.q);
        let m1 = c.modpow(&BigUint::from_bytes_be(&s.dp), &p);
        let m2 = c.modpow(&BigUint::from_bytes_be(&s.dq), &q);
        // h = qinv · (m1 − m2) mod p, kept non-negative by adding p first.
        let diff = (&m1 + &p - (&m2 % &p)) % &p;
        let h = (BigUint::from_bytes_be(&s.qinv) * diff) % &p;
        let m = m2 + h * q;
        to_key_bytes(&m)
            .map(Zeroizing::new)
            .ok_or(Error::RsaCiphertextOutOfRange)
    }

    /// Undoes [`RsaPublicKey::encrypt_old_padding`] and returns `data`.
    ///
    /// The old padding does not record the data's length, so the length is
    /// recovered as the one whose SHA1 matches the embedded hash (at most 236
    /// SHA1s over at most 235 bytes). The returned data is authenticated only
    /// in that sense: whoever knows the public key can produce it.
    ///
    /// # Errors
    /// [`Error::RsaPaddingHashMismatch`] if no length matches (or the first
    /// byte is not zero); the errors of [`decrypt_raw`](Self::decrypt_raw).
    pub fn decrypt_old_padding(&self, ciphertext: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
        let block = self.decrypt_raw(ciphertext)?;
        if block[0] != 0 {
            return Err(Error::RsaPaddingHashMismatch);
        }
        let hash = &block[1..21];
        let payload = &block[21..];
        (0..=OLD_PADDING_MAX_DATA)
            .find(|&len| crate::ct_eq(&Sha1::digest(&payload[..len]), hash))
            .map(|len| Zeroizing::new(payload[..len].to_vec()))
            .ok_or(Error::RsaPaddingHashMismatch)
    }

    /// Undoes [`RsaPublicKey::encrypt_rsa_pad`] and returns the 192-byte
    /// `data_with_padding` after verifying its SHA256 (in constant time).
    /// The caller reads its TL object from the front and ignores the rest.
    ///
    /// # Errors
    /// [`Error::RsaPaddingHashMismatch`] if the hash does not verify; the
    /// errors of [`decrypt_raw`](Self::decrypt_raw).
    pub fn decrypt_rsa_pad(
        &self,
        ciphertext: &[u8],
    ) -> Result<Zeroizing<[u8; RSA_PAD_DATA_LEN]>, Error> {
        let mut block = self.decrypt_raw(ciphertext)?;
        let (temp_key_xor, aes_encrypted) = block.split_at_mut(32);
        let mask = Sha256::digest(&*aes_encrypted);
        let mut temp_key = Zeroizing::new([0u8; 32]);
        for ((dst, x), m) in temp_key
            .iter_mut()
            .zip(temp_key_xor.iter())
            .zip(mask.iter())
        {
            *dst = x ^ m;
        }
        aes_ige::decrypt_in_place(aes_encrypted, &temp_key, &[0; 32])?;
        let (reversed, hash) = aes_encrypted.split_at(RSA_PAD_DATA_LEN);
        let mut data = Zeroizing::new([0u8; RSA_PAD_DATA_LEN]);
        for (dst, src) in data.iter_mut().zip(reversed.iter().rev()) {
            *dst = *src;
        }
        let expected = Sha256::new()
            .chain_update(&temp_key[..])
            .chain_update(&data[..])
            .finalize();
        if crate::ct_eq(&expected, hash) {
            Ok(data)
        } else {
            Err(Error::RsaPaddingHashMismatch)
        }
    }
}

trait ZeroOrOne {
    fn is_zero_or_one(&self) -> bool;
}

impl ZeroOrOne for BigUint {
    fn is_zero_or_one(&self) -> bool {
        self.bits() <= 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    /// Telegram's old production key, fingerprint 0xc3b42b026ce86b21 (the
    /// key of core.telegram.org/mtproto/samples-auth_key).
    pub(crate) const TELEGRAM_OLD_KEY: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAwVACPi9w23mF3tBkdZz+zwrzKOaaQdr01vAbU4E1pvkfj4sqDsm6
lyDONS789sVoD/xCS9Y0hkkC3gtL1tSfTlgCMOOul9lcixlEKzwKENj1Yz/s7daS
an9tqw3bfUV/nqgbhGX81v/+7RFAEd+RwFnK7a+XYl9sluzHRyVVaTTveB2GazTw
Efzk2DWgkBluml8OREmvfraX3bkHZJTKX4EQSjBbbdJ2ZXIsRrYOXfaA+xayEGB+
8hdlLmAjbCVfaigxX0CDqWeR1yFL9kwd9P0NsZRPsmoqVwMbMu7mStFai6aIhc3n
Slv8kg9qv1m6XHVQY3PnEw+QQtqSIXklHwIDAQAB
-----END RSA PUBLIC KEY-----
";

    /// A test key made by `examples/gen_rsa_key.rs` (seed 20260101) and
    /// checked with `openssl rsa -check`.
    const TEST_KEY: &str = include_str!("../testdata/test_rsa_key.pem");

    fn test_key() -> RsaPrivateKey {
        RsaPrivateKey::from_pkcs1_pem(TEST_KEY).unwrap()
    }

    /// An RNG that only ever yields zero bytes.
    struct ZeroRng;

    impl RngCore for ZeroRng {
        fn next_u32(&mut self) -> u32 {
            0
        }
        fn next_u64(&mut self) -> u64 {
            0
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(0);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
            dest.fill(0);
            Ok(())
        }
    }

    #[test]
    fn telegram_key_pem_and_fingerprint() {
        let key = RsaPublicKey::from_pkcs1_pem(TELEGRAM_OLD_KEY).unwrap();
        assert_eq!(key.fingerprint() as u64, 0xc3b4_2b02_6ce8_6b21);
        assert_eq!(key.exponent(), [1, 0, 1]);
        assert_eq!(key.modulus().len(), 256);
        // Re-encoding gives back the published PEM byte for byte.
        assert_eq!(key.to_pkcs1_pem(), TELEGRAM_OLD_KEY);
        assert!(format!("{key:?}").contains("0xc3b42b026ce86b21"));
    }

    #[test]
    fn tl_bytes_serialisation() {
        let mut out = Vec::new();
        tl_bytes(&mut out, &[1, 2, 3]);
        assert_eq!(out, [3, 1, 2, 3]);
        out.clear();
        tl_bytes(&mut out, &[9; 4]);
        assert_eq!(out, [4, 9, 9, 9, 9, 0, 0, 0]);
        out.clear();
        tl_bytes(&mut out, &[7; 256]);
        assert_eq!(out[..4], [254, 0, 1, 0]);
        assert_eq!(out.len(), 260);
        out.clear();
        tl_bytes(&mut out, &[7; 254]);
        assert_eq!(out.len(), 260); // 4 + 254 + 2 padding
    }

    /// gotd/td `crypto/rsa_pad_test.go` (TestRSAPad): a fixed 2048-bit key,
    /// an all-zero RNG and 144 bytes of 'a' give this exact ciphertext.
    #[test]
    fn rsa_pad_cross_implementation_vector() {
        let key = RsaPublicKey::from_pkcs1_pem(
            "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEA6LszBcC1LGzyr992NzE0ieY+BSaOW622Aa9Bd4ZHLl+TuFQ4lo4g
5nKaMBwK/BIb9xUfg0Q29/2mgIR6Zr9krM7HjuIcCzFvDtr+L0GQjae9H0pRB2OO
62cECs5HKhT5DZ98K33vmWiLowc621dQuwKWSQKjWf50XYFw42h21P2KXUGyp2y/
+aEyZ+uVgLLQbRA1dEjSDZ2iGRy12Mk5gpYc397aYp438fsJoHIgJ2lgMv5h7WY9
t6N/byY9Nw9p21Og3AoXSL2q/2IJ1WRUhebgAdGVMlV1fkuOQoEzR7EdpqtQD9Cs
5+bfo3Nhmcyvk5ftB0WkJ9z6bNZ7yxrP8wIDAQAB
-----END RSA PUBLIC KEY-----",
        )
        .unwrap();
        let encrypted = key.encrypt_rsa_pad(&[b'a'; 144], &mut ZeroRng).unwrap();
        assert_eq!(
            hex::encode(encrypted),
            concat!(
                "bf68719e836806b040cd261ecaf66eb3c4ba19f3bbea3031b2e6cf29167bab647201d101b291dc",
                "5b716a42e789a38d947fe59e9bcce8f30ef46a946743ea8b6babbce7fc0afc46b802aa453e83471d82a4dfad83f971f35",
                "0b4b4fb474cd1c48fdf427e4b5fecce9ec3178ae7dac3985856fdefa21d6fdc5e0e0fd8a57bc4f51580d637d372be8d87",
                "c9aa3fde8e6f8287bcb3be846aadcdd59465375479e248f62ed438f9804fbe36d41ca906243a5f740f3937949aa149ba8",
                "a8b8e68b3f3e1e3cd3f946387520e21eee55845e1f015a919a22f6a72bfaecd2cae946c91983b41f9ffabe97963bbde8f",
                "30eaf5fd3c5b8cecab8711bd269e441b6084f385726ff0"
            )
        );
    }

    #[test]
    fn private_key_pem_round_trip() {
        let key = test_key();
        assert_eq!(key.to_pkcs1_pem().as_str(), TEST_KEY);
        let public = RsaPublicKey::from_pkcs1_pem(&key.public_key().to_pkcs1_pem()).unwrap();
        assert_eq!(&public, key.public_key());
        assert!(!format!("{key:?}").contains(&hex::encode(&key.secret.d[..4])));
    }

    #[test]
    fn old_padding_round_trip() {
        let key = test_key();
        let mut rng = StdRng::seed_from_u64(1);
        for len in [0, 1, 96, 200, OLD_PADDING_MAX_DATA] {
            let data: Vec<u8> = (0..len).map(|i| i as u8 ^ 0x5c).collect();
            let c = key
                .public_key()
                .encrypt_old_padding(&data, &mut rng)
                .unwrap();
            assert_eq!(key.decrypt_old_padding(&c).unwrap().as_slice(), &data[..]);
        }
        assert_eq!(
            key.public_key().encrypt_old_padding(&[0; 236], &mut rng),
            Err(Error::RsaDataTooLong { len: 236, max: 235 })
        );
    }

    #[test]
    fn rsa_pad_round_trip_and_tampering() {
        let key = test_key();
        let mut rng = StdRng::seed_from_u64(2);
        for len in [0, 1, 96, RSA_PAD_MAX_DATA] {
            let data: Vec<u8> = (0..len).map(|i| (i * 3) as u8).collect();
            let c = key.public_key().encrypt_rsa_pad(&data, &mut rng).unwrap();
            let plain = key.decrypt_rsa_pad(&c).unwrap();
            assert_eq!(&plain[..len], &data[..]);
        }
        assert!(matches!(
            key.public_key().encrypt_rsa_pad(&[0; 145], &mut rng),
            Err(Error::RsaDataTooLong { len: 145, max: 144 })
        ));

        // Flipping a ciphertext bit garbles the whole block: the hash fails.
        let mut c = key
            .public_key()
            .encrypt_rsa_pad(b"hello", &mut rng)
            .unwrap();
        c[100] ^= 1;
        assert_eq!(
            key.decrypt_rsa_pad(&c).unwrap_err(),
            Error::RsaPaddingHashMismatch
        );
        assert_eq!(
            key.decrypt_old_padding(&c).unwrap_err(),
            Error::RsaPaddingHashMismatch
        );
        // Out-of-range and wrong-length ciphertexts.
        assert_eq!(
            key.decrypt_rsa_pad(&[0xff; 256]).unwrap_err(),
            Error::RsaCiphertextOutOfRange
        );
        assert_eq!(
            key.decrypt_rsa_pad(&[1; 255]).unwrap_err(),
            Error::RsaCiphertextOutOfRange
        );
    }

    #[test]
    fn raw_rsa_is_invertible() {
        let key = test_key();
        let mut m = [0u8; KEY_BYTES];
        m[1..]
            .iter_mut()
            .enumerate()
            .for_each(|(i, b)| *b = i as u8);
        let c = key.public_key().encrypt_raw(&m).unwrap();
        assert_eq!(*key.decrypt_raw(&c).unwrap(), m);
        assert_eq!(
            key.public_key().encrypt_raw(&[0xff; KEY_BYTES]),
            Err(Error::RsaCiphertextOutOfRange)
        );
    }

    #[test]
    fn generate_small_key_and_reject_bad_sizes() {
        let mut rng = StdRng::seed_from_u64(3);
        let key = RsaPrivateKey::generate(512, &mut rng).unwrap();
        assert_eq!(key.public_key().parts.n.bits(), 512);
        let reparsed = RsaPrivateKey::from_pkcs1_der(&key.to_pkcs1_der()).unwrap();
        assert_eq!(reparsed.public_key(), key.public_key());
        // Paddings insist on 2048-bit keys.
        assert_eq!(
            key.public_key().encrypt_rsa_pad(b"x", &mut rng),
            Err(Error::RsaKeySize { bits: 512 })
        );
        for bits in [0, 256, 511, 9000] {
            assert!(RsaPrivateKey::generate(bits, &mut rng).is_err());
        }
    }

    #[test]
    fn rejects_malformed_keys() {
        assert!(RsaPublicKey::from_pkcs1_pem("nothing").is_err());
        assert!(RsaPublicKey::from_pkcs1_der(&[0x30, 0x00]).is_err());
        // Even modulus.
        let mut der = Vec::new();
        der::write_unsigned_integer(&mut der, &[0x10; 8]);
        der::write_unsigned_integer(&mut der, &[1, 0, 1]);
        assert!(RsaPublicKey::from_pkcs1_der(&der::write_sequence(&der)).is_err());
        // Trailing garbage after the sequence.
        let mut good = RsaPublicKey::from_pkcs1_pem(TELEGRAM_OLD_KEY)
            .unwrap()
            .to_pkcs1_der();
        good.push(0);
        assert!(RsaPublicKey::from_pkcs1_der(&good).is_err());
        // A private key whose primes do not match the modulus.
        let mut der = test_key().to_pkcs1_der().to_vec();
        let last = der.len() - 1;
        der[last] ^= 1; // qInv is recomputed, so damage the middle instead too
        let mid = der.len() / 2;
        der[mid] ^= 1;
        assert!(RsaPrivateKey::from_pkcs1_der(&der).is_err());
    }

    proptest::proptest! {
        /// Arbitrary bytes as DER keys, PEM bodies and ciphertexts: errors, never panics.
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
            let _ = RsaPublicKey::from_pkcs1_der(&bytes);
            let _ = RsaPrivateKey::from_pkcs1_der(&bytes);
            let text = String::from_utf8_lossy(&bytes);
            let _ = RsaPublicKey::from_pkcs1_pem(&format!("-----BEGIN RSA PUBLIC KEY-----\n{text}\n-----END RSA PUBLIC KEY-----"));
            let key = test_key();
            proptest::prop_assert!(key.decrypt_rsa_pad(&bytes).is_err());
            let _ = key.decrypt_old_padding(&bytes);
        }

        /// Every DER key with a damaged length or tag byte is rejected or
        /// re-encodes to itself: there is exactly one encoding per key.
        #[test]
        fn der_is_canonical(pos in 0usize..270, delta in 1u8..=255) {
            let mut der = RsaPublicKey::from_pkcs1_pem(TELEGRAM_OLD_KEY).unwrap().to_pkcs1_der();
            let i = pos % der.len();
            der[i] = der[i].wrapping_add(delta);
            if let Ok(key) = RsaPublicKey::from_pkcs1_der(&der) {
                proptest::prop_assert_eq!(key.to_pkcs1_der(), der);
            }
        }
    }
}
