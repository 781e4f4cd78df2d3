//! The in-memory image of a session that every storage keeps, and the merge rules applied when
//! [`Changes`] arrive.
//!
//! Applying changes is split in two so a disk-backed storage can stay consistent with its file:
//! [`SessionState::plan`] computes the final rows (peer merges, username hand-overs) without
//! touching the state, the storage persists them, and only after the commit succeeds
//! [`SessionState::commit`] installs them. A failed write therefore leaves memory and disk agreeing.

use std::collections::HashMap;

use crate::dc_map::DcMap;

use crate::peer::{normalize_phone, normalize_username};
use crate::{AuthKeyData, CachedPeer, Changes, DcOption, SelfUser, TempAuthKey, UpdateState};

/// A whole session in memory, with the rules every storage applies when [`Changes`] arrive.
///
/// Every storage of this crate keeps one of these and answers [`Storage`](crate::Storage) reads
/// from it; it is public so that a storage of your own gets the same behaviour without
/// re-implementing it: the peer cache's min rule (see [`CachedPeer::min`]), usernames and phone
/// numbers that move to their new owner, case-insensitive username and punctuation-free phone
/// look-ups. The easiest way to use it is through [`PersistedStorage`](crate::PersistedStorage),
/// which holds one and asks your [`Persist`](crate::Persist) backend only to load and save.
///
/// Writes come in two steps so that a storage can keep memory and disk agreeing:
/// [`plan`](Self::plan) turns requested changes into the exact values to store (nothing changes
/// yet), the storage makes those durable, and only then [`commit`](Self::commit) installs them.
/// [`apply`](Self::apply) does both at once for storages with nothing to persist.
///
/// ```
/// use tgwire_session::{CachedPeer, Changes, PeerKind, PeerRef, SessionState};
///
/// let mut state = SessionState::new();
/// let mut bob = CachedPeer::new(PeerRef::new(PeerKind::User, 42, Some(7))?);
/// bob.usernames = vec!["Bob".into()];
/// let mut changes = Changes::new();
/// changes.set_home_dc(2).upsert_peer(bob);
/// state.apply(changes);
/// assert_eq!(state.home_dc(), Some(2));
/// assert_eq!(state.peer_by_username("@bob").map(|p| p.peer.id()), Some(42));
/// # Ok::<(), tgwire_session::SessionError>(())
/// ```
#[derive(Clone, Default)]
pub struct SessionState {
    pub(crate) home_dc: Option<i32>,
    pub(crate) dc_options: Vec<DcOption>,
    // A sorted vector of boxed keys (see `DcMap`): a process running many clients keeps one
    // state each.
    pub(crate) auth_keys: DcMap<AuthKeyData>,
    pub(crate) temp_auth_keys: DcMap<TempAuthKey>,
    pub(crate) self_user: Option<SelfUser>,
    pub(crate) update_state: Option<UpdateState>,
    pub(crate) channel_pts: HashMap<i64, i32>,
    // Peers are boxed: a hash table keeps an eighth or more of its slots empty, and a slot
    // holding a whole peer is seven times one holding a pointer, so boxed entries take less at
    // any size (and a session caching only its own user keeps ~300 bytes less).
    peers: HashMap<i64, Box<CachedPeer>>,
    by_username: HashMap<String, i64>,
    by_phone: HashMap<String, i64>,
}

impl std::fmt::Debug for SessionState {
    // Keys are redacted by their own Debug; the peer cache is summarised, not dumped.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionState")
            .field("home_dc", &self.home_dc)
            .field("dc_options", &self.dc_options.len())
            .field("auth_keys", &self.auth_keys.keys().collect::<Vec<_>>())
            .field("self_user", &self.self_user)
            .field("update_state", &self.update_state)
            .field("channels", &self.channel_pts.len())
            .field("peers", &self.peers.len())
            .finish()
    }
}

impl SessionState {
    /// An empty session.
    pub fn new() -> Self {
        Self::default()
    }

    /// The DC the account lives on, if known.
    pub fn home_dc(&self) -> Option<i32> {
        self.home_dc
    }

    /// All known DC addresses.
    pub fn dc_options(&self) -> &[DcOption] {
        &self.dc_options
    }

    /// The permanent auth key for a DC.
    pub fn auth_key(&self, dc_id: i32) -> Option<&AuthKeyData> {
        self.auth_keys.get(&dc_id)
    }

    /// The temporary auth key for a DC, with its expiry.
    pub fn temp_auth_key(&self, dc_id: i32) -> Option<&TempAuthKey> {
        self.temp_auth_keys.get(&dc_id)
    }

    /// Who is signed in.
    pub fn self_user(&self) -> Option<SelfUser> {
        self.self_user
    }

    /// The account-wide update state.
    pub fn update_state(&self) -> Option<UpdateState> {
        self.update_state
    }

    /// The `pts` of one channel (bare channel id).
    pub fn channel_pts(&self, channel_id: i64) -> Option<i32> {
        self.channel_pts.get(&channel_id).copied()
    }

    /// Every channel with a stored `pts`, as `(bare channel id, pts)`, sorted by id.
    pub fn channel_states(&self) -> Vec<(i64, i32)> {
        let mut states: Vec<(i64, i32)> = self
            .channel_pts
            .iter()
            .map(|(id, pts)| (*id, *pts))
            .collect();
        states.sort_unstable();
        states
    }

    /// A cached peer by Bot API id ([`PeerRef::bot_api_id`](crate::PeerRef::bot_api_id)).
    pub fn peer(&self, bot_api_id: i64) -> Option<&CachedPeer> {
        self.peers.get(&bot_api_id).map(|p| &**p)
    }

    /// A cached peer by any of its usernames (case-insensitive, leading `@` optional).
    pub fn peer_by_username(&self, username: &str) -> Option<&CachedPeer> {
        let trimmed = username.trim().trim_start_matches('@');
        // Fast path without allocating: most look-ups are already lowercase.
        let id = if trimmed.bytes().any(|b| b.is_ascii_uppercase()) || !trimmed.is_ascii() {
            self.by_username.get(&normalize_username(trimmed)?)
        } else {
            self.by_username.get(trimmed)
        };
        id.and_then(|id| self.peer(*id))
    }

    /// A cached peer by phone number (any punctuation ignored).
    pub fn peer_by_phone(&self, phone: &str) -> Option<&CachedPeer> {
        let id = self.by_phone.get(&normalize_phone(phone)?)?;
        self.peer(*id)
    }

    /// Number of peers in the cache.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// Every cached peer, in no particular order.
    pub fn peers(&self) -> impl Iterator<Item = &CachedPeer> {
        self.peers.values().map(|p| &**p)
    }

    /// Applies `changes` in memory at once ([`plan`](Self::plan) then [`commit`](Self::commit)).
    pub fn apply(&mut self, changes: Changes) {
        let plan = self.plan(changes);
        self.commit(plan);
    }

    /// Everything held, as changes that rebuild it from nothing (starting with
    /// [`Changes::wipe_all`]); the same as [`Storage::snapshot`](crate::Storage::snapshot).
    pub fn snapshot(&self) -> Changes {
        self.to_changes()
    }

    /// Everything held, as changes that rebuild it from nothing.
    pub(crate) fn to_changes(&self) -> Changes {
        let mut changes = Changes::new();
        changes.wipe_all();
        if let Some(dc) = self.home_dc {
            changes.set_home_dc(dc);
        }
        changes.set_dc_options(self.dc_options.clone());
        for (dc, key) in self.auth_keys.iter() {
            changes.set_auth_key(*dc, Some(key.clone()));
        }
        for (dc, key) in self.temp_auth_keys.iter() {
            changes.set_temp_auth_key(*dc, Some(key.clone()));
        }
        changes.set_self_user(self.self_user);
        if let Some(state) = self.update_state {
            changes.set_update_state(state);
        }
        let mut channels: Vec<_> = self.channel_pts.iter().collect();
        channels.sort_unstable();
        // Pushed directly: the setter's de-duplication is quadratic and the ids are unique here.
        changes.channel_pts = channels
            .into_iter()
            .map(|(channel, pts)| (*channel, Some(*pts)))
            .collect();
        let mut peers: Vec<_> = self.peers().cloned().collect();
        peers.sort_unstable_by_key(CachedPeer::bot_api_id);
        changes.upsert_peers(peers);
        changes
    }

    /// Turns requested changes into the exact values to persist: incoming peers normalised
    /// (usernames lowercased, phones reduced to digits) and merged with what is cached (min rule),
    /// a peer given twice folded into one, and peers that lose a username or phone to an incoming
    /// one included with it removed. Every peer of the result is the whole entry to store under
    /// its Bot API id. Everything else passes through unchanged. Does not modify `self`.
    pub fn plan(&self, mut changes: Changes) -> Changes {
        let incoming = std::mem::take(&mut changes.peers);
        if incoming.is_empty() {
            return changes;
        }
        let mut planner = PeerPlanner {
            state: self,
            ignore_cached: changes.wipe,
            touched: HashMap::new(),
            order: Vec::new(),
            usernames: HashMap::new(),
            phones: HashMap::new(),
        };
        for peer in incoming {
            planner.upsert(normalized(peer));
        }
        let PeerPlanner {
            mut touched, order, ..
        } = planner;
        changes.peers = order
            .into_iter()
            .filter_map(|id| touched.remove(&id))
            .collect();
        changes
    }

    /// Installs a plan produced by [`SessionState::plan`] (after the storage made it durable).
    ///
    /// A plan must be committed on the state it was planned on: a storage serialises its writers
    /// around plan, persist and commit.
    pub fn commit(&mut self, plan: Changes) {
        if plan.wipe {
            *self = SessionState::default();
        }
        if let Some(dc) = plan.home_dc {
            self.home_dc = Some(dc);
        }
        if let Some(options) = plan.dc_options {
            self.dc_options = options;
        }
        for (dc, key) in plan.auth_keys {
            match key {
                Some(key) => self.auth_keys.insert(dc, key),
                None => self.auth_keys.remove(&dc),
            }
        }
        for (dc, key) in plan.temp_auth_keys {
            match key {
                Some(key) => self.temp_auth_keys.insert(dc, key),
                None => self.temp_auth_keys.remove(&dc),
            }
        }
        if let Some(user) = plan.self_user {
            self.self_user = user;
        }
        if let Some(state) = plan.update_state {
            self.update_state = state;
        }
        for (channel, pts) in plan.channel_pts {
            match pts {
                Some(pts) => self.channel_pts.insert(channel, pts),
                None => self.channel_pts.remove(&channel),
            };
        }
        for peer in plan.peers {
            self.install_peer(peer);
        }
    }

    /// Puts one already-merged peer in place and keeps the indexes in step. An index entry is only
    /// removed if it still points at this peer: another peer in the same plan may have taken it.
    pub(crate) fn install_peer(&mut self, peer: CachedPeer) {
        let id = peer.bot_api_id();
        if let Some(old) = self.peers.get(&id) {
            for name in &old.usernames {
                if self.by_username.get(name) == Some(&id) {
                    self.by_username.remove(name);
                }
            }
            if let Some(phone) = &old.phone {
                if self.by_phone.get(phone) == Some(&id) {
                    self.by_phone.remove(phone);
                }
            }
        }
        for name in &peer.usernames {
            self.by_username.insert(name.clone(), id);
        }
        if let Some(phone) = &peer.phone {
            self.by_phone.insert(phone.clone(), id);
        }
        self.peers.insert(id, Box::new(peer));
    }
}

/// Lowercases usernames (dropping empty and repeated ones), strips phones to digits, drops empty
/// names.
fn normalized(mut peer: CachedPeer) -> CachedPeer {
    let mut usernames: Vec<String> = Vec::with_capacity(peer.usernames.len());
    for name in peer.usernames.iter().filter_map(|n| normalize_username(n)) {
        if !usernames.contains(&name) {
            usernames.push(name);
        }
    }
    peer.usernames = usernames;
    peer.phone = peer.phone.as_deref().and_then(normalize_phone);
    peer.name = peer.name.filter(|n| !n.trim().is_empty());
    peer
}

/// The min rule: what the cache should hold after `incoming` arrives on top of `cached`.
///
/// - A full object replaces the entry (Telegram's rule: newer fields win, unset fields are removed),
///   except that a missing access hash does not erase a known one of the same family.
/// - A min object on top of a full entry only refreshes what min objects are allowed to carry (name
///   and usernames, when present); the full access hash, kind and phone stay.
/// - A min object on top of nothing or another min entry is stored, still marked min.
pub(crate) fn merge(cached: Option<&CachedPeer>, incoming: CachedPeer) -> CachedPeer {
    let Some(cached) = cached else {
        return incoming;
    };
    if incoming.min && !cached.min {
        let mut kept = cached.clone();
        if incoming.name.is_some() {
            kept.name = incoming.name;
        }
        if !incoming.usernames.is_empty() {
            kept.usernames = incoming.usernames;
        }
        return kept;
    }
    let mut merged = incoming;
    if merged.peer.access_hash().is_none() {
        merged.peer = merged.peer.with_access_hash(cached.peer.access_hash());
        // A kept hash keeps its min-ness: a full object without a hash does not vouch for it.
        merged.min = merged.min || (cached.min && cached.peer.access_hash().is_some());
    }
    merged
}

struct PeerPlanner<'a> {
    state: &'a SessionState,
    /// With `wipe`, the cached peers are about to be erased and must not be merged into.
    ignore_cached: bool,
    /// Final rows by Bot API id, and the order they were first touched in.
    touched: HashMap<i64, CachedPeer>,
    order: Vec<i64>,
    /// Usernames and phones claimed so far in this batch (they override the state's indexes).
    usernames: HashMap<String, i64>,
    phones: HashMap<String, i64>,
}

impl PeerPlanner<'_> {
    fn current(&self, id: i64) -> Option<&CachedPeer> {
        self.touched.get(&id).or_else(|| {
            if self.ignore_cached {
                None
            } else {
                self.state.peer(id)
            }
        })
    }

    fn put(&mut self, peer: CachedPeer) {
        let id = peer.bot_api_id();
        if self.touched.insert(id, peer).is_none() {
            self.order.push(id);
        }
    }

    fn owner_of_username(&self, name: &str) -> Option<i64> {
        if let Some(id) = self.usernames.get(name) {
            return Some(*id);
        }
        let id = *self.state.by_username.get(name)?;
        // The cached owner may already have given the name up earlier in this batch.
        let still_has = self
            .current(id)
            .is_some_and(|p| p.usernames.iter().any(|n| n == name));
        still_has.then_some(id)
    }

    fn owner_of_phone(&self, phone: &str) -> Option<i64> {
        if let Some(id) = self.phones.get(phone) {
            return Some(*id);
        }
        let id = *self.state.by_phone.get(phone)?;
        let still_has = self
            .current(id)
            .is_some_and(|p| p.phone.as_deref() == Some(phone));
        still_has.then_some(id)
    }

    fn upsert(&mut self, incoming: CachedPeer) {
        let id = incoming.bot_api_id();
        let merged = merge(self.current(id), incoming);

        // A username or phone belongs to one peer at a time: whoever brings it now takes it.
        for name in &merged.usernames {
            if let Some(owner) = self.owner_of_username(name).filter(|o| *o != id) {
                if let Some(mut previous) = self.current(owner).cloned() {
                    previous.usernames.retain(|n| n != name);
                    self.put(previous);
                }
            }
            self.usernames.insert(name.clone(), id);
        }
        if let Some(phone) = &merged.phone {
            if let Some(owner) = self.owner_of_phone(phone).filter(|o| *o != id) {
                if let Some(mut previous) = self.current(owner).cloned() {
                    previous.phone = None;
                    self.put(previous);
                }
            }
            self.phones.insert(phone.clone(), id);
        }
        self.put(merged);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PeerKind, PeerRef};

    fn user(id: i64, hash: i64) -> CachedPeer {
        CachedPeer::new(PeerRef::new(PeerKind::User, id, Some(hash)).unwrap())
    }

    fn apply(state: &mut SessionState, peers: Vec<CachedPeer>) {
        let mut changes = Changes::new();
        changes.upsert_peers(peers);
        let plan = state.plan(changes);
        state.commit(plan);
    }

    #[test]
    fn min_hash_never_overwrites_full_hash() {
        let mut state = SessionState::default();
        let mut full = user(1, 111);
        full.phone = Some("123".into());
        full.name = Some("Full".into());
        apply(&mut state, vec![full]);

        let mut min = user(1, 999);
        min.min = true;
        min.name = Some("Renamed".into());
        min.usernames = vec!["NewName".into()];
        apply(&mut state, vec![min]);

        let cached = state.peer(1).unwrap();
        assert_eq!(cached.peer.access_hash(), Some(111));
        assert!(!cached.min);
        assert_eq!(cached.phone.as_deref(), Some("123"));
        assert_eq!(cached.name.as_deref(), Some("Renamed"));
        assert_eq!(cached.usernames, vec!["newname".to_string()]);
        assert_eq!(state.peer_by_username("@NEWNAME").unwrap().bot_api_id(), 1);
    }

    #[test]
    fn min_entry_is_stored_then_replaced_by_full() {
        let mut state = SessionState::default();
        let mut min = user(2, 5);
        min.min = true;
        apply(&mut state, vec![min]);
        assert!(state.peer(2).unwrap().min);

        apply(&mut state, vec![user(2, 6)]);
        let cached = state.peer(2).unwrap();
        assert!(!cached.min);
        assert_eq!(cached.peer.access_hash(), Some(6));
    }

    #[test]
    fn full_object_without_hash_keeps_known_hash() {
        let mut state = SessionState::default();
        apply(&mut state, vec![user(3, 77)]);
        let mut no_hash = user(3, 0);
        no_hash.peer = no_hash.peer.with_access_hash(None);
        no_hash.name = Some("x".into());
        apply(&mut state, vec![no_hash]);
        assert_eq!(state.peer(3).unwrap().peer.access_hash(), Some(77));
        assert_eq!(state.peer(3).unwrap().name.as_deref(), Some("x"));
    }

    #[test]
    fn usernames_and_phones_move_to_their_new_owner() {
        let mut state = SessionState::default();
        let mut a = user(1, 1);
        a.usernames = vec!["shared".into(), "keep_a".into()];
        a.phone = Some("+1 555".into());
        apply(&mut state, vec![a]);

        let mut b = user(2, 2);
        b.usernames = vec!["Shared".into()];
        b.phone = Some("1555".into());
        let mut changes = Changes::new();
        changes.upsert_peer(b);
        let plan = state.plan(changes);
        // The previous owner is rewritten in the same plan.
        assert_eq!(plan.peers.len(), 2);
        state.commit(plan);

        assert_eq!(state.peer_by_username("shared").unwrap().bot_api_id(), 2);
        assert_eq!(state.peer_by_phone("+1 555").unwrap().bot_api_id(), 2);
        let a = state.peer(1).unwrap();
        assert_eq!(a.usernames, vec!["keep_a".to_string()]);
        assert_eq!(a.phone, None);
        assert_eq!(state.peer_by_username("keep_a").unwrap().bot_api_id(), 1);
    }

    #[test]
    fn a_batch_with_the_same_peer_twice_keeps_the_last() {
        let mut state = SessionState::default();
        let mut first = user(1, 1);
        first.usernames = vec!["old".into()];
        let mut second = user(1, 2);
        second.usernames = vec!["new".into()];
        apply(&mut state, vec![first, second]);
        assert_eq!(state.peer_count(), 1);
        assert_eq!(state.peer(1).unwrap().peer.access_hash(), Some(2));
        assert!(state.peer_by_username("old").is_none());
        assert!(state.peer_by_username("new").is_some());
    }

    #[test]
    fn username_swap_inside_one_batch() {
        let mut state = SessionState::default();
        let mut a = user(1, 1);
        a.usernames = vec!["alpha".into()];
        let mut b = user(2, 2);
        b.usernames = vec!["beta".into()];
        apply(&mut state, vec![a.clone(), b.clone()]);

        a.usernames = vec!["beta".into()];
        b.usernames = vec!["alpha".into()];
        apply(&mut state, vec![a, b]);
        assert_eq!(state.peer_by_username("alpha").unwrap().bot_api_id(), 2);
        assert_eq!(state.peer_by_username("beta").unwrap().bot_api_id(), 1);
        assert_eq!(state.peer(1).unwrap().usernames, vec!["beta".to_string()]);
        assert_eq!(state.peer(2).unwrap().usernames, vec!["alpha".to_string()]);
    }

    #[test]
    fn wipe_forgets_everything_before_applying() {
        let mut state = SessionState::default();
        apply(&mut state, vec![user(1, 1), user(2, 2)]);
        let mut changes = Changes::new();
        changes.wipe_all().upsert_peer(user(3, 3)).set_home_dc(4);
        let plan = state.plan(changes);
        state.commit(plan);
        assert_eq!(state.peer_count(), 1);
        assert!(state.peer(1).is_none());
        assert_eq!(state.home_dc, Some(4));
    }

    mod random {
        use super::*;
        use proptest::prelude::*;

        const NAMES: [&str; 5] = ["ann", "bob", "cat", "dan", "eve"];

        fn any_peer() -> impl Strategy<Value = CachedPeer> {
            (
                1i64..8,
                any::<bool>(),
                prop::option::of(1i64..1000),
                prop::collection::vec(prop::sample::select(NAMES.to_vec()), 0..3),
                prop::option::of(prop::sample::select(vec!["111", "222", "333"])),
            )
                .prop_map(|(id, min, hash, names, phone)| {
                    let kind = if id % 2 == 0 {
                        PeerKind::User
                    } else {
                        PeerKind::Broadcast
                    };
                    let mut peer = CachedPeer::new(PeerRef::new(kind, id, hash).unwrap());
                    peer.min = min;
                    peer.usernames = names.into_iter().map(str::to_owned).collect();
                    peer.phone = phone.map(str::to_owned);
                    peer
                })
        }

        /// The indexes agree with the peers, in both directions.
        fn assert_indexes_consistent(state: &SessionState) {
            for (name, id) in &state.by_username {
                let peer = state.peers.get(id).expect("index points at a missing peer");
                assert!(
                    peer.usernames.contains(name),
                    "{name} indexed to {id} which lacks it"
                );
            }
            for (phone, id) in &state.by_phone {
                assert_eq!(state.peers[id].phone.as_ref(), Some(phone));
            }
            for (id, peer) in &state.peers {
                for name in &peer.usernames {
                    assert_eq!(
                        state.by_username.get(name),
                        Some(id),
                        "{name} of {id} not indexed"
                    );
                }
                if let Some(phone) = &peer.phone {
                    assert_eq!(state.by_phone.get(phone), Some(id));
                }
            }
        }

        proptest! {
            #[test]
            fn indexes_stay_consistent_and_full_hashes_win(
                batches in prop::collection::vec(prop::collection::vec(any_peer(), 1..6), 1..12)
            ) {
                let mut state = SessionState::default();
                // Model of the min rule: the hash of the last full object with a hash.
                let mut full_hash: HashMap<i64, i64> = HashMap::new();
                for batch in batches {
                    for peer in &batch {
                        if let (false, Some(hash)) = (peer.min, peer.peer.access_hash()) {
                            full_hash.insert(peer.bot_api_id(), hash);
                        }
                    }
                    let mut changes = Changes::new();
                    changes.upsert_peers(batch);
                    let plan = state.plan(changes);
                    state.commit(plan);
                    assert_indexes_consistent(&state);
                }
                for (id, hash) in full_hash {
                    let cached = state.peer(id).unwrap();
                    prop_assert_eq!(cached.peer.access_hash(), Some(hash));
                    prop_assert!(!cached.min);
                }
            }
        }
    }
}
