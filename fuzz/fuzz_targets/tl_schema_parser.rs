//! Arbitrary text as a TL schema: the parser must report errors (with positions inside the text) rather
//! than panic, and whatever parses cleanly must go through the generator without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (schema, errors) = tgwire_tl_parser::parse_lenient(text);
    let lines = text.lines().count().max(1);
    for error in &errors {
        assert!(error.line >= 1 && error.line <= lines + 1, "{error}");
    }
    if errors.is_empty() {
        let _ = tgwire_tl_gen::generate(&schema, &tgwire_tl_gen::Config::default());
    }
});
