//! A storage written the way a user outside tgwire-session writes one: a [`Persist`] backend that
//! keeps the whole session as one JSON file, rewritten atomically (temporary file, fsync, rename)
//! on every save, wrapped in a [`PersistedStorage`]. Used by the conformance suite here and, through
//! `#[path]`, by the client's `custom_storage` test (sign in, restart, reconnect from the file).
#![allow(dead_code)] // each test binary uses its own part

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};
use tgwire_session::{
    AuthKeyData, CachedPeer, Changes, DcFlags, DcOption, Persist, PersistedStorage, SelfUser,
    SessionError, SessionState, TempAuthKey, UpdateState,
};

/// A session kept in one JSON file.
pub struct JsonFile {
    path: PathBuf,
    /// Number of successful saves, so tests can see that writes reached the file.
    pub saves: usize,
}

impl JsonFile {
    /// A backend for `path` (created at the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        JsonFile {
            path: path.into(),
            saves: 0,
        }
    }

    /// The storage around a JSON file: what a program hands to `ClientBuilder::session`.
    pub fn open(path: impl Into<PathBuf>) -> Result<PersistedStorage<JsonFile>, SessionError> {
        PersistedStorage::open(JsonFile::new(path))
    }
}

impl Persist for JsonFile {
    fn load(&mut self) -> Result<Changes, SessionError> {
        match fs::read(&self.path) {
            Ok(bytes) => {
                let value: Value = serde_json::from_slice(&bytes).map_err(SessionError::backend)?;
                from_json(&value)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Changes::new()),
            Err(source) => Err(SessionError::Io {
                path: self.path.clone(),
                source,
            }),
        }
    }

    fn save(&mut self, batch: &Changes, before: &SessionState) -> Result<(), SessionError> {
        // Rewrite-everything style: the session after this batch, whole.
        let mut after = before.clone();
        after.commit(batch.clone());
        let text = serde_json::to_vec_pretty(&to_json(&after.snapshot()))
            .map_err(SessionError::backend)?;
        write_atomically(&self.path, &text).map_err(|source| SessionError::Io {
            path: self.path.clone(),
            source,
        })?;
        self.saves += 1;
        Ok(())
    }
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the new file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = path.with_extension("json.tmp");
    let mut file = fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    fs::rename(&temporary, path)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Result<Vec<u8>, SessionError> {
    if text.len() % 2 != 0 {
        return Err(bad("odd-length hex"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| bad("hex digit")))
        .collect()
}

fn bad(what: &str) -> SessionError {
    SessionError::Corrupt {
        what: format!("JSON session: {what}"),
    }
}

/// A whole session (a snapshot) as JSON.
fn to_json(whole: &Changes) -> Value {
    let dc_options: Vec<Value> = whole
        .dc_options()
        .unwrap_or_default()
        .iter()
        .map(|o| {
            json!({
                "id": o.id,
                "ipv4": o.ipv4.map(|a| a.to_string()),
                "ipv6": o.ipv6.map(|a| a.to_string()),
                "port": o.port,
                "media_only": o.flags.media_only,
                "cdn": o.flags.cdn,
                "static": o.flags.static_,
                "tcpo_only": o.flags.tcpo_only,
            })
        })
        .collect();
    let auth_keys: Map<String, Value> = whole
        .auth_keys()
        .iter()
        .filter_map(|(dc, key)| Some((dc.to_string(), json!(hex(key.as_ref()?.as_bytes())))))
        .collect();
    let temp_auth_keys: Map<String, Value> = whole
        .temp_auth_keys()
        .iter()
        .filter_map(|(dc, key)| {
            let key = key.as_ref()?;
            Some((
                dc.to_string(),
                json!({ "key": hex(key.key.as_bytes()), "expires_at": key.expires_at }),
            ))
        })
        .collect();
    let channel_pts: Map<String, Value> = whole
        .channel_pts()
        .iter()
        .filter_map(|(channel, pts)| Some((channel.to_string(), json!((*pts)?))))
        .collect();
    let peers: Vec<Value> = whole
        .peers()
        .iter()
        .map(|p| {
            json!({
                "ref": p.peer.to_string(),
                "min": p.min,
                "usernames": p.usernames,
                "phone": p.phone,
                "name": p.name,
            })
        })
        .collect();
    json!({
        "home_dc": whole.home_dc(),
        "dc_options": dc_options,
        "auth_keys": auth_keys,
        "temp_auth_keys": temp_auth_keys,
        "self_user": whole.self_user().flatten().map(|u| json!({ "id": u.id, "bot": u.bot })),
        "update_state": whole.update_state().flatten().map(|s| json!({
            "pts": s.pts, "qts": s.qts, "date": s.date, "seq": s.seq,
        })),
        "channel_pts": channel_pts,
        "peers": peers,
    })
}

fn int<T: TryFrom<i64>>(value: &Value, what: &str) -> Result<T, SessionError> {
    value
        .as_i64()
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| bad(what))
}

fn object<'a>(value: &'a Value, key: &str) -> Result<&'a Map<String, Value>, SessionError> {
    value[key].as_object().ok_or_else(|| bad(key))
}

fn array<'a>(value: &'a Value, key: &str) -> Result<&'a [Value], SessionError> {
    value[key]
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| bad(key))
}

fn flag(value: &Value, key: &str) -> Result<bool, SessionError> {
    value[key].as_bool().ok_or_else(|| bad(key))
}

fn text(value: &Value, key: &str) -> Result<Option<String>, SessionError> {
    match &value[key] {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        _ => Err(bad(key)),
    }
}

fn key_data(value: &Value) -> Result<AuthKeyData, SessionError> {
    AuthKeyData::from_slice(&unhex(value.as_str().ok_or_else(|| bad("key"))?)?)
}

/// Changes that rebuild the session a file holds.
fn from_json(value: &Value) -> Result<Changes, SessionError> {
    let mut changes = Changes::new();
    if !value["home_dc"].is_null() {
        changes.set_home_dc(int(&value["home_dc"], "home_dc")?);
    }
    let mut options = Vec::new();
    for o in array(value, "dc_options")? {
        let address = |key: &str| text(o, key);
        options.push(DcOption {
            id: int(&o["id"], "dc id")?,
            ipv4: address("ipv4")?
                .map(|a| a.parse())
                .transpose()
                .map_err(|_| bad("ipv4"))?,
            ipv6: address("ipv6")?
                .map(|a| a.parse())
                .transpose()
                .map_err(|_| bad("ipv6"))?,
            port: int(&o["port"], "port")?,
            flags: DcFlags {
                media_only: flag(o, "media_only")?,
                cdn: flag(o, "cdn")?,
                static_: flag(o, "static")?,
                tcpo_only: flag(o, "tcpo_only")?,
            },
        });
    }
    changes.set_dc_options(options);
    for (dc, key) in object(value, "auth_keys")? {
        let dc = dc.parse().map_err(|_| bad("auth key DC"))?;
        changes.set_auth_key(dc, Some(key_data(key)?));
    }
    for (dc, key) in object(value, "temp_auth_keys")? {
        let dc = dc.parse().map_err(|_| bad("temp auth key DC"))?;
        let key = TempAuthKey {
            key: key_data(&key["key"])?,
            expires_at: int(&key["expires_at"], "expires_at")?,
        };
        changes.set_temp_auth_key(dc, Some(key));
    }
    let user = &value["self_user"];
    if !user.is_null() {
        changes.set_self_user(Some(SelfUser {
            id: int(&user["id"], "user id")?,
            bot: flag(user, "bot")?,
        }));
    }
    let state = &value["update_state"];
    if !state.is_null() {
        changes.set_update_state(UpdateState {
            pts: int(&state["pts"], "pts")?,
            qts: int(&state["qts"], "qts")?,
            date: int(&state["date"], "date")?,
            seq: int(&state["seq"], "seq")?,
        });
    }
    for (channel, pts) in object(value, "channel_pts")? {
        let channel = channel.parse().map_err(|_| bad("channel id"))?;
        changes.set_channel_pts(channel, Some(int(pts, "channel pts")?));
    }
    for p in array(value, "peers")? {
        let reference = p["ref"].as_str().ok_or_else(|| bad("peer ref"))?;
        let mut peer = CachedPeer::new(reference.parse()?);
        peer.min = flag(p, "min")?;
        peer.usernames = array(p, "usernames")?
            .iter()
            .map(|n| n.as_str().map(str::to_owned).ok_or_else(|| bad("username")))
            .collect::<Result<_, _>>()?;
        peer.phone = text(p, "phone")?;
        peer.name = text(p, "name")?;
        changes.upsert_peer(peer);
    }
    Ok(changes)
}
