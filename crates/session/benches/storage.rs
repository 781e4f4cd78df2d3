//! The operations a session store does most, side by side for SQLite (a file on local disk) and
//! PostgreSQL (the server in `TGWIRE_TEST_POSTGRES`, skipped with a note when unset or when built
//! without the `postgres` feature):
//!
//! - `upsert_200_peers`: one `apply` rewriting 200 cached peers (a page of dialogs);
//! - `save_update_state`: one `apply` of the update state and one channel's pts (after every
//!   update batch);
//! - `load_session`: opening a session of 2,000 peers, 3 auth keys and 50 channel states (a
//!   client start, or a fleet moving a session to another machine).
//!
//! Run (with a server: `source .ci/postgres.sh` first):
//! `cargo bench -p tgwire-session --features postgres --bench storage -- --warm-up-time 1 --measurement-time 5`
//! Medians are in `target/criterion/<group>/<store>/new/estimates.json`.

// criterion's macros generate undocumented functions.
#![allow(missing_docs)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use tgwire_session::{
    AuthKeyData, CachedPeer, Changes, PeerKind, PeerRef, SqliteStorage, Storage, UpdateState,
};

const LOADED_PEERS: i64 = 2_000;

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

fn peers(range: std::ops::Range<i64>, generation: i64) -> Changes {
    let mut changes = Changes::new();
    changes.upsert_peers(range.map(|i| peer(i, generation)));
    changes
}

/// A realistic session to load.
fn big_session() -> Changes {
    let mut changes = peers(1..LOADED_PEERS + 1, 0);
    changes.set_home_dc(2).set_update_state(UpdateState {
        pts: 1,
        qts: 1,
        date: 1,
        seq: 1,
    });
    for dc in 1..=3 {
        changes.set_auth_key(dc, Some(AuthKeyData::new([dc as u8; 256])));
    }
    for channel in 0..50 {
        changes.set_channel_pts(channel + 1, Some(100));
    }
    changes
}

/// One store under test: open a session by name, and release it.
trait Store {
    fn label(&self) -> &'static str;
    fn open(&self, name: &str) -> Box<dyn Storage>;
}

struct Sqlite(tempfile::TempDir);

impl Store for Sqlite {
    fn label(&self) -> &'static str {
        "sqlite"
    }
    fn open(&self, name: &str) -> Box<dyn Storage> {
        Box::new(SqliteStorage::open(self.0.path().join(name)).unwrap())
    }
}

#[cfg(feature = "postgres")]
struct Postgres(tgwire_session::PostgresPool);

#[cfg(feature = "postgres")]
impl Store for Postgres {
    fn label(&self) -> &'static str {
        "postgres"
    }
    fn open(&self, name: &str) -> Box<dyn Storage> {
        // A dropped storage's unlock may still be in flight; opening again through the same pool is
        // fine (advisory locks count), so no retry is needed here.
        Box::new(self.0.open(name).unwrap())
    }
}

fn stores() -> Vec<Box<dyn Store>> {
    let mut stores: Vec<Box<dyn Store>> = vec![Box::new(Sqlite(tempfile::tempdir().unwrap()))];
    #[cfg(feature = "postgres")]
    match std::env::var("TGWIRE_TEST_POSTGRES") {
        Ok(url) => {
            let schema = format!("bench_{}", std::process::id());
            let pool = tgwire_session::PostgresPool::builder(url)
                .schema(schema)
                .connect()
                .unwrap();
            stores.push(Box::new(Postgres(pool)));
        }
        Err(_) => eprintln!("postgres: skipped, TGWIRE_TEST_POSTGRES is not set"),
    }
    #[cfg(not(feature = "postgres"))]
    eprintln!("postgres: skipped, built without the `postgres` feature");
    stores
}

fn benches(c: &mut Criterion) {
    for store in stores() {
        let label = store.label();

        let storage = store.open("writes");
        storage.apply(peers(1..201, 0)).unwrap();
        let mut generation = 0;
        c.benchmark_group("upsert_200_peers")
            .bench_function(label, |b| {
                b.iter(|| {
                    generation += 1;
                    storage.apply(peers(1..201, generation)).unwrap();
                })
            });

        let mut pts = 0;
        c.benchmark_group("save_update_state")
            .bench_function(label, |b| {
                b.iter(|| {
                    pts += 1;
                    let mut changes = Changes::new();
                    changes
                        .set_update_state(UpdateState {
                            pts,
                            qts: 0,
                            date: pts,
                            seq: pts,
                        })
                        .set_channel_pts(7, Some(pts));
                    storage.apply(changes).unwrap();
                })
            });
        drop(storage);

        store.open("load").apply(big_session()).unwrap();
        c.benchmark_group("load_session")
            .sample_size(20)
            .bench_function(label, |b| {
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let started = Instant::now();
                        let storage = store.open("load");
                        total += started.elapsed();
                        assert_eq!(storage.peer_count(), LOADED_PEERS as usize);
                        drop(storage);
                    }
                    total
                })
            });
    }
}

criterion_group!(storage, benches);
criterion_main!(storage);
