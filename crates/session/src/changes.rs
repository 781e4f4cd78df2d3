//! A set of writes applied to a storage atomically.

use crate::{AuthKeyData, CachedPeer, DcOption, SelfUser, TempAuthKey, UpdateState};

/// Writes to apply to a [`Storage`](crate::Storage) in one atomic step.
///
/// Everything in one `Changes` lands together or not at all (one SQLite transaction). Use this to
/// keep related data consistent: the client records the peers an update batch mentions in the same
/// `Changes` as the `pts` that batch advances to, so a crash can never leave a stored `pts` pointing
/// past peers the cache does not know.
///
/// Setters replace earlier calls for the same item; [`Changes::upsert_peer`] accumulates.
///
/// A storage of your own reads a batch with the getters ([`Changes::home_dc`],
/// [`Changes::auth_keys`], [`Changes::peers`], …): each says what to store, what to delete, and
/// what to leave alone. Storages usually see a batch after
/// [`SessionState::plan`](crate::SessionState::plan) has turned it into final values (peers
/// merged with the cache), which is what [`Persist::save`](crate::Persist::save) receives.
///
/// ```
/// use tgwire_session::{CachedPeer, Changes, PeerKind, PeerRef, UpdateState};
///
/// let mut changes = Changes::new();
/// changes
///     .set_update_state(UpdateState { pts: 10, qts: 0, date: 1_700_000_000, seq: 3 })
///     .upsert_peer(CachedPeer::new(PeerRef::new(PeerKind::User, 42, Some(7))?));
/// assert!(!changes.is_empty());
/// # Ok::<(), tgwire_session::SessionError>(())
/// ```
#[derive(Clone, Debug, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Changes {
    pub(crate) wipe: bool,
    pub(crate) home_dc: Option<i32>,
    pub(crate) dc_options: Option<Vec<DcOption>>,
    pub(crate) auth_keys: Vec<(i32, Option<AuthKeyData>)>,
    pub(crate) temp_auth_keys: Vec<(i32, Option<TempAuthKey>)>,
    pub(crate) self_user: Option<Option<SelfUser>>,
    pub(crate) update_state: Option<Option<UpdateState>>,
    pub(crate) channel_pts: Vec<(i64, Option<i32>)>,
    pub(crate) peers: Vec<CachedPeer>,
}

impl Changes {
    /// No changes.
    pub fn new() -> Self {
        Self::default()
    }

    /// True if applying these changes would do nothing.
    pub fn is_empty(&self) -> bool {
        !self.wipe
            && self.home_dc.is_none()
            && self.dc_options.is_none()
            && self.auth_keys.is_empty()
            && self.temp_auth_keys.is_empty()
            && self.self_user.is_none()
            && self.update_state.is_none()
            && self.channel_pts.is_empty()
            && self.peers.is_empty()
    }

    /// Erases everything stored before the rest of these changes apply (signing out).
    pub fn wipe_all(&mut self) -> &mut Self {
        self.wipe = true;
        self
    }

    /// Sets the DC the account lives on.
    pub fn set_home_dc(&mut self, dc_id: i32) -> &mut Self {
        self.home_dc = Some(dc_id);
        self
    }

    /// Replaces the whole list of known DC addresses.
    pub fn set_dc_options(&mut self, options: Vec<DcOption>) -> &mut Self {
        self.dc_options = Some(options);
        self
    }

    /// Stores (`Some`) or forgets (`None`) the permanent auth key for `dc_id`.
    pub fn set_auth_key(&mut self, dc_id: i32, key: Option<AuthKeyData>) -> &mut Self {
        self.auth_keys.retain(|(dc, _)| *dc != dc_id);
        self.auth_keys.push((dc_id, key));
        self
    }

    /// Stores (`Some`) or forgets (`None`) the temporary auth key for `dc_id`.
    pub fn set_temp_auth_key(&mut self, dc_id: i32, key: Option<TempAuthKey>) -> &mut Self {
        self.temp_auth_keys.retain(|(dc, _)| *dc != dc_id);
        self.temp_auth_keys.push((dc_id, key));
        self
    }

    /// Records who is signed in (`None`: nobody).
    pub fn set_self_user(&mut self, user: Option<SelfUser>) -> &mut Self {
        self.self_user = Some(user);
        self
    }

    /// Sets the account-wide update state.
    pub fn set_update_state(&mut self, state: UpdateState) -> &mut Self {
        self.update_state = Some(Some(state));
        self
    }

    /// Forgets the account-wide update state (the next start fetches a fresh one).
    pub fn clear_update_state(&mut self) -> &mut Self {
        self.update_state = Some(None);
        self
    }

    /// Sets (`Some`) or forgets (`None`) the `pts` of one channel, by bare channel id.
    pub fn set_channel_pts(&mut self, channel_id: i64, pts: Option<i32>) -> &mut Self {
        self.channel_pts.retain(|(id, _)| *id != channel_id);
        self.channel_pts.push((channel_id, pts));
        self
    }

    /// Adds or refreshes one peer-cache entry (merged by the min rule, see [`CachedPeer::min`]).
    pub fn upsert_peer(&mut self, peer: CachedPeer) -> &mut Self {
        self.peers.push(peer);
        self
    }

    /// Adds or refreshes many peer-cache entries.
    pub fn upsert_peers(&mut self, peers: impl IntoIterator<Item = CachedPeer>) -> &mut Self {
        self.peers.extend(peers);
        self
    }

    /// Whether everything stored before this batch is to be erased first ([`Changes::wipe_all`]):
    /// a sign-out, or a [`Storage::snapshot`](crate::Storage::snapshot) that replaces a whole
    /// session.
    pub fn wipes_all(&self) -> bool {
        self.wipe
    }

    /// The new home DC (`None`: unchanged).
    pub fn home_dc(&self) -> Option<i32> {
        self.home_dc
    }

    /// The new list of DC addresses, replacing the whole stored list (`None`: unchanged).
    pub fn dc_options(&self) -> Option<&[DcOption]> {
        self.dc_options.as_deref()
    }

    /// Permanent auth keys to store (`Some`) or delete (`None`), by DC id; at most one entry per
    /// DC.
    pub fn auth_keys(&self) -> &[(i32, Option<AuthKeyData>)] {
        &self.auth_keys
    }

    /// Temporary auth keys to store (`Some`) or delete (`None`), by DC id; at most one entry per
    /// DC.
    pub fn temp_auth_keys(&self) -> &[(i32, Option<TempAuthKey>)] {
        &self.temp_auth_keys
    }

    /// Who is signed in now: `None` unchanged, `Some(None)` nobody (signed out), `Some(Some(_))`
    /// this user.
    pub fn self_user(&self) -> Option<Option<SelfUser>> {
        self.self_user
    }

    /// The account-wide update state: `None` unchanged, `Some(None)` forget it, `Some(Some(_))`
    /// store it.
    pub fn update_state(&self) -> Option<Option<UpdateState>> {
        self.update_state
    }

    /// Channel `pts` values to store (`Some`) or delete (`None`), by bare channel id; at most one
    /// entry per channel.
    pub fn channel_pts(&self) -> &[(i64, Option<i32>)] {
        &self.channel_pts
    }

    /// Peer-cache entries to add or replace, each keyed by its Bot API id
    /// ([`CachedPeer::bot_api_id`]). After [`SessionState::plan`](crate::SessionState::plan)
    /// each is the whole entry to store, at most once per id; before it, the same peer may appear
    /// several times and is merged by the min rule.
    pub fn peers(&self) -> &[CachedPeer] {
        &self.peers
    }

    /// Whether these changes touch what the account cannot afford to lose to a power cut or a
    /// database crash (keys, identity, home DC, a wipe). Storages commit those with full
    /// durability and may commit the frequent rest (peers, update state) with less: losing the
    /// last of those is repaired by refetching.
    pub fn is_precious(&self) -> bool {
        self.wipe
            || self.home_dc.is_some()
            || self.self_user.is_some()
            || !self.auth_keys.is_empty()
            || !self.temp_auth_keys.is_empty()
    }
}
