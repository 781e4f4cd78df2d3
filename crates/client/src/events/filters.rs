//! The filters builders share: a set of chats (or users), resolved once at registration; a
//! regular expression; a predicate; and the chat list plus predicate most builders have
//! ([`ChatFilters`], whose builder methods [`chat_filter_methods!`] writes).

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use super::sealed::Prepare;
use crate::{Client, InvocationError, PeerQuery};

/// A set of peers given as any [`PeerQuery`], resolved to Bot API ids when the handler is
/// registered, so that matching an update is a set look-up.
#[derive(Clone, Debug, Default)]
pub(crate) struct PeerFilter {
    queries: Vec<PeerQuery>,
    ids: Option<HashSet<i64>>,
}

impl PeerFilter {
    /// Adds peers to the set (a set was asked for even when `peers` is empty: it then
    /// matches nothing, or everything as a blacklist).
    pub(crate) fn extend<I, P>(&mut self, peers: I)
    where
        I: IntoIterator<Item = P>,
        P: Into<PeerQuery>,
    {
        self.queries.extend(peers.into_iter().map(Into::into));
        self.ids.get_or_insert_with(HashSet::new);
    }

    /// Turns every query into a Bot API id.
    pub(crate) async fn resolve(&mut self, client: &Client) -> Result<(), InvocationError> {
        let Some(ids) = self.ids.as_mut() else {
            return Ok(());
        };
        for query in self.queries.drain(..) {
            let id = match query {
                // An id needs no look-up: updates name chats by id.
                PeerQuery::Id(id) => id,
                PeerQuery::Ref(peer) => peer.bot_api_id(),
                PeerQuery::Text(text) => match text.trim().parse::<i64>() {
                    Ok(id) => id,
                    Err(_) => client.resolve(text).await?.bot_api_id(),
                },
            };
            ids.insert(id);
        }
        Ok(())
    }

    /// Whether `id` is in the set; `None` when no set was asked for.
    pub(crate) fn contains(&self, id: Option<i64>) -> Option<bool> {
        let ids = self.ids.as_ref()?;
        Some(id.is_some_and(|id| ids.contains(&id)))
    }
}

/// The chat filter every builder has: only (or, as a blacklist, all but) some chats.
#[derive(Clone, Debug, Default)]
pub(crate) struct ChatFilter {
    pub(crate) chats: PeerFilter,
    pub(crate) blacklist: bool,
}

impl ChatFilter {
    /// Whether an event in chat `id` (`None`: unknown) passes.
    pub(crate) fn passes(&self, id: Option<i64>) -> bool {
        match self.chats.contains(id) {
            None => true,
            Some(listed) => listed != self.blacklist,
        }
    }
}

/// A regular expression given as text: a bad one is reported when the handler is registered.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pattern {
    regex: Option<Arc<regex::Regex>>,
    error: Option<String>,
}

impl Pattern {
    pub(crate) fn set(&mut self, pattern: &str) {
        match regex::Regex::new(pattern) {
            Ok(regex) => {
                self.regex = Some(Arc::new(regex));
                self.error = None;
            }
            Err(e) => {
                self.regex = None;
                self.error = Some(format!("bad pattern {pattern:?}: {e}"));
            }
        }
    }

    pub(crate) fn set_regex(&mut self, regex: regex::Regex) {
        self.regex = Some(Arc::new(regex));
        self.error = None;
    }

    pub(crate) fn error(&self) -> Option<String> {
        self.error.clone()
    }

    pub(crate) fn regex(&self) -> Option<&Arc<regex::Regex>> {
        self.regex.as_ref()
    }

    /// Whether `text` matches (always, without a pattern).
    pub(crate) fn passes(&self, text: &str) -> bool {
        self.regex.as_ref().is_none_or(|re| re.is_match(text))
    }
}

/// A predicate over an event (Telethon's `func`).
pub(crate) struct Predicate<E>(Option<Arc<PredicateFn<E>>>);

type PredicateFn<E> = dyn Fn(&E) -> bool + Send + Sync;

impl<E> Predicate<E> {
    pub(crate) fn set(&mut self, f: impl Fn(&E) -> bool + Send + Sync + 'static) {
        self.0 = Some(Arc::new(f));
    }

    pub(crate) fn passes(&self, event: &E) -> bool {
        self.0.as_ref().is_none_or(|f| f(event))
    }
}

impl<E> Default for Predicate<E> {
    fn default() -> Self {
        Predicate(None)
    }
}

impl<E> Clone for Predicate<E> {
    fn clone(&self) -> Self {
        Predicate(self.0.clone())
    }
}

impl<E> fmt::Debug for Predicate<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Some(<predicate>)"
        } else {
            "None"
        })
    }
}

/// What most builders filter on: the chat (only some, or all but some) and a predicate over
/// the event. The builders' `chats`, `blacklist_chats` and `filter` methods come from
/// [`chat_filter_methods!`]; their `build` checks [`chat_passes`](Self::chat_passes) before
/// making the event and [`check`](Self::check) after.
pub(crate) struct ChatFilters<E> {
    pub(crate) chat: ChatFilter,
    pub(crate) predicate: Predicate<E>,
}

impl<E> ChatFilters<E> {
    /// Whether an event in chat `id` (`None`: unknown) passes the chat filter.
    pub(crate) fn chat_passes(&self, id: Option<i64>) -> bool {
        self.chat.passes(id)
    }

    /// `event`, if the predicate lets it through.
    pub(crate) fn check(&self, event: E) -> Option<E> {
        self.predicate.passes(&event).then_some(event)
    }

    /// The chats to resolve when the handler is registered.
    pub(crate) fn prepare(&mut self) -> Prepare<'_> {
        Prepare {
            peers: vec![&mut self.chat.chats],
            error: None,
        }
    }
}

impl<E> Default for ChatFilters<E> {
    fn default() -> Self {
        ChatFilters {
            chat: ChatFilter::default(),
            predicate: Predicate::default(),
        }
    }
}

impl<E> Clone for ChatFilters<E> {
    fn clone(&self) -> Self {
        ChatFilters {
            chat: self.chat.clone(),
            predicate: self.predicate.clone(),
        }
    }
}

impl<E> fmt::Debug for ChatFilters<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatFilters")
            .field("chat", &self.chat)
            .field("predicate", &self.predicate)
            .finish()
    }
}

/// The `chats`, `blacklist_chats` and `filter` builder methods over a `filters:
/// ChatFilters<$event>` field; `$chats_doc` is the first line of `chats`' docs.
macro_rules! chat_filter_methods {
    ($event:ty, $chats_doc:literal) => {
        #[doc = $chats_doc]
        pub fn chats<I, P>(mut self, chats: I) -> Self
        where
            I: IntoIterator<Item = P>,
            P: Into<$crate::PeerQuery>,
        {
            self.filters.chat.chats.extend(chats);
            self
        }

        /// With `true`, [`chats`](Self::chats) lists the chats to ignore instead.
        pub fn blacklist_chats(mut self, blacklist: bool) -> Self {
            self.filters.chat.blacklist = blacklist;
            self
        }

        /// Only events for which `predicate` returns `true`.
        pub fn filter(
            mut self,
            predicate: impl Fn(&$event) -> bool + Send + Sync + 'static,
        ) -> Self {
            self.filters.predicate.set(predicate);
            self
        }
    };
}
pub(crate) use chat_filter_methods;
