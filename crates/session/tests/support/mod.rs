//! Fixtures shared by the storage test binaries, the backends the conformance suite runs against,
//! and access to the test PostgreSQL server.
#![allow(dead_code)] // each test binary uses its own part

pub mod conformance;
pub mod crash;
pub mod json_file;
#[cfg(feature = "serde")]
pub mod serde_file;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU32, Ordering};

use tgwire_session::{
    AuthKeyData, CachedPeer, Changes, DcFlags, DcOption, MemoryStorage, PeerKind, PeerRef,
    SelfUser, SessionError, SqliteStorage, Storage, TempAuthKey, UpdateState,
};

pub fn key(seed: u8) -> AuthKeyData {
    let mut bytes = [0u8; 256];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(31).wrapping_add(seed);
    }
    AuthKeyData::new(bytes)
}

pub fn peer(kind: PeerKind, id: i64, hash: Option<i64>) -> CachedPeer {
    CachedPeer::new(PeerRef::new(kind, id, hash).unwrap())
}

/// A session with every kind of data in it.
pub fn full_changes() -> Changes {
    let mut alice = peer(PeerKind::User, 1001, Some(-77));
    alice.usernames = vec!["@Alice".into(), "alice_alt".into()];
    alice.phone = Some("+1 555 0001".into());
    alice.name = Some("Alice Liddell".into());
    let mut bot = peer(PeerKind::Bot, 1002, Some(5));
    bot.usernames = vec!["helper_bot".into()];
    let mut min_user = peer(PeerKind::User, 1003, Some(9));
    min_user.min = true;
    let mut group = peer(PeerKind::BasicGroup, 2001, None);
    group.name = Some("Basic".into());
    let mut news = peer(PeerKind::Broadcast, 3001, Some(i64::MAX));
    news.usernames = vec!["news".into()];
    let giga = peer(PeerKind::Gigagroup, 3002, Some(i64::MIN));
    let supergroup = peer(PeerKind::Supergroup, 3003, Some(0));

    let mut changes = Changes::new();
    changes
        .set_home_dc(2)
        .set_dc_options(vec![
            DcOption {
                id: 2,
                ipv4: Some(Ipv4Addr::new(149, 154, 167, 51)),
                ipv6: Some("2001:67c:4e8:f002::a".parse::<Ipv6Addr>().unwrap()),
                port: 443,
                flags: DcFlags::default(),
            },
            DcOption {
                id: 2,
                ipv4: Some(Ipv4Addr::new(149, 154, 167, 151)),
                ipv6: None,
                port: 443,
                flags: DcFlags {
                    media_only: true,
                    cdn: false,
                    static_: true,
                    tcpo_only: true,
                },
            },
            DcOption {
                id: 203,
                ipv4: None,
                ipv6: Some(Ipv6Addr::LOCALHOST),
                port: 8443,
                flags: DcFlags {
                    media_only: false,
                    cdn: true,
                    static_: false,
                    tcpo_only: false,
                },
            },
        ])
        .set_auth_key(2, Some(key(1)))
        .set_auth_key(4, Some(key(2)))
        .set_temp_auth_key(
            2,
            Some(TempAuthKey {
                key: key(3),
                expires_at: 1_800_000_000,
            }),
        )
        .set_self_user(Some(SelfUser {
            id: 1001,
            bot: false,
        }))
        .set_update_state(UpdateState {
            pts: 100,
            qts: 7,
            date: 1_700_000_000,
            seq: 12,
        })
        .set_channel_pts(3001, Some(555))
        .set_channel_pts(3002, Some(1))
        .upsert_peers([alice, bot, min_user, group, news, giga, supergroup]);
    changes
}

pub fn assert_full(storage: &dyn Storage) {
    assert_eq!(storage.home_dc(), Some(2));
    let options = storage.dc_options();
    assert_eq!(options.len(), 3);
    assert_eq!(
        options[1].flags,
        DcFlags {
            media_only: true,
            cdn: false,
            static_: true,
            tcpo_only: true
        }
    );
    assert!(options[2].flags.cdn && !options[2].flags.media_only);
    assert_eq!(options[2].ipv6, Some(Ipv6Addr::LOCALHOST));
    assert_eq!(options[0].ipv6.unwrap().to_string(), "2001:67c:4e8:f002::a");
    assert_eq!(storage.auth_key(2), Some(key(1)));
    assert_eq!(storage.auth_key(4), Some(key(2)));
    assert_eq!(storage.auth_key(1), None);
    let temp = storage.temp_auth_key(2).unwrap();
    assert_eq!((temp.key, temp.expires_at), (key(3), 1_800_000_000));
    assert_eq!(
        storage.self_user(),
        Some(SelfUser {
            id: 1001,
            bot: false
        })
    );
    assert_eq!(
        storage.update_state(),
        Some(UpdateState {
            pts: 100,
            qts: 7,
            date: 1_700_000_000,
            seq: 12
        })
    );
    assert_eq!(storage.channel_pts(3001), Some(555));
    assert_eq!(storage.channel_states(), vec![(3001, 555), (3002, 1)]);

    assert_eq!(storage.peer_count(), 7);
    let alice = storage.peer_by_username("ALICE").unwrap();
    assert_eq!(alice.peer.bot_api_id(), 1001);
    assert_eq!(alice.peer.access_hash(), Some(-77));
    assert_eq!(
        alice.usernames,
        vec!["alice".to_string(), "alice_alt".to_string()]
    );
    assert_eq!(alice.phone.as_deref(), Some("15550001"));
    assert_eq!(alice.name.as_deref(), Some("Alice Liddell"));
    assert_eq!(
        storage.peer_by_username("@alice_alt").unwrap().peer,
        alice.peer
    );
    assert_eq!(
        storage.peer_by_phone("+1-555-0001").unwrap().peer,
        alice.peer
    );
    assert_eq!(storage.peer(1002).unwrap().peer.kind(), PeerKind::Bot);
    assert!(storage.peer(1003).unwrap().min);
    let group = storage.peer(-2001).unwrap();
    assert_eq!(
        (group.peer.kind(), group.peer.access_hash()),
        (PeerKind::BasicGroup, None)
    );
    assert_eq!(group.name.as_deref(), Some("Basic"));
    assert_eq!(
        storage.peer_ref(-1000000003001).unwrap().access_hash(),
        Some(i64::MAX)
    );
    assert_eq!(
        storage.peer_ref(-1000000003002).unwrap().kind(),
        PeerKind::Gigagroup
    );
    assert_eq!(
        storage.peer_ref(-1000000003002).unwrap().access_hash(),
        Some(i64::MIN)
    );
    assert_eq!(
        storage.peer_ref(-1000000003003).unwrap().kind(),
        PeerKind::Supergroup
    );
    assert_eq!(storage.peer_by_username("news").unwrap().peer.id(), 3001);
    assert!(
        storage.peer(3001).is_none(),
        "a user id must not find a channel"
    );
}

/// Where a test opens sessions by name: each backend the conformance suite runs against.
pub trait Backend: Sync {
    /// Opens (creating) session `name`. After the returned storage is dropped, opening the same
    /// name again gives back what was stored, if [`Backend::persistent`].
    fn open(&self, name: &str) -> Result<Box<dyn Storage>, SessionError>;
    /// Data survives dropping the storage and opening it again.
    fn persistent(&self) -> bool;
    /// A second open of a session that is open already fails with an in-use error.
    fn exclusive(&self) -> bool;
}

/// Every open is a fresh, empty memory session.
pub struct MemoryBackend;

impl Backend for MemoryBackend {
    fn open(&self, _name: &str) -> Result<Box<dyn Storage>, SessionError> {
        Ok(Box::new(MemoryStorage::new()))
    }
    fn persistent(&self) -> bool {
        false
    }
    fn exclusive(&self) -> bool {
        false
    }
}

/// A storage of the kind users write: one `<name>.json` file per session in a temporary directory,
/// through `Persist` and `PersistedStorage` (see `json_file.rs`). Not locked, so not exclusive.
pub struct JsonFileBackend {
    dir: tempfile::TempDir,
}

impl JsonFileBackend {
    pub fn new() -> Self {
        JsonFileBackend {
            dir: tempfile::tempdir().unwrap(),
        }
    }
}

impl Backend for JsonFileBackend {
    fn open(&self, name: &str) -> Result<Box<dyn Storage>, SessionError> {
        let path = self.dir.path().join(name).with_extension("json");
        Ok(Box::new(json_file::JsonFile::open(path)?))
    }
    fn persistent(&self) -> bool {
        true
    }
    fn exclusive(&self) -> bool {
        false
    }
}

/// The same with `serde` (feature `serde`): one `<name>.json` file of `serde_json` per session.
#[cfg(feature = "serde")]
pub struct SerdeFileBackend {
    dir: tempfile::TempDir,
}

#[cfg(feature = "serde")]
impl SerdeFileBackend {
    pub fn new() -> Self {
        SerdeFileBackend {
            dir: tempfile::tempdir().unwrap(),
        }
    }
}

#[cfg(feature = "serde")]
impl Backend for SerdeFileBackend {
    fn open(&self, name: &str) -> Result<Box<dyn Storage>, SessionError> {
        let path = self.dir.path().join(name).with_extension("json");
        Ok(Box::new(serde_file::SerdeFile::open(path)?))
    }
    fn persistent(&self) -> bool {
        true
    }
    fn exclusive(&self) -> bool {
        false
    }
}

/// One `<name>.session` file per session in a temporary directory.
pub struct SqliteBackend {
    dir: tempfile::TempDir,
}

impl SqliteBackend {
    pub fn new() -> Self {
        SqliteBackend {
            dir: tempfile::tempdir().unwrap(),
        }
    }
}

impl Backend for SqliteBackend {
    fn open(&self, name: &str) -> Result<Box<dyn Storage>, SessionError> {
        Ok(Box::new(SqliteStorage::open(self.dir.path().join(name))?))
    }
    fn persistent(&self) -> bool {
        true
    }
    fn exclusive(&self) -> bool {
        true
    }
}

/// The environment variable naming the test PostgreSQL server (`.ci/postgres.sh` sets it).
pub const POSTGRES_ENV: &str = "TGWIRE_TEST_POSTGRES";

/// The test server's connection string. Without one, a test fails under `CI=true` (CI must run
/// the PostgreSQL tests, `.ci/run` starts the server) and is skipped with a note elsewhere.
pub fn postgres_url() -> Option<String> {
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => panic!(
            "{POSTGRES_ENV} is not set: under CI the PostgreSQL tests must run \
             (.ci/run starts a server through .ci/postgres.sh)"
        ),
        _ => {
            eprintln!(
                "SKIPPED: {POSTGRES_ENV} is not set (run `source .ci/postgres.sh` to start a \
                 private PostgreSQL server)"
            );
            None
        }
    }
}

/// A schema name no other test (in this process or another) uses.
pub fn unique_schema(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("t_{tag}_{}_{n}_{nanos}", std::process::id())
}

#[cfg(feature = "postgres")]
#[allow(unused_imports)] // not every test binary uses the PostgreSQL helpers
pub use self::pg::*;

#[cfg(feature = "postgres")]
mod pg {
    use super::*;
    use tgwire_session::PostgresPool;

    /// Runs SQL on the test server outside of tgwire (to damage or inspect what it stored);
    /// returns the rows of the last statement if it is a query.
    pub fn raw_sql(url: &str, sql: &str) -> Vec<tokio_postgres::Row> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                .await
                .unwrap();
            tokio::spawn(connection);
            if sql.trim_start().to_ascii_uppercase().starts_with("SELECT") {
                client.query(sql, &[]).await.unwrap()
            } else {
                client.batch_execute(sql).await.unwrap();
                Vec::new()
            }
        })
    }

    /// Sessions in a schema of their own on the test server, dropped afterwards.
    pub struct PostgresBackend {
        pub url: String,
        pub schema: String,
        pub pool: PostgresPool,
    }

    impl PostgresBackend {
        /// `None` (after printing why) when no server is configured outside CI.
        pub fn new(tag: &str) -> Option<Self> {
            let url = postgres_url()?;
            let schema = unique_schema(tag);
            let pool = PostgresPool::builder(url.clone())
                .schema(schema.clone())
                .holder_name(format!("test {tag}"))
                .connect()
                .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
            Some(PostgresBackend { url, schema, pool })
        }
    }

    impl Drop for PostgresBackend {
        fn drop(&mut self) {
            raw_sql(
                &self.url,
                &format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.schema),
            );
        }
    }

    impl Backend for PostgresBackend {
        fn open(&self, name: &str) -> Result<Box<dyn Storage>, SessionError> {
            Ok(Box::new(self.pool.open(name)?))
        }
        fn persistent(&self) -> bool {
            true
        }
        fn exclusive(&self) -> bool {
            true
        }
    }
}
