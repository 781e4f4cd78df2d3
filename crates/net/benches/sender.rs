//! The sender over loopback against the test MTProto server in `tests/common/mtserver.rs`:
//!
//! - `calls_10k_100_in_flight`: 10,000 cheap calls (`help.getNearestDc`) kept 100 in flight;
//!   criterion reports calls per second, and the per-call latency p50/p99 over every iteration
//!   is printed at the end.
//! - `download_512k` / `upload_512k`: 512 KiB file parts (`upload.getFile` /
//!   `upload.saveFilePart`), four in flight, reported in bytes per second.
//!
//! Client and server share the machine (and this process's two tokio workers), so the figures
//! are for the whole round trip, encryption on both ends included.

// criterion_group! defines a public `benches` function that cannot carry a doc comment.
#![allow(missing_docs)]

#[path = "../tests/common/mtserver.rs"]
mod mtserver;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use mtserver::MtServer;
use tgwire_net::{InvokeOptions, Sender, SenderConfig, SenderHandle};
use tgwire_tl_types::{enums, functions, types};
use tokio::runtime::Runtime;

const CALLS: usize = 10_000;
const IN_FLIGHT: usize = 100;
const PART: usize = 512 * 1024;
const PARTS: usize = 8;
const PARTS_IN_FLIGHT: usize = 4;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn connect() -> (MtServer, SenderHandle) {
    let server = MtServer::start(None).await;
    let config = SenderConfig::new(2, server.addr, vec![server.rsa_public.clone()]);
    let Sender { handle, .. } = Sender::spawn(config);
    handle.invoke(&functions::help::GetNearestDc).await.unwrap();
    (server, handle)
}

async fn calls(handle: &SenderHandle, latencies: &Mutex<Vec<Duration>>) {
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let h = handle.clone();
        workers.spawn(async move {
            let mut mine = Vec::with_capacity(CALLS / IN_FLIGHT);
            for _ in 0..CALLS / IN_FLIGHT {
                let start = Instant::now();
                h.invoke(&functions::help::GetNearestDc).await.unwrap();
                mine.push(start.elapsed());
            }
            mine
        });
    }
    while let Some(mine) = workers.join_next().await {
        latencies.lock().unwrap().extend(mine.unwrap());
    }
}

fn location() -> enums::InputFileLocation {
    enums::InputFileLocation::InputDocumentFileLocation(Box::new(
        types::InputDocumentFileLocation {
            id: 1,
            access_hash: 2,
            file_reference: vec![].into(),
            thumb_size: String::new().into(),
        },
    ))
}

async fn parts(handle: &SenderHandle, upload: bool) {
    let data = Arc::new(vec![0x5a; PART]);
    let mut workers = tokio::task::JoinSet::new();
    for w in 0..PARTS_IN_FLIGHT {
        let h = handle.clone();
        let data = data.clone();
        workers.spawn(async move {
            for i in 0..PARTS / PARTS_IN_FLIGHT {
                let part = (w * PARTS / PARTS_IN_FLIGHT + i) as i32;
                if upload {
                    let request = functions::upload::SaveFilePart {
                        file_id: 7,
                        file_part: part,
                        bytes: data.to_vec().into(),
                    };
                    // File parts are sent as they are, as real clients do.
                    let opts = InvokeOptions {
                        no_gzip: true,
                        ..InvokeOptions::default()
                    };
                    assert!(h.invoke_with(&request, opts).await.unwrap());
                } else {
                    let request = functions::upload::GetFile {
                        precise: true,
                        cdn_supported: false,
                        location: location(),
                        offset: i64::from(part) * PART as i64,
                        limit: PART as i32,
                    };
                    let enums::upload::File::File(f) = h.invoke(&request).await.unwrap() else {
                        panic!("unexpected answer")
                    };
                    assert_eq!(f.bytes.len(), PART);
                }
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.unwrap();
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[at.min(sorted.len() - 1)]
}

fn sender(c: &mut Criterion) {
    let rt = runtime();
    let (_server, handle) = rt.block_on(connect());
    let latencies = Mutex::new(Vec::new());

    let mut group = c.benchmark_group("sender");
    group.sample_size(10);
    group.throughput(Throughput::Elements(CALLS as u64));
    group.bench_function("calls_10k_100_in_flight", |b| {
        b.iter(|| rt.block_on(calls(&handle, &latencies)));
    });
    group.throughput(Throughput::Bytes((PART * PARTS) as u64));
    group.bench_function("download_512k", |b| {
        b.iter(|| rt.block_on(parts(&handle, false)));
    });
    group.bench_function("upload_512k", |b| {
        b.iter(|| rt.block_on(parts(&handle, true)));
    });
    group.finish();

    let mut all = latencies.into_inner().unwrap();
    all.sort_unstable();
    if !all.is_empty() {
        println!(
            "sender/calls_10k_100_in_flight latency over {} calls: p50 {:?}, p99 {:?}",
            all.len(),
            percentile(&all, 0.50),
            percentile(&all, 0.99)
        );
    }
    rt.block_on(handle.shutdown());
}

criterion_group!(benches, sender);
criterion_main!(benches);
