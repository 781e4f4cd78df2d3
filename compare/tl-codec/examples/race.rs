//! A load-tolerant A/B timing: alternates short rounds of tgwire and grammers on the same fixture and
//! reports, per codec, the fastest and the median round (per operation). On a shared, busy machine the
//! fastest of many short rounds is the one nobody preempted, so it is the steadier number; criterion's
//! medians (the `codec` bench) are the ones to quote on a quiet machine.
//!
//! `cargo run --release --example race --manifest-path compare/tl-codec/Cargo.toml [rounds]`

use std::hint::black_box;
use std::time::{Duration, Instant};

use tgwire_compare_tl_codec::{grammers, ours};

/// Per-operation time of `work` run `n` times.
fn round(n: u32, mut work: impl FnMut()) -> Duration {
    let start = Instant::now();
    for _ in 0..n {
        work();
    }
    start.elapsed() / n
}

fn report(what: &str, mut ours: Vec<Duration>, mut theirs: Vec<Duration>) {
    ours.sort();
    theirs.sort();
    let (o_min, t_min) = (ours[0], theirs[0]);
    let (o_med, t_med) = (ours[ours.len() / 2], theirs[theirs.len() / 2]);
    println!(
        "{what:34} tgwire min {:>10.3?} med {:>10.3?} | grammers min {:>10.3?} med {:>10.3?} | grammers/tgwire min {:.2}x med {:.2}x",
        o_min,
        o_med,
        t_min,
        t_med,
        t_min.as_secs_f64() / o_min.as_secs_f64(),
        t_med.as_secs_f64() / o_med.as_secs_f64()
    );
}

macro_rules! race {
    ($rounds:expr, $name:ident, $n:expr, $ours:ty, $grammers:ty) => {{
        let mine = ours::$name();
        let theirs = grammers::$name();
        let bytes = tgwire_tl_types::Serializable::to_bytes(&mine);
        assert_eq!(bytes, grammers_tl_types::Serializable::to_bytes(&theirs));
        let mut buf = Vec::with_capacity(bytes.len());
        let (mut so, mut st, mut dso, mut dst) = (vec![], vec![], vec![], vec![]);
        for _ in 0..$rounds {
            so.push(round($n, || {
                buf.clear();
                tgwire_tl_types::Serializable::serialize(black_box(&mine), &mut buf);
                black_box(buf.len());
            }));
            st.push(round($n, || {
                buf.clear();
                grammers_tl_types::Serializable::serialize(black_box(&theirs), &mut buf);
                black_box(buf.len());
            }));
            dso.push(round($n, || {
                black_box(
                    <$ours as tgwire_tl_types::Deserializable>::from_bytes(black_box(&bytes))
                        .is_ok(),
                );
            }));
            dst.push(round($n, || {
                black_box(
                    <$grammers as grammers_tl_types::Deserializable>::from_bytes(black_box(&bytes))
                        .is_ok(),
                );
            }));
        }
        report(
            &format!("{} ({} B) serialize", stringify!($name), bytes.len()),
            so,
            st,
        );
        report(
            &format!("{} ({} B) deserialize", stringify!($name), bytes.len()),
            dso,
            dst,
        );
    }};
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    race!(
        rounds,
        messages_page,
        20,
        tgwire_tl_types::enums::messages::Messages,
        grammers_tl_types::enums::messages::Messages
    );
    race!(
        rounds,
        difference,
        50,
        tgwire_tl_types::enums::updates::Difference,
        grammers_tl_types::enums::updates::Difference
    );
    race!(
        rounds,
        upload_file,
        20,
        tgwire_tl_types::enums::upload::File,
        grammers_tl_types::enums::upload::File
    );
    let (mine, theirs) = (ours::send_message(), grammers::send_message());
    let mut buf = Vec::with_capacity(256);
    let (mut so, mut st) = (vec![], vec![]);
    for _ in 0..rounds {
        so.push(round(2000, || {
            buf.clear();
            tgwire_tl_types::Serializable::serialize(black_box(&mine), &mut buf);
        }));
        st.push(round(2000, || {
            buf.clear();
            grammers_tl_types::Serializable::serialize(black_box(&theirs), &mut buf);
        }));
    }
    report("send_message (164 B) serialize", so, st);
}
