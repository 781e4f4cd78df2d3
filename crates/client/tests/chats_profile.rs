//! Chat actions held as a guard, our profile (name, bio, username, photos) and profile photos
//! of users, groups and channels, against the test server.

mod common;

use std::time::Duration;

use futures_util::TryStreamExt;
use tgwire::session::PeerKind;
use tgwire::tl::{enums, Deserializable};
use tgwire::{ChatAction, Client, PeerRef};
use tgwire_testserver::backend::{CallContext, Peer};

/// Every typing action pushed to `rx` (an observer session of a group member) until `done`
/// says enough, or a generous timeout passes.
async fn typing_actions(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Vec<u8>>,
    seen: &mut Vec<enums::SendMessageAction>,
    done: impl Fn(&[enums::SendMessageAction]) -> bool,
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while !done(seen) {
        let Ok(Some(bytes)) = tokio::time::timeout_at(deadline, rx.recv()).await else {
            panic!("gave up waiting; saw {seen:?}");
        };
        let updates = enums::Updates::from_bytes(&bytes).expect("pushes decode");
        let list = match updates {
            enums::Updates::UpdateShort(u) => vec![u.update],
            enums::Updates::Updates(u) => u.updates,
            _ => Vec::new(),
        };
        for update in list {
            if let enums::Update::ChatUserTyping(typing) = update {
                seen.push(typing.action);
            }
        }
    }
}

async fn upload(client: &Client, bytes: &[u8]) -> enums::InputFile {
    client
        .upload_bytes(bytes.to_vec(), "photo.jpg")
        .await
        .expect("uploads")
        .raw()
        .clone()
}

#[tokio::test]
async fn an_action_repeats_until_the_guard_is_dropped() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "0001").await;
    let backend = server.backend();
    let bob = backend.create_user("9996620002", "Bob", Some("bob_b"))?;
    // Bob's device: a session the backend pushes to, read here directly.
    let key: i64 = rand::random();
    backend.authorize_key(key, bob)?;
    let mut bob_rx = backend.register_session(&CallContext {
        dc_id: 2,
        auth_key_id: key,
        perm_auth_key_id: key,
        session_id: 1,
        layer: tgwire::tl::LAYER,
        temporary: false,
    });
    let group = alice.create_group("Typing club", ["@bob_b"]).await?;
    let chat = group.peer_ref().unwrap();

    let guard = alice.action(chat, ChatAction::UploadPhoto).await?;
    guard.set_progress(40);
    let mut seen = Vec::new();
    // The first action at once, then again after the repeat interval, with the progress.
    typing_actions(&mut bob_rx, &mut seen, |s| s.len() >= 2).await;
    assert!(
        matches!(&seen[0], enums::SendMessageAction::SendMessageUploadPhotoAction(p) if p.progress == 0)
    );
    assert!(
        matches!(&seen[1], enums::SendMessageAction::SendMessageUploadPhotoAction(p) if p.progress == 40)
    );
    drop(guard);
    typing_actions(&mut bob_rx, &mut seen, |s| {
        s.last() == Some(&enums::SendMessageAction::SendMessageCancelAction)
    })
    .await;

    // cancel() waits for the cancel to be sent.
    let typing = alice.action(chat, ChatAction::Typing).await?;
    typing.cancel().await;
    let before = seen.len();
    typing_actions(&mut bob_rx, &mut seen, |s| {
        s.len() >= before + 2
            && s.last() == Some(&enums::SendMessageAction::SendMessageCancelAction)
    })
    .await;
    assert_eq!(
        seen[before],
        enums::SendMessageAction::SendMessageTypingAction
    );

    // A chat we are not in refuses the first send.
    let carol = backend.create_user("9996620003", "Carol", None)?;
    let outsider = backend.create_chat(bob, "Bob's own", &[carol])?;
    let elsewhere = PeerRef::new(PeerKind::BasicGroup, outsider, None)?;
    let refused = alice
        .action(elsewhere, ChatAction::Typing)
        .await
        .unwrap_err();
    assert!(refused.is("CHAT_ID_INVALID"), "{refused:?}");
    Ok(())
}

#[tokio::test]
async fn our_profile_name_bio_username_and_photos() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "0001").await;
    let backend = server.backend();
    backend.create_user("9996620002", "Bob", Some("bob_b"))?;

    let me = alice.set_name(Some("Alice"), Some("Liddell")).await?;
    assert_eq!(me.full_name(), "Alice Liddell");
    alice.set_bio("down the rabbit hole").await?;
    let full = alice.get_full_user("me").await?;
    assert_eq!(full.about(), Some("down the rabbit hole"));

    assert!(!alice.check_username("bob_b").await?);
    assert!(alice.check_username("alice_in_wonder").await?);
    assert!(alice
        .check_username("x")
        .await
        .is_err_and(|e| e.is("USERNAME_INVALID")));
    let me = alice.set_username(Some("alice_in_wonder")).await?;
    assert_eq!(me.username(), Some("alice_in_wonder"));
    assert!(alice
        .set_username(Some("bob_b"))
        .await
        .is_err_and(|e| e.is("USERNAME_OCCUPIED")));

    // Three photos: the newest is the current one, and they list newest first.
    let mut uploaded = Vec::new();
    for i in 0..3u8 {
        let photo = alice
            .upload_profile_photo(upload(&alice, &[0xff, 0xd8, 0xff, i]).await)
            .await?;
        uploaded.push(photo);
    }
    let photos = alice.get_profile_photos("me", 10).await?;
    let ids = |list: &[enums::Photo]| -> Vec<i64> {
        list.iter()
            .map(|p| match p {
                enums::Photo::Photo(p) => p.id,
                enums::Photo::Empty(p) => p.id,
            })
            .collect()
    };
    let mut newest_first = ids(&uploaded);
    newest_first.reverse();
    assert_eq!(ids(&photos), newest_first);
    // By username too, and Alice's user object shows the current one.
    let seen_by_alice = alice.get_profile_photos("@alice_in_wonder", 2).await?;
    assert_eq!(ids(&seen_by_alice), newest_first[..2]);
    let me = alice.get_me().await?;
    assert!(matches!(me.raw(), enums::User::User(u)
        if matches!(&u.photo, Some(enums::UserProfilePhoto::UserProfilePhoto(p)) if p.photo_id == newest_first[0])));

    assert_eq!(alice.delete_profile_photos(&photos[..1]).await?, 1);
    let left = alice.get_profile_photos("me", 10).await?;
    assert_eq!(ids(&left), newest_first[1..]);
    assert!(alice.get_profile_photos("@bob_b", 10).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn group_and_channel_photos_are_listed_from_their_changes() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "0001").await;
    let backend = server.backend();
    backend.create_user("9996620002", "Bob", Some("bob_b"))?;
    let group = alice.create_group("Pictures", ["@bob_b"]).await?;
    let basic = group.peer_ref().unwrap();
    let tgwire::Chat::Channel(channel) = alice.create_channel("Gallery").await? else {
        panic!()
    };
    let broadcast = channel.peer_ref().unwrap();
    for chat in [basic, broadcast] {
        alice
            .edit_photo(chat, Some(upload(&alice, &[1, 2, 3]).await))
            .await?;
        alice.send_message(chat, "between the photos").await?;
        alice
            .edit_photo(chat, Some(upload(&alice, &[4, 5, 6]).await))
            .await?;
        let photos: Vec<_> = alice.iter_profile_photos(chat).try_collect().await?;
        assert_eq!(photos.len(), 2, "{chat}");
        let full = alice.get_full_chat(chat).await?;
        assert_eq!(
            full.photo(),
            photos.first(),
            "the current photo is the newest"
        );
        alice.edit_photo(chat, None).await?;
        assert!(alice.get_full_chat(chat).await?.photo().is_none());
    }
    assert!(backend
        .history(common::me(&alice).await, Peer::Chat(basic.id()))
        .iter()
        .any(|m| m.service));
    Ok(())
}
