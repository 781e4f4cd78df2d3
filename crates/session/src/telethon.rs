//! Reading a Telethon (v1) SQLite `.session` file.
//!
//! Telethon's file has five tables: `version` (its schema number, 8 in Telethon 1.45),
//! `sessions` (one row: DC id, server address, port, auth key, takeout id, temporary key),
//! `entities` (id, access hash, username, phone, display name, date), `sent_files` (an upload
//! cache) and `update_state` (id 0 for the account, other ids for channels). Entity ids are Bot API
//! marked ids; the row with id 0 is Telethon's record of the signed-in user, whose id it keeps in
//! the `hash` column.

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::peer::split_bot_api_id;
use crate::sqlite::{check_header, classify};
use crate::{
    AuthKeyData, CachedPeer, Changes, DcFlags, DcOption, PeerRef, SelfUser, SessionError,
    UpdateState,
};

/// The newest Telethon session schema this importer understands.
pub const TELETHON_SCHEMA_VERSION: i64 = 8;

/// Telethon's upgrade to version 6 discarded entities whose hashes were unreliable; older files'
/// entities are skipped for the same reason.
const FIRST_TRUSTED_ENTITIES_VERSION: i64 = 6;

/// Reads a Telethon `.session` file (opened read-only, never modified) and returns the writes that
/// recreate it: home DC and its address, auth key, signed-in user id, update state, per-channel
/// `pts`, and every entity as a peer-cache entry.
///
/// Apply the result to a new storage with [`Storage::apply`](crate::Storage::apply). Not imported:
/// the temporary auth key (Telethon keeps no expiry for it), the takeout id and the `sent_files`
/// upload cache. Telethon does not record whether the account is a bot, whether a user entity is a
/// bot, or whether a channel is a broadcast or a group, so those come back as `bot: false`,
/// [`PeerKind::User`](crate::PeerKind::User) and [`PeerKind::Broadcast`](crate::PeerKind::Broadcast)
/// until the client sees the full objects. Rows this importer cannot make sense of (an impossible id)
/// are skipped with a log warning.
pub fn import_telethon_session(path: impl AsRef<Path>) -> Result<Changes, SessionError> {
    let path = path.as_ref();
    std::fs::metadata(path).map_err(|e| SessionError::io(path, e))?;
    check_header(path)?;
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(e, path))?;
    conn.busy_timeout(Duration::from_millis(500))
        .map_err(|e| classify(e, path))?;
    read(&conn, path).map_err(|e| match e {
        SessionError::Sqlite(e) => classify(e, path),
        other => other,
    })
}

fn read(conn: &Connection, path: &Path) -> Result<Changes, SessionError> {
    let has_table = |name: &str| -> Result<bool, SessionError> {
        Ok(conn
            .query_row(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    };
    if !has_table("version")? || !has_table("sessions")? {
        return Err(SessionError::NotASession {
            path: path.to_path_buf(),
            hint: " (no Telethon `version`/`sessions` tables)",
        });
    }
    let version: i64 = conn
        .query_row("SELECT version FROM version", [], |r| r.get(0))
        .optional()?
        .ok_or_else(|| SessionError::corrupt("Telethon `version` table is empty"))?;
    if version > TELETHON_SCHEMA_VERSION {
        return Err(SessionError::NewerSchema {
            found: version,
            supported: TELETHON_SCHEMA_VERSION,
        });
    }

    let mut changes = Changes::new();
    read_sessions(conn, &mut changes)?;
    if version >= FIRST_TRUSTED_ENTITIES_VERSION && has_table("entities")? {
        read_entities(conn, &mut changes)?;
    }
    if has_table("update_state")? {
        read_update_state(conn, &mut changes)?;
    }
    Ok(changes)
}

fn read_sessions(conn: &Connection, changes: &mut Changes) -> Result<(), SessionError> {
    let mut stmt =
        conn.prepare("SELECT dc_id, server_address, port, auth_key FROM sessions ORDER BY rowid")?;
    let mut rows = stmt.query([])?;
    let mut options = Vec::new();
    while let Some(row) = rows.next()? {
        let dc_id: i64 = row.get(0)?;
        let dc_id = i32::try_from(dc_id)
            .map_err(|_| SessionError::corrupt(format!("Telethon session DC id {dc_id}")))?;
        let address: Option<String> = row.get(1)?;
        let port: Option<i64> = row.get(2)?;
        let key: Option<Vec<u8>> = row.get(3)?;
        let key = zeroize::Zeroizing::new(key.unwrap_or_default());

        if options.is_empty() {
            changes.set_home_dc(dc_id);
        }
        if let (Some(address), Some(port)) = (address, port) {
            let ip: IpAddr = address.parse().map_err(|_| {
                SessionError::corrupt(format!("Telethon server address {address:?}"))
            })?;
            let port = u16::try_from(port)
                .map_err(|_| SessionError::corrupt(format!("Telethon port {port}")))?;
            let (ipv4, ipv6) = match ip {
                IpAddr::V4(v4) => (Some(v4), None),
                IpAddr::V6(v6) => (None, Some(v6)),
            };
            options.push(DcOption {
                id: dc_id,
                ipv4,
                ipv6,
                port,
                flags: DcFlags::default(),
            });
        }
        // Telethon writes an empty blob when it has no key yet.
        if !key.is_empty() {
            changes.set_auth_key(dc_id, Some(AuthKeyData::from_slice(&key)?));
        }
    }
    if !options.is_empty() {
        changes.set_dc_options(options);
    }
    Ok(())
}

fn read_entities(conn: &Connection, changes: &mut Changes) -> Result<(), SessionError> {
    let mut stmt = conn.prepare("SELECT id, hash, username, phone, name FROM entities")?;
    let mut rows = stmt.query([])?;
    let mut skipped = 0usize;
    while let Some(row) = rows.next()? {
        let marked: i64 = row.get(0)?;
        let hash: i64 = row.get(1)?;
        if marked == 0 {
            // Telethon's marker row: the signed-in user's id lives in the hash column.
            if hash > 0 {
                changes.set_self_user(Some(SelfUser {
                    id: hash,
                    bot: false,
                }));
            }
            continue;
        }
        let Some(peer) =
            split_bot_api_id(marked).and_then(|(kind, id)| PeerRef::new(kind, id, Some(hash)).ok())
        else {
            skipped += 1;
            continue;
        };
        let username: Option<String> = row.get(2)?;
        changes.upsert_peer(CachedPeer {
            peer,
            // Telethon never stores min entities.
            min: false,
            usernames: username.into_iter().collect(),
            phone: text_or_integer(row.get_ref(3)?),
            name: row.get(4)?,
        });
    }
    if skipped > 0 {
        log::warn!("skipped {skipped} Telethon entities with impossible ids");
    }
    Ok(())
}

/// Telethon's `phone` column is declared `integer`, so SQLite turns a digits-only phone string into
/// an integer; other values stay text.
fn text_or_integer(value: ValueRef<'_>) -> Option<String> {
    match value {
        ValueRef::Integer(n) => Some(n.to_string()),
        ValueRef::Text(t) => std::str::from_utf8(t).ok().map(str::to_owned),
        _ => None,
    }
}

fn read_update_state(conn: &Connection, changes: &mut Changes) -> Result<(), SessionError> {
    let mut stmt = conn.prepare("SELECT id, pts, qts, date, seq FROM update_state")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: i64 = row.get(0)?;
        let int = |index: usize, what: &str| -> Result<i32, SessionError> {
            let bad = || SessionError::corrupt(format!("Telethon update_state {id}: {what}"));
            match row.get_ref(index)? {
                ValueRef::Integer(n) => i32::try_from(n).map_err(|_| bad()),
                // `date` is written from a Python float timestamp.
                ValueRef::Real(x) if x.is_finite() && x.abs() < f64::from(i32::MAX) => Ok(x as i32),
                ValueRef::Null => Ok(0),
                _ => Err(bad()),
            }
        };
        let pts = int(1, "pts")?;
        if id == 0 {
            changes.set_update_state(UpdateState {
                pts,
                qts: int(2, "qts")?,
                date: int(3, "date")?,
                seq: int(4, "seq")?,
            });
        } else {
            // Channel rows are keyed by the bare channel id.
            changes.set_channel_pts(id, Some(pts));
        }
    }
    Ok(())
}
