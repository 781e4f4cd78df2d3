//! When to try again after a connection is lost: exponential backoff with jitter.
//!
//! Pure arithmetic over an injected random generator, so tests fix the sequence.

use std::time::Duration;

use rand::Rng;

/// How a sender reconnects after losing its connection.
///
/// The delay before attempt `n` (from 1) is `min(max, initial · 2^(n-1))`, of which a random
/// fraction up to `jitter` is taken off so that many clients cut off at once do not come back
/// in lockstep. The count restarts once a connection has delivered a packet that decrypts; a
/// connection that opens but fails before that (a broken proxy, a server answering garbage)
/// counts as a failed attempt, so the delays keep growing and `max_attempts` applies.
#[derive(Debug, Clone)]
pub struct ReconnectPolicy {
    /// Delay before the first attempt.
    pub initial: Duration,
    /// Longest delay.
    pub max: Duration,
    /// Fraction of the delay (0.0..=1.0) that may randomly be taken off.
    pub jitter: f64,
    /// Give up after this many consecutive failed attempts (`None`: never).
    pub max_attempts: Option<u32>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            jitter: 0.5,
            max_attempts: None,
        }
    }
}

/// The running state of a [`ReconnectPolicy`] (the policy itself is the caller's, shared by
/// every connection of a pool rather than copied into each).
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    failures: u32,
}

impl Backoff {
    /// The link worked: the next loss starts from the initial delay again.
    pub(crate) fn reset(&mut self) {
        self.failures = 0;
    }

    /// How many attempts failed in a row.
    pub(crate) fn attempt(&self) -> u32 {
        self.failures
    }

    /// Records a failure and returns how long to wait before the next attempt, or `None` when
    /// the policy's attempts are used up.
    pub(crate) fn next_delay(
        &mut self,
        policy: &ReconnectPolicy,
        rng: &mut impl Rng,
    ) -> Option<Duration> {
        self.failures = self.failures.saturating_add(1);
        if policy.max_attempts.is_some_and(|max| self.failures > max) {
            return None;
        }
        let doublings = (self.failures - 1).min(32);
        let full = policy
            .initial
            .saturating_mul(1u32 << doublings.min(31))
            .min(policy.max);
        let jitter = policy.jitter.clamp(0.0, 1.0);
        let cut: f64 = if jitter > 0.0 {
            rng.gen_range(0.0..=jitter)
        } else {
            0.0
        };
        Some(full.mul_f64(1.0 - cut))
    }
}

#[cfg(test)]
mod tests {
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    use super::*;

    fn policy(jitter: f64, max_attempts: Option<u32>) -> ReconnectPolicy {
        ReconnectPolicy {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(2),
            jitter,
            max_attempts,
        }
    }

    #[test]
    fn doubles_up_to_the_cap_without_jitter() {
        let mut rng = StdRng::seed_from_u64(1);
        let p = policy(0.0, None);
        let mut b = Backoff::default();
        let delays: Vec<u64> = (0..8)
            .map(|_| b.next_delay(&p, &mut rng).unwrap().as_millis() as u64)
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
        b.reset();
        assert_eq!(b.next_delay(&p, &mut rng), Some(Duration::from_millis(100)));
    }

    #[test]
    fn jitter_stays_in_range_and_varies() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen = Vec::new();
        let p = policy(0.5, None);
        for _ in 0..50 {
            let mut b = Backoff::default();
            b.next_delay(&p, &mut rng);
            b.next_delay(&p, &mut rng);
            let d = b.next_delay(&p, &mut rng).unwrap();
            assert!(
                d >= Duration::from_millis(200) && d <= Duration::from_millis(400),
                "{d:?}"
            );
            seen.push(d);
        }
        seen.sort();
        seen.dedup();
        assert!(seen.len() > 10, "jitter should spread the delays: {seen:?}");
    }

    #[test]
    fn the_same_seed_gives_the_same_delays() {
        let run = |seed| {
            let mut rng = StdRng::seed_from_u64(seed);
            let p = policy(1.0, None);
            let mut b = Backoff::default();
            (0..6)
                .map(|_| b.next_delay(&p, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(3), run(3));
        assert_ne!(run(3), run(4));
    }

    #[test]
    fn gives_up_after_max_attempts() {
        let mut rng = StdRng::seed_from_u64(1);
        let p = policy(0.0, Some(2));
        let mut b = Backoff::default();
        assert!(b.next_delay(&p, &mut rng).is_some());
        assert!(b.next_delay(&p, &mut rng).is_some());
        assert_eq!(b.next_delay(&p, &mut rng), None);
        assert_eq!(b.attempt(), 3);
    }
}
