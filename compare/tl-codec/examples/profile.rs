//! Runs one codec on one fixture in a loop, for a profiler (callgrind counts instructions, so its
//! numbers do not depend on machine load).
//!
//! `cargo build --profile bench --example profile --manifest-path compare/tl-codec/Cargo.toml`, then
//! `valgrind --tool=callgrind <target>/bench/examples/profile <tgwire|grammers> <serialize|deserialize>
//! <messages_page|difference|upload_file> [iterations]`.

use tgwire_compare_tl_codec::{grammers, ours};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [codec, op, fixture] = [0, 1, 2].map(|i| args.get(i).map(String::as_str).unwrap_or(""));
    let iterations: usize = args.get(3).and_then(|n| n.parse().ok()).unwrap_or(100);

    macro_rules! run {
        ($name:ident, $ours:ty, $grammers:ty) => {{
            let value = ours::$name();
            let bytes = tgwire_tl_types::Serializable::to_bytes(&value);
            let theirs = grammers::$name();
            let mut buf = Vec::with_capacity(bytes.len());
            for _ in 0..iterations {
                buf.clear();
                let n = match (codec, op) {
                    ("tgwire", "serialize") => {
                        tgwire_tl_types::Serializable::serialize(&value, &mut buf);
                        buf.len()
                    }
                    ("grammers", "serialize") => {
                        grammers_tl_types::Serializable::serialize(&theirs, &mut buf);
                        buf.len()
                    }
                    ("tgwire", "deserialize") => {
                        let v = <$ours as tgwire_tl_types::Deserializable>::from_bytes(&bytes);
                        std::hint::black_box(v).map(|_| 1).expect("valid")
                    }
                    ("grammers", "deserialize") => {
                        let v = <$grammers as grammers_tl_types::Deserializable>::from_bytes(&bytes);
                        std::hint::black_box(v).map(|_| 1).expect("valid")
                    }
                    _ => panic!("usage: profile <tgwire|grammers> <serialize|deserialize> <fixture> [n]"),
                };
                std::hint::black_box(n);
            }
        }};
    }
    match fixture {
        "messages_page" => run!(
            messages_page,
            tgwire_tl_types::enums::messages::Messages,
            grammers_tl_types::enums::messages::Messages
        ),
        "difference" => run!(
            difference,
            tgwire_tl_types::enums::updates::Difference,
            grammers_tl_types::enums::updates::Difference
        ),
        "upload_file" => run!(
            upload_file,
            tgwire_tl_types::enums::upload::File,
            grammers_tl_types::enums::upload::File
        ),
        _ => panic!("unknown fixture {fixture:?}"),
    }
}
