//! The core's notion of time: an instant supplied by the driver, never read from a clock here.

use std::ops::Add;
use std::time::Duration;

const NANOS_PER_SEC: u64 = 1_000_000_000;

/// A point in wall-clock time, in nanoseconds since the Unix epoch.
///
/// MTProto message identifiers encode Unix time, so the core needs wall-clock time rather than a
/// monotonic clock; using one type for both msg_ids and timers keeps the API to a single clock.
/// The driver reads its clock (`SystemTime::now()`) and passes the value in; tests pass a virtual
/// clock. The core never reads a clock itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The instant `nanos` nanoseconds after the Unix epoch.
    pub const fn from_unix_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// The instant `secs` seconds after the Unix epoch (saturating far in the future).
    pub const fn from_unix_secs(secs: u64) -> Self {
        Self(secs.saturating_mul(NANOS_PER_SEC))
    }

    /// The instant `since_epoch` after the Unix epoch, e.g. from
    /// `SystemTime::now().duration_since(UNIX_EPOCH)`.
    pub fn from_unix_duration(since_epoch: Duration) -> Self {
        Self(u64::try_from(since_epoch.as_nanos()).unwrap_or(u64::MAX))
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn unix_nanos(self) -> u64 {
        self.0
    }

    /// Whole seconds since the Unix epoch.
    pub const fn unix_secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }

    /// How long after `earlier` this instant is, or zero if it is not after it.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;

    /// Saturates instead of overflowing: a deadline centuries away is as good as never.
    fn add(self, rhs: Duration) -> Instant {
        let nanos = u64::try_from(rhs.as_nanos()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(nanos))
    }
}

/// An `Option<Instant>` in 8 bytes rather than 16 (a few of them sit in every session, and a
/// parked client's connections are idle sessions): the last nanosecond `u64` counts (in the
/// year 2554) stands for `None`, and an instant given for it is kept one nanosecond earlier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct MaybeInstant(u64);

impl MaybeInstant {
    pub(crate) const NONE: MaybeInstant = MaybeInstant(u64::MAX);

    pub(crate) const fn some(at: Instant) -> Self {
        Self(if at.0 == u64::MAX { u64::MAX - 1 } else { at.0 })
    }

    pub(crate) const fn get(self) -> Option<Instant> {
        if self.0 == u64::MAX {
            None
        } else {
            Some(Instant(self.0))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maybe_instant_keeps_every_instant_but_the_last() {
        assert_eq!(MaybeInstant::NONE.get(), None);
        for nanos in [0, 1, 1_700_000_000_000_000_000, u64::MAX - 1] {
            let at = Instant::from_unix_nanos(nanos);
            assert_eq!(MaybeInstant::some(at).get(), Some(at));
        }
        assert_eq!(
            MaybeInstant::some(Instant::from_unix_nanos(u64::MAX)).get(),
            Some(Instant::from_unix_nanos(u64::MAX - 1))
        );
        assert_eq!(std::mem::size_of::<MaybeInstant>(), 8);
    }

    #[test]
    fn conversions_round_trip() {
        let t = Instant::from_unix_secs(1_700_000_000) + Duration::from_millis(250);
        assert_eq!(t.unix_secs(), 1_700_000_000);
        assert_eq!(t.unix_nanos() % NANOS_PER_SEC, 250_000_000);
        assert_eq!(
            t.saturating_duration_since(Instant::from_unix_secs(1_700_000_000)),
            Duration::from_millis(250)
        );
        assert_eq!(
            Instant::from_unix_secs(1).saturating_duration_since(t),
            Duration::ZERO
        );
        assert_eq!(
            Instant::from_unix_nanos(u64::MAX) + Duration::from_secs(1),
            Instant(u64::MAX)
        );
    }
}
