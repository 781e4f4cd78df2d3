//! One `pts`/`qts` sequence: apply in order, drop what was applied, hold what comes early.
//!
//! The rule (core.telegram.org/api/updates): with the local position `local` and an update that
//! covers `(pts - count, pts]`,
//! - `local + count == pts`: apply it, `local = pts`;
//! - `local + count > pts`: it was applied already, drop it;
//! - `local + count < pts`: updates are missing. Hold it; if the missing ones do not arrive
//!   within a short wait (the spec suggests 0.5 s), fetch the difference.
//!
//! `qts` works the same with `count` 1.

use std::sync::Arc;
use std::time::Instant;

use tgwire_tl_types::enums;

use super::peers::Peers;

/// An update waiting in (or offered to) a box. `update` is `None` for a position-only entry: an
/// answer to the client's own request (`updateShortSentMessage`, `messages.affectedMessages`)
/// advances the box without anything to hand out.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) pts: i32,
    pub(crate) count: i32,
    pub(crate) update: Option<enums::Update>,
    pub(crate) peers: Arc<Peers>,
}

impl Entry {
    fn start(&self) -> i32 {
        self.pts.saturating_sub(self.count)
    }
}

/// Where a box stands on fetching its difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fetch {
    /// Not fetching.
    Idle,
    /// A fetch should be sent (see `Engine::poll_request`).
    Wanted,
    /// A fetch was handed to the driver and has not been answered.
    InFlight,
    /// The last fetch failed; try again at this time.
    RetryAt(Instant),
}

impl Fetch {
    pub(crate) fn busy(self) -> bool {
        self != Fetch::Idle
    }
}

/// What offering an entry did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Offered {
    /// Applied (and so were this many held entries after it).
    Applied { released: usize },
    /// Already applied before: dropped.
    Duplicate,
    /// Early: held. `new_gap` is true when this opened the gap (the wait starts now).
    Held { new_gap: bool },
}

/// One sequence's position and the entries that arrived early.
#[derive(Debug)]
pub(crate) struct PtsBox {
    /// The local position; `None` while unknown (a channel never seen, or the common box before
    /// the first state arrived).
    pub(crate) pts: Option<i32>,
    /// Entries waiting for the ones before them.
    pub(crate) held: Vec<Entry>,
    /// When the current gap's wait ends.
    pub(crate) gap_deadline: Option<Instant>,
    pub(crate) fetch: Fetch,
    /// Channels: poll again at this time (the server's `timeout` in a channel difference).
    pub(crate) poll_at: Option<Instant>,
    /// The server's last `timeout` for this box, in seconds.
    pub(crate) poll_secs: Option<u32>,
    /// Channels: the highest message id handed out (so that `channelDifferenceTooLong` does not
    /// hand out again what already was).
    pub(crate) max_message_id: i32,
}

impl PtsBox {
    pub(crate) fn new(pts: Option<i32>) -> Self {
        PtsBox {
            pts,
            held: Vec::new(),
            gap_deadline: None,
            fetch: Fetch::Idle,
            poll_at: None,
            poll_secs: None,
            max_message_id: 0,
        }
    }

    /// Offers `entry`; applied entries (it and any held ones it unblocks) are passed to `apply`
    /// in order. With an unknown position (a channel never seen) entries are held for one gap
    /// wait, so that one overtaken by a later one is not taken for a duplicate; then
    /// [`PtsBox::adopt_held`] starts the box from the earliest of them.
    pub(crate) fn offer(
        &mut self,
        entry: Entry,
        now: Instant,
        wait: std::time::Duration,
        apply: &mut impl FnMut(&mut PtsBox, Entry),
    ) -> Offered {
        let Some(local) = self.pts else {
            self.held.push(entry);
            let new_gap = self.gap_deadline.is_none();
            if new_gap {
                self.gap_deadline = Some(now + wait);
            }
            return Offered::Held { new_gap };
        };
        let expected = local.saturating_add(entry.count);
        if expected == entry.pts {
            self.pts = Some(entry.pts);
            apply(self, entry);
            let released = self.release(apply);
            Offered::Applied { released }
        } else if expected > entry.pts {
            Offered::Duplicate
        } else {
            self.held.push(entry);
            let new_gap = self.gap_deadline.is_none();
            if new_gap {
                self.gap_deadline = Some(now + wait);
            }
            Offered::Held { new_gap }
        }
    }

    /// Applies held entries that now follow the local position, drops held duplicates, and
    /// ends the gap when nothing is held any more. Returns how many were applied.
    pub(crate) fn release(&mut self, apply: &mut impl FnMut(&mut PtsBox, Entry)) -> usize {
        let mut released = 0;
        if self.held.is_empty() {
            self.gap_deadline = None;
            return 0;
        }
        // Earliest first; stable, so entries at the same place keep their arrival order.
        self.held.sort_by_key(Entry::start);
        let mut rest = Vec::new();
        let held = std::mem::take(&mut self.held);
        for entry in held {
            let Some(local) = self.pts else {
                rest.push(entry);
                continue;
            };
            let expected = local.saturating_add(entry.count);
            if expected == entry.pts {
                self.pts = Some(entry.pts);
                apply(self, entry);
                released += 1;
            } else if expected < entry.pts {
                rest.push(entry);
            }
            // else: a duplicate, dropped.
        }
        self.held = rest;
        if self.held.is_empty() {
            self.gap_deadline = None;
        }
        released
    }

    /// For a box whose position is unknown: takes the earliest held entry's start as the
    /// position (nothing before it can be known to be missing) and returns whether there was
    /// anything to start from. The held entries are then re-offered by the caller.
    pub(crate) fn adopt_held(&mut self) -> bool {
        if self.pts.is_some() {
            return false;
        }
        match self.held.iter().map(Entry::start).min() {
            Some(start) => {
                self.pts = Some(start);
                true
            }
            None => false,
        }
    }

    /// Takes every held entry (when the box is given up on, or re-offered after a fetch).
    pub(crate) fn take_held(&mut self) -> Vec<Entry> {
        self.gap_deadline = None;
        let mut held = std::mem::take(&mut self.held);
        held.sort_by_key(Entry::start);
        held
    }
}
