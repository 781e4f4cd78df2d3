//! The storage conformance suite: what every [`Storage`] must do, whatever keeps the data. Each
//! test binary instantiates it with `conformance_suite!` for one backend; see
//! `tests/storage_conformance.rs`.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use tgwire_session::{
    copy_session, Changes, MemoryStorage, PeerKind, SelfUser, SessionError, Storage, StringSession,
    UpdateState,
};

use super::{assert_full, full_changes, key, peer, Backend};

/// Instantiates every conformance test for the backend made by `$make` (an expression giving an
/// `Option` of a [`Backend`]; `None` skips, for a PostgreSQL server that is not configured).
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::conformance_suite!(@tests $make;
            every_field_survives_reopen,
            removals_and_wipe_persist,
            min_rule_holds_across_reopen,
            username_hand_over_persists,
            sessions_are_independent,
            second_open_is_refused_until_the_first_is_gone,
            second_open_from_another_thread_is_refused,
            string_session_round_trip,
            copy_session_in_and_out,
            empty_changes_and_refused_opens_change_nothing,
            same_answers_as_memory_across_reopen,
        );
    };
    (@tests $make:expr; $($name:ident,)*) => {
        $(
            #[test]
            fn $name() {
                let Some(backend) = $make else { return };
                $crate::support::conformance::$name(&backend);
            }
        )*
    };
}

/// Drops `storage` and opens `name` again, if the backend keeps data; otherwise keeps `storage`.
fn reopen(backend: &dyn Backend, storage: Box<dyn Storage>, name: &str) -> Box<dyn Storage> {
    if backend.persistent() {
        drop(storage);
        backend.open(name).expect("reopen")
    } else {
        storage
    }
}

pub fn every_field_survives_reopen(backend: &dyn Backend) {
    let storage = backend.open("full").unwrap();
    storage.apply(full_changes()).unwrap();
    assert_full(&*storage);
    let storage = reopen(backend, storage, "full");
    assert_full(&*storage);
    // The snapshot moves it to another backend intact.
    assert_full(&MemoryStorage::with(storage.snapshot()));
}

pub fn removals_and_wipe_persist(backend: &dyn Backend) {
    let storage = backend.open("removals").unwrap();
    storage.apply(full_changes()).unwrap();
    let mut changes = Changes::new();
    changes
        .set_auth_key(4, None)
        .set_temp_auth_key(2, None)
        .set_channel_pts(3002, None)
        .set_self_user(None)
        .clear_update_state();
    storage.apply(changes).unwrap();
    let storage = reopen(backend, storage, "removals");
    assert_eq!(storage.auth_key(4), None);
    assert_eq!(storage.auth_key(2), Some(key(1)));
    assert_eq!(storage.temp_auth_key(2), None);
    assert_eq!(storage.channel_states(), vec![(3001, 555)]);
    assert_eq!(storage.self_user(), None);
    assert_eq!(storage.update_state(), None);
    assert_eq!(storage.peer_count(), 7);

    let mut wipe = Changes::new();
    wipe.wipe_all();
    storage.apply(wipe).unwrap();
    let storage = reopen(backend, storage, "removals");
    assert_eq!(storage.home_dc(), None);
    assert_eq!(storage.peer_count(), 0);
    assert!(storage.dc_options().is_empty());
    assert_eq!(storage.auth_key(2), None);
    assert_eq!(storage.peer_by_username("alice"), None);
}

pub fn min_rule_holds_across_reopen(backend: &dyn Backend) {
    let storage = backend.open("min").unwrap();
    let mut changes = Changes::new();
    changes.upsert_peer(peer(PeerKind::User, 5, Some(1111)));
    storage.apply(changes).unwrap();
    let storage = reopen(backend, storage, "min");

    let mut min = peer(PeerKind::User, 5, Some(2222));
    min.min = true;
    min.name = Some("Seen in a group".into());
    let mut changes = Changes::new();
    changes.upsert_peer(min);
    storage.apply(changes).unwrap();
    let storage = reopen(backend, storage, "min");

    let cached = storage.peer(5).unwrap();
    assert_eq!(cached.peer.access_hash(), Some(1111));
    assert!(!cached.min);
    assert_eq!(cached.name.as_deref(), Some("Seen in a group"));
    assert!(storage.has_full_peer(5));

    // Only ever seen "min": cached, but not in full.
    let mut only_min = peer(PeerKind::User, 6, Some(3333));
    only_min.min = true;
    let mut changes = Changes::new();
    changes.upsert_peer(only_min);
    storage.apply(changes).unwrap();
    let storage = reopen(backend, storage, "min");
    assert!(storage.peer(6).is_some_and(|p| p.min));
    assert!(!storage.has_full_peer(6));
    assert!(!storage.has_full_peer(7), "unknown");
}

pub fn username_hand_over_persists(backend: &dyn Backend) {
    let storage = backend.open("usernames").unwrap();
    let mut a = peer(PeerKind::User, 1, Some(1));
    a.usernames = vec!["shared".into(), "keep_a".into()];
    a.phone = Some("+1 555".into());
    let mut changes = Changes::new();
    changes.upsert_peer(a);
    storage.apply(changes).unwrap();

    let mut b = peer(PeerKind::Supergroup, 2, Some(2));
    b.usernames = vec!["Shared".into()];
    let mut c = peer(PeerKind::User, 3, Some(3));
    c.phone = Some("1555".into());
    let mut changes = Changes::new();
    changes.upsert_peers([b, c]);
    storage.apply(changes).unwrap();
    let storage = reopen(backend, storage, "usernames");

    assert_eq!(
        storage.peer_by_username("shared").unwrap().bot_api_id(),
        -1_000_000_000_002
    );
    assert_eq!(storage.peer_by_phone("+1 555").unwrap().bot_api_id(), 3);
    let a = storage.peer(1).unwrap();
    assert_eq!(a.usernames, vec!["keep_a".to_string()]);
    assert_eq!(a.phone, None);
}

pub fn sessions_are_independent(backend: &dyn Backend) {
    let a = backend.open("independent_a").unwrap();
    let b = backend.open("independent_b").unwrap();
    a.apply(full_changes()).unwrap();
    let mut changes = Changes::new();
    changes
        .set_home_dc(5)
        .upsert_peer(peer(PeerKind::Bot, 9, Some(9)));
    b.apply(changes).unwrap();
    let a = reopen(backend, a, "independent_a");
    let b = reopen(backend, b, "independent_b");
    assert_full(&*a);
    assert_eq!(b.home_dc(), Some(5));
    assert_eq!(b.peer_count(), 1);
    assert_eq!(b.auth_key(2), None);
    assert_eq!(b.peer_by_username("alice"), None);
}

pub fn second_open_is_refused_until_the_first_is_gone(backend: &dyn Backend) {
    if !backend.exclusive() {
        return;
    }
    let first = backend.open("exclusive").unwrap();
    let error = backend.open("exclusive").map(|_| ()).unwrap_err();
    assert!(error.is_in_use(), "expected an in-use error, got {error:?}");
    // The failed attempt did not disturb the owner.
    first.apply(full_changes()).unwrap();
    drop(first);
    let again = backend.open("exclusive").unwrap();
    assert_full(&*again);
}

pub fn second_open_from_another_thread_is_refused(backend: &dyn Backend) {
    if !backend.exclusive() {
        return;
    }
    let _first = backend.open("threads").unwrap();
    let result = std::thread::scope(|s| {
        s.spawn(|| backend.open("threads").map(|_| ()))
            .join()
            .unwrap()
    });
    assert!(
        result.as_ref().is_err_and(SessionError::is_in_use),
        "{result:?}"
    );
}

pub fn string_session_round_trip(backend: &dyn Backend) {
    let storage = backend.open("string_out").unwrap();
    assert!(matches!(
        StringSession::from_storage(&*storage),
        Err(SessionError::Incomplete { .. })
    ));
    storage.apply(full_changes()).unwrap();
    let text = StringSession::from_storage(&*storage).unwrap().encode();

    let restored = backend.open("string_in").unwrap();
    restored
        .apply(StringSession::decode(&text).unwrap().to_changes())
        .unwrap();
    let restored = reopen(backend, restored, "string_in");
    assert_eq!(restored.home_dc(), Some(2));
    assert_eq!(restored.auth_key(2), Some(key(1)));
    assert_eq!(
        restored.self_user(),
        Some(SelfUser {
            id: 1001,
            bot: false
        })
    );
    assert_eq!(
        restored.dc_options()[0].ipv4,
        Some(std::net::Ipv4Addr::new(149, 154, 167, 51))
    );
}

pub fn copy_session_in_and_out(backend: &dyn Backend) {
    let source = MemoryStorage::with(full_changes());
    let target = backend.open("copy").unwrap();
    // Something to be replaced: a copy is the whole session, not a merge.
    let mut old = Changes::new();
    old.set_home_dc(5)
        .upsert_peer(peer(PeerKind::User, 777, Some(1)));
    target.apply(old).unwrap();
    copy_session(&source, &*target).unwrap();
    let target = reopen(backend, target, "copy");
    assert_full(&*target);
    assert_eq!(target.peer(777), None);

    let back = MemoryStorage::new();
    copy_session(&*target, &back).unwrap();
    assert_full(&back);
}

/// An empty `Changes` is a no-op, and a refused second open leaves the owner's session as it was.
/// (A failed `apply` is backend-specific to provoke; the PostgreSQL tests do it with a fenced-off
/// writer.)
pub fn empty_changes_and_refused_opens_change_nothing(backend: &dyn Backend) {
    let storage = backend.open("noop").unwrap();
    storage.apply(full_changes()).unwrap();
    storage.apply(Changes::new()).unwrap();
    assert_full(&*storage);
    if backend.exclusive() {
        assert!(backend.open("noop").map(|_| ()).unwrap_err().is_in_use());
        assert_full(&*storage);
    }
}

const NAMES: [&str; 4] = ["ann", "bob", "cat", "dan"];
const IDS: [i64; 5] = [1, 2, 3, 4, 5];

fn any_peer() -> impl Strategy<Value = tgwire_session::CachedPeer> {
    (
        prop::sample::select(IDS.to_vec()),
        0usize..3,
        any::<bool>(),
        prop::option::of(any::<i64>()),
        prop::collection::vec(prop::sample::select(NAMES.to_vec()), 0..3),
        prop::option::of(prop::sample::select(vec!["+1 1", "22", "333"])),
        prop::option::of("[a-zA-Z ]{0,8}"),
    )
        .prop_map(|(id, family, min, hash, names, phone, name)| {
            let kind = [PeerKind::Bot, PeerKind::BasicGroup, PeerKind::Supergroup][family];
            let mut peer = peer(kind, id, hash);
            peer.min = min;
            peer.usernames = names.into_iter().map(str::to_owned).collect();
            peer.phone = phone.map(str::to_owned);
            peer.name = name;
            peer
        })
}

fn assert_same(a: &dyn Storage, b: &dyn Storage) {
    assert_eq!(a.peer_count(), b.peer_count());
    assert_eq!(a.update_state(), b.update_state());
    assert_eq!(a.channel_states(), b.channel_states());
    for id in IDS {
        for family in [id, -id, -1_000_000_000_000 - id] {
            assert_eq!(a.peer(family), b.peer(family), "peer {family}");
            let full = a.peer(family).is_some_and(|p| !p.min);
            assert_eq!(a.has_full_peer(family), full, "peer {family} in full");
            assert_eq!(b.has_full_peer(family), full, "peer {family} in full");
        }
    }
    for name in NAMES {
        assert_eq!(
            a.peer_by_username(name),
            b.peer_by_username(name),
            "@{name}"
        );
    }
    for phone in ["11", "22", "333"] {
        assert_eq!(
            a.peer_by_phone(phone),
            b.peer_by_phone(phone),
            "phone {phone}"
        );
    }
}

/// Random batches give the same answers from the backend (before and after reopening) as from
/// memory: it stores exactly what the in-memory merge decided.
pub fn same_answers_as_memory_across_reopen(backend: &dyn Backend) {
    let batches = prop::collection::vec(
        (
            prop::collection::vec(any_peer(), 0..5),
            any::<u8>(),
            any::<bool>(),
        ),
        1..8,
    );
    let mut runner = TestRunner::new(Config::with_cases(32));
    let case = std::sync::atomic::AtomicU32::new(0);
    runner
        .run(&batches, |batches| {
            let n = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let name = format!("random_{n}");
            let memory = MemoryStorage::new();
            let storage = backend.open(&name).unwrap();
            for (peers, pts, wipe) in batches {
                let mut changes = Changes::new();
                if wipe && pts % 4 == 0 {
                    changes.wipe_all();
                }
                changes
                    .set_update_state(UpdateState {
                        pts: i32::from(pts),
                        ..Default::default()
                    })
                    .set_channel_pts(i64::from(pts % 3) + 1, Some(i32::from(pts)))
                    .upsert_peers(peers);
                memory.apply(changes.clone()).unwrap();
                storage.apply(changes).unwrap();
                assert_same(&memory, &*storage);
            }
            let storage = reopen(backend, storage, &name);
            assert_same(&memory, &*storage);
            Ok(())
        })
        .unwrap();
}
