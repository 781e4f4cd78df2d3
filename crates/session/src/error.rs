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

    /// A value cannot be represented in the requested format (e.g. a DC id above 255 in Telethon's
    /// string format, which stores it in one byte).
    #[error("cannot represent in this format: {what}")]
    Unrepresentable {
        /// What does not fit.
        what: &'static str,
    },
}

impl SessionError {
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
