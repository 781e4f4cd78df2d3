//! The observable state of a sender's connection (read, or followed on a `tokio::sync::watch`).

use std::fmt;
use std::sync::Arc;

use tgwire_mtproto::AuthError;

use super::SenderEvent;
use crate::error::{NetError, TransportError};

/// Where a sender's connection stands. Watch it with
/// [`SenderHandle::state`](crate::SenderHandle::state).
///
/// The usual life: `Connecting` → `Connected` → `Disconnected { .. }` →
/// `Reconnecting { attempt: 1 }` → `Connected` → … → `Closed { .. }`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ConnectionState {
    /// The first connection is being opened (TCP, proxy handshake, and the auth-key exchange
    /// when there is no key yet).
    Connecting,
    /// Packets flow.
    Connected,
    /// The connection ended; a new attempt follows after the backoff delay.
    Disconnected {
        /// Why it ended.
        reason: DisconnectReason,
    },
    /// Reconnecting; `attempt` counts from 1 since the last time the link was up.
    Reconnecting {
        /// Which attempt this is.
        attempt: u32,
    },
    /// The sender stopped for good: shut down, every handle dropped, or out of attempts.
    Closed {
        /// Why it stopped.
        reason: DisconnectReason,
    },
}

impl ConnectionState {
    /// Whether packets can flow now.
    pub fn is_connected(&self) -> bool {
        matches!(self, ConnectionState::Connected)
    }
}

/// Why a connection ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// Opening the connection (TCP, proxy, MTProxy handshake) failed or timed out.
    Connect(Arc<NetError>),
    /// The auth-key exchange failed.
    Auth(AuthError),
    /// The auth-key exchange got no answer in time.
    AuthTimeout,
    /// The peer closed the connection.
    ClosedByPeer,
    /// Reading or writing the socket failed.
    Io(Arc<std::io::Error>),
    /// The byte stream no longer decodes, or the server sent a transport status.
    Transport(TransportError),
    /// No byte arrived for longer than the keep-alive allows: the link is presumed dead.
    Silent,
    /// The server does not know our auth key (transport status -404); a new one will be
    /// created on the next connection.
    AuthKeyUnknown,
    /// [`SenderHandle::shutdown`](crate::SenderHandle::shutdown) was called, or every handle was
    /// dropped.
    Shutdown,
    /// [`ReconnectPolicy::max_attempts`](crate::ReconnectPolicy::max_attempts) ran out.
    GaveUp,
    /// With PFS: the temporary key is due for replacement (expiring, or its binding failed),
    /// which the sender does on a new connection right away.
    Rekey,
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::Connect(e) => write!(f, "connecting failed: {e}"),
            DisconnectReason::Auth(e) => write!(f, "auth-key exchange failed: {e}"),
            DisconnectReason::AuthTimeout => f.write_str("auth-key exchange timed out"),
            DisconnectReason::ClosedByPeer => f.write_str("closed by the server"),
            DisconnectReason::Io(e) => write!(f, "I/O error: {e}"),
            DisconnectReason::Transport(e) => write!(f, "transport error: {e}"),
            DisconnectReason::Silent => f.write_str("no data from the server: link presumed dead"),
            DisconnectReason::AuthKeyUnknown => {
                f.write_str("the server does not know the auth key")
            }
            DisconnectReason::Shutdown => f.write_str("shut down"),
            DisconnectReason::GaveUp => f.write_str("gave up reconnecting"),
            DisconnectReason::Rekey => f.write_str("replacing the temporary key"),
        }
    }
}

/// What a pooled connection's driver tells its [`Pool`](crate::Pool), in the driver's task:
/// one object for both (the pool tags each with the connection and passes it on), so that a
/// pooled connection costs one allocation for them rather than a closure each.
pub(crate) trait PoolHooks: Send + Sync {
    /// An event of the connection.
    fn event(&self, event: SenderEvent);
    /// A new state of the connection, right after its handles can read it.
    fn state(&self, state: &ConnectionState);
}
