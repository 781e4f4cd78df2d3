//! The fixtures of both crates encode to identical bytes, and each crate decodes the other's bytes
//! back to its own value, so the benchmark compares the same work.

use grammers_tl_types::{Deserializable as _, Serializable as _};
use tgwire_compare_tl_codec::{grammers, ours};
use tgwire_tl_types::{Deserializable as _, Serializable as _};

/// Asserts equal encodings, then decodes each crate's bytes with the other crate and re-encodes.
macro_rules! same {
    ($name:ident, $ours:ty, $grammers:ty) => {
        #[test]
        fn $name() {
            let mine = ours::$name().to_bytes();
            let theirs = grammers::$name().to_bytes();
            assert!(mine.len() > 100, "fixture too small to be meaningful");
            assert_eq!(mine, theirs, "encodings differ");
            let decoded_by_us = <$ours>::from_bytes(&theirs).expect("tgwire decodes");
            assert_eq!(decoded_by_us, ours::$name());
            let decoded_by_grammers = <$grammers>::from_bytes(&mine).expect("grammers decodes");
            assert_eq!(decoded_by_grammers.to_bytes(), mine);
        }
    };
}

same!(
    messages_page,
    tgwire_tl_types::enums::messages::Messages,
    grammers_tl_types::enums::messages::Messages
);
same!(
    difference,
    tgwire_tl_types::enums::updates::Difference,
    grammers_tl_types::enums::updates::Difference
);
same!(
    upload_file,
    tgwire_tl_types::enums::upload::File,
    grammers_tl_types::enums::upload::File
);

/// Requests decode only with `deserializable-functions`, which neither side enables here; compare the
/// bytes alone.
#[test]
fn send_message() {
    let mine = ours::send_message().to_bytes();
    assert_eq!(mine, grammers::send_message().to_bytes());
    assert_eq!(mine[..4], 0xfef4_8f62_u32.to_le_bytes());
}
