//! The generator's golden test: `golden/example.tl` must generate exactly `golden/example.rs`.
//! (`golden_code.rs` compiles that file and checks what it encodes.)
//!
//! After an intended generator change, refresh the file with
//! `UPDATE_GOLDEN=1 cargo test -p tgwire-tl-gen --test golden` and review the diff.

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/example.rs");

fn generate() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/example.tl"
    ))
    .unwrap();
    let schema = tgwire_tl_parser::parse(&text).unwrap();
    tgwire_tl_gen::generate(&schema, &tgwire_tl_gen::Config::default()).unwrap()
}

#[test]
fn example_output_matches_golden_file() {
    let generated = generate();
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(GOLDEN, &generated).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    assert!(
        golden == generated,
        "tests/golden/example.rs is stale: run `UPDATE_GOLDEN=1 cargo test -p tgwire-tl-gen --test golden`"
    );
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(generate(), generate());
}
