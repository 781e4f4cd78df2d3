//! A storage that forgets everything when dropped.

use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use crate::state::SessionState;
use crate::storage::storage_reads_from_state;
use crate::{Changes, SessionError, Storage};

/// Keeps the session in memory only: for tests, short-lived bots, or sessions carried in a string
/// (see [`StringSession`](crate::StringSession)). `apply` never fails.
#[derive(Default)]
pub struct MemoryStorage {
    state: RwLock<SessionState>,
}

impl MemoryStorage {
    /// An empty session.
    pub fn new() -> Self {
        Self::default()
    }

    /// A session holding `changes` (for example another storage's [`Storage::snapshot`]).
    pub fn with(changes: Changes) -> Self {
        let storage = Self::new();
        // Cannot fail for memory storage.
        let _ = storage.apply(changes);
        storage
    }

    fn state(&self) -> RwLockReadGuard<'_, SessionState> {
        // No code panics while holding the lock, and the state stays valid between statements,
        // so a poisoned lock still guards consistent data.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Storage for MemoryStorage {
    storage_reads_from_state!();

    fn apply(&self, changes: Changes) -> Result<(), SessionError> {
        let mut state = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let plan = state.plan(changes);
        state.commit(plan);
        Ok(())
    }

    /// Never: a write is a short lock on memory.
    fn apply_blocks(&self) -> bool {
        false
    }
}

impl std::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStorage")
            .field("home_dc", &self.state().home_dc)
            .field("peers", &self.state().peer_count())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Persist, PersistedStorage, SessionState, SqliteStorage};

    /// Saves nothing, but could block as far as the storage knows.
    struct Discard;

    impl Persist for Discard {
        fn load(&mut self) -> Result<Changes, SessionError> {
            Ok(Changes::new())
        }
        fn save(&mut self, _: &Changes, _: &SessionState) -> Result<(), SessionError> {
            Ok(())
        }
    }

    #[test]
    fn only_the_memory_storage_writes_without_blocking() {
        assert!(!MemoryStorage::new().apply_blocks());
        let dir = tempfile::tempdir().unwrap();
        let sqlite = SqliteStorage::open(dir.path().join("s")).unwrap();
        assert!(sqlite.apply_blocks());
        // A backend of the user's own may write anywhere: the trait's default holds.
        assert!(PersistedStorage::open(Discard).unwrap().apply_blocks());
    }
}
