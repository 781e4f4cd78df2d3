//! Uploading: a source cut into parts, several parts in flight over several connections.

use std::future::{Future, IntoFuture};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{stream, TryStreamExt};
use md5::{Digest, Md5};
use tgwire_tl_types::{enums, functions, types, Deserializable, RemoteCall, Serializable};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::parts::{plan_upload, UploadPlan, MAX_PART_SIZE};
use super::transfer::Lanes;
use super::{FileError, Progress, DEFAULT_PARALLELISM};
use crate::{Client, InvocationError};

/// A file uploaded to Telegram, ready to be sent with [`InputMedia`](super::InputMedia), as
/// often as needed: Telegram turns the uploaded parts into a photo or document the first time,
/// and later sends (of this value or its clones) send that photo or document again.
#[derive(Clone, Debug)]
pub struct UploadedFile {
    raw: enums::InputFile,
    name: String,
    size: u64,
    /// What the first send made of it.
    sent: Arc<Mutex<Option<enums::MessageMedia>>>,
}

impl UploadedFile {
    /// The raw `inputFile` / `inputFileBig`, for raw API calls.
    pub fn raw(&self) -> &enums::InputFile {
        &self.raw
    }

    /// The file name Telegram was told.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The photo or document Telegram made of the file when it was first sent.
    pub(crate) fn sent_as(&self) -> Option<enums::MessageMedia> {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Remembers what Telegram made of the file (the first time only).
    pub(crate) fn remember(&self, media: &enums::MessageMedia) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if sent.is_none() {
            *sent = Some(media.clone());
        }
    }

    #[cfg(test)]
    pub(crate) fn for_tests(name: &str) -> Self {
        UploadedFile {
            raw: types::InputFile {
                id: 1,
                parts: 1,
                name: name.into(),
                md5_checksum: String::new().into(),
            }
            .into(),
            name: name.into(),
            size: 1,
            sent: Arc::default(),
        }
    }
}

enum Source<'a> {
    Path(PathBuf),
    Bytes(Vec<u8>),
    Reader(Box<dyn AsyncRead + Send + Unpin + 'a>, u64),
}

/// An upload being configured; `.await` it to run it. Made by [`Client::upload_file`],
/// [`Client::upload_bytes`] and [`Client::upload_stream`].
///
/// Dropping the future cancels the upload (parts already sent stay on the server until it
/// forgets them).
#[must_use = "an upload does nothing until awaited"]
pub struct Upload<'a> {
    client: &'a Client,
    source: Source<'a>,
    name: Option<String>,
    part_size: usize,
    parallelism: usize,
    connections: usize,
    progress: Option<Progress>,
}

impl std::fmt::Debug for Upload<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("name", &self.name)
            .field("part_size", &self.part_size)
            .field("parallelism", &self.parallelism)
            .field("connections", &self.connections)
            .finish_non_exhaustive()
    }
}

impl<'a> Upload<'a> {
    fn new(client: &'a Client, source: Source<'a>, name: Option<String>) -> Self {
        Upload {
            client,
            source,
            name,
            part_size: MAX_PART_SIZE,
            parallelism: DEFAULT_PARALLELISM,
            connections: DEFAULT_PARALLELISM,
            progress: None,
        }
    }

    /// The file name Telegram is told (default: the path's file name, or `file`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Bytes per part: a multiple of 1 KiB dividing 512 KiB (default 512 KiB, the fewest
    /// requests). Other values fail the upload with [`FileError::InvalidArgument`].
    pub fn part_size(mut self, bytes: usize) -> Self {
        self.part_size = bytes;
        self
    }

    /// How many parts are in flight at once (default 4; at least 1).
    pub fn parallelism(mut self, parts: usize) -> Self {
        self.parallelism = parts.max(1);
        self
    }

    /// Over how many connections to the home DC the parts are spread (default 4; at least 1).
    /// With PFS on they share the DC's temporary key.
    pub fn connections(mut self, connections: usize) -> Self {
        self.connections = connections.max(1);
        self
    }

    /// Calls `progress(bytes_sent, total)` after every part the server confirmed.
    pub fn progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    async fn run(self) -> Result<UploadedFile, FileError> {
        let (reader, size, default_name): (Box<dyn AsyncRead + Send + Unpin + 'a>, u64, String) =
            match self.source {
                Source::Path(path) => {
                    let file = tokio::fs::File::open(&path).await?;
                    let size = file.metadata().await?.len();
                    let name = path
                        .file_name()
                        .map(|name| name.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "file".into());
                    (Box::new(file), size, name)
                }
                Source::Bytes(bytes) => {
                    let size = bytes.len() as u64;
                    (Box::new(std::io::Cursor::new(bytes)), size, "file".into())
                }
                Source::Reader(reader, size) => (reader, size, "file".into()),
            };
        let name = self.name.unwrap_or(default_name);
        let plan = plan_upload(size, self.part_size)?;
        let file_id: i64 = rand::random();
        let lanes = Lanes::new(self.client, self.client.home_dc(), self.connections);
        // Small files carry their MD5 so the server can check what it assembled.
        let md5 = Arc::new(Mutex::new((!plan.big).then(Md5::new)));
        let parts = read_parts(reader, plan, size, Arc::clone(&md5));
        let sent = AtomicU64::new(0);
        let (lanes, sent, progress) = (&lanes, &sent, &self.progress);
        parts
            .map_ok(|(index, bytes)| async move {
                let len = bytes.len() as u64;
                send_part(lanes, file_id, plan, index, bytes).await?;
                let done = sent.fetch_add(len, Ordering::Relaxed) + len;
                if let Some(progress) = progress {
                    progress(done, size);
                }
                Ok::<_, FileError>(())
            })
            .try_buffer_unordered(self.parallelism)
            .try_collect::<()>()
            .await?;
        let raw = if plan.big {
            types::InputFileBig {
                id: file_id,
                parts: plan.parts as i32,
                name: name.clone().into(),
            }
            .into()
        } else {
            let digest = md5
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take()
                .map(|md5| hex(&md5.finalize()))
                .unwrap_or_default();
            types::InputFile {
                id: file_id,
                parts: plan.parts as i32,
                name: name.clone().into(),
                md5_checksum: digest.into(),
            }
            .into()
        };
        Ok(UploadedFile {
            raw,
            name,
            size,
            sent: Arc::default(),
        })
    }
}

impl<'a> IntoFuture for Upload<'a> {
    type Output = Result<UploadedFile, FileError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// The parts of `reader`, in order, read only as fast as they are sent (so that at most
/// `parallelism` parts are in memory).
fn read_parts<'a>(
    reader: Box<dyn AsyncRead + Send + Unpin + 'a>,
    plan: UploadPlan,
    size: u64,
    md5: Arc<Mutex<Option<Md5>>>,
) -> impl futures_util::Stream<Item = Result<(u32, Vec<u8>), FileError>> + Send + 'a {
    stream::try_unfold((reader, 0u32), move |(mut reader, index)| {
        let md5 = Arc::clone(&md5);
        async move {
            if index == plan.parts {
                return Ok(None);
            }
            let offset = u64::from(index) * plan.part_size as u64;
            let len = (size - offset).min(plan.part_size as u64) as usize;
            let mut bytes = vec![0; len];
            let mut read = 0;
            while read < len {
                match reader.read(&mut bytes[read..]).await? {
                    0 => {
                        return Err(FileError::ShortRead {
                            read: offset + read as u64,
                            expected: size,
                        })
                    }
                    n => read += n,
                }
            }
            if let Some(md5) = md5.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
                md5.update(&bytes);
            }
            Ok(Some(((index, bytes), (reader, index + 1))))
        }
    })
}

async fn send_part(
    lanes: &Lanes,
    file_id: i64,
    plan: UploadPlan,
    index: u32,
    bytes: Vec<u8>,
) -> Result<(), FileError> {
    let body = if plan.big {
        functions::upload::SaveBigFilePart {
            file_id,
            file_part: index as i32,
            file_total_parts: plan.parts as i32,
            bytes: bytes.into(),
        }
        .to_bytes()
    } else {
        functions::upload::SaveFilePart {
            file_id,
            file_part: index as i32,
            bytes: bytes.into(),
        }
        .to_bytes()
    };
    let answer = lanes.call(index as usize, &body).await?;
    let saved = <functions::upload::SaveFilePart as RemoteCall>::Return::from_bytes(&answer)
        .map_err(InvocationError::from)?;
    if !saved {
        return Err(
            InvocationError::UnexpectedAnswer("the server did not save a file part").into(),
        );
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Client {
    /// Uploads the file at `path` (named after it), ready to be sent with
    /// [`InputMedia`](super::InputMedia).
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client) -> Result<(), tgwire::FileError> {
    /// let file = client
    ///     .upload_file("holiday.mp4")
    ///     .progress(|sent, total| println!("{sent}/{total}"))
    ///     .await?;
    /// client.send_file("me", tgwire::InputMedia::document(file)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// When awaited: [`FileError::Io`] reading the file, [`FileError::Empty`],
    /// [`FileError::TooLarge`], and request errors a part still had after its retries.
    pub fn upload_file(&self, path: impl Into<PathBuf>) -> Upload<'_> {
        Upload::new(self, Source::Path(path.into()), None)
    }

    /// Uploads `bytes` as a file called `name`.
    ///
    /// # Errors
    ///
    /// As [`upload_file`](Self::upload_file).
    pub fn upload_bytes(&self, bytes: impl Into<Vec<u8>>, name: impl Into<String>) -> Upload<'_> {
        Upload::new(self, Source::Bytes(bytes.into()), Some(name.into()))
    }

    /// Uploads the first `size` bytes of `reader` as a file called `name` (Telegram needs the
    /// size before the first part).
    ///
    /// # Errors
    ///
    /// As [`upload_file`](Self::upload_file), and [`FileError::ShortRead`] when the reader
    /// ends early.
    pub fn upload_stream<'a>(
        &'a self,
        reader: impl AsyncRead + Send + Unpin + 'a,
        size: u64,
        name: impl Into<String>,
    ) -> Upload<'a> {
        Upload::new(
            self,
            Source::Reader(Box::new(reader), size),
            Some(name.into()),
        )
    }
}
