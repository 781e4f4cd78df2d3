//! Message identifiers: time-based, strictly increasing, with the sender's role in the low bits.

use std::fmt;

use crate::time::Instant;

/// A message identifier: roughly `unixtime * 2^32`, unique and increasing within a session.
///
/// The two low bits tell who sent it: `0` for the client, `1` for a server response to a client
/// message and `3` for any other server message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MsgId(pub i64);

impl MsgId {
    /// The Unix time (seconds) the identifier encodes.
    pub const fn unix_secs(self) -> i64 {
        self.0 >> 32
    }

    /// Whether a client created this identifier (divisible by 4).
    pub const fn is_from_client(self) -> bool {
        self.0 & 3 == 0
    }

    /// Whether a server created this identifier (odd).
    pub const fn is_from_server(self) -> bool {
        self.0 & 1 == 1
    }
}

impl fmt::Display for MsgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#018x}", self.0)
    }
}

/// What kind of message a server-side identifier is for: the spec gives responses `≡ 1 (mod 4)`
/// and everything else (updates, service notices) `≡ 3 (mod 4)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdKind {
    /// A client message.
    Client,
    /// A server message answering a client message.
    ServerResponse,
    /// A server message sent on the server's own initiative.
    ServerOther,
}

/// Generates the identifiers of one sender, from the time it is given plus a clock correction.
#[derive(Clone, Debug)]
pub(crate) struct MsgIdGen {
    last: i64,
    /// Server time minus local time, in seconds.
    time_offset: i32,
}

impl MsgIdGen {
    pub(crate) fn new(time_offset: i32) -> Self {
        Self {
            last: 0,
            time_offset,
        }
    }

    pub(crate) fn time_offset(&self) -> i32 {
        self.time_offset
    }

    /// The peer's clock as we estimate it: local time plus the correction, in Unix seconds.
    pub(crate) fn corrected_secs(&self, now: Instant) -> i64 {
        i64::try_from(now.unix_secs())
            .unwrap_or(i64::MAX)
            .saturating_add(i64::from(self.time_offset))
    }

    /// Learns the clock correction from an identifier the peer generated "now". Returns
    /// whether the correction changed.
    ///
    /// Ids restart from the corrected clock: those generated with the wrong clock were refused
    /// by the peer, so keeping them as the floor would carry the error forward.
    /// Like [`Self::correct_from`], but for a clock found wrong while the peer still accepts
    /// our ids (they never go below the previous ones, see [`Self::next`]): the ids already
    /// sent were fine, so they stay the floor.
    pub(crate) fn resync_from(&mut self, now: Instant, peer_id: MsgId) -> bool {
        let last = self.last;
        let changed = self.correct_from(now, peer_id);
        self.last = last;
        changed
    }

    pub(crate) fn correct_from(&mut self, now: Instant, peer_id: MsgId) -> bool {
        let local = i64::try_from(now.unix_secs()).unwrap_or(i64::MAX);
        let offset = peer_id.unix_secs().saturating_sub(local);
        let offset = i32::try_from(offset).unwrap_or(if offset < 0 { i32::MIN } else { i32::MAX });
        let changed = offset != self.time_offset;
        if changed {
            self.time_offset = offset;
            self.last = 0;
        }
        changed
    }

    /// The next identifier: the corrected time in 32.32 fixed point, low bits set for `kind`,
    /// and bumped past the previous one when the clock has not moved (or moved backwards).
    pub(crate) fn next(&mut self, now: Instant, kind: IdKind) -> MsgId {
        let nanos = now.unix_nanos() % 1_000_000_000;
        let secs = self.corrected_secs(now);
        // Fraction of a second in units of 2^-32 s; fits in 32 bits since nanos < 10^9.
        let frac = ((u128::from(nanos) << 32) / 1_000_000_000) as i64;
        let low = match kind {
            IdKind::Client => 0,
            IdKind::ServerResponse => 1,
            IdKind::ServerOther => 3,
        };
        let mut id = (secs.wrapping_shl(32) | frac) & !3 | low;
        if id <= self.last {
            id = ((self.last & !3) + 4) | low;
        }
        self.last = id;
        MsgId(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn client_ids_are_divisible_by_four_and_increase() {
        let mut g = MsgIdGen::new(0);
        let now = Instant::from_unix_secs(1_700_000_000);
        let mut prev = MsgId(0);
        for i in 0..1000 {
            // The clock stands still for a while, then jumps back: ids must still increase.
            let t = if i < 500 {
                now
            } else {
                Instant::from_unix_secs(1_600_000_000)
            };
            let id = g.next(t, IdKind::Client);
            assert!(id.is_from_client());
            assert!(id > prev, "{id} after {prev}");
            prev = id;
        }
        assert!(g.next(now, IdKind::Client).unix_secs() >= 1_700_000_000);
    }

    #[test]
    fn server_ids_have_role_parity() {
        let mut g = MsgIdGen::new(0);
        let now = Instant::from_unix_secs(1_700_000_000) + Duration::from_millis(3);
        for _ in 0..100 {
            let r = g.next(now, IdKind::ServerResponse);
            let o = g.next(now, IdKind::ServerOther);
            assert_eq!(r.0 & 3, 1);
            assert_eq!(o.0 & 3, 3);
            assert!(o > r);
        }
    }

    #[test]
    fn id_encodes_corrected_time() {
        let now = Instant::from_unix_secs(1_700_000_000) + Duration::from_millis(500);
        let mut g = MsgIdGen::new(-3600);
        let id = g.next(now, IdKind::Client);
        assert_eq!(id.unix_secs(), 1_700_000_000 - 3600);
        // Half a second is 2^31 in the fraction.
        assert_eq!(id.0 & 0xffff_ffff, 1 << 31);
        let mut h = MsgIdGen::new(0);
        h.correct_from(now, id);
        assert_eq!(h.time_offset(), -3600);
    }

    #[test]
    fn spec_sample_msg_id_layout() {
        // core.telegram.org/mtproto/samples-auth_key: the req_pq_multi sample's msg_id bytes are
        // D4 72 06 00 50 3D C5 65 (little endian): unixtime 0x65C53D50 in the high word, a
        // fraction divisible by 4 in the low word. Ours for that second has the same shape.
        let sample = MsgId(i64::from_le_bytes([
            0xD4, 0x72, 0x06, 0x00, 0x50, 0x3D, 0xC5, 0x65,
        ]));
        assert!(sample.is_from_client());
        let mut g = MsgIdGen::new(0);
        let now = Instant::from_unix_nanos(0x65C5_3D50 * 1_000_000_000 + 98_397);
        let ours = g.next(now, IdKind::Client);
        assert_eq!(ours.unix_secs(), sample.unix_secs());
        // 98 397 ns is 422 611.9 units of 2^-32 s, rounded down to a multiple of 4.
        assert_eq!(ours.0 & 0xffff_ffff, 0x672D0);
        // The server's resPQ in the same sample: odd, a response (≡ 1 mod 4).
        let res_pq = MsgId(i64::from_le_bytes([
            0x01, 0xD8, 0x31, 0x75, 0x50, 0x3D, 0xC5, 0x65,
        ]));
        assert!(res_pq.is_from_server() && res_pq.0 & 3 == 1);
    }
}
