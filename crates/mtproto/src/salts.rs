//! Server salts: the client's list of current and future salts, and the server's schedule.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One salt and the server-time window (Unix seconds) in which the server accepts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FutureSalt {
    /// First second the salt is valid.
    pub valid_since: i32,
    /// Last second the salt is valid.
    pub valid_until: i32,
    /// The salt.
    pub salt: i64,
}

/// The client's salts: the one in use plus those the server announced for later.
///
/// Salts overlap in validity, so the client moves to the newest salt that is already valid
/// rather than waiting for the current one to expire: a message in flight at the switch still
/// carries a salt the server accepts.
#[derive(Clone, Debug)]
pub(crate) struct Salts {
    current: i64,
    /// Sorted by `valid_since`; expired entries are dropped as time passes.
    future: Vec<FutureSalt>,
}

impl Salts {
    pub(crate) fn new(current: i64) -> Self {
        Self {
            current,
            future: Vec::new(),
        }
    }

    pub(crate) fn current(&self) -> i64 {
        self.current
    }

    /// Replaces the salt in use (from `bad_server_salt` or `new_session_created`).
    pub(crate) fn set_current(&mut self, salt: i64) {
        self.current = salt;
    }

    /// Merges a `future_salts` answer.
    pub(crate) fn add_future(&mut self, salts: &[FutureSalt]) {
        for s in salts {
            if !self
                .future
                .iter()
                .any(|f| f.salt == s.salt && f.valid_since == s.valid_since)
            {
                self.future.push(*s);
            }
        }
        self.future.sort_by_key(|s| s.valid_since);
        // Kept for hours: no spare room from growing one push at a time.
        self.future.shrink_to_fit();
    }

    /// Moves to the newest salt valid at `server_now`; returns the new salt if it changed.
    pub(crate) fn advance(&mut self, server_now: i64) -> Option<i64> {
        self.future
            .retain(|s| i64::from(s.valid_until) > server_now);
        let newest = self
            .future
            .iter()
            .rev()
            .find(|s| i64::from(s.valid_since) <= server_now)?;
        if newest.salt == self.current {
            return None;
        }
        self.current = newest.salt;
        Some(self.current)
    }

    /// Seconds of validity the known salts still cover, from `server_now`; `None` when no future
    /// salt is known (then the caller should ask for some).
    pub(crate) fn covered_until(&self) -> Option<i64> {
        self.future.iter().map(|s| i64::from(s.valid_until)).max()
    }

    #[cfg(test)]
    pub(crate) fn future_len(&self) -> usize {
        self.future.len()
    }
}

/// The server's salt schedule: salt `k` is valid during `[k * period, (k + 2) * period)`, so two
/// salts overlap at any time and a client that switches early never sends an expired one.
///
/// Salts are derived from a secret and the period number, so every connection of one server
/// agrees on them without shared state.
#[derive(Clone, Debug)]
pub struct SaltSchedule {
    secret: [u8; 32],
    period_secs: i64,
}

impl SaltSchedule {
    /// A schedule from a secret and a period (seconds; at least 1).
    pub fn new(secret: [u8; 32], period_secs: u32) -> Self {
        Self {
            secret,
            period_secs: i64::from(period_secs.max(1)),
        }
    }

    fn period_at(&self, server_now: i64) -> i64 {
        server_now.div_euclid(self.period_secs)
    }

    fn salt_of(&self, period: i64) -> i64 {
        let mut seed = self.secret;
        for (b, p) in seed.iter_mut().zip(period.to_le_bytes()) {
            *b ^= p;
        }
        StdRng::from_seed(seed).gen()
    }

    fn entry(&self, period: i64) -> FutureSalt {
        let clamp = |t: i64| i32::try_from(t).unwrap_or(if t < 0 { i32::MIN } else { i32::MAX });
        FutureSalt {
            valid_since: clamp(period.saturating_mul(self.period_secs)),
            valid_until: clamp(period.saturating_add(2).saturating_mul(self.period_secs)),
            salt: self.salt_of(period),
        }
    }

    /// The salt the server hands out at `server_now` (the newest valid one).
    pub fn current(&self, server_now: i64) -> i64 {
        self.salt_of(self.period_at(server_now))
    }

    /// Whether the server accepts `salt` at `server_now`.
    pub fn accepts(&self, salt: i64, server_now: i64) -> bool {
        let p = self.period_at(server_now);
        salt == self.salt_of(p) || salt == self.salt_of(p - 1)
    }

    /// `count` salts starting with the current one, for a `future_salts` answer.
    pub fn future(&self, server_now: i64, count: usize) -> Vec<FutureSalt> {
        let p = self.period_at(server_now);
        (0..count as i64).map(|i| self.entry(p + i)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_overlaps_and_rotates() {
        let s = SaltSchedule::new([7; 32], 3600);
        let t = 1_700_000_000;
        let now = s.current(t);
        assert!(s.accepts(now, t));
        assert!(
            s.accepts(now, t + 3600),
            "the previous period's salt is still accepted"
        );
        assert!(!s.accepts(now, t + 7200));
        assert_ne!(s.current(t + 3600), now);
        let list = s.future(t, 3);
        assert_eq!(list[0].salt, now);
        assert!(i64::from(list[0].valid_since) <= t && t < i64::from(list[0].valid_until));
        assert_eq!(list[1].valid_since, list[0].valid_since + 3600);
    }

    #[test]
    fn client_switches_to_newest_valid_salt() {
        let mut salts = Salts::new(1);
        salts.add_future(&[
            FutureSalt {
                valid_since: 100,
                valid_until: 300,
                salt: 2,
            },
            FutureSalt {
                valid_since: 200,
                valid_until: 400,
                salt: 3,
            },
        ]);
        assert_eq!(salts.advance(50), None);
        assert_eq!(salts.current(), 1);
        assert_eq!(salts.advance(150), Some(2));
        assert_eq!(salts.advance(250), Some(3));
        assert_eq!(salts.advance(350), None);
        assert_eq!(salts.future_len(), 1);
        assert_eq!(salts.covered_until(), Some(400));
        assert_eq!(salts.advance(400), None);
        assert_eq!(salts.covered_until(), None);
    }
}
