//! Mentions end to end: which messages mention us (`@username`, a mention of our account, a
//! reply to us), found with the MyMentions search filter, flagged on the message, and the
//! unread ones (`messages.getUnreadMentions`) until the chat is read.

mod common;

use futures_util::TryStreamExt;
use tgwire::tl::types;
use tgwire::{Client, InputMessage, Message};

async fn mentions(client: &Client, chat: impl Into<tgwire::PeerQuery>) -> Vec<String> {
    let found: Vec<Message> = client
        .iter_messages(chat)
        .mentions()
        .try_collect()
        .await
        .expect("search");
    assert!(found.iter().all(Message::is_mentioned));
    found.iter().map(|m| m.text().to_owned()).collect()
}

async fn unread(client: &Client, chat: impl Into<tgwire::PeerQuery>) -> Vec<String> {
    let found: Vec<Message> = client
        .iter_messages(chat)
        .unread_mentions()
        .try_collect()
        .await
        .expect("unread mentions");
    found.iter().map(|m| m.text().to_owned()).collect()
}

#[tokio::test]
async fn mentions_are_found_flagged_and_read() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "8201").await;
    let (bob, _) = common::signed_in(&server, 2, "8202").await;
    let alice_id = common::me(&alice).await;
    let bob_id = common::me(&bob).await;
    server.backend().set_username(alice_id, Some("alice_m"))?;
    server.backend().set_username(bob_id, Some("bob_m"))?;
    bob.resolve("@alice_m").await?;

    let group = alice.create_supergroup("Mentions").await?;
    alice.add_participants(&group, ["@bob_m"]).await?;
    let question = alice.send_message(&group, "a question").await?;
    let group_for_bob = loop {
        if let Ok(peer) = bob.resolve(group.bot_api_id()).await {
            break peer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let mention = |text: &str, offset: i32, length: i32| {
        InputMessage::text(text)
            .with_entities(vec![types::MessageEntityMention { offset, length }.into()])
    };
    bob.send_message(group_for_bob, "nothing for alice").await?;
    bob.send_message(group_for_bob, mention("hi @alice_m", 3, 8))
        .await?;
    bob.send_message(group_for_bob, mention("hi @Alice_M 👋", 3, 8))
        .await?;
    bob.send_message(group_for_bob, mention("hi @bob_m", 3, 6))
        .await?;
    bob.send_message(
        group_for_bob,
        InputMessage::html(&format!(
            "<a href=\"tg://user?id={alice_id}\">Alice</a>, look"
        )),
    )
    .await?;
    bob.send_message(
        group_for_bob,
        InputMessage::text("an answer").reply_to(Some(question.id())),
    )
    .await?;

    // Newest first.
    let expected = ["an answer", "Alice, look", "hi @Alice_M 👋", "hi @alice_m"];
    assert_eq!(mentions(&alice, &group).await, expected);
    // Bob's own messages do not mention him to himself, and nobody mentioned him.
    assert!(mentions(&bob, group_for_bob).await.is_empty());
    // The flag is on the messages in the history too.
    let history: Vec<Message> = alice.iter_messages(&group).limit(10).try_collect().await?;
    let flagged: Vec<&str> = history
        .iter()
        .filter(|m| m.is_mentioned())
        .map(Message::text)
        .collect();
    assert_eq!(flagged, expected);

    // Unread until Alice reads the chat.
    assert_eq!(unread(&alice, &group).await, expected);
    alice.mark_read(&group).await?;
    assert!(unread(&alice, &group).await.is_empty());
    bob.send_message(group_for_bob, mention("again @alice_m", 6, 8))
        .await?;
    assert_eq!(unread(&alice, &group).await, ["again @alice_m"]);

    // A basic group and a private chat: each user's own copy says it.
    let basic = alice.create_group("Basic mentions", ["@bob_m"]).await?;
    let asked = alice.send_message(&basic, "basic question").await?;
    let basic_for_bob = loop {
        if let Ok(peer) = bob.resolve(-basic.id()).await {
            break peer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let bobs_copy = bob
        .iter_messages(basic_for_bob)
        .search("basic question")
        .try_collect::<Vec<_>>()
        .await?;
    bob.send_message(
        basic_for_bob,
        InputMessage::text("basic answer").reply_to(Some(bobs_copy[0].id())),
    )
    .await?;
    assert_eq!(mentions(&alice, &basic).await, ["basic answer"]);
    assert!(asked.id() > 0);
    bob.send_message("@alice_m", mention("@alice_m in private", 0, 8))
        .await?;
    assert_eq!(mentions(&alice, "@bob_m").await, ["@alice_m in private"]);
    alice.disconnect().await;
    bob.disconnect().await;
    Ok(())
}
