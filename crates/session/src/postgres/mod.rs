//! Sessions in a PostgreSQL database, for fleets: many clients on many machines, each session
//! driven by exactly one process at a time.
//!
//! # Design
//!
//! - **One pool per process, one storage per session.** A [`PostgresPool`] owns the connections
//!   (a [`deadpool_postgres`] pool for reads and writes, plus one dedicated *lock connection*);
//!   [`PostgresPool::open`] returns a [`PostgresStorage`] for one session name. Two hundred
//!   sessions share one pool of a handful of connections.
//! - **Single owner, across machines.** Opening takes the session-level advisory lock
//!   `pg_try_advisory_lock(schema class, session id)` on the lock connection and keeps it for the
//!   storage's life. The server releases it when that connection ends, so a holder killed with
//!   `kill -9` (its socket is closed by the kernel) is taken over at once; a holder whose machine
//!   vanished is dropped by TCP keep-alive after the *lease time* (30 s by default,
//!   [`PostgresPoolBuilder::lease`]), which the lock connection sets on the server side. A second
//!   opener gets [`SessionError::SessionLocked`] immediately, naming the holder.
//! - **Fencing.** Taking a session bumps its `epoch`; every write locks the session row and checks
//!   the epoch in the same transaction. A process that lost its lock connection and was taken over
//!   gets `SessionLocked` from `apply` and never writes over the new owner.
//! - **Atomic writes.** [`Storage::apply`] is one transaction; peers go in one `INSERT … SELECT
//!   unnest(…) ON CONFLICT` statement, so a batch of 200 is one round trip. As with SQLite, keys
//!   and identity are committed durably (waiting for the server's disk) and the frequent peer and
//!   update-state writes with `synchronous_commit = off` (atomic, safe against any client crash; a
//!   database server crash may lose the last fraction of a second, which the client refetches).
//! - **Versioned schema.** Tables live in one schema (`tgwire` by default), with a version row and
//!   append-only migrations run in one transaction under a transaction-scoped advisory lock, so
//!   machines starting together do not race. A newer schema is refused with
//!   [`SessionError::NewerSchema`].
//!
//! # Why tokio-postgres behind a synchronous trait
//!
//! [`Storage`] is synchronous (see the crate docs). The synchronous `postgres` crate would fit
//! it directly, but it drives each connection with `Runtime::block_on`, which panics when called —
//! or when the client is dropped — on a thread of another tokio runtime: exactly where a tgwire
//! application opens and drops its storage (`#[tokio::main]`). So this module uses the async
//! `tokio-postgres` with `deadpool-postgres` on a small private runtime (two threads), and its
//! synchronous methods hand the work over and wait on a channel, which is allowed on any thread.
//! Like SQLite, a call blocks its thread for the duration of the query; the client calls `apply`
//! from `spawn_blocking`. Reads never touch the database: the session is loaded into memory when
//! opened, as in every storage.
//!
//! Needs PostgreSQL 12 or newer (for `tcp_user_timeout`). Connections are unencrypted (`NoTls`):
//! use a Unix socket, a loopback port, or a network you trust (or a TLS-terminating proxy such as
//! PgBouncer in session mode — advisory locks need session pooling) between clients and database.

mod bridge;
mod schema;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard};
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::NoTls;

use self::bridge::Bridge;
use self::schema::Sql;
use crate::state::SessionState;
use crate::storage::storage_reads_from_state;
use crate::{Changes, SessionError, Storage};

/// The schema used when none is given.
pub const DEFAULT_SCHEMA: &str = "tgwire";

/// The lock connection's `application_name` is this followed by the holder's name.
const LOCK_CONNECTION_PREFIX: &str = "tgwire lock: ";

/// Longest accepted session name, in bytes.
const MAX_NAME_LEN: usize = 200;

/// Configures a [`PostgresPool`]; made by [`PostgresPool::builder`].
#[derive(Clone, Debug)]
pub struct PostgresPoolBuilder {
    url: String,
    schema: String,
    max_connections: usize,
    holder: Option<String>,
    lease: Duration,
    connect_timeout: Duration,
}

impl PostgresPoolBuilder {
    /// The schema holding the tables (default [`DEFAULT_SCHEMA`]): a plain lowercase identifier
    /// (`[a-z_][a-z0-9_]*`, at most 63 bytes). Pools with different schemas share nothing.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// How many connections the pool keeps for reads and writes (default 8), besides the one
    /// lock connection. Writes beyond that wait for a free connection.
    pub fn max_connections(mut self, max: usize) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How this process describes itself to a second opener in
    /// [`SessionError::SessionLocked`] (default: `<hostname> pid <pid>`).
    pub fn holder_name(mut self, holder: impl Into<String>) -> Self {
        self.holder = Some(holder.into());
        self
    }

    /// How long after this machine disappears (power loss, network partition) the server drops
    /// its lock connection, releasing its sessions to other processes (default 30 s, at least
    /// 3 s). Set through server-side TCP keep-alive and `tcp_user_timeout` on the lock
    /// connection; a killed process releases its sessions at once regardless.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = lease.max(Duration::from_secs(3));
        self
    }

    /// How long to wait for a new connection, and for a free pooled one (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Connects, creates or migrates the schema, and opens the lock connection. Blocks.
    pub fn connect(self) -> Result<PostgresPool, SessionError> {
        validate_schema(&self.schema)?;
        let mut config: tokio_postgres::Config = self.url.parse()?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(self.connect_timeout);
        }
        // Client-side keep-alive, so this side too notices a dead server within the lease.
        config.keepalives_idle((self.lease / 3).max(Duration::from_secs(1)));
        let holder = self.holder.unwrap_or_else(default_holder);
        if config.get_application_name().is_none() {
            let name: String = format!("tgwire: {holder}").chars().take(63).collect();
            config.application_name(&name);
        }
        let bridge = Arc::new(Bridge::new()?);
        let sql = Sql::new(&self.schema);
        let lock_class = lock_class(&self.schema);
        let (max, timeout, lease) = (self.max_connections, self.connect_timeout, self.lease);
        let shared = bridge.run(async move {
            let manager = Manager::from_config(
                config.clone(),
                NoTls,
                ManagerConfig {
                    recycling_method: RecyclingMethod::Fast,
                },
            );
            let pool = Pool::builder(manager)
                .max_size(max)
                .wait_timeout(Some(timeout))
                .create_timeout(Some(timeout))
                .runtime(deadpool_postgres::Runtime::Tokio1)
                .build()
                .map_err(|e| SessionError::Pool {
                    reason: e.to_string(),
                })?;
            let shared = Shared {
                pool,
                config,
                sql,
                lock_class,
                holder,
                lease,
                lock: tokio::sync::Mutex::new(None),
                held: Mutex::new(HashMap::new()),
            };
            {
                let mut client = shared.pool.get().await.map_err(pool_error)?;
                let tx = client.transaction().await?;
                schema::migrate(&*tx, &shared.sql, lock_class, schema::MIGRATIONS).await?;
                tx.commit().await?;
            }
            drop(shared.lock_connection().await?);
            Ok(Arc::new(shared))
        })?;
        bridge.spawn(watch_lock_connection(Arc::downgrade(&shared)));
        Ok(PostgresPool { shared, bridge })
    }
}

/// Connections to one PostgreSQL database holding many sessions; clone it freely (clones share
/// the connections). Open each session with [`PostgresPool::open`].
///
/// ```no_run
/// use tgwire_session::{PostgresPool, Storage};
///
/// let pool = PostgresPool::builder("postgresql://bots@db.internal/telegram")
///     .max_connections(16)
///     .connect()?;
/// let alice = pool.open("alice")?;
/// println!("alice lives on DC {:?}", alice.home_dc());
/// # Ok::<(), tgwire_session::SessionError>(())
/// ```
#[derive(Clone)]
pub struct PostgresPool {
    shared: Arc<Shared>,
    bridge: Arc<Bridge>,
}

impl PostgresPool {
    /// Options for a pool on the database at `url` (`postgresql://user:password@host:port/db`,
    /// or key-value form `host=/run/postgresql dbname=telegram`).
    pub fn builder(url: impl Into<String>) -> PostgresPoolBuilder {
        PostgresPoolBuilder {
            url: url.into(),
            schema: DEFAULT_SCHEMA.into(),
            max_connections: 8,
            holder: None,
            lease: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
        }
    }

    /// A pool with the default options. Blocks.
    pub fn connect(url: impl Into<String>) -> Result<Self, SessionError> {
        Self::builder(url).connect()
    }

    /// Opens (creating if new) the session called `name` and takes it for as long as the returned
    /// storage lives. Fails with [`SessionError::SessionLocked`] at once if another process — or
    /// another storage of this process — has it. Blocks.
    pub fn open(&self, name: &str) -> Result<PostgresStorage, SessionError> {
        validate_name(name)?;
        let shared = Arc::clone(&self.shared);
        let owned = name.to_owned();
        let (id, epoch, state) = self.bridge.run(async move { shared.take(&owned).await })?;
        Ok(PostgresStorage {
            pool: self.clone(),
            name: name.to_owned(),
            id,
            epoch,
            released: false,
            writer: Mutex::new(()),
            state: RwLock::new(state),
        })
    }

    /// The names of all sessions in the schema, sorted. Blocks.
    pub fn session_names(&self) -> Result<Vec<String>, SessionError> {
        let shared = Arc::clone(&self.shared);
        self.bridge.run(async move {
            let client = shared.pool.get().await.map_err(pool_error)?;
            let rows = client
                .query(
                    &shared.sql.q("SELECT name FROM {s}.session ORDER BY name"),
                    &[],
                )
                .await?;
            rows.iter()
                .map(|r| r.try_get(0).map_err(SessionError::from))
                .collect()
        })
    }

    /// Deletes the session called `name` (nothing happens if there is none). Fails with
    /// [`SessionError::SessionLocked`] if it is open anywhere. Blocks.
    pub fn delete_session(&self, name: &str) -> Result<(), SessionError> {
        validate_name(name)?;
        let storage = self.open(name)?;
        let shared = Arc::clone(&self.shared);
        let (id, epoch, owned) = (storage.id, storage.epoch, name.to_owned());
        self.bridge.run(async move {
            let mut client = shared.pool.get().await.map_err(pool_error)?;
            let tx = client.transaction().await?;
            shared.check_epoch(&tx, id, epoch, &owned).await?;
            tx.execute(
                &shared.sql.q("DELETE FROM {s}.session WHERE id = $1"),
                &[&id],
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })?;
        storage.close()
    }

    /// The schema this pool's tables are in.
    pub fn schema(&self) -> String {
        self.shared.sql.schema().to_owned()
    }
}

impl std::fmt::Debug for PostgresPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresPool")
            .field("schema", &self.shared.sql.schema())
            .field("holder", &self.shared.holder)
            .finish_non_exhaustive()
    }
}

/// What the pool's handles and its runtime's tasks share. Holds no reference to the runtime, so
/// the runtime is only ever shut down from a caller's thread, never from one of its own.
struct Shared {
    pool: Pool,
    config: tokio_postgres::Config,
    sql: Sql,
    lock_class: i32,
    holder: String,
    lease: Duration,
    /// The connection holding every advisory lock of this pool; `None` until connected, and
    /// replaced if it dies.
    lock: tokio::sync::Mutex<Option<tokio_postgres::Client>>,
    /// Session ids held through this pool, with the epoch we took them at (`None` while being
    /// taken): advisory locks are re-entrant on one connection, so a second open in this process is
    /// refused here, and a new lock connection re-takes exactly these.
    held: Mutex<HashMap<i32, Option<i64>>>,
}

impl Shared {
    /// The live lock connection, reconnecting (and re-taking this pool's locks) if it died.
    async fn lock_connection(
        &self,
    ) -> Result<tokio::sync::MutexGuard<'_, Option<tokio_postgres::Client>>, SessionError> {
        let mut guard = self.lock.lock().await;
        if guard.as_ref().is_some_and(|c| !c.is_closed()) {
            return Ok(guard);
        }
        if guard.is_some() {
            log::warn!("PostgreSQL session lock connection lost; reconnecting");
        }
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                log::warn!("PostgreSQL session lock connection closed: {e}");
            }
        });
        // Server-side keep-alive: how soon the server notices that this machine is gone and
        // releases its locks (ignored on Unix sockets, where the peer cannot vanish unnoticed).
        let lease = self.lease.as_secs().max(3);
        // Named after the holder, so that an operator sees in `pg_stat_activity` who holds what.
        let name: String = format!("{LOCK_CONNECTION_PREFIX}{}", self.holder)
            .chars()
            .take(63)
            .collect();
        client
            .execute("SELECT set_config('application_name', $1, false)", &[&name])
            .await?;
        client
            .batch_execute(&format!(
                "SET tcp_keepalives_idle = {};
                 SET tcp_keepalives_interval = {};
                 SET tcp_keepalives_count = 3;
                 SET tcp_user_timeout = {};",
                (lease / 3).max(1),
                (lease / 6).max(1),
                lease * 1000,
            ))
            .await?;
        // Sessions held through the old connection: take their locks again, unless another
        // process took the session meanwhile (its epoch moved on). A lost session stays lost: its
        // epoch check refuses every further write.
        let held: Vec<(i32, i64)> = self
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter_map(|(id, epoch)| Some((*id, (*epoch)?)))
            .collect();
        for (id, epoch) in held {
            let locked: bool = client
                .query_one(
                    "SELECT pg_try_advisory_lock($1, $2)",
                    &[&self.lock_class, &id],
                )
                .await?
                .try_get(0)?;
            let current: Option<i64> = if locked {
                client
                    .query_opt(
                        &self.sql.q("SELECT epoch FROM {s}.session WHERE id = $1"),
                        &[&id],
                    )
                    .await?
                    .map(|row| row.try_get(0))
                    .transpose()?
            } else {
                None
            };
            if current != Some(epoch) {
                log::warn!(
                    "session {id} was taken by another process while the lock connection was down"
                );
                if locked {
                    client
                        .execute(
                            "SELECT pg_advisory_unlock($1, $2)",
                            &[&self.lock_class, &id],
                        )
                        .await?;
                }
            }
        }
        *guard = Some(client);
        Ok(guard)
    }

    /// Finds or creates the session, locks it, bumps its epoch and loads it.
    async fn take(&self, name: &str) -> Result<(i32, i64, SessionState), SessionError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let find = self.sql.q("SELECT id FROM {s}.session WHERE name = $1");
        let id: i32 = match client.query_opt(&find, &[&name]).await? {
            Some(row) => row.try_get(0)?,
            None => {
                // Only inserted when missing: an identity value is used up by every attempt,
                // even one that conflicts, and fleets reopen their sessions all the time.
                client
                    .execute(
                        &self.sql.q(
                            "INSERT INTO {s}.session (name) VALUES ($1) ON CONFLICT (name) DO NOTHING",
                        ),
                        &[&name],
                    )
                    .await?;
                client.query_one(&find, &[&name]).await?.try_get(0)?
            }
        };

        {
            let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
            if held.contains_key(&id) {
                return Err(SessionError::SessionLocked {
                    session: name.to_owned(),
                    holder: format!("{} (this process)", self.holder),
                });
            }
            held.insert(id, None);
        }
        let result = async {
            let locked = {
                let guard = self.lock_connection().await?;
                let lock = guard.as_ref().ok_or_else(|| SessionError::Pool {
                    reason: "no lock connection".into(),
                })?;
                lock.query_one(
                    "SELECT pg_try_advisory_lock($1, $2)",
                    &[&self.lock_class, &id],
                )
                .await?
                .try_get::<_, bool>(0)?
            };
            if !locked {
                // The holder's lock connection is named after it; the session row may not name
                // it yet (it is written just after the lock is taken), so ask the server who holds
                // the lock, and fall back to the row.
                let row = client
                    .query_one(
                        &self
                            .sql
                            .q("SELECT (SELECT a.application_name FROM pg_locks l
                                     JOIN pg_stat_activity a ON a.pid = l.pid
                                     WHERE l.locktype = 'advisory' AND l.granted
                                       AND l.classid = $1::integer::oid
                                       AND l.objid = $2::integer::oid AND l.objsubid = 2
                                     LIMIT 1),
                                    (SELECT owner FROM {s}.session WHERE id = $2)"),
                        &[&self.lock_class, &id],
                    )
                    .await?;
                let by_lock: Option<String> = row.try_get(0)?;
                let by_row: Option<String> = row.try_get(1)?;
                let holder = by_lock
                    .and_then(|name| name.strip_prefix(LOCK_CONNECTION_PREFIX).map(str::to_owned))
                    .filter(|name| !name.is_empty())
                    .or(by_row)
                    .unwrap_or_else(|| "unknown".into());
                return Err(SessionError::SessionLocked {
                    session: name.to_owned(),
                    holder,
                });
            }
            let taken = async {
                // The row lock taken by this UPDATE orders us after any write still in flight
                // from a previous owner; the new epoch refuses every write of theirs after it.
                let tx = client.transaction().await?;
                let epoch: i64 = tx
                    .query_one(
                        &self
                            .sql
                            .q("UPDATE {s}.session SET epoch = epoch + 1, owner = $2,
                             owned_since = now() WHERE id = $1 RETURNING epoch"),
                        &[&id, &self.holder],
                    )
                    .await?
                    .try_get(0)?;
                let state = schema::load(&*tx, &self.sql, id).await?;
                tx.commit().await?;
                Ok::<_, SessionError>((epoch, state))
            }
            .await;
            if taken.is_err() {
                self.unlock(id).await;
            }
            taken
        }
        .await;
        match result {
            Ok((epoch, state)) => {
                self.held
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .insert(id, Some(epoch));
                Ok((id, epoch, state))
            }
            Err(e) => {
                self.held
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
                Err(e)
            }
        }
    }

    /// Releases the advisory lock of session `id` (best effort: if the lock connection is gone,
    /// so is the lock).
    async fn unlock(&self, id: i32) {
        let guard = self.lock.lock().await;
        if let Some(client) = guard.as_ref().filter(|c| !c.is_closed()) {
            if let Err(e) = client
                .execute(
                    "SELECT pg_advisory_unlock($1, $2)",
                    &[&self.lock_class, &id],
                )
                .await
            {
                log::warn!("could not release the lock of session {id}: {e}");
            }
        }
    }

    /// Locks the session row for the rest of `tx` and checks that we still own the session.
    async fn check_epoch(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        id: i32,
        epoch: i64,
        name: &str,
    ) -> Result<(), SessionError> {
        let statement = tx
            .prepare_cached(
                &self
                    .sql
                    .q("SELECT epoch, owner FROM {s}.session WHERE id = $1 FOR UPDATE"),
            )
            .await?;
        let row = tx.query_opt(&statement, &[&id]).await?;
        let Some(row) = row else {
            return Err(SessionError::SessionLocked {
                session: name.to_owned(),
                holder: "nobody: the session was deleted".into(),
            });
        };
        let stored: i64 = row.try_get(0)?;
        if stored != epoch {
            let holder: Option<String> = row.try_get(1)?;
            return Err(SessionError::SessionLocked {
                session: name.to_owned(),
                holder: holder.unwrap_or_else(|| "unknown".into()),
            });
        }
        Ok(())
    }

    async fn persist(
        &self,
        id: i32,
        epoch: i64,
        name: &str,
        plan: &Changes,
    ) -> Result<(), SessionError> {
        let mut client = self.pool.get().await.map_err(pool_error)?;
        let tx = client.transaction().await?;
        if !plan.is_precious() {
            // Like SQLite's synchronous=NORMAL: the commit is atomic and survives this process
            // dying, but is not waited on to reach the server's disk; a crash of the database
            // server may lose the last few hundred milliseconds of peers and update state, which
            // the client refetches. Keys and identity always wait for the disk.
            tx.batch_execute("SET LOCAL synchronous_commit = off")
                .await?;
        }
        self.check_epoch(&tx, id, epoch, name).await?;
        schema::persist(&tx, &self.sql, id, plan).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// One session in a PostgreSQL database, held by this process from [`PostgresPool::open`] until
/// dropped or [closed](PostgresStorage::close). Reads come from memory; [`Storage::apply`] is one
/// transaction and blocks for its round trips.
pub struct PostgresStorage {
    pool: PostgresPool,
    name: String,
    id: i32,
    epoch: i64,
    released: bool,
    /// Serialises writers, so each plan is computed against exactly the state it commits on.
    writer: Mutex<()>,
    state: RwLock<SessionState>,
}

impl PostgresStorage {
    /// Opens session `name` with a pool of its own (default options). For many sessions, share
    /// one [`PostgresPool`] instead. Blocks.
    pub fn open(url: &str, name: &str) -> Result<Self, SessionError> {
        PostgresPool::builder(url)
            .max_connections(2)
            .connect()?
            .open(name)
    }

    /// The session's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pool this session was opened through.
    pub fn pool(&self) -> &PostgresPool {
        &self.pool
    }

    /// Releases the session and waits until the server has released its lock, so that another
    /// process can open it right away. Dropping does the same without waiting.
    pub fn close(mut self) -> Result<(), SessionError> {
        self.released = true;
        self.forget_held();
        let shared = Arc::clone(&self.pool.shared);
        let id = self.id;
        self.pool.bridge.run(async move {
            shared.unlock(id).await;
            Ok(())
        })
    }

    fn forget_held(&self) {
        self.pool
            .shared
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.id);
    }

    fn state(&self) -> RwLockReadGuard<'_, SessionState> {
        // No code panics while holding the lock, so a poisoned lock still guards consistent data.
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for PostgresStorage {
    fn drop(&mut self) {
        if self.released {
            return;
        }
        // Forgotten here at once; the unlock follows on the lock connection. A re-open in between
        // is still correct: advisory locks count, so it holds the lock after our unlock runs.
        self.forget_held();
        let shared = Arc::clone(&self.pool.shared);
        let id = self.id;
        self.pool
            .bridge
            .spawn(async move { shared.unlock(id).await });
    }
}

impl Storage for PostgresStorage {
    storage_reads_from_state!();

    fn apply(&self, changes: Changes) -> Result<(), SessionError> {
        if changes.is_empty() {
            return Ok(());
        }
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let plan = self.state().plan(changes);
        let shared = Arc::clone(&self.pool.shared);
        let (id, epoch, name) = (self.id, self.epoch, self.name.clone());
        let plan = self.pool.bridge.run(async move {
            shared.persist(id, epoch, &name, &plan).await?;
            Ok(plan)
        })?;
        self.state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .commit(plan);
        Ok(())
    }
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage")
            .field("name", &self.name)
            .field("home_dc", &self.state().home_dc)
            .field("peers", &self.state().peer_count())
            .finish_non_exhaustive()
    }
}

/// Keeps the lock connection alive while the pool exists: checks it every third of the lease and,
/// if it died, reconnects and re-takes this pool's sessions before another process can (or learns
/// that one did).
async fn watch_lock_connection(shared: std::sync::Weak<Shared>) {
    let period = match shared.upgrade() {
        Some(shared) => (shared.lease / 3).max(Duration::from_secs(1)),
        None => return,
    };
    loop {
        tokio::time::sleep(period).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let checked = shared.lock_connection().await.map(drop);
        if let Err(e) = checked {
            log::warn!("PostgreSQL session lock connection is down: {e}");
        }
    }
}

fn pool_error(e: deadpool_postgres::PoolError) -> SessionError {
    match e {
        deadpool_postgres::PoolError::Backend(e) => SessionError::Postgres(e),
        other => SessionError::Pool {
            reason: other.to_string(),
        },
    }
}

/// The first key of this schema's advisory locks, so that two schemas (or other applications'
/// advisory locks in the same database) do not collide.
fn lock_class(schema: &str) -> i32 {
    let hash = crc32fast::hash(format!("tgwire-session:{schema}").as_bytes());
    i32::from_ne_bytes(hash.to_ne_bytes())
}

fn validate_schema(schema: &str) -> Result<(), SessionError> {
    let bad = |reason| {
        Err(SessionError::InvalidName {
            name: schema.to_owned(),
            reason,
        })
    };
    let mut chars = schema.chars();
    match chars.next() {
        None => return bad("empty schema name"),
        Some(c) if !(c.is_ascii_lowercase() || c == '_') => {
            return bad("a schema name starts with a lowercase letter or '_'")
        }
        _ => {}
    }
    if schema.len() > 63 {
        return bad("a schema name is at most 63 bytes");
    }
    if !chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
        return bad("a schema name has only lowercase letters, digits and '_'");
    }
    Ok(())
}

fn validate_name(name: &str) -> Result<(), SessionError> {
    let reason = if name.is_empty() {
        "empty session name"
    } else if name.len() > MAX_NAME_LEN {
        "a session name is at most 200 bytes"
    } else if name.contains('\0') {
        "a session name cannot contain NUL"
    } else {
        return Ok(());
    };
    Err(SessionError::InvalidName {
        name: name.to_owned(),
        reason,
    })
}

/// `<hostname> pid <pid>`.
fn default_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "unknown host".into());
    format!("{host} pid {}", std::process::id())
}
