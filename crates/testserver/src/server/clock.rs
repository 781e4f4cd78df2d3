//! The server's notion of "now": the wall clock, shifted by the clock-skew fault.
//!
//! The protocol core takes time as an argument (msg_ids encode Unix time), so skewing the server
//! is a matter of handing it a shifted instant: clients then see msg_ids from the wrong time and
//! must correct their offset from `bad_msg_notification` 16/17 or the server's msg_ids.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tgwire_mtproto::Instant;

use crate::faults::Faults;

/// The wall clock plus the injected skew.
pub(crate) fn server_now(faults: &Faults) -> Instant {
    shifted(SystemTime::now(), faults.clock_skew_secs())
}

fn shifted(at: SystemTime, skew_secs: i64) -> Instant {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or_default();
    let skew = Duration::from_secs(skew_secs.unsigned_abs());
    let since = if skew_secs >= 0 {
        since.saturating_add(skew)
    } else {
        since.saturating_sub(skew)
    };
    Instant::from_unix_duration(since)
}

/// How long from `now` until `then` (zero if already past).
pub(crate) fn until(now: Instant, then: Instant) -> Duration {
    Duration::from_nanos(then.unix_nanos().saturating_sub(now.unix_nanos()))
}

/// `now` as whole Unix seconds.
pub(crate) fn unix_secs(now: Instant) -> i64 {
    i64::try_from(now.unix_secs()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skew_moves_the_clock_both_ways() {
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(shifted(at, 0).unix_secs(), 1_700_000_000);
        assert_eq!(shifted(at, 90).unix_secs(), 1_700_000_090);
        assert_eq!(shifted(at, -90).unix_secs(), 1_699_999_910);
        assert_eq!(shifted(UNIX_EPOCH, -5).unix_secs(), 0);
        let now = shifted(at, 0);
        assert_eq!(until(now, shifted(at, 2)), Duration::from_secs(2));
        assert_eq!(until(shifted(at, 2), now), Duration::ZERO);
    }
}
