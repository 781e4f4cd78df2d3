//! A session storage written outside tgwire, as a user writes one: a JSON file behind
//! `tgwire_session::Persist` and `PersistedStorage` (the same file the session crate's
//! conformance suite runs, `crates/session/tests/support/json_file.rs`). A client signs in over
//! it against the test server, learns a peer and follows updates; after the client is gone, a new
//! one starts from the file alone: signed in, the peer addressable without resolving it again,
//! and the messages sent while it was away fetched from the stored update state.

mod common;

#[path = "../../session/tests/support/json_file.rs"]
mod json_file;

use std::time::Duration;

use tgwire::Storage;

/// Generous: the machine running the tests may be slow; waits end as soon as the update comes.
const PATIENCE: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_client_signs_in_over_a_json_file_storage_and_comes_back_from_it() -> anyhow::Result<()> {
    let server = common::start().await;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("alice.json");
    let (bob, _) = common::signed_in(&server, 2, "1701").await;
    let bob_id = common::me(&bob).await;
    server.backend().set_username(bob_id, Some("bob_json"))?;

    // Alice starts on DC 1 and is sent to DC 2 (PHONE_MIGRATE_2) while signing in.
    let alice = common::builder(&server, 1)
        .session(json_file::JsonFile::open(&path)?)
        .connect()
        .await?;
    let token = alice.request_login_code("9996621702").await?;
    let me = alice.sign_in(&token, "22222").await?;
    let bob_ref = alice.resolve("@bob_json").await?;
    server.backend().set_username(me.id(), Some("alice_json"))?;
    bob.resolve("@alice_json").await?;

    let mut stream = alice.updates();
    bob.send_message("@alice_json", "while running").await?;
    assert_eq!(
        common::next_texts(&mut stream, 1, PATIENCE).await,
        ["while running"]
    );
    let cached = alice
        .session()
        .peer_by_username("bob_json")
        .expect("bob is cached");
    assert_eq!(cached.peer.bot_api_id(), bob_id);
    assert!(cached.peer.access_hash().is_some());
    // The engine saves its state as it hands updates out; wait until the file has one at least
    // as far as the message just received.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let stored = loop {
        let reopened_state = serde_json::from_slice::<serde_json::Value>(&std::fs::read(&path)?)?;
        if let Some(pts) = reopened_state["update_state"]["pts"].as_i64() {
            if pts > 0 {
                break pts;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no update state reached the file"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    alice.disconnect().await;
    drop(stream);
    drop(alice);

    // Away: bob writes three messages.
    let away = ["away 1", "away 2", "away 3"];
    for text in away {
        bob.send_message("@alice_json", text).await?;
    }

    // What the file alone brings back.
    let storage = json_file::JsonFile::open(&path)?;
    assert_eq!(storage.home_dc(), Some(2), "PHONE_MIGRATE_2 was stored");
    assert_eq!(storage.self_user().map(|u| u.id), Some(me.id()));
    assert!(storage.auth_key(2).is_some());
    let pts = storage.update_state().expect("update state stored").pts;
    assert!(i64::from(pts) >= stored, "{pts} < {stored}");
    let cached = storage.peer(bob_id).expect("bob survived the restart");
    assert_eq!(cached.peer, bob_ref, "same reference, access hash included");
    assert_eq!(cached.usernames, ["bob_json"]);

    let alice = common::builder(&server, 1)
        .session(storage)
        .catch_up(true)
        .connect()
        .await?;
    assert_eq!(alice.home_dc(), 2, "home DC came from the file");
    assert!(alice.is_authorized().await?, "auth key came from the file");
    let mut stream = alice.updates();
    assert_eq!(
        common::next_texts(&mut stream, 3, PATIENCE).await,
        away,
        "caught up from the file"
    );

    // Bob is addressed by the stored reference alone (no username resolved again).
    let stored_ref = alice.session().peer_ref(bob_id).expect("cached");
    let mut bob_stream = bob.updates();
    alice.send_message(stored_ref, "back").await?;
    assert_eq!(
        common::next_texts(&mut bob_stream, 1, PATIENCE).await,
        ["back"]
    );
    alice.disconnect().await;
    Ok(())
}
