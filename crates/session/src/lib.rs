//! Session storage for tgwire: what lets a client sign in once and come back.
//!
//! A session holds the home DC and the DC address list, the permanent auth key of every DC the
//! client talked to (and temporary keys with their expiry), the signed-in user, the update state
//! (`pts`, `qts`, `date`, `seq`, and a `pts` per channel), and the peer cache: for every user, bot,
//! group and channel seen, its access hash, usernames, phone and display name, so that peers can be
//! addressed again without asking the server.
//!
//! Backends implement [`Storage`]:
//!
//! - [`SqliteStorage`], the default: one `<name>.session` SQLite file in WAL mode, schema-versioned
//!   with migrations, created `0600`, locked exclusively so a second client gets
//!   [`SessionError::SessionInUse`] immediately, crash-safe, and never overwritten when damaged.
//! - `PostgresStorage` (feature `postgres`): many sessions in one PostgreSQL database for fleets
//!   of clients on many machines, one owner per session enforced by an advisory lock (with a
//!   fencing epoch), [`SessionError::SessionLocked`] for a second opener, taken over when the
//!   holder dies. The `postgres` module explains the design.
//! - [`MemoryStorage`]: nothing on disk.
//! - [`StringSession`]: the essentials (home DC, address, key, user) as a string, in tgwire's own
//!   checksummed format or in Telethon's `StringSession` format, both ways.
//! - [`import_telethon_session`]: reads a Telethon `.session` file into any storage.
//! - Your own: implement [`Persist`] (load everything once, save each batch of [`Changes`]) and
//!   wrap it in a [`PersistedStorage`], which keeps the session in a [`SessionState`] and applies
//!   the same peer-cache rules as the storages above; or implement [`Storage`] by hand.
//!
//! [`copy_session`] moves a whole session from any storage to any other.
//!
//! Peers are addressed by [`PeerRef`] (kind, id, access hash), which has a stable text form and
//! converts to and from Bot API ids.
//!
//! # Design: a synchronous trait with in-memory reads
//!
//! [`Storage`] is a plain synchronous, object-safe trait (`Arc<dyn Storage>` works), not an async
//! one, for three reasons:
//!
//! 1. **The hot path never touches disk.** Every storage keeps the whole session, peer cache
//!    included, in memory; looking up a peer by id or username is a hash-map read (a search of
//!    a short sorted vector while the session knows few peers) behind an uncontended `RwLock`,
//!    far cheaper than any future.
//! 2. **Disk writes block no matter how they are wrapped.** SQLite has no async API; an `async fn`
//!    that calls it would stall the executor thread just the same, only less visibly. A synchronous
//!    [`Storage::apply`] says honestly that it blocks; the client calls it from
//!    `tokio::task::spawn_blocking` (or a dedicated writer thread), which keeps this crate free of
//!    any async runtime.
//! 3. **`async fn` in traits is not object-safe** without boxing every future, and users should be
//!    able to plug in their own storage behind `dyn Storage`.
//!
//! Writes are batched in [`Changes`] and applied atomically, which is what keeps the file consistent
//! when the process dies: the peers of an update batch and the `pts` it advances to are one
//! transaction.
//!
//! ```text
//!   client task ──read (memory)──▶ Storage ◀──apply(Changes)── spawn_blocking
//!                                     │
//!                       SessionState::plan (min rule, username moves)
//!                                     │
//!                      SQLite transaction (WAL) ── commit ──▶ SessionState::commit (memory)
//! ```
//!
//! # What this crate does not do
//!
//! It does no networking and knows nothing of the MTProto wire types: it defines its own plain types
//! ([`AuthKeyData`], [`DcOption`], [`UpdateState`], …). `From` conversions to and from
//! `tgwire-tl-types` (`DcOption`, `updates.State`, `User`/`Chat`/`Channel` into [`CachedPeer`]) and
//! `tgwire-crypto`'s auth key type will be added here once those crates settle. It does not cache
//! uploaded files or full user/chat info, and it does not encrypt the file: protect it like a
//! password (it is created `0600`).
//!
//! # Example
//!
//! ```
//! use tgwire_session::{CachedPeer, Changes, PeerKind, PeerRef, SqliteStorage, Storage, UpdateState};
//!
//! let dir = tempfile::tempdir()?;
//! let storage = SqliteStorage::open(dir.path().join("alice"))?; // alice.session
//!
//! let mut bob = CachedPeer::new(PeerRef::new(PeerKind::User, 42, Some(0x1234))?);
//! bob.usernames.push("Bob".into());
//! let mut changes = Changes::new();
//! changes
//!     .set_update_state(UpdateState { pts: 7, qts: 0, date: 1_700_000_000, seq: 1 })
//!     .upsert_peer(bob);
//! storage.apply(changes)?; // one transaction
//!
//! let found = storage.peer_by_username("@bob").expect("cached");
//! assert_eq!(found.peer.to_string(), "u42.1234");
//! assert_eq!(storage.update_state().map(|s| s.pts), Some(7));
//!
//! // Only one client may have the session open.
//! assert!(matches!(
//!     SqliteStorage::open(dir.path().join("alice")),
//!     Err(tgwire_session::SessionError::SessionInUse { .. })
//! ));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod changes;
mod dc;
mod dc_map;
mod error;
mod key;
mod memory;
mod peer;
mod peer_cache;
mod persisted;
#[cfg(feature = "postgres")]
pub mod postgres;
mod rows;
#[cfg(feature = "serde")]
mod serde_impls;
mod sqlite;
mod state;
mod storage;
mod string_session;
mod telethon;
mod update_state;

pub use changes::Changes;
pub use dc::{DcFlags, DcOption};
pub use error::SessionError;
pub use key::{AuthKeyData, TempAuthKey};
pub use memory::MemoryStorage;
pub use peer::{CachedPeer, PeerKind, PeerRef, SelfUser, BOT_API_CHANNEL_OFFSET};
pub use persisted::{Persist, PersistedStorage};
#[cfg(feature = "postgres")]
pub use postgres::{PostgresPool, PostgresPoolBuilder, PostgresStorage, DEFAULT_SCHEMA};
pub use sqlite::SqliteStorage;
pub use state::SessionState;
pub use storage::{copy_session, Storage};
pub use string_session::StringSession;
pub use telethon::{import_telethon_session, TELETHON_SCHEMA_VERSION};
pub use update_state::UpdateState;

/// The user guide, `docs/sessions.md`, included here only so that `cargo test` compiles and runs
/// its examples.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/sessions.md")]
pub struct SessionsGuide;
