//! The session file's tables, their migrations, and reading/writing the in-memory state.

use rusqlite::{params, OptionalExtension, Transaction};

use crate::rows::{self, PeerRow};
use crate::state::SessionState;
use crate::{AuthKeyData, Changes, SelfUser, SessionError, TempAuthKey, UpdateState};

/// `PRAGMA application_id` of a tgwire session file ("tgws"), so that another program's SQLite
/// file (a Telethon session has the same `.session` extension) is recognised and left alone.
pub(crate) const APPLICATION_ID: i32 = 0x7467_7773;

/// `MIGRATIONS[n]` upgrades a file from schema version `n` to `n + 1`; version 0 is an empty file.
/// Append only: a released step is never edited.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 0 -> 1: the initial schema.
    "
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY NOT NULL,
        value INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE dc_option (
        id    INTEGER NOT NULL,
        ipv4  TEXT,
        ipv6  TEXT,
        port  INTEGER NOT NULL,
        flags INTEGER NOT NULL
    );
    CREATE TABLE auth_key (
        dc_id INTEGER PRIMARY KEY,
        key   BLOB NOT NULL
    );
    CREATE TABLE temp_auth_key (
        dc_id      INTEGER PRIMARY KEY,
        key        BLOB NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE update_state (
        id   INTEGER PRIMARY KEY CHECK (id = 0),
        pts  INTEGER NOT NULL,
        qts  INTEGER NOT NULL,
        date INTEGER NOT NULL,
        seq  INTEGER NOT NULL
    );
    CREATE TABLE channel_state (
        channel_id INTEGER PRIMARY KEY,
        pts        INTEGER NOT NULL
    );
    -- Keyed by Bot API id, which is unique across users, chats and channels.
    CREATE TABLE peer (
        id          INTEGER PRIMARY KEY,
        kind        INTEGER NOT NULL,
        access_hash INTEGER,
        min         INTEGER NOT NULL,
        usernames   TEXT NOT NULL,  -- space-separated, lowercase
        phone       TEXT,
        name        TEXT
    );
    ",
];

/// The newest schema version this build writes and reads.
pub(crate) fn supported_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Runs `migrations[from..]` inside `tx` and records the new version. The caller commits: a failing
/// step leaves the file at its old version.
pub(crate) fn migrate(
    tx: &Transaction<'_>,
    from: i64,
    migrations: &[&str],
) -> Result<(), SessionError> {
    let start =
        usize::try_from(from).map_err(|_| SessionError::corrupt("negative schema version"))?;
    for (step, sql) in migrations.iter().enumerate().skip(start) {
        log::info!(
            "migrating session schema from version {step} to {}",
            step + 1
        );
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.pragma_update(None, "user_version", migrations.len() as i64)?;
    Ok(())
}

const META_HOME_DC: &str = "home_dc";
const META_SELF_ID: &str = "self_id";
const META_SELF_BOT: &str = "self_bot";

/// Reads every table into a fresh state, rejecting any value this build could not have written.
pub(crate) fn load(tx: &Transaction<'_>) -> Result<SessionState, SessionError> {
    let mut state = SessionState::default();

    let meta = |key: &str| -> Result<Option<i64>, SessionError> {
        Ok(tx
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    };
    state.home_dc = meta(META_HOME_DC)?
        .map(|dc| i32::try_from(dc).map_err(|_| SessionError::corrupt("home DC out of range")))
        .transpose()?;
    state.self_user = match (meta(META_SELF_ID)?, meta(META_SELF_BOT)?) {
        (Some(id), bot) => Some(SelfUser {
            id,
            bot: bot.unwrap_or(0) != 0,
        }),
        (None, _) => None,
    };

    let mut stmt =
        tx.prepare("SELECT id, ipv4, ipv6, port, flags FROM dc_option ORDER BY rowid")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Option<String>>(1)?,
            r.get::<_, Option<String>>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, i64>(4)?,
        ))
    })?;
    let mut dc_options = Vec::new();
    for row in rows {
        let (id, ipv4, ipv6, port, flags) = row?;
        dc_options.push(rows::dc_option(id, ipv4, ipv6, port, flags)?);
    }
    state.set_dc_options(dc_options);
    drop(stmt);

    let mut stmt = tx.prepare("SELECT dc_id, key FROM auth_key")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i32>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
    for row in rows {
        let (dc, key) = row?;
        state
            .auth_keys
            .insert(dc, AuthKeyData::from_slice(&zeroizing(key))?);
    }
    drop(stmt);

    let mut stmt = tx.prepare("SELECT dc_id, key, expires_at FROM temp_auth_key")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i32>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (dc, key, expires_at) = row?;
        let key = AuthKeyData::from_slice(&zeroizing(key))?;
        state.set_temp_auth_key(dc, Some(TempAuthKey { key, expires_at }));
    }
    drop(stmt);

    state.update_state = tx
        .query_row(
            "SELECT pts, qts, date, seq FROM update_state WHERE id = 0",
            [],
            |r| {
                Ok(UpdateState {
                    pts: r.get(0)?,
                    qts: r.get(1)?,
                    date: r.get(2)?,
                    seq: r.get(3)?,
                })
            },
        )
        .optional()?;

    let mut stmt = tx.prepare("SELECT channel_id, pts FROM channel_state")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i32>(1)?)))?;
    for row in rows {
        let (channel, pts) = row?;
        state.channel_pts.insert(channel, pts);
    }
    drop(stmt);

    let mut stmt =
        tx.prepare("SELECT id, kind, access_hash, min, usernames, phone, name FROM peer")?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, Option<i64>>(2)?,
            r.get::<_, bool>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<String>>(6)?,
        ))
    })?;
    for row in rows {
        let (marked, kind, access_hash, min, usernames, phone, name) = row?;
        state.install_peer(
            PeerRow {
                marked,
                kind,
                access_hash,
                min,
                usernames,
                phone,
                name,
            }
            .into_peer()?,
        );
    }
    Ok(state)
}

/// Key bytes read from SQLite live in a plain `Vec`; wipe it once copied.
fn zeroizing(bytes: Vec<u8>) -> zeroize::Zeroizing<Vec<u8>> {
    zeroize::Zeroizing::new(bytes)
}

/// Writes a plan (see [`SessionState::plan`]) inside `tx`.
pub(crate) fn persist(tx: &Transaction<'_>, plan: &Changes) -> Result<(), SessionError> {
    if plan.wipe {
        tx.execute_batch(
            "DELETE FROM meta; DELETE FROM dc_option; DELETE FROM auth_key;
             DELETE FROM temp_auth_key; DELETE FROM update_state; DELETE FROM channel_state;
             DELETE FROM peer;",
        )?;
    }
    let set_meta = |key: &str, value: Option<i64>| -> rusqlite::Result<usize> {
        match value {
            Some(value) => tx.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)",
                params![key, value],
            ),
            None => tx.execute("DELETE FROM meta WHERE key = ?1", [key]),
        }
    };
    if let Some(dc) = plan.home_dc {
        set_meta(META_HOME_DC, Some(i64::from(dc)))?;
    }
    if let Some(user) = plan.self_user {
        set_meta(META_SELF_ID, user.map(|u| u.id))?;
        set_meta(META_SELF_BOT, user.map(|u| i64::from(u.bot)))?;
    }
    if let Some(options) = &plan.dc_options {
        tx.execute("DELETE FROM dc_option", [])?;
        let mut insert = tx.prepare_cached(
            "INSERT INTO dc_option (id, ipv4, ipv6, port, flags) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        for option in options {
            insert.execute(params![
                option.id,
                option.ipv4.map(|a| a.to_string()),
                option.ipv6.map(|a| a.to_string()),
                option.port,
                option.flags.to_bits(),
            ])?;
        }
    }
    for (dc, key) in &plan.auth_keys {
        match key {
            Some(key) => tx.execute(
                "INSERT OR REPLACE INTO auth_key (dc_id, key) VALUES (?1, ?2)",
                params![dc, &key.as_bytes()[..]],
            )?,
            None => tx.execute("DELETE FROM auth_key WHERE dc_id = ?1", [dc])?,
        };
    }
    for (dc, key) in &plan.temp_auth_keys {
        match key {
            Some(temp) => tx.execute(
                "INSERT OR REPLACE INTO temp_auth_key (dc_id, key, expires_at) VALUES (?1, ?2, ?3)",
                params![dc, &temp.key.as_bytes()[..], temp.expires_at],
            )?,
            None => tx.execute("DELETE FROM temp_auth_key WHERE dc_id = ?1", [dc])?,
        };
    }
    match plan.update_state {
        Some(Some(s)) => {
            tx.execute(
                "INSERT OR REPLACE INTO update_state (id, pts, qts, date, seq) VALUES (0, ?1, ?2, ?3, ?4)",
                params![s.pts, s.qts, s.date, s.seq],
            )?;
        }
        Some(None) => {
            tx.execute("DELETE FROM update_state", [])?;
        }
        None => {}
    }
    if !plan.channel_pts.is_empty() {
        let mut upsert = tx.prepare_cached(
            "INSERT OR REPLACE INTO channel_state (channel_id, pts) VALUES (?1, ?2)",
        )?;
        let mut delete = tx.prepare_cached("DELETE FROM channel_state WHERE channel_id = ?1")?;
        for (channel, pts) in &plan.channel_pts {
            match pts {
                Some(pts) => upsert.execute(params![channel, pts])?,
                None => delete.execute([channel])?,
            };
        }
    }
    if !plan.peers.is_empty() {
        let mut upsert = tx.prepare_cached(
            "INSERT OR REPLACE INTO peer (id, kind, access_hash, min, usernames, phone, name)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for peer in &plan.peers {
            let row = PeerRow::from_peer(peer);
            upsert.execute(params![
                row.marked,
                row.kind,
                row.access_hash,
                row.min,
                row.usernames,
                row.phone,
                row.name,
            ])?;
        }
    }
    Ok(())
}

/// Tables a Telethon session file has, to give a helpful error when one is opened directly.
pub(crate) fn looks_like_telethon(tx: &Transaction<'_>) -> Result<bool, SessionError> {
    let count: i64 = tx.query_row(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table'
         AND name IN ('version', 'sessions', 'entities', 'sent_files', 'update_state')",
        [],
        |r| r.get(0),
    )?;
    Ok(count >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CachedPeer, PeerKind, PeerRef};
    use rusqlite::Connection;

    fn version(conn: &Connection) -> i64 {
        conn.pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap()
    }

    fn tables(conn: &Connection) -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap();
        let names = stmt.query_map([], |r| r.get(0)).unwrap();
        names.map(Result::unwrap).collect()
    }

    #[test]
    fn migrations_run_step_by_step_from_the_stored_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        let steps = [
            "CREATE TABLE one (a);",
            "CREATE TABLE two (b); INSERT INTO one VALUES (1);",
        ];

        let tx = conn.transaction().unwrap();
        migrate(&tx, 0, &steps[..1]).unwrap();
        tx.commit().unwrap();
        assert_eq!(version(&conn), 1);
        assert_eq!(tables(&conn), ["one"]);

        // Only the missing step runs.
        let tx = conn.transaction().unwrap();
        migrate(&tx, 1, &steps).unwrap();
        tx.commit().unwrap();
        assert_eq!(version(&conn), 2);
        assert_eq!(tables(&conn), ["one", "two"]);
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM one", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
        let app: i32 = conn
            .pragma_query_value(None, "application_id", |r| r.get(0))
            .unwrap();
        assert_eq!(app, APPLICATION_ID);
    }

    #[test]
    fn a_failing_step_leaves_the_old_version() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        migrate(&tx, 0, &["CREATE TABLE one (a);"]).unwrap();
        tx.commit().unwrap();

        let steps = [
            "CREATE TABLE one (a);",
            "CREATE TABLE two (b); SELECT no_such_function();",
        ];
        let tx = conn.transaction().unwrap();
        assert!(migrate(&tx, 1, &steps).is_err());
        drop(tx); // rolls back
        assert_eq!(version(&conn), 1);
        assert_eq!(tables(&conn), ["one"]);
    }

    #[test]
    fn the_real_schema_loads_empty_and_round_trips_a_plan() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        migrate(&tx, 0, MIGRATIONS).unwrap();
        let state = load(&tx).unwrap();
        assert_eq!(state.peer_count(), 0);
        assert_eq!(state.home_dc, None);

        let mut changes = Changes::new();
        changes.set_home_dc(3).upsert_peer(CachedPeer::new(
            PeerRef::new(PeerKind::Gigagroup, 9, Some(-1)).unwrap(),
        ));
        let plan = state.plan(changes);
        persist(&tx, &plan).unwrap();
        let loaded = load(&tx).unwrap();
        assert_eq!(loaded.home_dc, Some(3));
        assert_eq!(
            loaded.peer(-1_000_000_000_009).unwrap().peer.kind(),
            PeerKind::Gigagroup
        );
    }

    #[test]
    fn impossible_rows_are_reported_as_corrupt() {
        let mut conn = Connection::open_in_memory().unwrap();
        let tx = conn.transaction().unwrap();
        migrate(&tx, 0, MIGRATIONS).unwrap();
        for bad in [
            "INSERT INTO peer VALUES (5, 99, 1, 0, '', NULL, NULL)", // unknown kind
            "INSERT INTO peer VALUES (-5, 1, 1, 0, '', NULL, NULL)", // user kind, chat id
            "INSERT INTO peer VALUES (0, 1, 1, 0, '', NULL, NULL)",  // id zero
            "INSERT INTO auth_key VALUES (2, x'0102')",              // short key
            "INSERT INTO dc_option VALUES (2, 'nonsense', NULL, 443, 0)",
            "INSERT INTO dc_option VALUES (2, NULL, NULL, 70000, 0)",
            "INSERT INTO dc_option VALUES (2, NULL, NULL, 443, 64)",
            "INSERT INTO meta VALUES ('home_dc', 99999999999)",
        ] {
            tx.execute_batch("SAVEPOINT s").unwrap();
            tx.execute(bad, []).unwrap();
            let result = load(&tx);
            assert!(
                matches!(result, Err(SessionError::Corrupt { .. })),
                "{bad}: accepted"
            );
            tx.execute_batch("ROLLBACK TO s; RELEASE s").unwrap();
        }
    }
}
