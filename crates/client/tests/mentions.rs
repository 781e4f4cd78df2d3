//! Mentions end to end: which messages mention us (`@username`, a mention of our account, a
//! reply to us), found with the MyMentions search filter, flagged on the message, and the
//! unread ones (`messages.getUnreadMentions`) until the chat is read.

mod common;

use futures_util::TryStreamExt;
use tgwire::tl::types;
use tgwire::{Chat, Client, InputMessage, Message};

/// `chat` as `client` knows it, once the update that tells it has come.
async fn known(client: &Client, chat: i64) -> tgwire::PeerRef {
    for _ in 0..1500 {
        if let Ok(peer) = client.resolve(chat).await {
            return peer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{chat} never became known");
}

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
    let group_for_bob = known(&bob, group.bot_api_id()).await;
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
    let basic_for_bob = known(&bob, -basic.id()).await;
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

/// (unread messages, unread mentions) of `chat` in `client`'s chat list.
async fn counters(client: &Client, chat: i64) -> (i32, i32) {
    let dialogs: Vec<tgwire::Dialog> = client.iter_dialogs().try_collect().await.expect("dialogs");
    let dialog = dialogs
        .iter()
        .find(|d| d.chat().bot_api_id() == chat)
        .expect("the chat is in the list");
    (dialog.unread_count(), dialog.unread_mentions_count())
}

/// The next contents read another session of ours is told about, as message ids.
async fn next_contents_read(
    reads: &mut tgwire::events::EventStream<tgwire::events::MessageReadEvent>,
) -> Vec<i32> {
    loop {
        let event = tokio::time::timeout(std::time::Duration::from_secs(30), reads.next())
            .await
            .expect("a read arrives")
            .expect("the stream goes on");
        if let Some(ids) = event.contents_ids() {
            let mut ids = ids.to_vec();
            ids.sort_unstable();
            return ids;
        }
    }
}

/// The chat list's mention counter in a supergroup, a basic group and a broadcast channel: up
/// by one for each mention (and only for mentions), down to nothing with `read_mentions` while
/// the other messages stay unread, and with reading the chat. The messages say which mentions
/// are unread; another session of the reader is told which contents were read.
#[tokio::test]
async fn read_mentions_clears_the_mention_counter() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _) = common::signed_in(&server, 2, "8211").await;
    let (alice_elsewhere, _) = common::signed_in(&server, 2, "8211").await;
    let (bob, _) = common::signed_in(&server, 2, "8212").await;
    let alice_id = common::me(&alice).await;
    let bob_id = common::me(&bob).await;
    server.backend().set_username(alice_id, Some("alice_r"))?;
    server.backend().set_username(bob_id, Some("bob_r"))?;
    alice.resolve("@bob_r").await?;
    let mut reads = alice_elsewhere
        .stream_events(tgwire::events::MessageRead::new().inbox())
        .await?;
    let mention = |text: &str| {
        InputMessage::text(text).with_entities(vec![types::MessageEntityMention {
            offset: 0,
            length: 8,
        }
        .into()])
    };

    // A supergroup: two mentions among three messages.
    let group = bob.create_supergroup("Counted mentions").await?;
    bob.add_participants(&group, ["@alice_r"]).await?;
    let group_id = group.bot_api_id();
    let group_for_alice = known(&alice, group_id).await;
    let base = counters(&alice, group_id).await;
    bob.send_message(&group, mention("@alice_r one")).await?;
    assert_eq!(counters(&alice, group_id).await, (base.0 + 1, 1));
    bob.send_message(&group, "no one").await?;
    bob.send_message(&group, mention("@alice_r two")).await?;
    assert_eq!(counters(&alice, group_id).await, (base.0 + 3, 2));
    let history: Vec<Message> = alice
        .iter_messages(group_for_alice)
        .limit(3)
        .try_collect()
        .await?;
    let flagged: Vec<&str> = history
        .iter()
        .filter(|m| m.is_unread_mention())
        .map(Message::text)
        .collect();
    assert_eq!(flagged, ["@alice_r two", "@alice_r one"]);

    alice.read_mentions(group_for_alice).await?;
    // The mentions are read, the history is not.
    assert_eq!(counters(&alice, group_id).await, (base.0 + 3, 0));
    assert!(unread(&alice, group_for_alice).await.is_empty());
    let history: Vec<Message> = alice
        .iter_messages(group_for_alice)
        .limit(3)
        .try_collect()
        .await?;
    assert!(history.iter().all(|m| !m.is_unread_mention()));
    assert_eq!(
        history.iter().filter(|m| m.is_mentioned()).count(),
        2,
        "still mentions, read ones"
    );
    let mention_ids: Vec<i32> = {
        let mut ids: Vec<i32> = history
            .iter()
            .filter(|m| m.is_mentioned())
            .map(Message::id)
            .collect();
        ids.sort_unstable();
        ids
    };
    assert_eq!(next_contents_read(&mut reads).await, mention_ids);
    // Reading again changes nothing; a new mention counts again, and reading the chat reads it.
    alice.read_mentions(group_for_alice).await?;
    bob.send_message(&group, mention("@alice_r three")).await?;
    assert_eq!(counters(&alice, group_id).await, (base.0 + 4, 1));
    alice.mark_read(group_for_alice).await?;
    assert_eq!(counters(&alice, group_id).await, (0, 0));

    // A basic group (a pts step of Alice's own box, which her other session follows).
    let basic = bob.create_group("Counted basic", ["@alice_r"]).await?;
    let basic_id = -basic.id();
    let basic_for_alice = known(&alice, basic_id).await;
    bob.send_message(&basic, mention("@alice_r in basic"))
        .await?;
    bob.send_message(&basic, "not her").await?;
    let (unread_before, mentions_before) = counters(&alice, basic_id).await;
    assert_eq!(mentions_before, 1);
    alice.read_mentions(basic_for_alice).await?;
    assert_eq!(counters(&alice, basic_id).await, (unread_before, 0));
    let basic_mention: Vec<Message> = alice
        .iter_messages(basic_for_alice)
        .search("in basic")
        .try_collect()
        .await?;
    assert!(basic_mention[0].is_mentioned() && !basic_mention[0].is_unread_mention());
    assert_eq!(
        next_contents_read(&mut reads).await,
        [basic_mention[0].id()]
    );

    // A broadcast channel: a post naming a subscriber mentions them.
    let channel = bob.create_channel("Counted channel").await?;
    assert!(matches!(channel, Chat::Channel(_)));
    bob.add_participants(&channel, ["@alice_r"]).await?;
    let channel_id = channel.bot_api_id();
    let channel_for_alice = known(&alice, channel_id).await;
    bob.send_message(&channel, mention("@alice_r, a post for you"))
        .await?;
    bob.send_message(&channel, "a post for all").await?;
    assert_eq!(counters(&alice, channel_id).await.1, 1);
    alice.read_mentions(channel_for_alice).await?;
    assert_eq!(counters(&alice, channel_id).await.1, 0);
    assert!(
        counters(&alice, channel_id).await.0 >= 2,
        "the posts stay unread"
    );
    let post: Vec<Message> = alice
        .iter_messages(channel_for_alice)
        .search("a post for you")
        .try_collect()
        .await?;
    assert_eq!(next_contents_read(&mut reads).await, [post[0].id()]);

    alice.disconnect().await;
    alice_elsewhere.disconnect().await;
    bob.disconnect().await;
    Ok(())
}
