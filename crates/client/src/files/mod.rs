//! Files and media: parallel uploads and downloads, sending files and albums.
//!
//! Uploads cut a file into parts of up to 512 KiB ([`Client::upload_file`],
//! [`Client::upload_bytes`], [`Client::upload_stream`]) and keep several parts in flight over
//! several connections to the home DC; a part that fails is sent again on its own. The
//! [`UploadedFile`] can be sent as a photo or document with [`InputMedia`] and
//! [`Client::send_file`] / [`Client::send_album`].
//!
//! Downloads ([`Client::download_media`], [`Client::download_file`], [`Client::iter_download`])
//! ask the file's DC for aligned ranges, several at a time, and hand them out in order: memory
//! stays at a few requests' worth whatever the file's size, and a download to disk streams.
//!
//! ```text
//!  source ─read part─▶ ┌ part 0 ─▶ connection 0 ┐
//!  (path, bytes,       │ part 1 ─▶ connection 1 │─▶ home DC   (≤ `parallelism` parts in flight)
//!   AsyncRead)         └ part 2 ─▶ connection 2 ┘
//!
//!  file's DC ─getFile(offset, limit)─▶ in-order buffer ─▶ file / writer / Stream of chunks
//! ```
//!
//! A download of a message's media that meets `FILE_REFERENCE_EXPIRED` fetches the message
//! again for a fresh reference and goes on where it was (chunks already handed out stay
//! valid). `FILE_MIGRATE_X` moves the rest of a transfer to DC X, with the authorization
//! copied there.
//!
//! Downloads accept CDN redirects (`cdn.rs`): the rest of such a download comes from the CDN
//! DC, decrypted and checked part by part against SHA-256 hashes from the file's DC.
//! Bot API file ids are packed and unpacked by [`FileId`] (`file_id.rs`).
//!
//! Photos come in sizes: the largest is downloaded unless one is named
//! ([`Download::photo_size`]); the stripped thumbnail (`"i"`) is inflated to a JPEG from the
//! bytes the photo carries ([`stripped_to_jpeg`]). [`Client::download_profile_photo`] fetches
//! the current photo of a user, group or channel; a contact downloads as its vCard.

pub(crate) mod cdn;
mod download;
mod file_id;
mod parts;
mod send;
mod stripped;
mod transfer;
mod upload;
mod writeback;

use std::sync::Arc;

pub use download::{Download, DownloadIter, DownloadTarget, Downloadable, FileLocation};
pub use file_id::{FileId, FileIdError, FileIdLocation, FileType, PhotoSource};
pub use send::InputMedia;
pub use stripped::stripped_to_jpeg;
pub use upload::{Upload, UploadedFile};

use crate::InvocationError;

/// How many requests of one transfer are in flight at once, by default.
pub(crate) const DEFAULT_PARALLELISM: usize = 4;

/// A progress callback: bytes done so far and the total (0 when the total is unknown).
pub(crate) type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// Why an upload, download or file send failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// A request failed (after the retries a transfer makes on its own).
    #[error(transparent)]
    Invocation(#[from] InvocationError),
    /// Reading the source or writing the destination failed.
    #[error("I/O failed: {0}")]
    Io(#[source] Arc<std::io::Error>),
    /// Telegram does not store empty files.
    #[error("the file is empty")]
    Empty,
    /// The file needs more parts than Telegram accepts.
    #[error("the file is too large ({size} bytes)")]
    TooLarge {
        /// Its size.
        size: u64,
    },
    /// The source ended before the size it was announced with.
    #[error("the source ended after {read} of {expected} bytes")]
    ShortRead {
        /// Bytes read.
        read: u64,
        /// Bytes announced.
        expected: u64,
    },
    /// There is nothing to download in this message or media (text, a contact, a poll, …).
    #[error("nothing to download: {0}")]
    NoMedia(&'static str),
    /// An argument cannot be used as given.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A part from a CDN DC does not match its SHA-256 from the file's own DC: the CDN (or
    /// the way to it) changed it. Nothing of that part was handed out or written.
    #[error("the CDN's part at offset {offset} fails its SHA-256 check")]
    CdnHashMismatch {
        /// Where the part starts in the file.
        offset: u64,
    },
    /// A CDN redirect cannot be followed (a CDN DC with no address or key, a malformed
    /// redirect, a CDN that keeps losing the file).
    #[error("cannot download from the CDN: {0}")]
    Cdn(String),
}

/// The files guide, `docs/files.md`, included so that `cargo test` compiles its examples.
#[cfg(doctest)]
#[doc = include_str!("../../../../docs/files.md")]
pub struct FilesGuide;

impl From<std::io::Error> for FileError {
    fn from(error: std::io::Error) -> Self {
        FileError::Io(Arc::new(error))
    }
}

impl FileError {
    /// The server's error, if that is what this is.
    pub fn rpc(&self) -> Option<&crate::RpcError> {
        match self {
            FileError::Invocation(error) => error.rpc(),
            _ => None,
        }
    }
}
