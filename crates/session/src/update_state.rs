//! Where the account's update stream left off.

/// The account-wide update sequence state, as returned by `updates.getState`.
///
/// Per-channel positions are stored separately (a `pts` per channel id). `tgwire-tl-types`'
/// `updates.State` will convert into this type once that crate settles.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct UpdateState {
    /// Position in the account's message box (private chats and basic groups).
    pub pts: i32,
    /// Position in the secret-chat / bot update queue.
    pub qts: i32,
    /// Unix time of the last update.
    pub date: i32,
    /// Sequence number of the last `updates`/`updatesCombined` container.
    pub seq: i32,
}
