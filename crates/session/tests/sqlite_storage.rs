//! `SqliteStorage` against real files: persistence of every field, permissions, the exclusive lock
//! (same process and another process), and refusal to touch damaged or foreign files.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use tgwire_session::{
    AuthKeyData, CachedPeer, Changes, DcFlags, DcOption, MemoryStorage, PeerKind, PeerRef,
    SelfUser, SessionError, SqliteStorage, Storage, StringSession, TempAuthKey, UpdateState,
};

fn key(seed: u8) -> AuthKeyData {
    let mut bytes = [0u8; 256];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(seed);
    }
    AuthKeyData::new(bytes)
}

fn peer(kind: PeerKind, id: i64, hash: Option<i64>) -> CachedPeer {
    CachedPeer::new(PeerRef::new(kind, id, hash).unwrap())
}

/// A session with every kind of data in it.
fn full_changes() -> Changes {
    let mut alice = peer(PeerKind::User, 1001, Some(-77));
    alice.usernames = vec!["@Alice".into(), "alice_alt".into()];
    alice.phone = Some("+1 555 0001".into());
    alice.name = Some("Alice Liddell".into());
    let mut bot = peer(PeerKind::Bot, 1002, Some(5));
    bot.usernames = vec!["helper_bot".into()];
    let mut min_user = peer(PeerKind::User, 1003, Some(9));
    min_user.min = true;
    let mut group = peer(PeerKind::BasicGroup, 2001, None);
    group.name = Some("Basic".into());
    let mut news = peer(PeerKind::Broadcast, 3001, Some(i64::MAX));
    news.usernames = vec!["news".into()];
    let giga = peer(PeerKind::Gigagroup, 3002, Some(i64::MIN));
    let supergroup = peer(PeerKind::Supergroup, 3003, Some(0));

    let mut changes = Changes::new();
    changes
        .set_home_dc(2)
        .set_dc_options(vec![
            DcOption {
                id: 2,
                ipv4: Some(Ipv4Addr::new(149, 154, 167, 51)),
                ipv6: Some("2001:67c:4e8:f002::a".parse::<Ipv6Addr>().unwrap()),
                port: 443,
                flags: DcFlags::default(),
            },
            DcOption {
                id: 2,
                ipv4: Some(Ipv4Addr::new(149, 154, 167, 151)),
                ipv6: None,
                port: 443,
                flags: DcFlags {
                    media_only: true,
                    cdn: false,
                    static_: true,
                    tcpo_only: true,
                },
            },
            DcOption {
                id: 203,
                ipv4: None,
                ipv6: Some(Ipv6Addr::LOCALHOST),
                port: 8443,
                flags: DcFlags {
                    media_only: false,
                    cdn: true,
                    static_: false,
                    tcpo_only: false,
                },
            },
        ])
        .set_auth_key(2, Some(key(1)))
        .set_auth_key(4, Some(key(2)))
        .set_temp_auth_key(
            2,
            Some(TempAuthKey {
                key: key(3),
                expires_at: 1_800_000_000,
            }),
        )
        .set_self_user(Some(SelfUser {
            id: 1001,
            bot: false,
        }))
        .set_update_state(UpdateState {
            pts: 100,
            qts: 7,
            date: 1_700_000_000,
            seq: 12,
        })
        .set_channel_pts(3001, Some(555))
        .set_channel_pts(3002, Some(1))
        .upsert_peers([alice, bot, min_user, group, news, giga, supergroup]);
    changes
}

fn assert_full(storage: &dyn Storage) {
    assert_eq!(storage.home_dc(), Some(2));
    let options = storage.dc_options();
    assert_eq!(options.len(), 3);
    assert_eq!(
        options[1].flags,
        DcFlags {
            media_only: true,
            cdn: false,
            static_: true,
            tcpo_only: true
        }
    );
    assert!(options[2].flags.cdn && !options[2].flags.media_only);
    assert_eq!(options[2].ipv6, Some(Ipv6Addr::LOCALHOST));
    assert_eq!(options[0].ipv6.unwrap().to_string(), "2001:67c:4e8:f002::a");
    assert_eq!(storage.auth_key(2), Some(key(1)));
    assert_eq!(storage.auth_key(4), Some(key(2)));
    assert_eq!(storage.auth_key(1), None);
    let temp = storage.temp_auth_key(2).unwrap();
    assert_eq!((temp.key, temp.expires_at), (key(3), 1_800_000_000));
    assert_eq!(
        storage.self_user(),
        Some(SelfUser {
            id: 1001,
            bot: false
        })
    );
    assert_eq!(
        storage.update_state(),
        Some(UpdateState {
            pts: 100,
            qts: 7,
            date: 1_700_000_000,
            seq: 12
        })
    );
    assert_eq!(storage.channel_pts(3001), Some(555));
    assert_eq!(storage.channel_states(), vec![(3001, 555), (3002, 1)]);

    assert_eq!(storage.peer_count(), 7);
    let alice = storage.peer_by_username("ALICE").unwrap();
    assert_eq!(alice.peer.bot_api_id(), 1001);
    assert_eq!(alice.peer.access_hash(), Some(-77));
    assert_eq!(
        alice.usernames,
        vec!["alice".to_string(), "alice_alt".to_string()]
    );
    assert_eq!(alice.phone.as_deref(), Some("15550001"));
    assert_eq!(alice.name.as_deref(), Some("Alice Liddell"));
    assert_eq!(
        storage.peer_by_username("@alice_alt").unwrap().peer,
        alice.peer
    );
    assert_eq!(
        storage.peer_by_phone("+1-555-0001").unwrap().peer,
        alice.peer
    );
    assert_eq!(storage.peer(1002).unwrap().peer.kind(), PeerKind::Bot);
    assert!(storage.peer(1003).unwrap().min);
    let group = storage.peer(-2001).unwrap();
    assert_eq!(
        (group.peer.kind(), group.peer.access_hash()),
        (PeerKind::BasicGroup, None)
    );
    assert_eq!(group.name.as_deref(), Some("Basic"));
    assert_eq!(
        storage.peer_ref(-1000000003001).unwrap().access_hash(),
        Some(i64::MAX)
    );
    assert_eq!(
        storage.peer_ref(-1000000003002).unwrap().kind(),
        PeerKind::Gigagroup
    );
    assert_eq!(
        storage.peer_ref(-1000000003002).unwrap().access_hash(),
        Some(i64::MIN)
    );
    assert_eq!(
        storage.peer_ref(-1000000003003).unwrap().kind(),
        PeerKind::Supergroup
    );
    assert_eq!(storage.peer_by_username("news").unwrap().peer.id(), 3001);
    assert!(
        storage.peer(3001).is_none(),
        "a user id must not find a channel"
    );
}

fn sha256(path: &Path) -> [u8; 32] {
    Sha256::digest(std::fs::read(path).unwrap()).into()
}

/// Every file in `dir` with its SHA-256, to prove that nothing at all was written.
fn dir_fingerprint(dir: &Path) -> Vec<(PathBuf, [u8; 32])> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            let hash = sha256(&p);
            (p, hash)
        })
        .collect();
    entries.sort();
    entries
}

#[test]
fn every_field_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alice.session");
    {
        let storage = SqliteStorage::open(&path).unwrap();
        storage.apply(full_changes()).unwrap();
        assert_full(&storage);
    }
    let storage = SqliteStorage::open(&path).unwrap();
    assert_full(&storage);
    storage.close().unwrap();
    // Closing folds the log into the file and releases the lock.
    assert!(!dir.path().join("alice.session-wal").exists());
    let storage = SqliteStorage::open(&path).unwrap();

    // And the snapshot moves it to another backend intact.
    let memory = MemoryStorage::with(storage.snapshot());
    assert_full(&memory);
}

#[test]
fn name_without_extension_gets_dot_session() {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path().join("bob")).unwrap();
    assert_eq!(storage.path(), dir.path().join("bob.session"));
    assert!(dir.path().join("bob.session").is_file());
}

#[test]
fn removals_and_wipe_persist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.session");
    {
        let storage = SqliteStorage::open(&path).unwrap();
        storage.apply(full_changes()).unwrap();
        let mut changes = Changes::new();
        changes
            .set_auth_key(4, None)
            .set_temp_auth_key(2, None)
            .set_channel_pts(3002, None)
            .set_self_user(None)
            .clear_update_state();
        storage.apply(changes).unwrap();
    }
    {
        let storage = SqliteStorage::open(&path).unwrap();
        assert_eq!(storage.auth_key(4), None);
        assert_eq!(storage.auth_key(2), Some(key(1)));
        assert_eq!(storage.temp_auth_key(2), None);
        assert_eq!(storage.channel_states(), vec![(3001, 555)]);
        assert_eq!(storage.self_user(), None);
        assert_eq!(storage.update_state(), None);
        let mut wipe = Changes::new();
        wipe.wipe_all();
        storage.apply(wipe).unwrap();
    }
    let storage = SqliteStorage::open(&path).unwrap();
    assert_eq!(storage.home_dc(), None);
    assert_eq!(storage.peer_count(), 0);
    assert!(storage.dc_options().is_empty());
    assert_eq!(storage.peer_by_username("alice"), None);
}

#[test]
fn min_rule_holds_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.session");
    {
        let storage = SqliteStorage::open(&path).unwrap();
        let mut changes = Changes::new();
        changes.upsert_peer(peer(PeerKind::User, 5, Some(1111)));
        storage.apply(changes).unwrap();
    }
    let storage = SqliteStorage::open(&path).unwrap();
    let mut min = peer(PeerKind::User, 5, Some(2222));
    min.min = true;
    min.name = Some("Seen in a group".into());
    let mut changes = Changes::new();
    changes.upsert_peer(min);
    storage.apply(changes).unwrap();
    drop(storage);

    let storage = SqliteStorage::open(&path).unwrap();
    let cached = storage.peer(5).unwrap();
    assert_eq!(cached.peer.access_hash(), Some(1111));
    assert!(!cached.min);
    assert_eq!(cached.name.as_deref(), Some("Seen in a group"));
}

#[test]
fn string_session_from_sqlite_storage() {
    let dir = tempfile::tempdir().unwrap();
    let storage = SqliteStorage::open(dir.path().join("s")).unwrap();
    assert!(matches!(
        StringSession::from_storage(&storage),
        Err(SessionError::Incomplete { .. })
    ));
    storage.apply(full_changes()).unwrap();
    let string = StringSession::from_storage(&storage).unwrap();
    assert_eq!(string.dc_id, 2);
    assert_eq!(string.addr.to_string(), "149.154.167.51");
    assert_eq!(string.port, 443);
    assert_eq!(string.auth_key, key(1));
    assert_eq!(
        string.user,
        Some(SelfUser {
            id: 1001,
            bot: false
        })
    );

    let restored = MemoryStorage::with(
        StringSession::decode(&string.encode())
            .unwrap()
            .to_changes(),
    );
    assert_eq!(restored.home_dc(), Some(2));
    assert_eq!(restored.auth_key(2), Some(key(1)));
    assert_eq!(
        restored.self_user(),
        Some(SelfUser {
            id: 1001,
            bot: false
        })
    );
    assert_eq!(
        restored.dc_options()[0].ipv4,
        Some(Ipv4Addr::new(149, 154, 167, 51))
    );
}

#[cfg(unix)]
#[test]
fn new_files_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.session");
    let storage = SqliteStorage::open(&path).unwrap();
    storage.apply(full_changes()).unwrap();
    let mut checked = 0;
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let entry = entry.unwrap();
        let mode = entry.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?} has mode {mode:o}", entry.file_name());
        checked += 1;
    }
    // The database and its write-ahead log.
    assert!(
        checked >= 2,
        "expected the -wal file too, saw {checked} files"
    );
}

#[test]
fn second_opener_in_the_same_process_gets_session_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.session");
    let first = SqliteStorage::open(&path).unwrap();
    let started = Instant::now();
    match SqliteStorage::open(&path) {
        Err(SessionError::SessionInUse { path: locked }) => assert_eq!(locked, path),
        other => panic!("expected SessionInUse, got {other:?}"),
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the second opener must not wait"
    );
    // The failed attempt did not disturb the owner.
    first.apply(full_changes()).unwrap();
    drop(first);
    let again = SqliteStorage::open(&path).unwrap();
    assert_full(&again);
}

#[test]
fn second_opener_from_a_thread_gets_session_in_use() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.session");
    let _first = SqliteStorage::open(&path).unwrap();
    let other = path.clone();
    let result = std::thread::spawn(move || SqliteStorage::open(other).map(|_| ()))
        .join()
        .unwrap();
    assert!(
        matches!(result, Err(SessionError::SessionInUse { .. })),
        "{result:?}"
    );
}

const HOLDER_ENV: &str = "TGWIRE_SESSION_TEST_HOLD";

/// Not a test on its own: when re-run as a child process with `HOLDER_ENV` set, opens the session,
/// says so on stdout, and holds it until killed.
#[test]
#[ignore = "child process of `second_opener_in_another_process_gets_session_in_use`"]
fn lock_holder_child() {
    let Ok(path) = std::env::var(HOLDER_ENV) else {
        return;
    };
    let storage = SqliteStorage::open(&path).unwrap();
    storage.apply(full_changes()).unwrap();
    println!("HOLDING");
    std::thread::sleep(Duration::from_secs(60));
}

#[test]
fn second_opener_in_another_process_gets_session_in_use() {
    use std::io::{BufRead, BufReader};

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.session");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "lock_holder_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(HOLDER_ENV, &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let holding = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("HOLDING"));
    assert!(holding, "child did not open the session");

    let result = SqliteStorage::open(&path);
    assert!(
        matches!(result, Err(SessionError::SessionInUse { .. })),
        "{result:?}"
    );

    child.kill().unwrap();
    child.wait().unwrap();
    // The lock dies with its process; the child's committed data is there.
    let storage = SqliteStorage::open(&path).unwrap();
    assert_full(&storage);
}

/// Writes a valid session file, closes it, and returns its path.
fn valid_session(dir: &Path) -> PathBuf {
    let path = dir.join("s.session");
    let storage = SqliteStorage::open(&path).unwrap();
    storage.apply(full_changes()).unwrap();
    // Enough peers for the file to span many pages, so damage lands inside data.
    let mut changes = Changes::new();
    changes.upsert_peers((1..=2000).map(|i| {
        let mut p = peer(PeerKind::User, 10_000 + i, Some(i * 3));
        p.usernames = vec![format!("user{i}")];
        p.name = Some(format!("User number {i}"));
        p
    }));
    storage.apply(changes).unwrap();
    drop(storage);
    path
}

/// Opens `path` expecting an error, and checks that no file in its directory changed.
fn open_fails_without_writing(path: &Path) -> SessionError {
    let dir = path.parent().unwrap();
    let before = dir_fingerprint(dir);
    let error = SqliteStorage::open(path).expect_err("damaged file opened");
    assert_eq!(
        dir_fingerprint(dir),
        before,
        "opening a bad file changed it"
    );
    // A second attempt fails the same way (nothing was "repaired").
    let again = SqliteStorage::open(path).expect_err("damaged file opened on retry");
    assert_eq!(again.to_string(), error.to_string());
    assert_eq!(dir_fingerprint(dir), before);
    error
}

#[test]
fn truncated_files_are_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_session(dir.path());
    let full = std::fs::read(&path).unwrap();
    assert!(full.len() > 8 * 4096);
    for keep in [50, 100, 4096, full.len() / 2, full.len() - 4096] {
        std::fs::write(&path, &full[..keep]).unwrap();
        let error = open_fails_without_writing(&path);
        assert!(
            matches!(error, SessionError::Corrupt { .. }),
            "truncated to {keep}: {error:?}"
        );
    }
}

#[test]
fn scribbled_files_are_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_session(dir.path());
    let mut bytes = std::fs::read(&path).unwrap();

    // Garbage over the header.
    let mut bad_header = bytes.clone();
    bad_header[..16].copy_from_slice(b"definitely  not!");
    std::fs::write(&path, &bad_header).unwrap();
    assert!(matches!(
        open_fails_without_writing(&path),
        SessionError::Corrupt { .. }
    ));

    // Garbage over the second page (interior b-tree data).
    for b in &mut bytes[4096..8192] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let error = open_fails_without_writing(&path);
    assert!(matches!(error, SessionError::Corrupt { .. }), "{error:?}");
}

#[test]
fn newer_schema_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = valid_session(dir.path());
    {
        let conn = rusqlite_bump_version(&path, 99);
        drop(conn);
    }
    match open_fails_without_writing(&path) {
        SessionError::NewerSchema { found, supported } => {
            assert_eq!(found, 99);
            assert!(supported < 99);
        }
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

#[test]
fn foreign_sqlite_files_are_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.session");
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('mine');")
        .unwrap();
    drop(conn);
    assert!(matches!(
        open_fails_without_writing(&path),
        SessionError::NotASession { .. }
    ));
}

#[test]
fn non_sqlite_garbage_is_reported_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.session");
    std::fs::write(&path, vec![0x42; 10_000]).unwrap();
    assert!(matches!(
        open_fails_without_writing(&path),
        SessionError::Corrupt { .. }
    ));
}

fn rusqlite_bump_version(path: &Path, version: i64) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "user_version", version).unwrap();
    // Leave it in rollback-journal mode with the change in the main file.
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    conn
}

mod same_as_memory {
    use super::*;
    use proptest::prelude::*;

    const NAMES: [&str; 4] = ["ann", "bob", "cat", "dan"];
    const IDS: [i64; 5] = [1, 2, 3, 4, 5];

    fn any_peer() -> impl Strategy<Value = CachedPeer> {
        (
            prop::sample::select(IDS.to_vec()),
            0usize..3,
            any::<bool>(),
            prop::option::of(any::<i64>()),
            prop::collection::vec(prop::sample::select(NAMES.to_vec()), 0..3),
            prop::option::of(prop::sample::select(vec!["+1 1", "22", "333"])),
            prop::option::of("[a-zA-Z ]{0,8}"),
        )
            .prop_map(|(id, family, min, hash, names, phone, name)| {
                let kind = [PeerKind::Bot, PeerKind::BasicGroup, PeerKind::Supergroup][family];
                let mut peer = CachedPeer::new(PeerRef::new(kind, id, hash).unwrap());
                peer.min = min;
                peer.usernames = names.into_iter().map(str::to_owned).collect();
                peer.phone = phone.map(str::to_owned);
                peer.name = name;
                peer
            })
    }

    fn assert_same(a: &dyn Storage, b: &dyn Storage) {
        assert_eq!(a.peer_count(), b.peer_count());
        assert_eq!(a.update_state(), b.update_state());
        assert_eq!(a.channel_states(), b.channel_states());
        for id in IDS {
            for family in [id, -id, -1_000_000_000_000 - id] {
                assert_eq!(a.peer(family), b.peer(family), "peer {family}");
            }
        }
        for name in NAMES {
            assert_eq!(
                a.peer_by_username(name),
                b.peer_by_username(name),
                "@{name}"
            );
        }
        for phone in ["11", "22", "333"] {
            assert_eq!(
                a.peer_by_phone(phone),
                b.peer_by_phone(phone),
                "phone {phone}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Random batches give the same answers from SQLite (before and after reopening) as from
        /// memory: the file stores exactly what the in-memory merge decided.
        #[test]
        fn sqlite_matches_memory_across_reopen(
            batches in prop::collection::vec(
                (prop::collection::vec(any_peer(), 0..5), any::<u8>(), any::<bool>()), 1..8)
        ) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("p.session");
            let memory = MemoryStorage::new();
            {
                let sqlite = SqliteStorage::open(&path).unwrap();
                for (peers, pts, wipe) in batches {
                    let mut changes = Changes::new();
                    if wipe && pts % 4 == 0 {
                        changes.wipe_all();
                    }
                    changes
                        .set_update_state(UpdateState { pts: i32::from(pts), ..Default::default() })
                        .set_channel_pts(i64::from(pts % 3) + 1, Some(i32::from(pts)))
                        .upsert_peers(peers);
                    memory.apply(changes.clone()).unwrap();
                    sqlite.apply(changes).unwrap();
                    assert_same(&memory, &sqlite);
                }
            }
            let reopened = SqliteStorage::open(&path).unwrap();
            assert_same(&memory, &reopened);
        }
    }
}
