//! Prints a fresh 2048-bit RSA key pair as PKCS#1 PEM, plus its fingerprint.
//!
//! `cargo run -p tgwire-crypto --example gen_rsa_key [SEED]`: with a numeric
//! seed the key is reproducible (that is how `testdata/test_rsa_key.pem` was
//! made, seed 20260101); without one it comes from the OS RNG. Test keys only.

use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_crypto::RsaPrivateKey;

fn main() -> Result<(), tgwire_crypto::Error> {
    let mut rng = match std::env::args().nth(1).and_then(|s| s.parse::<u64>().ok()) {
        Some(seed) => StdRng::seed_from_u64(seed),
        None => StdRng::from_entropy(),
    };
    let key = RsaPrivateKey::generate(2048, &mut rng)?;
    print!("{}", key.to_pkcs1_pem().as_str());
    print!("{}", key.public_key().to_pkcs1_pem());
    println!("fingerprint {:#018x}", key.public_key().fingerprint());
    Ok(())
}
