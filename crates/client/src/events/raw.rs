//! [`Raw`]: every update as the engine hands it out.

use tgwire_tl_types::enums;

use super::filters::Predicate;
use super::sealed::{Item, Prepare, Sealed};
use super::EventBuilder;
use crate::updates::RawUpdate;
use crate::Client;

/// Every update, untyped, as a [`RawUpdate`] (the update and the users and chats that came
/// with it).
///
/// ```
/// use tgwire::events::Raw;
/// use tgwire::tl::enums::Update;
///
/// // Only status changes.
/// let builder = Raw::new().filter(|u| matches!(u, Update::UserStatus(_)));
/// # let _ = builder;
/// ```
#[derive(Clone, Debug, Default)]
pub struct Raw {
    predicate: Predicate<enums::Update>,
}

impl Raw {
    /// Every update.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only updates for which `predicate` returns `true` (Telethon's `types` and `func`).
    pub fn filter(
        mut self,
        predicate: impl Fn(&enums::Update) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.predicate.set(predicate);
        self
    }
}

impl Sealed for Raw {}

impl EventBuilder for Raw {
    type Event = RawUpdate;

    fn name(&self) -> &'static str {
        "Raw"
    }

    fn build(&self, item: &Item, _client: &Client) -> Option<RawUpdate> {
        let Item::Update(update) = item else {
            return None;
        };
        self.predicate
            .passes(&update.update)
            .then(|| update.clone())
    }

    fn prepare(&mut self) -> Prepare<'_> {
        Prepare {
            peers: Vec::new(),
            error: None,
        }
    }
}
