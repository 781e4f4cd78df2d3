//! The generations written by the kill -9 tests: each `apply` writes 200 peers stamped with a
//! generation number `n`, the update state `pts = n`, the channel pts `n`, and every 7th generation
//! an auth key encoding `n`. A consistent session is one where all of these agree on one `n`.

use tgwire_session::{AuthKeyData, CachedPeer, Changes, PeerKind, PeerRef, Storage, UpdateState};

pub const PEERS: i64 = 200;
pub const KEY_EVERY: i32 = 7;

pub fn kind_of(i: i64) -> PeerKind {
    match i % 3 {
        0 => PeerKind::User,
        1 => PeerKind::Broadcast,
        _ => PeerKind::BasicGroup,
    }
}

pub fn key_for(n: i32) -> AuthKeyData {
    let mut bytes = [0x5a; 256];
    bytes[..4].copy_from_slice(&n.to_be_bytes());
    AuthKeyData::new(bytes)
}

pub fn generation(n: i32) -> Changes {
    let mut changes = Changes::new();
    changes
        .set_update_state(UpdateState {
            pts: n,
            qts: n,
            date: n,
            seq: n,
        })
        .set_channel_pts(1, Some(n));
    if n % KEY_EVERY == 0 {
        changes.set_auth_key(2, Some(key_for(n)));
    }
    changes.upsert_peers((1..=PEERS).map(|i| {
        let mut peer = CachedPeer::new(PeerRef::new(kind_of(i), i, Some(i64::from(n))).unwrap());
        peer.name = Some(format!("generation {n}"));
        // Alternate usernames so each generation also rewrites the username index.
        peer.usernames = vec![format!("peer{i}_{}", n % 2)];
        peer
    }));
    changes
}

/// Checks that everything in the session belongs to one generation and returns it (0: empty).
pub fn consistent_generation(storage: &dyn Storage) -> i32 {
    let Some(state) = storage.update_state() else {
        assert_eq!(storage.peer_count(), 0, "peers without update state");
        assert_eq!(storage.channel_pts(1), None);
        return 0;
    };
    let n = state.pts;
    assert_eq!(
        state,
        UpdateState {
            pts: n,
            qts: n,
            date: n,
            seq: n
        }
    );
    assert_eq!(storage.channel_pts(1), Some(n));
    assert_eq!(storage.peer_count(), PEERS as usize);
    for i in 1..=PEERS {
        let peer = PeerRef::new(kind_of(i), i, None).unwrap();
        let cached = storage
            .peer(peer.bot_api_id())
            .unwrap_or_else(|| panic!("generation {n}: peer {i} missing"));
        assert_eq!(
            cached.name.as_deref(),
            Some(format!("generation {n}").as_str())
        );
        if !kind_of(i).is_basic_group() {
            assert_eq!(cached.peer.access_hash(), Some(i64::from(n)));
        }
        let username = format!("peer{i}_{}", n % 2);
        assert_eq!(cached.usernames, vec![username.clone()]);
        assert_eq!(
            storage.peer_by_username(&username).map(|p| p.peer.id()),
            Some(i)
        );
        let stale = format!("peer{i}_{}", (n + 1) % 2);
        assert!(
            storage.peer_by_username(&stale).is_none(),
            "stale username {stale}"
        );
    }
    let last_key_generation = n - n % KEY_EVERY;
    if last_key_generation == 0 {
        assert_eq!(storage.auth_key(2), None);
    } else {
        assert_eq!(storage.auth_key(2), Some(key_for(last_key_generation)));
    }
    n
}
