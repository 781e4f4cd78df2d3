//! The blocking facade end to end, from plain threads without async: sign in, messages,
//! history as an iterator, the raw API, a file both ways, updates and events as iterators,
//! against the real test server over loopback (the server runs on its own runtime, as a
//! remote Telegram would).

mod common;

use std::time::Duration;

use tgwire::blocking::Client;
use tgwire::events::NewMessage;
use tgwire::tl::{enums, functions};
use tgwire::{Chat, InputMedia, InputMessage};

/// Generous: the machine may be slow; waits end as soon as the update comes.
const PATIENCE: Duration = Duration::from_secs(30);

/// A blocking client signed in as the test account `99966 2 <tail>`, known as `@user_<tail>`.
fn signed_in(server: &tgwire_testserver::TestServer, tail: &str) -> Client {
    let client = Client::connect(common::builder(server, 2).in_memory()).expect("connects");
    assert!(!client.is_authorized().expect("asks"));
    let token = client
        .request_login_code(&format!("999662{tail}"))
        .expect("code sent");
    let me = client.sign_in(&token, "22222").expect("signs in");
    assert!(client.is_authorized().expect("asks"));
    server
        .backend()
        .set_username(me.id(), Some(&format!("user_{tail}")))
        .expect("username set");
    client
}

#[test]
fn a_blocking_client_does_everything_without_async() {
    let server_runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = server_runtime.block_on(common::start());
    let alice = signed_in(&server, "7101");
    let bob = signed_in(&server, "7102");
    assert_eq!(alice.get_me().expect("get_me").phone(), Some("9996627101"));

    // Messages, and the history as an iterator in both directions.
    for i in 0..5 {
        alice
            .send_message("me", InputMessage::markdown(&format!("**note** {i}")))
            .expect("sent");
    }
    let newest: Vec<_> = alice
        .iter_messages("me")
        .limit(3)
        .map(|m| m.expect("message"))
        .collect();
    let newest_id = newest[0].id();
    let newest: Vec<&str> = newest.iter().map(|m| m.text()).collect();
    assert_eq!(newest, ["note 4", "note 3", "note 2"]);
    let oldest_first: Vec<String> = alice
        .iter_messages("me")
        .reverse()
        .map(|m| m.expect("message").text().to_owned())
        .collect();
    assert_eq!(
        oldest_first,
        ["note 0", "note 1", "note 2", "note 3", "note 4"]
    );
    let saved_messages = alice
        .iter_dialogs()
        .map(|d| d.expect("dialog"))
        .find(|d| matches!(d.chat(), Chat::User(u) if u.is_self()))
        .expect("Saved Messages among the dialogs");
    assert_eq!(
        saved_messages.last_message().map(|m| m.id()),
        Some(newest_id)
    );

    // Edit, forward, delete.
    let edited = alice
        .edit_message("me", newest_id, "note 4, edited")
        .expect("edited");
    assert_eq!(edited.text(), "note 4, edited");
    let forwarded = alice
        .forward_messages("me", &[newest_id], "me")
        .expect("forwarded");
    assert_eq!(forwarded.len(), 1);
    assert_eq!(
        alice
            .delete_messages("me", &[forwarded[0].id()], true)
            .expect("deleted"),
        1
    );
    assert_eq!(
        alice
            .get_messages("me", &[newest_id, forwarded[0].id()])
            .expect("fetched")
            .iter()
            .map(|m| m.as_ref().map(|m| m.text().to_owned()))
            .collect::<Vec<_>>(),
        [Some("note 4, edited".to_owned()), None]
    );

    // The raw API, and a batch in one container.
    let enums::updates::State::State(state) =
        alice.invoke(&functions::updates::GetState).expect("state");
    assert!(state.pts >= 5, "pts {} after five messages", state.pts);
    let batch = alice.invoke_many(
        &[functions::help::GetNearestDc, functions::help::GetNearestDc],
        false,
    );
    assert_eq!(batch.len(), 2);
    assert!(batch.iter().all(Result::is_ok), "{batch:?}");

    // A file up and down again, to memory and to disk.
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = alice
        .upload_bytes(bytes.clone(), "data.bin")
        .expect("uploaded");
    let sent = alice
        .send_file("me", InputMedia::document(file))
        .expect("file sent");
    assert_eq!(alice.download_bytes(&sent).expect("downloaded"), bytes);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("copy.bin");
    assert_eq!(
        alice.download_media(&sent, &path).expect("downloaded"),
        bytes.len() as u64
    );
    assert_eq!(std::fs::read(&path).expect("file written"), bytes);

    // Updates and events as iterators: Bob writes, Alice's iterators see it. Both
    // subscribe before Bob sends, so neither can miss the message.
    let mut updates = alice.updates();
    let mut events = alice.events(NewMessage::new().incoming()).expect("events");
    alice.resolve("@user_7102").expect("alice knows bob");
    bob.send_message("@user_7101", "hello from a thread without async")
        .expect("bob sends");
    let event = events.next_timeout(PATIENCE).expect("NewMessage event");
    assert_eq!(event.text(), "hello from a thread without async");
    assert_eq!(event.sender_id(), Some(bob.get_me().expect("bob").id()));
    let text = std::iter::from_fn(|| updates.next_timeout(PATIENCE))
        .find_map(|u| match u.update {
            enums::Update::NewMessage(new) => match new.message {
                enums::Message::Message(m) => Some(m.message),
                _ => None,
            },
            _ => None,
        })
        .expect("updateNewMessage");
    assert_eq!(text, "hello from a thread without async");

    // A clone shares the connection; disconnecting ends the iterators.
    let alice_again = alice.clone();
    alice_again.disconnect();
    assert!(alice.get_me().is_err(), "calls fail once disconnected");
    assert!(updates.next_timeout(PATIENCE).is_none());
    drop(events);
    drop(alice);
    drop(alice_again);
    drop(bob); // disconnects on drop
}

#[test]
fn dropping_the_last_clone_inside_async_code_does_not_panic() {
    let server_runtime = tokio::runtime::Runtime::new().expect("runtime");
    let server = server_runtime.block_on(common::start());
    let client = signed_in(&server, "7103");
    let other = client.clone();
    drop(client);
    assert!(other.get_me().is_ok(), "a clone keeps the connection");
    // Blocking is refused inside async code, so the last drop there must not try to.
    server_runtime.block_on(async move { drop(other) });
}
