//! The full transport: total length, sequence number, payload, CRC32 of everything before it.
//!
//! Payloads must be a multiple of 4 bytes. Each direction counts its own packets from 0. The
//! receiver checks both the sequence number (a dropped or replayed packet) and the checksum (a
//! corrupted one).

use super::{
    check_payload, payload_at, put_header, read_u32_le, server_status, Decoded, Role, Transport,
    MAX_FRAME_LEN,
};
use crate::error::TransportError;

/// Length, sequence number and CRC: 4 bytes each.
const ENVELOPE: usize = 12;

/// The full codec. It has no marker: a server recognises it by its first frame.
#[derive(Debug, Clone)]
pub struct Full {
    role: Role,
    send_seq: u32,
    recv_seq: u32,
}

impl Full {
    /// A codec for `role`, both sequence counters at 0.
    pub fn new(role: Role) -> Self {
        Full {
            role,
            send_seq: 0,
            recv_seq: 0,
        }
    }
}

impl Transport for Full {
    fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), TransportError> {
        check_payload(payload)?;
        // The receiver insists on a length that is a multiple of 4, as MTProto packets are.
        if payload.len() % 4 != 0 {
            return Err(TransportError::PayloadNotAligned { len: payload.len() });
        }
        let start = out.len();
        out.reserve(payload.len() + ENVELOPE);
        // Bounded by MAX_FRAME_LEN + 12, far below u32::MAX.
        out.extend_from_slice(&((payload.len() + ENVELOPE) as u32).to_le_bytes());
        out.extend_from_slice(&self.send_seq.to_le_bytes());
        out.extend_from_slice(payload);
        let crc = crc32fast::hash(&out[start..]);
        out.extend_from_slice(&crc.to_le_bytes());
        self.send_seq = self.send_seq.wrapping_add(1);
        Ok(())
    }

    fn headroom(&self) -> usize {
        8
    }

    fn encode_in_place(&mut self, buf: &mut Vec<u8>, at: usize) -> Result<usize, TransportError> {
        let len = payload_at(buf, at)?.len();
        if len % 4 != 0 {
            return Err(TransportError::PayloadNotAligned { len });
        }
        let mut header = [0u8; 8];
        // Bounded by MAX_FRAME_LEN + 12, far below u32::MAX.
        header[..4].copy_from_slice(&((len + ENVELOPE) as u32).to_le_bytes());
        header[4..].copy_from_slice(&self.send_seq.to_le_bytes());
        let start = put_header(buf, at, &header);
        let crc = crc32fast::hash(&buf[start..]);
        buf.extend_from_slice(&crc.to_le_bytes());
        self.send_seq = self.send_seq.wrapping_add(1);
        Ok(start)
    }

    fn decode(&mut self, input: &mut [u8]) -> Result<Decoded, TransportError> {
        let Some(declared) = read_u32_le(input, 0) else {
            return Ok(Decoded::NeedMore(4 - input.len()));
        };
        let total = declared as usize;
        if total < ENVELOPE || total % 4 != 0 {
            return Err(TransportError::BadLength { len: declared });
        }
        if total == ENVELOPE {
            return Err(TransportError::EmptyFrame);
        }
        if total - ENVELOPE > MAX_FRAME_LEN {
            return Err(TransportError::FrameTooLarge {
                len: total - ENVELOPE,
                max: MAX_FRAME_LEN,
            });
        }
        if input.len() < total {
            return Ok(Decoded::NeedMore(total - input.len()));
        }
        let body_end = total - 4;
        let expected = crc32fast::hash(&input[..body_end]);
        let got = read_u32_le(input, body_end).unwrap_or(!expected);
        if got != expected {
            return Err(TransportError::CrcMismatch { expected, got });
        }
        let seq = read_u32_le(input, 4).unwrap_or(!self.recv_seq);
        if seq != self.recv_seq {
            return Err(TransportError::SeqMismatch {
                expected: self.recv_seq,
                got: seq,
            });
        }
        self.recv_seq = self.recv_seq.wrapping_add(1);
        server_status(self.role, &input[8..body_end], 4)?;
        Ok(Decoded::Frame {
            payload: 8..body_end,
            consumed: total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::test_support::decode_chunked;

    // Computed independently with Python: struct.pack('<II', 20, seq) + payload, then
    // zlib.crc32 of those bytes appended little endian.
    const FRAME_SEQ0: &str = "14000000000000000102030405060708e06e4584";
    const FRAME_SEQ1: &str = "140000000100000001020304050607088f22e01f";
    const PAYLOAD: [u8; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

    #[test]
    fn matches_independent_vectors() {
        let mut c = Full::new(Role::Client);
        let mut out = Vec::new();
        c.encode(&PAYLOAD, &mut out).unwrap();
        assert_eq!(hex::encode(&out), FRAME_SEQ0);
        out.clear();
        c.encode(&PAYLOAD, &mut out).unwrap();
        assert_eq!(hex::encode(&out), FRAME_SEQ1);

        let mut wire = hex::decode(FRAME_SEQ0).unwrap();
        wire.extend(hex::decode(FRAME_SEQ1).unwrap());
        let got = decode_chunked(&mut Full::new(Role::Server), &wire, 3).unwrap();
        assert_eq!(got, vec![PAYLOAD.to_vec(), PAYLOAD.to_vec()]);
    }

    #[test]
    fn round_trip_both_directions() {
        let payloads: Vec<Vec<u8>> = [4usize, 12, 776, 100_000]
            .iter()
            .map(|&n| (0..n).map(|i| (i * 31) as u8).collect())
            .collect();
        for (sender, receiver) in [(Role::Client, Role::Server), (Role::Server, Role::Client)] {
            let mut tx = Full::new(sender);
            let mut wire = Vec::new();
            for p in &payloads {
                tx.encode(p, &mut wire).unwrap();
            }
            for chunk in [1, 13, wire.len()] {
                assert_eq!(
                    decode_chunked(&mut Full::new(receiver), &wire, chunk).unwrap(),
                    payloads
                );
            }
        }
    }

    #[test]
    fn corrupted_byte_fails_the_crc() {
        let mut wire = hex::decode(FRAME_SEQ0).unwrap();
        wire[10] ^= 0x01;
        assert!(matches!(
            Full::new(Role::Server).decode(&mut wire),
            Err(TransportError::CrcMismatch {
                got: 0x84456ee0,
                ..
            })
        ));
    }

    #[test]
    fn skipped_or_replayed_frame_fails_the_seq() {
        let mut rx = Full::new(Role::Server);
        assert_eq!(
            rx.decode(&mut hex::decode(FRAME_SEQ1).unwrap()),
            Err(TransportError::SeqMismatch {
                expected: 0,
                got: 1
            })
        );
        let mut rx = Full::new(Role::Server);
        assert!(rx.decode(&mut hex::decode(FRAME_SEQ0).unwrap()).is_ok());
        assert_eq!(
            rx.decode(&mut hex::decode(FRAME_SEQ0).unwrap()),
            Err(TransportError::SeqMismatch {
                expected: 1,
                got: 0
            })
        );
    }

    #[test]
    fn impossible_lengths_are_errors() {
        let mut rx = Full::new(Role::Server);
        assert_eq!(
            rx.decode(&mut [8, 0, 0, 0]),
            Err(TransportError::BadLength { len: 8 })
        );
        assert_eq!(
            rx.decode(&mut [13, 0, 0, 0]),
            Err(TransportError::BadLength { len: 13 })
        );
        assert_eq!(
            rx.decode(&mut [12, 0, 0, 0]),
            Err(TransportError::EmptyFrame)
        );
        assert!(matches!(
            rx.decode(&mut [0, 0, 0, 0x7f]),
            Err(TransportError::FrameTooLarge { .. })
        ));
    }

    #[test]
    fn status_from_server_is_typed() {
        let mut server = Full::new(Role::Server);
        let mut wire = Vec::new();
        server.encode(&(-404i32).to_le_bytes(), &mut wire).unwrap();
        assert_eq!(
            Full::new(Role::Client).decode(&mut wire),
            Err(TransportError::ServerStatus { code: -404 })
        );
    }
}
