//! Obfuscated2: AES-256-CTR over one of the marker-less framings, keyed by a random 64-byte
//! header, so that no byte on the wire is predictable to a middlebox.
//!
//! Header layout (64 bytes, sent by the client before anything else):
//!
//! ```text
//!  0        8                       40              56     60   62  64
//!  | random | key (32)              | iv (16)       | tag  | dc | rnd |
//!                                                   '-- sent encrypted --'
//! ```
//!
//! Client→server traffic uses `key`/`iv` as written; server→client uses the same 48 bytes
//! `[8..56]` reversed (first 32 as key, last 16 as iv). With an MTProxy secret each key becomes
//! `SHA256(key ‖ secret)`. The client encrypts the whole header with its stream, keeps the
//! ciphertext of the last 8 bytes (tag, DC id, random) and continues the same stream for its
//! packets; the server decrypts the header to read the tag and DC id.
//!
//! The random part must not look like another transport's first bytes, so that a server can tell
//! obfuscated2 apart: its first byte is not `0xef`, its first four bytes are not an HTTP verb,
//! `0xeeeeeeee`, `0xdddddddd` or a TLS record start, and bytes 4..8 are not zero (full transport).

use std::fmt;

use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha256};
use tgwire_crypto::aes256_ctr_apply;
use zeroize::Zeroize;

use super::{
    put_header, Abridged, Decoded, Framing, Intermediate, PaddedIntermediate, Role, Transport,
    TransportError,
};

/// Which way bytes travel.
#[derive(Clone, Copy)]
enum Direction {
    ClientToServer = 0,
    ServerToClient = 1,
}

/// Both directions' keystreams: the header bytes they are keyed by and the position each
/// reached.
///
/// The keystream is AES-256-CTR with a 128-bit big-endian counter (as OpenSSL and Telegram use
/// it), computed by [`aes256_ctr_apply`] from the key, iv and byte position, which expands the
/// key schedule on the stack for each call and wipes it: no round keys are kept. Kept, they
/// would be the largest part of an idle connection (the `aes` crate's cipher states that the
/// transport once kept were 2,240 of its bytes). Expanding an AES-256 key is ~15 AES-NI
/// instructions, once per packet sent or socket read, next to the system call that moves the
/// bytes. The two directions' keys and
/// ivs are the same 48 header bytes read forwards and backwards, so those are kept once (48
/// bytes rather than 96 in every connection).
struct Ciphers {
    /// Header bytes `8..56`: the client→server key and iv; reversed, the server→client ones.
    material: [u8; 48],
    /// With an MTProxy secret, the keys mixed with it (client→server, server→client). Boxed:
    /// only connections through an MTProxy have them.
    mixed: Option<Box<[[u8; 32]; 2]>>,
    /// Bytes of keystream used so far, by [`Direction`].
    used: [u64; 2],
}

impl Ciphers {
    fn new(header: &[u8; HEADER_LEN], secret: Option<&[u8; 16]>) -> Self {
        let mut material = [0u8; 48];
        material.copy_from_slice(&header[8..56]);
        let mixed = secret.map(|secret| {
            let mut keys = Box::new([[0u8; 32]; 2]);
            for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                let (mut key, mut iv) = key_iv(&material, dir);
                keys[dir as usize] = Sha256::new()
                    .chain_update(key)
                    .chain_update(secret)
                    .finalize()
                    .into();
                key.zeroize();
                iv.zeroize();
            }
            keys
        });
        Self {
            material,
            mixed,
            used: [0; 2],
        }
    }

    /// XORs `data` with the next `data.len()` bytes of `dir`'s keystream.
    fn apply(&mut self, dir: Direction, data: &mut [u8]) {
        if data.is_empty() {
            return;
        }
        let (mut key, mut iv) = key_iv(&self.material, dir);
        if let Some(mixed) = &self.mixed {
            key = mixed[dir as usize];
        }
        aes256_ctr_apply(&key, &iv, self.used[dir as usize], data);
        key.zeroize();
        iv.zeroize();
        self.used[dir as usize] += data.len() as u64;
    }
}

/// `dir`'s key and iv (before any secret is mixed in): the first 32 and last 16 of the header's
/// 48 bytes, reversed for server→client.
fn key_iv(material: &[u8; 48], dir: Direction) -> ([u8; 32], [u8; 16]) {
    let mut bytes = *material;
    if let Direction::ServerToClient = dir {
        bytes.reverse();
    }
    let mut key = [0u8; 32];
    key.copy_from_slice(&bytes[..32]);
    let mut iv = [0u8; 16];
    iv.copy_from_slice(&bytes[32..]);
    bytes.zeroize();
    (key, iv)
}

impl Drop for Ciphers {
    fn drop(&mut self) {
        self.material.zeroize();
        if let Some(mixed) = &mut self.mixed {
            mixed.zeroize();
        }
    }
}

/// Length of the obfuscated2 header.
pub const HEADER_LEN: usize = 64;

/// First four bytes an obfuscated2 header must never start with (read little endian):
/// "HEAD", "POST", "GET ", "OPTI", the intermediate and padded markers, and a TLS handshake
/// record `16 03 01 02`.
const FORBIDDEN_FIRST_INTS: [u32; 7] = [
    0x4441_4548,
    0x5453_4f50,
    0x2054_4547,
    0x4954_504f,
    0xeeee_eeee,
    0xdddd_dddd,
    0x0201_0316,
];

/// The framing inside the encrypted stream.
#[derive(Debug, Clone)]
enum Inner {
    Abridged(Abridged),
    Intermediate(Intermediate),
    /// Boxed: its generator would be 32 bytes more in every obfuscated connection, and most
    /// use the plain framings.
    Padded(Box<PaddedIntermediate>),
}

impl Inner {
    fn new(framing: Framing, role: Role, rng: &mut impl RngCore) -> Self {
        match framing {
            Framing::Abridged => Inner::Abridged(Abridged::unmarked(role)),
            Framing::Intermediate => Inner::Intermediate(Intermediate::unmarked(role)),
            Framing::PaddedIntermediate => {
                Inner::Padded(Box::new(PaddedIntermediate::unmarked(role, rng)))
            }
        }
    }

    fn headroom(&self) -> usize {
        match self {
            Inner::Abridged(t) => t.headroom(),
            Inner::Intermediate(t) => t.headroom(),
            Inner::Padded(t) => t.headroom(),
        }
    }

    fn as_transport(&mut self) -> &mut dyn Transport {
        match self {
            Inner::Abridged(t) => t,
            Inner::Intermediate(t) => t,
            Inner::Padded(t) => &mut **t,
        }
    }
}

/// The obfuscated2 codec around abridged, intermediate or padded intermediate framing.
pub struct Obfuscated {
    framing: Framing,
    inner: Inner,
    ciphers: Ciphers,
    /// Which way this end encrypts (the client's client→server, the server's the other).
    sends: Direction,
    /// The client's header, written in front of its first packet. Boxed: it is sent once,
    /// and inline it would be 64 bytes in every connection for the rest of its life.
    pending_header: Option<Box<[u8; HEADER_LEN]>>,
    /// How many bytes at the front of the caller's input are already decrypted in place.
    decrypted_ahead: usize,
}

impl fmt::Debug for Obfuscated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The cipher states are key material: never print them.
        f.debug_struct("Obfuscated")
            .field("framing", &self.framing)
            .field("header_pending", &self.pending_header.is_some())
            .finish_non_exhaustive()
    }
}

/// What the server learns from a client's obfuscated2 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObfuscatedHello {
    /// The framing named by the protocol tag.
    pub framing: Framing,
    /// The DC id the client asked for (MTProxies route on it).
    pub dc_id: i16,
}

impl Obfuscated {
    /// A client-role codec with a fresh random header for `dc_id`; with `secret` (the 16 bytes
    /// of an MTProxy secret) the keys are mixed with it. The header is written by the first
    /// [`encode`](Transport::encode).
    pub fn client(
        framing: Framing,
        dc_id: i16,
        secret: Option<&[u8; 16]>,
        rng: &mut (impl RngCore + CryptoRng),
    ) -> Self {
        let mut init = [0u8; HEADER_LEN];
        loop {
            rng.fill_bytes(&mut init);
            if init_is_allowed(&init) {
                break;
            }
        }
        Obfuscated::client_from_init(init, framing, dc_id, secret, rng)
    }

    /// Builds the client codec from given random bytes (tests use fixed ones).
    pub(crate) fn client_from_init(
        mut init: [u8; HEADER_LEN],
        framing: Framing,
        dc_id: i16,
        secret: Option<&[u8; 16]>,
        rng: &mut impl RngCore,
    ) -> Self {
        init[56..60].copy_from_slice(&framing.tag());
        init[60..62].copy_from_slice(&dc_id.to_le_bytes());
        let mut ciphers = Ciphers::new(&init, secret);
        let mut encrypted = init;
        ciphers.apply(Direction::ClientToServer, &mut encrypted);
        let mut header = init;
        header[56..].copy_from_slice(&encrypted[56..]);
        Obfuscated {
            framing,
            inner: Inner::new(framing, Role::Client, rng),
            ciphers,
            sends: Direction::ClientToServer,
            pending_header: Some(Box::new(header)),
            decrypted_ahead: 0,
        }
    }

    /// A server-role codec for the client that sent `header`, and what the header asked for.
    /// `secret` must be the MTProxy secret when serving as one. `rng` seeds padding.
    ///
    /// # Errors
    ///
    /// [`TransportError::BadObfuscatedTag`] when the decrypted tag names no framing, which is
    /// also what a client using another secret looks like.
    pub fn server(
        header: &[u8; HEADER_LEN],
        secret: Option<&[u8; 16]>,
        rng: &mut impl RngCore,
    ) -> Result<(Self, ObfuscatedHello), TransportError> {
        let mut ciphers = Ciphers::new(header, secret);
        let mut plain = *header;
        ciphers.apply(Direction::ClientToServer, &mut plain);
        let tag = [plain[56], plain[57], plain[58], plain[59]];
        let framing = Framing::from_tag(tag).ok_or(TransportError::BadObfuscatedTag {
            tag: u32::from_le_bytes(tag),
        })?;
        let dc_id = i16::from_le_bytes([plain[60], plain[61]]);
        let codec = Obfuscated {
            framing,
            inner: Inner::new(framing, Role::Server, rng),
            ciphers,
            sends: Direction::ServerToClient,
            pending_header: None,
            decrypted_ahead: 0,
        };
        Ok((codec, ObfuscatedHello { framing, dc_id }))
    }

    /// The framing inside the encrypted stream.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Which way this end decrypts.
    fn receives(&self) -> Direction {
        match self.sends {
            Direction::ClientToServer => Direction::ServerToClient,
            Direction::ServerToClient => Direction::ClientToServer,
        }
    }
}

impl Transport for Obfuscated {
    fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), TransportError> {
        let start = out.len();
        let header = self.pending_header.take();
        if let Some(h) = &header {
            out.extend_from_slice(&h[..]);
        }
        let encrypt_from = out.len();
        if let Err(e) = self.inner.as_transport().encode(payload, out) {
            out.truncate(start);
            self.pending_header = header;
            return Err(e);
        }
        self.ciphers.apply(self.sends, &mut out[encrypt_from..]);
        Ok(())
    }

    fn headroom(&self) -> usize {
        let header = if self.pending_header.is_some() {
            HEADER_LEN
        } else {
            0
        };
        header + self.inner.headroom()
    }

    fn encode_in_place(&mut self, buf: &mut Vec<u8>, at: usize) -> Result<usize, TransportError> {
        let framed = self.inner.as_transport().encode_in_place(buf, at)?;
        let (start, encrypt_from) = match self.pending_header.take() {
            // The header goes out as it is: its last 8 bytes were encrypted when it was made.
            Some(header) => {
                let start = put_header(buf, framed, &header[..]);
                (start, start + HEADER_LEN)
            }
            None => (framed, framed),
        };
        self.ciphers.apply(self.sends, &mut buf[encrypt_from..]);
        Ok(start)
    }

    fn decode(&mut self, input: &mut [u8]) -> Result<Decoded, TransportError> {
        self.decrypt_ahead(input)?;
        let decoded = self.inner.as_transport().decode(input)?;
        if let Decoded::Frame { consumed, .. } = decoded {
            self.decrypted_ahead = self.decrypted_ahead.saturating_sub(consumed);
        }
        Ok(decoded)
    }
}

impl Obfuscated {
    /// Decrypts in place the bytes of `input` (the receiver's input, as for `decode`) not
    /// decrypted yet, without looking for frames.
    ///
    /// # Errors
    /// [`TransportError::InputRewound`] if `input` is shorter than what was decrypted.
    pub(crate) fn decrypt_ahead(&mut self, input: &mut [u8]) -> Result<(), TransportError> {
        let Some(fresh) = input.get_mut(self.decrypted_ahead..) else {
            return Err(TransportError::InputRewound {
                expected: self.decrypted_ahead,
                got: input.len(),
            });
        };
        self.ciphers.apply(self.receives(), fresh);
        self.decrypted_ahead = input.len();
        Ok(())
    }

    /// [`AnyTransport::frame_ahead`](super::AnyTransport::frame_ahead): the inner framing's,
    /// over the bytes already decrypted in place.
    pub(crate) fn frame_ahead(&self, input: &[u8]) -> Option<super::FrameAhead> {
        let plain = input.get(..self.decrypted_ahead.min(input.len()))?;
        match &self.inner {
            Inner::Abridged(_) => super::abridged::frame_ahead(plain),
            Inner::Intermediate(_) | Inner::Padded(_) => super::intermediate::frame_ahead(plain),
        }
    }
}

/// Whether random bytes may serve as an obfuscated2 header (see the module docs).
pub(crate) fn init_is_allowed(init: &[u8; HEADER_LEN]) -> bool {
    let first = u32::from_le_bytes([init[0], init[1], init[2], init[3]]);
    init[0] != 0xef && !FORBIDDEN_FIRST_INTS.contains(&first) && init[4..8] != [0, 0, 0, 0]
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;
    use crate::transport::test_support::decode_chunked;

    /// The fixed init bytes of `testdata/obfuscated2_vectors.py`.
    fn vector_init() -> [u8; HEADER_LEN] {
        let mut init = [0u8; HEADER_LEN];
        for (i, b) in init.iter_mut().enumerate() {
            *b = ((i * 37 + 11) % 256) as u8;
        }
        init
    }

    const SECRET: [u8; 16] = [
        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e,
        0x1f,
    ];

    /// Reads `name=hex` from the vector file written by the Python script.
    fn vector(name: &str) -> Vec<u8> {
        let text = include_str!("../../testdata/obfuscated2_vectors.txt");
        let line = text
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
            .expect("vector present");
        hex::decode(line).expect("hex")
    }

    fn check_vectors(prefix: &str, secret: Option<&[u8; 16]>) {
        let mut rng = StdRng::seed_from_u64(0);
        let mut client =
            Obfuscated::client_from_init(vector_init(), Framing::Intermediate, 2, secret, &mut rng);
        let mut wire = Vec::new();
        client.encode(&[1, 2, 3, 4, 5, 6, 7, 8], &mut wire).unwrap();
        assert_eq!(&wire[..64], &vector(&format!("{prefix}_header"))[..]);
        assert_eq!(&wire[64..], &vector(&format!("{prefix}_c2s"))[..]);

        let header: [u8; 64] = wire[..64].try_into().unwrap();
        let (mut server, hello) = Obfuscated::server(&header, secret, &mut rng).unwrap();
        assert_eq!(
            hello,
            ObfuscatedHello {
                framing: Framing::Intermediate,
                dc_id: 2
            }
        );
        let got = decode_chunked(&mut server, &wire[64..], 5).unwrap();
        assert_eq!(got, vec![vec![1, 2, 3, 4, 5, 6, 7, 8]]);

        let mut back = Vec::new();
        let payload: Vec<u8> = (0xa0..0xa8).collect();
        server.encode(&payload, &mut back).unwrap();
        assert_eq!(back, vector(&format!("{prefix}_s2c")));
        assert_eq!(
            decode_chunked(&mut client, &back, 1).unwrap(),
            vec![payload]
        );
    }

    #[test]
    fn matches_independent_vectors_without_secret() {
        check_vectors("plain", None);
    }

    #[test]
    fn matches_independent_vectors_with_mtproxy_secret() {
        check_vectors("secret", Some(&SECRET));
    }

    /// The two directions' keys are kept once (the header's 48 bytes), and the padded
    /// framing's generator is boxed: an idle connection's link holds this codec for its life.
    #[test]
    fn the_codec_keeps_its_key_material_once() {
        assert!(std::mem::size_of::<Obfuscated>() <= 112);
        let mut rng = StdRng::seed_from_u64(7);
        let plain = Obfuscated::client(Framing::Intermediate, 2, None, &mut rng);
        assert!(plain.ciphers.mixed.is_none());
        let proxied = Obfuscated::client(Framing::Intermediate, 2, Some(&[9; 16]), &mut rng);
        assert!(proxied.ciphers.mixed.is_some());
    }

    #[test]
    fn wrong_secret_is_a_bad_tag() {
        let mut rng = StdRng::seed_from_u64(1);
        let mut client = Obfuscated::client(Framing::Abridged, 4, Some(&SECRET), &mut rng);
        let mut wire = Vec::new();
        client.encode(&[0; 4], &mut wire).unwrap();
        let header: [u8; 64] = wire[..64].try_into().unwrap();
        let other = [0x42; 16];
        assert!(matches!(
            Obfuscated::server(&header, Some(&other), &mut rng),
            Err(TransportError::BadObfuscatedTag { .. })
        ));
        assert!(Obfuscated::server(&header, Some(&SECRET), &mut rng).is_ok());
    }

    #[test]
    fn generated_headers_respect_the_forbidden_prefixes() {
        let mut rng = StdRng::seed_from_u64(2);
        for _ in 0..2000 {
            let mut client = Obfuscated::client(Framing::Intermediate, 1, None, &mut rng);
            let mut wire = Vec::new();
            client.encode(&[0; 4], &mut wire).unwrap();
            let header: [u8; 64] = wire[..64].try_into().unwrap();
            assert!(init_is_allowed(&header));
        }
        let mut bad = [1u8; 64];
        for first in [*b"HEAD", *b"POST", *b"GET ", *b"OPTI", [0xee; 4], [0xdd; 4]] {
            bad[..4].copy_from_slice(&first);
            assert!(!init_is_allowed(&bad), "{first:?}");
        }
        bad[..4].copy_from_slice(&[0x16, 0x03, 0x01, 0x02]);
        assert!(!init_is_allowed(&bad));
        bad[..4].copy_from_slice(&[0xef, 1, 1, 1]);
        assert!(!init_is_allowed(&bad));
        bad[..8].copy_from_slice(&[1, 1, 1, 1, 0, 0, 0, 0]);
        assert!(!init_is_allowed(&bad));
    }

    #[test]
    fn every_framing_round_trips_both_ways() {
        let mut rng = StdRng::seed_from_u64(3);
        let payloads: Vec<Vec<u8>> = [4usize, 64, 508, 20_000]
            .iter()
            .map(|&n| (0..n).map(|i| (i * 13) as u8).collect())
            .collect();
        for framing in [
            Framing::Abridged,
            Framing::Intermediate,
            Framing::PaddedIntermediate,
        ] {
            let mut client = Obfuscated::client(framing, -3, None, &mut rng);
            let mut wire = Vec::new();
            for p in &payloads {
                client.encode(p, &mut wire).unwrap();
            }
            let header: [u8; 64] = wire[..64].try_into().unwrap();
            let (mut server, hello) = Obfuscated::server(&header, None, &mut rng).unwrap();
            assert_eq!(hello.dc_id, -3);
            assert_eq!(server.framing(), framing);
            let got = decode_chunked(&mut server, &wire[64..], 777).unwrap();
            let mut back = Vec::new();
            for p in &payloads {
                server.encode(p, &mut back).unwrap();
            }
            let got_back = decode_chunked(&mut client, &back, 1000).unwrap();
            for (g, p) in got.iter().chain(&got_back).zip(payloads.iter().cycle()) {
                assert!(g.starts_with(p) && g.len() - p.len() < 16);
            }
        }
    }

    #[test]
    fn failed_encode_keeps_the_header_for_later() {
        let mut rng = StdRng::seed_from_u64(4);
        let mut client = Obfuscated::client(Framing::Abridged, 1, None, &mut rng);
        let mut wire = Vec::new();
        assert_eq!(
            client.encode(&[1, 2, 3], &mut wire),
            Err(TransportError::PayloadNotAligned { len: 3 })
        );
        assert!(wire.is_empty());
        client.encode(&[1, 2, 3, 4], &mut wire).unwrap();
        assert_eq!(wire.len(), 64 + 5);
    }

    #[test]
    fn status_arrives_typed_through_the_cipher() {
        let mut rng = StdRng::seed_from_u64(6);
        let mut client = Obfuscated::client(Framing::PaddedIntermediate, 1, None, &mut rng);
        let mut wire = Vec::new();
        client.encode(&[0; 24], &mut wire).unwrap();
        let header: [u8; 64] = wire[..64].try_into().unwrap();
        let (mut server, _) = Obfuscated::server(&header, None, &mut rng).unwrap();
        let mut back = Vec::new();
        server.encode(&(-429i32).to_le_bytes(), &mut back).unwrap();
        assert_eq!(
            client.decode(&mut back),
            Err(TransportError::ServerStatus { code: -429 })
        );
    }

    #[test]
    fn shrinking_input_is_reported() {
        let mut rng = StdRng::seed_from_u64(5);
        let mut client = Obfuscated::client(Framing::Intermediate, 1, None, &mut rng);
        assert_eq!(client.decode(&mut [0; 3]).unwrap(), Decoded::NeedMore(1));
        assert_eq!(
            client.decode(&mut [0; 2]),
            Err(TransportError::InputRewound {
                expected: 3,
                got: 2
            })
        );
    }
}
