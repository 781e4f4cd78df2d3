//! tgwire: an async Telegram client.
//!
//! Connect with [`Client::builder`], sign in (bot token, phone code, two-step password, QR
//! code), find peers by username, link, phone or id, and send, edit, delete, forward, pin and
//! page through messages and dialogs. [`Client::invoke`] calls any function of the API layer
//! [`tl::LAYER`] directly ("raw API") with the same conveniences: short flood waits are slept
//! through, `*_MIGRATE_X` errors are followed, and every user and chat an answer mentions lands
//! in the session's peer cache.
//!
//! # Design
//!
//! ```text
//!  your tasks ──▶ Client (Arc, cheap Clone) ──invoke──▶ tgwire-net Pool ──▶ one Sender per DC
//!                   │   flood sleep / migrate / cache                         (tokio task
//!                   ▼                                                          driving the
//!             tgwire-session Storage ◀── auth keys, home DC, peers             sans-IO core)
//!             (reads in memory; writes via spawn_blocking)
//! ```
//!
//! The friendly layer ([`User`], [`Group`], [`Channel`], [`Chat`], [`Message`], [`Dialog`])
//! wraps the raw TL objects without hiding them (`raw()` on each). Formatted text is parsed into
//! entities with UTF-16 offsets by [`text`]. Files move in parallel parts
//! ([`Client::upload_file`], [`Client::send_file`], [`Client::download_media`],
//! [`Client::iter_download`]; guide: `docs/files.md`). Updates are handed out gap-free by
//! [`Client::updates`] (see [`updates`]) and as typed events to handlers registered with
//! [`Client::add_event_handler`] (see [`events`]; guide: `docs/updates.md`).
//!
//! Telethon's `utils` conveniences (links, phone numbers, `Input*` conversions) are in
//! [`utils`]; with the feature `blocking`, `tgwire::blocking` is the same client without async.
//! The user guide (`docs/README.md`) explains the concepts chapter by chapter.
//!
//! # Not here (yet)
//!
//! CDN downloads, secret chats and calls.
//!
//! # Example
//!
//! The quick start (`cargo run --example quickstart`) runs this against the bundled test
//! server; with your own `api_id` it is the same against Telegram:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures_util::TryStreamExt;
//! use tgwire::{Client, InputMessage};
//!
//! # let server = tgwire_testserver::TestServer::start(Default::default()).await?;
//! # let mut builder = Client::builder(1, "hash").rsa_key(server.rsa_public_key().clone());
//! # for dc in server.dcs() {
//! #     builder = builder.dc_addr(dc.id, format!("{}:{}", dc.host, dc.port).parse()?);
//! # }
//! let client = builder.in_memory().connect().await?;
//! let token = client.request_login_code("+9996621234").await?;
//! let me = client.sign_in(&token, "22222").await?;
//! println!("signed in as {}", me.full_name());
//!
//! let sent = client
//!     .send_message("me", InputMessage::markdown("**Hello** from _tgwire_ 👋"))
//!     .await?;
//! assert_eq!(sent.text(), "Hello from tgwire 👋");
//!
//! let history: Vec<_> = client.iter_messages("me").limit(10).try_collect().await?;
//! assert_eq!(history[0].id(), sent.id());
//! # client.disconnect().await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod auth;
#[cfg(feature = "blocking")]
pub mod blocking;
mod bot_commands;
mod bots;
mod chats;
mod client;
mod conversation;
mod error;
pub mod events;
mod files;
mod iter;
mod messages;
mod peers;
pub mod text;
mod types;
pub mod updates;
pub mod utils;

pub use auth::{LoginToken, PasswordToken, QrLogin};
pub use bot_commands::{BotCommand, CommandScope};
pub use bots::{
    Button, CallbackAnswer, Click, ForceReply, InlineAnswer, InlineButton, InlineResult,
    InlineResults, InputInlineResult, Keyboard, MessageButton, ReplyButton, ReplyMarkup,
};
pub use chats::{
    ActionGuard, AdminLogAction, AdminLogEvent, AdminLogFilter, AdminLogIter, AdminRights,
    ChannelStats, ChatAction, CreateChannel, EditAdmin, EditPermissions, ExportInvite, FullChat,
    FullUser, Graph, InviteImporter, InviteImporters, InviteLink, InvitePreview, MessageStats,
    Participant, ParticipantFilter, ParticipantIter, ParticipantList, ParticipantPermissions,
    Permissions, ProfilePhotoIter, RawStats, Role, StatValue, Takeout, TakeoutBuilder,
    TakeoutError,
};
pub use client::{Client, ClientBuilder, ConnectionStateWatch, PRODUCTION_DCS};
pub use conversation::{
    Conversation, ConversationBuilder, ConversationError, Step, DEFAULT_MAX_MESSAGES,
    DEFAULT_STEP_TIMEOUT,
};
pub use error::{error_names, InvocationError, KnownError, RpcError, SignInError};
pub use files::{
    stripped_to_jpeg, Download, DownloadIter, DownloadTarget, Downloadable, FileError, FileId,
    FileIdError, FileIdLocation, FileLocation, FileType, InputMedia, PhotoSource, Upload,
    UploadedFile,
};
pub use iter::{DialogIter, MessageIter};
pub use messages::InputMessage;
pub use peers::PeerQuery;
pub use types::chat::{
    input_channel, input_peer, input_user, peer_bot_api_id, Channel, Chat, Group, GroupRaw, User,
};
pub use types::dialog::Dialog;
pub use types::message::{MediaKind, Message};

/// The session layer: storages and peer references.
pub use tgwire_session as session;
pub use tgwire_session::{MemoryStorage, PeerRef, SqliteStorage, Storage, StringSession};

/// The raw API: every TL type and function of the current layer.
pub use tgwire_tl_types as tl;

/// A TL `string` field from a public `impl Into<String>` argument (the public API takes `String`s;
/// the raw types hold [`TlString`](tgwire_tl_types::TlString)s).
pub(crate) fn tl_string(text: impl Into<String>) -> tgwire_tl_types::TlString {
    text.into().into()
}

/// Connection-level types: transports, proxies and the connection state.
pub mod net {
    pub use tgwire_net::{
        ConnectionState, Credentials, DisconnectReason, Framing, MtProxySecret, Proxy, ProxyLink,
        TransportKind,
    };
}

/// The user guide, `docs/client.md`, included so that `cargo test` compiles its examples.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/client.md")]
pub struct ClientGuide;

/// The chapters of the user guide (`docs/`), included so that `cargo test --doc` compiles and
/// runs every example in them.
#[cfg(doctest)]
pub mod guide {
    #[doc = include_str!("../../../docs/installing.md")]
    pub struct Installing;
    #[doc = include_str!("../../../docs/quickstart.md")]
    pub struct Quickstart;
    #[doc = include_str!("../../../docs/raw-api.md")]
    pub struct RawApi;
    #[doc = include_str!("../../../docs/errors.md")]
    pub struct Errors;
    #[doc = include_str!("../../../docs/peers.md")]
    pub struct Peers;
    #[doc = include_str!("../../../docs/async.md")]
    pub struct Async;
    #[doc = include_str!("../../../docs/debugging.md")]
    pub struct Debugging;
    #[doc = include_str!("../../../docs/bot-api.md")]
    pub struct BotApi;
    #[doc = include_str!("../../../docs/faq.md")]
    pub struct Faq;
}
