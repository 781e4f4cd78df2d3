//! The fake-TLS handshake of `ee` MTProxy secrets, both sides, without I/O.
//!
//! ```text
//! client                                              proxy
//!   ClientHello (record 16 03 01, 512-byte body) ---->
//!     random = HMAC-SHA256(key, hello with random zeroed),
//!              last 4 bytes XOR unix time (LE)         checks digest, clock window, SNI
//!                                              <----  ServerHello record (16 03 03)
//!                                                     change_cipher_spec (14 03 03 00 01 01)
//!                                                     application data (17 03 03, random bytes)
//!     checks server random = HMAC-SHA256(key, client random ‖ those three records with
//!     the server random zeroed)
//!   change_cipher_spec, then application-data records carrying obfuscated2 both ways
//! ```
//!
//! Nothing is encrypted by TLS: the records only dress the obfuscated2 stream. The ClientHello
//! body is padded to exactly 512 bytes because a proxy tells fake TLS from obfuscated2 by the
//! first four bytes `16 03 01 02`, which obfuscated2 headers are forbidden to start with.

use hmac::{Hmac, Mac};
use rand::{CryptoRng, Rng, RngCore};
use sha2::Sha256;

use super::records::{self, Record, APPLICATION_DATA, CHANGE_CIPHER_SPEC, HANDSHAKE};
use crate::error::MtProxyError;

type HmacSha256 = Hmac<Sha256>;

/// Where `random` sits in a hello record: 5 bytes of record header, 4 of handshake header,
/// 2 of legacy version.
const RANDOM_AT: usize = 11;
const RANDOM_LEN: usize = 32;
const RANDOM_END: usize = RANDOM_AT + RANDOM_LEN;

/// The ClientHello record body length (so the record starts `16 03 01 02 00`).
const CLIENT_HELLO_BODY: usize = 512;

/// The largest ClientHello record accepted. Browsers stay below 2 KiB; this leaves room for
/// post-quantum key shares without letting a probe make us buffer much.
const MAX_CLIENT_HELLO: usize = 4096;

/// Bytes of random "certificate" the proxy sends after its ServerHello.
const FAKE_CERT_LEN: std::ops::RangeInclusive<usize> = 1024..=4096;

/// TLS extension types used in the hellos.
mod ext {
    pub(super) const SERVER_NAME: u16 = 0x0000;
    pub(super) const SUPPORTED_GROUPS: u16 = 0x000a;
    pub(super) const EC_POINT_FORMATS: u16 = 0x000b;
    pub(super) const SIGNATURE_ALGORITHMS: u16 = 0x000d;
    pub(super) const ALPN: u16 = 0x0010;
    pub(super) const PADDING: u16 = 0x0015;
    pub(super) const EXTENDED_MASTER_SECRET: u16 = 0x0017;
    pub(super) const SUPPORTED_VERSIONS: u16 = 0x002b;
    pub(super) const PSK_KEY_EXCHANGE_MODES: u16 = 0x002d;
    pub(super) const KEY_SHARE: u16 = 0x0033;
    pub(super) const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// TLS 1.3 and 1.2 AEAD suites a current browser offers.
const CIPHER_SUITES: [u16; 9] = [
    0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
];
/// x25519, secp256r1, secp384r1.
const GROUPS: [u16; 3] = [0x001d, 0x0017, 0x0018];
/// ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256, rsa_pkcs1_sha256, ecdsa_secp384r1_sha384,
/// rsa_pss_rsae_sha384, rsa_pkcs1_sha384, rsa_pss_rsae_sha512, rsa_pkcs1_sha512.
const SIGNATURE_ALGORITHMS: [u16; 8] = [
    0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
];
const X25519: u16 = 0x001d;
const TLS13: u16 = 0x0304;
const TLS12: u16 = 0x0303;

/// Progress of reading the peer's hello.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HelloProgress<T> {
    /// At least this many more bytes are needed.
    NeedMore(usize),
    /// The hello is complete and valid.
    Done {
        /// Bytes of input the hello occupied.
        consumed: usize,
        /// What the step produced.
        value: T,
    },
}

/// The client after sending its ClientHello, waiting for the proxy's answer.
#[derive(Debug, Clone)]
pub struct FakeTlsClient {
    key: [u8; 16],
    client_random: [u8; RANDOM_LEN],
}

impl FakeTlsClient {
    /// Builds a ClientHello for `domain` stamped with `now_unix`, appends it to `out`, and
    /// returns the state that checks the answer.
    ///
    /// `domain` longer than 253 bytes is cut to fit (`MtProxySecret` never holds one).
    pub fn start(
        key: &[u8; 16],
        domain: &str,
        now_unix: u32,
        rng: &mut (impl RngCore + CryptoRng),
        out: &mut Vec<u8>,
    ) -> Self {
        let start = out.len();
        write_client_hello(domain.as_bytes(), rng, out);
        let hello = &mut out[start..];
        let mut mac = hmac(key);
        mac.update(hello);
        let mut random: [u8; RANDOM_LEN] = mac.finalize().into_bytes().into();
        for (r, t) in random[28..].iter_mut().zip(now_unix.to_le_bytes()) {
            *r ^= t;
        }
        hello[RANDOM_AT..RANDOM_END].copy_from_slice(&random);
        FakeTlsClient {
            key: *key,
            client_random: random,
        }
    }

    /// Checks the proxy's ServerHello, change_cipher_spec and first application-data record.
    ///
    /// # Errors
    ///
    /// [`MtProxyError::BadServerHello`] or a record error when the answer is not shaped like
    /// one, [`MtProxyError::ServerDigestMismatch`] when it does not prove knowledge of the key.
    pub fn read_server_hello(&self, input: &[u8]) -> Result<HelloProgress<()>, MtProxyError> {
        let mut at = 0;
        for (want, max) in [
            (HANDSHAKE, records::MAX_READ),
            (CHANGE_CIPHER_SPEC, 1),
            (APPLICATION_DATA, records::MAX_READ),
        ] {
            match records::decode(&input[at..], [3, 3], max)? {
                Record::NeedMore(n) => return Ok(HelloProgress::NeedMore(n)),
                Record::Complete {
                    content_type,
                    body,
                    consumed,
                } => {
                    if content_type != want {
                        return Err(MtProxyError::UnexpectedRecord { content_type });
                    }
                    let body = &input[at + body.start..at + body.end];
                    if want == HANDSHAKE && (body.len() < RANDOM_END || body[0] != 0x02) {
                        return Err(MtProxyError::BadServerHello("not a ServerHello"));
                    }
                    if want == CHANGE_CIPHER_SPEC && body != [1] {
                        return Err(MtProxyError::BadServerHello("bad change_cipher_spec"));
                    }
                    at += consumed;
                }
            }
        }
        let answer = &input[..at];
        let mut mac = hmac(&self.key);
        mac.update(&self.client_random);
        update_with_zeroed_random(&mut mac, answer);
        let expected: [u8; RANDOM_LEN] = mac.finalize().into_bytes().into();
        if !constant_time_eq(&expected, &answer[RANDOM_AT..RANDOM_END]) {
            return Err(MtProxyError::ServerDigestMismatch);
        }
        Ok(HelloProgress::Done {
            consumed: at,
            value: (),
        })
    }
}

/// What the proxy learned from a valid ClientHello.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedHello {
    /// The answer to send: ServerHello, change_cipher_spec and a fake certificate record.
    pub response: Vec<u8>,
    /// The client's clock minus the proxy's, in seconds.
    pub skew_secs: i64,
}

/// Proxy side: validates a ClientHello against the secret's `key` and `domain`, and builds the
/// answer. `now_unix` is the proxy's clock; hellos stamped more than `max_skew_secs` away are
/// refused (the window a replay of a captured hello would have to hit).
///
/// Replayed hellos within the window are not detected here; a proxy wanting that keeps a set of
/// recently seen client randoms.
///
/// # Errors
///
/// [`MtProxyError::BadClientHello`], [`MtProxyError::ClientDigestMismatch`] (another secret, or
/// not a fake-TLS client at all), [`MtProxyError::ClockSkew`], [`MtProxyError::DomainMismatch`].
pub fn accept_client_hello(
    input: &[u8],
    key: &[u8; 16],
    domain: &str,
    now_unix: u32,
    max_skew_secs: u32,
    rng: &mut (impl RngCore + CryptoRng),
) -> Result<HelloProgress<AcceptedHello>, MtProxyError> {
    let (body, consumed) = match records::decode(input, [3, 1], MAX_CLIENT_HELLO)? {
        Record::NeedMore(n) => return Ok(HelloProgress::NeedMore(n)),
        Record::Complete {
            content_type: HANDSHAKE,
            body,
            consumed,
        } => (body, consumed),
        Record::Complete { content_type, .. } => {
            return Err(MtProxyError::UnexpectedRecord { content_type })
        }
    };
    let hello = &input[..consumed];
    let parsed = parse_client_hello(&input[body])?;

    let mut mac = hmac(key);
    update_with_zeroed_random(&mut mac, hello);
    let digest: [u8; RANDOM_LEN] = mac.finalize().into_bytes().into();
    let random = &hello[RANDOM_AT..RANDOM_END];
    if !constant_time_eq(&digest[..28], &random[..28]) {
        return Err(MtProxyError::ClientDigestMismatch);
    }
    let mut stamp = [0u8; 4];
    for (i, s) in stamp.iter_mut().enumerate() {
        *s = digest[28 + i] ^ random[28 + i];
    }
    let skew_secs = i64::from(u32::from_le_bytes(stamp)) - i64::from(now_unix);
    if skew_secs.unsigned_abs() > u64::from(max_skew_secs) {
        return Err(MtProxyError::ClockSkew { skew_secs });
    }
    if parsed.server_name != Some(domain.as_bytes()) {
        return Err(MtProxyError::DomainMismatch);
    }

    let mut response = Vec::with_capacity(128 + FAKE_CERT_LEN.end());
    write_server_hello(parsed.session_id, rng, &mut response);
    let mut client_random = [0u8; RANDOM_LEN];
    client_random.copy_from_slice(random);
    let mut mac = hmac(key);
    mac.update(&client_random);
    mac.update(&response);
    let server_random: [u8; RANDOM_LEN] = mac.finalize().into_bytes().into();
    response[RANDOM_AT..RANDOM_END].copy_from_slice(&server_random);
    Ok(HelloProgress::Done {
        consumed,
        value: AcceptedHello {
            response,
            skew_secs,
        },
    })
}

fn hmac(key: &[u8; 16]) -> HmacSha256 {
    // HMAC zero-pads keys shorter than the hash's 64-byte block (RFC 2104 §2), so padding it
    // here gives the same MAC through the infallible fixed-size constructor.
    let mut block = [0u8; 64];
    block[..16].copy_from_slice(key);
    <HmacSha256 as Mac>::new(&block.into())
}

/// Feeds a hello record to the MAC as if its random were all zeros.
fn update_with_zeroed_random(mac: &mut HmacSha256, record: &[u8]) {
    mac.update(&record[..RANDOM_AT]);
    mac.update(&[0u8; RANDOM_LEN]);
    mac.update(&record[RANDOM_END..]);
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Appends a ClientHello record with a zero random, padded to a 512-byte body.
fn write_client_hello(domain: &[u8], rng: &mut impl RngCore, out: &mut Vec<u8>) {
    let domain = &domain[..domain.len().min(253)];
    let start = out.len();
    let mut w = Writer(out);
    w.bytes(&[HANDSHAKE, 0x03, 0x01]);
    let record_len = w.hole16();
    w.u8(0x01);
    let hs_len = w.hole24();
    w.u16(TLS12);
    w.bytes(&[0; RANDOM_LEN]);
    w.u8(32);
    w.random(rng, 32);
    w.list16(|w| CIPHER_SUITES.iter().for_each(|&s| w.u16(s)));
    w.bytes(&[1, 0]);
    let extensions = w.hole16();
    w.extension(ext::SERVER_NAME, |w| {
        w.list16(|w| {
            w.u8(0);
            w.list16(|w| w.bytes(domain));
        })
    });
    w.extension(ext::EXTENDED_MASTER_SECRET, |_| {});
    w.extension(ext::RENEGOTIATION_INFO, |w| w.u8(0));
    w.extension(ext::SUPPORTED_GROUPS, |w| {
        w.list16(|w| GROUPS.iter().for_each(|&g| w.u16(g)))
    });
    w.extension(ext::EC_POINT_FORMATS, |w| w.bytes(&[1, 0]));
    w.extension(ext::ALPN, |w| {
        w.list16(|w| {
            w.u8(2);
            w.bytes(b"h2");
            w.u8(8);
            w.bytes(b"http/1.1");
        })
    });
    w.extension(ext::SIGNATURE_ALGORITHMS, |w| {
        w.list16(|w| SIGNATURE_ALGORITHMS.iter().for_each(|&a| w.u16(a)))
    });
    w.extension(ext::KEY_SHARE, |w| {
        w.list16(|w| {
            w.u16(X25519);
            w.u16(32);
            // Any 32 bytes are a valid x25519 public value (RFC 7748 §5 masks the top bit).
            w.random(rng, 32);
        })
    });
    w.extension(ext::PSK_KEY_EXCHANGE_MODES, |w| w.bytes(&[1, 1]));
    w.extension(ext::SUPPORTED_VERSIONS, |w| {
        w.u8(4);
        w.u16(TLS13);
        w.u16(TLS12);
    });
    // 253-byte domains leave 27 bytes of padding, so this never underflows.
    let used = w.0.len() - start - records::HEADER_LEN;
    let pad = CLIENT_HELLO_BODY.saturating_sub(used + 4);
    w.extension(ext::PADDING, |w| w.0.resize(w.0.len() + pad, 0));
    w.fill16(extensions);
    w.fill24(hs_len);
    w.fill16(record_len);
}

/// Appends ServerHello (random zeroed), change_cipher_spec and a fake certificate record.
fn write_server_hello(session_id: &[u8], rng: &mut impl RngCore, out: &mut Vec<u8>) {
    let mut w = Writer(out);
    w.bytes(&[HANDSHAKE, 0x03, 0x03]);
    let record_len = w.hole16();
    w.u8(0x02);
    let hs_len = w.hole24();
    w.u16(TLS12);
    w.bytes(&[0; RANDOM_LEN]);
    w.u8(session_id.len() as u8);
    w.bytes(session_id);
    w.u16(0x1301);
    w.u8(0);
    let extensions = w.hole16();
    w.extension(ext::KEY_SHARE, |w| {
        w.u16(X25519);
        w.u16(32);
        w.random(rng, 32);
    });
    w.extension(ext::SUPPORTED_VERSIONS, |w| w.u16(TLS13));
    w.fill16(extensions);
    w.fill24(hs_len);
    w.fill16(record_len);
    w.bytes(&records::CCS_RECORD);
    let cert_len = rng.gen_range(FAKE_CERT_LEN);
    w.bytes(&[APPLICATION_DATA, 0x03, 0x03]);
    w.u16(cert_len as u16);
    w.random(rng, cert_len);
}

/// The fields of a ClientHello the proxy needs.
struct ParsedClientHello<'a> {
    session_id: &'a [u8],
    server_name: Option<&'a [u8]>,
}

/// Walks a ClientHello handshake message with bounds checks at every step.
fn parse_client_hello(body: &[u8]) -> Result<ParsedClientHello<'_>, MtProxyError> {
    let bad = MtProxyError::BadClientHello;
    let mut r = Reader(body);
    if r.u8().ok_or(bad("truncated"))? != 0x01 {
        return Err(bad("not a ClientHello"));
    }
    let len = r.u24().ok_or(bad("truncated"))?;
    if len != r.0.len() {
        return Err(bad("handshake length disagrees with the record"));
    }
    r.take(2 + RANDOM_LEN).ok_or(bad("truncated"))?;
    let session_id = r.vec8().ok_or(bad("bad session id"))?;
    if session_id.len() != 32 {
        return Err(bad("session id is not 32 bytes"));
    }
    r.vec16().ok_or(bad("bad cipher suites"))?;
    r.vec8().ok_or(bad("bad compression methods"))?;
    let mut exts = Reader(r.vec16().ok_or(bad("bad extensions"))?);
    let mut server_name = None;
    while !exts.0.is_empty() {
        let kind = exts.u16().ok_or(bad("bad extension"))?;
        let data = exts.vec16().ok_or(bad("bad extension"))?;
        if kind == ext::SERVER_NAME {
            let mut list = Reader(data);
            let mut names = Reader(list.vec16().ok_or(bad("bad server_name"))?);
            if names.u8() != Some(0) {
                return Err(bad("server_name is not a host name"));
            }
            server_name = Some(names.vec16().ok_or(bad("bad server_name"))?);
        }
    }
    Ok(ParsedClientHello {
        session_id,
        server_name,
    })
}

/// Appends TLS-style big-endian fields, with length holes patched afterwards.
struct Writer<'a>(&'a mut Vec<u8>);

impl Writer<'_> {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_be_bytes());
    }
    fn bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
    fn random(&mut self, rng: &mut impl RngCore, n: usize) {
        let at = self.0.len();
        self.0.resize(at + n, 0);
        rng.fill_bytes(&mut self.0[at..]);
    }
    fn hole16(&mut self) -> usize {
        self.u16(0);
        self.0.len()
    }
    fn hole24(&mut self) -> usize {
        self.bytes(&[0; 3]);
        self.0.len()
    }
    /// Writes the length of everything after the hole ending at `end` (hellos are < 64 KiB).
    fn fill16(&mut self, end: usize) {
        let len = (self.0.len() - end) as u16;
        self.0[end - 2..end].copy_from_slice(&len.to_be_bytes());
    }
    fn fill24(&mut self, end: usize) {
        let len = (self.0.len() - end) as u32;
        self.0[end - 3..end].copy_from_slice(&len.to_be_bytes()[1..]);
    }
    fn list16(&mut self, f: impl FnOnce(&mut Self)) {
        let hole = self.hole16();
        f(self);
        self.fill16(hole);
    }
    fn extension(&mut self, kind: u16, f: impl FnOnce(&mut Self)) {
        self.u16(kind);
        self.list16(f);
    }
}

/// Reads TLS-style big-endian fields, `None` on truncation.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        let b = self.take(2)?;
        Some(u16::from_be_bytes([b[0], b[1]]))
    }
    fn u24(&mut self) -> Option<usize> {
        let b = self.take(3)?;
        Some(usize::from(b[0]) << 16 | usize::from(b[1]) << 8 | usize::from(b[2]))
    }
    fn vec8(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    fn vec16(&mut self) -> Option<&'a [u8]> {
        let n = self.u16()?;
        self.take(usize::from(n))
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    const KEY: [u8; 16] = *b"0123456789abcdef";
    const NOW: u32 = 1_700_000_000;

    fn hello(domain: &str, now: u32) -> (FakeTlsClient, Vec<u8>) {
        let mut out = Vec::new();
        let client =
            FakeTlsClient::start(&KEY, domain, now, &mut StdRng::seed_from_u64(1), &mut out);
        (client, out)
    }

    fn accept(input: &[u8], key: &[u8; 16], domain: &str) -> Result<AcceptedHello, MtProxyError> {
        match accept_client_hello(input, key, domain, NOW, 120, &mut StdRng::seed_from_u64(2))? {
            HelloProgress::Done { consumed, value } => {
                assert_eq!(consumed, input.len());
                Ok(value)
            }
            HelloProgress::NeedMore(n) => panic!("needs {n} more"),
        }
    }

    #[test]
    fn client_hello_has_the_detectable_shape() {
        for domain in ["a.io", "example.com", &"x".repeat(253)] {
            let (_, h) = hello(domain, NOW);
            assert_eq!(h.len(), 5 + 512, "{domain}");
            assert_eq!(&h[..5], &[0x16, 0x03, 0x01, 0x02, 0x00]);
            let parsed = parse_client_hello(&h[5..]).unwrap();
            assert_eq!(parsed.server_name, Some(domain.as_bytes()));
            assert_eq!(parsed.session_id.len(), 32);
        }
    }

    #[test]
    fn client_random_is_the_digest_with_the_time_mixed_in() {
        let (_, h) = hello("example.com", NOW);
        let mut zeroed = h.clone();
        zeroed[RANDOM_AT..RANDOM_END].fill(0);
        let mut mac = hmac(&KEY);
        mac.update(&zeroed);
        let digest = mac.finalize().into_bytes();
        assert_eq!(&h[RANDOM_AT..RANDOM_AT + 28], &digest[..28]);
        let mut stamp = [0u8; 4];
        for i in 0..4 {
            stamp[i] = digest[28 + i] ^ h[RANDOM_AT + 28 + i];
        }
        assert_eq!(u32::from_le_bytes(stamp), NOW);
    }

    #[test]
    fn handshake_completes_and_each_side_checks_the_other() {
        let (client, h) = hello("example.com", NOW + 5);
        let accepted = accept(&h, &KEY, "example.com").unwrap();
        assert_eq!(accepted.skew_secs, 5);
        let resp = accepted.response;
        // Partial input asks for more; the whole answer passes.
        for cut in [0, 3, 10, resp.len() - 1] {
            assert!(matches!(
                client.read_server_hello(&resp[..cut]).unwrap(),
                HelloProgress::NeedMore(_)
            ));
        }
        let mut with_data = resp.clone();
        with_data.extend_from_slice(&[0x17, 3, 3, 0, 1, 0xaa]);
        assert_eq!(
            client.read_server_hello(&with_data).unwrap(),
            HelloProgress::Done {
                consumed: resp.len(),
                value: ()
            }
        );
        // The session id is echoed.
        assert_eq!(&resp[44..76], &h[44..76]);
        // A forged answer (any bit of the certificate flipped) is refused.
        let mut forged = resp.clone();
        let last = forged.len() - 1;
        forged[last] ^= 1;
        assert_eq!(
            client.read_server_hello(&forged),
            Err(MtProxyError::ServerDigestMismatch)
        );
    }

    #[test]
    fn proxy_refuses_wrong_key_domain_and_time() {
        let (_, h) = hello("example.com", NOW);
        assert_eq!(
            accept(&h, b"fedcba9876543210", "example.com"),
            Err(MtProxyError::ClientDigestMismatch)
        );
        assert_eq!(
            accept(&h, &KEY, "example.org"),
            Err(MtProxyError::DomainMismatch)
        );
        let (_, old) = hello("example.com", NOW - 121);
        assert_eq!(
            accept(&old, &KEY, "example.com"),
            Err(MtProxyError::ClockSkew { skew_secs: -121 })
        );
        let mut tampered = h.clone();
        tampered[100] ^= 0x40;
        assert!(accept(&tampered, &KEY, "example.com").is_err());
    }

    #[test]
    fn truncated_and_malformed_hellos_are_errors() {
        let (_, h) = hello("example.com", NOW);
        let mut rng = StdRng::seed_from_u64(3);
        for cut in 0..h.len() {
            let r = accept_client_hello(&h[..cut], &KEY, "example.com", NOW, 120, &mut rng);
            assert!(matches!(r, Ok(HelloProgress::NeedMore(_))), "{cut}");
        }
        // A record whose inner lengths lie.
        let mut lying = h.clone();
        lying[8] = 0xff;
        assert!(matches!(
            accept_client_hello(&lying, &KEY, "example.com", NOW, 120, &mut rng),
            Err(MtProxyError::BadClientHello(_))
        ));
        // A huge record is refused from its header.
        assert!(matches!(
            accept_client_hello(&[0x16, 3, 1, 0xff, 0xff], &KEY, "x", NOW, 120, &mut rng),
            Err(MtProxyError::RecordTooLarge { .. })
        ));
    }
}
