//! The `Storage` trait every session backend implements.

use crate::{
    AuthKeyData, CachedPeer, Changes, DcOption, PeerRef, SelfUser, SessionError, TempAuthKey,
    UpdateState,
};

/// Where a client keeps what it must remember between runs.
///
/// Reads are answered from memory and never block on disk; [`Storage::apply`] persists a batch
/// of [`Changes`] atomically and may block (see the crate docs for why the trait is synchronous).
/// Implementations are `Send + Sync` and use interior mutability, so one `Arc<dyn Storage>` can be
/// shared by the client's tasks and by the blocking thread that writes.
///
/// # Implementing a storage of your own
///
/// Usually you do not implement this trait directly: implement [`Persist`](crate::Persist) (load
/// everything once, save each batch) and wrap it in [`PersistedStorage`](crate::PersistedStorage),
/// which answers the reads from a [`SessionState`](crate::SessionState) and applies the peer
/// cache's rules exactly as the built-in storages do.
///
/// Implementing `Storage` by hand is for storages that keep their own in-memory image (or wrap
/// another storage). Everything a storage must keep is readable from [`Changes`]
/// ([`Changes::home_dc`], [`Changes::auth_keys`], [`Changes::peers`], …);
/// [`SessionState::plan`](crate::SessionState::plan) turns a batch into the final values to
/// store. The contract the client relies on:
///
/// - reads reflect every `apply` that returned `Ok`, and never block;
/// - `apply` is atomic: after an error, reads answer as before and nothing of the batch is kept;
/// - after the process restarts, opening the storage again answers as before the restart (for a
///   storage that persists at all);
/// - `snapshot` is everything held, so that [`copy_session`] moves it intact.
pub trait Storage: Send + Sync {
    /// The DC the account lives on, if known.
    fn home_dc(&self) -> Option<i32>;
    /// All known DC addresses.
    fn dc_options(&self) -> Vec<DcOption>;
    /// The permanent auth key for a DC.
    fn auth_key(&self, dc_id: i32) -> Option<AuthKeyData>;
    /// The temporary auth key for a DC, with its expiry.
    fn temp_auth_key(&self, dc_id: i32) -> Option<TempAuthKey>;
    /// Who is signed in.
    fn self_user(&self) -> Option<SelfUser>;
    /// The account-wide update state.
    fn update_state(&self) -> Option<UpdateState>;
    /// The `pts` of one channel (bare channel id).
    fn channel_pts(&self, channel_id: i64) -> Option<i32>;
    /// Every channel with a stored `pts`, as `(bare channel id, pts)`, sorted by id.
    fn channel_states(&self) -> Vec<(i64, i32)>;
    /// A cached peer by Bot API id ([`PeerRef::bot_api_id`]).
    fn peer(&self, bot_api_id: i64) -> Option<CachedPeer>;
    /// A cached peer by any of its usernames (case-insensitive, leading `@` optional).
    fn peer_by_username(&self, username: &str) -> Option<CachedPeer>;
    /// A cached peer by phone number (any punctuation ignored).
    fn peer_by_phone(&self, phone: &str) -> Option<CachedPeer>;
    /// Number of peers in the cache.
    fn peer_count(&self) -> usize;
    /// Everything stored, as `Changes` (starting with [`Changes::wipe_all`]) that recreate it in
    /// another storage: this is how sessions move between backends.
    fn snapshot(&self) -> Changes;
    /// Applies a batch of writes atomically: after an error nothing of it is visible, in memory or
    /// on disk. May block on disk I/O.
    fn apply(&self, changes: Changes) -> Result<(), SessionError>;

    /// Whether [`apply`](Self::apply) may block the calling thread (disk or network I/O).
    ///
    /// The client runs a blocking `apply` on one of tokio's blocking threads and a
    /// non-blocking one in place. Sending a few microseconds of work in memory to another thread
    /// is not free: each concurrent write takes a blocking thread, which tokio creates when none
    /// is idle (a thread stack and a malloc arena each), so a process running many clients on
    /// memory storages would keep dozens of threads for nothing. The default is `true`; override
    /// it only for a storage whose `apply` never waits on anything but a lock held briefly.
    fn apply_blocks(&self) -> bool {
        true
    }

    /// Only the reference of a cached peer (cheaper than [`Storage::peer`]: nothing is cloned).
    fn peer_ref(&self, bot_api_id: i64) -> Option<PeerRef> {
        self.peer(bot_api_id).map(|p| p.peer)
    }

    /// Only the reference of the peer with this username (cheaper than
    /// [`Storage::peer_by_username`]).
    fn peer_ref_by_username(&self, username: &str) -> Option<PeerRef> {
        self.peer_by_username(username).map(|p| p.peer)
    }

    /// Whether the cache holds this peer with a full (not "min") access hash (cheaper than
    /// [`Storage::peer`]: nothing is cloned). The update engine asks it for every author of
    /// every pushed message.
    fn has_full_peer(&self, bot_api_id: i64) -> bool {
        self.peer(bot_api_id).is_some_and(|p| !p.min)
    }
}

/// Implements the read half of [`Storage`] for a type with a `fn state(&self) -> impl Deref<Target =
/// SessionState>` method, so the backends cannot drift apart in how they answer.
macro_rules! storage_reads_from_state {
    () => {
        fn home_dc(&self) -> Option<i32> {
            self.state().home_dc()
        }
        fn dc_options(&self) -> Vec<$crate::DcOption> {
            self.state().dc_options().to_vec()
        }
        fn auth_key(&self, dc_id: i32) -> Option<$crate::AuthKeyData> {
            self.state().auth_key(dc_id).cloned()
        }
        fn temp_auth_key(&self, dc_id: i32) -> Option<$crate::TempAuthKey> {
            self.state().temp_auth_key(dc_id).cloned()
        }
        fn self_user(&self) -> Option<$crate::SelfUser> {
            self.state().self_user()
        }
        fn update_state(&self) -> Option<$crate::UpdateState> {
            self.state().update_state()
        }
        fn channel_pts(&self, channel_id: i64) -> Option<i32> {
            self.state().channel_pts(channel_id)
        }
        fn channel_states(&self) -> Vec<(i64, i32)> {
            self.state().channel_states()
        }
        fn peer(&self, bot_api_id: i64) -> Option<$crate::CachedPeer> {
            self.state().peer(bot_api_id).cloned()
        }
        fn peer_ref(&self, bot_api_id: i64) -> Option<$crate::PeerRef> {
            self.state().peer(bot_api_id).map(|p| p.peer)
        }
        fn has_full_peer(&self, bot_api_id: i64) -> bool {
            self.state().peer(bot_api_id).is_some_and(|p| !p.min)
        }
        fn peer_by_username(&self, username: &str) -> Option<$crate::CachedPeer> {
            self.state().peer_by_username(username).cloned()
        }
        fn peer_ref_by_username(&self, username: &str) -> Option<$crate::PeerRef> {
            self.state().peer_by_username(username).map(|p| p.peer)
        }
        fn peer_by_phone(&self, phone: &str) -> Option<$crate::CachedPeer> {
            self.state().peer_by_phone(phone).cloned()
        }
        fn peer_count(&self) -> usize {
            self.state().peer_count()
        }
        fn snapshot(&self) -> $crate::Changes {
            self.state().snapshot()
        }
    };
}
pub(crate) use storage_reads_from_state;

/// Copies a whole session from one storage to another, replacing everything `to` held, in one
/// atomic [`Storage::apply`]: SQLite to PostgreSQL, PostgreSQL to memory, and so on.
///
/// The other moves are one call each too: a [`StringSession`](crate::StringSession) goes in with
/// `to.apply(StringSession::decode(text)?.to_changes())` and comes out with
/// `StringSession::from_storage(from)?.encode()`, and a Telethon file goes in with
/// `to.apply(import_telethon_session(path)?)`.
///
/// ```
/// use tgwire_session::{copy_session, Changes, MemoryStorage, SqliteStorage, Storage};
///
/// let dir = tempfile::tempdir()?;
/// let file = SqliteStorage::open(dir.path().join("bot"))?;
/// let mut changes = Changes::new();
/// changes.set_home_dc(4);
/// file.apply(changes)?;
///
/// let memory = MemoryStorage::new();
/// copy_session(&file, &memory)?;
/// assert_eq!(memory.home_dc(), Some(4));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn copy_session(from: &dyn Storage, to: &dyn Storage) -> Result<(), SessionError> {
    to.apply(from.snapshot())
}
