//! The protocol side: listeners, connections, the auth-key store and sessions, around the
//! backend.

pub(crate) mod auth_keys;
pub(crate) mod clock;
mod connection;
mod error;
mod handshake;
pub(crate) mod rpc;
mod sessions;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tgwire_crypto::rsa::{RsaPrivateKey, RsaPublicKey};
use tgwire_mtproto::SaltSchedule;
use tgwire_net::server::AcceptOptions;
use tgwire_net::MtProxySecret;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::backend::{Backend, BackendConfig, DcAddr};
use crate::faults::Faults;
use auth_keys::AuthKeyStore;
pub use auth_keys::ClientInfo;
use connection::Entry;
pub use error::Error;
use sessions::Sessions;

/// The built-in RSA private key (PKCS#1 PEM). Test-only: it protects nothing.
pub const BUILTIN_PRIVATE_KEY_PEM: &str = include_str!("../../keys/test-server-private.pem");
/// The built-in RSA public key (PKCS#1 PEM) clients embed to talk to a default test server.
pub const BUILTIN_PUBLIC_KEY_PEM: &str = include_str!("../../keys/test-server-public.pem");
/// The CDN DC's built-in RSA private key (PKCS#1 PEM). Test-only, like the main one.
const CDN_PRIVATE_KEY_PEM: &str = include_str!("../../keys/test-cdn-private.pem");
/// The id of the CDN DC (Telegram numbers its CDN DCs from 201).
pub const CDN_DC_ID: i32 = 201;

/// Most DCs one server runs (ids 1..=MAX_DCS).
pub const MAX_DCS: usize = 64;
/// How long one server salt is current; the previous one stays accepted as long again.
const SALT_PERIOD_SECS: u32 = 3600;

/// How to start a [`TestServer`]. `Default` is three DCs on free ports of 127.0.0.1 with the
/// built-in key and nothing persisted.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address every DC listens on.
    pub host: IpAddr,
    /// DC 1's port; DC n listens on `port + n - 1` (and the MTProxy, if any, on
    /// `port + dc_count`). 0 picks free ports.
    pub port: u16,
    /// Number of DCs (ids 1..=dc_count).
    pub dc_count: usize,
    /// The RSA key of the auth-key exchange; `None` uses [`BUILTIN_PRIVATE_KEY_PEM`].
    pub rsa_key: Option<RsaPrivateKey>,
    /// Persist the backend's state to this file (and auth keys to `FILE.authkeys.json`).
    pub data_file: Option<PathBuf>,
    /// Also listen as an MTProxy with this secret (plain, `dd` or `ee`), routing each client to
    /// the DC its obfuscated2 header names.
    pub proxy_secret: Option<MtProxySecret>,
    /// Unknown phone numbers must call `auth.signUp` (Telethon cannot; off by default).
    pub require_signup: bool,
    /// The fault-injection handle (clone it to keep control, or use [`TestServer::faults`]).
    pub faults: Faults,
    /// Also run a CDN DC ([`CDN_DC_ID`], its own RSA key, published by `help.getCdnConfig`)
    /// and redirect downloads (`upload.getFile` with `cdn_supported`) of files of at least
    /// this many bytes to it. `None` (the default): no CDN.
    pub cdn_min_size: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            dc_count: 3,
            rsa_key: None,
            data_file: None,
            proxy_secret: None,
            require_signup: false,
            faults: Faults::new(),
            cdn_min_size: None,
        }
    }
}

/// Where the MTProxy listens.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ProxyAddr {
    /// Host.
    pub host: String,
    /// Port.
    pub port: u16,
    /// The secret clients must use (hex, with its `dd`/`ee` prefix and domain).
    pub secret: String,
}

/// What every connection task shares.
pub(crate) struct Shared {
    pub(crate) backend: Backend,
    pub(crate) faults: Faults,
    pub(crate) auth: tgwire_mtproto::auth::server::Config,
    /// The CDN DC's exchange (its own key), when one runs.
    pub(crate) cdn_auth: Option<tgwire_mtproto::auth::server::Config>,
    pub(crate) keys: AuthKeyStore,
    pub(crate) sessions: Sessions,
    pub(crate) dc_count: i32,
    pub(crate) next_conn_id: AtomicU64,
    /// Bumped by the salt-expiry fault: sessions created afterwards use new salts.
    pub(crate) salt_generation: AtomicU64,
    salt_secret: [u8; 32],
    /// Bumped by [`TestServer::disconnect_all`]: every open connection closes.
    pub(crate) kick: watch::Sender<u64>,
}

impl Shared {
    /// The auth-key exchange of DC `dc_id`: the CDN DC has a key of its own.
    pub(crate) fn auth_for(&self, dc_id: i32) -> &tgwire_mtproto::auth::server::Config {
        match &self.cdn_auth {
            Some(cdn) if dc_id == CDN_DC_ID => cdn,
            _ => &self.auth,
        }
    }

    /// The salt schedule of sessions under `auth_key_id`: per key (as on Telegram) and per
    /// salt generation.
    pub(crate) fn salt_schedule(&self, auth_key_id: i64) -> SaltSchedule {
        let mut secret = self.salt_secret;
        let generation = self.salt_generation.load(Ordering::Relaxed);
        for (b, x) in secret.iter_mut().zip(
            auth_key_id
                .to_le_bytes()
                .into_iter()
                .chain(generation.to_le_bytes()),
        ) {
            *b ^= x;
        }
        SaltSchedule::new(secret, SALT_PERIOD_SECS)
    }
}

/// A running multi-DC test server. Dropping it stops the listeners; [`TestServer::shutdown`]
/// also waits for them.
pub struct TestServer {
    shared: Arc<Shared>,
    host: IpAddr,
    dcs: Vec<DcAddr>,
    /// Boxed: most servers run none, and the handle stays small.
    cdn: Option<Box<crate::backend::CdnConfig>>,
    proxy: Option<ProxyAddr>,
    /// The MTProxy's accept options, to listen again after a restart.
    proxy_options: Option<Arc<AcceptOptions>>,
    public_key: RsaPublicKey,
    public_pem: String,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("dcs", &self.dcs)
            .field("proxy", &self.proxy)
            .field("rsa_fingerprint", &self.rsa_fingerprint())
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Binds every DC's port (and the MTProxy's), loads `data_file` if given, and starts
    /// serving on the current tokio runtime.
    ///
    /// # Errors
    /// A bad DC count or port range, a port already in use, an unusable key or data file.
    pub async fn start(config: Config) -> Result<Self, Error> {
        let count = config.dc_count;
        if count == 0 || count > MAX_DCS {
            return Err(Error::DcCount {
                count,
                max: MAX_DCS,
            });
        }
        let proxies = usize::from(config.proxy_secret.is_some());
        let extra = proxies + usize::from(config.cdn_min_size.is_some());
        if config.port != 0 && usize::from(config.port) + count + extra - 1 > usize::from(u16::MAX)
        {
            return Err(Error::PortRange {
                first: config.port,
                count,
            });
        }
        let port_of = |i: usize| {
            if config.port == 0 {
                0
            } else {
                // Checked above: port + count + extra - 1 <= 65535.
                config.port + i as u16
            }
        };
        let bind = |i: usize| async move {
            let addr = SocketAddr::new(config.host, port_of(i));
            TcpListener::bind(addr)
                .await
                .map_err(|source| Error::Bind { addr, source })
        };

        let mut listeners = Vec::with_capacity(count);
        let mut dcs = Vec::with_capacity(count);
        for i in 0..count {
            let listener = bind(i).await?;
            let port = listener
                .local_addr()
                .map_err(|source| Error::Bind {
                    addr: SocketAddr::new(config.host, port_of(i)),
                    source,
                })?
                .port();
            dcs.push(DcAddr {
                id: i as i32 + 1,
                host: config.host.to_string(),
                port,
            });
            listeners.push(listener);
        }
        let proxy_listener = match &config.proxy_secret {
            Some(_) => Some(bind(count).await?),
            None => None,
        };
        let mut cdn = None;
        if let Some(min_size) = config.cdn_min_size {
            let listener = bind(count + proxies).await?;
            let port = listener
                .local_addr()
                .map_err(|source| Error::Bind {
                    addr: SocketAddr::new(config.host, port_of(count + proxies)),
                    source,
                })?
                .port();
            let key = RsaPrivateKey::from_pkcs1_pem(CDN_PRIVATE_KEY_PEM)?;
            cdn = Some((
                listener,
                crate::backend::CdnConfig {
                    dc: DcAddr {
                        id: CDN_DC_ID,
                        host: config.host.to_string(),
                        port,
                    },
                    public_key_pem: key.public_key().to_pkcs1_pem(),
                    min_size,
                },
                key,
            ));
        }

        let rsa_key = match config.rsa_key {
            Some(k) => k,
            None => RsaPrivateKey::from_pkcs1_pem(BUILTIN_PRIVATE_KEY_PEM)?,
        };
        let public_key = rsa_key.public_key().clone();
        let public_pem = public_key.to_pkcs1_pem();
        let backend = Backend::open(
            BackendConfig {
                dcs: dcs.clone(),
                require_signup: config.require_signup,
                data_file: config.data_file.clone(),
            },
            config.faults.clone(),
        )?;
        let keys = AuthKeyStore::open(config.data_file.as_deref())?;
        let (cdn_listener, cdn, cdn_auth) = match cdn {
            Some((listener, cdn, key)) => {
                backend.set_cdn(cdn.clone());
                let auth = tgwire_mtproto::auth::server::Config { keys: vec![key] };
                (Some((listener, cdn.dc.id)), Some(Box::new(cdn)), Some(auth))
            }
            None => (None, None, None),
        };
        let shared = Arc::new(Shared {
            backend,
            faults: config.faults,
            auth: tgwire_mtproto::auth::server::Config {
                keys: vec![rsa_key],
            },
            cdn_auth,
            keys,
            sessions: Sessions::default(),
            // MAX_DCS fits in i32.
            dc_count: count as i32,
            next_conn_id: AtomicU64::new(1),
            salt_generation: AtomicU64::new(0),
            salt_secret: rand::random(),
            kick: watch::channel(0).0,
        });

        let mut proxy = None;
        let mut proxy_options = None;
        if let (Some(listener), Some(secret)) = (&proxy_listener, config.proxy_secret) {
            let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
            proxy = Some(ProxyAddr {
                host: config.host.to_string(),
                port,
                secret: secret
                    .to_bytes()
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect(),
            });
            proxy_options = Some(Arc::new(AcceptOptions {
                secret: Some(secret),
                ..AcceptOptions::default()
            }));
        }
        let (shutdown, watch_rx) = watch::channel(false);
        let tasks = spawn_listeners(
            &shared,
            listeners
                .into_iter()
                .zip(dcs.iter().map(|dc| dc.id))
                .chain(cdn_listener)
                .collect(),
            proxy_listener.zip(proxy_options.clone()),
            &watch_rx,
        );
        log::info!("test server up: {dcs:?}");
        Ok(Self {
            shared,
            host: config.host,
            dcs,
            cdn,
            proxy,
            proxy_options,
            public_key,
            public_pem,
            shutdown,
            tasks,
        })
    }

    /// The DCs, in id order (DC n is `dcs()[n - 1]`).
    pub fn dcs(&self) -> &[DcAddr] {
        &self.dcs
    }

    /// The address of DC `id`.
    pub fn dc(&self, id: i32) -> Option<&DcAddr> {
        self.dcs.iter().find(|d| d.id == id)
    }

    /// The CDN DC, when started with [`Config::cdn_min_size`].
    pub fn cdn_dc(&self) -> Option<&DcAddr> {
        self.cdn.as_ref().map(|cdn| &cdn.dc)
    }

    /// The CDN DC's RSA public key (PKCS#1 PEM), as `help.getCdnConfig` publishes it.
    pub fn cdn_public_key_pem(&self) -> Option<&str> {
        self.cdn.as_ref().map(|cdn| cdn.public_key_pem.as_str())
    }

    /// The MTProxy, when started with a proxy secret.
    pub fn proxy(&self) -> Option<&ProxyAddr> {
        self.proxy.as_ref()
    }

    /// The server's RSA public key.
    pub fn rsa_public_key(&self) -> &RsaPublicKey {
        &self.public_key
    }

    /// The server's RSA public key as PKCS#1 PEM (`-----BEGIN RSA PUBLIC KEY-----`).
    pub fn rsa_public_key_pem(&self) -> &str {
        &self.public_pem
    }

    /// The fingerprint clients look for in `resPQ`.
    pub fn rsa_fingerprint(&self) -> i64 {
        self.public_key.fingerprint()
    }

    /// The fault-injection handle.
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// Direct access to the backend, for test set-up.
    pub fn backend(&self) -> &Backend {
        &self.shared.backend
    }

    /// Sends each of `texts` from user `from` to `to` as `messages.sendMessage` would, without
    /// a client connection: connected sessions get real pushes with real pts (see
    /// [`Backend::inject_messages`]). Returns the message ids in `from`'s numbering.
    ///
    /// # Errors
    /// [`Error::Backend`] when the sender is unknown or the send is refused.
    pub fn inject_messages<I>(
        &self,
        from: i64,
        to: crate::backend::Peer,
        texts: I,
    ) -> Result<Vec<i32>, Error>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        Ok(self.shared.backend.inject_messages(from, to, texts)?)
    }

    /// How many auth keys the server knows.
    pub fn auth_key_count(&self) -> usize {
        self.shared.keys.len()
    }

    /// Forgets every temporary auth key now, as Telegram may at any moment (they live in its
    /// RAM only): clients using one get the transport error -404 and must create and bind a new
    /// one. Permanent keys and their authorizations stay. Returns how many keys were dropped.
    pub fn drop_temp_keys(&self) -> usize {
        self.shared.keys.drop_temp_keys()
    }

    /// For a temporary key the server knows: the permanent key it is bound to with
    /// `auth.bindTempAuthKey`, or `Some(None)` while unbound. `None` for an unknown, expired or
    /// permanent key.
    pub fn temp_key_binding(&self, temp_auth_key_id: i64) -> Option<Option<i64>> {
        self.shared.keys.binding(temp_auth_key_id)
    }

    /// How many sessions the server keeps (attached or waiting for their client to return).
    pub fn session_count(&self) -> usize {
        self.shared.sessions.len()
    }

    /// What the client using `auth_key_id` said in its last `initConnection`.
    pub fn client_info(&self, auth_key_id: i64) -> Option<ClientInfo> {
        self.shared.keys.client(auth_key_id)
    }

    /// The one-line JSON the command line prints when ready:
    /// `{"dcs":[{"id":1,"host":…,"port":…},…],"rsa_public_key_pem":…,"rsa_fingerprint":…}`, plus
    /// `"proxy":{"host":…,"port":…,"secret":…}` when an MTProxy runs.
    pub fn ready_line(&self) -> String {
        // Structs, not maps: fields serialise in declaration order, the documented one.
        #[derive(serde::Serialize)]
        struct Dc<'a> {
            id: i32,
            host: &'a str,
            port: u16,
        }
        #[derive(serde::Serialize)]
        struct Ready<'a> {
            dcs: Vec<Dc<'a>>,
            rsa_public_key_pem: &'a str,
            rsa_fingerprint: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            proxy: Option<&'a ProxyAddr>,
        }
        let ready = Ready {
            dcs: self
                .dcs
                .iter()
                .map(|d| Dc {
                    id: d.id,
                    host: &d.host,
                    port: d.port,
                })
                .collect(),
            rsa_public_key_pem: &self.public_pem,
            rsa_fingerprint: self.rsa_fingerprint(),
            proxy: self.proxy.as_ref(),
        };
        // Serialising plain strings and integers cannot fail.
        serde_json::to_string(&ready).unwrap_or_default()
    }

    /// Closes every open connection now, as a network failure would; the server keeps
    /// listening, and keys, sessions and state are untouched (clients reconnect and carry on).
    pub fn disconnect_all(&self) {
        self.shared.kick.send_modify(|generation| *generation += 1);
    }

    /// Restarts the server as a process restart would, on the same ports: stops listening,
    /// closes every connection, forgets every MTProto session and everything the backend keeps
    /// only in memory (see [`Backend::reload`]), reloads the state from the data file (without
    /// one, the in-memory state carries on), and listens again. Auth keys are kept — permanent
    /// ones as the `--data` key file keeps them, temporary ones as well (call
    /// [`TestServer::drop_temp_keys`] for a restart that loses them too). Clients reconnect
    /// with their keys and get `new_session_created`.
    ///
    /// # Errors
    /// A port that cannot be bound again, or a data file that no longer loads (the server is
    /// then not listening).
    pub async fn restart(&mut self) -> Result<(), Error> {
        let _ = self.shutdown.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
        self.shared.sessions.clear();
        self.shared.backend.reload()?;
        let bind = |port: u16| {
            let addr = SocketAddr::new(self.host, port);
            async move {
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| Error::Bind { addr, source })
            }
        };
        let mut listeners = Vec::with_capacity(self.dcs.len());
        for dc in self.dcs.iter().chain(self.cdn.as_ref().map(|cdn| &cdn.dc)) {
            listeners.push((bind(dc.port).await?, dc.id));
        }
        let proxy = match (&self.proxy, &self.proxy_options) {
            (Some(addr), Some(options)) => Some((bind(addr.port).await?, options.clone())),
            _ => None,
        };
        let (shutdown, watch_rx) = watch::channel(false);
        self.shutdown = shutdown;
        self.tasks = spawn_listeners(&self.shared, listeners, proxy, &watch_rx);
        log::info!("test server restarted: {:?}", self.dcs);
        Ok(())
    }

    /// Stops accepting, closes every connection and waits for the listeners to finish.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks.drain(..) {
            let _ = task.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Starts one accepting task per DC listener (and the MTProxy's).
fn spawn_listeners(
    shared: &Arc<Shared>,
    dcs: Vec<(TcpListener, i32)>,
    proxy: Option<(TcpListener, Arc<AcceptOptions>)>,
    shutdown: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let mut tasks = Vec::new();
    let plain = Arc::new(AcceptOptions::default());
    for (listener, id) in dcs {
        tasks.push(tokio::spawn(listen(
            shared.clone(),
            listener,
            Entry::Dc(id),
            plain.clone(),
            shutdown.clone(),
        )));
    }
    if let Some((listener, options)) = proxy {
        tasks.push(tokio::spawn(listen(
            shared.clone(),
            listener,
            Entry::Proxy,
            options,
            shutdown.clone(),
        )));
    }
    tasks
}

/// Accepts connections until shutdown, then waits for them to close.
async fn listen(
    shared: Arc<Shared>,
    listener: TcpListener,
    entry: Entry,
    options: Arc<AcceptOptions>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => {
                    connections.spawn(connection::serve(
                        shared.clone(),
                        entry,
                        tcp,
                        options.clone(),
                        shutdown.clone(),
                    ));
                }
                Err(e) => {
                    log::warn!("accept on {entry:?}: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}
