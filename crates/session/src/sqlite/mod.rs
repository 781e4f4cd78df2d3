//! The default, file-backed storage: one SQLite database per session.

mod open;
pub(crate) mod schema;

pub(crate) use open::{check_header, classify};

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard};

use rusqlite::{Connection, TransactionBehavior};

use crate::state::SessionState;
use crate::storage::storage_reads_from_state;
use crate::{Changes, SessionError, Storage};

/// A session kept in an SQLite file (`<name>.session`).
///
/// - **One owner.** Opening takes an exclusive lock that lasts until the storage is dropped; a second
///   opener — another process, or another `SqliteStorage` in this one — gets
///   [`SessionError::SessionInUse`] at once instead of "database is locked" later.
/// - **Crash-safe.** Writes go through SQLite's write-ahead log; every [`Storage::apply`] is one
///   transaction, so a killed process leaves the file at the last completed `apply`. Keys and the
///   signed-in identity are committed with a full fsync; the frequent peer and update-state writes use
///   `synchronous=NORMAL` (safe against process crashes; a power cut may lose the last few, which
///   the update gap recovery refetches).
/// - **Never clobbers.** A corrupt file, a file from a newer tgwire, or another program's database is
///   reported as an error and left byte-for-byte untouched.
/// - **Private.** A new file is created with mode `0600` on Unix; SQLite gives its `-wal` the same.
/// - **Fast reads.** The whole session, peer cache included, is loaded into memory when opened.
pub struct SqliteStorage {
    path: PathBuf,
    conn: Mutex<Connection>,
    state: RwLock<SessionState>,
}

impl SqliteStorage {
    /// Opens the session at `path`, creating it if it does not exist. A path without an extension
    /// gets `.session` appended (`"alice"` opens `alice.session`).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SessionError> {
        let path = session_path(path.as_ref());
        let (conn, state) = open::open(&path)?;
        Ok(SqliteStorage {
            path,
            conn: Mutex::new(conn),
            state: RwLock::new(state),
        })
    }

    /// The file this session lives in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the file, folding the write-ahead log back into it, and releases the lock. Dropping
    /// the storage does the same but cannot report a failure.
    pub fn close(self) -> Result<(), SessionError> {
        let conn = self
            .conn
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner);
        conn.close().map_err(|(_, e)| open::classify(e, &self.path))
    }

    fn state(&self) -> RwLockReadGuard<'_, SessionState> {
        // No code panics while holding the lock, so a poisoned lock still guards consistent data.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Appends `.session` to a path that has no extension.
fn session_path(path: &Path) -> PathBuf {
    if path.extension().is_none() {
        path.with_extension("session")
    } else {
        path.to_path_buf()
    }
}

impl Storage for SqliteStorage {
    storage_reads_from_state!();

    fn apply(&self, changes: Changes) -> Result<(), SessionError> {
        if changes.is_empty() {
            return Ok(());
        }
        // Holding the connection for the whole plan-persist-commit sequence serialises writers, so
        // the plan is computed against exactly the state it will be committed on top of.
        let mut conn = self.conn.lock().unwrap_or_else(PoisonError::into_inner);
        let plan = self.state().plan(changes);
        let precious = plan.is_precious();
        if precious {
            conn.pragma_update(None, "synchronous", "FULL")
                .map_err(|e| open::classify(e, &self.path))?;
        }
        let written = (|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            schema::persist(&tx, &plan)?;
            tx.commit()?;
            Ok::<(), SessionError>(())
        })();
        if precious {
            let restored = conn.pragma_update(None, "synchronous", "NORMAL");
            if let Err(e) = restored {
                log::warn!("could not restore synchronous=NORMAL: {e}");
            }
        }
        written.map_err(|e| match e {
            SessionError::Sqlite(e) => open::classify(e, &self.path),
            other => other,
        })?;
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .commit(plan);
        Ok(())
    }
}

impl std::fmt::Debug for SqliteStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStorage")
            .field("path", &self.path)
            .field("home_dc", &self.state().home_dc)
            .field("peers", &self.state().peer_count())
            .finish_non_exhaustive()
    }
}
