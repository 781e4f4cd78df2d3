//! The sliver of DER (X.690) that PKCS#1 RSA keys need: SEQUENCE and
//! non-negative INTEGER, read strictly and written canonically, plus the PEM
//! armour around them.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::Error;

const TAG_INTEGER: u8 = 0x02;
const TAG_SEQUENCE: u8 = 0x30;

/// A cursor over DER bytes.
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.rest.len() {
            return Err(Error::MalformedKey("DER value runs past the end"));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    /// Reads one tag-length-value and returns its contents.
    fn tlv(&mut self, tag: u8) -> Result<&'a [u8], Error> {
        let got = self.take(1)?[0];
        if got != tag {
            return Err(Error::MalformedKey("unexpected DER tag"));
        }
        let first = self.take(1)?[0];
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            // More than 4 length bytes would describe gigabytes: not a key.
            if count == 0 || count > 4 {
                return Err(Error::MalformedKey("unsupported DER length"));
            }
            let bytes = self.take(count)?;
            if bytes[0] == 0 {
                return Err(Error::MalformedKey("non-minimal DER length"));
            }
            let len = bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err(Error::MalformedKey("non-minimal DER length"));
            }
            len
        };
        self.take(len)
    }

    /// Reads a SEQUENCE and returns a reader over its contents.
    pub(crate) fn sequence(&mut self) -> Result<Reader<'a>, Error> {
        self.tlv(TAG_SEQUENCE).map(Reader::new)
    }

    /// Reads a non-negative INTEGER as minimal big-endian magnitude bytes.
    pub(crate) fn unsigned_integer(&mut self) -> Result<&'a [u8], Error> {
        let bytes = self.tlv(TAG_INTEGER)?;
        match bytes {
            [] => Err(Error::MalformedKey("empty DER integer")),
            [first, ..] if first & 0x80 != 0 => Err(Error::MalformedKey("negative DER integer")),
            [0, second, ..] if second & 0x80 == 0 => {
                Err(Error::MalformedKey("non-minimal DER integer"))
            }
            [0, rest @ ..] if !rest.is_empty() => Ok(rest),
            _ => Ok(bytes),
        }
    }
}

fn write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Appends a non-negative INTEGER given as big-endian magnitude bytes.
pub(crate) fn write_unsigned_integer(out: &mut Vec<u8>, magnitude: &[u8]) {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let digits = &magnitude[skip..];
    let pad = digits.first().is_none_or(|&b| b & 0x80 != 0);
    out.push(TAG_INTEGER);
    write_len(out, digits.len() + usize::from(pad));
    if pad {
        out.push(0);
    }
    out.extend_from_slice(digits);
}

/// Wraps already-encoded contents in a SEQUENCE.
pub(crate) fn write_sequence(contents: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(contents.len() + 4);
    out.push(TAG_SEQUENCE);
    write_len(&mut out, contents.len());
    out.extend_from_slice(contents);
    out
}

/// Extracts and base64-decodes the body between `-----BEGIN {label}-----`
/// and `-----END {label}-----`.
pub(crate) fn pem_decode(pem: &str, label: &str) -> Result<Vec<u8>, Error> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem
        .find(&begin)
        .ok_or(Error::MalformedKey("PEM header not found"))?
        + begin.len();
    let stop = pem[start..]
        .find(&end)
        .ok_or(Error::MalformedKey("PEM footer not found"))?
        + start;
    let body: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(body)
        .map_err(|_| Error::MalformedKey("PEM body is not valid base64"))
}

/// Armours DER bytes as PEM with 64-character lines.
pub(crate) fn pem_encode(der: &[u8], label: &str) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(core::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_round_trip_canonically() {
        for value in [
            &[0u8][..],
            &[1],
            &[0x7f],
            &[0x80],
            &[0, 0, 0x12, 0x34],
            &[0xff; 200],
        ] {
            let mut der = Vec::new();
            write_unsigned_integer(&mut der, value);
            let mut reader = Reader::new(&der);
            let read = reader.unsigned_integer().unwrap();
            let stripped: Vec<u8> = value.iter().copied().skip_while(|&b| b == 0).collect();
            let expected = if stripped.is_empty() {
                vec![0]
            } else {
                stripped
            };
            assert_eq!(read, expected.as_slice());
            assert!(reader.is_empty());
        }
        let mut der = Vec::new();
        write_unsigned_integer(&mut der, &[0x80]);
        assert_eq!(der, [0x02, 0x02, 0x00, 0x80]);
        let mut der = Vec::new();
        write_unsigned_integer(&mut der, &[0x11; 300]);
        assert_eq!(der[..4], [0x02, 0x82, 0x01, 0x2c]);
    }

    #[test]
    fn rejects_malformed_der() {
        let bad: [&[u8]; 8] = [
            &[],
            &[0x02],
            &[0x02, 0x05, 1, 2],          // runs past the end
            &[0x04, 0x01, 0x00],          // wrong tag
            &[0x02, 0x01, 0x80],          // negative
            &[0x02, 0x02, 0x00, 0x01],    // non-minimal integer
            &[0x02, 0x81, 0x01, 0x01],    // non-minimal length
            &[0x02, 0x85, 1, 1, 1, 1, 1], // absurd length
        ];
        for der in bad {
            assert!(Reader::new(der).unsigned_integer().is_err(), "{der:?}");
        }
    }

    #[test]
    fn pem_round_trip_and_errors() {
        let der: Vec<u8> = (0..=255).collect();
        let pem = pem_encode(&der, "RSA PUBLIC KEY");
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert_eq!(pem_decode(&pem, "RSA PUBLIC KEY").unwrap(), der);
        assert!(pem_decode(&pem, "RSA PRIVATE KEY").is_err());
        assert!(pem_decode("-----BEGIN X-----\n!!\n-----END X-----", "X").is_err());
        assert!(pem_decode("-----BEGIN X-----\nAAAA", "X").is_err());
    }
}
