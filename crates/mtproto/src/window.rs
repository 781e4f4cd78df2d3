//! Which incoming msg_ids to accept: not too old, not too new, and never twice.

use std::collections::VecDeque;

use crate::msg_id::MsgId;

/// A message more than this many seconds older than the receiver's (corrected) clock is refused.
pub(crate) const MAX_PAST_SECS: i64 = 300;
/// A message more than this many seconds ahead of the receiver's (corrected) clock is refused.
pub(crate) const MAX_FUTURE_SECS: i64 = 30;

/// How an identifier relates to the receiver's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Freshness {
    Fresh,
    TooOld,
    TooNew,
}

pub(crate) fn freshness(id: MsgId, corrected_now_secs: i64) -> Freshness {
    let t = id.unix_secs();
    if t < corrected_now_secs.saturating_sub(MAX_PAST_SECS) {
        Freshness::TooOld
    } else if t > corrected_now_secs.saturating_add(MAX_FUTURE_SECS) {
        Freshness::TooNew
    } else {
        Freshness::Fresh
    }
}

/// Identifiers this many seconds older than the newest one are forgotten early: the freshness
/// check refuses anything older than [`MAX_PAST_SECS`] by the clock anyway, and keeping them
/// let a quiet connection's window grow by an id per ping, to its full capacity (8 KiB) in
/// about a day. Measured from the newest id (the sender's clock, not ours), so a clock
/// correction cannot readmit an id that was forgotten; twice the freshness limit.
pub(crate) const KEEP_SECS: i64 = 2 * MAX_PAST_SECS;

/// Why the window refused an identifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Already received.
    Duplicate,
    /// Lower than every remembered identifier while the window is full, or [`KEEP_SECS`] older
    /// than the newest: it may have been seen.
    Forgotten,
}

/// Answer to "did you receive this id?", in the terms of `msgs_state_info`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Known {
    /// Received.
    Received,
    /// Below the remembered range: nothing is known (status 1).
    Unknown,
    /// Within the remembered range but not received (status 2).
    NotReceived,
    /// Above everything received so far (status 3).
    NotYetReceived,
}

/// The identifiers of the last `capacity` messages received, as the spec prescribes: an id equal
/// to a stored one, or lower than all of them once the set is full, is ignored.
///
/// Kept sorted in a ring buffer: ids arrive nearly in order, so an insertion is an append, and
/// a quiet session's few ids take a small buffer rather than B-tree nodes.
#[derive(Clone, Debug)]
pub(crate) struct ReplayWindow {
    ids: VecDeque<i64>,
    capacity: usize,
}

impl ReplayWindow {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            ids: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    fn has(&self, id: i64) -> bool {
        self.ids.binary_search(&id).is_ok()
    }

    pub(crate) fn check(&self, id: MsgId) -> Result<(), Seen> {
        if self.has(id.0) {
            return Err(Seen::Duplicate);
        }
        if let Some(&newest) = self.ids.back() {
            if id.unix_secs() < MsgId(newest).unix_secs().saturating_sub(KEEP_SECS) {
                return Err(Seen::Forgotten);
            }
        }
        match self.ids.front() {
            Some(&lowest) if self.ids.len() >= self.capacity && id.0 < lowest => {
                Err(Seen::Forgotten)
            }
            _ => Ok(()),
        }
    }

    /// Records `id` (after [`Self::check`] passed), evicting the lowest when full.
    pub(crate) fn insert(&mut self, id: MsgId) {
        match self.ids.back() {
            Some(&newest) if newest >= id.0 => {
                if let Err(at) = self.ids.binary_search(&id.0) {
                    self.ids.insert(at, id.0);
                }
            }
            _ => self.ids.push_back(id.0),
        }
        while self.ids.len() > self.capacity {
            self.ids.pop_front();
        }
        let newest = self
            .ids
            .back()
            .map_or(id.unix_secs(), |&n| MsgId(n).unix_secs());
        let cutoff = newest.saturating_sub(KEEP_SECS);
        while let Some(&oldest) = self.ids.front() {
            if MsgId(oldest).unix_secs() >= cutoff {
                break;
            }
            self.ids.pop_front();
        }
    }

    /// The highest id recorded.
    pub(crate) fn newest(&self) -> Option<MsgId> {
        self.ids.back().copied().map(MsgId)
    }

    pub(crate) fn contains(&self, id: MsgId) -> bool {
        self.has(id.0)
    }

    pub(crate) fn known(&self, id: MsgId) -> Known {
        if self.has(id.0) {
            return Known::Received;
        }
        match (self.ids.front(), self.ids.back()) {
            (Some(&lo), _) if id.0 < lo => Known::Unknown,
            (_, Some(&hi)) if id.0 < hi => Known::NotReceived,
            _ => Known::NotYetReceived,
        }
    }

    pub(crate) fn clear(&mut self) {
        self.ids.clear();
    }

    /// Gives back the buffer's spare room (a burst's worth of ids may have grown it).
    pub(crate) fn shrink(&mut self) {
        self.ids.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_and_forgotten_ids_are_refused() {
        let mut w = ReplayWindow::new(3);
        for id in [10, 20, 30] {
            assert_eq!(w.check(MsgId(id)), Ok(()));
            w.insert(MsgId(id));
        }
        assert_eq!(w.check(MsgId(20)), Err(Seen::Duplicate));
        assert_eq!(w.check(MsgId(5)), Err(Seen::Forgotten));
        // Out of order but within the window is fine.
        assert_eq!(w.check(MsgId(25)), Ok(()));
        w.insert(MsgId(25));
        // 10 was evicted; now 15 is below everything remembered.
        assert_eq!(w.check(MsgId(15)), Err(Seen::Forgotten));
        assert_eq!(w.known(MsgId(15)), Known::Unknown);
        assert_eq!(w.known(MsgId(27)), Known::NotReceived);
        assert_eq!(w.known(MsgId(31)), Known::NotYetReceived);
        assert_eq!(w.known(MsgId(30)), Known::Received);
    }

    #[test]
    fn ids_out_of_order_stay_sorted_and_the_lowest_is_evicted() {
        let mut w = ReplayWindow::new(4);
        for id in [50, 10, 40, 20, 30] {
            assert_eq!(w.check(MsgId(id)), Ok(()), "{id}");
            w.insert(MsgId(id));
        }
        // 10 went when 30 came: the four highest are kept, in order.
        assert_eq!(w.ids, [20, 30, 40, 50]);
        assert_eq!(w.newest(), Some(MsgId(50)));
        assert_eq!(w.check(MsgId(40)), Err(Seen::Duplicate));
        assert_eq!(w.check(MsgId(10)), Err(Seen::Forgotten));
        assert_eq!(w.known(MsgId(35)), Known::NotReceived);
        w.insert(MsgId(40));
        assert_eq!(w.ids.len(), 4, "a repeated insert adds nothing");
    }

    /// A quiet session (a ping a minute) keeps the last ten minutes of ids, not a day's, and
    /// still refuses what it forgot.
    #[test]
    fn ids_older_than_the_keep_time_are_forgotten_and_stay_refused() {
        let mut w = ReplayWindow::new(1024);
        let at = |secs: i64, n: i64| MsgId((1_700_000_000 + secs) << 32 | n << 2 | 1);
        for minute in 0..24 * 60 {
            let id = at(minute * 60, 0);
            assert_eq!(w.check(id), Ok(()), "minute {minute}");
            w.insert(id);
        }
        let kept = (KEEP_SECS / 60 + 1) as usize;
        assert_eq!(w.ids.len(), kept, "ten minutes of ids");
        let newest = 24 * 60 * 60 - 60;
        // Forgotten by age: refused, whether seen (a replay) or not.
        assert_eq!(
            w.check(at(newest - KEEP_SECS - 60, 0)),
            Err(Seen::Forgotten)
        );
        assert_eq!(
            w.check(at(newest - KEEP_SECS - 30, 0)),
            Err(Seen::Forgotten)
        );
        assert_eq!(w.check(at(3600, 0)), Err(Seen::Forgotten));
        // Still remembered: a replay is a duplicate, a new id between them is fine.
        assert_eq!(w.check(at(newest - KEEP_SECS, 0)), Err(Seen::Duplicate));
        assert_eq!(w.check(at(newest - 30, 1)), Ok(()));
        assert_eq!(w.known(at(newest - 30, 1)), Known::NotReceived);
        // A new session starts from nothing.
        w.clear();
        assert_eq!(w.check(at(3600, 0)), Ok(()));
    }

    #[test]
    fn freshness_bounds_follow_the_spec() {
        let now = 1_700_000_000;
        let id = |s: i64| MsgId(s << 32);
        assert_eq!(freshness(id(now - 300), now), Freshness::Fresh);
        assert_eq!(freshness(id(now - 301), now), Freshness::TooOld);
        assert_eq!(freshness(id(now + 30), now), Freshness::Fresh);
        assert_eq!(freshness(id(now + 31), now), Freshness::TooNew);
    }
}
