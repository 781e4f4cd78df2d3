//! Opening a session file: create it privately, take the exclusive lock, validate before writing
//! anything, migrate, load.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use super::schema::{self, APPLICATION_ID};
use crate::state::SessionState;
use crate::SessionError;

/// How long our own commits wait for a transient lock: a failed second opener may hold a shared
/// lock for the instant between its attempt and closing. Openers themselves never wait.
const COMMIT_BUSY_TIMEOUT: Duration = Duration::from_secs(2);

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

pub(super) fn open(path: &Path) -> Result<(Connection, SessionState), SessionError> {
    create_private_file(path)?;
    check_header(path)?;

    let wal = wal_path(path);
    let wal_existed = wal.exists();
    let opened = open_checked(path);
    let rejected = matches!(
        opened,
        Err(ref e) if !matches!(e, SessionError::SessionInUse { .. })
    );
    if rejected && !wal_existed {
        // SQLite creates an empty `-wal` as soon as it reads a WAL-mode file. If the file was then
        // rejected, take that empty log away again so a refused open leaves no trace at all. Never
        // after `SessionInUse`: the empty log may be the owner's, created a moment ago.
        if std::fs::metadata(&wal).is_ok_and(|m| m.len() == 0) {
            let _ = std::fs::remove_file(&wal);
        }
    }
    opened
}

fn wal_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    name.into()
}

fn open_checked(path: &Path) -> Result<(Connection, SessionState), SessionError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(e, path))?;
    let sql = |e| classify(e, path);

    // Until validation passes nothing may be written, not even by the checkpoint SQLite runs when
    // the last connection to a WAL database closes.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)
        .map_err(sql)?;
    conn.busy_timeout(Duration::ZERO).map_err(sql)?;
    // EXCLUSIVE: once this connection has written, it keeps its lock until closed, so any other
    // connection (in this process or another) fails its first read with SQLITE_BUSY. In WAL mode it
    // also keeps the WAL index in heap memory: no `-shm` file.
    conn.query_row("PRAGMA locking_mode = EXCLUSIVE", [], |_| Ok(()))
        .map_err(sql)?;

    let mut conn = conn;
    {
        // IMMEDIATE takes the write lock before reading: of two simultaneous openers exactly one
        // gets it, and the other fails here without waiting.
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let version = validate(&tx, path)?;
        if version < schema::supported_version() {
            schema::migrate(&tx, version, schema::MIGRATIONS)?;
        }
        // No write is needed to keep others out: in WAL mode an EXCLUSIVE-locking-mode connection
        // holds the file's exclusive lock from its first access, and in rollback mode the reserved
        // lock taken by IMMEDIATE is kept (locking mode EXCLUSIVE) and stops any other writer.
        tx.busy_timeout(COMMIT_BUSY_TIMEOUT).map_err(sql)?;
        tx.commit().map_err(sql)?;
    }

    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(sql)?;
    if !mode.eq_ignore_ascii_case("wal") {
        log::warn!(
            "{}: could not enable WAL (journal_mode is {mode})",
            path.display()
        );
    }
    conn.pragma_update(None, "synchronous", "NORMAL")
        .map_err(sql)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)
        .map_err(sql)?;

    let state = {
        let tx = conn.transaction().map_err(sql)?;
        let state = schema::load(&tx).map_err(|e| match e {
            SessionError::Sqlite(e) => classify(e, path),
            other => other,
        })?;
        tx.commit().map_err(sql)?;
        state
    };
    Ok((conn, state))
}

/// Checks that the file is ours, not damaged and not from a newer schema. Returns its version.
fn validate(tx: &rusqlite::Transaction<'_>, path: &Path) -> Result<i64, SessionError> {
    let sql = |e| classify(e, path);
    let version: i64 = tx
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(sql)?;
    let application_id: i32 = tx
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(sql)?;
    let objects: i64 = tx
        .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
        .map_err(sql)?;

    let fresh = application_id == 0 && version == 0 && objects == 0;
    if !fresh && application_id != APPLICATION_ID {
        let hint = if schema::looks_like_telethon(tx)? {
            " (it looks like a Telethon session: read it with import_telethon_session)"
        } else {
            ""
        };
        return Err(SessionError::NotASession {
            path: path.to_path_buf(),
            hint,
        });
    }
    if version > schema::supported_version() {
        return Err(SessionError::NewerSchema {
            found: version,
            supported: schema::supported_version(),
        });
    }
    if !fresh {
        // Reads every page: a truncated or scribbled-on file is caught here, before any write.
        let verdict: String = tx
            .query_row("PRAGMA quick_check(1)", [], |r| r.get(0))
            .map_err(sql)?;
        if verdict != "ok" {
            return Err(SessionError::corrupt(format!(
                "integrity check failed: {verdict}"
            )));
        }
    }
    Ok(version)
}

/// Creates the file with owner-only permissions if it does not exist yet.
fn create_private_file(path: &Path) -> Result<(), SessionError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(SessionError::io(path, e)),
    }
}

/// Rejects files that are not SQLite databases before SQLite sees them. An empty file is fine: it
/// is a database with no pages yet (possibly with its first transaction still in the `-wal`).
pub(crate) fn check_header(path: &Path) -> Result<(), SessionError> {
    let mut file = File::open(path).map_err(|e| SessionError::io(path, e))?;
    let mut header = [0u8; 100];
    let mut filled = 0;
    while filled < header.len() {
        match file.read(&mut header[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(SessionError::io(path, e)),
        }
    }
    match filled {
        0 => Ok(()),
        n if n < header.len() => Err(SessionError::corrupt(format!(
            "file is {n} bytes, shorter than an SQLite header"
        ))),
        _ if &header[..16] != SQLITE_MAGIC => {
            Err(SessionError::corrupt("not an SQLite database (bad header)"))
        }
        _ => Ok(()),
    }
}

/// Maps SQLite's error codes onto the cases a user can act on.
pub(crate) fn classify(error: rusqlite::Error, path: &Path) -> SessionError {
    use rusqlite::Error as E;
    // Conversion errors only arise from reading stored values this build would never write.
    if matches!(
        error,
        E::IntegralValueOutOfRange(..) | E::FromSqlConversionFailure(..) | E::InvalidColumnType(..)
    ) {
        return SessionError::corrupt(format!("unexpected stored value: {error}"));
    }
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => SessionError::SessionInUse {
            path: path.to_path_buf(),
        },
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => {
            SessionError::corrupt(format!("SQLite: {error}"))
        }
        _ => SessionError::Sqlite(error),
    }
}
