//! `--data`: the state survives a restart; unusable files fail with a clear error and are
//! never overwritten.

use tgwire_tl_types::functions;

use super::*;
use crate::backend::model::MessageStore;
use crate::backend::BackendError;

fn persistent(path: &std::path::Path) -> Result<Backend, BackendError> {
    Backend::open(
        BackendConfig {
            dcs: dcs(),
            require_signup: false,
            data_file: Some(path.to_owned()),
        },
        Faults::new(),
    )
}

#[test]
fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let (key, session, user, group, doc) = {
        let b = persistent(&path).unwrap();
        let client = Client::connect(&b, 2);
        let user = client.sign_in("9996621234");
        client.send_text(enums::InputPeer::InputPeerSelf, "remember me");
        let parts = super::files::upload(&client, 3, &[5; 6000], 4096);
        let sent = super::files::send_document(&client, 3, parts).unwrap();
        let doc = super::files::document_of(&sent);
        let group = b
            .create_channel(user, "Kept", true, Some("kept_group"))
            .unwrap();
        b.send_message_as(user, Peer::Channel(group), "still here")
            .unwrap();
        (
            client.ctx.auth_key_id,
            client.ctx.session_id,
            user,
            group,
            doc,
        )
    };
    assert!(path.exists());

    let b = persistent(&path).unwrap();
    // The auth key is still signed in, with the same pts and messages.
    let client = Client::with_key(&b, 2, key, session);
    assert_eq!(client.me().id, user);
    assert_eq!(client.state().pts, 2);
    let history = client.ok(&get_history(enums::InputPeer::InputPeerSelf, 0, 0, 10));
    assert_eq!(
        texts(&history),
        vec![(2, "the blob".into()), (1, "remember me".into())]
    );
    // The document's contents were kept next to the data file.
    let enums::upload::File::File(file) = client.ok(&super::requests::get_file(&doc, 0, 8192))
    else {
        panic!()
    };
    assert_eq!(file.bytes, vec![5; 6000]);
    assert_eq!(b.channel_pts(group), Some(2));
    assert_eq!(
        b.history(user, Peer::Channel(group))
            .last()
            .map(|m| m.text.clone()),
        Some("still here".into())
    );
    // New ids continue after the old ones.
    let other = Client::connect(&b, 2).sign_in("9996625678");
    assert!(other > user);
    let resolved = client.ok(&functions::contacts::ResolveUsername {
        username: "kept_group".into(),
        referer: None,
    });
    assert!(matches!(
        resolved,
        enums::contacts::ResolvedPeer::ResolvedPeer(r) if r.chats.len() == 1
    ));
}

#[test]
fn corrupt_and_foreign_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::write(&path, "{\"format\": 1, \"users\": {").unwrap();
    let error = persistent(&path).unwrap_err();
    assert!(matches!(error, BackendError::CorruptData { .. }), "{error}");
    assert!(error.to_string().contains("state.json"));

    std::fs::write(&path, "{\"format\": 99}").unwrap();
    assert!(matches!(
        persistent(&path).unwrap_err(),
        BackendError::DataVersion { found: 99, .. }
    ));

    // `Backend::new` starts empty and leaves the file alone.
    std::fs::write(&path, "not json").unwrap();
    let b = Backend::new(
        BackendConfig {
            dcs: dcs(),
            require_signup: false,
            data_file: Some(path.clone()),
        },
        Faults::new(),
    );
    Client::connect(&b, 2).sign_in("9996621234");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "not json");
}

/// `testdata/state-v1.json` was written by the backend before the message boxes of users and
/// channels shared one storage type; files in that layout must keep loading, and saving must
/// write the same layout back.
#[test]
fn a_data_file_in_the_first_layout_loads_and_saves_unchanged() {
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/state-v1.json");
    let state = crate::backend::persist::load(std::path::Path::new(fixture)).unwrap();
    // (pts, last id, events) of a box.
    let counters = |store: &MessageStore| (store.pts, store.last_id, store.events.len());
    let alice = &state.boxes[&1_000_001].store;
    assert_eq!(counters(alice), (6, 5, 6));
    let alice_texts: Vec<&str> = alice.messages.values().map(|m| m.text.as_str()).collect();
    assert_eq!(
        alice_texts,
        ["hello bob", "hi alice", "note to self", "", "in the group"]
    );
    let channel = &state.channels[&1_000_000_001].store;
    assert_eq!(counters(channel), (3, 3, 3));
    assert_eq!(channel.messages[&3].text, "second");

    let written: serde_json::Value = serde_json::to_value(&state).unwrap();
    let original: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    assert_eq!(written, original);

    // And a backend started on (a copy of) it serves the old history.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    std::fs::copy(fixture, &path).unwrap();
    let b = persistent(&path).unwrap();
    assert_eq!(b.pts(1_000_001), Some(6));
    assert_eq!(b.channel_pts(1_000_000_001), Some(3));
    let history = b.history(1_000_002, Peer::Channel(1_000_000_001));
    assert_eq!(history.last().map(|m| m.text.as_str()), Some("second"));
}
