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
}

impl std::fmt::Debug for MemoryStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStorage")
            .field("home_dc", &self.state().home_dc)
            .field("peers", &self.state().peer_count())
            .finish_non_exhaustive()
    }
}
