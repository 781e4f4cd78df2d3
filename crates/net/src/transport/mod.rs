//! Sans-IO MTProto transport codecs: how one MTProto packet becomes bytes on a stream and back.
//!
//! Every codec implements [`Transport`] and works in both roles. A client-role codec writes its
//! protocol marker (`0xef`, `0xeeeeeeee`, `0xdddddddd` or the 64-byte obfuscated2 header) in
//! front of the first packet it encodes; a server-role codec is made by [`detect`] after the
//! marker has been read, and never writes one.
//!
//! The codecs never own a socket or a read buffer. `encode` appends to the caller's write buffer;
//! `decode` looks at the caller's read buffer and answers with a range inside it, decrypting in
//! place when obfuscation is on, so a received payload is never copied by this layer.

pub(crate) mod abridged;
pub(crate) mod detect;
pub(crate) mod full;
pub(crate) mod intermediate;
pub(crate) mod obfuscated;
pub(crate) mod padded;

use std::ops::Range;

use rand::{CryptoRng, RngCore};

use crate::error::TransportError;

pub use abridged::Abridged;
pub use detect::{detect, Detection};
pub use full::Full;
pub use intermediate::Intermediate;
pub use obfuscated::{Obfuscated, ObfuscatedHello, HEADER_LEN as OBFUSCATED_HEADER_LEN};
pub use padded::PaddedIntermediate;

/// The largest payload any codec encodes or accepts: 16 MiB.
///
/// MTProto packets are far smaller (file parts are at most 512 KiB); the bound exists so a hostile
/// length prefix can never make the caller grow its read buffer without limit.
pub const MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// Which end of the connection a codec serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// The side that opened the connection: it writes the protocol marker, and it reads
    /// 4-byte negative payloads as [`TransportError::ServerStatus`].
    Client,
    /// The side that accepted it.
    Server,
}

/// The outcome of one successful [`Transport::decode`] call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A whole packet is at the start of the input.
    Frame {
        /// Where the packet's payload sits inside the input (already decrypted, if obfuscated).
        payload: Range<usize>,
        /// How many bytes of input the frame occupied; drop them before the next call.
        consumed: usize,
    },
    /// The input holds no whole frame yet: at least this many more bytes are needed.
    NeedMore(usize),
}

/// A framing codec, usable in either role.
///
/// # Buffer contract for `decode`
///
/// Pass the bytes received and not yet consumed, oldest first. After a [`Decoded::Frame`], remove
/// `consumed` bytes from the front before calling again; after [`Decoded::NeedMore`], call again
/// with the same bytes plus whatever arrived since. The obfuscated codec decrypts the input in
/// place and remembers how much of it it already decrypted, which is why the bytes passed must not
/// be changed or dropped between calls except as described.
pub trait Transport {
    /// Appends one framed packet carrying `payload` to `out` (preceded by the protocol marker if
    /// this is the first packet of a client-role codec).
    ///
    /// # Errors
    ///
    /// [`TransportError::EmptyFrame`] for an empty payload, [`TransportError::FrameTooLarge`]
    /// above [`MAX_FRAME_LEN`], [`TransportError::PayloadNotAligned`] when the framing needs a
    /// multiple of 4 bytes. Nothing is appended to `out` on error.
    fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), TransportError>;

    /// The most bytes [`encode_in_place`](Self::encode_in_place) writes in front of a payload
    /// (length prefix, sequence number, and the protocol marker or obfuscation header of a
    /// client's first packet).
    fn headroom(&self) -> usize {
        0
    }

    /// Frames the payload `buf[at..]` where it lies, and returns where the frame begins: the
    /// frame is `buf[start..]`, exactly the bytes [`encode`](Self::encode) of the same payload
    /// would append. The bytes before `at` are room the codec may write its header over (the
    /// last of them): the caller leaves [`headroom`](Self::headroom) bytes of any value in
    /// front of the payload, so that a big packet (a file part) is not copied to be framed;
    /// when `at` is smaller than the header, the header is inserted (and the payload moved).
    /// Trailing bytes (padding, checksum) are appended; obfuscation encrypts in place.
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode), and [`TransportError::EmptyFrame`] when `at` is past the
    /// end of `buf`. Nothing in `buf` changes on error.
    fn encode_in_place(&mut self, buf: &mut Vec<u8>, at: usize) -> Result<usize, TransportError> {
        if at >= buf.len() {
            return Err(TransportError::EmptyFrame);
        }
        let payload = buf.split_off(at);
        let start = buf.len();
        match self.encode(&payload, buf) {
            Ok(()) => Ok(start),
            Err(e) => {
                buf.extend_from_slice(&payload);
                Err(e)
            }
        }
    }

    /// Looks for one frame at the start of `input`; see the trait docs for the buffer contract.
    ///
    /// # Errors
    ///
    /// A malformed or oversized frame, a checksum or sequence failure, or (client role) a
    /// negative status from the server. Every error is terminal for the connection.
    fn decode(&mut self, input: &mut [u8]) -> Result<Decoded, TransportError>;
}

/// The inner framing an obfuscated2 stream carries, named by the protocol tag in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Framing {
    /// Abridged framing, tag `0xefefefef`.
    Abridged,
    /// Intermediate framing, tag `0xeeeeeeee`.
    Intermediate,
    /// Padded intermediate framing, tag `0xdddddddd`; required by `dd` and `ee` MTProxy secrets.
    PaddedIntermediate,
}

impl Framing {
    /// The 4-byte protocol tag as it appears on the wire.
    pub const fn tag(self) -> [u8; 4] {
        match self {
            Framing::Abridged => [0xef; 4],
            Framing::Intermediate => [0xee; 4],
            Framing::PaddedIntermediate => [0xdd; 4],
        }
    }

    /// The framing named by a 4-byte protocol tag, if any.
    pub const fn from_tag(tag: [u8; 4]) -> Option<Self> {
        match tag {
            [0xef, 0xef, 0xef, 0xef] => Some(Framing::Abridged),
            [0xee, 0xee, 0xee, 0xee] => Some(Framing::Intermediate),
            [0xdd, 0xdd, 0xdd, 0xdd] => Some(Framing::PaddedIntermediate),
            _ => None,
        }
    }
}

/// Which transport a client connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// [`Abridged`].
    Abridged,
    /// [`Intermediate`].
    Intermediate,
    /// [`PaddedIntermediate`].
    PaddedIntermediate,
    /// [`Full`].
    Full,
    /// [`Obfuscated`] around the given framing.
    Obfuscated(Framing),
}

impl TransportKind {
    /// Every transport and framing a client can choose, for tests and tools that try each one.
    pub const ALL: [TransportKind; 7] = [
        TransportKind::Abridged,
        TransportKind::Intermediate,
        TransportKind::PaddedIntermediate,
        TransportKind::Full,
        TransportKind::Obfuscated(Framing::Abridged),
        TransportKind::Obfuscated(Framing::Intermediate),
        TransportKind::Obfuscated(Framing::PaddedIntermediate),
    ];
}

/// Any of this crate's codecs behind one concrete type, so connections can choose a transport at
/// run time without boxing.
// The obfuscated variant holds two expanded AES-256 key schedules (about 1 KiB). One value lives
// per connection and is touched on every packet, so keeping it inline beats a pointer chase.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum AnyTransport {
    /// See [`Abridged`].
    Abridged(Abridged),
    /// See [`Intermediate`].
    Intermediate(Intermediate),
    /// See [`PaddedIntermediate`].
    PaddedIntermediate(PaddedIntermediate),
    /// See [`Full`].
    Full(Full),
    /// See [`Obfuscated`].
    Obfuscated(Obfuscated),
}

impl AnyTransport {
    /// A client-role codec of the given kind. `dc_id` is only written by obfuscated2 (negative for
    /// media DCs, `10000 + n` for test DCs); `rng` seeds obfuscation keys and padding.
    pub fn client(kind: TransportKind, dc_id: i16, rng: &mut (impl RngCore + CryptoRng)) -> Self {
        match kind {
            TransportKind::Abridged => AnyTransport::Abridged(Abridged::new(Role::Client)),
            TransportKind::Intermediate => {
                AnyTransport::Intermediate(Intermediate::new(Role::Client))
            }
            TransportKind::PaddedIntermediate => {
                AnyTransport::PaddedIntermediate(PaddedIntermediate::new(Role::Client, rng))
            }
            TransportKind::Full => AnyTransport::Full(Full::new(Role::Client)),
            TransportKind::Obfuscated(framing) => {
                AnyTransport::Obfuscated(Obfuscated::client(framing, dc_id, None, rng))
            }
        }
    }
}

impl Transport for AnyTransport {
    fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), TransportError> {
        match self {
            AnyTransport::Abridged(t) => t.encode(payload, out),
            AnyTransport::Intermediate(t) => t.encode(payload, out),
            AnyTransport::PaddedIntermediate(t) => t.encode(payload, out),
            AnyTransport::Full(t) => t.encode(payload, out),
            AnyTransport::Obfuscated(t) => t.encode(payload, out),
        }
    }

    fn headroom(&self) -> usize {
        match self {
            AnyTransport::Abridged(t) => t.headroom(),
            AnyTransport::Intermediate(t) => t.headroom(),
            AnyTransport::PaddedIntermediate(t) => t.headroom(),
            AnyTransport::Full(t) => t.headroom(),
            AnyTransport::Obfuscated(t) => t.headroom(),
        }
    }

    fn encode_in_place(&mut self, buf: &mut Vec<u8>, at: usize) -> Result<usize, TransportError> {
        match self {
            AnyTransport::Abridged(t) => t.encode_in_place(buf, at),
            AnyTransport::Intermediate(t) => t.encode_in_place(buf, at),
            AnyTransport::PaddedIntermediate(t) => t.encode_in_place(buf, at),
            AnyTransport::Full(t) => t.encode_in_place(buf, at),
            AnyTransport::Obfuscated(t) => t.encode_in_place(buf, at),
        }
    }

    fn decode(&mut self, input: &mut [u8]) -> Result<Decoded, TransportError> {
        match self {
            AnyTransport::Abridged(t) => t.decode(input),
            AnyTransport::Intermediate(t) => t.decode(input),
            AnyTransport::PaddedIntermediate(t) => t.decode(input),
            AnyTransport::Full(t) => t.decode(input),
            AnyTransport::Obfuscated(t) => t.decode(input),
        }
    }
}

/// A frame begun at the start of a receiver's input but not whole yet: where its payload
/// lies (it may end past the input), and how many bytes of the input are readable as
/// received (all of them, but for obfuscation: only what it decrypted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FrameAhead {
    pub(crate) payload: Range<usize>,
    pub(crate) readable: usize,
}

impl AnyTransport {
    /// Where the payload of the frame begun at the start of `input` lies, once its header
    /// has arrived (after a [`Transport::decode`] that needed more), so that a receiver may
    /// work on the payload before it is whole. `None` for the full framing (its checksum
    /// comes last) or when the header is incomplete or invalid (decoding will say why).
    pub(crate) fn frame_ahead(&self, input: &[u8]) -> Option<FrameAhead> {
        match self {
            AnyTransport::Abridged(_) => abridged::frame_ahead(input),
            AnyTransport::Intermediate(_) | AnyTransport::PaddedIntermediate(_) => {
                intermediate::frame_ahead(input)
            }
            AnyTransport::Full(_) => None,
            AnyTransport::Obfuscated(t) => t.frame_ahead(input),
        }
    }

    /// Makes bytes appended to the receiver's input since the last [`Transport::decode`]
    /// readable (obfuscation decrypts them in place), without taking frames out: for
    /// [`Self::frame_ahead`] to see more of the frame begun.
    ///
    /// # Errors
    /// As `decode`'s for input it was not given (obfuscation's rewound input).
    pub(crate) fn decrypt_ahead(&mut self, input: &mut [u8]) -> Result<(), TransportError> {
        match self {
            AnyTransport::Obfuscated(t) => t.decrypt_ahead(input),
            _ => Ok(()),
        }
    }
}

/// Checks the bounds shared by every encoder.
pub(crate) fn check_payload(payload: &[u8]) -> Result<(), TransportError> {
    if payload.is_empty() {
        return Err(TransportError::EmptyFrame);
    }
    check_len(payload.len())
}

/// The payload `buf[at..]` of an [`Transport::encode_in_place`] call, bounds checked as
/// [`check_payload`] does.
pub(crate) fn payload_at(buf: &[u8], at: usize) -> Result<&[u8], TransportError> {
    let payload = buf.get(at..).unwrap_or_default();
    check_payload(payload)?;
    Ok(payload)
}

/// Writes `header` just before `buf[at..]`, over the room the caller left there, or inserted
/// at `at` when there are fewer than `header.len()` bytes before it; returns where the header
/// begins.
pub(crate) fn put_header(buf: &mut Vec<u8>, at: usize, header: &[u8]) -> usize {
    match at.checked_sub(header.len()) {
        Some(start) => {
            buf[start..at].copy_from_slice(header);
            start
        }
        None => {
            buf.splice(at..at, header.iter().copied());
            at
        }
    }
}

/// Rejects a payload length above [`MAX_FRAME_LEN`].
pub(crate) fn check_len(len: usize) -> Result<(), TransportError> {
    if len > MAX_FRAME_LEN {
        return Err(TransportError::FrameTooLarge {
            len,
            max: MAX_FRAME_LEN,
        });
    }
    Ok(())
}

/// The server reports transport-level failures as a bare negative int32 instead of a packet.
/// `max_len` is the longest payload that may carry one: 4, or 19 when padding may follow.
pub(crate) fn server_status(
    role: Role,
    payload: &[u8],
    max_len: usize,
) -> Result<(), TransportError> {
    if role == Role::Client && payload.len() >= 4 && payload.len() <= max_len {
        if let Some(&[a, b, c, d]) = payload.first_chunk::<4>() {
            let code = i32::from_le_bytes([a, b, c, d]);
            if code < 0 {
                return Err(TransportError::ServerStatus { code });
            }
        }
    }
    Ok(())
}

/// Reads a little-endian u32 at `at`, if the bytes are there.
pub(crate) fn read_u32_le(input: &[u8], at: usize) -> Option<u32> {
    let bytes = input.get(at..at.checked_add(4)?)?;
    let arr: [u8; 4] = bytes.try_into().ok()?;
    Some(u32::from_le_bytes(arr))
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers shared by the codec tests.

    use super::{Decoded, Transport};
    use crate::error::TransportError;

    /// Decodes every frame in `wire`, feeding it in chunks of `chunk` bytes the way a socket
    /// would, and returns the payloads.
    pub(crate) fn decode_chunked(
        codec: &mut impl Transport,
        wire: &[u8],
        chunk: usize,
    ) -> Result<Vec<Vec<u8>>, TransportError> {
        let mut buf: Vec<u8> = Vec::new();
        let mut out = Vec::new();
        for piece in wire.chunks(chunk.max(1)) {
            buf.extend_from_slice(piece);
            loop {
                match codec.decode(&mut buf)? {
                    Decoded::Frame { payload, consumed } => {
                        out.push(buf[payload].to_vec());
                        buf.drain(..consumed);
                    }
                    Decoded::NeedMore(n) => {
                        assert!(n > 0, "NeedMore(0) would spin");
                        break;
                    }
                }
            }
        }
        assert!(
            buf.is_empty(),
            "{} trailing bytes left undecoded",
            buf.len()
        );
        Ok(out)
    }
}

#[cfg(test)]
mod in_place_tests {
    //! `encode_in_place` must give exactly `encode`'s bytes, whatever the room left in front.

    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    /// Pairs of identical codecs (same seeds), one per codec, framing and role.
    fn twins() -> Vec<(String, AnyTransport, AnyTransport)> {
        let kinds = TransportKind::ALL;
        let mut out = Vec::new();
        for (i, kind) in kinds.into_iter().enumerate() {
            let make = || AnyTransport::client(kind, 2, &mut StdRng::seed_from_u64(i as u64));
            out.push((format!("client {kind:?}"), make(), make()));
        }
        for framing in [
            Framing::Abridged,
            Framing::Intermediate,
            Framing::PaddedIntermediate,
        ] {
            let mut client =
                Obfuscated::client(framing, 2, Some(&[3; 16]), &mut StdRng::seed_from_u64(9));
            let mut wire = Vec::new();
            client.encode(&[1, 2, 3, 4], &mut wire).unwrap();
            let header: [u8; OBFUSCATED_HEADER_LEN] =
                wire[..OBFUSCATED_HEADER_LEN].try_into().unwrap();
            let make = || {
                let rng = &mut StdRng::seed_from_u64(5);
                AnyTransport::Obfuscated(
                    Obfuscated::server(&header, Some(&[3; 16]), rng).unwrap().0,
                )
            };
            out.push((format!("server obfuscated {framing:?}"), make(), make()));
        }
        let rng = &mut StdRng::seed_from_u64(7);
        out.push((
            "server padded".into(),
            AnyTransport::PaddedIntermediate(PaddedIntermediate::new(Role::Server, rng)),
            AnyTransport::PaddedIntermediate(PaddedIntermediate::new(
                Role::Server,
                &mut StdRng::seed_from_u64(7),
            )),
        ));
        out.push((
            "server full".into(),
            AnyTransport::Full(Full::new(Role::Server)),
            AnyTransport::Full(Full::new(Role::Server)),
        ));
        out
    }

    #[test]
    fn in_place_frames_equal_appended_ones() {
        // Sizes around the abridged one-byte limit (127 words) and a big packet.
        let sizes = [4, 8, 500, 504, 508, 512, 1024, 4096, 65_536, 1 << 20];
        for (name, mut appending, mut in_place) in twins() {
            // Each room in turn: plenty after other bytes (which stay), exactly the headroom,
            // and too little (the header is then inserted).
            for (round, &size) in sizes.iter().cycle().take(3 * sizes.len()).enumerate() {
                let payload: Vec<u8> = (0..size).map(|i| (i * 31 + round) as u8).collect();
                let mut expected = Vec::new();
                appending.encode(&payload, &mut expected).unwrap();

                let (before, room) = match round % 3 {
                    0 => (3, in_place.headroom() + 17),
                    1 => (0, in_place.headroom()),
                    _ => (0, in_place.headroom().min(2)),
                };
                let mut buf = vec![0xaa; before];
                buf.resize(before + room, 0x55);
                let at = buf.len();
                buf.extend_from_slice(&payload);
                let start = in_place.encode_in_place(&mut buf, at).unwrap();
                assert!(
                    start >= before,
                    "{name}: the bytes before the room are kept"
                );
                assert!(buf[..before].iter().all(|&b| b == 0xaa), "{name}");
                assert_eq!(
                    &buf[start..],
                    &expected,
                    "{name}, {size} bytes, room {room}"
                );
            }
        }
    }

    #[test]
    fn in_place_refuses_what_encode_refuses_and_leaves_the_buffer() {
        for (name, mut codec, _) in twins() {
            // Nothing after `at`, `at` past the end.
            for at in [4, 9] {
                let mut buf = vec![7u8; 4];
                assert!(
                    codec.encode_in_place(&mut buf, at).is_err(),
                    "{name} at {at}"
                );
                assert_eq!(buf, vec![7u8; 4], "{name}");
            }
            // Unaligned payloads, refused by the framings that need 4-byte multiples.
            let mut appended = Vec::new();
            let refused = codec.encode(&[1, 2, 3], &mut appended).is_err();
            let mut buf = vec![0u8; 80];
            buf.extend_from_slice(&[1, 2, 3]);
            let before = buf.clone();
            assert_eq!(
                codec.encode_in_place(&mut buf, 80).is_err(),
                refused,
                "{name}"
            );
            if refused {
                assert_eq!(buf, before, "{name}");
            }
        }
    }

    #[test]
    fn the_default_in_place_encoding_appends_through_encode() {
        /// A codec with only `encode`: the trait's fallback frames it.
        struct Tagged;
        impl Transport for Tagged {
            fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), TransportError> {
                check_payload(payload)?;
                out.push(0xfe);
                out.extend_from_slice(payload);
                Ok(())
            }
            fn decode(&mut self, _: &mut [u8]) -> Result<Decoded, TransportError> {
                Ok(Decoded::NeedMore(1))
            }
        }
        let mut buf = vec![1, 2, 3, 4, 5];
        assert_eq!(Tagged.encode_in_place(&mut buf, 2), Ok(2));
        assert_eq!(buf, vec![1, 2, 0xfe, 3, 4, 5]);
        let mut buf = vec![1, 2];
        assert_eq!(
            Tagged.encode_in_place(&mut buf, 2),
            Err(TransportError::EmptyFrame)
        );
        assert_eq!(buf, vec![1, 2]);
    }
}
