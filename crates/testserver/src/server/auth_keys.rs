//! Every authorization key the server ever agreed on, by auth_key_id, shared by all DCs and
//! connections (a client creates a key, disconnects, and comes back with it).
//!
//! Permanent keys live forever; temporary keys (`p_q_inner_data_temp*`) until their
//! `expires_in` runs out, after which packets under them are answered with the transport error
//! `-404`, exactly like an unknown key, so the client makes a new one. A temporary key may be
//! bound to a permanent one with `auth.bindTempAuthKey` ([`AuthKeyStore::bind`]).
//!
//! With `--data FILE` the keys are written to `FILE.authkeys.json` after every change, so that
//! clients keep their keys (and with the backend's own file, their logins) across restarts.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use tgwire_crypto::AuthKey;

use super::error::Error;

/// What the client said about itself in `initConnection`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientInfo {
    /// The application's api_id.
    pub api_id: i32,
    /// Device model.
    pub device_model: String,
    /// Operating system version.
    pub system_version: String,
    /// Application version.
    pub app_version: String,
    /// The client's language code.
    pub lang_code: String,
}

/// One stored key.
#[derive(Clone)]
pub(crate) struct StoredKey {
    pub(crate) key: AuthKey,
    /// Unix time the key dies at; `None` for a permanent key.
    pub(crate) expires_at: Option<i64>,
    /// For a temporary key bound with `auth.bindTempAuthKey`: the permanent key's id.
    pub(crate) bound_to: Option<i64>,
    /// The layer of the last `invokeWithLayer` under this key (0 before any).
    pub(crate) layer: i32,
    /// The last `initConnection` under this key.
    pub(crate) client: Option<ClientInfo>,
}

impl StoredKey {
    pub(crate) fn is_temp(&self) -> bool {
        self.expires_at.is_some()
    }

    /// The key the backend should act for: the bound permanent key, or this one.
    pub(crate) fn perm_id(&self) -> i64 {
        self.bound_to.unwrap_or_else(|| self.key.id())
    }
}

/// Why `auth.bindTempAuthKey` was refused at the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BindRefusal {
    /// The call did not come under a temporary key.
    NotTemp,
    /// The permanent key is unknown or is itself temporary.
    BadPerm,
    /// The temporary key is already bound to another permanent key.
    AlreadyBound,
}

/// The shared key table.
#[derive(Debug)]
pub(crate) struct AuthKeyStore {
    keys: Mutex<HashMap<i64, StoredKey>>,
    file: Option<PathBuf>,
    /// Counts successful `auth.bindTempAuthKey`s (for [`crate::Faults::hold_until_rebind`]).
    bindings: tokio::sync::watch::Sender<u64>,
}

impl std::fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredKey")
            .field("id", &self.key.id())
            .field("expires_at", &self.expires_at)
            .field("bound_to", &self.bound_to)
            .finish_non_exhaustive()
    }
}

/// The on-disk form of one key.
#[derive(Serialize, Deserialize)]
struct KeyRecord {
    id: i64,
    key: Vec<u8>,
    expires_at: Option<i64>,
    bound_to: Option<i64>,
    layer: i32,
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    format: u32,
    keys: Vec<KeyRecord>,
}

const FORMAT: u32 = 1;

impl AuthKeyStore {
    /// An empty store, or the keys saved next to `data_file`.
    pub(crate) fn open(data_file: Option<&Path>) -> Result<Self, Error> {
        let file = data_file.map(|p| {
            let mut name = p.as_os_str().to_owned();
            name.push(".authkeys.json");
            PathBuf::from(name)
        });
        let keys = match &file {
            Some(path) => load(path)?,
            None => HashMap::new(),
        };
        Ok(Self {
            keys: Mutex::new(keys),
            file,
            bindings: tokio::sync::watch::channel(0).0,
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<i64, StoredKey>> {
        // Every critical section below leaves the map consistent before any panic point.
        self.keys.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn contains(&self, id: i64) -> bool {
        self.lock().contains_key(&id)
    }

    /// Adds a freshly exchanged key; `false` (and nothing stored) if its id is taken.
    pub(crate) fn insert(&self, key: AuthKey, expires_at: Option<i64>) -> bool {
        let id = key.id();
        let mut keys = self.lock();
        if keys.contains_key(&id) {
            return false;
        }
        keys.insert(
            id,
            StoredKey {
                key,
                expires_at,
                bound_to: None,
                layer: 0,
                client: None,
            },
        );
        self.save(&keys);
        true
    }

    /// The key with this id, unless unknown or expired at `now` (Unix seconds).
    pub(crate) fn get(&self, id: i64, now: i64) -> Option<StoredKey> {
        let mut keys = self.lock();
        match keys.get(&id) {
            Some(k) if k.expires_at.is_some_and(|t| t <= now) => {
                keys.remove(&id);
                self.save(&keys);
                None
            }
            other => other.cloned(),
        }
    }

    /// Forgets every temporary key (Telegram keeps them in RAM only and may lose them at any
    /// moment); returns how many there were.
    pub(crate) fn drop_temp_keys(&self) -> usize {
        let mut keys = self.lock();
        let before = keys.len();
        keys.retain(|_, k| !k.is_temp());
        let dropped = before - keys.len();
        self.save(&keys);
        dropped
    }

    /// For a known temporary key: the permanent key it is bound to (`Some(None)` if unbound).
    pub(crate) fn binding(&self, temp: i64) -> Option<Option<i64>> {
        self.lock()
            .get(&temp)
            .filter(|k| k.is_temp())
            .map(|k| k.bound_to)
    }

    /// Binds temporary key `temp` to permanent key `perm`. As on Telegram, a permanent key has at
    /// most one temporary key at a time: binding a new one unbinds the previous one, whose
    /// connections then act as if never signed in.
    pub(crate) fn bind(&self, temp: i64, perm: i64) -> Result<(), BindRefusal> {
        let mut keys = self.lock();
        match keys.get(&perm) {
            Some(p) if !p.is_temp() => {}
            _ => return Err(BindRefusal::BadPerm),
        }
        let t = keys.get_mut(&temp).ok_or(BindRefusal::NotTemp)?;
        if !t.is_temp() {
            return Err(BindRefusal::NotTemp);
        }
        match t.bound_to {
            Some(existing) if existing != perm => return Err(BindRefusal::AlreadyBound),
            _ => t.bound_to = Some(perm),
        }
        for (id, other) in keys.iter_mut() {
            if *id != temp && other.bound_to == Some(perm) {
                other.bound_to = None;
            }
        }
        self.save(&keys);
        drop(keys);
        self.bindings.send_modify(|n| *n += 1);
        Ok(())
    }

    /// Changes with every successful binding.
    pub(crate) fn bindings(&self) -> tokio::sync::watch::Receiver<u64> {
        self.bindings.subscribe()
    }

    pub(crate) fn set_layer(&self, id: i64, layer: i32) {
        let mut keys = self.lock();
        if let Some(k) = keys.get_mut(&id) {
            if k.layer != layer {
                k.layer = layer;
                self.save(&keys);
            }
        }
    }

    pub(crate) fn set_client(&self, id: i64, client: ClientInfo) {
        if let Some(k) = self.lock().get_mut(&id) {
            k.client = Some(client);
        }
    }

    pub(crate) fn client(&self, id: i64) -> Option<ClientInfo> {
        self.lock().get(&id).and_then(|k| k.client.clone())
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Rewrites the key file (atomically: temporary file, then rename). Failures are logged:
    /// a test server that cannot persist keeps serving from memory.
    fn save(&self, keys: &HashMap<i64, StoredKey>) {
        let Some(path) = &self.file else { return };
        let records = keys
            .values()
            .map(|k| KeyRecord {
                id: k.key.id(),
                key: k.key.as_bytes().to_vec(),
                expires_at: k.expires_at,
                bound_to: k.bound_to,
                layer: k.layer,
            })
            .collect();
        let file = KeyFile {
            format: FORMAT,
            keys: records,
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let result = serde_json::to_vec(&file)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, path));
        if let Err(e) = result {
            log::error!("cannot save auth keys to {}: {e}", path.display());
        }
    }
}

fn load(path: &Path) -> Result<HashMap<i64, StoredKey>, Error> {
    let bad = |reason: String| Error::AuthKeyFile {
        path: path.to_owned(),
        reason,
    };
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(bad(e.to_string())),
    };
    let file: KeyFile = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
    if file.format != FORMAT {
        return Err(bad(format!(
            "format {} (this server reads {FORMAT})",
            file.format
        )));
    }
    let mut keys = HashMap::with_capacity(file.keys.len());
    for r in file.keys {
        let bytes: [u8; 256] = r
            .key
            .try_into()
            .map_err(|_| bad(format!("key {} is not 256 bytes", r.id)))?;
        let key = AuthKey::from_bytes(bytes);
        if key.id() != r.id {
            return Err(bad(format!("key {} does not hash to its id", r.id)));
        }
        keys.insert(
            r.id,
            StoredKey {
                key,
                expires_at: r.expires_at,
                bound_to: r.bound_to,
                layer: r.layer,
                client: None,
            },
        );
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> AuthKey {
        AuthKey::from_bytes([n; 256])
    }

    #[test]
    fn temp_keys_expire_and_bind_only_to_permanent_keys() {
        let store = AuthKeyStore::open(None).unwrap();
        let (perm, temp, other) = (key(1), key(2), key(3));
        let (p, t, o) = (perm.id(), temp.id(), other.id());
        assert!(store.insert(perm, None));
        assert!(store.insert(temp, Some(1000)));
        assert!(store.insert(other, None));
        assert!(!store.insert(key(1), None), "same id twice");

        assert_eq!(store.bind(p, o), Err(BindRefusal::NotTemp));
        assert_eq!(store.bind(t, t), Err(BindRefusal::BadPerm));
        assert_eq!(store.bind(t, 42), Err(BindRefusal::BadPerm));
        assert_eq!(store.bind(t, p), Ok(()));
        assert_eq!(store.bind(t, p), Ok(()), "binding again to the same key");
        assert_eq!(store.bind(t, o), Err(BindRefusal::AlreadyBound));
        assert_eq!(store.get(t, 999).map(|k| k.perm_id()), Some(p));
        assert_eq!(store.get(p, 999).map(|k| k.perm_id()), Some(p));

        assert!(store.get(t, 1000).is_none(), "expired at 1000");
        assert!(store.get(t, 0).is_none(), "and forgotten");
        assert_eq!(store.len(), 2);
    }

    #[test]
    fn a_new_binding_replaces_the_permanent_keys_previous_one() {
        let store = AuthKeyStore::open(None).unwrap();
        let (perm, first, second) = (key(1), key(2), key(3));
        let (p, t1, t2) = (perm.id(), first.id(), second.id());
        assert!(store.insert(perm, None));
        assert!(store.insert(first, Some(1000)));
        assert!(store.insert(second, Some(1000)));
        assert_eq!(store.bind(t1, p), Ok(()));
        assert_eq!(store.bind(t2, p), Ok(()));
        assert_eq!(store.binding(t2), Some(Some(p)));
        assert_eq!(
            store.binding(t1),
            Some(None),
            "the older key lost its binding"
        );
        assert_eq!(store.get(t1, 0).map(|k| k.perm_id()), Some(t1));
        assert_eq!(store.get(t2, 0).map(|k| k.perm_id()), Some(p));
    }

    #[test]
    fn keys_survive_a_restart_and_corrupt_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("state.json");
        let store = AuthKeyStore::open(Some(&data)).unwrap();
        assert!(store.insert(key(9), None));
        store.set_layer(key(9).id(), 229);
        drop(store);

        let again = AuthKeyStore::open(Some(&data)).unwrap();
        let k = again.get(key(9).id(), 0).unwrap();
        assert_eq!(k.key.as_bytes(), key(9).as_bytes());
        assert_eq!(k.layer, 229);

        let file = dir.path().join("state.json.authkeys.json");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replacen("\"key\":[9,", "\"key\":[8,", 1)).unwrap();
        assert!(matches!(
            AuthKeyStore::open(Some(&data)),
            Err(Error::AuthKeyFile { .. })
        ));
        std::fs::write(&file, b"{\"format\":1,").unwrap();
        assert!(AuthKeyStore::open(Some(&data)).is_err());
    }
}
