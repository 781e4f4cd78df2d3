//! The TLS record layer as fake TLS uses it: 5-byte headers (type, version `03 03`, big-endian
//! length) around unencrypted bytes that merely look like TLS 1.3 ciphertext.

use std::ops::Range;

use crate::error::MtProxyError;

/// `change_cipher_spec` record type.
pub(crate) const CHANGE_CIPHER_SPEC: u8 = 0x14;
/// `handshake` record type.
pub(crate) const HANDSHAKE: u8 = 0x16;
/// `application_data` record type.
pub(crate) const APPLICATION_DATA: u8 = 0x17;

/// Record header length.
pub(crate) const HEADER_LEN: usize = 5;

/// The most plaintext a TLS record may carry (2^14); we never write more per record.
pub(crate) const MAX_WRITE: usize = 1 << 14;

/// The most we accept per record: TLS 1.2's ciphertext bound (2^14 + 2048), which real TLS
/// servers that a proxy may front also respect.
pub(crate) const MAX_READ: usize = MAX_WRITE + 2048;

/// The change_cipher_spec record a TLS 1.3 client sends in compatibility mode.
pub(crate) const CCS_RECORD: [u8; 6] = [CHANGE_CIPHER_SPEC, 0x03, 0x03, 0x00, 0x01, 0x01];

/// One record found at the start of a buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Record {
    /// At least this many more bytes are needed.
    NeedMore(usize),
    /// A whole record.
    Complete {
        content_type: u8,
        /// Where the body is inside the input.
        body: Range<usize>,
        /// Header plus body.
        consumed: usize,
    },
}

/// Reads one record whose header carries `version` (`[3, 3]` except in a ClientHello).
pub(crate) fn decode(input: &[u8], version: [u8; 2], max: usize) -> Result<Record, MtProxyError> {
    let Some(&[content_type, major, minor, hi, lo]) = input.first_chunk::<HEADER_LEN>() else {
        return Ok(Record::NeedMore(HEADER_LEN - input.len()));
    };
    if [major, minor] != version {
        return Err(MtProxyError::UnexpectedRecord { content_type });
    }
    let len = usize::from(u16::from_be_bytes([hi, lo]));
    if len > max {
        return Err(MtProxyError::RecordTooLarge { len, max });
    }
    let total = HEADER_LEN + len;
    if input.len() < total {
        return Ok(Record::NeedMore(total - input.len()));
    }
    Ok(Record::Complete {
        content_type,
        body: HEADER_LEN..total,
        consumed: total,
    })
}

/// Appends `payload` as application-data records of at most [`MAX_WRITE`] bytes each.
pub(crate) fn encode_application_data(payload: &[u8], out: &mut Vec<u8>) {
    out.reserve(payload.len() + HEADER_LEN * payload.len().div_ceil(MAX_WRITE));
    for chunk in payload.chunks(MAX_WRITE) {
        // A chunk is at most 2^14 bytes, so its length fits in u16.
        let len = chunk.len() as u16;
        out.extend_from_slice(&[APPLICATION_DATA, 0x03, 0x03]);
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_two_to_the_fourteen() {
        let payload = vec![0x5a; MAX_WRITE * 2 + 1];
        let mut out = Vec::new();
        encode_application_data(&payload, &mut out);
        assert_eq!(out.len(), payload.len() + 3 * HEADER_LEN);
        assert_eq!(&out[..5], &[0x17, 0x03, 0x03, 0x40, 0x00]);
        let mut rest = &out[..];
        let mut lens = Vec::new();
        while !rest.is_empty() {
            match decode(rest, [3, 3], MAX_READ).unwrap() {
                Record::Complete {
                    content_type,
                    body,
                    consumed,
                } => {
                    assert_eq!(content_type, APPLICATION_DATA);
                    assert!(rest[body.clone()].iter().all(|&b| b == 0x5a));
                    lens.push(body.len());
                    rest = &rest[consumed..];
                }
                Record::NeedMore(_) => panic!("truncated"),
            }
        }
        assert_eq!(lens, [MAX_WRITE, MAX_WRITE, 1]);
    }

    #[test]
    fn header_checks() {
        assert_eq!(
            decode(&[0x17, 3], [3, 3], MAX_READ).unwrap(),
            Record::NeedMore(3)
        );
        assert_eq!(
            decode(&[0x17, 3, 3, 0, 2, 1], [3, 3], MAX_READ).unwrap(),
            Record::NeedMore(1)
        );
        assert_eq!(
            decode(&[0x17, 3, 1, 0, 2], [3, 3], MAX_READ),
            Err(MtProxyError::UnexpectedRecord { content_type: 0x17 })
        );
        assert_eq!(
            decode(&[0x17, 3, 3, 0xff, 0xff], [3, 3], MAX_READ),
            Err(MtProxyError::RecordTooLarge {
                len: 0xffff,
                max: MAX_READ
            })
        );
    }
}
