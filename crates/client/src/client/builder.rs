//! [`ClientBuilder`]: everything a [`Client`] is configured with, and `connect()`.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use tgwire_crypto::rsa::RsaPublicKey;
use tgwire_crypto::AuthKey;
use tgwire_net::{
    ConnectionState, InitParams, Pool, PoolConfig, PoolEvent, Proxy, SenderConfig, SenderEvent,
    Template, TransportKind,
};
use tgwire_session::{AuthKeyData, Changes, MemoryStorage, SqliteStorage, Storage};

use super::{Client, Inner};
use crate::updates::driver::Input;
use crate::InvocationError;

/// Telegram's production data centres (IPv4, port 443), used unless the session or the builder
/// names others.
pub const PRODUCTION_DCS: [(i32, Ipv4Addr); 5] = [
    (1, Ipv4Addr::new(149, 154, 175, 53)),
    (2, Ipv4Addr::new(149, 154, 167, 51)),
    (3, Ipv4Addr::new(149, 154, 175, 100)),
    (4, Ipv4Addr::new(149, 154, 167, 91)),
    (5, Ipv4Addr::new(91, 108, 56, 130)),
];

/// Telegram's production server key (fingerprint `0xd09d1d85de64fd85`, checked by a test).
const PRODUCTION_RSA_KEY: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEA6LszBcC1LGzyr992NzE0ieY+BSaOW622Aa9Bd4ZHLl+TuFQ4lo4g
5nKaMBwK/BIb9xUfg0Q29/2mgIR6Zr9krM7HjuIcCzFvDtr+L0GQjae9H0pRB2OO
62cECs5HKhT5DZ98K33vmWiLowc621dQuwKWSQKjWf50XYFw42h21P2KXUGyp2y/
+aEyZ+uVgLLQbRA1dEjSDZ2iGRy12Mk5gpYc397aYp438fsJoHIgJ2lgMv5h7WY9
t6N/byY9Nw9p21Og3AoXSL2q/2IJ1WRUhebgAdGVMlV1fkuOQoEzR7EdpqtQD9Cs
5+bfo3Nhmcyvk5ftB0WkJ9z6bNZ7yxrP8wIDAQAB
-----END RSA PUBLIC KEY-----";

#[derive(Clone)]
enum SessionChoice {
    File(PathBuf),
    Storage(Arc<dyn Storage>),
}

/// Configures and connects a [`Client`]. Start with [`Client::builder`].
///
/// Clones of a builder share its connection settings (transport, proxy, `initConnection`
/// fields, RSA keys, timeouts, PFS) until one of them changes them: the clients connected from
/// them share one copy, made on the first `connect()`, instead of one each. A process running
/// many accounts configures one builder and connects each account from a clone of it, with the
/// account's own session.
///
/// ```no_run
/// # async fn run() -> Result<(), tgwire::InvocationError> {
/// use std::time::Duration;
///
/// let client = tgwire::Client::builder(12345, "0123456789abcdef0123456789abcdef")
///     .session_file("bot") // bot.session, created if missing
///     .flood_sleep_threshold(Duration::from_secs(30))
///     .device_model("my server")
///     .connect()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientBuilder {
    api_id: i32,
    api_hash: Arc<str>,
    session: SessionChoice,
    conn: Arc<ConnSettings>,
    flood_sleep_threshold: Duration,
    request_timeout: Option<Duration>,
    default_dc: i32,
    receive_updates: bool,
    catch_up: bool,
    idle_timeout: Duration,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("api_id", &self.api_id)
            .field("dcs", &self.conn.dcs)
            .finish_non_exhaustive()
    }
}

/// What every connection of a client is made from: the part of a builder its clones share.
#[derive(Clone)]
struct ConnSettings {
    transport: TransportKind,
    proxy: Option<Proxy>,
    init: InitParams,
    connect_timeout: Duration,
    pfs: Option<Duration>,
    rsa_keys: Vec<RsaPublicKey>,
    /// [`ClientBuilder::dc_addr`]'s addresses.
    dcs: HashMap<i32, SocketAddr>,
    /// The pool template made from the fields above by the first `connect()`, for the clients
    /// connected from the other clones. Emptied by every change (see
    /// [`ClientBuilder::conn_mut`]).
    template: OnceLock<Template>,
}

impl ConnSettings {
    /// The pool template, made once.
    ///
    /// # Errors
    ///
    /// [`InvocationError::InvalidArgument`] if the built-in RSA key does not parse.
    fn template(&self) -> Result<Template, InvocationError> {
        if let Some(template) = self.template.get() {
            return Ok(template.clone());
        }
        let rsa_keys = if self.rsa_keys.is_empty() {
            vec![RsaPublicKey::from_pkcs1_pem(PRODUCTION_RSA_KEY)
                .map_err(|e| InvocationError::InvalidArgument(format!("built-in RSA key: {e}")))?]
        } else {
            self.rsa_keys.clone()
        };
        // The pool fills in each connection's DC id and address; these are placeholders.
        let placeholder = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 443));
        let mut config = SenderConfig::new(0, placeholder, rsa_keys);
        config.transport = self.transport;
        config.proxy = self.proxy.clone();
        config.connect_timeout = self.connect_timeout;
        config.init = Some(self.init.clone());
        config.pfs = self.pfs;
        // Addresses: Telegram's, then the builder's, kept once in the template for all the
        // clients of this builder's clones (a session's own addresses go into its pool).
        let mut addrs: Vec<(i16, SocketAddr)> = PRODUCTION_DCS
            .iter()
            .map(|(id, ip)| (*id as i16, SocketAddr::V4(SocketAddrV4::new(*ip, 443))))
            .collect();
        for (id, addr) in &self.dcs {
            let id = i16::try_from(*id)
                .map_err(|_| InvocationError::InvalidArgument(format!("DC id {id}")))?;
            addrs.push((id, *addr));
        }
        let template = Template::from(config).with_dc_addrs(addrs);
        // Two clones connecting at once may both make one; either serves.
        Ok(self.template.get_or_init(|| template).clone())
    }
}

impl ClientBuilder {
    pub(crate) fn new(api_id: i32, api_hash: String) -> Self {
        Self {
            api_id,
            api_hash: api_hash.into(),
            session: SessionChoice::File(PathBuf::from("tgwire")),
            conn: Arc::new(ConnSettings {
                transport: TransportKind::Obfuscated(tgwire_net::Framing::Intermediate),
                proxy: None,
                init: InitParams::new(api_id),
                connect_timeout: Duration::from_secs(10),
                pfs: None,
                rsa_keys: Vec::new(),
                dcs: HashMap::new(),
                template: OnceLock::new(),
            }),
            flood_sleep_threshold: Duration::from_secs(60),
            request_timeout: Some(Duration::from_secs(60)),
            default_dc: 2,
            receive_updates: true,
            catch_up: false,
            idle_timeout: Duration::from_secs(15 * 60),
        }
    }

    /// The connection settings, to change: this builder's own copy from now on (its clones keep
    /// theirs), without the template made from the old ones.
    fn conn_mut(&mut self) -> &mut ConnSettings {
        let conn = Arc::make_mut(&mut self.conn);
        conn.template = OnceLock::new();
        conn
    }

    /// Keeps the session in the SQLite file `path` (`.session` is appended when missing). The
    /// default is `tgwire.session` in the working directory.
    pub fn session_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.session = SessionChoice::File(path.into());
        self
    }

    /// Keeps the session in any [`Storage`] ([`MemoryStorage`], a [`StringSession`]
    /// loaded into one, your own).
    ///
    /// [`StringSession`]: tgwire_session::StringSession
    pub fn session(mut self, storage: impl Storage + 'static) -> Self {
        self.session = SessionChoice::Storage(Arc::new(storage));
        self
    }

    /// Like [`session`](Self::session), for a storage already behind an `Arc`.
    pub fn session_shared(mut self, storage: Arc<dyn Storage>) -> Self {
        self.session = SessionChoice::Storage(storage);
        self
    }

    /// Keeps the session in memory only (lost when the client is dropped).
    pub fn in_memory(self) -> Self {
        self.session(MemoryStorage::new())
    }

    /// The MTProto transport (default: obfuscated intermediate).
    pub fn transport(mut self, transport: TransportKind) -> Self {
        self.conn_mut().transport = transport;
        self
    }

    /// Connects through a SOCKS5, HTTP or MTProxy proxy.
    pub fn proxy(mut self, proxy: Proxy) -> Self {
        self.conn_mut().proxy = Some(proxy);
        self
    }

    /// `initConnection.device_model` (default "tgwire").
    pub fn device_model(mut self, value: impl Into<String>) -> Self {
        self.conn_mut().init.device_model = value.into();
        self
    }

    /// `initConnection.system_version` (default: the OS name).
    pub fn system_version(mut self, value: impl Into<String>) -> Self {
        self.conn_mut().init.system_version = value.into();
        self
    }

    /// `initConnection.app_version` (default: tgwire's version).
    pub fn app_version(mut self, value: impl Into<String>) -> Self {
        self.conn_mut().init.app_version = value.into();
        self
    }

    /// `initConnection.lang_code` (default "en").
    pub fn lang_code(mut self, value: impl Into<String>) -> Self {
        self.conn_mut().init.lang_code = value.into();
        self
    }

    /// `initConnection.system_lang_code` (default "en").
    pub fn system_lang_code(mut self, value: impl Into<String>) -> Self {
        self.conn_mut().init.system_lang_code = value.into();
        self
    }

    /// Flood waits up to this long are slept through and the request retried; longer ones
    /// are returned as errors (default 60 s; zero never sleeps; flood waits are whole seconds,
    /// so a fraction of a second makes no difference).
    pub fn flood_sleep_threshold(mut self, threshold: Duration) -> Self {
        self.flood_sleep_threshold = threshold;
        self
    }

    /// Gives up on a request after this long (default 60 s; `None` waits forever; kept to
    /// the millisecond, at most about 49 days).
    pub fn request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Closes a connection after this long with no request in flight (default 15 min): the
    /// extra connections of file transfers and those to other DCs; they are opened again when
    /// needed. The home DC's main connection stays open however quiet it is, since the server
    /// pushes updates there.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Limit for opening a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.conn_mut().connect_timeout = timeout;
        self
    }

    /// Perfect forward secrecy: requests travel under temporary keys (a day each) bound to the
    /// permanent key with `auth.bindTempAuthKey`, so a leaked permanent key does not expose past
    /// traffic. Off by default. The permanent key is still created and stored as usual; the
    /// temporary ones live only in memory and are renewed before they expire.
    pub fn pfs(mut self, enabled: bool) -> Self {
        self.conn_mut().pfs = enabled.then_some(DEFAULT_TEMP_KEY_LIFETIME);
        self
    }

    /// [`pfs`](Self::pfs) with temporary keys of `lifetime` (Telegram may drop them earlier;
    /// the sender then binds a new one). Short lifetimes cost a key exchange each.
    pub fn pfs_key_lifetime(mut self, lifetime: Duration) -> Self {
        self.conn_mut().pfs = Some(lifetime);
        self
    }

    /// Where data centre `dc_id` is; overrides the session's and Telegram's addresses (for
    /// test servers).
    pub fn dc_addr(mut self, dc_id: i32, addr: SocketAddr) -> Self {
        self.conn_mut().dcs.insert(dc_id, addr);
        self
    }

    /// Trusts `key` for creating auth keys, instead of Telegram's production key.
    pub fn rsa_key(mut self, key: RsaPublicKey) -> Self {
        self.conn_mut().rsa_keys.push(key);
        self
    }

    /// The DC to start on when the session has none yet (default 2).
    pub fn default_dc(mut self, dc_id: i32) -> Self {
        self.default_dc = dc_id;
        self
    }

    /// Whether to receive updates (default `true`). Without, every request is wrapped in
    /// `invokeWithoutUpdates` and nothing is handed out; see
    /// [`Client::set_receive_updates`] to change it later.
    pub fn receive_updates(mut self, receive: bool) -> Self {
        self.receive_updates = receive;
        self
    }

    /// Whether a signed-in client resuming from a session with a saved update state fetches
    /// what happened while it was away (`updates.getDifference`, handed out like any update;
    /// Telethon's `catch_up`). Default `false`, as Telethon: the client starts from the
    /// server's current state and what happened meanwhile is skipped.
    ///
    /// The catch-up waits for the first subscriber ([`Client::updates`] or an event handler),
    /// so that what it fetches is not handed out to nobody; pushes are held until then.
    pub fn catch_up(mut self, catch_up: bool) -> Self {
        self.catch_up = catch_up;
        self
    }

    /// Opens the session and connects to the home DC (creating an auth key if the session has
    /// none). It does not sign in.
    ///
    /// # Errors
    ///
    /// [`InvocationError::Session`] if the session cannot be opened,
    /// [`InvocationError::InvalidArgument`] for an unusable configuration.
    pub async fn connect(self) -> Result<Client, InvocationError> {
        let storage: Arc<dyn Storage> = match self.session {
            SessionChoice::Storage(s) => s,
            SessionChoice::File(path) => {
                let storage = tokio::task::spawn_blocking(move || SqliteStorage::open(path))
                    .await
                    .map_err(|e| {
                        InvocationError::Closed(format!("session opener failed: {e}"))
                    })??;
                Arc::new(storage)
            }
        };
        let template = self.conn.template()?;

        // Addresses: Telegram's, then the session's, then the builder's, later ones winning. The
        // template has Telegram's and the builder's; the pool gets the session's that differ.
        let mut dc_addrs: HashMap<i16, SocketAddr> = HashMap::new();
        for option in storage.dc_options() {
            if option.flags.media_only || option.flags.cdn || self.conn.dcs.contains_key(&option.id)
            {
                continue;
            }
            if let (Ok(id), Some(addr)) = (i16::try_from(option.id), option.socket_addr()) {
                if template.dc_addr(id) != Some(addr) {
                    dc_addrs.insert(id, addr);
                }
            }
        }
        let mut auth_keys = HashMap::new();
        let mut ids: Vec<i16> = template.dc_ids().chain(dc_addrs.keys().copied()).collect();
        ids.sort_unstable();
        ids.dedup();
        for id in &ids {
            if let Some(key) = storage.auth_key(i32::from(*id)) {
                // The session's bytes, not a copy: one key in memory per DC per client.
                auth_keys.insert(*id, AuthKey::from_shared(key.shared()));
            }
        }

        let home = storage.home_dc().unwrap_or(self.default_dc);
        let pool_config = PoolConfig {
            template,
            dc_addrs,
            auth_keys,
            idle_timeout: self.idle_timeout,
        };
        let client = Client {
            inner: Arc::new_cyclic(|weak| {
                // The update driver closes its idle connections (see `updates::driver`).
                let pool = Pool::with_events_unreaped(pool_config, on_pool_event(weak.clone()));
                pool.on_state(super::home_state_hook(weak.clone()));
                Inner {
                    api_id: self.api_id,
                    api_hash: self.api_hash,
                    storage,
                    update_driver: crate::updates::driver::Slot::new(
                        pool.close_idle_interval(),
                        self.catch_up,
                        self.receive_updates,
                    ),
                    pool,
                    home_dc: AtomicI32::new(home),
                    flood_sleep_secs: u32::try_from(self.flood_sleep_threshold.as_secs())
                        .unwrap_or(u32::MAX),
                    request_timeout_ms: self.request_timeout.map_or(super::NO_TIMEOUT, |t| {
                        u32::try_from(t.as_millis())
                            .unwrap_or(u32::MAX)
                            .min(super::NO_TIMEOUT - 1)
                    }),
                    state: super::home_state::HomeState::new(ConnectionState::Connecting),
                    updates: Arc::default(),
                    receive_updates: std::sync::atomic::AtomicBool::new(self.receive_updates),
                    key_writes: Mutex::new(None),
                    extras: std::sync::OnceLock::new(),
                }
            }),
        };
        crate::updates::driver::start(&client.inner);
        if client.session().home_dc().is_none() {
            client.set_home_dc(home).await?;
        }
        // `set_home_dc` only starts watching on a change, and `home` is already current.
        client.watch_home_state().await;
        Ok(client)
    }
}

/// How long a temporary key lives with [`ClientBuilder::pfs`]: a day, as Telegram's own apps.
const DEFAULT_TEMP_KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// What the pool's connections report, handled in the reporting connection's task (a task and
/// channel of their own would be a good part of an idle client's memory): the home DC's pushes
/// and new sessions go to the update driver; new auth keys are saved into the session, and keys
/// the server no longer knows forgotten, by a short-lived task.
fn on_pool_event(inner: Weak<Inner>) -> impl Fn(PoolEvent) + Send + Sync + 'static {
    move |PoolEvent { dc_id, event, .. }| {
        let mut changes = Changes::new();
        match event {
            SenderEvent::AuthKeyCreated { auth_key, .. } => {
                changes.set_auth_key(
                    i32::from(dc_id),
                    Some(AuthKeyData::from_shared(auth_key.shared_bytes())),
                );
            }
            SenderEvent::AuthKeyUnknown => {
                changes.set_auth_key(i32::from(dc_id), None);
            }
            SenderEvent::Update(bytes) => {
                if let Some(inner) = inner.upgrade() {
                    if i32::from(dc_id) == inner.home_dc.load(Ordering::Relaxed) {
                        crate::updates::driver::tell(&inner, Input::Pushed(bytes));
                    } else {
                        log::trace!("update from DC {dc_id}, not the home DC: ignored");
                    }
                }
                return;
            }
            SenderEvent::NewSession { .. } => {
                if let Some(inner) = inner.upgrade() {
                    if i32::from(dc_id) == inner.home_dc.load(Ordering::Relaxed) {
                        crate::updates::driver::tell(&inner, Input::NewSession);
                    }
                }
                return;
            }
            _ => return,
        }
        let Some(inner) = inner.upgrade() else { return };
        save_key_change(Client { inner }, dc_id, changes);
    }
}

/// Saves an auth-key change in a task of its own, after the ones before it (a key forgotten
/// and then created again must end up created); [`Client::disconnect`] waits for the last.
fn save_key_change(client: Client, dc_id: i16, changes: Changes) {
    let mut slot = client
        .inner
        .key_writes
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let previous = slot.take();
    let writer = client.clone();
    *slot = Some(tokio::spawn(async move {
        if let Some(previous) = previous {
            let _ = previous.await;
        }
        if let Err(e) = writer.persist(changes).await {
            log::warn!("could not save the auth key of DC {dc_id}: {e}");
        }
    }));
}

#[cfg(test)]
mod tests {
    use tgwire_testserver::{Config, TestServer};
    use tgwire_tl_types::functions;

    use super::*;
    use crate::Client;

    #[test]
    fn production_key_has_the_published_fingerprint() {
        let key = RsaPublicKey::from_pkcs1_pem(PRODUCTION_RSA_KEY).unwrap();
        assert_eq!(key.fingerprint() as u64, 0xd09d1d85de64fd85);
    }

    fn builder(server: &TestServer) -> ClientBuilder {
        let mut builder = Client::builder(1, "0123456789abcdef0123456789abcdef")
            .rsa_key(server.rsa_public_key().clone())
            .device_model("shared");
        for dc in server.dcs() {
            let addr = format!("{}:{}", dc.host, dc.port).parse().expect("address");
            builder = builder.dc_addr(dc.id, addr);
        }
        builder
    }

    fn device_model(client: &Client) -> String {
        let template = client.inner.pool.template();
        template.init.expect("initConnection fields").device_model
    }

    /// A DC's address: the builder's, else the session's, else Telegram's; the builder's and
    /// Telegram's are kept once in the shared template.
    #[tokio::test]
    async fn dc_addresses_come_from_the_builder_then_the_session_then_telegram() {
        let server = TestServer::start(Config::default())
            .await
            .expect("test server starts");
        let dc = &server.dcs()[0];
        let real: SocketAddr = format!("{}:{}", dc.host, dc.port).parse().expect("address");
        let option = |port: u16| tgwire_session::DcOption {
            id: dc.id,
            ipv4: Some(Ipv4Addr::LOCALHOST),
            ipv6: None,
            port,
            flags: tgwire_session::DcFlags::default(),
        };
        let session = |port: u16| -> Arc<dyn Storage> {
            let mut changes = Changes::new();
            changes.set_dc_options(vec![option(port)]);
            Arc::new(MemoryStorage::with(changes))
        };
        let base = Client::builder(1, "0123456789abcdef0123456789abcdef")
            .rsa_key(server.rsa_public_key().clone())
            .default_dc(dc.id)
            .connect_timeout(Duration::from_secs(2))
            .request_timeout(Some(Duration::from_secs(5)));

        // Only the session knows where the test server is (Telegram's address is unreachable
        // here): the client gets there.
        let from_session = base
            .clone()
            .session_shared(session(real.port()))
            .connect()
            .await
            .expect("connects");
        let template = from_session.inner.pool.shared_template();
        assert_ne!(template.dc_addr(dc.id as i16), Some(real), "Telegram's");
        from_session
            .invoke(&functions::help::GetNearestDc {})
            .await
            .expect("reached through the session's address");

        // The builder's address wins over a session's wrong one.
        let port_unused = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let from_builder = base
            .clone()
            .dc_addr(dc.id, real)
            .session_shared(session(port_unused))
            .connect()
            .await
            .expect("connects");
        assert_eq!(
            from_builder
                .inner
                .pool
                .shared_template()
                .dc_addr(dc.id as i16),
            Some(real)
        );
        from_builder
            .invoke(&functions::help::GetNearestDc {})
            .await
            .expect("reached through the builder's address");
        for client in [from_session, from_builder] {
            client.disconnect().await;
        }
    }

    #[tokio::test]
    async fn clients_from_clones_share_one_template_until_a_clone_changes_it() {
        let server = TestServer::start(Config::default())
            .await
            .expect("test server starts");
        let base = builder(&server);
        let first = base.clone().in_memory().connect().await.expect("connects");
        let second = base.clone().in_memory().connect().await.expect("connects");
        let changed = base
            .clone()
            .device_model("changed")
            .in_memory()
            .connect()
            .await
            .expect("connects");
        let own = builder(&server)
            .in_memory()
            .connect()
            .await
            .expect("connects");

        let template = |c: &Client| c.inner.pool.shared_template();
        assert!(template(&first).ptr_eq(&template(&second)));
        assert!(!template(&first).ptr_eq(&template(&changed)));
        assert!(!template(&first).ptr_eq(&template(&own)));
        assert_eq!(device_model(&first), "shared");
        assert_eq!(device_model(&second), "shared");
        assert_eq!(device_model(&changed), "changed");
        // The change made after the clone stayed with that clone.
        assert_eq!(
            device_model(&base.in_memory().connect().await.expect("connects")),
            "shared"
        );

        // Each is a working client of its own, with its own connection and session.
        for client in [&first, &second, &changed, &own] {
            client
                .invoke(&functions::help::GetNearestDc {})
                .await
                .expect("answers");
        }
        for client in [first, second, changed, own] {
            client.disconnect().await;
        }
    }
}
