//! Typed RPC errors: `rpc_error` split into code, name and numeric parameter.

use std::fmt;
use std::time::Duration;

mod known;

pub use known::{names, KnownError};

/// An error the server returned for a request (`rpc_error`).
///
/// Telegram puts a number into some error names (`FLOOD_WAIT_30`, `PHONE_MIGRATE_2`,
/// `FILE_PART_3_MISSING`). `name` is the message with that number taken out
/// (`FLOOD_WAIT`, `PHONE_MIGRATE`, `FILE_PART_MISSING`) and `value` holds the number, so callers
/// match on a fixed name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RpcError {
    /// The numeric code, similar to HTTP status codes (303, 400, 401, 420, 500, ...).
    pub code: i32,
    /// The error name without its numeric part.
    pub name: String,
    /// The number that was part of the name, if any.
    pub value: Option<u32>,
}

impl RpcError {
    /// Parses `error_message` as sent by the server.
    pub fn new(code: i32, message: &str) -> Self {
        let mut value = None;
        let mut parts = Vec::new();
        for (i, part) in message.split('_').enumerate() {
            // The first segment is never the parameter (`2FA_CONFIRM_WAIT_X` starts with digits).
            if i > 0
                && value.is_none()
                && !part.is_empty()
                && part.bytes().all(|b| b.is_ascii_digit())
            {
                if let Ok(v) = part.parse() {
                    value = Some(v);
                    continue;
                }
            }
            parts.push(part);
        }
        Self {
            code,
            name: parts.join("_"),
            value,
        }
    }

    /// The error as a [`KnownError`] (matchable, with its description), when Telegram is known
    /// to send this name; `None` for names the data file does not list (they still work through
    /// [`RpcError::name`] and [`RpcError::is`]).
    pub fn known(&self) -> Option<KnownError> {
        KnownError::from_name(&self.name)
    }

    /// What the error means, in a sentence, for known names.
    pub fn description(&self) -> Option<&'static str> {
        self.known().map(KnownError::description)
    }

    /// Whether the name is `name`, ignoring the numeric part: `err.is("FLOOD_WAIT")`.
    pub fn is(&self, name: &str) -> bool {
        self.name == name
    }

    /// How long to wait for `FLOOD_WAIT_X`, `FLOOD_PREMIUM_WAIT_X` and `SLOWMODE_WAIT_X`.
    pub fn wait(&self) -> Option<Duration> {
        match self.name.as_str() {
            "FLOOD_WAIT" | "FLOOD_PREMIUM_WAIT" | "SLOWMODE_WAIT" | "FLOOD_TEST_PHONE_WAIT" => {
                self.value.map(|v| Duration::from_secs(v.into()))
            }
            _ => None,
        }
    }

    /// The datacenter to move to for `*_MIGRATE_X` (`PHONE_MIGRATE`, `USER_MIGRATE`,
    /// `NETWORK_MIGRATE`, `FILE_MIGRATE`, `STATS_MIGRATE`).
    pub fn migrate_to(&self) -> Option<u32> {
        if self.code == 303 || self.name.ends_with("_MIGRATE") {
            self.value.filter(|_| self.name.ends_with("_MIGRATE"))
        } else {
            None
        }
    }
}

impl fmt::Display for RpcError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rpc error {}: {}", self.code, self.name)?;
        if let Some(v) = self.value {
            write!(f, " ({v})")?;
        }
        Ok(())
    }
}

impl std::error::Error for RpcError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_parameter_is_split_out() {
        let e = RpcError::new(420, "FLOOD_WAIT_31");
        assert_eq!((e.name.as_str(), e.value), ("FLOOD_WAIT", Some(31)));
        assert_eq!(e.wait(), Some(Duration::from_secs(31)));
        assert!(e.is("FLOOD_WAIT"));

        let e = RpcError::new(303, "PHONE_MIGRATE_4");
        assert_eq!(e.migrate_to(), Some(4));
        assert_eq!(e.wait(), None);

        let e = RpcError::new(400, "FILE_PART_3_MISSING");
        assert_eq!((e.name.as_str(), e.value), ("FILE_PART_MISSING", Some(3)));

        let e = RpcError::new(400, "2FA_CONFIRM_WAIT_60");
        assert_eq!((e.name.as_str(), e.value), ("2FA_CONFIRM_WAIT", Some(60)));

        let e = RpcError::new(400, "PEER_ID_INVALID");
        assert_eq!(
            (e.name.as_str(), e.value, e.migrate_to()),
            ("PEER_ID_INVALID", None, None)
        );
        assert_eq!(e.to_string(), "rpc error 400: PEER_ID_INVALID");

        assert_eq!(e.known(), Some(KnownError::PeerIdInvalid));
        assert!(e.is(names::PEER_ID_INVALID));

        // Too large to be a parameter: kept as part of the name rather than panicking.
        let e = RpcError::new(500, "X_99999999999999999999");
        assert_eq!((e.name.as_str(), e.value), ("X_99999999999999999999", None));
    }

    #[test]
    fn known_errors_round_trip_through_the_parser() {
        // Every listed template, with its placeholder filled in the way Telegram does, parses
        // back to that known error: the data file and `RpcError::new` agree on names.
        for &known in KnownError::ALL {
            let message = known.template().replacen("_X", "_42", 1);
            let message = if message.starts_with("X_") {
                message.replacen("X_", "42_", 1)
            } else {
                message
            };
            let e = RpcError::new(known.codes()[0], &message);
            assert_eq!(e.known(), Some(known), "{message}");
            assert_eq!(e.description(), Some(known.description()));
            if known.template().contains("_X") {
                assert_eq!(e.value, Some(42), "{message}");
            }
        }
        let e = RpcError::new(420, "FLOOD_WAIT_7");
        assert_eq!(e.known(), Some(KnownError::FloodWait));
        assert_eq!(KnownError::FloodWait.codes(), &[420]);
        assert!(e
            .description()
            .is_some_and(|d| d.contains("wait X seconds")));
        assert_eq!(RpcError::new(400, "SOMETHING_NEW").known(), None);
        assert_eq!(names::TWO_FA_CONFIRM_WAIT, "2FA_CONFIRM_WAIT");
    }
}
