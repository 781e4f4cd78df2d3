//! Peer-cache throughput of `SqliteStorage` on disk: upserting batches of 200 peers (one
//! `messages.getDialogs` page brings about that many) and looking peers up by id and by username,
//! in a cache of 10,000 peers and in one of 32 (the largest kept as a sorted vector).
//!
//! Run: `cargo bench -p tgwire-session -- --warm-up-time 1 --measurement-time 3`

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use tgwire_session::{
    CachedPeer, Changes, MemoryStorage, PeerKind, PeerRef, SqliteStorage, Storage,
};

const BATCH: i64 = 200;
const CACHED: i64 = 10_000;

fn peer(i: i64, generation: i64) -> CachedPeer {
    let kind = match i % 4 {
        0 => PeerKind::User,
        1 => PeerKind::Bot,
        2 => PeerKind::Supergroup,
        _ => PeerKind::Broadcast,
    };
    let mut peer = CachedPeer::new(PeerRef::new(kind, i, Some(i ^ generation)).unwrap());
    peer.usernames = vec![format!("user_{i}")];
    peer.name = Some(format!("Peer number {i}, generation {generation}"));
    if kind == PeerKind::User {
        peer.phone = Some(format!("+1555{i:07}"));
    }
    peer
}

fn batch(start: i64, generation: i64) -> Changes {
    let mut changes = Changes::new();
    changes.upsert_peers((start..start + BATCH).map(|i| peer(i, generation)));
    changes
}

fn upserts(c: &mut Criterion) {
    let mut group = c.benchmark_group("upsert_200_peers");
    group.throughput(Throughput::Elements(BATCH as u64));

    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path().join("bench")).unwrap();
    storage.apply(batch(1, 0)).unwrap();
    let mut generation = 0;
    // The same 200 peers with a new access hash each time: every row is rewritten.
    group.bench_function("sqlite_update_existing", |b| {
        b.iter(|| {
            generation += 1;
            storage.apply(batch(1, generation)).unwrap();
        })
    });
    let mut next = 1_000_000;
    // 200 peers never seen before: the cache and file grow.
    group.bench_function("sqlite_insert_new", |b| {
        b.iter(|| {
            next += BATCH;
            storage.apply(batch(next, 0)).unwrap();
        })
    });

    let memory = MemoryStorage::new();
    group.bench_function("memory_update_existing", |b| {
        b.iter_batched(
            || batch(1, 7),
            |changes| memory.apply(changes).unwrap(),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

fn lookups(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path().join("bench")).unwrap();
    for start in (1..=CACHED).step_by(BATCH as usize) {
        storage.apply(batch(start, 0)).unwrap();
    }
    assert_eq!(storage.peer_count(), CACHED as usize);
    let ids: Vec<i64> = (1..=CACHED).map(|i| peer(i, 0).bot_api_id()).collect();
    let names: Vec<String> = (1..=CACHED).map(|i| format!("user_{i}")).collect();

    let mut group = c.benchmark_group("lookup_10k_cached");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("peer_ref_by_id", |b| {
        b.iter(|| {
            i = (i + 7919) % ids.len();
            black_box(storage.peer_ref(black_box(ids[i])))
        })
    });
    group.bench_function("peer_by_id", |b| {
        b.iter(|| {
            i = (i + 7919) % ids.len();
            black_box(storage.peer(black_box(ids[i])))
        })
    });
    group.bench_function("peer_ref_by_username", |b| {
        b.iter(|| {
            i = (i + 7919) % names.len();
            black_box(storage.peer_ref_by_username(black_box(&names[i])))
        })
    });
    group.bench_function("peer_by_username", |b| {
        b.iter(|| {
            i = (i + 7919) % names.len();
            black_box(storage.peer_by_username(black_box(&names[i])))
        })
    });
    group.finish();
}

/// A session that knows few peers (`PeerCache`'s small form: a sorted vector, scanned for
/// usernames), at the largest size it keeps that form.
fn few_lookups(c: &mut Criterion) {
    const FEW: i64 = 32;
    let storage = MemoryStorage::with({
        let mut changes = Changes::new();
        changes.upsert_peers((1..=FEW).map(|i| peer(i, 0)));
        changes
    });
    assert_eq!(storage.peer_count(), FEW as usize);
    let ids: Vec<i64> = (1..=FEW).map(|i| peer(i, 0).bot_api_id()).collect();
    let names: Vec<String> = (1..=FEW).map(|i| format!("user_{i}")).collect();

    let mut group = c.benchmark_group("lookup_32_cached");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    group.bench_function("peer_ref_by_id", |b| {
        b.iter(|| {
            i = (i + 7) % ids.len();
            black_box(storage.peer_ref(black_box(ids[i])))
        })
    });
    group.bench_function("peer_ref_by_username", |b| {
        b.iter(|| {
            i = (i + 7) % names.len();
            black_box(storage.peer_ref_by_username(black_box(&names[i])))
        })
    });
    group.finish();
}

criterion_group!(benches, upserts, lookups, few_lookups);
criterion_main!(benches);
