//! Fault injection: make the server misbehave on purpose, from tests or the command line.
//!
//! A [`Faults`] handle is shared (cheaply cloned) between whoever sets faults — a test, the
//! `--fault` command-line option — and the two halves of the server that honour them:
//!
//! - the backend ([`crate::backend`]) answers `420 FLOOD_WAIT_X` and `303 *_MIGRATE_X` for named
//!   methods, skips pushing updates (their pts still advance, so clients see a gap and must call
//!   `updates.getDifference`), replaces pushed updates with `updatesTooLong`, pushes updates
//!   twice (clients must skip the copy), holds updates back so later ones overtake them
//!   (clients must wait for the late one rather than fetch a difference at once) and replaces
//!   a channel's updates with `updateChannelTooLong`;
//! - the protocol side reads [`Faults::should_disconnect`], [`Faults::answer_delay`],
//!   [`Faults::clock_skew_secs`] and [`Faults::take_salt_expiry`].
//!
//! Method faults are counted: each armed fault fires for the next `times` calls of that method
//! (any DC, any session) and then disarms itself, so a client that retries after the fault
//! eventually succeeds. Method names are TL names such as `messages.sendMessage`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Which `*_MIGRATE_X` error a migrate fault answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MigrateKind {
    /// `PHONE_MIGRATE_X`: the phone number lives on another DC.
    Phone,
    /// `USER_MIGRATE_X`: the account lives on another DC.
    User,
    /// `NETWORK_MIGRATE_X`: the DC wants the client elsewhere.
    Network,
    /// `FILE_MIGRATE_X`: the file lives on another DC.
    File,
}

impl MigrateKind {
    /// The error-name prefix, e.g. `PHONE_MIGRATE`.
    pub fn error_prefix(self) -> &'static str {
        match self {
            MigrateKind::Phone => "PHONE_MIGRATE",
            MigrateKind::User => "USER_MIGRATE",
            MigrateKind::Network => "NETWORK_MIGRATE",
            MigrateKind::File => "FILE_MIGRATE",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_uppercase().as_str() {
            "PHONE" => Some(MigrateKind::Phone),
            "USER" => Some(MigrateKind::User),
            "NETWORK" => Some(MigrateKind::Network),
            "FILE" => Some(MigrateKind::File),
            _ => None,
        }
    }
}

/// A fault the backend answers a call with instead of running it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RpcFault {
    pub(crate) code: i32,
    pub(crate) message: String,
}

/// What to do with the next update the backend would push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PushFault {
    /// Push it.
    Deliver,
    /// Skip it (its pts was still used).
    Drop,
    /// Push `updatesTooLong` instead.
    TooLong,
    /// Push it twice.
    Duplicate,
    /// Push it after this long (later pushes overtake it).
    Delay(Duration),
}

#[derive(Clone, Debug)]
struct Armed<T> {
    what: T,
    remaining: u32,
}

/// The mutable fault settings behind a [`Faults`] handle.
#[derive(Debug, Default)]
pub struct FaultState {
    flood: HashMap<String, Armed<u32>>,
    migrate: HashMap<String, Armed<(MigrateKind, i32)>>,
    errors: HashMap<String, Armed<RpcFault>>,
    disconnect_after: Option<u32>,
    delay: Option<Duration>,
    drop_updates: u32,
    updates_too_long: u32,
    duplicate_updates: u32,
    delay_updates: Option<Armed<Duration>>,
    channel_too_long: u32,
    clock_skew: i64,
    expire_salts: bool,
    expire_file_references: bool,
    cdn_reupload: u32,
    cdn_corrupt: Vec<u64>,
    hold_until_rebind: HashMap<String, Armed<()>>,
}

/// A shared, cloneable handle on the server's injected faults. `Default` has none armed.
#[derive(Clone, Default, Debug)]
pub struct Faults(Arc<Mutex<FaultState>>);

/// A `--fault` specification that could not be understood.
#[non_exhaustive]
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FaultSpecError {
    /// The fault's name is not one of the known kinds.
    #[error("unknown fault kind {0:?} (expected flood, migrate, error, disconnect-after, delay-ms, drop-updates, updates-too-long, duplicate-updates, delay-updates, channel-too-long, clock-skew, expire-salts or expire-file-references)")]
    UnknownKind(String),
    /// A field is missing or not a number / migrate kind.
    #[error("bad fault {spec:?}: {reason}")]
    BadField {
        /// The whole specification.
        spec: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}

impl Faults {
    /// A handle with no fault armed.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, FaultState> {
        // A panic while holding this lock cannot leave the plain counters inconsistent.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The next call of `method` answers `420 FLOOD_WAIT_<secs>`.
    pub fn flood_wait(&self, method: &str, secs: u32) {
        self.flood_wait_times(method, secs, 1);
    }

    /// The next `times` calls of `method` answer `420 FLOOD_WAIT_<secs>`.
    pub fn flood_wait_times(&self, method: &str, secs: u32, times: u32) {
        self.lock().flood.insert(
            method.to_owned(),
            Armed {
                what: secs,
                remaining: times,
            },
        );
    }

    /// The next call of `method` answers `303 <KIND>_MIGRATE_<dc>`.
    pub fn migrate(&self, method: &str, kind: MigrateKind, dc: i32) {
        self.migrate_times(method, kind, dc, 1);
    }

    /// The next `times` calls of `method` answer `303 <KIND>_MIGRATE_<dc>`.
    pub fn migrate_times(&self, method: &str, kind: MigrateKind, dc: i32, times: u32) {
        self.lock().migrate.insert(
            method.to_owned(),
            Armed {
                what: (kind, dc),
                remaining: times,
            },
        );
    }

    /// The next `times` calls of `method` answer `code message` (e.g. `500
    /// INTERNAL_SERVER_ERROR`, to see a client retry).
    pub fn rpc_error_times(&self, method: &str, code: i32, message: &str, times: u32) {
        self.lock().errors.insert(
            method.to_owned(),
            Armed {
                what: RpcFault {
                    code,
                    message: message.to_owned(),
                },
                remaining: times,
            },
        );
    }

    /// How many more calls of `method` an error armed with [`Faults::rpc_error_times`] will
    /// answer (0 once it fired that often).
    pub fn rpc_errors_left(&self, method: &str) -> u32 {
        self.lock()
            .errors
            .get(method)
            .map_or(0, |armed| armed.remaining)
    }

    /// The next `times` calls of `method` made under a temporary key are held, unanswered,
    /// until another `auth.bindTempAuthKey` succeeds, and then run under their key as it is
    /// then. When the new binding is for the same permanent key, their key lost its binding
    /// meanwhile (Telegram keeps one temporary key per permanent key), so they are refused
    /// `401 AUTH_KEY_PERM_EMPTY`: a call still out on one connection while another connection
    /// of the client binds the next key.
    pub fn hold_until_rebind(&self, method: &str, times: u32) {
        self.lock().hold_until_rebind.insert(
            method.to_owned(),
            Armed {
                what: (),
                remaining: times,
            },
        );
    }

    /// How many more calls of `method` [`Faults::hold_until_rebind`] will hold.
    pub fn rebind_holds_left(&self, method: &str) -> u32 {
        self.lock()
            .hold_until_rebind
            .get(method)
            .map_or(0, |armed| armed.remaining)
    }

    /// Protocol side: whether any call is to be held until a rebinding.
    pub(crate) fn rebind_holds_armed(&self) -> bool {
        !self.lock().hold_until_rebind.is_empty()
    }

    /// Protocol side: whether this call of `method` is to be held until a rebinding (consuming
    /// one use of the fault).
    pub(crate) fn take_rebind_hold(&self, method: &str) -> bool {
        take_armed(&mut self.lock().hold_until_rebind, method).is_some()
    }

    /// The next connection that is about to send something is dropped instead.
    pub fn disconnect_now(&self) {
        self.disconnect_after(0);
    }

    /// A connection is dropped after `n` more messages have been sent (counted over all
    /// connections); see [`Faults::should_disconnect`].
    pub fn disconnect_after(&self, n: u32) {
        self.lock().disconnect_after = Some(n);
    }

    /// Every answer is held back for `delay` before being sent; `Duration::ZERO` turns it off.
    pub fn delay_answers(&self, delay: Duration) {
        self.lock().delay = (!delay.is_zero()).then_some(delay);
    }

    /// The next `n` updates the backend would push are skipped (their pts is still consumed,
    /// creating a gap the client must fill with `updates.getDifference`).
    pub fn drop_updates(&self, n: u32) {
        self.lock().drop_updates = n;
    }

    /// The next update the backend would push is replaced by `updatesTooLong`.
    pub fn updates_too_long(&self) {
        self.lock().updates_too_long += 1;
    }

    /// The next `n` pushes carrying a channel's updates are replaced by
    /// `updateChannelTooLong` for that channel, as Telegram does when it will not push a
    /// channel's backlog: the client must fetch it with `updates.getChannelDifference`.
    pub fn channel_too_long(&self, n: u32) {
        self.lock().channel_too_long = n;
    }

    /// Backend: `true` (consuming one) if the next push of a channel's updates is to be
    /// replaced by `updateChannelTooLong`.
    pub(crate) fn take_channel_too_long(&self) -> bool {
        let mut state = self.lock();
        if state.channel_too_long > 0 {
            state.channel_too_long -= 1;
            true
        } else {
            false
        }
    }

    /// The next `n` updates the backend would push are pushed twice (the copy carries the same
    /// pts, so a client must recognise it as already applied).
    pub fn duplicate_updates(&self, n: u32) {
        self.lock().duplicate_updates = n;
    }

    /// The next `n` updates the backend would push are held back for `delay` each, so updates
    /// pushed meanwhile overtake them: the client sees a pts gap that the late update then
    /// fills. (Held updates of a session that closes meanwhile are lost, as on a real network.)
    pub fn delay_updates(&self, n: u32, delay: Duration) {
        self.lock().delay_updates = (n > 0).then_some(Armed {
            what: delay,
            remaining: n,
        });
    }

    /// The server's clock (msg_ids, `date` fields sent by the protocol side) runs `secs` off.
    pub fn clock_skew(&self, secs: i64) {
        self.lock().clock_skew = secs;
    }

    /// The current salts are treated as expired once (clients get `bad_server_salt`).
    pub fn expire_salts(&self) {
        self.lock().expire_salts = true;
    }

    /// Disarms every fault.
    pub fn clear(&self) {
        *self.lock() = FaultState::default();
    }

    /// Protocol side: call once per message about to be sent; `true` means drop the
    /// connection now instead (the countdown of [`Faults::disconnect_after`] reached zero).
    pub fn should_disconnect(&self) -> bool {
        let mut state = self.lock();
        match state.disconnect_after {
            Some(0) => {
                state.disconnect_after = None;
                true
            }
            Some(n) => {
                state.disconnect_after = Some(n - 1);
                false
            }
            None => false,
        }
    }

    /// Protocol side: how long to hold back each answer, if at all.
    pub fn answer_delay(&self) -> Option<Duration> {
        self.lock().delay
    }

    /// Protocol side: seconds to add to the server's clock.
    pub fn clock_skew_secs(&self) -> i64 {
        self.lock().clock_skew
    }

    /// Every stored photo and document gets a new file reference when the next
    /// `upload.getFile` arrives, so that request (and any other with an old reference) answers
    /// `FILE_REFERENCE_EXPIRED` until the client fetches the media again.
    pub fn expire_file_references(&self) {
        self.lock().expire_file_references = true;
    }

    /// Backend: `true` once after [`Faults::expire_file_references`].
    pub(crate) fn take_file_reference_expiry(&self) -> bool {
        std::mem::take(&mut self.lock().expire_file_references)
    }

    /// The CDN DC loses the next `times` CDN files asked for: `upload.getCdnFile` answers
    /// `upload.cdnFileReuploadNeeded` for such a file until the client calls
    /// `upload.reuploadCdnFile` on its master DC.
    pub fn cdn_reupload_needed(&self, times: u32) {
        self.lock().cdn_reupload += times;
    }

    /// The CDN DC's next answer to `upload.getCdnFile` whose range holds byte `offset` of the
    /// file has one byte flipped (after encryption, as a tampering CDN would), once.
    pub fn cdn_corrupt_at(&self, offset: u64) {
        self.lock().cdn_corrupt.push(offset);
    }

    /// Backend: `true` (consuming one) when a CDN file should be lost now.
    pub(crate) fn take_cdn_reupload(&self) -> bool {
        let mut state = self.lock();
        if state.cdn_reupload > 0 {
            state.cdn_reupload -= 1;
            return true;
        }
        false
    }

    /// Backend: the armed corruption offset within `start..end`, if any (consumed).
    pub(crate) fn take_cdn_corruption(&self, start: u64, end: u64) -> Option<u64> {
        let mut state = self.lock();
        let at = state
            .cdn_corrupt
            .iter()
            .position(|offset| (start..end).contains(offset))?;
        Some(state.cdn_corrupt.swap_remove(at))
    }

    /// Protocol side: `true` once after [`Faults::expire_salts`].
    pub fn take_salt_expiry(&self) -> bool {
        std::mem::take(&mut self.lock().expire_salts)
    }

    /// Backend: the error to answer a call of `method` with, consuming one use of it.
    pub(crate) fn take_rpc_fault(&self, method: &str) -> Option<RpcFault> {
        let mut state = self.lock();
        if let Some(secs) = take_armed(&mut state.flood, method) {
            return Some(RpcFault {
                code: 420,
                message: format!("FLOOD_WAIT_{secs}"),
            });
        }
        if let Some(fault) = take_armed(&mut state.errors, method) {
            return Some(fault);
        }
        take_armed(&mut state.migrate, method).map(|(kind, dc)| RpcFault {
            code: 303,
            message: format!("{}_{dc}", kind.error_prefix()),
        })
    }

    /// Backend: what to do with the next pushed update.
    pub(crate) fn take_push_fault(&self) -> PushFault {
        let mut state = self.lock();
        if state.updates_too_long > 0 {
            state.updates_too_long -= 1;
            PushFault::TooLong
        } else if state.drop_updates > 0 {
            state.drop_updates -= 1;
            PushFault::Drop
        } else if state.duplicate_updates > 0 {
            state.duplicate_updates -= 1;
            PushFault::Duplicate
        } else if let Some(armed) = &mut state.delay_updates {
            let delay = armed.what;
            armed.remaining -= 1;
            if armed.remaining == 0 {
                state.delay_updates = None;
            }
            PushFault::Delay(delay)
        } else {
            PushFault::Deliver
        }
    }

    /// Arms a fault from its command-line form:
    ///
    /// | spec | effect |
    /// |---|---|
    /// | `flood:METHOD:SECS[:TIMES]` | [`Faults::flood_wait_times`] |
    /// | `migrate:METHOD:PHONE\|USER\|NETWORK\|FILE:DC[:TIMES]` | [`Faults::migrate_times`] |
    /// | `error:METHOD:CODE:MESSAGE[:TIMES]` | [`Faults::rpc_error_times`] |
    /// | `disconnect-after:N` | [`Faults::disconnect_after`] |
    /// | `delay-ms:MS` | [`Faults::delay_answers`] |
    /// | `drop-updates:N` | [`Faults::drop_updates`] |
    /// | `updates-too-long` | [`Faults::updates_too_long`] |
    /// | `duplicate-updates:N` | [`Faults::duplicate_updates`] |
    /// | `delay-updates:N:MS` | [`Faults::delay_updates`] |
    /// | `channel-too-long:N` | [`Faults::channel_too_long`] |
    /// | `clock-skew:SECS` | [`Faults::clock_skew`] |
    /// | `expire-salts` | [`Faults::expire_salts`] |
    /// | `expire-file-references` | [`Faults::expire_file_references`] |
    ///
    /// ```
    /// use tgwire_testserver::faults::Faults;
    /// let faults = Faults::new();
    /// faults.apply_spec("flood:messages.sendMessage:7").unwrap();
    /// assert!(faults.apply_spec("flood:messages.sendMessage:soon").is_err());
    /// ```
    pub fn apply_spec(&self, spec: &str) -> Result<(), FaultSpecError> {
        let fields: Vec<&str> = spec.split(':').collect();
        let bad = |reason| FaultSpecError::BadField {
            spec: spec.to_owned(),
            reason,
        };
        let number = |index: usize, reason| -> Result<i64, FaultSpecError> {
            fields
                .get(index)
                .and_then(|field| field.parse().ok())
                .ok_or_else(|| bad(reason))
        };
        let count = |index: usize| -> Result<u32, FaultSpecError> {
            match fields.get(index) {
                None => Ok(1),
                Some(field) => field.parse().map_err(|_| bad("TIMES is not a count")),
            }
        };
        let method = || -> Result<&str, FaultSpecError> {
            fields
                .get(1)
                .copied()
                .filter(|name| !name.is_empty())
                .ok_or_else(|| bad("missing METHOD"))
        };
        let fits_u32 = |value: i64, reason| u32::try_from(value).map_err(|_| bad(reason));
        match fields.first().copied().unwrap_or_default() {
            "flood" => {
                let secs = fits_u32(number(2, "SECS is not a number")?, "SECS out of range")?;
                self.flood_wait_times(method()?, secs, count(3)?);
            }
            "migrate" => {
                let kind = fields
                    .get(2)
                    .and_then(|kind| MigrateKind::parse(kind))
                    .ok_or_else(|| bad("kind must be PHONE, USER, NETWORK or FILE"))?;
                let dc = i32::try_from(number(3, "DC is not a number")?)
                    .map_err(|_| bad("DC out of range"))?;
                self.migrate_times(method()?, kind, dc, count(4)?);
            }
            "error" => {
                let code = i32::try_from(number(2, "CODE is not a number")?)
                    .map_err(|_| bad("CODE out of range"))?;
                let message = fields
                    .get(3)
                    .copied()
                    .filter(|m| !m.is_empty())
                    .ok_or_else(|| bad("missing MESSAGE"))?;
                self.rpc_error_times(method()?, code, message, count(4)?);
            }
            "disconnect-after" => {
                self.disconnect_after(fits_u32(number(1, "N is not a number")?, "N out of range")?)
            }
            "delay-ms" => {
                let ms = fits_u32(number(1, "MS is not a number")?, "MS out of range")?;
                self.delay_answers(Duration::from_millis(u64::from(ms)));
            }
            "drop-updates" => {
                self.drop_updates(fits_u32(number(1, "N is not a number")?, "N out of range")?)
            }
            "updates-too-long" => self.updates_too_long(),
            "duplicate-updates" => {
                self.duplicate_updates(fits_u32(number(1, "N is not a number")?, "N out of range")?)
            }
            "channel-too-long" => {
                self.channel_too_long(fits_u32(number(1, "N is not a number")?, "N out of range")?)
            }
            "delay-updates" => {
                let n = fits_u32(number(1, "N is not a number")?, "N out of range")?;
                let ms = fits_u32(number(2, "MS is not a number")?, "MS out of range")?;
                self.delay_updates(n, Duration::from_millis(u64::from(ms)));
            }
            "clock-skew" => self.clock_skew(number(1, "SECS is not a number")?),
            "expire-salts" => self.expire_salts(),
            "expire-file-references" => self.expire_file_references(),
            other => return Err(FaultSpecError::UnknownKind(other.to_owned())),
        }
        Ok(())
    }
}

fn take_armed<T: Clone>(map: &mut HashMap<String, Armed<T>>, method: &str) -> Option<T> {
    let armed = map.get_mut(method)?;
    let what = armed.what.clone();
    armed.remaining = armed.remaining.saturating_sub(1);
    if armed.remaining == 0 {
        map.remove(method);
    }
    Some(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn method_faults_fire_the_armed_number_of_times() {
        let faults = Faults::new();
        faults.flood_wait_times("messages.sendMessage", 3, 2);
        let flood = Some(RpcFault {
            code: 420,
            message: "FLOOD_WAIT_3".into(),
        });
        assert_eq!(faults.take_rpc_fault("messages.getHistory"), None);
        assert_eq!(faults.take_rpc_fault("messages.sendMessage"), flood);
        assert_eq!(faults.take_rpc_fault("messages.sendMessage"), flood);
        assert_eq!(faults.take_rpc_fault("messages.sendMessage"), None);

        faults.migrate("auth.sendCode", MigrateKind::Phone, 3);
        assert_eq!(
            faults.take_rpc_fault("auth.sendCode"),
            Some(RpcFault {
                code: 303,
                message: "PHONE_MIGRATE_3".into()
            })
        );
        assert_eq!(faults.take_rpc_fault("auth.sendCode"), None);
    }

    #[test]
    fn disconnect_counts_down_then_disarms() {
        let faults = Faults::new();
        faults.disconnect_after(2);
        assert!(!faults.should_disconnect());
        assert!(!faults.should_disconnect());
        assert!(faults.should_disconnect());
        assert!(!faults.should_disconnect());
    }

    #[test]
    fn push_faults_too_long_before_drops() {
        let faults = Faults::new();
        faults.drop_updates(1);
        faults.updates_too_long();
        assert_eq!(faults.take_push_fault(), PushFault::TooLong);
        assert_eq!(faults.take_push_fault(), PushFault::Drop);
        assert_eq!(faults.take_push_fault(), PushFault::Deliver);

        faults.apply_spec("duplicate-updates:1").unwrap();
        faults.apply_spec("delay-updates:2:150").unwrap();
        assert_eq!(faults.take_push_fault(), PushFault::Duplicate);
        let delayed = PushFault::Delay(Duration::from_millis(150));
        assert_eq!(faults.take_push_fault(), delayed);
        assert_eq!(faults.take_push_fault(), delayed);
        assert_eq!(faults.take_push_fault(), PushFault::Deliver);
        assert!(faults.apply_spec("delay-updates:2").is_err());
    }

    #[test]
    fn specs_parse_or_fail_clearly() {
        let faults = Faults::new();
        faults
            .apply_spec("migrate:help.getConfig:user:2:3")
            .unwrap();
        for _ in 0..3 {
            assert_eq!(
                faults.take_rpc_fault("help.getConfig").map(|f| f.message),
                Some("USER_MIGRATE_2".into())
            );
        }
        assert_eq!(faults.take_rpc_fault("help.getConfig"), None);

        faults
            .apply_spec("error:upload.saveFilePart:500:INTERNAL_SERVER_ERROR:2")
            .unwrap();
        assert_eq!(faults.rpc_errors_left("upload.saveFilePart"), 2);
        assert_eq!(
            faults.take_rpc_fault("upload.saveFilePart"),
            Some(RpcFault {
                code: 500,
                message: "INTERNAL_SERVER_ERROR".into()
            })
        );
        assert_eq!(faults.rpc_errors_left("upload.saveFilePart"), 1);
        assert!(faults.apply_spec("error:upload.saveFilePart:500").is_err());

        faults.apply_spec("expire-file-references").unwrap();
        assert!(faults.take_file_reference_expiry());
        assert!(!faults.take_file_reference_expiry());

        faults.apply_spec("delay-ms:250").unwrap();
        assert_eq!(faults.answer_delay(), Some(Duration::from_millis(250)));
        faults.apply_spec("clock-skew:-30").unwrap();
        assert_eq!(faults.clock_skew_secs(), -30);
        faults.apply_spec("expire-salts").unwrap();
        assert!(faults.take_salt_expiry());
        assert!(!faults.take_salt_expiry());

        assert!(matches!(
            faults.apply_spec("explode"),
            Err(FaultSpecError::UnknownKind(_))
        ));
        assert!(matches!(
            faults.apply_spec("migrate:auth.sendCode:sideways:2"),
            Err(FaultSpecError::BadField { .. })
        ));
        assert!(matches!(
            faults.apply_spec("flood::5"),
            Err(FaultSpecError::BadField { .. })
        ));
        assert!(matches!(
            faults.apply_spec("drop-updates:-1"),
            Err(FaultSpecError::BadField { .. })
        ));
    }
}
