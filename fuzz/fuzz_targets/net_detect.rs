//! Arbitrary first bytes of a connection into the server-side transport detector, with and
//! without an MTProxy secret; whatever it recognises then decodes the rest.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_net::transport::{detect, Detection};
use tgwire_net::{Decoded, Transport};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut rng = StdRng::seed_from_u64(0);
    let secret = [mode; 16];
    let secret = (mode & 1 == 1).then_some(&secret);
    match detect(rest, secret, &mut rng) {
        Ok(Detection::NeedMore(n)) => assert!(n > 0 && rest.len() + n <= 64),
        Ok(Detection::Transport {
            mut transport,
            consumed,
            ..
        }) => {
            let mut buf = rest[consumed..].to_vec();
            while let Ok(Decoded::Frame { consumed, .. }) = transport.decode(&mut buf) {
                buf.drain(..consumed);
            }
        }
        Ok(_) | Err(_) => {}
    }
});
