//! tgwire-tl-types against grammers-tl-types: serialise and deserialise the same objects (identical
//! bytes, asserted before measuring).
//!
//! Run from the repository root:
//! `cargo bench --manifest-path compare/tl-codec/Cargo.toml -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use tgwire_compare_tl_codec::{grammers, ours};

/// Benches `serialize` into a reused buffer and `from_bytes` for both crates' `$fixture`, in one group.
macro_rules! side_by_side {
    ($c:expr, $fixture:ident, $ours:ty, $grammers:ty, decode: $decode:tt) => {{
        let mine = ours::$fixture();
        let theirs = grammers::$fixture();
        let bytes = tgwire_tl_types::Serializable::to_bytes(&mine);
        assert_eq!(bytes, grammers_tl_types::Serializable::to_bytes(&theirs));
        let mut group = $c.benchmark_group(format!("{} ({} B)", stringify!($fixture), bytes.len()));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function("serialize/tgwire", |b| {
            let mut buf = Vec::with_capacity(bytes.len());
            b.iter(|| {
                buf.clear();
                tgwire_tl_types::Serializable::serialize(black_box(&mine), &mut buf);
                black_box(buf.len())
            })
        });
        group.bench_function("serialize/grammers", |b| {
            let mut buf = Vec::with_capacity(bytes.len());
            b.iter(|| {
                buf.clear();
                grammers_tl_types::Serializable::serialize(black_box(&theirs), &mut buf);
                black_box(buf.len())
            })
        });
        side_by_side!(@decode $decode, group, bytes, $ours, $grammers);
        group.finish();
    }};
    (@decode true, $group:ident, $bytes:ident, $ours:ty, $grammers:ty) => {
        $group.bench_function("deserialize/tgwire", |b| {
            b.iter(|| <$ours as tgwire_tl_types::Deserializable>::from_bytes(black_box(&$bytes)).expect("valid"))
        });
        $group.bench_function("deserialize/grammers", |b| {
            b.iter(|| <$grammers as grammers_tl_types::Deserializable>::from_bytes(black_box(&$bytes)).expect("valid"))
        });
    };
    (@decode false, $group:ident, $bytes:ident, $ours:ty, $grammers:ty) => {};
}

fn bench(c: &mut Criterion) {
    side_by_side!(
        c,
        messages_page,
        tgwire_tl_types::enums::messages::Messages,
        grammers_tl_types::enums::messages::Messages,
        decode: true
    );
    side_by_side!(
        c,
        difference,
        tgwire_tl_types::enums::updates::Difference,
        grammers_tl_types::enums::updates::Difference,
        decode: true
    );
    side_by_side!(
        c,
        upload_file,
        tgwire_tl_types::enums::upload::File,
        grammers_tl_types::enums::upload::File,
        decode: true
    );
    // A client sends requests and never decodes them.
    side_by_side!(c, send_message, (), (), decode: false);
}

criterion_group!(benches, bench);
criterion_main!(benches);
