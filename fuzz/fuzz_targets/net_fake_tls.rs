//! Arbitrary bytes as a fake-TLS ClientHello (proxy side), as the proxy's answer (client side),
//! and as a raw MTProxy secret: each must be refused cleanly or accepted, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_net::proxy::mtproxy::{accept_client_hello, FakeTlsClient, HelloProgress};
use tgwire_net::MtProxySecret;

const KEY: [u8; 16] = *b"fuzzing-fake-tls";
const NOW: u32 = 1_700_000_000;

fuzz_target!(|data: &[u8]| {
    let mut rng = StdRng::seed_from_u64(1);
    if let Ok(HelloProgress::Done { consumed, .. }) =
        accept_client_hello(data, &KEY, "example.com", NOW, 120, &mut rng)
    {
        assert!(consumed <= data.len());
    }
    let mut hello = Vec::new();
    let client = FakeTlsClient::start(&KEY, "example.com", NOW, &mut rng, &mut hello);
    if let Ok(HelloProgress::Done { consumed, .. }) = client.read_server_hello(data) {
        assert!(consumed <= data.len());
    }
    if let Ok(secret) = MtProxySecret::from_bytes(data) {
        assert_eq!(secret.to_bytes(), data);
    }
});
