//! Server side: recognise the transport a client speaks from its first bytes.
//!
//! The order of checks mirrors what obfuscated2 headers are forbidden to start with, which is
//! what makes the choice unambiguous:
//!
//! 1. `0xef` → abridged; `ee ee ee ee` → intermediate; `dd dd dd dd` → padded intermediate
//!    (the marker is consumed);
//! 2. `16 03 01 02` → a fake-TLS ClientHello (an `ee` MTProxy client, see `proxy::mtproxy`);
//!    `HEAD`/`POST`/`GET `/`OPTI` → HTTP, which is refused;
//! 3. bytes 4..8 all zero → the sequence number 0 of a full-transport frame (nothing consumed:
//!    the frame is the first packet);
//! 4. otherwise 64 bytes of obfuscated2 header, decrypted to read the protocol tag.
//!
//! With an MTProxy secret only obfuscated2 (and fake TLS) is accepted, as a real proxy does.

use rand::RngCore;

use super::obfuscated::{ObfuscatedHello, HEADER_LEN};
use super::{
    read_u32_le, Abridged, AnyTransport, Full, Intermediate, Obfuscated, PaddedIntermediate, Role,
    TransportError, MAX_FRAME_LEN,
};

/// The outcome of [`detect`].
// Returned once per connection and immediately unpacked: boxing the codec would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum Detection {
    /// Not enough bytes to decide: at least this many more are needed.
    NeedMore(usize),
    /// The client speaks this transport.
    Transport {
        /// A server-role codec, ready to decode `input[consumed..]`.
        transport: AnyTransport,
        /// Bytes of marker or header to drop from the input.
        consumed: usize,
        /// The DC id and framing an obfuscated2 header carried.
        obfuscated: Option<ObfuscatedHello>,
    },
    /// The client opened with a TLS ClientHello: a fake-TLS MTProxy client. Nothing consumed;
    /// hand the bytes to `proxy::mtproxy::accept_client_hello`.
    FakeTls,
}

/// Recognises the transport from the first bytes a client sent. `secret` is the 16-byte MTProxy
/// secret when serving as an MTProxy; `rng` seeds server-side padding.
///
/// # Errors
///
/// [`TransportError::HttpNotSupported`], [`TransportError::UnknownTransport`] for a
/// full-transport frame with an impossible length, and [`TransportError::BadObfuscatedTag`] when
/// no protocol tag (or another secret) was used.
pub fn detect(
    input: &[u8],
    secret: Option<&[u8; 16]>,
    rng: &mut impl RngCore,
) -> Result<Detection, TransportError> {
    let Some(&first) = input.first() else {
        return Ok(Detection::NeedMore(1));
    };
    if secret.is_none() && first == super::abridged::ABRIDGED_MARKER {
        return Ok(found(
            AnyTransport::Abridged(Abridged::unmarked(Role::Server)),
            1,
        ));
    }
    let Some(first_int) = input.first_chunk::<4>() else {
        return Ok(Detection::NeedMore(4 - input.len()));
    };
    match first_int {
        [0x16, 0x03, 0x01, 0x02] => return Ok(Detection::FakeTls),
        b"HEAD" | b"POST" | b"GET " | b"OPTI" => return Err(TransportError::HttpNotSupported),
        _ => {}
    }
    if secret.is_none() {
        if *first_int == super::intermediate::INTERMEDIATE_MARKER {
            return Ok(found(
                AnyTransport::Intermediate(Intermediate::unmarked(Role::Server)),
                4,
            ));
        }
        if *first_int == super::padded::PADDED_MARKER {
            return Ok(found(
                AnyTransport::PaddedIntermediate(PaddedIntermediate::unmarked(Role::Server, rng)),
                4,
            ));
        }
        let Some(seq) = read_u32_le(input, 4) else {
            return Ok(Detection::NeedMore(8 - input.len()));
        };
        if seq == 0 {
            let len = u32::from_le_bytes(*first_int) as usize;
            let plausible = len > 12 && len % 4 == 0 && len - 12 <= MAX_FRAME_LEN;
            if !plausible {
                return Err(TransportError::UnknownTransport);
            }
            return Ok(found(AnyTransport::Full(Full::new(Role::Server)), 0));
        }
    }
    let Some(header) = input.first_chunk::<HEADER_LEN>() else {
        return Ok(Detection::NeedMore(HEADER_LEN - input.len()));
    };
    let (codec, hello) = Obfuscated::server(header, secret, rng)?;
    Ok(Detection::Transport {
        transport: AnyTransport::Obfuscated(codec),
        consumed: HEADER_LEN,
        obfuscated: Some(hello),
    })
}

fn found(transport: AnyTransport, consumed: usize) -> Detection {
    Detection::Transport {
        transport,
        consumed,
        obfuscated: None,
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;
    use crate::transport::test_support::decode_chunked;
    use crate::transport::{Framing, Transport, TransportKind};

    /// Detects progressively, the way a server reading a socket would, then decodes the rest.
    fn detect_then_decode(wire: &[u8], secret: Option<&[u8; 16]>) -> (AnyTransport, Vec<Vec<u8>>) {
        let mut rng = StdRng::seed_from_u64(7);
        for have in 0..wire.len() {
            match detect(&wire[..have], secret, &mut rng).unwrap() {
                Detection::NeedMore(n) => assert!(have + n <= wire.len()),
                Detection::Transport {
                    mut transport,
                    consumed,
                    ..
                } => {
                    let payloads = decode_chunked(&mut transport, &wire[consumed..], 9).unwrap();
                    return (transport, payloads);
                }
                Detection::FakeTls => panic!("not TLS"),
            }
        }
        panic!("never detected");
    }

    #[test]
    fn every_client_transport_is_recognised() {
        let mut rng = StdRng::seed_from_u64(8);
        let payloads = vec![vec![0x11u8; 40], vec![0x22u8; 1024]];
        let kinds = TransportKind::ALL;
        for kind in kinds {
            let mut client = AnyTransport::client(kind, 2, &mut rng);
            let mut wire = Vec::new();
            for p in &payloads {
                client.encode(p, &mut wire).unwrap();
            }
            let (server, got) = detect_then_decode(&wire, None);
            let same_kind = matches!(
                (kind, &server),
                (TransportKind::Abridged, AnyTransport::Abridged(_))
                    | (TransportKind::Intermediate, AnyTransport::Intermediate(_))
                    | (
                        TransportKind::PaddedIntermediate,
                        AnyTransport::PaddedIntermediate(_)
                    )
                    | (TransportKind::Full, AnyTransport::Full(_))
                    | (TransportKind::Obfuscated(_), AnyTransport::Obfuscated(_))
            );
            assert!(same_kind, "{kind:?} detected as {server:?}");
            for (g, p) in got.iter().zip(&payloads) {
                assert!(g.starts_with(p) && g.len() - p.len() < 16, "{kind:?}");
            }
        }
    }

    #[test]
    fn obfuscated_header_reports_dc_and_framing() {
        let mut rng = StdRng::seed_from_u64(9);
        let secret = [3u8; 16];
        let mut client =
            Obfuscated::client(Framing::PaddedIntermediate, 10_002, Some(&secret), &mut rng);
        let mut wire = Vec::new();
        client.encode(&[5; 24], &mut wire).unwrap();
        match detect(&wire, Some(&secret), &mut rng).unwrap() {
            Detection::Transport {
                obfuscated: Some(hello),
                consumed: 64,
                ..
            } => {
                assert_eq!(hello.dc_id, 10_002);
                assert_eq!(hello.framing, Framing::PaddedIntermediate);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn secret_refuses_plain_transports() {
        let mut rng = StdRng::seed_from_u64(10);
        let secret = [3u8; 16];
        // 0xef alone no longer decides anything: 64 bytes are awaited, then the tag is wrong.
        let mut wire = vec![0xef, 1, 0, 0, 0];
        assert!(matches!(
            detect(&wire, Some(&secret), &mut rng),
            Ok(Detection::NeedMore(59))
        ));
        wire.resize(64, 0);
        assert!(matches!(
            detect(&wire, Some(&secret), &mut rng),
            Err(TransportError::BadObfuscatedTag { .. })
        ));
    }

    #[test]
    fn tls_http_and_nonsense() {
        let mut rng = StdRng::seed_from_u64(11);
        assert!(matches!(
            detect(&[0x16, 0x03, 0x01, 0x02, 0x00], None, &mut rng),
            Ok(Detection::FakeTls)
        ));
        assert!(matches!(
            detect(b"POST /api HTTP/1.1", None, &mut rng),
            Err(TransportError::HttpNotSupported)
        ));
        // Sequence number zero but a length no full frame can have.
        assert!(matches!(
            detect(&[7, 0, 0, 0, 0, 0, 0, 0], None, &mut rng),
            Err(TransportError::UnknownTransport)
        ));
        assert!(matches!(
            detect(&[], None, &mut rng),
            Ok(Detection::NeedMore(1))
        ));
        assert!(matches!(
            detect(&[1, 2, 3, 4, 5, 6, 7, 8], None, &mut rng),
            Ok(Detection::NeedMore(56))
        ));
    }
}
