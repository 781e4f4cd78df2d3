//! What only `SqliteStorage` does, against real files: closing folds the log into the file,
//! permissions, the file lock (same process and another process), and refusal to touch damaged or
//! foreign files. What every storage does is in `storage_conformance.rs`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use support::{assert_full, full_changes, peer};
use tgwire_session::{Changes, MemoryStorage, PeerKind, SessionError, SqliteStorage, Storage};

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
fn close_folds_the_log_into_the_file() {
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
