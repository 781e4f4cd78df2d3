//! The padded intermediate transport: intermediate framing whose length also covers 0–15 random
//! bytes appended to the payload, so packet sizes stop being a fingerprint.
//!
//! The receiver cannot tell payload from padding: [`Decoded::Frame`] covers both. MTProto's own
//! headers say how long the message really is, so the layer above ignores the tail (an encrypted
//! message is `24 + 16·k` bytes; a plain one carries `message_data_length`).

use rand::rngs::SmallRng;
use rand::{RngCore, SeedableRng};

use super::intermediate::decode_length;
use super::{
    check_len, check_payload, payload_at, put_header, server_status, Decoded, Role, Transport,
};
use crate::error::TransportError;

/// The marker a client sends before its first padded-intermediate packet.
pub(crate) const PADDED_MARKER: [u8; 4] = [0xdd; 4];

/// Padding is drawn uniformly from `0..PADDING_BOUND` bytes.
const PADDING_BOUND: u32 = 16;

/// The padded intermediate codec. Owns a small PRNG for the padding, seeded from the RNG given
/// at construction, so that tests (and simulations) that seed it get identical bytes. Padding
/// only blurs packet sizes and is encrypted whenever obfuscation is on, so a fast
/// non-cryptographic generator seeded from a cryptographic one is enough.
#[derive(Debug, Clone)]
pub struct PaddedIntermediate {
    role: Role,
    marker_pending: bool,
    rng: SmallRng,
}

impl PaddedIntermediate {
    /// A codec for `role`, its padding RNG seeded from `rng`; in the client role it writes
    /// `0xdddddddd` before its first packet.
    pub fn new(role: Role, rng: &mut impl RngCore) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        PaddedIntermediate {
            role,
            marker_pending: role == Role::Client,
            rng: SmallRng::from_seed(seed),
        }
    }

    /// A codec that never writes the marker (inside obfuscated2, or after detection).
    pub(crate) fn unmarked(role: Role, rng: &mut impl RngCore) -> Self {
        let mut codec = PaddedIntermediate::new(role, rng);
        codec.marker_pending = false;
        codec
    }
}

impl Transport for PaddedIntermediate {
    fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), TransportError> {
        check_payload(payload)?;
        let padding = (self.rng.next_u32() % PADDING_BOUND) as usize;
        let len = payload.len() + padding;
        check_len(len)?;
        out.reserve(len + 8);
        if self.marker_pending {
            out.extend_from_slice(&PADDED_MARKER);
            self.marker_pending = false;
        }
        // Bounded by MAX_FRAME_LEN, far below u32::MAX.
        out.extend_from_slice(&(len as u32).to_le_bytes());
        out.extend_from_slice(payload);
        let start = out.len();
        out.resize(start + padding, 0);
        self.rng.fill_bytes(&mut out[start..]);
        Ok(())
    }

    fn headroom(&self) -> usize {
        8
    }

    fn encode_in_place(&mut self, buf: &mut Vec<u8>, at: usize) -> Result<usize, TransportError> {
        let payload_len = payload_at(buf, at)?.len();
        // The same draw, in the same order, as `encode`: both give the same bytes.
        let padding = (self.rng.next_u32() % PADDING_BOUND) as usize;
        let len = payload_len + padding;
        check_len(len)?;
        let mut header = [0u8; 8];
        let mut used = 0;
        if self.marker_pending {
            header[..4].copy_from_slice(&PADDED_MARKER);
            used = 4;
            self.marker_pending = false;
        }
        // Bounded by MAX_FRAME_LEN, far below u32::MAX.
        header[used..used + 4].copy_from_slice(&(len as u32).to_le_bytes());
        let start = put_header(buf, at, &header[..used + 4]);
        let end = buf.len();
        buf.resize(end + padding, 0);
        self.rng.fill_bytes(&mut buf[end..]);
        Ok(start)
    }

    fn decode(&mut self, input: &mut [u8]) -> Result<Decoded, TransportError> {
        let (header, len) = decode_length(input)?;
        let Some(len) = len else {
            return Ok(Decoded::NeedMore(header));
        };
        let total = header + len;
        if input.len() < total {
            return Ok(Decoded::NeedMore(total - input.len()));
        }
        // A status is 4 bytes, possibly followed by up to 15 bytes of padding; no real packet is
        // that short (an unencrypted message alone has a 20-byte header).
        server_status(
            self.role,
            &input[header..total],
            4 + PADDING_BOUND as usize - 1,
        )?;
        Ok(Decoded::Frame {
            payload: header..total,
            consumed: total,
        })
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;

    use super::*;
    use crate::transport::test_support::decode_chunked;

    fn seeded(role: Role, seed: u64) -> PaddedIntermediate {
        PaddedIntermediate::unmarked(role, &mut StdRng::seed_from_u64(seed))
    }

    #[test]
    fn length_covers_payload_and_padding_of_0_to_15() {
        let mut c = seeded(Role::Client, 1);
        let mut seen = [false; 16];
        for _ in 0..400 {
            let mut out = Vec::new();
            c.encode(&[7; 40], &mut out).unwrap();
            let len = u32::from_le_bytes(out[..4].try_into().unwrap()) as usize;
            assert_eq!(len, out.len() - 4);
            assert_eq!(&out[4..44], &[7; 40]);
            let padding = len - 40;
            assert!(padding < 16);
            seen[padding] = true;
        }
        assert!(
            seen.iter().all(|&s| s),
            "every padding size occurs: {seen:?}"
        );
    }

    #[test]
    fn client_marker_and_seeded_determinism() {
        let mut a = PaddedIntermediate::new(Role::Client, &mut StdRng::seed_from_u64(5));
        let mut b = PaddedIntermediate::new(Role::Client, &mut StdRng::seed_from_u64(5));
        let (mut wa, mut wb) = (Vec::new(), Vec::new());
        a.encode(&[1; 8], &mut wa).unwrap();
        b.encode(&[1; 8], &mut wb).unwrap();
        assert_eq!(&wa[..4], &PADDED_MARKER);
        assert_eq!(wa, wb);
    }

    #[test]
    fn round_trip_yields_payload_plus_short_tail() {
        let payloads: Vec<Vec<u8>> = [4usize, 20, 333, 40_000]
            .iter()
            .map(|&n| (0..n).map(|i| (i % 251) as u8).collect())
            .collect();
        for (sender, receiver) in [(Role::Client, Role::Server), (Role::Server, Role::Client)] {
            let mut tx = seeded(sender, 9);
            let mut wire = Vec::new();
            for p in &payloads {
                tx.encode(p, &mut wire).unwrap();
            }
            for chunk in [1, 64, wire.len()] {
                let got = decode_chunked(&mut seeded(receiver, 0), &wire, chunk).unwrap();
                assert_eq!(got.len(), payloads.len());
                for (g, p) in got.iter().zip(&payloads) {
                    assert!(g.starts_with(p) && g.len() - p.len() < 16);
                }
            }
        }
    }

    #[test]
    fn padded_status_is_typed() {
        let mut server = seeded(Role::Server, 3);
        let mut wire = Vec::new();
        server.encode(&(-404i32).to_le_bytes(), &mut wire).unwrap();
        assert_eq!(
            seeded(Role::Client, 0).decode(&mut wire),
            Err(TransportError::ServerStatus { code: -404 })
        );
    }
}
