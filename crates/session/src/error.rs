//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong while opening, reading, writing, importing or exporting a session.
///
/// Opening never "repairs" a file: every variant returned by an open leaves the file on disk exactly as
/// it was, so a user can back it up, inspect it, or open it with a newer tgwire.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The data is damaged: a truncated or overwritten file, a row with an impossible value, a string
    /// session whose checksum does not match. `what` names the broken part in words.
    #[error("session data is corrupt: {what}")]
    Corrupt {
        /// Human-readable description of what was found to be broken.
        what: String,
    },

    /// The file was written by a newer tgwire whose schema this version does not know.
    #[error("session file uses schema version {found}, this tgwire supports up to {supported}")]
    NewerSchema {
        /// The schema version stored in the file.
        found: i64,
        /// The newest schema version this build can read.
        supported: i64,
    },

    /// The file is a valid SQLite database but not a tgwire session (for instance a Telethon
    /// `.session` file, which [`import_telethon_session`](crate::import_telethon_session) reads).
    #[error("{path} is an SQLite database but not a tgwire session{hint}")]
    NotASession {
        /// The file that was opened.
        path: PathBuf,
        /// Extra advice for the user (may be empty).
        hint: &'static str,
    },

    /// Another process, or another storage object in this process, has the session open.
    #[error("session {path} is in use by another client (only one may open it at a time)")]
    SessionInUse {
        /// The file that is locked.
        path: PathBuf,
    },

    /// A session in a shared database ([`PostgresStorage`](crate::PostgresStorage)) is driven by
    /// another process, or by another storage object of this process: the counterpart of
    /// [`SessionError::SessionInUse`] for sessions that have a name rather than a file. Also
    /// returned by `apply` after another process took the session over (this one had lost its
    /// lock), so two processes never write one session.
    #[error("session {session:?} is in use by another process ({holder})")]
    SessionLocked {
        /// The session's name.
        session: String,
        /// Who holds it, as its holder described itself (host and process id by default).
        holder: String,
    },

    /// A file-system operation failed.
    #[error("I/O error on {path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// SQLite reported an error that none of the variants above describes better.
    #[error("SQLite error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    /// PostgreSQL reported an error that none of the other variants describes better (connection
    /// refused, authentication failed, a bad connection URL, a query failed).
    #[cfg(feature = "postgres")]
    #[error("PostgreSQL error: {0}")]
    Postgres(#[from] tokio_postgres::Error),

    /// The PostgreSQL connection pool gave no connection: it timed out waiting for a free one or
    /// for a new one to connect, or it was closed. `reason` is the pool's own message (a
    /// catch-all: the pool's error type is generic and not worth exposing).
    #[error("PostgreSQL connection pool: {reason}")]
    Pool {
        /// What the pool reported.
        reason: String,
    },

    /// A session or schema name that cannot be used (empty, too long, or not a plain identifier
    /// where one is required).
    #[error("invalid name {name:?}: {reason}")]
    InvalidName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A string session could not be decoded (wrong version, bad base64, wrong length, bad checksum).
    #[error("invalid string session: {reason}")]
    InvalidString {
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A [`PeerRef`](crate::PeerRef) or Bot API id could not be parsed or converted.
    #[error("invalid peer reference {input:?}: {reason}")]
    InvalidPeerRef {
        /// The offending text or number.
        input: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// An export needs data the session does not hold yet (e.g. no auth key for the home DC).
    #[error("session is incomplete: {missing}")]
    Incomplete {
        /// What is missing.
        missing: &'static str,
    },

    /// A storage of your own (a [`Persist`](crate::Persist) backend or a hand-written
    /// [`Storage`](crate::Storage)) failed in a way no other variant describes: its database,
    /// network or encoding error, kept as the source.
    #[error("session backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),

    /// A value cannot be represented in the requested format (e.g. a DC id above 255 in Telethon's
    /// string format, which stores it in one byte).
    #[error("cannot represent in this format: {what}")]
    Unrepresentable {
        /// What does not fit.
        what: &'static str,
    },
}

impl SessionError {
    /// True if the session is open elsewhere ([`SessionError::SessionInUse`] for a file,
    /// [`SessionError::SessionLocked`] for a database session): the one error a fleet
    /// orchestrator retries elsewhere or later rather than reports.
    pub fn is_in_use(&self) -> bool {
        matches!(
            self,
            SessionError::SessionInUse { .. } | SessionError::SessionLocked { .. }
        )
    }

    /// Wraps an error of a storage of your own as [`SessionError::Backend`].
    pub fn backend(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        SessionError::Backend(error.into())
    }

    pub(crate) fn corrupt(what: impl Into<String>) -> Self {
        SessionError::Corrupt { what: what.into() }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        SessionError::Io {
            path: path.into(),
            source,
        }
    }
}
