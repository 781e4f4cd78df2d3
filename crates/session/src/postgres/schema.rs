//! The database's tables, their migrations, and reading/writing one session's rows.
//!
//! Every statement names its tables as `{s}.table`; [`Sql::q`] puts the pool's quoted schema in
//! place of `{s}`, so one database can hold several independent sets of sessions.

use tokio_postgres::GenericClient;

use crate::rows::{self, PeerRow};
use crate::state::SessionState;
use crate::{AuthKeyData, Changes, SelfUser, SessionError, TempAuthKey, UpdateState};

/// `MIGRATIONS[n]` upgrades a schema from version `n` to `n + 1`; version 0 is a schema without
/// tables. Append only: a released step is never edited.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 0 -> 1: the initial schema. `epoch` is the fencing token: it grows every time a process
    // takes the session, and every write checks it, so a process that lost the session (its lock
    // connection died and another process took over) can never write again.
    "
    CREATE TABLE {s}.session (
        id          integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        name        text NOT NULL UNIQUE,
        epoch       bigint NOT NULL DEFAULT 0,
        owner       text,
        owned_since timestamptz,
        home_dc     integer,
        self_id     bigint,
        self_bot    boolean
    );
    CREATE TABLE {s}.dc_option (
        session_id integer NOT NULL REFERENCES {s}.session ON DELETE CASCADE,
        position   integer NOT NULL,
        dc_id      integer NOT NULL,
        ipv4       text,
        ipv6       text,
        port       integer NOT NULL,
        flags      integer NOT NULL,
        PRIMARY KEY (session_id, position)
    );
    CREATE TABLE {s}.auth_key (
        session_id integer NOT NULL REFERENCES {s}.session ON DELETE CASCADE,
        dc_id      integer NOT NULL,
        key        bytea NOT NULL,
        PRIMARY KEY (session_id, dc_id)
    );
    CREATE TABLE {s}.temp_auth_key (
        session_id integer NOT NULL REFERENCES {s}.session ON DELETE CASCADE,
        dc_id      integer NOT NULL,
        key        bytea NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (session_id, dc_id)
    );
    CREATE TABLE {s}.update_state (
        session_id integer PRIMARY KEY REFERENCES {s}.session ON DELETE CASCADE,
        pts        integer NOT NULL,
        qts        integer NOT NULL,
        date       integer NOT NULL,
        seq        integer NOT NULL
    );
    CREATE TABLE {s}.channel_state (
        session_id integer NOT NULL REFERENCES {s}.session ON DELETE CASCADE,
        channel_id bigint NOT NULL,
        pts        integer NOT NULL,
        PRIMARY KEY (session_id, channel_id)
    );
    -- One row per cached peer, keyed by Bot API id (see the SQLite schema, which this mirrors).
    CREATE TABLE {s}.peer (
        session_id  integer NOT NULL REFERENCES {s}.session ON DELETE CASCADE,
        id          bigint NOT NULL,
        kind        smallint NOT NULL,
        access_hash bigint,
        min         boolean NOT NULL,
        usernames   text NOT NULL,  -- space-separated, lowercase
        phone       text,
        name        text,
        PRIMARY KEY (session_id, id)
    );
    ",
];

/// Statement texts for one schema.
#[derive(Clone, Debug)]
pub(crate) struct Sql {
    schema: String,
    /// The schema name, quoted as an identifier.
    quoted: String,
}

impl Sql {
    /// `schema` must already be validated as a plain identifier.
    pub(crate) fn new(schema: &str) -> Self {
        Sql {
            schema: schema.to_owned(),
            quoted: format!("\"{schema}\""),
        }
    }

    pub(crate) fn schema(&self) -> &str {
        &self.schema
    }

    pub(crate) fn q(&self, statement: &str) -> String {
        statement.replace("{s}", &self.quoted)
    }
}

/// Brings the schema to [`supported_version`], creating it if needed, inside `tx`; concurrent
/// migrators (several machines starting at once) are serialised by the transaction-scoped advisory
/// lock `(lock_class, 0)`. The caller commits: a failing step leaves the old version.
pub(crate) async fn migrate(
    tx: &impl GenericClient,
    sql: &Sql,
    lock_class: i32,
    migrations: &[&str],
) -> Result<(), SessionError> {
    tx.execute("SELECT pg_advisory_xact_lock($1, 0)", &[&lock_class])
        .await?;
    // Create only what is missing: a role that may use a schema a DBA made for it, but not create
    // one, must still get in (CREATE … IF NOT EXISTS checks the privilege first).
    let has_schema = tx
        .query_opt(
            "SELECT 1 FROM pg_namespace WHERE nspname = $1",
            &[&sql.schema()],
        )
        .await?
        .is_some();
    if !has_schema {
        tx.batch_execute(&sql.q("CREATE SCHEMA {s}")).await?;
    }
    let has_version: bool = tx
        .query_one(
            "SELECT to_regclass($1) IS NOT NULL",
            &[&sql.q("{s}.schema_version")],
        )
        .await?
        .try_get(0)?;
    if !has_version {
        tx.batch_execute(&sql.q("CREATE TABLE {s}.schema_version (version integer NOT NULL)"))
            .await?;
    }
    let stored: Option<i32> = tx
        .query_opt(&sql.q("SELECT version FROM {s}.schema_version"), &[])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    let from = stored.unwrap_or(0);
    let target = migrations.len() as i32;
    if from > target {
        return Err(SessionError::NewerSchema {
            found: i64::from(from),
            supported: i64::from(target),
        });
    }
    let start =
        usize::try_from(from).map_err(|_| SessionError::corrupt("negative schema version"))?;
    for (step, statement) in migrations.iter().enumerate().skip(start) {
        log::info!(
            "migrating PostgreSQL session schema from version {step} to {}",
            step + 1
        );
        tx.batch_execute(&sql.q(statement)).await?;
    }
    if stored.is_none() {
        tx.execute(
            &sql.q("INSERT INTO {s}.schema_version (version) VALUES ($1)"),
            &[&target],
        )
        .await?;
    } else if from != target {
        tx.execute(
            &sql.q("UPDATE {s}.schema_version SET version = $1"),
            &[&target],
        )
        .await?;
    }
    Ok(())
}

/// Reads one session's rows into a fresh state, rejecting any value this build could not have
/// written.
pub(crate) async fn load(
    tx: &impl GenericClient,
    sql: &Sql,
    id: i32,
) -> Result<SessionState, SessionError> {
    let mut state = SessionState::default();

    let row = tx
        .query_one(
            &sql.q("SELECT home_dc, self_id, self_bot FROM {s}.session WHERE id = $1"),
            &[&id],
        )
        .await?;
    state.home_dc = row.try_get(0)?;
    let self_id: Option<i64> = row.try_get(1)?;
    let self_bot: Option<bool> = row.try_get(2)?;
    state.self_user = self_id.map(|id| SelfUser {
        id,
        bot: self_bot.unwrap_or(false),
    });

    let mut dc_options = Vec::new();
    for row in tx
        .query(
            &sql.q("SELECT dc_id, ipv4, ipv6, port, flags FROM {s}.dc_option
                    WHERE session_id = $1 ORDER BY position"),
            &[&id],
        )
        .await?
    {
        dc_options.push(rows::dc_option(
            i64::from(row.try_get::<_, i32>(0)?),
            row.try_get(1)?,
            row.try_get(2)?,
            i64::from(row.try_get::<_, i32>(3)?),
            i64::from(row.try_get::<_, i32>(4)?),
        )?);
    }
    state.set_dc_options(dc_options);

    for row in tx
        .query(
            &sql.q("SELECT dc_id, key FROM {s}.auth_key WHERE session_id = $1"),
            &[&id],
        )
        .await?
    {
        let key = zeroize::Zeroizing::new(row.try_get::<_, Vec<u8>>(1)?);
        state
            .auth_keys
            .insert(row.try_get(0)?, AuthKeyData::from_slice(&key)?);
    }

    for row in tx
        .query(
            &sql.q("SELECT dc_id, key, expires_at FROM {s}.temp_auth_key WHERE session_id = $1"),
            &[&id],
        )
        .await?
    {
        let key = zeroize::Zeroizing::new(row.try_get::<_, Vec<u8>>(1)?);
        state.set_temp_auth_key(
            row.try_get(0)?,
            Some(TempAuthKey {
                key: AuthKeyData::from_slice(&key)?,
                expires_at: row.try_get(2)?,
            }),
        );
    }

    state.update_state = tx
        .query_opt(
            &sql.q("SELECT pts, qts, date, seq FROM {s}.update_state WHERE session_id = $1"),
            &[&id],
        )
        .await?
        .map(|row| {
            Ok::<_, tokio_postgres::Error>(UpdateState {
                pts: row.try_get(0)?,
                qts: row.try_get(1)?,
                date: row.try_get(2)?,
                seq: row.try_get(3)?,
            })
        })
        .transpose()?;

    for row in tx
        .query(
            &sql.q("SELECT channel_id, pts FROM {s}.channel_state WHERE session_id = $1"),
            &[&id],
        )
        .await?
    {
        state.channel_pts.insert(row.try_get(0)?, row.try_get(1)?);
    }

    for row in tx
        .query(
            &sql.q("SELECT id, kind, access_hash, min, usernames, phone, name
                    FROM {s}.peer WHERE session_id = $1"),
            &[&id],
        )
        .await?
    {
        let peer = PeerRow {
            marked: row.try_get(0)?,
            kind: i64::from(row.try_get::<_, i16>(1)?),
            access_hash: row.try_get(2)?,
            min: row.try_get(3)?,
            usernames: row.try_get(4)?,
            phone: row.try_get(5)?,
            name: row.try_get(6)?,
        }
        .into_peer()?;
        state.install_peer(peer);
    }
    Ok(state)
}

/// Writes a plan (see `SessionState::plan`) for session `id` inside `tx`.
pub(crate) async fn persist(
    tx: &deadpool_postgres::Transaction<'_>,
    sql: &Sql,
    id: i32,
    plan: &Changes,
) -> Result<(), SessionError> {
    if plan.wipe {
        let wipe = tx
            .prepare_cached(&sql.q("
                WITH d1 AS (DELETE FROM {s}.dc_option WHERE session_id = $1),
                     d2 AS (DELETE FROM {s}.auth_key WHERE session_id = $1),
                     d3 AS (DELETE FROM {s}.temp_auth_key WHERE session_id = $1),
                     d4 AS (DELETE FROM {s}.update_state WHERE session_id = $1),
                     d5 AS (DELETE FROM {s}.channel_state WHERE session_id = $1),
                     d6 AS (DELETE FROM {s}.peer WHERE session_id = $1)
                UPDATE {s}.session SET home_dc = NULL, self_id = NULL, self_bot = NULL
                WHERE id = $1"))
            .await?;
        tx.execute(&wipe, &[&id]).await?;
    }
    if let Some(dc) = plan.home_dc {
        exec(
            tx,
            &sql.q("UPDATE {s}.session SET home_dc = $2 WHERE id = $1"),
            &[&id, &dc],
        )
        .await?;
    }
    if let Some(user) = plan.self_user {
        exec(
            tx,
            &sql.q("UPDATE {s}.session SET self_id = $2, self_bot = $3 WHERE id = $1"),
            &[&id, &user.map(|u| u.id), &user.map(|u| u.bot)],
        )
        .await?;
    }
    if let Some(options) = &plan.dc_options {
        exec(
            tx,
            &sql.q("DELETE FROM {s}.dc_option WHERE session_id = $1"),
            &[&id],
        )
        .await?;
        if !options.is_empty() {
            let positions: Vec<i32> = (0..options.len() as i32).collect();
            let dcs: Vec<i32> = options.iter().map(|o| o.id).collect();
            let ipv4: Vec<Option<String>> = options
                .iter()
                .map(|o| o.ipv4.map(|a| a.to_string()))
                .collect();
            let ipv6: Vec<Option<String>> = options
                .iter()
                .map(|o| o.ipv6.map(|a| a.to_string()))
                .collect();
            let ports: Vec<i32> = options.iter().map(|o| i32::from(o.port)).collect();
            let flags: Vec<i32> = options
                .iter()
                .map(|o| i32::from(o.flags.to_bits()))
                .collect();
            exec(tx, &sql.q("INSERT INTO {s}.dc_option (session_id, position, dc_id, ipv4, ipv6, port, flags)
                        SELECT $1, * FROM unnest($2::integer[], $3::integer[], $4::text[],
                                                 $5::text[], $6::integer[], $7::integer[])"),
                &[&id, &positions, &dcs, &ipv4, &ipv6, &ports, &flags],
            )
            .await?;
        }
    }
    for (dc, key) in &plan.auth_keys {
        match key {
            Some(key) => {
                exec(
                    tx,
                    &sql.q(
                        "INSERT INTO {s}.auth_key (session_id, dc_id, key) VALUES ($1, $2, $3)
                            ON CONFLICT (session_id, dc_id) DO UPDATE SET key = EXCLUDED.key",
                    ),
                    &[&id, dc, &&key.as_bytes()[..]],
                )
                .await?
            }
            None => {
                exec(
                    tx,
                    &sql.q("DELETE FROM {s}.auth_key WHERE session_id = $1 AND dc_id = $2"),
                    &[&id, dc],
                )
                .await?
            }
        };
    }
    for (dc, key) in &plan.temp_auth_keys {
        match key {
            Some(temp) => {
                exec(
                    tx,
                    &sql.q(
                        "INSERT INTO {s}.temp_auth_key (session_id, dc_id, key, expires_at)
                            VALUES ($1, $2, $3, $4)
                            ON CONFLICT (session_id, dc_id)
                            DO UPDATE SET key = EXCLUDED.key, expires_at = EXCLUDED.expires_at",
                    ),
                    &[&id, dc, &&temp.key.as_bytes()[..], &temp.expires_at],
                )
                .await?
            }
            None => {
                exec(
                    tx,
                    &sql.q("DELETE FROM {s}.temp_auth_key WHERE session_id = $1 AND dc_id = $2"),
                    &[&id, dc],
                )
                .await?
            }
        };
    }
    match plan.update_state {
        Some(Some(s)) => {
            let upsert = tx
                .prepare_cached(&sql.q(
                    "INSERT INTO {s}.update_state (session_id, pts, qts, date, seq)
                     VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (session_id) DO UPDATE SET pts = EXCLUDED.pts,
                         qts = EXCLUDED.qts, date = EXCLUDED.date, seq = EXCLUDED.seq",
                ))
                .await?;
            tx.execute(&upsert, &[&id, &s.pts, &s.qts, &s.date, &s.seq])
                .await?;
        }
        Some(None) => {
            exec(
                tx,
                &sql.q("DELETE FROM {s}.update_state WHERE session_id = $1"),
                &[&id],
            )
            .await?;
        }
        None => {}
    }
    if !plan.channel_pts.is_empty() {
        let (set, unset): (Vec<_>, Vec<_>) =
            plan.channel_pts.iter().partition(|(_, p)| p.is_some());
        if !set.is_empty() {
            let channels: Vec<i64> = set.iter().map(|(c, _)| *c).collect();
            let pts: Vec<i32> = set.iter().filter_map(|(_, p)| *p).collect();
            let upsert = tx
                .prepare_cached(&sql.q(
                    "INSERT INTO {s}.channel_state (session_id, channel_id, pts)
                     SELECT $1, * FROM unnest($2::bigint[], $3::integer[])
                     ON CONFLICT (session_id, channel_id) DO UPDATE SET pts = EXCLUDED.pts",
                ))
                .await?;
            tx.execute(&upsert, &[&id, &channels, &pts]).await?;
        }
        if !unset.is_empty() {
            let channels: Vec<i64> = unset.iter().map(|(c, _)| *c).collect();
            exec(
                tx,
                &sql.q(
                    "DELETE FROM {s}.channel_state WHERE session_id = $1 AND channel_id = ANY($2)",
                ),
                &[&id, &channels],
            )
            .await?;
        }
    }
    if !plan.peers.is_empty() {
        // One statement for the whole batch: a page of dialogs is a single round trip, not 200.
        // `SessionState::plan` leaves at most one row per id, which ON CONFLICT requires.
        let rows: Vec<PeerRow> = plan.peers.iter().map(PeerRow::from_peer).collect();
        let ids: Vec<i64> = rows.iter().map(|r| r.marked).collect();
        let kinds: Vec<i16> = rows.iter().map(|r| r.kind as i16).collect();
        let hashes: Vec<Option<i64>> = rows.iter().map(|r| r.access_hash).collect();
        let mins: Vec<bool> = rows.iter().map(|r| r.min).collect();
        let usernames: Vec<&str> = rows.iter().map(|r| r.usernames.as_str()).collect();
        let phones: Vec<Option<&str>> = rows.iter().map(|r| r.phone.as_deref()).collect();
        let names: Vec<Option<&str>> = rows.iter().map(|r| r.name.as_deref()).collect();
        let upsert = tx
            .prepare_cached(&sql.q(
                "INSERT INTO {s}.peer (session_id, id, kind, access_hash, min, usernames, phone, name)
                 SELECT $1, * FROM unnest($2::bigint[], $3::smallint[], $4::bigint[],
                                          $5::boolean[], $6::text[], $7::text[], $8::text[])
                 ON CONFLICT (session_id, id) DO UPDATE SET kind = EXCLUDED.kind,
                     access_hash = EXCLUDED.access_hash, min = EXCLUDED.min,
                     usernames = EXCLUDED.usernames, phone = EXCLUDED.phone, name = EXCLUDED.name",
            ))
            .await?;
        tx.execute(
            &upsert,
            &[
                &id, &ids, &kinds, &hashes, &mins, &usernames, &phones, &names,
            ],
        )
        .await?;
    }
    Ok(())
}

/// Runs one statement through the connection's statement cache: after the first use, one round
/// trip instead of two (prepare, then execute).
async fn exec(
    tx: &deadpool_postgres::Transaction<'_>,
    statement: &str,
    params: &[&(dyn tokio_postgres::types::ToSql + Sync)],
) -> Result<u64, SessionError> {
    let prepared = tx.prepare_cached(statement).await?;
    Ok(tx.execute(&prepared, params).await?)
}
