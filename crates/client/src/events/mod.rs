//! Typed events and handlers, over the gap-free update stream ([`crate::updates`]).
//!
//! An *event builder* ([`NewMessage`], [`MessageEdited`], [`MessageDeleted`], [`MessageRead`],
//! [`ChatAction`], [`UserUpdate`], [`CallbackQuery`], [`InlineQuery`], [`Album`],
//! [`JoinRequest`], [`Raw`]) says which updates a handler wants, with its filters; it turns each matching
//! [`RawUpdate`](crate::updates::RawUpdate) into a typed event that has the accessors and
//! actions of the thing it is about (`reply`, `respond`, `delete`, `get_chat`, …).
//!
//! ```text
//!  engine ──▶ Hub ──▶ dispatcher ──▶ one queue per chat ──▶ handler 1 ─▶ handler 2 ─▶ …
//!                     (one task)     (one task while busy)    (each run in its own task,
//!                                                              in registration order)
//! ```
//!
//! Handlers are registered with [`Client::add_event_handler`](crate::Client::add_event_handler)
//! and run by a dispatcher that starts with the first one:
//! - one chat's updates reach the handlers one at a time, in the order the engine handed them
//!   out; different chats are handled concurrently;
//! - for one update the handlers run in registration order, and one that returns
//!   [`Propagation::Stop`] keeps it from the later ones;
//! - a handler that returns an error or panics is logged (`log::error!`) and the others, and
//!   later updates, go on (a panic is caught and ends only that run);
//! - the dispatcher waits for handlers that lag behind (at most [`IN_FLIGHT`] updates are queued
//!   at once), which slows the engine down instead of dropping updates.
//!
//! Users who prefer a loop use [`Client::updates`](crate::Client::updates) or
//! [`Client::stream_events`](crate::Client::stream_events) instead of handlers.
//!
//! [`CallbackQueryEvent`] and [`InlineQueryEvent`] answer their queries themselves (`answer`);
//! buttons, pressing them and asking bots inline are in the crate's bots API
//! ([`Button`](crate::Button), [`Message::click`](crate::Message::click),
//! [`Client::inline_query`](crate::Client::inline_query)).

mod album;
mod chat_action;
mod deleted;
pub(crate) mod dispatch;
mod filters;
mod join_request;
mod message;
mod query;
mod raw;
mod read;
mod user_update;

pub use album::{Album, AlbumEvent, ALBUM_WAIT};
pub use chat_action::{ChatAction, ChatActionEvent, ChatActionKind};
pub use deleted::{MessageDeleted, MessageDeletedEvent};
pub use dispatch::{EventStream, HandlerId, HandlerInfo, IN_FLIGHT};
pub use join_request::{JoinRequest, JoinRequestEvent};
pub use message::{MessageEdited, MessageEvent, NewMessage};
pub use query::{
    CallbackAnswerBuilder, CallbackQuery, CallbackQueryEvent, InlineQuery, InlineQueryEvent,
};
pub use raw::Raw;
pub use read::{MessageRead, MessageReadEvent};
pub use user_update::{UserUpdate, UserUpdateEvent};

/// The regular-expression crate the `pattern` filters use, for naming its types
/// ([`regex::Captures`]) without depending on it directly.
pub use regex;

pub(crate) use dispatch::Registry;
pub(crate) use sealed::Item;

use crate::Client;

/// Whether the handlers registered after this one see the update too.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Propagation {
    /// Let later handlers see it (the default).
    #[default]
    Continue,
    /// Keep it from later handlers (Telethon's `raise StopPropagation`).
    Stop,
}

/// What a handler may return: `()`, a [`Propagation`], or a `Result` of either with any error
/// that displays (`InvocationError`, `anyhow::Error`, `Box<dyn Error>`, …). Errors are logged.
pub trait HandlerOutput: Send + 'static {
    /// The outcome: how to go on, or the error to log.
    fn into_outcome(self) -> Result<Propagation, String>;
}

impl HandlerOutput for () {
    fn into_outcome(self) -> Result<Propagation, String> {
        Ok(Propagation::Continue)
    }
}

impl HandlerOutput for Propagation {
    fn into_outcome(self) -> Result<Propagation, String> {
        Ok(self)
    }
}

impl<T: HandlerOutput, E: std::fmt::Display + Send + 'static> HandlerOutput for Result<T, E> {
    fn into_outcome(self) -> Result<Propagation, String> {
        match self {
            Ok(out) => out.into_outcome(),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// A kind of event with its filters: turns the updates it wants into [`Self::Event`]s.
///
/// Implemented by the builders of this module only (the trait is sealed): [`NewMessage`],
/// [`MessageEdited`], [`MessageDeleted`], [`MessageRead`], [`ChatAction`], [`UserUpdate`],
/// [`CallbackQuery`], [`InlineQuery`], [`Album`], [`JoinRequest`], [`Raw`].
pub trait EventBuilder: sealed::Sealed + Send + Sync + 'static {
    /// The event handed to handlers.
    type Event: Send + 'static;

    /// The builder's name, as [`Client::list_event_handlers`](crate::Client::list_event_handlers)
    /// shows it.
    fn name(&self) -> &'static str;

    /// Builds the event for `item` if this builder wants it and its filters pass.
    #[doc(hidden)]
    fn build(&self, item: &sealed::Item, client: &Client) -> Option<Self::Event>;

    /// The chat filters to resolve before the first update, and a setting error (a bad
    /// pattern) to report at registration.
    #[doc(hidden)]
    fn prepare(&mut self) -> sealed::Prepare<'_>;

    /// Whether this builder wants gathered albums (only [`Album`]).
    #[doc(hidden)]
    fn wants_albums(&self) -> bool {
        false
    }
}

/// Items private to this module that the [`EventBuilder`] trait must name.
mod sealed {
    use std::sync::Arc;

    use super::filters::PeerFilter;
    use crate::updates::RawUpdate;
    use crate::Message;

    /// Keeps [`super::EventBuilder`] implemented by this crate only.
    pub trait Sealed {}

    /// What the dispatcher hands each builder.
    #[derive(Clone, Debug)]
    pub enum Item {
        /// An update the engine handed out.
        Update(RawUpdate),
        /// The messages of one album, gathered.
        Album(Arc<Vec<Message>>),
    }

    /// What a builder needs done before it can be used.
    #[derive(Debug)]
    pub struct Prepare<'a> {
        pub(crate) peers: Vec<&'a mut PeerFilter>,
        pub(crate) error: Option<String>,
    }
}

#[cfg(test)]
mod tests;

/// The guide's events part, `docs/updates.md`, included so that `cargo test` compiles (and
/// runs) its examples.
#[cfg(doctest)]
#[doc = include_str!("../../../../docs/updates.md")]
pub struct UpdatesGuide;
