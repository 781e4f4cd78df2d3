//! Arbitrary bytes decoded as any TL object or function call, chosen by the constructor id they start
//! with (the first input byte picks the API or the MTProto schema). Decoding must fail cleanly or give a
//! value whose encoding decodes to itself again (after one pass, lossy strings and unknown flag bits are
//! normalised, so a second pass must be exact).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgwire_tl_types::dynamic::{reencode_api, reencode_mtproto};

fuzz_target!(|data: &[u8]| {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    let reencode = if which & 1 == 0 {
        reencode_api
    } else {
        reencode_mtproto
    };
    if let Some(Ok(normalised)) = reencode(bytes) {
        assert_eq!(reencode(&normalised), Some(Ok(normalised.clone())));
    }
});
