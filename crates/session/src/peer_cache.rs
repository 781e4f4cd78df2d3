//! [`PeerCache`]: a session's cached peers, found by Bot API id, username or phone.

use std::collections::HashMap;

use crate::CachedPeer;

/// Up to this many peers the cache is one sorted vector; past it, hash tables.
///
/// Most sessions of a process running many clients know only their own user, and a bot may never
/// learn more than a few peers. Hash tables for them would cost several times the peers
/// themselves (three tables of at least four slots, and a copy of every username and phone as an
/// index key). A vector this short is searched as fast as a hash table is: a binary search by id,
/// and a scan comparing a few short strings by username or phone.
pub(crate) const FEW: usize = 32;

/// The peer cache, small while it is small.
///
/// Both forms answer every question the same way; the form is chosen only by size. Peers are never
/// dropped one by one (only a wipe empties the cache, by replacing it), so a cache that grew
/// indexes keeps them.
#[derive(Clone)]
pub(crate) enum PeerCache {
    /// Sorted by Bot API id, with no spare room: up to [`FEW`] peers, usually one.
    Few(Vec<CachedPeer>),
    /// Boxed so that the small form decides how large the session is.
    Many(Box<Indexed>),
}

/// The large form: peers by id, and indexes by username and phone.
#[derive(Clone, Default)]
pub(crate) struct Indexed {
    // Peers are boxed: a hash table keeps an eighth or more of its slots empty, and a slot holding
    // a whole peer is seven times one holding a pointer, so boxed entries take less at any size.
    peers: HashMap<i64, Box<CachedPeer>>,
    by_username: HashMap<String, i64>,
    by_phone: HashMap<String, i64>,
}

impl Default for PeerCache {
    fn default() -> Self {
        PeerCache::Few(Vec::new())
    }
}

impl PeerCache {
    pub(crate) fn len(&self) -> usize {
        match self {
            PeerCache::Few(peers) => peers.len(),
            PeerCache::Many(many) => many.peers.len(),
        }
    }

    /// A peer by Bot API id.
    // Inlined into the storages' read methods, like the bare hash-table reads they replace: a
    // look-up by id runs for every incoming message.
    #[inline]
    pub(crate) fn get(&self, id: i64) -> Option<&CachedPeer> {
        match self {
            PeerCache::Few(peers) => few_position(peers, id).ok().map(|i| &peers[i]),
            PeerCache::Many(many) => many.peers.get(&id).map(|p| &**p),
        }
    }

    /// The peer holding `name`, which must already be normalised (lowercase, no `@`).
    #[inline]
    pub(crate) fn by_username(&self, name: &str) -> Option<&CachedPeer> {
        match self {
            PeerCache::Few(peers) => peers.iter().find(|p| p.usernames.iter().any(|n| n == name)),
            PeerCache::Many(many) => many.get(*many.by_username.get(name)?),
        }
    }

    /// The peer holding `phone`, which must already be normalised (digits only).
    #[inline]
    pub(crate) fn by_phone(&self, phone: &str) -> Option<&CachedPeer> {
        match self {
            PeerCache::Few(peers) => peers.iter().find(|p| p.phone.as_deref() == Some(phone)),
            PeerCache::Many(many) => many.get(*many.by_phone.get(phone)?),
        }
    }

    /// Every peer: in id order while few, in no particular order once many.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &CachedPeer> {
        let (few, many) = match self {
            PeerCache::Few(peers) => (Some(peers.iter()), None),
            PeerCache::Many(many) => (None, Some(many.peers.values().map(|p| &**p))),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }

    /// Makes room for the peers of `batch` not cached yet, so that a batch arriving at once grows
    /// the vector once, or switches to the large form once instead of after the first few
    /// inserts. The large form grows by itself, and counting would cost it a look-up per peer.
    pub(crate) fn reserve_for(&mut self, batch: &[CachedPeer]) {
        if let PeerCache::Few(peers) = self {
            let new = batch
                .iter()
                .filter(|p| few_position(peers, p.bot_api_id()).is_err())
                .count();
            if peers.len().saturating_add(new) <= FEW {
                peers.reserve_exact(new);
            } else {
                self.grow();
            }
        }
    }

    /// Puts one already-merged peer in place of any entry with its id.
    pub(crate) fn insert(&mut self, peer: CachedPeer) {
        if let PeerCache::Few(peers) = self {
            let id = peer.bot_api_id();
            match few_position(peers, id) {
                Ok(i) => {
                    peers[i] = peer;
                    return;
                }
                Err(i) if peers.len() < FEW => {
                    // Exact growth: this vector holds a handful of peers of 112 bytes each,
                    // and doubling would reserve room for three more beside the first.
                    peers.reserve_exact(1);
                    peers.insert(i, peer);
                    return;
                }
                Err(_) => self.grow(),
            }
        }
        if let PeerCache::Many(many) = self {
            many.insert(peer);
        }
    }

    /// Switches to the large form.
    fn grow(&mut self) {
        if let PeerCache::Few(peers) = self {
            let peers = std::mem::take(peers);
            let mut many = Box::new(Indexed {
                // Room for twice as many: the cache grows in batches of a few hundred.
                peers: HashMap::with_capacity(2 * FEW),
                ..Indexed::default()
            });
            for peer in peers {
                many.insert(peer);
            }
            *self = PeerCache::Many(many);
        }
    }

    /// The large form, holding the same peers (for tests comparing both).
    #[cfg(test)]
    pub(crate) fn to_many(&self) -> PeerCache {
        let mut many = PeerCache::Many(Box::default());
        for peer in self.iter() {
            many.insert(peer.clone());
        }
        many
    }

    /// Panics unless the form's invariants hold: sorted unique ids and no spare room while few,
    /// indexes agreeing with the peers in both directions once many.
    #[cfg(test)]
    pub(crate) fn assert_consistent(&self) {
        match self {
            PeerCache::Few(peers) => {
                assert!(
                    peers.len() <= FEW,
                    "{} peers in the small form",
                    peers.len()
                );
                assert_eq!(
                    peers.capacity(),
                    peers.len(),
                    "spare room in the small form"
                );
                assert!(
                    peers
                        .windows(2)
                        .all(|w| w[0].bot_api_id() < w[1].bot_api_id()),
                    "small form not sorted by id"
                );
            }
            PeerCache::Many(many) => {
                for (name, id) in &many.by_username {
                    let peer = many.peers.get(id).expect("index points at a missing peer");
                    assert!(
                        peer.usernames.contains(name),
                        "{name} indexed to {id} which lacks it"
                    );
                }
                for (phone, id) in &many.by_phone {
                    assert_eq!(many.peers[id].phone.as_ref(), Some(phone));
                }
                for (id, peer) in &many.peers {
                    assert_eq!(peer.bot_api_id(), *id);
                    for name in &peer.usernames {
                        assert_eq!(
                            many.by_username.get(name),
                            Some(id),
                            "{name} of {id} not indexed"
                        );
                    }
                    if let Some(phone) = &peer.phone {
                        assert_eq!(many.by_phone.get(phone), Some(id));
                    }
                }
            }
        }
    }
}

/// Where `id` is in the small form, or where it would go.
fn few_position(peers: &[CachedPeer], id: i64) -> Result<usize, usize> {
    peers.binary_search_by_key(&id, CachedPeer::bot_api_id)
}

impl Indexed {
    fn get(&self, id: i64) -> Option<&CachedPeer> {
        self.peers.get(&id).map(|p| &**p)
    }

    /// Puts a peer in place and keeps the indexes in step. An index entry is only removed if it
    /// still points at this peer: another peer in the same plan may have taken it.
    fn insert(&mut self, peer: CachedPeer) {
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
