//! Kill -9 a writer in the middle of heavy writes, hundreds of times, and check after every kill
//! that the session opens and holds one consistent generation of data.
//!
//! The writer is this test binary re-run with `WRITER_ENV` set. Each of its `apply` calls writes,
//! in one `Changes`, 200 peers stamped with a generation number `n`, the update state `pts = n`,
//! the channel pts `n`, and every 7th generation an auth key encoding `n`. A consistent file is one
//! where all of these agree on the same `n`, and `n` never goes backwards between kills.

use std::process::{Command, Stdio};
use std::time::Duration;

use rand::Rng;
use tgwire_session::{
    AuthKeyData, CachedPeer, Changes, PeerKind, PeerRef, SqliteStorage, Storage, UpdateState,
};

const WRITER_ENV: &str = "TGWIRE_SESSION_TEST_WRITER";
const PEERS: i64 = 200;
const KEY_EVERY: i32 = 7;
const ITERATIONS: usize = 200;

fn kind_of(i: i64) -> PeerKind {
    match i % 3 {
        0 => PeerKind::User,
        1 => PeerKind::Broadcast,
        _ => PeerKind::BasicGroup,
    }
}

fn key_for(n: i32) -> AuthKeyData {
    let mut bytes = [0x5a; 256];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    AuthKeyData::new(bytes)
}

fn generation(n: i32) -> Changes {
    let mut changes = Changes::new();
    changes
        .set_update_state(UpdateState {
            pts: n,
            qts: n,
            date: n,
            seq: n,
        })
        .set_channel_pts(1, Some(n));
    if n % KEY_EVERY == 0 {
        changes.set_auth_key(2, Some(key_for(n)));
    }
    changes.upsert_peers((1..=PEERS).map(|i| {
        let mut peer = CachedPeer::new(PeerRef::new(kind_of(i), i, Some(i64::from(n))).unwrap());
        peer.name = Some(format!("generation {n}"));
        // Alternate usernames so each generation also rewrites the username index.
        peer.usernames = vec![format!("peer{i}_{}", n % 2)];
        peer
    }));
    changes
}

/// Not a test on its own: the writer process.
#[test]
#[ignore = "child process of `kill_9_during_heavy_writes_never_breaks_the_session`"]
fn writer_child() {
    let Ok(path) = std::env::var(WRITER_ENV) else {
        return;
    };
    let storage = SqliteStorage::open(&path).expect("writer could not open the session");
    let mut n = storage.update_state().map_or(0, |s| s.pts);
    loop {
        n += 1;
        storage
            .apply(generation(n))
            .expect("writer could not write");
    }
}

/// Checks that everything in the session belongs to one generation and returns it (0: empty).
fn consistent_generation(storage: &SqliteStorage) -> i32 {
    let Some(state) = storage.update_state() else {
        assert_eq!(storage.peer_count(), 0, "peers without update state");
        assert_eq!(storage.channel_pts(1), None);
        return 0;
    };
    let n = state.pts;
    assert_eq!(
        state,
        UpdateState {
            pts: n,
            qts: n,
            date: n,
            seq: n
        }
    );
    assert_eq!(storage.channel_pts(1), Some(n));
    assert_eq!(storage.peer_count(), PEERS as usize);
    for i in 1..=PEERS {
        let peer = PeerRef::new(kind_of(i), i, None).unwrap();
        let cached = storage
            .peer(peer.bot_api_id())
            .unwrap_or_else(|| panic!("generation {n}: peer {i} missing"));
        assert_eq!(
            cached.name.as_deref(),
            Some(format!("generation {n}").as_str())
        );
        if !kind_of(i).is_basic_group() {
            assert_eq!(cached.peer.access_hash(), Some(i64::from(n)));
        }
        let username = format!("peer{i}_{}", n % 2);
        assert_eq!(cached.usernames, vec![username.clone()]);
        assert_eq!(
            storage.peer_by_username(&username).map(|p| p.peer.id()),
            Some(i)
        );
        let stale = format!("peer{i}_{}", (n + 1) % 2);
        assert!(
            storage.peer_by_username(&stale).is_none(),
            "stale username {stale}"
        );
    }
    let last_key_generation = n - n % KEY_EVERY;
    if last_key_generation == 0 {
        assert_eq!(storage.auth_key(2), None);
    } else {
        assert_eq!(storage.auth_key(2), Some(key_for(last_key_generation)));
    }
    n
}

#[test]
fn kill_9_during_heavy_writes_never_breaks_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.session");
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::thread_rng();
    let mut last = 0;
    let mut advanced = 0;

    for iteration in 0..ITERATIONS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "writer_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.gen_range(1..=40)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            // Anything but death by SIGKILL means the writer failed on its own.
            assert_eq!(
                status.signal(),
                Some(9),
                "iteration {iteration}: writer {status}"
            );
        }
        #[cfg(not(unix))]
        let _ = status;

        let storage = SqliteStorage::open(&path)
            .unwrap_or_else(|e| panic!("iteration {iteration}: reopen failed: {e}"));
        let n = consistent_generation(&storage);
        assert!(
            n >= last,
            "iteration {iteration}: generation went back from {last} to {n}"
        );
        if n > last {
            advanced += 1;
        }
        last = n;
    }
    eprintln!("{ITERATIONS} kills, the writer got further in {advanced}, final generation {last}");
    assert!(
        last > 0,
        "the writer never committed anything: the test did not test"
    );
}
