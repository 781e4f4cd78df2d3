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
///
/// Every client has two (the common `pts` and the secondary `qts`) and one per channel it
/// hears from; what only a gap or a channel's polling needs is in [`Rare`], made when first
/// needed and dropped when empty (40 bytes a box instead of 104).
#[derive(Debug)]
pub(crate) struct PtsBox {
    /// The local position; `None` while unknown (a channel never seen, or the common box before
    /// the first state arrived).
    pub(crate) pts: Option<i32>,
    /// Channels: the highest message id handed out (so that `channelDifferenceTooLong` does not
    /// hand out again what already was).
    pub(crate) max_message_id: i32,
    pub(crate) fetch: Fetch,
    rare: Option<Box<Rare>>,
}

/// The parts of a [`PtsBox`] that are empty but in a gap or in a polled channel.
#[derive(Debug, Default)]
struct Rare {
    /// Entries waiting for the ones before them.
    held: Vec<Entry>,
    /// When the current gap's wait ends.
    gap_deadline: Option<Instant>,
    /// Channels: poll again at this time (the server's `timeout` in a channel difference).
    poll_at: Option<Instant>,
    /// The server's last `timeout` for this box, in seconds.
    poll_secs: Option<u32>,
}

impl Rare {
    fn is_empty(&self) -> bool {
        self.held.is_empty()
            && self.gap_deadline.is_none()
            && self.poll_at.is_none()
            && self.poll_secs.is_none()
    }
}

impl PtsBox {
    pub(crate) fn new(pts: Option<i32>) -> Self {
        PtsBox {
            pts,
            max_message_id: 0,
            fetch: Fetch::Idle,
            rare: None,
        }
    }

    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// Drops [`Rare`] once it holds nothing.
    fn tidy(&mut self) {
        if self.rare.as_ref().is_some_and(|r| r.is_empty()) {
            self.rare = None;
        }
    }

    /// When the current gap's wait ends, if there is a gap.
    pub(crate) fn gap_deadline(&self) -> Option<Instant> {
        self.rare.as_ref().and_then(|r| r.gap_deadline)
    }

    /// Channels: when to poll again, if the server asked to be polled.
    pub(crate) fn poll_at(&self) -> Option<Instant> {
        self.rare.as_ref().and_then(|r| r.poll_at)
    }

    /// Holds `entry` without looking at it (while the box fetches its difference).
    pub(crate) fn hold(&mut self, entry: Entry) {
        self.rare().held.push(entry);
    }

    /// Channels: the server's `timeout` (seconds, `None` or 0 for none) from a difference;
    /// polls again that long after `now`.
    pub(crate) fn set_poll(&mut self, timeout: Option<u32>, now: Instant) {
        let secs = timeout.filter(|t| *t > 0);
        if secs.is_none() && self.rare.is_none() {
            return;
        }
        let rare = self.rare();
        rare.poll_secs = secs;
        rare.poll_at = secs.map(|s| now + std::time::Duration::from_secs(u64::from(s)));
        self.tidy();
    }

    /// Channels: an update was applied; the next poll is the server's `timeout` after `now`.
    pub(crate) fn applied_at(&mut self, now: Instant) {
        if let Some(rare) = &mut self.rare {
            if let Some(secs) = rare.poll_secs {
                rare.poll_at = Some(now + std::time::Duration::from_secs(u64::from(secs)));
            }
        }
    }

    /// Channels: the poll is being made (no other until the server names the next).
    pub(crate) fn clear_poll_at(&mut self) {
        if let Some(rare) = &mut self.rare {
            rare.poll_at = None;
        }
        self.tidy();
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
            return Offered::Held {
                new_gap: self.hold_in_gap(entry, now + wait),
            };
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
            Offered::Held {
                new_gap: self.hold_in_gap(entry, now + wait),
            }
        }
    }

    /// Holds `entry` in a gap, starting the gap's wait (until `deadline`) if there was none;
    /// returns whether it started.
    fn hold_in_gap(&mut self, entry: Entry, deadline: Instant) -> bool {
        let rare = self.rare();
        rare.held.push(entry);
        let new_gap = rare.gap_deadline.is_none();
        if new_gap {
            rare.gap_deadline = Some(deadline);
        }
        new_gap
    }

    /// Applies held entries that now follow the local position, drops held duplicates, and
    /// ends the gap when nothing is held any more. Returns how many were applied.
    pub(crate) fn release(&mut self, apply: &mut impl FnMut(&mut PtsBox, Entry)) -> usize {
        let Some(rare) = &mut self.rare else {
            return 0;
        };
        if rare.held.is_empty() {
            rare.gap_deadline = None;
            self.tidy();
            return 0;
        }
        // Earliest first; stable, so entries at the same place keep their arrival order.
        rare.held.sort_by_key(Entry::start);
        let held = std::mem::take(&mut rare.held);
        let mut released = 0;
        let mut rest = Vec::new();
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
        let rare = self.rare();
        rare.held = rest;
        if rare.held.is_empty() {
            rare.gap_deadline = None;
        }
        self.tidy();
        released
    }

    /// For a box whose position is unknown: takes the earliest held entry's start as the
    /// position (nothing before it can be known to be missing) and returns whether there was
    /// anything to start from. The held entries are then re-offered by the caller.
    pub(crate) fn adopt_held(&mut self) -> bool {
        if self.pts.is_some() {
            return false;
        }
        let held = self.rare.as_ref().map_or(&[][..], |r| &r.held[..]);
        match held.iter().map(Entry::start).min() {
            Some(start) => {
                self.pts = Some(start);
                true
            }
            None => false,
        }
    }

    /// Takes every held entry (when the box is given up on, or re-offered after a fetch).
    pub(crate) fn take_held(&mut self) -> Vec<Entry> {
        let Some(rare) = &mut self.rare else {
            return Vec::new();
        };
        rare.gap_deadline = None;
        let mut held = std::mem::take(&mut rare.held);
        self.tidy();
        held.sort_by_key(Entry::start);
        held
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn entry(pts: i32) -> Entry {
        Entry {
            pts,
            count: 1,
            update: None,
            peers: Arc::default(),
        }
    }

    fn offer(b: &mut PtsBox, pts: i32, now: Instant) -> (Offered, Vec<i32>) {
        let mut applied = Vec::new();
        let offered = b.offer(entry(pts), now, Duration::from_millis(500), &mut |_, e| {
            applied.push(e.pts)
        });
        (offered, applied)
    }

    #[test]
    fn a_gap_keeps_its_parts_only_until_it_is_filled() {
        let now = Instant::now();
        let mut b = PtsBox::new(Some(10));
        assert_eq!(
            offer(&mut b, 11, now),
            (Offered::Applied { released: 0 }, vec![11])
        );
        assert!(b.rare.is_none(), "nothing rare in order");

        assert_eq!(
            offer(&mut b, 13, now),
            (Offered::Held { new_gap: true }, vec![])
        );
        assert_eq!(b.gap_deadline(), Some(now + Duration::from_millis(500)));
        assert_eq!(
            offer(&mut b, 14, now),
            (Offered::Held { new_gap: false }, vec![])
        );
        assert_eq!(
            offer(&mut b, 12, now),
            (Offered::Applied { released: 2 }, vec![12, 13, 14])
        );
        assert_eq!(b.pts, Some(14));
        assert_eq!(b.gap_deadline(), None);
        assert!(
            b.rare.is_none(),
            "the gap's parts are dropped once it is filled"
        );

        assert_eq!(
            offer(&mut b, 16, now),
            (Offered::Held { new_gap: true }, vec![])
        );
        let held: Vec<i32> = b.take_held().iter().map(|e| e.pts).collect();
        assert_eq!(held, [16]);
        assert!(b.rare.is_none(), "taking what was held ends the gap");
    }

    #[test]
    fn a_polled_channel_keeps_its_timeout_until_the_server_drops_it() {
        let now = Instant::now();
        let mut b = PtsBox::new(Some(1));
        b.set_poll(Some(0), now);
        assert!(b.rare.is_none(), "a zero timeout is no polling");
        b.set_poll(Some(30), now);
        assert_eq!(b.poll_at(), Some(now + Duration::from_secs(30)));
        b.clear_poll_at();
        assert_eq!(b.poll_at(), None);
        let later = now + Duration::from_secs(5);
        b.applied_at(later);
        assert_eq!(
            b.poll_at(),
            Some(later + Duration::from_secs(30)),
            "kept across a poll"
        );
        b.set_poll(None, later);
        assert_eq!(b.poll_at(), None);
        assert!(b.rare.is_none(), "dropped with the timeout");
    }

    #[test]
    fn a_box_is_five_words() {
        assert!(
            std::mem::size_of::<PtsBox>() <= 40,
            "{}",
            std::mem::size_of::<PtsBox>()
        );
    }
}
