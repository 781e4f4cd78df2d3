//! The async sender: one tokio task per connection driving a sans-IO MTProto [`Session`].
//!
//! [`Sender::spawn`] starts the task and returns a [`SenderHandle`] (cloneable; `invoke`
//! requests through it) and the receiver of [`SenderEvent`]s (updates, new auth keys, salts).
//! The task connects (through the configured proxy), creates an auth key if it has none,
//! serves the connection, and reconnects with backoff when it is lost; requests survive
//! reconnections unless their caller chose [`OnDisconnect::Fail`].
//!
//! [`Session`]: tgwire_mtproto::Session

pub(crate) mod config;
mod driver;
mod handle;
mod init;
mod link;
mod published;
mod reconnect;
mod state;

use tgwire_crypto::AuthKey;
use tokio::sync::mpsc;

pub use config::{InvokeOptions, KeepAlive, OnDisconnect, SenderConfig};
pub use handle::SenderHandle;
pub use init::InitParams;
pub use reconnect::ReconnectPolicy;
pub(crate) use state::PoolHooks;
pub use state::{ConnectionState, DisconnectReason};

/// Something the owner of a sender should know about, besides answers to requests.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SenderEvent {
    /// A new auth key was created on the first connection: persist it (with the salt and time
    /// offset) so the next run reuses it.
    AuthKeyCreated {
        /// The key (boxed: it is 300 bytes, and events are mostly small updates).
        auth_key: Box<AuthKey>,
        /// The first server salt.
        first_salt: i64,
        /// Server time minus local time, in seconds.
        time_offset: i32,
    },
    /// The server does not know our (permanent) auth key: it answered -404, or, with PFS,
    /// refused to bind a temporary key to it. Forget the stored key; the sender creates a new
    /// one on its next connection. (A temporary key the server forgot is replaced silently.)
    AuthKeyUnknown,
    /// With [`SenderConfig::pfs`]: a new temporary key was created and bound to the permanent
    /// key; requests now travel under it. Temporary keys are not worth persisting.
    TempKeyBound {
        /// The temporary key's id.
        temp_key_id: i64,
        /// When the server lets it expire (server Unix time).
        expires_at: i32,
    },
    /// An update from the server (the TL-serialized `Updates` or other pushed object).
    Update(Vec<u8>),
    /// The server created a new session for us: updates may have been missed, so fetch the
    /// difference.
    NewSession {
        /// The first message the new session handled.
        first_msg_id: i64,
        /// The server's id for the session.
        unique_id: i64,
    },
    /// The server salt changed; persist it to skip a round trip next time.
    SaltChanged(i64),
    /// The clock correction changed; persist it.
    TimeOffsetChanged(i32),
}

/// Where a sender's driver puts its events.
pub(crate) enum EventSink {
    /// A channel of its own ([`Sender::spawn`]).
    Channel(mpsc::UnboundedSender<SenderEvent>),
    /// The connection's pool, told each event and each new state in the driver's task (a
    /// relay task and channel per connection would cost more memory than the rest of an idle
    /// connection).
    Pool(Box<dyn PoolHooks>),
}

/// A running sender: the handle to invoke through, and the events it reports.
#[derive(Debug)]
pub struct Sender {
    /// Invoke requests, watch the state, shut down.
    pub handle: SenderHandle,
    /// Updates, new auth keys, salts. Dropping the receiver is fine; events are then discarded.
    pub events: mpsc::UnboundedReceiver<SenderEvent>,
}

impl Sender {
    /// Starts the connection task on the current tokio runtime. It connects right away.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn spawn(mut config: SenderConfig) -> Sender {
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let seed = config.seed;
        let auth_key = config.auth_key.take();
        Sender {
            handle: Self::spawn_into(
                config::ConnConfig::own(config),
                auth_key,
                seed,
                EventSink::Channel(events_tx),
                config::TempKeyShare::Own,
            ),
            events: events_rx,
        }
    }

    /// [`spawn`](Self::spawn), with the events (and, for a pool, each new state) going to
    /// `events`, starting from `auth_key` if there is one. With PFS, `temp_key_share` says
    /// which connection makes the DC's temporary keys.
    pub(crate) fn spawn_into(
        config: config::ConnConfig,
        auth_key: Option<AuthKey>,
        seed: Option<u64>,
        events: EventSink,
        temp_key_share: config::TempKeyShare,
    ) -> SenderHandle {
        let (commands, commands_rx) =
            crate::queue::unbounded_with(handle::Shared::new(auth_key, config.dc_id));
        let driver = driver::Driver::new(config, seed, commands_rx, events, temp_key_share);
        tokio::spawn(driver.run());
        SenderHandle { commands }
    }
}
