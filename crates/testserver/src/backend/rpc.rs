//! The `rpc_error`s handlers answer with, and the backend's own error type.

use std::path::PathBuf;

/// An `rpc_error` a handler answers with instead of a result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RpcError {
    pub(crate) code: i32,
    pub(crate) message: String,
}

/// What every handler returns.
pub(crate) type RpcResult<T> = Result<T, RpcError>;

impl RpcError {
    pub(crate) fn new(code: i32, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// 400: the request's data is wrong (`PEER_ID_INVALID`, `MESSAGE_EMPTY`, …).
    pub(crate) fn bad(message: impl Into<String>) -> Self {
        Self::new(400, message)
    }

    /// 401: the key is not (or no longer) authorized.
    pub(crate) fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(401, message)
    }

    /// 403: the user may not do this (`CHAT_WRITE_FORBIDDEN`, `CHAT_ADMIN_REQUIRED`, …).
    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(403, message)
    }

    /// 303: repeat the call on DC `dc` (`PHONE_MIGRATE_2`).
    pub(crate) fn migrate(prefix: &str, dc: i32) -> Self {
        Self::new(303, format!("{prefix}_{dc}"))
    }
}

/// Why the backend could not load or save its data, or refused a set-up call.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The `--data` file exists but could not be read.
    #[error("cannot read data file {path}: {source}")]
    ReadData {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The `--data` file is not a valid state dump (truncated, edited by hand, another program's).
    #[error("data file {path} is corrupt (line {line}, column {column}): {reason}")]
    CorruptData {
        /// The file.
        path: PathBuf,
        /// Where parsing failed.
        line: usize,
        /// Where parsing failed.
        column: usize,
        /// What the JSON parser reported.
        reason: String,
    },
    /// The `--data` file was written by an incompatible version of this server.
    #[error("data file {path} has format version {found}, this server reads version {expected}")]
    DataVersion {
        /// The file.
        path: PathBuf,
        /// The version in the file.
        found: u32,
        /// The version this build writes.
        expected: u32,
    },
    /// Saving the state failed.
    #[error("cannot write data file {path}: {source}")]
    WriteData {
        /// The file (or its temporary sibling).
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A set-up call named a user that does not exist.
    #[error("no user with id {0}")]
    UnknownUser(i64),
    /// A set-up call named a basic group that does not exist.
    #[error("no basic group with id {0}")]
    UnknownChat(i64),
    /// A set-up call named a channel that does not exist.
    #[error("no channel with id {0}")]
    UnknownChannel(i64),
    /// A set-up call was refused the way the API would refuse it (`USERNAME_OCCUPIED`, …).
    #[error("refused: {0}")]
    Refused(String),
}

impl From<RpcError> for BackendError {
    fn from(error: RpcError) -> Self {
        BackendError::Refused(format!("{} {}", error.code, error.message))
    }
}
