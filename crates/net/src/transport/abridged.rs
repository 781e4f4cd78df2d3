//! The abridged transport: a length in 4-byte words, in one byte when it is below 127 and
//! otherwise as `0x7f` followed by three little-endian bytes.

use super::{
    check_payload, payload_at, put_header, server_status, Decoded, Role, Transport, MAX_FRAME_LEN,
};
use crate::error::TransportError;

/// The marker a client sends before its first abridged packet.
pub(crate) const ABRIDGED_MARKER: u8 = 0xef;

/// Lengths of 127 words or more are escaped with this first byte.
const LONG_LENGTH: u8 = 0x7f;

/// A first byte with the top bit set asks for (client) or carries (server) a quick ack.
const QUICK_ACK_BIT: u8 = 0x80;

/// The abridged codec. Payloads must be a multiple of 4 bytes.
#[derive(Debug, Clone)]
pub struct Abridged {
    role: Role,
    marker_pending: bool,
}

impl Abridged {
    /// A codec for `role`; in the client role it writes `0xef` before its first packet.
    pub fn new(role: Role) -> Self {
        Abridged {
            role,
            marker_pending: role == Role::Client,
        }
    }

    /// A codec that never writes the marker, for use inside obfuscated2 (whose header carries the
    /// protocol tag) or after the server already read it.
    pub(crate) fn unmarked(role: Role) -> Self {
        Abridged {
            role,
            marker_pending: false,
        }
    }
}

impl Abridged {
    /// The marker (first packet of a client) and length in front of a payload of `len`
    /// bytes, checked: at most 5 bytes, `.1` of them used.
    fn header(&mut self, len: usize) -> Result<([u8; 5], usize), TransportError> {
        if len % 4 != 0 {
            return Err(TransportError::PayloadNotAligned { len });
        }
        let words = len / 4;
        let mut header = [0u8; 5];
        let mut used = 0;
        if self.marker_pending {
            header[0] = ABRIDGED_MARKER;
            used = 1;
            self.marker_pending = false;
        }
        match u8::try_from(words) {
            Ok(w) if w < LONG_LENGTH => {
                header[used] = w;
                used += 1;
            }
            // MAX_FRAME_LEN / 4 fits in 24 bits, so the top byte of `words` is always zero.
            _ => {
                let [a, b, c, _] = (words as u32).to_le_bytes();
                header[used..used + 4].copy_from_slice(&[LONG_LENGTH, a, b, c]);
                used += 4;
            }
        }
        Ok((header, used))
    }
}

impl Transport for Abridged {
    fn encode(&mut self, payload: &[u8], out: &mut Vec<u8>) -> Result<(), TransportError> {
        check_payload(payload)?;
        let (header, used) = self.header(payload.len())?;
        out.reserve(payload.len() + used);
        out.extend_from_slice(&header[..used]);
        out.extend_from_slice(payload);
        Ok(())
    }

    fn headroom(&self) -> usize {
        5
    }

    fn encode_in_place(&mut self, buf: &mut Vec<u8>, at: usize) -> Result<usize, TransportError> {
        let len = payload_at(buf, at)?.len();
        let (header, used) = self.header(len)?;
        Ok(put_header(buf, at, &header[..used]))
    }

    fn decode(&mut self, input: &mut [u8]) -> Result<Decoded, TransportError> {
        let Some(&first) = input.first() else {
            return Ok(Decoded::NeedMore(1));
        };
        if first & QUICK_ACK_BIT != 0 {
            return Err(TransportError::UnexpectedQuickAck);
        }
        let (header, words) = if first == LONG_LENGTH {
            match input.get(1..4) {
                Some(&[a, b, c]) => (4, u32::from_le_bytes([a, b, c, 0]) as usize),
                _ => return Ok(Decoded::NeedMore(4 - input.len())),
            }
        } else {
            (1, usize::from(first))
        };
        let len = words * 4;
        if len == 0 {
            return Err(TransportError::EmptyFrame);
        }
        if len > MAX_FRAME_LEN {
            return Err(TransportError::FrameTooLarge {
                len,
                max: MAX_FRAME_LEN,
            });
        }
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

/// [`AnyTransport::frame_ahead`](super::AnyTransport::frame_ahead) for abridged framing.
pub(crate) fn frame_ahead(input: &[u8]) -> Option<super::FrameAhead> {
    let (header, words) = match *input {
        [LONG_LENGTH, a, b, c, ..] => (4, u32::from_le_bytes([a, b, c, 0]) as usize),
        [first, ..] if first != LONG_LENGTH && first & QUICK_ACK_BIT == 0 => {
            (1, usize::from(first))
        }
        _ => return None,
    };
    let len = words * 4;
    (len > 0 && len <= MAX_FRAME_LEN).then(|| super::FrameAhead {
        payload: header..header + len,
        readable: input.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::test_support::decode_chunked;

    fn encode_one(codec: &mut Abridged, payload: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        codec.encode(payload, &mut out).expect("encodes");
        out
    }

    // The transports page: "payload length, divided by four, and encoded as a single byte" below
    // 127 words; otherwise "a single byte of value 0x7f" then "3 length bytes (little endian)".
    #[test]
    fn short_length_is_one_byte_of_words() {
        let mut c = Abridged::unmarked(Role::Server);
        let out = encode_one(&mut c, &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(out, [0x02, 1, 2, 3, 4, 5, 6, 7, 8]);
        let out = encode_one(&mut c, &[0xaa; 126 * 4]);
        assert_eq!(out[0], 0x7e);
        assert_eq!(out.len(), 1 + 504);
    }

    #[test]
    fn length_of_127_words_takes_the_escape() {
        let mut c = Abridged::unmarked(Role::Server);
        let out = encode_one(&mut c, &[0xbb; 127 * 4]);
        assert_eq!(&out[..4], &[0x7f, 0x7f, 0x00, 0x00]);
        assert_eq!(out.len(), 4 + 508);
        // 0x012345 words = 298 260 bytes: the 3 length bytes are little endian.
        let out = encode_one(&mut c, &vec![0; 0x012345 * 4]);
        assert_eq!(&out[..4], &[0x7f, 0x45, 0x23, 0x01]);
    }

    #[test]
    fn client_writes_marker_once() {
        let mut c = Abridged::new(Role::Client);
        let first = encode_one(&mut c, &[9; 4]);
        let second = encode_one(&mut c, &[9; 4]);
        assert_eq!(first, [0xef, 0x01, 9, 9, 9, 9]);
        assert_eq!(second, [0x01, 9, 9, 9, 9]);
    }

    #[test]
    fn round_trip_both_directions_any_chunking() {
        let payloads: Vec<Vec<u8>> = [4usize, 8, 504, 508, 1024, 70_000]
            .iter()
            .map(|&n| (0..n).map(|i| (i * 7 + n) as u8).collect())
            .collect();
        for (sender, receiver) in [(Role::Client, Role::Server), (Role::Server, Role::Client)] {
            let mut tx = Abridged::unmarked(sender);
            let mut wire = Vec::new();
            for p in &payloads {
                tx.encode(p, &mut wire).unwrap();
            }
            for chunk in [1, 3, 500, wire.len()] {
                let mut rx = Abridged::unmarked(receiver);
                assert_eq!(decode_chunked(&mut rx, &wire, chunk).unwrap(), payloads);
            }
        }
    }

    #[test]
    fn need_more_reports_the_missing_bytes() {
        let mut c = Abridged::unmarked(Role::Client);
        assert_eq!(c.decode(&mut []).unwrap(), Decoded::NeedMore(1));
        assert_eq!(c.decode(&mut [0x7f, 1]).unwrap(), Decoded::NeedMore(2));
        assert_eq!(c.decode(&mut [0x02, 1, 2]).unwrap(), Decoded::NeedMore(6));
    }

    #[test]
    fn misuse_and_garbage_are_errors() {
        let mut c = Abridged::unmarked(Role::Client);
        let mut out = Vec::new();
        assert_eq!(
            c.encode(&[1, 2, 3], &mut out),
            Err(TransportError::PayloadNotAligned { len: 3 })
        );
        assert_eq!(c.encode(&[], &mut out), Err(TransportError::EmptyFrame));
        assert!(out.is_empty());
        assert_eq!(c.decode(&mut [0x00]), Err(TransportError::EmptyFrame));
        assert_eq!(
            c.decode(&mut [0x81, 0, 0, 0]),
            Err(TransportError::UnexpectedQuickAck)
        );
        // 0xffffff words would be 64 MiB: refused from the header alone.
        assert_eq!(
            c.decode(&mut [0x7f, 0xff, 0xff, 0xff]),
            Err(TransportError::FrameTooLarge {
                len: 0xff_ffff * 4,
                max: MAX_FRAME_LEN
            })
        );
    }

    #[test]
    fn negative_status_is_typed_for_the_client_only() {
        let mut wire = vec![0x01];
        wire.extend_from_slice(&(-404i32).to_le_bytes());
        let mut client = Abridged::unmarked(Role::Client);
        assert_eq!(
            client.decode(&mut wire.clone()),
            Err(TransportError::ServerStatus { code: -404 })
        );
        let mut server = Abridged::unmarked(Role::Server);
        assert!(matches!(
            server.decode(&mut wire),
            Ok(Decoded::Frame { consumed: 5, .. })
        ));
    }
}
