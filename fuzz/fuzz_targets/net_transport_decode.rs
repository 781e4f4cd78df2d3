//! Arbitrary bytes into every transport decoder, in both roles, delivered in arbitrary pieces:
//! decoding must yield frames inside the input, ask for more, or fail; never panic, never claim
//! a frame longer than the input or the 16 MiB bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_net::transport::{detect, Detection};
use tgwire_net::{AnyTransport, Decoded, Transport, TransportKind, MAX_FRAME_LEN};

const KINDS: [TransportKind; 7] = TransportKind::ALL;

fuzz_target!(|data: &[u8]| {
    let Some((&[mode, piece], rest)) = data.split_first_chunk::<2>() else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(u64::from(mode));
    let kind = KINDS[usize::from(mode) % KINDS.len()];
    let mut client = AnyTransport::client(kind, 2, &mut rng);
    // The server role comes from detecting the client's first frame, as a real server gets it.
    let mut first = Vec::new();
    client.encode(&[0; 8], &mut first).unwrap();
    let mut codec = match detect(&first, None, &mut rng) {
        Ok(Detection::Transport {
            mut transport,
            consumed,
            ..
        }) if mode & 0x80 != 0 => {
            let mut probe = first[consumed..].to_vec();
            assert!(matches!(
                transport.decode(&mut probe),
                Ok(Decoded::Frame { .. })
            ));
            transport
        }
        _ => client,
    };
    let piece = usize::from(piece).max(1);
    let mut buf = Vec::new();
    for chunk in rest.chunks(piece) {
        buf.extend_from_slice(chunk);
        loop {
            match codec.decode(&mut buf) {
                Ok(Decoded::Frame { payload, consumed }) => {
                    assert!(consumed > 0 && consumed <= buf.len());
                    assert!(payload.end <= consumed && payload.len() <= MAX_FRAME_LEN);
                    buf.drain(..consumed);
                }
                Ok(Decoded::NeedMore(n)) => {
                    assert!(n > 0);
                    break;
                }
                Err(_) => return,
            }
        }
    }
});
