//! Downloading: aligned `upload.getFile` ranges from the file's DC, several in flight, handed
//! out in order.

use std::future::{Future, IntoFuture};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_util::stream::{self, BoxStream};
use futures_util::{StreamExt, TryStreamExt};
use tgwire_mtproto::Answer;
use tgwire_tl_types::{
    enums, functions, types, Deserializable, Identifiable, Reader, Serializable,
};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::parts::{Chunk, DownloadPlan, MAX_REQUEST_SIZE};
use super::transfer::Lanes;
use super::writeback::Writeback;
use super::{FileError, Progress};
use crate::{Chat, Client, InvocationError, Message, PeerQuery};

/// Where a file is: its raw location, its DC and (when known) its size.
#[derive(Clone, Debug)]
pub struct FileLocation {
    raw: enums::InputFileLocation,
    dc: Option<i32>,
    size: Option<u64>,
}

impl FileLocation {
    /// A location from the raw API. Without `dc`, the download starts at the home DC and
    /// follows `FILE_MIGRATE_X`; without `size`, it ends at the first short answer.
    pub fn new(raw: enums::InputFileLocation, dc: Option<i32>, size: Option<u64>) -> Self {
        FileLocation { raw, dc, size }
    }

    /// The whole document.
    pub fn of_document(document: &enums::Document) -> Option<Self> {
        let enums::Document::Document(doc) = document else {
            return None;
        };
        Some(FileLocation {
            raw: types::InputDocumentFileLocation {
                id: doc.id,
                access_hash: doc.access_hash,
                file_reference: doc.file_reference.clone(),
                thumb_size: String::new().into(),
            }
            .into(),
            dc: Some(doc.dc_id),
            size: u64::try_from(doc.size).ok(),
        })
    }

    /// A size of the photo: `size_type` names it (`"y"`, `"x"`, `"m"`, …), `None` picks the
    /// largest. Sizes whose bytes are inline (cached, stripped) have no location.
    pub fn of_photo(photo: &enums::Photo, size_type: Option<&str>) -> Option<Self> {
        let enums::Photo::Photo(photo) = photo else {
            return None;
        };
        let (kind, bytes) = choose_photo_size(&photo.sizes, size_type)?;
        Some(FileLocation {
            raw: types::InputPhotoFileLocation {
                id: photo.id,
                access_hash: photo.access_hash,
                file_reference: photo.file_reference.clone(),
                thumb_size: kind.into(),
            }
            .into(),
            dc: Some(photo.dc_id),
            size: Some(bytes),
        })
    }

    /// The raw location.
    pub fn raw(&self) -> &enums::InputFileLocation {
        &self.raw
    }

    /// The DC holding the file, when known.
    pub fn dc(&self) -> Option<i32> {
        self.dc
    }

    /// The file's size, when known.
    pub fn size(&self) -> Option<u64> {
        self.size
    }
}

/// The bytes of an inline photo size (`photoStrippedSize` inflated to a JPEG,
/// `photoCachedSize` as is), if `wanted` names one.
fn inline_photo_size(photo: &enums::Photo, wanted: &str) -> Option<Vec<u8>> {
    let enums::Photo::Photo(photo) = photo else {
        return None;
    };
    photo.sizes.iter().find_map(|size| match size {
        enums::PhotoSize::PhotoStrippedSize(s) if s.r#type == wanted => {
            Some(super::stripped::stripped_to_jpeg(&s.bytes))
        }
        enums::PhotoSize::PhotoCachedSize(s) if s.r#type == wanted => Some(s.bytes.to_vec()),
        _ => None,
    })
}

/// A contact as the vCard 4.0 text Telethon writes for it (`;` removed from the names).
fn vcard(contact: &types::MessageMediaContact) -> Vec<u8> {
    let first = contact.first_name.replace(';', "");
    let last = contact.last_name.replace(';', "");
    format!(
        "BEGIN:VCARD\nVERSION:4.0\nN:{first};{last};;;\nFN:{first} {last}\n\
         TEL;TYPE=cell;VALUE=uri:tel:+{}\nEND:VCARD\n",
        contact.phone_number
    )
    .into_bytes()
}

/// The downloadable photo sizes (`photoSize`, `photoSizeProgressive`) as (type, bytes): the one
/// named, or the largest.
fn choose_photo_size<'s>(
    sizes: &'s [enums::PhotoSize],
    wanted: Option<&str>,
) -> Option<(&'s str, u64)> {
    let downloadable = sizes.iter().filter_map(|size| match size {
        enums::PhotoSize::PhotoSize(s) => Some((s.r#type.as_str(), s.size)),
        enums::PhotoSize::Progressive(s) => Some((
            s.r#type.as_str(),
            s.sizes.iter().copied().max().unwrap_or(0),
        )),
        _ => None,
    });
    let (kind, bytes) = match wanted {
        Some(wanted) => downloadable.into_iter().find(|(kind, _)| *kind == wanted)?,
        None => downloadable.max_by_key(|(_, bytes)| *bytes)?,
    };
    Some((kind, u64::try_from(bytes).unwrap_or(0)))
}

/// Something [`Client::download_media`] can fetch: a message's media, a photo, a document or
/// a raw location. A contact gives its vCard text; a photo's stripped size (`"i"`) is
/// inflated to a JPEG without any request.
#[derive(Clone, Debug)]
pub struct Downloadable(What, Option<Origin>);

/// Where a file reference can be fetched again when it expires.
#[derive(Clone, Debug)]
struct Origin {
    chat_id: i64,
    message_id: i32,
}

#[derive(Clone, Debug)]
enum What {
    Photo(enums::Photo),
    Document(enums::Document),
    Location(FileLocation),
    /// Bytes at hand (a contact's vCard).
    Inline(Vec<u8>),
    /// The current photo of a user, group or channel (big or small), found when the
    /// download starts.
    ProfilePhoto(PeerQuery, bool),
    Nothing(&'static str),
}

/// Where the bytes of a [`Downloadable`] come from.
#[derive(Debug)]
enum Located {
    Remote(FileLocation),
    Inline(Vec<u8>),
}

impl From<&enums::MessageMedia> for Downloadable {
    fn from(media: &enums::MessageMedia) -> Self {
        let what = match media {
            enums::MessageMedia::Photo(m) => match &m.photo {
                Some(photo) => What::Photo(photo.clone()),
                None => What::Nothing("the photo is gone"),
            },
            enums::MessageMedia::Document(m) => match &m.document {
                Some(document) => What::Document(document.clone()),
                None => What::Nothing("the document is gone"),
            },
            enums::MessageMedia::Contact(contact) => What::Inline(vcard(contact)),
            _ => What::Nothing("the media is neither a photo, a document nor a contact"),
        };
        Downloadable(what, None)
    }
}

impl From<&Message> for Downloadable {
    fn from(message: &Message) -> Self {
        let origin = message.chat_id().map(|chat_id| Origin {
            chat_id,
            message_id: message.id(),
        });
        match message.raw() {
            enums::Message::Message(m) => match &m.media {
                Some(media) => Downloadable(Downloadable::from(media).0, origin),
                None => Downloadable(What::Nothing("the message has no media"), None),
            },
            _ => Downloadable(What::Nothing("the message has no media"), None),
        }
    }
}

impl From<&enums::Photo> for Downloadable {
    fn from(photo: &enums::Photo) -> Self {
        Downloadable(What::Photo(photo.clone()), None)
    }
}

impl From<&enums::Document> for Downloadable {
    fn from(document: &enums::Document) -> Self {
        Downloadable(What::Document(document.clone()), None)
    }
}

impl From<FileLocation> for Downloadable {
    fn from(location: FileLocation) -> Self {
        Downloadable(What::Location(location), None)
    }
}

impl Downloadable {
    /// How to get a fresh file reference for photo size `size_type`, if the origin is known.
    fn refresh(&self, size_type: Option<String>) -> Option<Refresh> {
        self.1.clone().map(|origin| Refresh { origin, size_type })
    }

    /// Where the bytes are, for photo size `size_type` (`None`: the largest).
    fn locate(&self, size_type: Option<&str>) -> Result<Located, FileError> {
        match &self.0 {
            What::Photo(photo) => {
                if let Some(bytes) = size_type.and_then(|kind| inline_photo_size(photo, kind)) {
                    return Ok(Located::Inline(bytes));
                }
                FileLocation::of_photo(photo, size_type)
                    .map(Located::Remote)
                    .ok_or(FileError::NoMedia("the photo has no such size"))
            }
            What::Document(document) => FileLocation::of_document(document)
                .map(Located::Remote)
                .ok_or(FileError::NoMedia("empty document")),
            What::Location(location) => Ok(Located::Remote(location.clone())),
            What::Inline(bytes) => Ok(Located::Inline(bytes.clone())),
            What::ProfilePhoto(..) => Err(FileError::NoMedia("the profile photo is not found yet")),
            What::Nothing(why) => Err(FileError::NoMedia(why)),
        }
    }
}

/// The current photo of `chat` (its id and DC, from the user's or chat's object): the big
/// (640×640) or small (160×160) version, or for `size_type` `"i"` the stripped thumbnail the
/// object carries inline, inflated to a JPEG without a request.
async fn profile_photo(
    client: &Client,
    chat: PeerQuery,
    big: bool,
    size_type: Option<&str>,
) -> Result<Downloadable, FileError> {
    let chat = client.get_chat(chat).await?;
    let photo = match &chat {
        Chat::User(user) => match user.raw() {
            enums::User::User(user) => match &user.photo {
                Some(enums::UserProfilePhoto::UserProfilePhoto(p)) => Some((
                    p.photo_id,
                    p.dc_id,
                    p.stripped_thumb.as_deref().map(<[u8]>::to_vec),
                )),
                _ => None,
            },
            enums::User::Empty(_) => None,
        },
        Chat::Group(group) => chat_photo(group.raw()),
        Chat::Channel(channel) => chat_photo(channel.raw()),
    };
    let (Some((photo_id, dc, stripped)), Some(peer)) = (photo, chat.peer_ref()) else {
        return Err(FileError::NoMedia("no profile photo"));
    };
    if size_type == Some("i") {
        let stripped = stripped.ok_or(FileError::NoMedia("no stripped thumbnail"))?;
        let jpeg = super::stripped::stripped_to_jpeg(&stripped);
        return Ok(Downloadable(What::Inline(jpeg), None));
    }
    let raw = types::InputPeerPhotoFileLocation {
        big,
        peer: crate::input_peer(peer),
        photo_id,
    };
    Ok(FileLocation::new(raw.into(), Some(dc), None).into())
}

/// A group's or channel's current photo (id, DC, stripped thumbnail).
fn chat_photo(raw: &enums::Chat) -> Option<(i64, i32, Option<Vec<u8>>)> {
    let photo = match raw {
        enums::Chat::Chat(chat) => &chat.photo,
        enums::Chat::Channel(channel) => &channel.photo,
        _ => return None,
    };
    match photo {
        enums::ChatPhoto::ChatPhoto(p) => Some((
            p.photo_id,
            p.dc_id,
            p.stripped_thumb.as_deref().map(<[u8]>::to_vec),
        )),
        enums::ChatPhoto::Empty => None,
    }
}

/// Where [`Client::download_media`] writes: a path (created or truncated; removed again if the
/// download fails) or any writer.
pub enum DownloadTarget<'a> {
    /// A file.
    Path(PathBuf),
    /// A writer (a file you opened, a `Vec<u8>`, a socket, …).
    Writer(Box<dyn AsyncWrite + Send + Unpin + 'a>),
}

impl std::fmt::Debug for DownloadTarget<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DownloadTarget::Path(path) => f.debug_tuple("Path").field(path).finish(),
            DownloadTarget::Writer(_) => f.write_str("Writer"),
        }
    }
}

impl<'a> DownloadTarget<'a> {
    /// Writes into `writer`.
    pub fn writer(writer: impl AsyncWrite + Send + Unpin + 'a) -> Self {
        DownloadTarget::Writer(Box::new(writer))
    }
}

impl From<&Path> for DownloadTarget<'_> {
    fn from(path: &Path) -> Self {
        DownloadTarget::Path(path.to_owned())
    }
}

impl From<PathBuf> for DownloadTarget<'_> {
    fn from(path: PathBuf) -> Self {
        DownloadTarget::Path(path)
    }
}

impl From<&PathBuf> for DownloadTarget<'_> {
    fn from(path: &PathBuf) -> Self {
        DownloadTarget::Path(path.clone())
    }
}

impl From<&str> for DownloadTarget<'_> {
    fn from(path: &str) -> Self {
        DownloadTarget::Path(path.into())
    }
}

impl<'a> From<&'a mut Vec<u8>> for DownloadTarget<'a> {
    fn from(buffer: &'a mut Vec<u8>) -> Self {
        DownloadTarget::Writer(Box::new(buffer))
    }
}

/// How a download is cut and spread.
#[derive(Clone, Copy, Debug)]
struct Tuning {
    request_size: usize,
    parallelism: usize,
    connections: usize,
}

/// Download requests in flight by default.
///
/// Many, over one connection: the server then has several answers of one session to seal
/// at once and the client several packets to open at once, and both run up to four AES-IGE
/// chains (with their SHA-256s) side by side. Measured with compare/e2e's 256 MiB download
/// to disk (tgwire only, `chrt -r 1`, 3 rounds each, load 11-14): 16 in flight over one
/// connection 414-511 MiB/s, peak RSS 41-47 MiB; 4 over 4 (the old default) 306-362 MiB/s,
/// 31 MiB; 16 over 2 427-472 MiB/s but 55-64 MiB; 8 over 1 341-398; 24 over 1 431-463.
const DOWNLOAD_PARALLELISM: usize = 16;

/// Connections a download spreads its requests over by default (see
/// [`DOWNLOAD_PARALLELISM`]).
const DOWNLOAD_CONNECTIONS: usize = 1;

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            request_size: MAX_REQUEST_SIZE,
            parallelism: DOWNLOAD_PARALLELISM,
            connections: DOWNLOAD_CONNECTIONS,
        }
    }
}

/// The setters of a download's [`Tuning`], the same on [`Download`] and [`DownloadIter`].
macro_rules! tuning_setters {
    () => {
        /// Bytes per request: a multiple of 4 KiB dividing 1 MiB (default 1 MiB).
        pub fn request_size(mut self, bytes: usize) -> Self {
            self.tuning.request_size = bytes;
            self
        }

        /// How many requests are in flight at once (default 16; at least 1). At most this
        /// many requests' bytes are held in memory.
        pub fn parallelism(mut self, requests: usize) -> Self {
            self.tuning.parallelism = requests.max(1);
            self
        }

        /// Over how many connections to the file's DC requests are spread (default 1; at
        /// least 1). With PFS on they share the DC's temporary key.
        pub fn connections(mut self, connections: usize) -> Self {
            self.tuning.connections = connections.max(1);
            self
        }
    };
}

/// A download to a path or writer being configured; `.await` it to run it (it answers the
/// number of bytes written). Made by [`Client::download_media`] and
/// [`Client::download_file`]. Dropping the future cancels it.
#[must_use = "a download does nothing until awaited"]
pub struct Download<'a> {
    client: &'a Client,
    what: Downloadable,
    to: DownloadTarget<'a>,
    size_type: Option<String>,
    tuning: Tuning,
    progress: Option<Progress>,
}

impl std::fmt::Debug for Download<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("what", &self.what)
            .field("to", &self.to)
            .field("size_type", &self.size_type)
            .finish_non_exhaustive()
    }
}

impl<'a> Download<'a> {
    /// For photos: the size to fetch by its type letter (`"s"`, `"m"`, `"x"`, `"y"`, …);
    /// default the largest. The stripped thumbnail (`"i"`) is inflated to a JPEG from the
    /// bytes the photo carries, without a request; for profile photos of users, groups and
    /// channels, from the bytes their object carries.
    pub fn photo_size(mut self, size_type: impl Into<String>) -> Self {
        self.size_type = Some(size_type.into());
        self
    }

    /// For profile photos ([`Client::download_profile_photo`]): the small (160×160) version.
    pub fn small(mut self) -> Self {
        if let What::ProfilePhoto(_, big) = &mut self.what.0 {
            *big = false;
        }
        self
    }

    tuning_setters!();

    /// Calls `progress(bytes_written, total)` after every chunk (total 0 when unknown).
    pub fn progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    async fn run(self) -> Result<u64, FileError> {
        let what = match self.what.0 {
            What::ProfilePhoto(ref query, big) => {
                profile_photo(self.client, query.clone(), big, self.size_type.as_deref()).await?
            }
            _ => self.what.clone(),
        };
        let located = what.locate(self.size_type.as_deref())?;
        let total = match &located {
            Located::Remote(location) => location.size.unwrap_or(0),
            Located::Inline(bytes) => bytes.len() as u64,
        };
        let refresh = what.refresh(self.size_type);
        let mut chunks = DownloadIter::new(self.client, Ok(located), refresh).tuned(self.tuning);
        match self.to {
            DownloadTarget::Writer(mut writer) => {
                write_all(&mut chunks, &mut writer, self.progress.as_ref(), total).await
            }
            DownloadTarget::Path(path) => {
                let file = tokio::fs::File::create(&path).await?.into_std().await;
                let written = write_file(&mut chunks, file, self.progress.as_ref(), total).await;
                if written.is_err() {
                    if let Err(error) = tokio::fs::remove_file(&path).await {
                        log::warn!(
                            "cannot remove {} after a failed download: {error}",
                            path.display()
                        );
                    }
                }
                written
            }
        }
    }
}

async fn write_all<W: AsyncWrite + Unpin + ?Sized>(
    chunks: &mut DownloadIter,
    writer: &mut W,
    progress: Option<&Progress>,
    total: u64,
) -> Result<u64, FileError> {
    let mut written = 0u64;
    while let Some(chunk) = chunks.next_chunk().await? {
        writer.write_all(chunk.bytes()).await?;
        written += chunk.len() as u64;
        if let Some(progress) = progress {
            progress(written, total);
        }
    }
    writer.flush().await?;
    Ok(written)
}

/// Writes the chunks to `file`, each from the buffer it arrived in, on tokio's blocking pool
/// while the next chunks are fetched: one write in flight, no copy into a write buffer. The
/// file is written back to disk as it goes rather than left in the page cache
/// ([`Writeback`]).
async fn write_file(
    chunks: &mut DownloadIter,
    file: std::fs::File,
    progress: Option<&Progress>,
    total: u64,
) -> Result<u64, FileError> {
    type File = (std::fs::File, Writeback);
    type Job = tokio::task::JoinHandle<(File, std::io::Result<u64>)>;
    let write = |(mut file, mut writeback): File, chunk: Chunk| -> Job {
        tokio::task::spawn_blocking(move || {
            use std::io::Write as _;
            let result = file.write_all(chunk.bytes()).map(|()| chunk.len() as u64);
            if let Ok(n) = result {
                writeback.advise(&file, n);
            }
            ((file, writeback), result)
        })
    };
    // Waits for the write in flight; gives the file back with the bytes it wrote.
    async fn finish(job: Job) -> Result<(File, u64), FileError> {
        let (file, result) = job.await.map_err(std::io::Error::other)?;
        Ok((file, result?))
    }
    let mut written = 0u64;
    let mut idle = Some((file, Writeback::default()));
    let mut pending: Option<Job> = None;
    loop {
        let next = chunks.next_chunk().await;
        let file = match (pending.take(), idle.take()) {
            (Some(job), _) => {
                let (file, n) = finish(job).await?;
                written += n;
                if let Some(progress) = progress {
                    progress(written, total);
                }
                file
            }
            (None, Some(file)) => file,
            // Unreachable: the file is either idle or being written.
            (None, None) => return Err(std::io::Error::other("lost the file").into()),
        };
        match next? {
            Some(chunk) => pending = Some(write(file, chunk)),
            None => break,
        }
    }
    Ok(written)
}

impl<'a> IntoFuture for Download<'a> {
    type Output = Result<u64, FileError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// The bytes of a file as a [`Stream`] of chunks, in order, fetched a few requests ahead.
/// Made by [`Client::iter_download`].
///
/// Chunks are the answers to aligned requests of [`request_size`](Self::request_size) bytes,
/// trimmed to the wanted range; the range is set with [`offset`](Self::offset) and
/// [`limit`](Self::limit) before the first poll.
#[must_use = "streams do nothing unless polled"]
pub struct DownloadIter {
    client: Client,
    location: Result<Located, FileError>,
    refresh: Option<Refresh>,
    offset: u64,
    limit: Option<u64>,
    tuning: Tuning,
    inner: Option<BoxStream<'static, Result<Chunk, FileError>>>,
}

impl std::fmt::Debug for DownloadIter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DownloadIter")
            .field("location", &self.location)
            .field("offset", &self.offset)
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

impl DownloadIter {
    fn new(
        client: &Client,
        location: Result<Located, FileError>,
        refresh: Option<Refresh>,
    ) -> Self {
        DownloadIter {
            client: client.clone(),
            location,
            refresh,
            offset: 0,
            limit: None,
            tuning: Tuning::default(),
            inner: None,
        }
    }

    fn tuned(mut self, tuning: Tuning) -> Self {
        self.tuning = tuning;
        self
    }

    /// Starts at byte `offset` (any offset: the first request is aligned below it).
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// Stops after `limit` bytes.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    tuning_setters!();

    fn start(&mut self) -> BoxStream<'static, Result<Chunk, FileError>> {
        let location = match std::mem::replace(
            &mut self.location,
            Err(FileError::NoMedia("the download already started")),
        ) {
            Ok(Located::Remote(location)) => location,
            Ok(Located::Inline(bytes)) => {
                let start = usize::try_from(self.offset)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                let end = self.limit.map_or(bytes.len(), |limit| {
                    start.saturating_add(usize::try_from(limit).unwrap_or(usize::MAX))
                });
                let chunk = Chunk::within(bytes, start..end);
                return stream::iter((chunk.len() > 0).then_some(Ok(chunk))).boxed();
            }
            Err(error) => return stream::once(async { Err(error) }).boxed(),
        };
        let plan = match DownloadPlan::new(
            self.offset,
            self.limit,
            location.size,
            self.tuning.request_size,
        ) {
            Ok(plan) => plan,
            Err(error) => return stream::once(async { Err(error) }).boxed(),
        };
        let dc = location.dc.unwrap_or_else(|| self.client.home_dc());
        let lanes = Arc::new(Lanes::new(&self.client, dc, self.tuning.connections));
        let current = Arc::new(Current {
            client: self.client.clone(),
            location: tokio::sync::Mutex::new((0, location)),
            refresh: self.refresh.take(),
            cdn: Default::default(),
        });
        let request_size = plan.request_size;
        stream::iter(plan.offsets().enumerate())
            .map(move |(index, offset)| {
                let (lanes, current) = (Arc::clone(&lanes), Arc::clone(&current));
                async move {
                    let bytes = fetch(&lanes, index, &current, offset, request_size).await?;
                    Ok::<_, FileError>((offset, bytes))
                }
            })
            .buffered(self.tuning.parallelism)
            // The first short answer is the file's end: stop there (requests made beyond it
            // are dropped unanswered).
            .scan(false, move |ended, item| {
                let next = match item {
                    _ if *ended => None,
                    Ok((offset, chunk)) => {
                        *ended = chunk.len() < request_size;
                        Some(Ok(plan.trim(offset, chunk)))
                    }
                    Err(error) => {
                        *ended = true;
                        Some(Err(error))
                    }
                };
                std::future::ready(next)
            })
            .try_filter(|chunk| std::future::ready(chunk.len() > 0))
            .boxed()
    }

    fn poll_chunk(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Chunk, FileError>>> {
        if self.inner.is_none() {
            let inner = self.start();
            self.inner = Some(inner);
        }
        match self.inner.as_mut() {
            Some(inner) => inner.poll_next_unpin(cx),
            None => Poll::Ready(None),
        }
    }

    /// The next chunk, in the buffer it arrived in.
    async fn next_chunk(&mut self) -> Result<Option<Chunk>, FileError> {
        std::future::poll_fn(|cx| self.poll_chunk(cx))
            .await
            .transpose()
    }
}

impl Stream for DownloadIter {
    type Item = Result<Vec<u8>, FileError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_chunk(cx)
            .map(|next| next.map(|chunk| chunk.map(Chunk::into_vec)))
    }
}

/// How to fetch a file reference again: the message it came from, and the photo size.
#[derive(Clone, Debug)]
struct Refresh {
    origin: Origin,
    size_type: Option<String>,
}

/// How often one request fetches a fresh file reference before giving up.
const MAX_REFRESHES: u32 = 3;

/// The location a download uses now: replaced (and its generation counted up) when the file
/// reference expires, once for all the requests that saw the old one.
struct Current {
    client: Client,
    location: tokio::sync::Mutex<(u32, FileLocation)>,
    refresh: Option<Refresh>,
    /// Where the download continues after a CDN redirect.
    cdn: super::cdn::CdnSlot,
}

impl Current {
    /// Replaces location generation `seen` with one carrying a fresh file reference (unless
    /// another request already did).
    async fn renew(&self, seen: u32) -> Result<(), FileError> {
        let Some(refresh) = &self.refresh else {
            return Ok(());
        };
        let mut current = self.location.lock().await;
        if current.0 != seen {
            return Ok(());
        }
        let origin = &refresh.origin;
        log::info!(
            "file reference expired: fetching message {} of {} again",
            origin.message_id,
            origin.chat_id
        );
        let message = self
            .client
            .get_messages(origin.chat_id, &[origin.message_id])
            .await?
            .pop()
            .flatten()
            .ok_or(FileError::NoMedia("the message is gone"))?;
        let Located::Remote(fresh) =
            Downloadable::from(&message).locate(refresh.size_type.as_deref())?
        else {
            return Err(FileError::NoMedia("the message's media changed"));
        };
        *current = (seen + 1, fresh);
        Ok(())
    }
}

/// One `upload.getFile` of `limit` bytes at `offset`; an expired file reference is fetched
/// again from its origin and the request repeated.
async fn fetch(
    lanes: &Lanes,
    index: usize,
    current: &Current,
    offset: u64,
    limit: usize,
) -> Result<Chunk, FileError> {
    // A redirect is followed once; a server that redirects a request sent without
    // `cdn_supported` (after the CDN refused the file) is misbehaving.
    for _ in 0..3 {
        // After a CDN redirect the download goes on at the CDN DC.
        if let Some(bytes) = current
            .cdn
            .fetch(&current.client, lanes, index, offset, limit)
            .await?
        {
            return Ok(Chunk::whole(bytes));
        }
        match get_file(lanes, index, current, offset, limit).await? {
            Fetched::Bytes(chunk) => return Ok(chunk),
            Fetched::Redirect(redirect) => current.cdn.redirected(redirect)?,
        }
    }
    Err(InvocationError::UnexpectedAnswer("a CDN redirect after the CDN refused the file").into())
}

/// What `upload.getFile` answered.
enum Fetched {
    Bytes(Chunk),
    Redirect(types::upload::FileCdnRedirect),
}

/// Reads an `upload.File` answer, leaving an `upload.file`'s bytes in the answer's buffer.
fn read_file_answer(answer: Answer) -> Result<Fetched, tgwire_tl_types::DeserializeError> {
    let (answer, at) = answer.into_parts();
    let mut r = Reader::new(&answer[at..]);
    if r.peek_u32()? != types::upload::File::CONSTRUCTOR_ID {
        return Ok(match enums::upload::File::from_bytes(&answer[at..])? {
            enums::upload::File::File(file) => Fetched::Bytes(Chunk::whole(file.bytes.into_vec())),
            enums::upload::File::CdnRedirect(redirect) => Fetched::Redirect(*redirect),
        });
    }
    r.read_u32()?;
    enums::storage::FileType::deserialize(&mut r)?;
    r.read_i32()?; // mtime
    let bytes = r.read_tl_bytes()?;
    if r.remaining() != 0 {
        return Err(tgwire_tl_types::DeserializeError::TrailingBytes {
            count: r.remaining(),
        });
    }
    // Where the bytes start: `bytes` borrows from `answer`.
    let start = bytes.as_ptr() as usize - answer.as_ptr() as usize;
    let range = start..start + bytes.len();
    Ok(Fetched::Bytes(Chunk::within(answer, range)))
}

/// `upload.getFile` (accepting a CDN redirect unless the CDN refused this file).
async fn get_file(
    lanes: &Lanes,
    index: usize,
    current: &Current,
    offset: u64,
    limit: usize,
) -> Result<Fetched, FileError> {
    let mut refreshes = 0;
    let answer = loop {
        let (generation, location) = {
            let current = current.location.lock().await;
            (current.0, current.1.raw.clone())
        };
        let body = functions::upload::GetFile {
            precise: false,
            cdn_supported: current.cdn.supported(),
            location,
            offset: offset as i64,
            limit: limit as i32,
        }
        .to_bytes();
        match lanes.call(index, &body).await {
            Err(InvocationError::Rpc(error))
                if error.is("FILE_REFERENCE_EXPIRED")
                    && current.refresh.is_some()
                    && refreshes < MAX_REFRESHES =>
            {
                refreshes += 1;
                current.renew(generation).await?;
            }
            answer => break answer?,
        }
    };
    Ok(read_file_answer(answer).map_err(InvocationError::from)?)
}

impl Client {
    /// Downloads a message's photo or document (or a photo, document or location) to a path
    /// or writer; `.await` answers the number of bytes written.
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client, message: tgwire::Message) -> Result<(), tgwire::FileError> {
    /// let bytes = client.download_media(&message, "photo.jpg").await?;
    /// let mut buffer = Vec::new();
    /// client.download_media(&message, &mut buffer).photo_size("m").await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// When awaited: [`FileError::NoMedia`], [`FileError::Io`], request errors after the
    /// retries a transfer makes.
    pub fn download_media<'a>(
        &'a self,
        media: impl Into<Downloadable>,
        to: impl Into<DownloadTarget<'a>>,
    ) -> Download<'a> {
        Download {
            client: self,
            what: media.into(),
            to: to.into(),
            size_type: None,
            tuning: Tuning::default(),
            progress: None,
        }
    }

    /// Downloads the current profile photo of a user, group or channel (the big 640×640
    /// version; `.small()` for 160×160) to a path or writer; `.await` answers the number of
    /// bytes written. The photo is looked up when the download starts.
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client) -> Result<(), tgwire::FileError> {
    /// client.download_profile_photo("@durov", "durov.jpg").await?;
    /// client.download_profile_photo("me", "me-small.jpg").small().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// When awaited: [`FileError::NoMedia`] when there is no photo, the errors of
    /// [`get_chat`](Self::get_chat), and those of [`download_media`](Self::download_media).
    pub fn download_profile_photo<'a>(
        &'a self,
        chat: impl Into<PeerQuery>,
        to: impl Into<DownloadTarget<'a>>,
    ) -> Download<'a> {
        self.download_media(
            Downloadable(What::ProfilePhoto(chat.into(), true), None),
            to,
        )
    }

    /// Downloads the file at `location` to a path or writer.
    ///
    /// # Errors
    ///
    /// As [`download_media`](Self::download_media).
    pub fn download_file<'a>(
        &'a self,
        location: FileLocation,
        to: impl Into<DownloadTarget<'a>>,
    ) -> Download<'a> {
        self.download_media(location, to)
    }

    /// The bytes of a message's media (or a photo, document or location) as a stream of
    /// chunks; photos give their largest size.
    ///
    /// ```no_run
    /// # async fn f(client: tgwire::Client, message: tgwire::Message) -> Result<(), tgwire::FileError> {
    /// use futures_util::TryStreamExt;
    /// let mut chunks = client.iter_download(&message).offset(4096).limit(65_536);
    /// while let Some(chunk) = chunks.try_next().await? {
    ///     println!("{} bytes", chunk.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn iter_download(&self, media: impl Into<Downloadable>) -> DownloadIter {
        let media = media.into();
        DownloadIter::new(self, media.locate(None), media.refresh(None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes() -> Vec<enums::PhotoSize> {
        vec![
            types::PhotoStrippedSize {
                r#type: "i".into(),
                bytes: vec![1, 2, 3].into(),
            }
            .into(),
            types::PhotoSize {
                r#type: "m".into(),
                w: 320,
                h: 240,
                size: 20_000,
            }
            .into(),
            types::PhotoSizeProgressive {
                r#type: "y".into(),
                w: 1280,
                h: 960,
                sizes: vec![10_000, 90_000, 150_000],
            }
            .into(),
            types::PhotoSize {
                r#type: "x".into(),
                w: 800,
                h: 600,
                size: 80_000,
            }
            .into(),
        ]
    }

    /// An `upload.file` answer is read in place and gives exactly what decoding it would; a
    /// redirect and malformed answers go through the generated decoder.
    #[test]
    fn file_answers_are_read_in_place() {
        for len in [0usize, 1, 253, 254, 255, 4096, 70_001] {
            let data: Vec<u8> = (0..len).map(|i| (i * 13 + 5) as u8).collect();
            let answer = types::upload::File {
                r#type: enums::storage::FileType::FilePartial,
                mtime: 77,
                bytes: data.clone().into(),
            }
            .to_bytes();
            let Ok(Fetched::Bytes(chunk)) = read_file_answer(answer.clone().into()) else {
                panic!("{len} bytes not read");
            };
            assert_eq!(chunk.bytes(), &data[..], "{len}");
            // The same answer left after a packet's header in its buffer (as a large one is).
            let mut in_packet = vec![0xee; 44];
            in_packet.extend_from_slice(&answer);
            let Ok(Fetched::Bytes(chunk)) = read_file_answer(Answer::new(in_packet, 44)) else {
                panic!("{len} bytes not read at an offset");
            };
            assert_eq!(chunk.bytes(), &data[..], "{len} at an offset");
            let mut trailing = answer.clone();
            trailing.extend_from_slice(&[0; 4]);
            assert!(read_file_answer(trailing.into()).is_err());
            assert!(read_file_answer(answer[..answer.len() - 1].to_vec().into()).is_err());
        }
        let redirect = types::upload::FileCdnRedirect {
            dc_id: 203,
            file_token: vec![1, 2, 3].into(),
            encryption_key: vec![4; 32].into(),
            encryption_iv: vec![5; 16].into(),
            file_hashes: Vec::new(),
        };
        let answer = enums::upload::File::from(redirect).to_bytes();
        assert!(matches!(
            read_file_answer(answer.into()),
            Ok(Fetched::Redirect(r)) if r.dc_id == 203
        ));
        assert!(read_file_answer(vec![1, 2].into()).is_err());
    }

    #[test]
    fn photos_give_their_largest_or_the_named_size() {
        let sizes = sizes();
        assert_eq!(choose_photo_size(&sizes, None), Some(("y", 150_000)));
        assert_eq!(choose_photo_size(&sizes, Some("m")), Some(("m", 20_000)));
        // Inline sizes have no location to download from.
        assert_eq!(choose_photo_size(&sizes, Some("i")), None);
        assert_eq!(choose_photo_size(&sizes, Some("w")), None);
        assert_eq!(choose_photo_size(&[], None), None);
    }
}
