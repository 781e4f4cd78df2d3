//! What can go wrong starting the test server.

use std::net::SocketAddr;
use std::path::PathBuf;

/// An error from [`TestServer::start`](crate::TestServer::start).
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `Config::dc_count` was 0 or more than the id space allows.
    #[error("the number of DCs must be between 1 and {max}, not {count}")]
    DcCount {
        /// What was asked for.
        count: usize,
        /// The most DCs one server runs.
        max: usize,
    },
    /// `--port P` with N DCs needs ports P..P+N-1, which run past 65535.
    #[error("DC ports {first}..{first}+{count} run past 65535")]
    PortRange {
        /// The first DC's port.
        first: u16,
        /// How many DCs.
        count: usize,
    },
    /// A DC's (or the MTProxy's) port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The RSA private key is not a usable PKCS#1 PEM key.
    #[error("unusable RSA key: {0}")]
    RsaKey(#[from] tgwire_crypto::Error),
    /// The backend could not load its data file.
    #[error(transparent)]
    Backend(#[from] crate::backend::BackendError),
    /// The auth-key file next to the data file exists but cannot be used.
    #[error("auth-key file {path}: {reason}")]
    AuthKeyFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
}
