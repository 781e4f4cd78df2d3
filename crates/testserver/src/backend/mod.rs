//! The in-memory Telegram behind the test server's DCs: accounts, chats, messages with pts,
//! updates, files.
//!
//! The protocol side decrypts a request, strips the wrappers (`invokeWithLayer`,
//! `initConnection`, `invokeWithoutUpdates`, `invokeAfterMsg(s)`) and hands the bare TL function
//! to [`Backend::call`] with a [`CallContext`] naming the DC, auth key and session. The backend
//! decodes it with `tgwire-tl-types`, runs it against its state and returns the serialized result
//! or an `rpc_error` ([`RpcOutcome`]). Updates for other sessions (a message's recipient, the
//! sender's other devices) go out through the channel each session got from
//! [`Backend::register_session`].
//!
//! ```text
//!  protocol side ── call(ctx, bytes) ──▶ dispatch ─▶ handler (auth, users, messages, …)
//!        ▲                                               │ mutates State, queues pushes
//!        │◀──────────── RpcOutcome ◀── sequence::seal ◀──┤ merge per account, seq, short forms
//!  session rx ◀── serialized Updates ◀── deliver ◀───────┘ (faults may drop / replace them)
//!                                                         └▶ --data FILE (JSON, on change)
//! ```
//!
//! Updates are modelled as Telegram's: each account's common box (private chats and basic
//! groups) has its pts, its `seq` (containers of updates without pts, see `sequence.rs`) and
//! its `qts` (bots' updates, see `qts.rs`); each channel has its own pts. Every pts, qts and seq
//! step is persisted with `--data`, and every pts and qts event is kept for
//! `updates.getDifference` / `updates.getChannelDifference` (`updates.rs`), which page and
//! answer "too long" by [`UpdateLimits`]. What is pushed — new, edited, deleted and read
//! messages in every kind of chat, typing, presence, chat actions — reaches every session of
//! every account concerned, in the forms Telegram uses (`updateShortMessage`,
//! `updateShortChatMessage`, `updates`, `updatesCombined`, `updateShort`).
//!
//! Accounts behave as on Telegram's own test servers: phone numbers `99966XYYYY` live on DC `X`
//! and sign in with the code `XXXXX`; `auth.sendCode` elsewhere answers `PHONE_MIGRATE_X`. Other
//! numbers live on the DC where they first ask for a code and sign in with `12345`. Unknown
//! numbers are registered on their first `auth.signIn` (named "Test" and the last four digits)
//! unless [`BackendConfig::require_signup`] is set. Any token `<id>:<35 or more characters>`
//! signs in as bot `<id>` through `auth.importBotAuthorization`.
//!
//! Deliberately missing: secret chats, calls, stickers, reactions, stories, payments, chat
//! folders other than the archive, sending scheduled messages when their time comes (they are
//! stored and listed only), fetching link previews (they stay `webPagePending`), forum topics,
//! per-viewer access hashes (each user and channel has one), `min` constructors and
//! rate limits other than injected ones.
//! Every method without a handler answers `501 METHOD_NOT_IMPLEMENTED_IN_TESTSERVER` and is
//! logged by name.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use tgwire_mtproto::SplitBody;
use tgwire_tl_types::{enums, types, Serializable};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver};

use crate::faults::{Faults, PushFault};

mod account;
mod admin_log;
mod auth;
mod bot_commands;
mod bots;
mod cdn;
mod channels;
mod chat_edit;
mod chats;
mod dialogs;
mod dispatch;
mod files;
mod images;
mod inline;
mod invites;
mod join_requests;
mod messages;
mod model;
mod peers;
mod persist;
mod pins;
mod present;
mod profile;
mod qts;
mod rights;
mod rpc;
mod runtime;
mod sequence;
mod setup;
mod stats;
mod takeout;
mod updates;
mod users;

#[cfg(test)]
mod tests;

pub use bots::{Answer, PendingAnswer};
pub use cdn::{CdnConfig, CdnStats};
pub use model::Peer;
pub use rpc::BackendError;
pub use setup::StoredMessage;

use dispatch::Reply;
use model::State;
use rpc::{RpcError, RpcResult};
use runtime::{Feed, LiveSession, Runtime};

/// One data centre's public address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DcAddr {
    /// DC id (1-based).
    pub id: i32,
    /// Host the DC listens on.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// How the backend is set up.
#[derive(Clone, Debug, Default)]
pub struct BackendConfig {
    /// The DCs `help.getConfig` advertises (and the only valid targets of migrations).
    pub dcs: Vec<DcAddr>,
    /// Unknown numbers must call `auth.signUp` (instead of being registered by `auth.signIn`).
    pub require_signup: bool,
    /// Where to persist users, chats, messages and authorizations (JSON); `None` keeps
    /// everything in memory.
    pub data_file: Option<PathBuf>,
}

/// When `updates.getDifference` and `updates.getChannelDifference` stop listing events and
/// answer "too long" or in slices. Telegram does not publish its numbers; these defaults are
/// small enough to reach in a test and large enough not to trouble a client that keeps up.
/// Change them with [`Backend::set_update_limits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateLimits {
    /// Most pts events one `updates.getDifference` lists; more come as
    /// `updates.differenceSlice` (default 100).
    pub difference_slice: usize,
    /// A client more than this many pts behind gets `updates.differenceTooLong` (default
    /// 10,000); a request's `pts_total_limit` lowers it, as the method's documentation says.
    pub difference_too_long: i32,
    /// A client more than this many events behind in a channel gets
    /// `updates.channelDifferenceTooLong` (default 1,000). Up to it, a request's `limit`
    /// (at most 100 for users, 100,000 for bots) pages with `final: false`.
    pub channel_difference_too_long: usize,
}

impl Default for UpdateLimits {
    fn default() -> Self {
        Self {
            difference_slice: 100,
            difference_too_long: 10_000,
            channel_difference_too_long: 1_000,
        }
    }
}

/// One registration of a live session for updates (see [`Backend::register_session_feed`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registration {
    auth_key_id: i64,
    session_id: i64,
    id: u64,
}

/// Who is calling: filled in by the protocol side for every request.
#[derive(Clone, Debug, Default)]
pub struct CallContext {
    /// DC the connection reached.
    pub dc_id: i32,
    /// Auth key that encrypted the request (temporary or permanent).
    pub auth_key_id: i64,
    /// Permanent key the request is authorized with (equal to `auth_key_id` unless a temporary
    /// key is bound to it; 0 if unknown, in which case temp-key bindings are looked up).
    pub perm_auth_key_id: i64,
    /// MTProto session id.
    pub session_id: i64,
    /// Layer from `invokeWithLayer` (0 if the client never sent one).
    pub layer: i32,
    /// Whether `auth_key_id` is a temporary key (made with `p_q_inner_data_temp_dc`): until it
    /// is bound, calls that need an account answer `401 AUTH_KEY_PERM_EMPTY`, not
    /// `AUTH_KEY_UNREGISTERED` (which tells a client it was logged out).
    pub temporary: bool,
}

/// The result of one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RpcOutcome {
    /// The serialized result object, to wrap in `rpc_result`.
    Ok(Vec<u8>),
    /// A file part (`upload.file`) in two pieces, its content where the file is stored, for
    /// the session to seal without joining them. Only [`Backend::call_deferred`] answers
    /// with one; [`Backend::call`] joins it into [`RpcOutcome::Ok`].
    Part(SplitBody),
    /// An `rpc_error`.
    Err {
        /// Error code (303, 400, 401, 403, 420, 500, 501).
        code: i32,
        /// Error message, e.g. `PHONE_MIGRATE_2`.
        message: String,
    },
}

/// Bytes of uploads and file contents kept in memory at most.
pub(crate) const MAX_STORED_BYTES: u64 = 2 << 30;

/// The in-memory Telegram. Cheap to clone; all clones share one state.
#[derive(Clone, Debug)]
pub struct Backend {
    inner: Arc<Mutex<Inner>>,
    faults: Faults,
}

#[derive(Debug)]
struct Inner {
    cfg: BackendConfig,
    state: State,
    rt: Runtime,
    /// Where to save; `None` when not persisting (or when loading failed in [`Backend::new`]).
    data_file: Option<PathBuf>,
    limits: UpdateLimits,
    bot_timeout: std::time::Duration,
    /// The CDN DC, when one runs.
    cdn: Option<CdnConfig>,
}

/// One call's view of the backend: the state, who is calling, and what to push afterwards.
pub(crate) struct Cx<'a> {
    pub(crate) state: &'a mut State,
    pub(crate) rt: &'a mut Runtime,
    pub(crate) cfg: &'a BackendConfig,
    pub(crate) ctx: &'a CallContext,
    /// The `--data` file, if persisting (file contents go next to it).
    pub(crate) data_file: Option<&'a std::path::Path>,
    pub(crate) now: i32,
    pub(crate) limits: UpdateLimits,
    /// The CDN DC, when one runs.
    pub(crate) cdn: Option<&'a CdnConfig>,
    /// The fault-injection handle (for faults decided inside a handler).
    pub(crate) faults: &'a Faults,
    /// The state changed (save it).
    pub(crate) dirty: bool,
    /// Updates queued by the handler, to push once the call is done.
    pub(crate) pushes: Vec<Push>,
    /// The pushes in their final form ([`sequence::seal`]), ready to deliver.
    pub(crate) ready: Vec<Push>,
    /// How long a user's call waits for a bot's answer.
    pub(crate) bot_timeout: std::time::Duration,
    /// Set by a handler whose answer a bot gives later (`messages.getBotCallbackAnswer`,
    /// `messages.getInlineBotResults`): the value the handler returned is a placeholder and
    /// the call is answered by this instead.
    pub(crate) deferred: Option<PendingAnswer>,
}

/// An `Updates` for live sessions.
pub(crate) struct Push {
    pub(crate) target: Target,
    pub(crate) updates: enums::Updates,
    /// The users and chats `updates` still lacks, and whose view of them to give: left out of
    /// a lone message that may go out in a short form, which names none (building them was a
    /// third of a pushed message's cost); [`sequence::seal`] fills them in if it does not.
    pub(crate) refs: Option<(i64, present::Refs)>,
}

impl Push {
    pub(crate) fn new(target: Target, updates: enums::Updates) -> Self {
        Self {
            target,
            updates,
            refs: None,
        }
    }
}

/// Whose sessions a [`Push`] goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Target {
    /// Every session signed in as this user.
    User(i64),
    /// Every session of this permanent auth key, signed in or not.
    Key(i64),
    /// Only the session that made the call.
    Caller,
}

/// Seconds since the Unix epoch, as TL `int` dates.
pub(crate) fn unix_now() -> i32 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    i32::try_from(secs).unwrap_or(i32::MAX)
}

impl Cx<'_> {
    /// The permanent key the call is authorized with.
    pub(crate) fn perm_key(&self) -> i64 {
        let ctx = self.ctx;
        if ctx.perm_auth_key_id != 0 {
            return ctx.perm_auth_key_id;
        }
        match self.rt.temp_keys.get(&ctx.auth_key_id) {
            Some(&(perm, _)) => perm,
            None => ctx.auth_key_id,
        }
    }

    /// The signed-in account, or `401 AUTH_KEY_UNREGISTERED` (`401 AUTH_KEY_PERM_EMPTY` under
    /// a temporary key that is not bound, never or no longer, as on Telegram: the client binds
    /// a key and sends the call again).
    pub(crate) fn me(&self) -> RpcResult<i64> {
        self.state
            .authorizations
            .get(&self.perm_key())
            .map(|auth| auth.user_id)
            .ok_or_else(|| {
                // A temporary key acting for no permanent key: never bound, or its binding
                // was replaced by a newer key's. Telegram answers both with PERM_EMPTY.
                let ctx = self.ctx;
                let unbound = self.perm_key() == ctx.auth_key_id
                    && (ctx.temporary || self.rt.temp_keys.contains_key(&ctx.auth_key_id));
                RpcError::unauthorized(if unbound {
                    "AUTH_KEY_PERM_EMPTY"
                } else {
                    "AUTH_KEY_UNREGISTERED"
                })
            })
    }

    /// The signed-in account, which must not be a bot (`400 BOT_METHOD_INVALID`).
    pub(crate) fn me_user(&self) -> RpcResult<i64> {
        let me = self.me()?;
        if self.state.users.get(&me).is_some_and(|u| u.bot) {
            return Err(RpcError::bad("BOT_METHOD_INVALID"));
        }
        Ok(me)
    }

    /// Queues `updates` for `user`'s sessions (other than the caller's).
    pub(crate) fn push(&mut self, user: i64, updates: enums::Updates) {
        self.pushes.push(Push::new(Target::User(user), updates));
    }

    /// Queues `list` for `user`'s sessions, with what `refs` collected as `user` sees it.
    pub(crate) fn push_with(&mut self, user: i64, list: Vec<enums::Update>, refs: &present::Refs) {
        let short = match list.as_slice() {
            [enums::Update::NewMessage(update)] => sequence::short_form(update).is_some(),
            _ => false,
        };
        if !short {
            let updates = refs.updates(self.state, user, list, self.now);
            self.push(user, updates);
            return;
        }
        let updates = present::Refs::default().updates(self.state, user, list, self.now);
        self.pushes.push(Push {
            target: Target::User(user),
            updates,
            refs: Some((user, refs.clone())),
        });
    }

    /// Queues `updates` for the sessions of permanent key `perm_key`.
    pub(crate) fn push_to_key(&mut self, perm_key: i64, updates: enums::Updates) {
        self.pushes.push(Push::new(Target::Key(perm_key), updates));
    }

    /// Signs the caller's permanent key in as `user`.
    pub(crate) fn authorize(&mut self, user: i64) {
        let key = self.perm_key();
        self.rt.password_pending.remove(&key);
        // The key's sessions now belong to `user`'s pushes.
        self.rt.by_user = None;
        self.state.authorizations.insert(
            key,
            model::AuthRec {
                user_id: user,
                dc_id: self.ctx.dc_id,
                date: self.now,
            },
        );
        self.dirty = true;
    }
}

/// A fresh random `i64` (access hashes, ids the client does not choose).
pub(crate) fn random_i64() -> i64 {
    rand::random()
}

impl Backend {
    /// Creates the backend, loading `cfg.data_file` if it exists.
    ///
    /// A data file that cannot be loaded is logged and then ignored (and never overwritten);
    /// use [`Backend::open`] to get the error instead.
    pub fn new(cfg: BackendConfig, faults: Faults) -> Self {
        match Self::open(cfg.clone(), faults.clone()) {
            Ok(backend) => backend,
            Err(error) => {
                log::error!("{error}; starting with an empty, unpersisted state");
                Self::with_state(
                    BackendConfig {
                        data_file: None,
                        ..cfg
                    },
                    faults,
                    State::default(),
                )
            }
        }
    }

    /// Creates the backend, loading `cfg.data_file` if it exists.
    ///
    /// # Errors
    /// [`BackendError::ReadData`], [`BackendError::CorruptData`] or
    /// [`BackendError::DataVersion`] when the data file exists but cannot be used.
    pub fn open(cfg: BackendConfig, faults: Faults) -> Result<Self, BackendError> {
        let state = match &cfg.data_file {
            Some(path) => persist::load(path)?,
            None => State::default(),
        };
        Ok(Self::with_state(cfg, faults, state))
    }

    fn with_state(cfg: BackendConfig, faults: Faults, state: State) -> Self {
        let data_file = cfg.data_file.clone();
        Self {
            inner: Arc::new(Mutex::new(Inner {
                cfg,
                state,
                rt: Runtime::default(),
                data_file,
                limits: UpdateLimits::default(),
                bot_timeout: bots::DEFAULT_BOT_TIMEOUT,
                cdn: None,
            })),
            faults,
        }
    }

    /// Runs a CDN DC: `help.getCdnConfig` publishes its key, `help.getConfig` lists it, and
    /// files of at least `cdn.min_size` bytes are redirected there (see [`CdnConfig`]).
    pub fn set_cdn(&self, cdn: CdnConfig) {
        self.lock().cdn = Some(cdn);
    }

    /// What the CDN DC did so far (redirects, parts served, re-uploads).
    pub fn cdn_stats(&self) -> CdnStats {
        self.lock().rt.cdn_stats
    }

    /// Sets when differences come in slices or as "too long" (see [`UpdateLimits`]).
    pub fn set_update_limits(&self, limits: UpdateLimits) {
        self.lock().limits = limits;
    }

    /// Sets how long a user's `messages.getBotCallbackAnswer` or `messages.getInlineBotResults`
    /// waits for the bot's answer before failing with `BOT_RESPONSE_TIMEOUT` (default
    /// `DEFAULT_BOT_TIMEOUT`, 10 s).
    pub fn set_bot_response_timeout(&self, timeout: std::time::Duration) {
        self.lock().bot_timeout = timeout;
    }

    /// The fault-injection handle this backend honours.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // Handlers never leave the state half-updated across a panic point they could reach
        // from input, so a poisoned lock (a bug) still holds a usable state.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Answers one request at once. `request` is the serialized TL function with the wrappers
    /// already removed by the protocol side.
    ///
    /// A request a bot answers later (see [`Backend::call_deferred`]) cannot be waited for
    /// here: it answers `400 BOT_RESPONSE_TIMEOUT` at once (and the bot's answer, when it
    /// comes, `QUERY_ID_INVALID`).
    pub fn call(&self, ctx: &CallContext, request: &[u8]) -> RpcOutcome {
        match self.call_deferred(ctx, request) {
            Answer::Now(RpcOutcome::Part(part)) => RpcOutcome::Ok(part.to_vec()),
            Answer::Now(outcome) => outcome,
            Answer::Later(_) => bots::timeout_error(),
        }
    }

    /// Answers one request, now or — for `messages.getBotCallbackAnswer` and
    /// `messages.getInlineBotResults`, which a bot answers — later: [`Answer::Later`] resolves
    /// when the bot answers or its time runs out (`BOT_RESPONSE_TIMEOUT`).
    pub fn call_deferred(&self, ctx: &CallContext, request: &[u8]) -> Answer {
        let mut deferred = None;
        let outcome = self.call_now(ctx, request, &mut deferred);
        match (outcome, deferred) {
            (RpcOutcome::Ok(_), Some(pending)) => Answer::Later(pending),
            (outcome, _) => Answer::Now(outcome),
        }
    }

    fn call_now(
        &self,
        ctx: &CallContext,
        request: &[u8],
        deferred: &mut Option<PendingAnswer>,
    ) -> RpcOutcome {
        let Some(id) = request
            .get(..4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        else {
            return RpcOutcome::Err {
                code: 400,
                message: "INPUT_REQUEST_INVALID".into(),
            };
        };
        let name = tgwire_tl_types::name_for_id(id).unwrap_or("<unknown constructor>");
        if let Some(fault) = self.faults.take_rpc_fault(name) {
            log::info!(
                "fault injected into {name}: {} {}",
                fault.code,
                fault.message
            );
            return RpcOutcome::Err {
                code: fault.code,
                message: fault.message,
            };
        }
        if name == "upload.getFile" && self.faults.take_file_reference_expiry() {
            self.with_cx(ctx, files::renew_file_references);
        }
        let result = self.with_cx(ctx, |cx| {
            let reply = dispatch::dispatch_reply(cx, id, name, request)?;
            *deferred = cx.deferred.take();
            let answer = match reply {
                Reply::Bytes(mut answer) => {
                    sequence::seal(cx, Some(&mut answer));
                    RpcOutcome::Ok(answer)
                }
                // Not an update container: nothing in it to fix up.
                Reply::Part(part) => {
                    sequence::seal(cx, None);
                    RpcOutcome::Part(part)
                }
            };
            Ok(answer)
        });
        match result {
            Ok(answer) => answer,
            Err(RpcError { code, message }) => {
                log::debug!("{name} -> {code} {message}");
                RpcOutcome::Err { code, message }
            }
        }
    }

    /// Runs `f` with a call context, then delivers its pushes and saves the state if it changed.
    fn with_cx<T>(&self, ctx: &CallContext, f: impl FnOnce(&mut Cx<'_>) -> T) -> T {
        let mut inner = self.lock();
        let (result, dirty) = self.step(&mut inner, ctx, f);
        if dirty {
            Self::save_now(&inner);
        }
        result
    }

    /// Runs `f` with a call context and delivers its pushes; returns whether the state changed
    /// (the caller saves it).
    fn step<T>(
        &self,
        inner: &mut Inner,
        ctx: &CallContext,
        f: impl FnOnce(&mut Cx<'_>) -> T,
    ) -> (T, bool) {
        let Inner {
            cfg,
            state,
            rt,
            data_file,
            limits,
            bot_timeout,
            cdn,
        } = inner;
        let mut cx = Cx {
            state,
            rt,
            cfg,
            ctx,
            data_file: data_file.as_deref(),
            now: unix_now(),
            limits: *limits,
            cdn: cdn.as_ref(),
            faults: &self.faults,
            dirty: false,
            pushes: Vec::new(),
            ready: Vec::new(),
            bot_timeout: *bot_timeout,
            deferred: None,
        };
        let watch = qts::ParticipantWatch::before(cx.state);
        let result = f(&mut cx);
        if let Some(watch) = watch {
            watch.after(&mut cx);
        }
        sequence::seal(&mut cx, None);
        let Cx { dirty, ready, .. } = cx;
        for push in ready {
            deliver(state, rt, &self.faults, ctx, push);
        }
        (result, dirty)
    }

    /// Writes the state to the data file, if any, logging a failure.
    fn save_now(inner: &Inner) {
        if let Some(path) = &inner.data_file {
            if let Err(error) = persist::save(path, &inner.state) {
                log::error!("{error}");
            }
        }
    }

    /// Sends each of `texts` from `from` to `to`, one message after another, through the
    /// same path as `messages.sendMessage` (ids, pts, seq and the pushes to every session of
    /// every member are real), without a client connection — for benchmarks and soak tests
    /// that need much traffic. Each message is its own delivery, as if sent by its own call;
    /// the lock is taken per message, so connected clients are served in between, and the
    /// data file, if any, is written once at the end. Returns the ids in `from`'s numbering.
    ///
    /// # Errors
    /// [`BackendError::UnknownUser`] for an unknown sender; [`BackendError::Refused`] as
    /// `messages.sendMessage` would refuse (`MESSAGE_EMPTY`, `MESSAGE_TOO_LONG`,
    /// `CHAT_WRITE_FORBIDDEN`, …). Messages before the refused one were sent.
    pub fn inject_messages<I>(
        &self,
        from: i64,
        to: Peer,
        texts: I,
    ) -> Result<Vec<i32>, BackendError>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        let ctx = CallContext::default();
        let mut ids = Vec::new();
        let mut changed = false;
        let mut outcome = Ok(());
        for text in texts {
            let text = text.as_ref();
            let mut inner = self.lock();
            let (result, dirty) = self.step(&mut inner, &ctx, |cx| {
                if !cx.state.users.contains_key(&from) {
                    return Err(BackendError::UnknownUser(from));
                }
                if text.trim().is_empty() {
                    return Err(RpcError::bad("MESSAGE_EMPTY").into());
                }
                if text.chars().count() > messages::MAX_TEXT {
                    return Err(RpcError::bad("MESSAGE_TOO_LONG").into());
                }
                let content = messages::Content {
                    text: text.to_owned(),
                    ..messages::Content::default()
                };
                Ok(messages::post(cx, from, to, content, None)?.id)
            });
            changed |= dirty;
            match result {
                Ok(id) => ids.push(id),
                Err(error) => {
                    outcome = Err(error);
                    break;
                }
            }
        }
        if changed {
            Self::save_now(&self.lock());
        }
        outcome.map(|()| ids)
    }

    /// Registers a live session: serialized `Updates` for it arrive on the returned channel
    /// (once its key is signed in). Registering the same session again replaces the channel.
    pub fn register_session(&self, ctx: &CallContext) -> UnboundedReceiver<Vec<u8>> {
        self.register_session_feed(ctx).0
    }

    /// [`register_session`](Self::register_session), also returning which registration this
    /// is, so that [`unregister_session`](Self::unregister_session) removes exactly it and never
    /// a newer one of the same session (a client that reconnects registers its session again
    /// while the old connection may still be closing).
    pub fn register_session_feed(
        &self,
        ctx: &CallContext,
    ) -> (UnboundedReceiver<Vec<u8>>, Registration) {
        self.register_session_woken(ctx, None)
    }

    /// [`register_session_feed`](Self::register_session_feed) for a receiver that is not
    /// awaited but drained by the task `wake` wakes after each update put in it (a
    /// connection takes its sessions' updates itself, without a task per session between).
    pub(crate) fn register_session_woken(
        &self,
        ctx: &CallContext,
        wake: Option<Arc<tokio::sync::Notify>>,
    ) -> (UnboundedReceiver<Vec<u8>>, Registration) {
        let (tx, rx) = unbounded_channel();
        let mut inner = self.lock();
        let perm_key = match ctx.perm_auth_key_id {
            0 => inner
                .rt
                .temp_keys
                .get(&ctx.auth_key_id)
                .map_or(ctx.auth_key_id, |&(perm, _)| perm),
            perm => perm,
        };
        inner.rt.next_registration += 1;
        let registration = Registration {
            auth_key_id: ctx.auth_key_id,
            session_id: ctx.session_id,
            id: inner.rt.next_registration,
        };
        inner.rt.by_user = None;
        inner.rt.sessions.insert(
            (ctx.auth_key_id, ctx.session_id),
            LiveSession {
                perm_key,
                feed: Feed { tx, wake },
                registration: registration.id,
            },
        );
        (rx, registration)
    }

    /// Forgets a live session's registration (its connection closed or it was destroyed),
    /// unless the session registered again since.
    pub fn unregister_session(&self, registration: Registration) {
        let mut inner = self.lock();
        let key = (registration.auth_key_id, registration.session_id);
        if inner
            .rt
            .sessions
            .get(&key)
            .is_some_and(|live| live.registration == registration.id)
        {
            inner.rt.sessions.remove(&key);
        }
    }

    /// Records the language the client on `ctx`'s auth key said it speaks (`initConnection`'s
    /// `lang_code`), for the languages graph of statistics.
    pub fn note_lang_code(&self, ctx: &CallContext, lang_code: &str) {
        let mut inner = self.lock();
        inner
            .rt
            .lang_codes
            .insert(ctx.auth_key_id, lang_code.to_owned());
    }

    /// Records `auth.bindTempAuthKey`: calls encrypted with `temp` act for `perm` until
    /// `expires_at`.
    pub fn bind_temp_key(&self, temp: i64, perm: i64, expires_at: i32) {
        let mut inner = self.lock();
        inner.rt.temp_keys.insert(temp, (perm, expires_at));
        inner.rt.by_user = None;
        // Sessions already registered on the temporary key now act for the permanent one.
        for ((key, _), session) in inner.rt.sessions.iter_mut() {
            if *key == temp {
                session.perm_key = perm;
            }
        }
    }

    /// What a server restart does to the backend: every live session, pending sign-in,
    /// password check, login token and unfinished upload is forgotten, and the state is read
    /// again from the data file (without one, the in-memory state carries on, as if it had been
    /// saved). Temporary-key bindings and file contents survive, like the auth keys they
    /// belong to.
    ///
    /// # Errors
    /// [`BackendError::ReadData`], [`BackendError::CorruptData`] or
    /// [`BackendError::DataVersion`] when the data file cannot be loaded; the backend is then
    /// left as it was.
    pub fn reload(&self) -> Result<(), BackendError> {
        let mut inner = self.lock();
        if let Some(path) = &inner.data_file {
            inner.state = persist::load(path)?;
        }
        let old = std::mem::take(&mut inner.rt);
        inner.rt.temp_keys = old.temp_keys;
        // Unfinished uploads are gone; what stays counted is the kept contents.
        inner.rt.stored_bytes = old.contents.values().map(|c| c.len() as u64).sum();
        inner.rt.contents = old.contents;
        Ok(())
    }

    /// Writes the state to the data file now (it is also written after every change).
    ///
    /// # Errors
    /// [`BackendError::WriteData`] when writing fails; `Ok` without a data file.
    pub fn save(&self) -> Result<(), BackendError> {
        let inner = self.lock();
        match &inner.data_file {
            Some(path) => persist::save(path, &inner.state),
            None => Ok(()),
        }
    }
}

/// The channel whose pts-carrying updates `updates` holds, if any.
fn channel_of(updates: &enums::Updates) -> Option<i64> {
    let list = match updates {
        enums::Updates::Updates(u) => &u.updates,
        enums::Updates::Combined(u) => &u.updates,
        _ => return None,
    };
    list.iter().find_map(|update| match update {
        enums::Update::NewChannelMessage(u) => channel_id_of(&u.message),
        enums::Update::EditChannelMessage(u) => channel_id_of(&u.message),
        enums::Update::DeleteChannelMessages(u) => Some(u.channel_id),
        enums::Update::PinnedChannelMessages(u) => Some(u.channel_id),
        _ => None,
    })
}

fn channel_id_of(message: &enums::Message) -> Option<i64> {
    let peer = match message {
        enums::Message::Message(m) => &m.peer_id,
        enums::Message::Service(m) => &m.peer_id,
        enums::Message::Empty(m) => m.peer_id.as_ref()?,
    };
    match peer {
        enums::Peer::Channel(c) => Some(c.channel_id),
        _ => None,
    }
}

/// Sends one push to every live session it targets (the calling session only when targeted
/// as [`Target::Caller`]).
fn deliver(state: &State, rt: &mut Runtime, faults: &Faults, ctx: &CallContext, push: Push) {
    let caller = (ctx.auth_key_id, ctx.session_id);
    let bytes = push.updates.to_bytes();
    // What the channel-too-long fault sends instead, if this push carries a channel's updates.
    let channel_too_long = channel_of(&push.updates).map(|channel_id| {
        let mut refs = present::Refs::default();
        refs.peer(Peer::Channel(channel_id));
        let viewer = match push.target {
            Target::User(user) => user,
            _ => 0,
        };
        refs.updates(
            state,
            viewer,
            vec![types::UpdateChannelTooLong {
                channel_id,
                pts: None,
            }
            .into()],
            unix_now(),
        )
        .to_bytes()
    });
    log::trace!(
        "push for {:?} to {} live sessions",
        push.target,
        rt.sessions.len()
    );
    let wanted = |key: (i64, i64), session: &LiveSession| {
        let target = match push.target {
            Target::User(user) => state
                .authorizations
                .get(&session.perm_key)
                .is_some_and(|auth| auth.user_id == user),
            Target::Key(perm_key) => session.perm_key == perm_key,
            Target::Caller => key == caller,
        };
        // The caller's own session learns of its call from the answer.
        target && (key != caller || push.target == Target::Caller)
    };
    // Sends to one wanted session; `false` if it is gone.
    let send = |key: (i64, i64), session: &LiveSession| {
        if let Some(instead) = &channel_too_long {
            if faults.take_channel_too_long() {
                log::info!("fault: updateChannelTooLong instead of a channel push");
                return session.feed.send(instead.clone());
            }
        }
        let payload = match faults.take_push_fault() {
            PushFault::Deliver => bytes.clone(),
            PushFault::TooLong => enums::Updates::TooLong.to_bytes(),
            PushFault::Drop => {
                log::info!("fault: dropped an update for {:?}", push.target);
                return true;
            }
            PushFault::Duplicate => {
                log::info!("fault: pushing an update twice to {:?}", push.target);
                let _ = session.feed.send(bytes.clone());
                bytes.clone()
            }
            PushFault::Delay(delay) => {
                log::info!(
                    "fault: holding an update for {:?} back {delay:?}",
                    push.target
                );
                let feed = session.feed.clone();
                let late = bytes.clone();
                // A thread, not a task: the backend also runs without a tokio runtime.
                std::thread::spawn(move || {
                    std::thread::sleep(delay);
                    let _ = feed.send(late);
                });
                return true;
            }
        };
        log::trace!("pushed to session {key:?}");
        session.feed.send(payload)
    };
    let Runtime {
        sessions, by_user, ..
    } = rt;
    match push.target {
        // Only the user's sessions, not every live one: a push per message sent, to a server
        // with many clients connected.
        Target::User(user) => {
            let index = by_user.get_or_insert_with(|| sessions_by_user(state, sessions));
            let Some(keys) = index.get_mut(&user) else {
                return;
            };
            // Entries of sessions gone or signed out since the index was built drop out here.
            keys.retain(|key| {
                let Some(session) = sessions.get(key) else {
                    return false;
                };
                let signed_in = state
                    .authorizations
                    .get(&session.perm_key)
                    .is_some_and(|auth| auth.user_id == user);
                if !signed_in {
                    return false;
                }
                if !wanted(*key, session) {
                    return true;
                }
                // A closed receiver means the connection is gone: forget the session.
                if send(*key, session) {
                    return true;
                }
                sessions.remove(key);
                false
            });
        }
        Target::Key(_) | Target::Caller => {
            sessions.retain(|&key, session| !wanted(key, session) || send(key, session));
        }
    }
}

/// The live sessions of each signed-in user (see [`Runtime::by_user`]).
fn sessions_by_user(
    state: &State,
    sessions: &HashMap<(i64, i64), LiveSession>,
) -> HashMap<i64, Vec<(i64, i64)>> {
    let mut index: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for (&key, session) in sessions {
        if let Some(auth) = state.authorizations.get(&session.perm_key) {
            index.entry(auth.user_id).or_default().push(key);
        }
    }
    index
}
