//! The admin log's message and username entries end to end: pins and unpins, edits of posts,
//! deletions of others' messages, public username changes — each with its typed values, under
//! its filter, and none for what members do to their own messages.

mod common;

use tgwire::{AdminLogAction, AdminLogEvent, AdminLogFilter, Client, Message};

fn message_text(message: &tgwire::tl::enums::Message) -> &str {
    match message {
        tgwire::tl::enums::Message::Message(m) => &m.message,
        _ => "",
    }
}

fn message_id(message: &tgwire::tl::enums::Message) -> i32 {
    match message {
        tgwire::tl::enums::Message::Message(m) => m.id,
        tgwire::tl::enums::Message::Service(m) => m.id,
        tgwire::tl::enums::Message::Empty(m) => m.id,
    }
}

async fn log_of(
    client: &Client,
    chat: &tgwire::Chat,
    filter: AdminLogFilter,
) -> Vec<AdminLogEvent> {
    client
        .get_admin_log(chat, filter, 100)
        .await
        .expect("the creator reads the log")
}

#[tokio::test]
async fn pins_edits_deletions_and_username_changes_are_logged() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "8001").await;
    let (bob, _) = common::signed_in(&server, 2, "8002").await;
    let (alice_id, bob_id) = (common::me(&alice).await, common::me(&bob).await);
    server.backend().set_username(bob_id, Some("bob_log"))?;

    let group = alice.create_supergroup("Logged").await?;
    alice.add_participants(&group, ["@bob_log"]).await?;
    let group_id = group.bot_api_id();
    let bob_group = loop {
        // Bob learns the group from the update that added him.
        if let Ok(peer) = bob.resolve(group_id).await {
            break peer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let bobs: Message = bob.send_message(bob_group, "bob's words").await?;
    let own: Message = bob.send_message(bob_group, "bob's own").await?;
    let alices = alice.send_message(&group, "alice's words").await?;

    // Pins and unpins by an admin.
    alice.pin_message(&group, bobs.id()).await?;
    alice.unpin_message(&group, bobs.id()).await?;
    let pins = log_of(
        &alice,
        &group,
        AdminLogFilter {
            pinned: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(pins.len(), 2, "{pins:?}");
    for (event, pinned) in pins.iter().zip([false, true]) {
        let AdminLogAction::UpdatePinned { message } = event.action() else {
            panic!("{:?}", event.action())
        };
        assert_eq!(message_id(message), bobs.id());
        let tgwire::tl::enums::Message::Message(m) = message else {
            panic!()
        };
        assert_eq!(m.pinned, pinned, "newest first: the unpin, then the pin");
        assert_eq!(event.user_id(), alice_id);
    }

    // An admin deleting someone else's message is logged with the message; deleting one's own
    // is not.
    bob.delete_messages(bob_group, &[own.id()], true).await?;
    alice.delete_messages(&group, &[bobs.id()], true).await?;
    let deletions = log_of(
        &alice,
        &group,
        AdminLogFilter {
            delete: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(deletions.len(), 1, "{deletions:?}");
    let AdminLogAction::DeleteMessage { message } = deletions[0].action() else {
        panic!("{:?}", deletions[0].action())
    };
    assert_eq!(
        (message_id(message), message_text(message)),
        (bobs.id(), "bob's words")
    );

    // In a supergroup one edits one's own messages only, and that is not logged.
    alice
        .edit_message(&group, alices.id(), "alice's words, edited")
        .await?;
    let edits = log_of(
        &alice,
        &group,
        AdminLogFilter {
            edit: true,
            ..Default::default()
        },
    )
    .await;
    assert!(edits.is_empty(), "{edits:?}");

    // In a broadcast channel every edit of a post is logged, old and new.
    let channel = alice.create_channel("Logged news").await?;
    let post = alice.send_message(&channel, "first draft").await?;
    alice
        .edit_message(&channel, post.id(), "final text")
        .await?;
    let edits = log_of(
        &alice,
        &channel,
        AdminLogFilter {
            edit: true,
            ..Default::default()
        },
    )
    .await;
    assert_eq!(edits.len(), 1, "{edits:?}");
    let AdminLogAction::EditMessage { old, new } = edits[0].action() else {
        panic!("{:?}", edits[0].action())
    };
    assert_eq!(message_text(old), "first draft");
    assert_eq!(message_text(new), "final text");
    assert_eq!(message_id(new), post.id());

    // Username changes: set, changed, removed; each with the value before.
    alice.set_chat_username(&group, Some("logged_club")).await?;
    alice
        .set_chat_username(&group, Some("@logged_club2"))
        .await?;
    alice.set_chat_username(&group, None).await?;
    let info = log_of(
        &alice,
        &group,
        AdminLogFilter {
            info: true,
            ..Default::default()
        },
    )
    .await;
    let changes: Vec<(String, String)> = info
        .iter()
        .filter_map(|e| match e.action() {
            AdminLogAction::ChangeUsername { old, new } => Some((old.clone(), new.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("logged_club2".to_owned(), String::new()),
            ("logged_club".to_owned(), "logged_club2".to_owned()),
            (String::new(), "logged_club".to_owned()),
        ]
    );
    let username_taken = bob.set_username(Some("logged_club2")).await;
    assert!(username_taken.is_ok(), "freed: {username_taken:?}");
    // Only the creator sets it; a basic group has none.
    assert!(bob
        .set_chat_username(bob_group, Some("bobs_club"))
        .await
        .is_err_and(|e| e.is("CHAT_ADMIN_REQUIRED")));
    let basic = alice.create_group("Basic", ["@bob_log"]).await?;
    assert!(matches!(
        alice.set_chat_username(&basic, Some("basic_name")).await,
        Err(tgwire::InvocationError::InvalidArgument(_))
    ));

    // Everything is in the unfiltered log too, newest first.
    let all = log_of(&alice, &group, AdminLogFilter::default()).await;
    assert!(all.windows(2).all(|w| w[0].id() > w[1].id()));
    assert!(all.len() >= 2 + 1 + 3);
    alice.disconnect().await;
    bob.disconnect().await;
    Ok(())
}
