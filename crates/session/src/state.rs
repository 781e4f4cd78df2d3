//! The in-memory image of a session that every storage keeps, and the merge rules applied when
//! [`Changes`] arrive.
//!
//! Applying changes is split in two so a disk-backed storage can stay consistent with its file:
//! [`SessionState::plan`] computes the final rows (peer merges, username hand-overs) without
//! touching the state, the storage persists them, and only after the commit succeeds
//! [`SessionState::commit`] installs them. A failed write therefore leaves memory and disk agreeing.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::dc_map::DcMap;
use crate::peer::{normalize_phone, normalize_username};
use crate::peer_cache::PeerCache;
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
// A process running many clients keeps one state each, most knowing one DC, no channel and one
// peer (their own user): no collection here allocates while empty, the auth keys are an exact
// slice (`DcMap`), the peer cache is one sorted vector while small (`PeerCache`), what few
// sessions hold is behind one pointer (`Rare`), and the whole state is 104 bytes inline, where
// four hash tables made it 320.
#[derive(Clone, Default)]
pub struct SessionState {
    pub(crate) home_dc: Option<i32>,
    pub(crate) auth_keys: DcMap<AuthKeyData>,
    rare: Option<Box<Rare>>,
    pub(crate) self_user: Option<SelfUser>,
    pub(crate) update_state: Option<UpdateState>,
    pub(crate) channel_pts: ChannelPts,
    peers: PeerCache,
}

/// What few sessions hold: tgwire's client writes neither (it takes DC addresses from its builder
/// and Telegram, and uses no temporary keys); imported sessions may bring addresses. Absent while
/// both are empty, so most sessions pay 8 bytes for them instead of 32.
#[derive(Clone, Default)]
struct Rare {
    dc_options: Box<[DcOption]>,
    temp_auth_keys: DcMap<TempAuthKey>,
}

/// The `pts` of each channel, by bare channel id.
///
/// Boxed, and absent until the first channel: most sessions of a process running many clients
/// track no channel, and an empty `HashMap` is 48 bytes inline where this is 8. Past the first it
/// is a hash table, as a bot may be in tens of thousands of groups.
#[derive(Clone, Default)]
// The box is the point: it trades an allocation for the channels a session has for 40 bytes in
// every session.
#[allow(clippy::box_collection)]
pub(crate) struct ChannelPts(Option<Box<HashMap<i64, i32>>>);

impl ChannelPts {
    fn get(&self, channel: i64) -> Option<i32> {
        self.0.as_ref()?.get(&channel).copied()
    }

    pub(crate) fn insert(&mut self, channel: i64, pts: i32) {
        self.0.get_or_insert_with(Box::default).insert(channel, pts);
    }

    fn remove(&mut self, channel: i64) {
        if let Some(map) = &mut self.0 {
            map.remove(&channel);
            if map.is_empty() {
                self.0 = None;
            }
        }
    }

    fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |map| map.len())
    }

    /// Every entry, sorted by channel id.
    fn sorted(&self) -> Vec<(i64, i32)> {
        let mut entries: Vec<(i64, i32)> = self
            .0
            .iter()
            .flat_map(|map| map.iter().map(|(id, pts)| (*id, *pts)))
            .collect();
        entries.sort_unstable();
        entries
    }
}

impl std::fmt::Debug for SessionState {
    // Keys are redacted by their own Debug; the peer cache is summarised, not dumped.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionState")
            .field("home_dc", &self.home_dc)
            .field("dc_options", &self.dc_options().len())
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
        self.rare.as_ref().map_or(&[], |rare| &rare.dc_options)
    }

    /// The permanent auth key for a DC.
    pub fn auth_key(&self, dc_id: i32) -> Option<&AuthKeyData> {
        self.auth_keys.get(&dc_id)
    }

    /// The temporary auth key for a DC, with its expiry.
    pub fn temp_auth_key(&self, dc_id: i32) -> Option<&TempAuthKey> {
        self.rare.as_ref()?.temp_auth_keys.get(&dc_id)
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
        self.channel_pts.get(channel_id)
    }

    /// Every channel with a stored `pts`, as `(bare channel id, pts)`, sorted by id.
    pub fn channel_states(&self) -> Vec<(i64, i32)> {
        self.channel_pts.sorted()
    }

    /// A cached peer by Bot API id ([`PeerRef::bot_api_id`](crate::PeerRef::bot_api_id)).
    pub fn peer(&self, bot_api_id: i64) -> Option<&CachedPeer> {
        self.peers.get(bot_api_id)
    }

    /// A cached peer by any of its usernames (case-insensitive, leading `@` optional).
    pub fn peer_by_username(&self, username: &str) -> Option<&CachedPeer> {
        let trimmed = username.trim().trim_start_matches('@');
        // Fast path without allocating: most look-ups are already lowercase.
        let name = if trimmed.bytes().any(|b| b.is_ascii_uppercase()) || !trimmed.is_ascii() {
            Cow::Owned(normalize_username(trimmed)?)
        } else {
            Cow::Borrowed(trimmed)
        };
        self.peers.by_username(&name)
    }

    /// A cached peer by phone number (any punctuation ignored).
    pub fn peer_by_phone(&self, phone: &str) -> Option<&CachedPeer> {
        self.peers.by_phone(&normalize_phone(phone)?)
    }

    /// Number of peers in the cache.
    pub fn peer_count(&self) -> usize {
        self.peers.len()
    }

    /// Every cached peer, in no particular order.
    pub fn peers(&self) -> impl Iterator<Item = &CachedPeer> {
        self.peers.iter()
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
        changes.set_dc_options(self.dc_options().to_vec());
        for (dc, key) in self.auth_keys.iter() {
            changes.set_auth_key(*dc, Some(key.clone()));
        }
        for (dc, key) in self.rare.iter().flat_map(|rare| rare.temp_auth_keys.iter()) {
            changes.set_temp_auth_key(*dc, Some(key.clone()));
        }
        changes.set_self_user(self.self_user);
        if let Some(state) = self.update_state {
            changes.set_update_state(state);
        }
        // Pushed directly: the setter's de-duplication is quadratic and the ids are unique here.
        changes.channel_pts = self
            .channel_pts
            .sorted()
            .into_iter()
            .map(|(channel, pts)| (channel, Some(pts)))
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
            self.set_dc_options(options);
        }
        for (dc, key) in plan.auth_keys {
            match key {
                Some(key) => self.auth_keys.insert(dc, key),
                None => self.auth_keys.remove(&dc),
            }
        }
        for (dc, key) in plan.temp_auth_keys {
            self.set_temp_auth_key(dc, key);
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
                None => self.channel_pts.remove(channel),
            };
        }
        self.peers.reserve_for(&plan.peers);
        for peer in plan.peers {
            self.install_peer(peer);
        }
    }

    /// Replaces the DC addresses (a plan's, or those loaded from disk).
    pub(crate) fn set_dc_options(&mut self, options: Vec<DcOption>) {
        self.rare.get_or_insert_with(Box::default).dc_options = options.into_boxed_slice();
        self.drop_empty_rare();
    }

    /// Sets or removes the temporary key of a DC (a plan's, or one loaded from disk).
    pub(crate) fn set_temp_auth_key(&mut self, dc: i32, key: Option<TempAuthKey>) {
        match key {
            Some(key) => self
                .rare
                .get_or_insert_with(Box::default)
                .temp_auth_keys
                .insert(dc, key),
            None => {
                if let Some(rare) = &mut self.rare {
                    rare.temp_auth_keys.remove(&dc);
                }
            }
        }
        self.drop_empty_rare();
    }

    fn drop_empty_rare(&mut self) {
        if self
            .rare
            .as_ref()
            .is_some_and(|rare| rare.dc_options.is_empty() && rare.temp_auth_keys.is_empty())
        {
            self.rare = None;
        }
    }

    /// Puts one already-merged peer in place (a plan's, or one loaded from disk).
    pub(crate) fn install_peer(&mut self, peer: CachedPeer) {
        self.peers.insert(peer);
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
        let id = self.state.peers.by_username(name)?.bot_api_id();
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
        let id = self.state.peers.by_phone(phone)?.bot_api_id();
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
    use crate::peer_cache::FEW;
    use crate::{PeerKind, PeerRef, BOT_API_CHANNEL_OFFSET};

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

    /// A user with one username (in the case given) and a phone with punctuation.
    fn named(id: i64, name: &str, phone: &str) -> CachedPeer {
        let mut peer = user(id, id * 3);
        peer.usernames = vec![name.to_owned()];
        peer.phone = Some(phone.to_owned());
        peer
    }

    /// Every look-up of peers `ids` (made by `named(id, "User_{id}", "+1 {id}")`) finds it.
    fn assert_all_found(state: &SessionState, ids: impl IntoIterator<Item = i64>) {
        for id in ids {
            assert_eq!(state.peer(id).map(CachedPeer::bot_api_id), Some(id));
            for query in [
                format!("user_{id}"),
                format!("@USER_{id}"),
                format!("User_{id}"),
            ] {
                let found = state.peer_by_username(&query).map(CachedPeer::bot_api_id);
                assert_eq!(found, Some(id), "{query}");
            }
            let phone = format!("+1 ({id})");
            assert_eq!(
                state.peer_by_phone(&phone).map(CachedPeer::bot_api_id),
                Some(id)
            );
        }
    }

    #[test]
    fn a_session_knowing_one_peer_keeps_it_in_one_exact_allocation() {
        // The state is inline in every storage of a process running hundreds of clients.
        assert!(std::mem::size_of::<SessionState>() <= 104);
        let mut state = SessionState::default();
        apply(&mut state, vec![named(7, "Me", "+1 7")]);
        match &state.peers {
            PeerCache::Few(peers) => assert_eq!((peers.len(), peers.capacity()), (1, 1)),
            PeerCache::Many(_) => panic!("one peer in hash tables"),
        }
        assert_eq!(state.peer_by_username("me").unwrap().bot_api_id(), 7);
        assert_eq!(state.peer_by_phone("17").unwrap().bot_api_id(), 7);
        assert!(state.peer_by_username("you").is_none());
        assert!(state.peer_by_phone("18").is_none());
        assert!(state.peer(8).is_none());
    }

    #[test]
    fn look_ups_agree_below_at_and_above_the_threshold() {
        let mut state = SessionState::default();
        // Descending ids, one at a time: every insert lands in front of the others.
        for id in (1..=FEW as i64).rev() {
            apply(
                &mut state,
                vec![named(id, &format!("User_{id}"), &format!("+1 {id}"))],
            );
            state.peers.assert_consistent();
        }
        assert!(matches!(state.peers, PeerCache::Few(_)));
        assert_all_found(&state, 1..=FEW as i64);

        let next = FEW as i64 + 1;
        apply(
            &mut state,
            vec![named(next, &format!("User_{next}"), &format!("1{next}"))],
        );
        assert!(matches!(state.peers, PeerCache::Many(_)));
        state.peers.assert_consistent();
        assert_all_found(&state, 1..=next);
        assert_eq!(state.peer_count(), FEW + 1);
        assert!(state.peer(next + 1).is_none());
        assert!(state.peer_by_username("user_0").is_none());
    }

    #[test]
    fn a_batch_past_the_threshold_switches_form_once_and_keeps_everything() {
        let mut state = SessionState::default();
        apply(&mut state, vec![named(1, "User_1", "+1 1")]);
        let batch: Vec<CachedPeer> = (2..=200)
            .map(|id| named(id, &format!("User_{id}"), &format!("+1 {id}")))
            .collect();
        apply(&mut state, batch);
        assert!(matches!(state.peers, PeerCache::Many(_)));
        state.peers.assert_consistent();
        assert_all_found(&state, 1..=200);
        // Peers arrive in id order from the snapshot, whatever form holds them.
        let ids: Vec<i64> = state
            .snapshot()
            .peers()
            .iter()
            .map(|p| p.bot_api_id())
            .collect();
        assert_eq!(ids, (1..=200).collect::<Vec<_>>());
    }

    #[test]
    fn renames_and_moves_work_in_both_forms() {
        for count in [5, FEW as i64 + 5] {
            let mut state = SessionState::default();
            apply(
                &mut state,
                (1..=count)
                    .map(|id| named(id, &format!("User_{id}"), &format!("+1 {id}")))
                    .collect(),
            );
            // Peer 1 renames itself: the old name is free, the new one (any case) finds it.
            apply(&mut state, vec![named(1, "Renamed", "+1 1")]);
            assert!(state.peer_by_username("user_1").is_none(), "{count}");
            assert_eq!(state.peer_by_username("RENAMED").unwrap().bot_api_id(), 1);
            // Peer 2 takes peer 3's name and phone.
            apply(&mut state, vec![named(2, "user_3", "1 3")]);
            assert_eq!(state.peer_by_username("User_3").unwrap().bot_api_id(), 2);
            assert_eq!(state.peer_by_phone("13").unwrap().bot_api_id(), 2);
            assert!(state.peer_by_username("user_2").is_none());
            assert!(state.peer_by_phone("12").is_none());
            let three = state.peer(3).unwrap();
            assert!(
                three.usernames.is_empty() && three.phone.is_none(),
                "{count}"
            );
            // A min object for peer 4 with no usernames keeps its name.
            let mut min = user(4, 1);
            min.min = true;
            apply(&mut state, vec![min]);
            assert_eq!(state.peer_by_username("user_4").unwrap().bot_api_id(), 4);
            state.peers.assert_consistent();
            assert_eq!(state.peer_count(), count as usize);
            assert_all_found(&state, 5..=count);
        }
    }

    #[test]
    fn a_wipe_returns_to_the_small_form() {
        let mut state = SessionState::default();
        apply(
            &mut state,
            (1..=100)
                .map(|id| named(id, &format!("User_{id}"), "1"))
                .collect(),
        );
        assert!(matches!(state.peers, PeerCache::Many(_)));
        let mut changes = Changes::new();
        changes.wipe_all().upsert_peer(named(5, "five", "5"));
        state.apply(changes);
        assert!(matches!(state.peers, PeerCache::Few(_)));
        assert_eq!(state.peer_count(), 1);
        assert!(state.peer_by_username("user_1").is_none());
        assert_eq!(state.peer_by_username("five").unwrap().bot_api_id(), 5);
    }

    #[test]
    fn addresses_and_temporary_keys_are_kept_and_freed_when_both_are_gone() {
        let mut state = SessionState::default();
        assert!(state.rare.is_none());
        let key = TempAuthKey {
            key: AuthKeyData::new([1; AuthKeyData::LEN]),
            expires_at: 5,
        };
        let option = DcOption {
            id: 2,
            ipv4: Some(std::net::Ipv4Addr::LOCALHOST),
            ipv6: None,
            port: 443,
            flags: Default::default(),
        };
        let mut changes = Changes::new();
        changes
            .set_dc_options(vec![option.clone()])
            .set_temp_auth_key(2, Some(key.clone()));
        state.apply(changes);
        assert_eq!(state.dc_options(), std::slice::from_ref(&option));
        assert_eq!(state.temp_auth_key(2), Some(&key));
        assert_eq!(state.temp_auth_key(1), None);
        let mut copy = SessionState::default();
        copy.apply(state.snapshot());
        assert_eq!(copy.dc_options(), [option]);
        assert_eq!(copy.temp_auth_key(2), Some(&key));

        // The key alone keeps them.
        let mut changes = Changes::new();
        changes.set_dc_options(Vec::new());
        state.apply(changes);
        assert!(state.dc_options().is_empty());
        assert_eq!(state.temp_auth_key(2), Some(&key));
        let mut changes = Changes::new();
        changes.set_temp_auth_key(2, None);
        state.apply(changes);
        assert!(state.rare.is_none());
        assert_eq!(state.temp_auth_key(2), None);
        // Removing what is not there creates nothing.
        let mut changes = Changes::new();
        changes.set_temp_auth_key(3, None);
        state.apply(changes);
        assert!(state.rare.is_none());
    }

    #[test]
    fn channel_pts_are_a_map_that_frees_itself_when_emptied() {
        let mut state = SessionState::default();
        let mut changes = Changes::new();
        for channel in [30, 10, 20] {
            changes.set_channel_pts(channel, Some(channel as i32 + 1));
        }
        state.apply(changes);
        let mut changes = Changes::new();
        changes
            .set_channel_pts(20, None)
            .set_channel_pts(10, Some(99));
        state.apply(changes);
        assert_eq!(state.channel_states(), [(10, 99), (30, 31)]);
        assert_eq!(state.channel_pts(30), Some(31));
        assert_eq!(state.channel_pts(20), None);
        assert_eq!(
            state.snapshot().channel_pts(),
            [(10, Some(99)), (30, Some(31))]
        );
        let mut changes = Changes::new();
        changes.set_channel_pts(10, None).set_channel_pts(30, None);
        state.apply(changes);
        assert!(state.channel_pts.0.is_none());
        assert_eq!(state.channel_states(), []);
    }

    mod random {
        use super::*;
        use proptest::prelude::*;

        const NAMES: [&str; 8] = ["ann", "bob", "cat", "dan", "eve", "Fay", "GUS", "hal"];
        const PHONES: [&str; 4] = ["111", "+2 22", "333", "(4) 44"];

        /// Peers with ids below `max_id`; with more ids than [`FEW`], caches cross the threshold.
        fn any_peer(max_id: i64) -> impl Strategy<Value = CachedPeer> {
            (
                1i64..max_id,
                any::<bool>(),
                prop::option::of(1i64..1000),
                prop::collection::vec(prop::sample::select(NAMES.to_vec()), 0..3),
                prop::option::of(prop::sample::select(PHONES.to_vec())),
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

        fn any_batches(max_id: i64) -> impl Strategy<Value = Vec<Vec<CachedPeer>>> {
            prop::collection::vec(prop::collection::vec(any_peer(max_id), 1..24), 1..12)
        }

        /// Applies `batches` to a state in the small form and to one forced into the large form
        /// (the hash tables, which held every cache before the small form existed), checking
        /// both forms' invariants and that every look-up answers the same after each batch.
        fn run(batches: Vec<Vec<CachedPeer>>, max_id: i64) -> Result<(), TestCaseError> {
            let mut state = SessionState::default();
            let mut indexed = SessionState {
                peers: state.peers.to_many(),
                ..SessionState::default()
            };
            // Model of the min rule: the hash of the last full object with a hash.
            let mut full_hash: HashMap<i64, i64> = HashMap::new();
            for batch in batches {
                for peer in &batch {
                    if let (false, Some(hash)) = (peer.min, peer.peer.access_hash()) {
                        full_hash.insert(peer.bot_api_id(), hash);
                    }
                }
                for target in [&mut state, &mut indexed] {
                    let mut changes = Changes::new();
                    changes.upsert_peers(batch.clone());
                    let plan = target.plan(changes);
                    target.commit(plan);
                    target.peers.assert_consistent();
                }
                prop_assert_eq!(
                    matches!(state.peers, PeerCache::Few(_)),
                    state.peer_count() <= FEW
                );
                let (small, large) = (state.snapshot(), indexed.snapshot());
                prop_assert_eq!(small.peers(), large.peers());
                prop_assert_eq!(small.channel_pts(), large.channel_pts());
                for id in (1..max_id).flat_map(|id| [id, -(BOT_API_CHANNEL_OFFSET + id)]) {
                    prop_assert_eq!(state.peer(id), indexed.peer(id));
                }
                for name in NAMES {
                    let found = state.peer_by_username(name);
                    prop_assert_eq!(found, indexed.peer_by_username(name));
                    let lower = name.to_lowercase();
                    prop_assert_eq!(
                        found.is_some(),
                        state.peers().any(|p| p.usernames.contains(&lower))
                    );
                    // One owner per name.
                    prop_assert!(
                        state
                            .peers()
                            .filter(|p| p.usernames.contains(&lower))
                            .count()
                            <= 1
                    );
                }
                for phone in PHONES {
                    prop_assert_eq!(state.peer_by_phone(phone), indexed.peer_by_phone(phone));
                }
            }
            for (id, hash) in full_hash {
                let cached = state.peer(id).unwrap();
                prop_assert_eq!(cached.peer.access_hash(), Some(hash));
                prop_assert!(!cached.min);
            }
            Ok(())
        }

        proptest! {
            #[test]
            fn few_peers_answer_as_hash_tables_do(batches in any_batches(8)) {
                run(batches, 8)?;
            }

            #[test]
            fn caches_crossing_the_threshold_answer_as_hash_tables_do(
                batches in any_batches(3 * FEW as i64)
            ) {
                run(batches, 3 * FEW as i64)?;
            }
        }
    }
}
