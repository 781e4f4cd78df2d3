//! [`NewMessage`] and [`MessageEdited`]: messages as they arrive or change, as [`MessageEvent`]s.

use std::ops::Deref;
use std::sync::Arc;

use tgwire_tl_types::enums;

use super::filters::{ChatFilter, Pattern, PeerFilter, Predicate};
use super::sealed::{Item, Prepare, Sealed};
use super::EventBuilder;
use crate::updates::RawUpdate;
use crate::{Client, Message, PeerQuery};

/// A new or edited message, with everything [`Message`] has (the event derefs to it:
/// `event.text()`, `event.reply("…")`, `event.get_sender().await`, …).
#[derive(Clone, Debug)]
pub struct MessageEvent {
    message: Message,
    pattern: Option<Arc<regex::Regex>>,
    edit: bool,
}

impl MessageEvent {
    /// The message.
    pub fn message(&self) -> &Message {
        &self.message
    }

    /// The message, by value.
    pub fn into_message(self) -> Message {
        self.message
    }

    /// Whether this is an edit ([`MessageEdited`]) rather than a new message.
    pub fn is_edit(&self) -> bool {
        self.edit
    }

    /// The captures of the builder's `pattern` in the text (Telethon's `pattern_match`);
    /// `None` without a pattern.
    pub fn pattern_match(&self) -> Option<regex::Captures<'_>> {
        self.pattern.as_ref()?.captures(self.message.text())
    }
}

impl Deref for MessageEvent {
    type Target = Message;

    fn deref(&self) -> &Message {
        &self.message
    }
}

/// The filters [`NewMessage`] and [`MessageEdited`] share.
#[derive(Clone, Debug, Default)]
struct MessageFilters {
    chat: ChatFilter,
    /// `Some(true)`: only outgoing; `Some(false)`: only incoming.
    outgoing: Option<bool>,
    from_users: PeerFilter,
    forwards: Option<bool>,
    pattern: Pattern,
    predicate: Predicate<MessageEvent>,
}

impl MessageFilters {
    fn build(
        &self,
        raw: &enums::Message,
        update: &RawUpdate,
        client: &Client,
        edit: bool,
    ) -> Option<MessageEvent> {
        // Service messages are chat actions (ChatAction), not messages.
        let enums::Message::Message(m) = raw else {
            return None;
        };
        if self.outgoing.is_some_and(|out| out != m.out) {
            return None;
        }
        if self.forwards.is_some_and(|fwd| fwd != m.fwd_from.is_some()) {
            return None;
        }
        if !self.pattern.passes(&m.message) {
            return None;
        }
        let message = Message::new(client, raw.clone(), Arc::clone(&update.chats));
        if !self.chat.passes(message.chat_id()) {
            return None;
        }
        if self.from_users.contains(message.sender_id()) == Some(false) {
            return None;
        }
        let event = MessageEvent {
            message,
            pattern: self.pattern.regex().cloned(),
            edit,
        };
        self.predicate.passes(&event).then_some(event)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        Prepare {
            error: self.pattern.error(),
            peers: vec![&mut self.chat.chats, &mut self.from_users],
        }
    }
}

macro_rules! message_builder_methods {
    () => {
        /// Every message, in every chat, both directions.
        pub fn new() -> Self {
            Self::default()
        }

        /// Only messages others sent.
        pub fn incoming(mut self) -> Self {
            self.filters.outgoing = Some(false);
            self
        }

        /// Only messages the signed-in account sent (from any of its devices).
        pub fn outgoing(mut self) -> Self {
            self.filters.outgoing = Some(true);
            self
        }

        /// Only messages in these chats (anything [`PeerQuery`] takes: `"me"`, `"@name"`, an
        /// id, a [`Chat`](crate::Chat)…), resolved when the handler is registered. Adds to
        /// earlier calls.
        pub fn chats<I, P>(mut self, chats: I) -> Self
        where
            I: IntoIterator<Item = P>,
            P: Into<PeerQuery>,
        {
            self.filters.chat.chats.extend(chats);
            self
        }

        /// With `true`, [`chats`](Self::chats) lists the chats to ignore instead.
        pub fn blacklist_chats(mut self, blacklist: bool) -> Self {
            self.filters.chat.blacklist = blacklist;
            self
        }

        /// Only messages these users (or channels, for posts) sent. Adds to earlier calls.
        pub fn from_users<I, P>(mut self, users: I) -> Self
        where
            I: IntoIterator<Item = P>,
            P: Into<PeerQuery>,
        {
            self.filters.from_users.extend(users);
            self
        }

        /// `true`: only forwarded messages; `false`: only messages that are not forwards.
        pub fn forwards(mut self, forwards: bool) -> Self {
            self.filters.forwards = Some(forwards);
            self
        }

        /// Only messages whose text matches this regular expression (anywhere; anchor it with
        /// `^` for a prefix). The captures are in
        /// [`MessageEvent::pattern_match`]. A bad expression makes
        /// [`Client::add_event_handler`] fail.
        pub fn pattern(mut self, pattern: &str) -> Self {
            self.filters.pattern.set(pattern);
            self
        }

        /// As [`pattern`](Self::pattern), with a compiled expression.
        pub fn pattern_regex(mut self, pattern: regex::Regex) -> Self {
            self.filters.pattern.set_regex(pattern);
            self
        }

        /// Only events for which `predicate` returns `true` (Telethon's `func`); it runs after
        /// the other filters.
        pub fn filter(
            mut self,
            predicate: impl Fn(&MessageEvent) -> bool + Send + Sync + 'static,
        ) -> Self {
            self.filters.predicate.set(predicate);
            self
        }
    };
}

/// New messages (not service messages: those are [`ChatAction`](super::ChatAction)s), as
/// [`MessageEvent`]s.
///
/// ```no_run
/// # async fn f(client: tgwire::Client) -> Result<(), tgwire::InvocationError> {
/// use tgwire::events::NewMessage;
///
/// client
///     .add_event_handler(NewMessage::new().incoming().pattern(r"^/echo (.+)"), |event| async move {
///         let what = event.pattern_match().and_then(|m| m.get(1)).map_or("", |m| m.as_str()).to_owned();
///         event.reply(what).await.map(drop)
///     })
///     .await?;
/// client.run_until_disconnected().await
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct NewMessage {
    filters: MessageFilters,
}

impl NewMessage {
    message_builder_methods!();
}

impl Sealed for NewMessage {}

impl EventBuilder for NewMessage {
    type Event = MessageEvent;

    fn name(&self) -> &'static str {
        "NewMessage"
    }

    fn build(&self, item: &Item, client: &Client) -> Option<MessageEvent> {
        let Item::Update(update) = item else {
            return None;
        };
        let raw = new_message(&update.update)?;
        self.filters.build(raw, update, client, false)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        self.filters.prepare()
    }
}

/// Edited messages, as [`MessageEvent`]s (with the same filters as [`NewMessage`]).
#[derive(Clone, Debug, Default)]
pub struct MessageEdited {
    filters: MessageFilters,
}

impl MessageEdited {
    message_builder_methods!();
}

impl Sealed for MessageEdited {}

impl EventBuilder for MessageEdited {
    type Event = MessageEvent;

    fn name(&self) -> &'static str {
        "MessageEdited"
    }

    fn build(&self, item: &Item, client: &Client) -> Option<MessageEvent> {
        let Item::Update(update) = item else {
            return None;
        };
        let raw = match &update.update {
            enums::Update::EditMessage(u) => &u.message,
            enums::Update::EditChannelMessage(u) => &u.message,
            _ => return None,
        };
        self.filters.build(raw, update, client, true)
    }

    fn prepare(&mut self) -> Prepare<'_> {
        self.filters.prepare()
    }
}

/// The message a new-message update carries (any kind: message, service, empty).
pub(crate) fn new_message(update: &enums::Update) -> Option<&enums::Message> {
    match update {
        enums::Update::NewMessage(u) => Some(&u.message),
        enums::Update::NewChannelMessage(u) => Some(&u.message),
        _ => None,
    }
}
