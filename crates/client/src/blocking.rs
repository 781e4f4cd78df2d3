//! A blocking client for scripts and programs that do not want async (feature `blocking`).
//!
//! [`Client`] owns a small tokio runtime (two worker threads) and the async [`crate::Client`]
//! running on it. Each method blocks the calling thread until the async method it wraps is
//! done, while the runtime keeps the connections, pings and the update engine running in the
//! background between calls. Paginated results ([`iter_messages`](Client::iter_messages),
//! [`iter_dialogs`](Client::iter_dialogs)), updates ([`updates`](Client::updates)) and events
//! ([`events`](Client::events)) are plain [`Iterator`]s.
//!
//! Everything else the async client can do is one [`block_on`](Client::block_on) away:
//!
//! ```no_run
//! # fn run(client: tgwire::blocking::Client) -> Result<(), Box<dyn std::error::Error>> {
//! let chat = client.get_chat("@rustlang")?;
//! let full = client.block_on(client.as_async().get_full_chat(&chat))?;
//! # let _ = full;
//! # Ok(()) }
//! ```
//!
//! # Not from async code
//!
//! Like `reqwest::blocking`, this must not be used from inside an async runtime: blocking a
//! runtime's thread on another runtime panics (tokio refuses it). In async code use
//! [`crate::Client`] directly; [`as_async`](Client::as_async) gives it out.
//!
//! # Example
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let server_rt = tokio::runtime::Runtime::new()?;
//! # let server = server_rt.block_on(tgwire_testserver::TestServer::start(Default::default()))?;
//! # let mut builder = tgwire::Client::builder(1, "hash").rsa_key(server.rsa_public_key().clone());
//! # for dc in server.dcs() {
//! #     builder = builder.dc_addr(dc.id, format!("{}:{}", dc.host, dc.port).parse()?);
//! # }
//! use tgwire::blocking::Client;
//! use tgwire::InputMessage;
//!
//! // `builder` is a `tgwire::ClientBuilder`, configured as for the async client.
//! let client = Client::connect(builder.in_memory())?;
//! let token = client.request_login_code("+9996621234")?;
//! let me = client.sign_in(&token, "22222")?;
//! println!("signed in as {}", me.full_name());
//!
//! client.send_message("me", InputMessage::markdown("**Hello** without async"))?;
//! for message in client.iter_messages("me").limit(10) {
//!     println!("{}", message?.text());
//! }
//! client.disconnect();
//! # Ok(())
//! # }
//! ```

// The sign-in methods return the async client's `SignInError` unchanged (its
// `PasswordRequired` carries the SRP parameters); clippy only measures non-async functions.
#![allow(clippy::result_large_err)]

use std::fmt;
use std::future::IntoFuture;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tgwire_tl_types::{enums, RemoteCall};

use crate::events::{EventBuilder, EventStream};
use crate::updates::{RawUpdate, UpdateStream};
use crate::{
    Chat, ClientBuilder, Dialog, Downloadable, FileError, InputMedia, InputMessage,
    InvocationError, LoginToken, Message, PasswordToken, PeerQuery, PeerRef, QrLogin, SignInError,
    UploadedFile, User,
};

/// The runtime and the async client on it. Dropping the last [`Client`] clone disconnects and
/// shuts the runtime down.
struct Shared {
    client: crate::Client,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Shared {
    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives until Shared is dropped")
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let Some(runtime) = self.runtime.take() else {
            return;
        };
        if tokio::runtime::Handle::try_current().is_ok() {
            // Dropped inside some async context, where blocking is refused: let the tasks
            // wind down on their own.
            runtime.shutdown_background();
        } else {
            runtime.block_on(self.client.disconnect());
            runtime.shutdown_timeout(Duration::from_secs(5));
        }
    }
}

/// A blocking Telegram client: the async [`crate::Client`] on its own runtime. Cheap to clone
/// (every clone uses the same connection); see [the module docs](self).
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::Client")
            .field("home_dc", &self.shared.client.home_dc())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Starts a runtime and connects with `builder` (configure it exactly as for
    /// [`ClientBuilder::connect`]).
    ///
    /// # Errors
    ///
    /// As [`ClientBuilder::connect`]; [`InvocationError::Closed`] if the runtime cannot start.
    pub fn connect(builder: ClientBuilder) -> Result<Client, InvocationError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tgwire-blocking")
            .enable_all()
            .build()
            .map_err(|e| InvocationError::Closed(format!("cannot start a runtime: {e}")))?;
        let client = runtime.block_on(builder.connect())?;
        Ok(Client {
            shared: Arc::new(Shared {
                client,
                runtime: Some(runtime),
            }),
        })
    }

    /// The async client underneath, for methods this facade does not wrap (run them with
    /// [`block_on`](Self::block_on)).
    pub fn as_async(&self) -> &crate::Client {
        &self.shared.client
    }

    /// Runs any future (typically a method of [`as_async`](Self::as_async)) to completion on
    /// the client's runtime, blocking this thread.
    ///
    /// # Panics
    ///
    /// When called from inside an async runtime (see [the module docs](self)).
    pub fn block_on<F: IntoFuture>(&self, future: F) -> F::Output {
        self.shared.runtime().block_on(future.into_future())
    }

    /// Calls any raw API function; see [`crate::Client::invoke`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::invoke`].
    pub fn invoke<R>(&self, request: &R) -> Result<R::Return, InvocationError>
    where
        R: RemoteCall,
        R::Return: 'static,
    {
        self.block_on(self.as_async().invoke(request))
    }

    /// Sends several requests in one container, one result each; see
    /// [`crate::Client::invoke_many`].
    pub fn invoke_many<R>(
        &self,
        requests: &[R],
        ordered: bool,
    ) -> Vec<Result<R::Return, InvocationError>>
    where
        R: RemoteCall,
        R::Return: 'static,
    {
        self.block_on(self.as_async().invoke_many(requests, ordered))
    }

    /// Whether the session is signed in.
    ///
    /// # Errors
    ///
    /// Network errors.
    pub fn is_authorized(&self) -> Result<bool, InvocationError> {
        self.block_on(self.as_async().is_authorized())
    }

    /// Signs in as a bot; see [`crate::Client::bot_sign_in`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::bot_sign_in`].
    pub fn bot_sign_in(&self, token: &str) -> Result<User, SignInError> {
        self.block_on(self.as_async().bot_sign_in(token))
    }

    /// Sends a login code to `phone`; see [`crate::Client::request_login_code`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::request_login_code`].
    pub fn request_login_code(&self, phone: &str) -> Result<LoginToken, InvocationError> {
        self.block_on(self.as_async().request_login_code(phone))
    }

    /// Signs in with the code; see [`crate::Client::sign_in`] (two-step verification answers
    /// [`SignInError::PasswordRequired`]: continue with [`check_password`](Self::check_password)).
    ///
    /// # Errors
    ///
    /// As [`crate::Client::sign_in`].
    pub fn sign_in(&self, token: &LoginToken, code: &str) -> Result<User, SignInError> {
        self.block_on(self.as_async().sign_in(token, code))
    }

    /// Completes a sign-in with the two-step verification password; see
    /// [`crate::Client::check_password`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::check_password`].
    pub fn check_password(
        &self,
        token: PasswordToken,
        password: impl AsRef<[u8]>,
    ) -> Result<User, SignInError> {
        self.block_on(self.as_async().check_password(token, password))
    }

    /// A QR login step; see [`crate::Client::qr_login`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::qr_login`].
    pub fn qr_login(&self) -> Result<QrLogin, SignInError> {
        self.block_on(self.as_async().qr_login())
    }

    /// Logs out; see [`crate::Client::sign_out`].
    ///
    /// # Errors
    ///
    /// Network errors.
    pub fn sign_out(&self) -> Result<(), InvocationError> {
        self.block_on(self.as_async().sign_out())
    }

    /// The signed-in user.
    ///
    /// # Errors
    ///
    /// As [`crate::Client::get_me`].
    pub fn get_me(&self) -> Result<User, InvocationError> {
        self.block_on(self.as_async().get_me())
    }

    /// Turns anything chat-like into a reference; see [`crate::Client::resolve`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::resolve`].
    pub fn resolve(&self, chat: impl Into<PeerQuery>) -> Result<PeerRef, InvocationError> {
        self.block_on(self.as_async().resolve(chat))
    }

    /// The full user, group or channel object; see [`crate::Client::get_chat`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::get_chat`].
    pub fn get_chat(&self, chat: impl Into<PeerQuery>) -> Result<Chat, InvocationError> {
        self.block_on(self.as_async().get_chat(chat))
    }

    /// Sends a text message; see [`crate::Client::send_message`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::send_message`].
    pub fn send_message(
        &self,
        chat: impl Into<PeerQuery>,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        self.block_on(self.as_async().send_message(chat, message))
    }

    /// Messages by id, in the order asked (`None` for missing ones); see
    /// [`crate::Client::get_messages`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::get_messages`].
    pub fn get_messages(
        &self,
        chat: impl Into<PeerQuery>,
        ids: &[i32],
    ) -> Result<Vec<Option<Message>>, InvocationError> {
        self.block_on(self.as_async().get_messages(chat, ids))
    }

    /// Edits a message; see [`crate::Client::edit_message`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::edit_message`].
    pub fn edit_message(
        &self,
        chat: impl Into<PeerQuery>,
        id: i32,
        message: impl Into<InputMessage>,
    ) -> Result<Message, InvocationError> {
        self.block_on(self.as_async().edit_message(chat, id, message))
    }

    /// Deletes messages (for everyone with `revoke`), answering how many were deleted; see
    /// [`crate::Client::delete_messages`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::delete_messages`].
    pub fn delete_messages(
        &self,
        chat: impl Into<PeerQuery>,
        ids: &[i32],
        revoke: bool,
    ) -> Result<usize, InvocationError> {
        self.block_on(self.as_async().delete_messages(chat, ids, revoke))
    }

    /// Forwards messages of `from` to `to`; see [`crate::Client::forward_messages`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::forward_messages`].
    pub fn forward_messages(
        &self,
        to: impl Into<PeerQuery>,
        ids: &[i32],
        from: impl Into<PeerQuery>,
    ) -> Result<Vec<Message>, InvocationError> {
        self.block_on(self.as_async().forward_messages(to, ids, from))
    }

    /// Marks a chat as read; see [`crate::Client::mark_read`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::mark_read`].
    pub fn mark_read(&self, chat: impl Into<PeerQuery>) -> Result<(), InvocationError> {
        self.block_on(self.as_async().mark_read(chat))
    }

    /// Joins a public group or channel, or a private one by invite link; see
    /// [`crate::Client::join_chat`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::join_chat`].
    pub fn join_chat(&self, chat: impl Into<PeerQuery>) -> Result<Chat, InvocationError> {
        self.block_on(self.as_async().join_chat(chat))
    }

    /// A chat's history as an [`Iterator`], newest first; configure it like
    /// [`crate::MessageIter`] before the first `next`.
    pub fn iter_messages(&self, chat: impl Into<PeerQuery>) -> MessageIter {
        MessageIter {
            inner: Some(self.as_async().iter_messages(chat)),
            client: self.clone(),
        }
    }

    /// The chat list as an [`Iterator`]; see [`crate::Client::iter_dialogs`].
    pub fn iter_dialogs(&self) -> DialogIter {
        DialogIter {
            inner: Some(self.as_async().iter_dialogs()),
            client: self.clone(),
        }
    }

    /// Uploads a file from disk; see [`crate::Client::upload_file`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::upload_file`].
    pub fn upload_file(&self, path: impl Into<PathBuf>) -> Result<UploadedFile, FileError> {
        self.block_on(self.as_async().upload_file(path))
    }

    /// Uploads bytes as a file named `name`; see [`crate::Client::upload_bytes`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::upload_bytes`].
    pub fn upload_bytes(
        &self,
        bytes: impl Into<Vec<u8>>,
        name: impl Into<String>,
    ) -> Result<UploadedFile, FileError> {
        self.block_on(self.as_async().upload_bytes(bytes, name))
    }

    /// Sends a photo or document; see [`crate::Client::send_file`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::send_file`].
    pub fn send_file(
        &self,
        chat: impl Into<PeerQuery>,
        media: InputMedia,
    ) -> Result<Message, FileError> {
        self.block_on(self.as_async().send_file(chat, media))
    }

    /// Downloads a message's media (or a photo, document or location) to a file, answering the
    /// number of bytes written; see [`crate::Client::download_media`].
    ///
    /// # Errors
    ///
    /// As [`crate::Client::download_media`].
    pub fn download_media(
        &self,
        media: impl Into<Downloadable>,
        path: impl Into<PathBuf>,
    ) -> Result<u64, FileError> {
        self.block_on(self.as_async().download_media(media, path.into()))
    }

    /// Downloads media into memory.
    ///
    /// # Errors
    ///
    /// As [`crate::Client::download_media`].
    pub fn download_bytes(&self, media: impl Into<Downloadable>) -> Result<Vec<u8>, FileError> {
        let mut bytes = Vec::new();
        self.block_on(
            self.as_async()
                .download_media(media, crate::DownloadTarget::writer(&mut bytes)),
        )?;
        Ok(bytes)
    }

    /// The updates the server pushes from now on, as a blocking [`Iterator`] that ends when the
    /// client disconnects; see [`crate::Client::updates`] for the guarantees.
    pub fn updates(&self) -> Updates {
        Updates {
            inner: self.as_async().updates(),
            client: self.clone(),
        }
    }

    /// Typed events (`NewMessage`, `CallbackQuery`, …) matching `builder`'s filters, as a
    /// blocking [`Iterator`]; see [`crate::Client::stream_events`]. While events are not
    /// taken, the chat they come from waits, so keep taking them.
    ///
    /// # Errors
    ///
    /// As [`crate::Client::stream_events`].
    pub fn events<B: EventBuilder>(&self, builder: B) -> Result<Events<B::Event>, InvocationError> {
        let inner = self.block_on(self.as_async().stream_events(builder))?;
        Ok(Events {
            inner,
            client: self.clone(),
        })
    }

    /// Disconnects; pending and later calls fail with [`InvocationError::Closed`]. Dropping
    /// the last clone does this too.
    pub fn disconnect(&self) {
        self.block_on(self.as_async().disconnect());
    }
}

/// A chat's history as a blocking [`Iterator`]; built by [`Client::iter_messages`].
#[must_use = "iterators do nothing unless iterated"]
pub struct MessageIter {
    inner: Option<crate::MessageIter>,
    client: Client,
}

impl MessageIter {
    fn with(mut self, set: impl FnOnce(crate::MessageIter) -> crate::MessageIter) -> Self {
        self.inner = self.inner.take().map(set);
        self
    }

    /// Stops after this many messages; see [`crate::MessageIter::limit`].
    pub fn limit(self, limit: usize) -> Self {
        self.with(|i| i.limit(limit))
    }

    /// Starts after this message id; see [`crate::MessageIter::offset_id`].
    pub fn offset_id(self, id: i32) -> Self {
        self.with(|i| i.offset_id(id))
    }

    /// Starts before this Unix time; see [`crate::MessageIter::offset_date`].
    pub fn offset_date(self, unix_time: i32) -> Self {
        self.with(|i| i.offset_date(unix_time))
    }

    /// Oldest first; see [`crate::MessageIter::reverse`].
    pub fn reverse(self) -> Self {
        self.with(crate::MessageIter::reverse)
    }

    /// Only messages from this user; see [`crate::MessageIter::from_user`].
    pub fn from_user(self, user: impl Into<PeerQuery>) -> Self {
        self.with(|i| i.from_user(user))
    }

    /// Only messages containing this text; see [`crate::MessageIter::search`].
    pub fn search(self, text: impl Into<String>) -> Self {
        self.with(|i| i.search(text))
    }

    /// Only messages of this kind; see [`crate::MessageIter::filter`].
    pub fn filter(self, filter: enums::MessagesFilter) -> Self {
        self.with(|i| i.filter(filter))
    }
}

impl Iterator for MessageIter {
    type Item = Result<Message, InvocationError>;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.inner.as_mut()?;
        self.client.block_on(stream.next())
    }
}

impl fmt::Debug for MessageIter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::MessageIter")
            .finish_non_exhaustive()
    }
}

/// The chat list as a blocking [`Iterator`]; built by [`Client::iter_dialogs`].
#[must_use = "iterators do nothing unless iterated"]
pub struct DialogIter {
    inner: Option<crate::DialogIter>,
    client: Client,
}

impl DialogIter {
    /// Stops after this many dialogs.
    pub fn limit(mut self, limit: usize) -> Self {
        self.inner = self.inner.take().map(|i| i.limit(limit));
        self
    }

    /// Only this folder (0 the main list, 1 the archive); see [`crate::DialogIter::folder`].
    pub fn folder(mut self, folder_id: i32) -> Self {
        self.inner = self.inner.take().map(|i| i.folder(folder_id));
        self
    }
}

impl Iterator for DialogIter {
    type Item = Result<Dialog, InvocationError>;

    fn next(&mut self) -> Option<Self::Item> {
        let stream = self.inner.as_mut()?;
        self.client.block_on(stream.next())
    }
}

impl fmt::Debug for DialogIter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("blocking::DialogIter")
            .finish_non_exhaustive()
    }
}

/// Raw updates as a blocking [`Iterator`]; built by [`Client::updates`].
#[derive(Debug)]
pub struct Updates {
    inner: UpdateStream,
    client: Client,
}

impl Updates {
    /// The next update if one comes within `timeout`; `None` on timeout or once the client is
    /// gone.
    pub fn next_timeout(&mut self, timeout: Duration) -> Option<RawUpdate> {
        let next = self.inner.next();
        // `timeout` needs the runtime's timer as it is built, so build it on the runtime.
        self.client
            .block_on(async { tokio::time::timeout(timeout, next).await })
            .ok()
            .flatten()
    }
}

impl Iterator for Updates {
    type Item = RawUpdate;

    fn next(&mut self) -> Option<RawUpdate> {
        self.client.block_on(self.inner.next())
    }
}

/// Typed events as a blocking [`Iterator`]; built by [`Client::events`]. Dropping it
/// unregisters it.
#[derive(Debug)]
pub struct Events<E> {
    inner: EventStream<E>,
    client: Client,
}

impl<E> Events<E> {
    /// The next event if one comes within `timeout`; `None` on timeout or once the client is
    /// gone.
    pub fn next_timeout(&mut self, timeout: Duration) -> Option<E> {
        let next = self.inner.next();
        // `timeout` needs the runtime's timer as it is built, so build it on the runtime.
        self.client
            .block_on(async { tokio::time::timeout(timeout, next).await })
            .ok()
            .flatten()
    }
}

impl<E> Iterator for Events<E> {
    type Item = E;

    fn next(&mut self) -> Option<E> {
        self.client.block_on(self.inner.next())
    }
}
