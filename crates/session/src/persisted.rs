//! Storages of your own: a backend that only loads and saves, and the storage built around it.

use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard};

use crate::storage::storage_reads_from_state;
use crate::{Changes, SessionError, SessionState, Storage};

/// Where a storage of your own keeps a session: it loads everything once and saves each batch.
///
/// Wrap it in a [`PersistedStorage`] to get a [`Storage`] the client takes. The wrapper keeps the
/// session in memory (a [`SessionState`]), answers every read from there, applies the peer
/// cache's rules (the min rule, usernames and phones moving to their new owner), and calls
/// [`save`](Persist::save) with the final values of each batch before it shows them to readers.
/// A backend therefore only decides *where* bytes go: a file, a key-value store, a secret
/// manager, a database of your own.
///
/// What a session is made of, and what a backend must keep, is in [`Changes`]: the home DC, the
/// DC addresses, the permanent and temporary auth key of each DC, the signed-in user, the
/// update state, a `pts` per channel, and the peer cache. Every value type is public and plain
/// (`AuthKeyData::as_bytes`/`from_slice`, `PeerRef`'s text form and `FromStr`, public fields
/// elsewhere), so any encoding works.
///
/// Two ways to write [`save`](Persist::save):
///
/// - **Rewrite everything** (files, blobs): build the session after the batch and write it whole,
///   `let mut after = before.clone(); after.commit(batch.clone()); write(after.snapshot())`.
/// - **Write only what changed** (databases, key-value stores): walk the batch's getters and
///   upsert or delete those rows; if [`Changes::wipes_all`] is set, delete everything first.
///
/// A JSON-file backend, run against the test server, is in `docs/sessions.md` ("Your own
/// storage").
pub trait Persist: Send + 'static {
    /// Everything stored so far, as changes that rebuild the session from nothing:
    /// [`Changes::new`] for a new session, or what [`SessionState::snapshot`] gave at the last
    /// save. Called once, by [`PersistedStorage::open`].
    fn load(&mut self) -> Result<Changes, SessionError>;

    /// Makes one batch durable: all of it, or (returning an error) none of it. `batch` holds the
    /// final values to store (see [`SessionState::plan`]: each peer is the whole entry for its
    /// Bot API id, `None` values delete), and `before` is the session as it was before the batch.
    /// May block; the client calls it from a blocking thread.
    fn save(&mut self, batch: &Changes, before: &SessionState) -> Result<(), SessionError>;
}

/// A [`Storage`] around a [`Persist`] backend of your own.
///
/// Reads come from memory; [`Storage::apply`] plans the batch, hands it to
/// [`Persist::save`], and installs it in memory only once that returned `Ok`, so after a failed
/// save the storage answers as before. Writers are serialised (the backend is behind a mutex).
///
/// ```
/// use tgwire_session::{Changes, Persist, PersistedStorage, SessionError, SessionState, Storage};
///
/// /// Counts saves and keeps nothing: the smallest possible backend.
/// #[derive(Default)]
/// struct Counting(usize);
///
/// impl Persist for Counting {
///     fn load(&mut self) -> Result<Changes, SessionError> {
///         Ok(Changes::new())
///     }
///     fn save(&mut self, _batch: &Changes, _before: &SessionState) -> Result<(), SessionError> {
///         self.0 += 1;
///         Ok(())
///     }
/// }
///
/// let storage = PersistedStorage::open(Counting::default())?;
/// let mut changes = Changes::new();
/// changes.set_home_dc(2);
/// storage.apply(changes)?;
/// storage.apply(Changes::new())?; // nothing to save
/// assert_eq!(storage.home_dc(), Some(2));
/// assert_eq!(storage.into_backend().0, 1);
/// # Ok::<(), SessionError>(())
/// ```
pub struct PersistedStorage<P> {
    state: RwLock<SessionState>,
    backend: Mutex<P>,
}

impl<P: Persist> PersistedStorage<P> {
    /// Loads the session from `backend` ([`Persist::load`]) and keeps it in memory.
    pub fn open(mut backend: P) -> Result<Self, SessionError> {
        let loaded = backend.load()?;
        let mut state = SessionState::new();
        state.apply(loaded);
        Ok(PersistedStorage {
            state: RwLock::new(state),
            backend: Mutex::new(backend),
        })
    }

    /// Gives the backend back (for example to close it explicitly).
    pub fn into_backend(self) -> P {
        self.backend
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn state(&self) -> RwLockReadGuard<'_, SessionState> {
        // No code of ours panics while holding the lock; a panicking backend runs under the
        // backend mutex only, before the state changes, so the state stays consistent.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<P: Persist> Storage for PersistedStorage<P> {
    storage_reads_from_state!();

    fn apply(&self, changes: Changes) -> Result<(), SessionError> {
        if changes.is_empty() {
            return Ok(());
        }
        // Holding the backend for the whole plan-save-commit sequence serialises writers, so the
        // plan is committed on exactly the state it was computed on.
        let mut backend = self.backend.lock().unwrap_or_else(PoisonError::into_inner);
        let plan = {
            let state = self.state();
            let plan = state.plan(changes);
            backend.save(&plan, &state)?;
            plan
        };
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .commit(plan);
        Ok(())
    }
}

impl<P> std::fmt::Debug for PersistedStorage<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.state.read().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("PersistedStorage")
            .field("backend", &std::any::type_name::<P>())
            .field("home_dc", &state.home_dc())
            .field("peers", &state.peer_count())
            .finish_non_exhaustive()
    }
}
