//! What a sender is told at start-up, and the per-call options.

use std::net::SocketAddr;
use std::time::Duration;

use tgwire_crypto::rsa::RsaPublicKey;
use tgwire_crypto::AuthKey;
use tgwire_mtproto::ClientConfig;

use super::init::InitParams;
use super::reconnect::ReconnectPolicy;
use crate::proxy::Proxy;
use crate::transport::TransportKind;

/// Everything a [`Sender`](crate::Sender) needs to reach one data centre.
#[derive(Debug, Clone)]
pub struct SenderConfig {
    /// The DC's id (written into obfuscated2 headers and `p_q_inner_data_dc`; +10000 for test
    /// DCs, negative for media DCs).
    pub dc_id: i16,
    /// The DC's address (ignored by MTProxy routes, which pick the DC by id).
    pub addr: SocketAddr,
    /// The transport codec.
    pub transport: TransportKind,
    /// An optional proxy.
    pub proxy: Option<Proxy>,
    /// Limit for opening a connection, and for each step of the auth-key exchange.
    pub connect_timeout: Duration,
    /// The auth key from a previous run. `None`: one is created on the first connection and
    /// reported with [`SenderEvent::AuthKeyCreated`](crate::SenderEvent::AuthKeyCreated).
    pub auth_key: Option<AuthKey>,
    /// The last known server salt (0 if unknown).
    pub salt: i64,
    /// The last known clock correction (server time minus local time, seconds).
    pub time_offset: i32,
    /// The server RSA keys trusted for the auth-key exchange.
    pub rsa_keys: Vec<RsaPublicKey>,
    /// The `initConnection` fields; `None` sends requests bare (for tests and raw MTProto use).
    pub init: Option<InitParams>,
    /// Tunables of the MTProto session (resend timers, container limits...).
    pub session: ClientConfig,
    /// Keep-alive and dead-link detection.
    pub keep_alive: KeepAlive,
    /// Backoff between reconnection attempts.
    pub reconnect: ReconnectPolicy,
    /// Perfect forward secrecy: `Some(lifetime)` runs the session on temporary keys of this
    /// lifetime, bound to the permanent key ([`Self::auth_key`], created first if missing) with
    /// `auth.bindTempAuthKey` before any request, and replaced by a freshly bound one before they
    /// expire (or as soon as the server forgets one). The permanent key then never encrypts
    /// anything but the binding messages. `None` (the default): the permanent key is used
    /// directly. Telegram's clients use a day; the server may drop temporary keys earlier.
    pub pfs: Option<Duration>,
    /// Seed for every random choice the sender makes (session ids, jitter, nonces). `None` (the
    /// default) seeds from the OS; set it only in tests, since session ids must not repeat.
    pub seed: Option<u64>,
}

/// What one connection's driver starts from: the settings it shares with the other connections
/// of its pool (one allocation for all of them, rather than a copy of the whole
/// [`SenderConfig`], some 600 bytes, in every connection's task), and what is its own. The
/// per-connection fields of [`Self::shared`] (`dc_id`, `addr`, `auth_key`, `salt`,
/// `time_offset`, `seed`) are not read; the fields here are. The connection's seed goes to the
/// driver's generator alone (a copy here would be 16 bytes in every connection's task, which
/// sits at the top of its tokio cell size), and its auth key to what the driver publishes for
/// its handles, where the driver reads it back (one copy rather than two).
pub(crate) struct ConnConfig {
    pub(crate) shared: std::sync::Arc<SenderConfig>,
    /// [`SenderConfig::session`], shared by the pool's sessions too.
    pub(crate) session: std::sync::Arc<ClientConfig>,
    pub(crate) dc_id: i16,
    pub(crate) addr: SocketAddr,
    pub(crate) salt: i64,
    pub(crate) time_offset: i32,
}

impl ConnConfig {
    /// A connection of its own, configured by `config` alone (less its auth key, which the
    /// caller takes out first).
    pub(crate) fn own(config: SenderConfig) -> Self {
        Self {
            dc_id: config.dc_id,
            addr: config.addr,
            salt: config.salt,
            time_offset: config.time_offset,
            session: std::sync::Arc::new(config.session.clone()),
            shared: std::sync::Arc::new(config),
        }
    }
}

/// A bound temporary key, as one connection hands it to the others of its DC.
#[derive(Debug, Clone)]
pub(crate) struct SharedTempKey {
    pub(crate) key: AuthKey,
    pub(crate) salt: i64,
    pub(crate) time_offset: i32,
    pub(crate) expires_at: i32,
    pub(crate) renew_at: tokio::time::Instant,
    pub(crate) renew_by: tokio::time::Instant,
}

/// Who makes the temporary key a PFS connection runs on.
///
/// Telegram keeps one binding per permanent key (`auth.bindTempAuthKey` replaces the previous
/// one), so the connections of a DC must share one temporary key: the lead creates, binds and
/// publishes it, the followers wait for it and use it with sessions of their own.
#[derive(Debug, Clone, Default)]
pub(crate) enum TempKeyShare {
    /// A connection alone on its DC: it makes its own keys.
    #[default]
    Own,
    /// Makes the DC's keys and publishes each once it is bound.
    Lead(std::sync::Arc<tokio::sync::watch::Sender<Option<SharedTempKey>>>),
    /// Uses the keys the lead publishes.
    Follow(tokio::sync::watch::Receiver<Option<SharedTempKey>>),
}

impl SenderConfig {
    /// A direct connection to `addr` for DC `dc_id` over obfuscated intermediate framing, with
    /// default timers and no `initConnection` envelope.
    pub fn new(dc_id: i16, addr: SocketAddr, rsa_keys: Vec<RsaPublicKey>) -> Self {
        Self {
            dc_id,
            addr,
            transport: TransportKind::Obfuscated(crate::Framing::Intermediate),
            proxy: None,
            connect_timeout: Duration::from_secs(10),
            auth_key: None,
            salt: 0,
            time_offset: 0,
            rsa_keys,
            init: None,
            session: ClientConfig::default(),
            keep_alive: KeepAlive::default(),
            reconnect: ReconnectPolicy::default(),
            pfs: None,
            seed: None,
        }
    }
}

/// Keep-alive pings and dead-link detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepAlive {
    /// A ping goes out this often.
    pub interval: Duration,
    /// The server is asked to close the connection if no further ping arrives within this
    /// (`ping_delay_disconnect`), so a vanished client does not hold server resources.
    pub disconnect_delay: Duration,
    /// With no byte received for this long, the link is presumed dead and replaced.
    pub dead_after: Duration,
}

impl Default for KeepAlive {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(60),
            disconnect_delay: Duration::from_secs(75),
            dead_after: Duration::from_secs(75),
        }
    }
}

/// What happens to a request whose connection is lost before it is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnDisconnect {
    /// Keep it: the session resends it on the next connection (under the same msg_id while it is
    /// young, so the server can recognise a duplicate). The default.
    #[default]
    Resend,
    /// Fail it with [`InvokeError::Disconnected`](crate::InvokeError::Disconnected) and ask the
    /// server to drop its answer. For requests that must not be retried blindly.
    Fail,
}

/// Per-call options for [`SenderHandle::invoke_with`](crate::SenderHandle::invoke_with).
#[derive(Debug, Clone, Default)]
pub struct InvokeOptions {
    /// Give up after this long with [`InvokeError::Timeout`](crate::InvokeError::Timeout) (the
    /// request is cancelled on the server too). `None`: wait as long as the session does.
    pub timeout: Option<Duration>,
    /// What a lost connection does to the request once it was sent.
    pub on_disconnect: OnDisconnect,
    /// Never send the body as `gzip_packed` (for already compressed payloads).
    pub no_gzip: bool,
    /// Never wrap the body in `invokeWithLayer(initConnection(…))`, e.g. for MTProto service
    /// functions.
    pub no_init: bool,
}
