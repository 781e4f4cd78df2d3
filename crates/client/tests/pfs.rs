//! Perfect forward secrecy through the client: `ClientBuilder::pfs` against the test server.
//!
//! What the user must see: signing in and messaging work the same; the session file holds the
//! permanent key (the one the authorization belongs to), never a temporary one; temporary keys
//! that expire or that the server forgets are replaced without a request failing.

mod common;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::TryStreamExt;
use tgwire::{MemoryStorage, Storage};

use common::{builder, start};

/// The permanent key the session stored for `dc`, as the server's key id.
fn stored_key_id(storage: &dyn Storage, dc: i32) -> i64 {
    let key = storage.auth_key(dc).expect("the session holds a key");
    tgwire_crypto::AuthKey::from_bytes(*key.as_bytes()).id()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_under_rotating_temporary_keys_with_the_permanent_key_stored() {
    let server = start().await;
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let client = builder(&server, 2)
        .session_shared(Arc::clone(&storage))
        .pfs_key_lifetime(Duration::from_secs(3))
        .connect()
        .await
        .expect("connects with PFS");
    let token = client
        .request_login_code("9996621234")
        .await
        .expect("code sent");
    client.sign_in(&token, "22222").await.expect("signs in");
    let perm = stored_key_id(storage.as_ref(), 2);
    assert_eq!(
        server.temp_key_binding(perm),
        None,
        "the stored key is not a temporary one"
    );

    // Keep talking for longer than two key lifetimes, and make the server forget the
    // temporary key once on the way.
    let started = tokio::time::Instant::now();
    let mut sent = Vec::new();
    let mut dropped = false;
    while started.elapsed() < Duration::from_secs(8) {
        let text = format!("pfs message {}", sent.len());
        let message = client
            .send_message("me", text.as_str())
            .await
            .expect("every message goes through");
        sent.push(message.id());
        if !dropped && started.elapsed() > Duration::from_secs(4) {
            assert!(server.drop_temp_keys() >= 1, "a temporary key was in use");
            dropped = true;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    assert!(dropped);
    assert!(sent.len() > 20, "only {} messages in 8 s", sent.len());

    let history: Vec<i32> = client
        .iter_messages("me")
        .try_collect::<Vec<_>>()
        .await
        .expect("history")
        .iter()
        .map(|m| m.id())
        .collect();
    let unique: HashSet<i32> = history.iter().copied().collect();
    assert_eq!(unique.len(), history.len(), "no message stored twice");
    for id in &sent {
        assert!(unique.contains(id), "message {id} reached the server");
    }
    assert_eq!(history.len(), sent.len(), "and nothing else was sent");
    assert_eq!(
        stored_key_id(storage.as_ref(), 2),
        perm,
        "rotations never touch the stored permanent key"
    );
    client.disconnect().await;

    // The authorization belongs to the permanent key: a client without PFS on the same
    // session is signed in straight away.
    let plain = builder(&server, 2)
        .session_shared(Arc::clone(&storage))
        .connect()
        .await
        .expect("reconnects without PFS");
    assert!(plain.is_authorized().await.expect("asks"));
    plain.disconnect().await;
}
