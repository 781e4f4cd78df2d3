//! The intermediate transport: a 4-byte little-endian length, then the payload.

use super::{
    check_payload, payload_at, put_header, read_u32_le, server_status, Decoded, Role, Transport,
    MAX_FRAME_LEN,
};
use crate::error::TransportError;

/// The marker a client sends before its first intermediate packet.
pub(crate) const INTERMEDIATE_MARKER: [u8; 4] = [0xee; 4];

/// The top bit of the length asks for (client) or marks (server) a quick ack.
pub(crate) const QUICK_ACK_FLAG: u32 = 0x8000_0000;

/// The intermediate codec.
#[derive(Debug, Clone)]
pub struct Intermediate {
    role: Role,
    marker_pending: bool,
}

impl Intermediate {
    /// A codec for `role`; in the client role it writes `0xeeeeeeee` before its first packet.
    pub fn new(role: Role) -> Self {
        Intermediate {
            role,
            marker_pending: role == Role::Client,
        }
    }

    /// A codec that never writes the marker (inside obfuscated2, or after detection).
    pub(crate) fn unmarked(role: Role) -> Self {
        Intermediate {
            role,
            marker_pending: false,
        }
    }
}

impl Transport for Intermediate {
    fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), TransportError> {
        check_payload(payload)?;
        out.reserve(payload.len() + 8);
        if self.marker_pending {
            out.extend_from_slice(&INTERMEDIATE_MARKER);
            self.marker_pending = false;
        }
        // check_payload bounds the length by MAX_FRAME_LEN, far below u32::MAX.
        out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        out.extend_from_slice(payload);
        Ok(())
    }

    fn headroom(&self) -> usize {
        8
    }

    fn encode_in_place(&mut self, buf: &mut Vec<u8>, at: usize) -> Result<usize, TransportError> {
        let len = payload_at(buf, at)?.len();
        let mut header = [0u8; 8];
        let mut used = 0;
        if self.marker_pending {
            header[..4].copy_from_slice(&INTERMEDIATE_MARKER);
            used = 4;
            self.marker_pending = false;
        }
        // payload_at bounds the length by MAX_FRAME_LEN, far below u32::MAX.
        header[used..used + 4].copy_from_slice(&(len as u32).to_le_bytes());
        Ok(put_header(buf, at, &header[..used + 4]))
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
        server_status(self.role, &input[header..total], 4)?;
        Ok(Decoded::Frame {
            payload: header..total,
            consumed: total,
        })
    }
}

/// [`AnyTransport::frame_ahead`](super::AnyTransport::frame_ahead) for the intermediate
/// framings (the padded one's payload includes its padding).
pub(crate) fn frame_ahead(input: &[u8]) -> Option<super::FrameAhead> {
    match decode_length(input) {
        Ok((header, Some(len))) => Some(super::FrameAhead {
            payload: header..header + len,
            readable: input.len(),
        }),
        _ => None,
    }
}

/// Reads and bounds an intermediate length prefix. Returns `(4, Some(len))`, or `(missing, None)`
/// when the prefix is incomplete.
pub(crate) fn decode_length(input: &[u8]) -> Result<(usize, Option<usize>), TransportError> {
    let Some(raw) = read_u32_le(input, 0) else {
        return Ok((4 - input.len(), None));
    };
    if raw & QUICK_ACK_FLAG != 0 {
        return Err(TransportError::UnexpectedQuickAck);
    }
    let len = raw as usize;
    if len == 0 {
        return Err(TransportError::EmptyFrame);
    }
    if len > MAX_FRAME_LEN {
        return Err(TransportError::FrameTooLarge {
            len,
            max: MAX_FRAME_LEN,
        });
    }
    Ok((4, Some(len)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::test_support::decode_chunked;

    // The transports page: "payload length encoded as 4 length bytes (little endian)".
    #[test]
    fn length_prefix_is_four_bytes_little_endian() {
        let mut c = Intermediate::new(Role::Client);
        let mut out = Vec::new();
        c.encode(&[0xab; 300], &mut out).unwrap();
        assert_eq!(&out[..8], &[0xee, 0xee, 0xee, 0xee, 0x2c, 0x01, 0x00, 0x00]);
        assert_eq!(out.len(), 308);
        out.clear();
        c.encode(&[1, 2, 3, 4], &mut out).unwrap();
        assert_eq!(out, [4, 0, 0, 0, 1, 2, 3, 4]);
    }

    #[test]
    fn round_trip_both_directions_any_chunking() {
        let payloads: Vec<Vec<u8>> = [1usize, 4, 5, 1000, 65_536]
            .iter()
            .map(|&n| (0..n).map(|i| (i ^ n) as u8).collect())
            .collect();
        for (sender, receiver) in [(Role::Client, Role::Server), (Role::Server, Role::Client)] {
            let mut tx = Intermediate::unmarked(sender);
            let mut wire = Vec::new();
            for p in &payloads {
                tx.encode(p, &mut wire).unwrap();
            }
            for chunk in [1, 7, wire.len()] {
                let mut rx = Intermediate::unmarked(receiver);
                assert_eq!(decode_chunked(&mut rx, &wire, chunk).unwrap(), payloads);
            }
        }
    }

    #[test]
    fn bad_lengths_are_errors() {
        let mut c = Intermediate::unmarked(Role::Server);
        assert_eq!(c.decode(&mut [1, 0]).unwrap(), Decoded::NeedMore(2));
        assert_eq!(c.decode(&mut [0; 4]), Err(TransportError::EmptyFrame));
        assert_eq!(
            c.decode(&mut [0, 0, 0, 0x80]),
            Err(TransportError::UnexpectedQuickAck)
        );
        assert_eq!(
            c.decode(&mut [1, 0, 0, 0x40]),
            Err(TransportError::FrameTooLarge {
                len: 0x4000_0001,
                max: MAX_FRAME_LEN
            })
        );
    }

    #[test]
    fn flood_status_is_typed() {
        let mut wire = vec![4, 0, 0, 0];
        wire.extend_from_slice(&(-429i32).to_le_bytes());
        assert_eq!(
            Intermediate::unmarked(Role::Client).decode(&mut wire),
            Err(TransportError::ServerStatus { code: -429 })
        );
    }
}
