//! What can go wrong: [`InvocationError`] for any request, [`SignInError`] for signing in.

use std::sync::Arc;
use std::time::Duration;

pub use tgwire_mtproto::{error_names, KnownError, RpcError};
use tgwire_net::InvokeError;
use tgwire_session::SessionError;

/// Why a request (or a method built on requests) failed.
///
/// Telegram's own refusals are [`InvocationError::Rpc`], whose [`RpcError`] carries the code
/// (400, 420, 303…), the name with its number taken out (`FLOOD_WAIT`) and that number
/// ([`RpcError::value`]); match on the name:
///
/// ```
/// use tgwire::{InvocationError, RpcError};
///
/// let err = InvocationError::Rpc(RpcError::new(420, "FLOOD_WAIT_31"));
/// assert!(err.is("FLOOD_WAIT"));
/// assert_eq!(err.flood_wait(), Some(std::time::Duration::from_secs(31)));
/// assert_eq!(err.rpc().map(|e| e.code), Some(420));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum InvocationError {
    /// The server refused the request. Flood waits at or below the client's threshold and
    /// `*_MIGRATE_X` errors are handled before they get here.
    #[error(transparent)]
    Rpc(RpcError),
    /// No answer came within the client's request timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The request was given up on by the protocol layer (too many resends, or refused).
    #[error("the request was dropped: {0}")]
    Dropped(String),
    /// The connection was lost while the request was in flight, and it was not resent.
    #[error("the connection was lost while the request was in flight")]
    Disconnected,
    /// The client was disconnected (or its connection gave up) before an answer came.
    #[error("the client is disconnected: {0}")]
    Closed(String),
    /// The request is larger than a message may be.
    #[error("the request is too large ({len} bytes)")]
    RequestTooLarge {
        /// Its size.
        len: usize,
    },
    /// The answer did not decode as the expected type (usually a layer mismatch).
    #[error("the answer does not decode: {0}")]
    Deserialize(#[from] tgwire_tl_types::DeserializeError),
    /// Reading or writing the session failed.
    #[error("session storage failed: {0}")]
    Session(#[source] Arc<SessionError>),
    /// A peer could not be found: not in the cache, and the server does not know it.
    #[error("no such peer: {0}")]
    PeerNotFound(String),
    /// The server answered with something this method cannot use (named in the message).
    #[error("unexpected answer from the server: {0}")]
    UnexpectedAnswer(&'static str),
    /// An argument cannot be used as given.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
}

impl InvocationError {
    /// The server's error, if that is what this is.
    pub fn rpc(&self) -> Option<&RpcError> {
        match self {
            InvocationError::Rpc(e) => Some(e),
            _ => None,
        }
    }

    /// Whether this is the RPC error `name` (without its number): `err.is("PEER_ID_INVALID")`.
    pub fn is(&self, name: &str) -> bool {
        self.rpc().is_some_and(|e| e.is(name))
    }

    /// The server's error as a [`KnownError`] (matchable, with its description), when its name
    /// is one Telegram is known to send.
    pub fn known(&self) -> Option<KnownError> {
        self.rpc().and_then(RpcError::known)
    }

    /// How long the server asks to wait (`FLOOD_WAIT_X`, `FLOOD_PREMIUM_WAIT_X`,
    /// `SLOWMODE_WAIT_X`).
    pub fn flood_wait(&self) -> Option<Duration> {
        self.rpc().and_then(RpcError::wait)
    }
}

impl From<InvokeError> for InvocationError {
    fn from(error: InvokeError) -> Self {
        match error {
            InvokeError::Rpc(e) => InvocationError::Rpc(e),
            InvokeError::Dropped(reason) => InvocationError::Dropped(format!("{reason:?}")),
            InvokeError::Timeout(limit) => InvocationError::Timeout(limit),
            InvokeError::Disconnected => InvocationError::Disconnected,
            InvokeError::Shutdown(reason) => InvocationError::Closed(reason.to_string()),
            InvokeError::RequestTooLarge { len, .. } => InvocationError::RequestTooLarge { len },
            InvokeError::Deserialize(e) => InvocationError::Deserialize(e),
            other => InvocationError::Closed(other.to_string()),
        }
    }
}

impl From<SessionError> for InvocationError {
    fn from(error: SessionError) -> Self {
        InvocationError::Session(Arc::new(error))
    }
}

impl From<tgwire_net::PoolError> for InvocationError {
    fn from(error: tgwire_net::PoolError) -> Self {
        InvocationError::Closed(error.to_string())
    }
}

/// Why signing in did not complete. The client stays usable after each of them: ask for the
/// code or password again and retry.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignInError {
    /// The account has two-step verification: call
    /// [`Client::check_password`](crate::Client::check_password) with this token.
    #[error("the account is protected by a password")]
    PasswordRequired(crate::auth::PasswordToken),
    /// The phone number has no account yet: call [`Client::sign_up`](crate::Client::sign_up)
    /// with the same login token.
    #[error("the phone number is not registered; sign up first")]
    SignUpRequired,
    /// The code is wrong (`PHONE_CODE_INVALID`).
    #[error("the login code is invalid")]
    InvalidCode,
    /// The code expired (`PHONE_CODE_EXPIRED`): request a new one.
    #[error("the login code expired")]
    CodeExpired,
    /// The password is wrong (`PASSWORD_HASH_INVALID`).
    #[error("the password is invalid")]
    InvalidPassword,
    /// The server's password parameters cannot be used (bad prime or SRP values).
    #[error("the server's password parameters are unusable: {0}")]
    BadPasswordParameters(String),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] InvocationError),
}

impl From<RpcError> for SignInError {
    fn from(error: RpcError) -> Self {
        match error.name.as_str() {
            "PHONE_CODE_INVALID" | "PHONE_CODE_EMPTY" => SignInError::InvalidCode,
            "PHONE_CODE_EXPIRED" => SignInError::CodeExpired,
            "PASSWORD_HASH_INVALID" => SignInError::InvalidPassword,
            "PHONE_NUMBER_UNOCCUPIED" => SignInError::SignUpRequired,
            _ => SignInError::Other(InvocationError::Rpc(error)),
        }
    }
}

impl SignInError {
    /// Maps the RPC errors sign-in methods expect to their variants.
    pub(crate) fn from_invocation(error: InvocationError) -> Self {
        match error {
            InvocationError::Rpc(e) => e.into(),
            other => SignInError::Other(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_names_values_and_waits() {
        let flood = InvocationError::Rpc(RpcError::new(420, "FLOOD_PREMIUM_WAIT_7"));
        assert!(flood.is("FLOOD_PREMIUM_WAIT"));
        assert_eq!(flood.flood_wait(), Some(Duration::from_secs(7)));
        let slow = InvocationError::Rpc(RpcError::new(420, "SLOWMODE_WAIT_12"));
        assert_eq!(slow.flood_wait(), Some(Duration::from_secs(12)));
        let migrate = RpcError::new(303, "USER_MIGRATE_3");
        assert_eq!(migrate.migrate_to(), Some(3));
        assert_eq!(InvocationError::Rpc(migrate).flood_wait(), None);
        assert!(!InvocationError::Disconnected.is("FLOOD_WAIT"));
        assert_eq!(flood.known(), Some(KnownError::FloodPremiumWait));
        assert_eq!(
            InvocationError::Rpc(RpcError::new(400, "NOT_A_REAL_ERROR")).known(),
            None
        );
        let invalid = InvocationError::Rpc(RpcError::new(400, "PEER_ID_INVALID"));
        assert_eq!(invalid.known(), Some(KnownError::PeerIdInvalid));
        assert!(invalid.is(error_names::PEER_ID_INVALID));
        assert_eq!(InvocationError::Disconnected.known(), None);
    }

    #[test]
    fn sign_in_errors_are_typed() {
        assert!(matches!(
            SignInError::from(RpcError::new(400, "PHONE_CODE_INVALID")),
            SignInError::InvalidCode
        ));
        assert!(matches!(
            SignInError::from(RpcError::new(400, "PASSWORD_HASH_INVALID")),
            SignInError::InvalidPassword
        ));
        assert!(matches!(
            SignInError::from(RpcError::new(400, "PHONE_NUMBER_BANNED")),
            SignInError::Other(InvocationError::Rpc(e)) if e.is("PHONE_NUMBER_BANNED")
        ));
    }
}
