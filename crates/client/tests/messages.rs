//! Messages against the test server: pins, read marks, fetching by id, the send options that
//! must reach the server (silent, scheduled, link previews, replies, bot reply markup), the
//! `Message` accessors, and formatted text through the server and back.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use futures_util::TryStreamExt;
use tgwire::tl::{enums, types};
use tgwire::{Chat, Client, InputMessage, MediaKind};
use tgwire_testserver::backend::Peer;
use tgwire_testserver::TestServer;

fn now() -> i32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    i32::try_from(secs).unwrap_or(i32::MAX)
}

/// Alice (`@alice_a`) and Bob (`@bob_b`), both signed in on DC 2.
async fn alice_and_bob(server: &TestServer) -> anyhow::Result<(Client, i64, Client, i64)> {
    let (alice, _) = common::signed_in(server, 2, "0001").await;
    let (bob, _) = common::signed_in(server, 2, "0002").await;
    let (alice_id, bob_id) = (common::me(&alice).await, common::me(&bob).await);
    server.backend().set_username(alice_id, Some("alice_a"))?;
    server.backend().set_username(bob_id, Some("bob_b"))?;
    Ok((alice, alice_id, bob, bob_id))
}

/// The message `id` of `chat` as the server has it now.
async fn fetch(client: &Client, chat: &str, id: i32) -> anyhow::Result<tgwire::Message> {
    client
        .get_messages(chat, &[id])
        .await?
        .pop()
        .flatten()
        .ok_or_else(|| anyhow::anyhow!("message {id} of {chat} is gone"))
}

#[tokio::test]
async fn pin_and_unpin_show_on_both_sides_with_a_service_message() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, _, bob, _) = alice_and_bob(&server).await?;
    let first = alice.send_message("@bob_b", "pin this").await?;
    let second = alice.send_message("@bob_b", "and this").await?;
    assert!(!first.is_pinned());

    let service = first.pin().await?.expect("pinning posts a service message");
    assert!(service.is_service());
    assert_eq!(service.reply_to_message_id(), Some(first.id()));
    assert!(fetch(&alice, "@bob_b", first.id()).await?.is_pinned());
    let bobs: Vec<_> = bob.iter_messages("@alice_a").try_collect().await?;
    assert!(bobs[0].is_service(), "Bob sees the service message last");
    let bobs_copy = bobs
        .iter()
        .find(|m| m.text() == "pin this")
        .expect("Bob has the message");
    assert!(bobs_copy.is_pinned());
    assert!(!bobs.iter().any(|m| m.text() == "and this" && m.is_pinned()));

    first.unpin().await?;
    assert!(!fetch(&alice, "@bob_b", first.id()).await?.is_pinned());
    let bobs_copy = bob.get_messages("@alice_a", &[bobs_copy.id()]).await?;
    assert!(!bobs_copy[0].as_ref().expect("still there").is_pinned());

    alice.pin_message("@bob_b", first.id()).await?;
    alice.pin_message("@bob_b", second.id()).await?;
    alice.unpin_all_messages("@bob_b").await?;
    for id in [first.id(), second.id()] {
        assert!(!fetch(&alice, "@bob_b", id).await?.is_pinned());
    }
    Ok(())
}

#[tokio::test]
async fn mark_read_drops_the_unread_count_in_private_chats_and_groups() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0003").await;
    let me = common::me(&client).await;
    let frank = server
        .backend()
        .create_user("9996620606", "Frank", Some("frank_f"))?;
    let group =
        server
            .backend()
            .create_channel(frank, "Frank's group", true, Some("franks_group"))?;
    server.backend().add_channel_member(group, me)?;
    for text in ["one", "two", "three"] {
        server
            .backend()
            .send_message_as(frank, Peer::User(me), text)?;
        server
            .backend()
            .send_message_as(frank, Peer::Channel(group), text)?;
    }
    let unread = |dialogs: &[tgwire::Dialog], name: &str| {
        dialogs
            .iter()
            .find(|d| d.chat().username() == Some(name))
            .map(tgwire::Dialog::unread_count)
    };
    let before: Vec<_> = client.iter_dialogs().try_collect().await?;
    assert_eq!(unread(&before, "frank_f"), Some(3));
    assert_eq!(unread(&before, "franks_group"), Some(3));

    client.mark_read("@frank_f").await?;
    client.mark_read("@franks_group").await?;
    let after: Vec<_> = client.iter_dialogs().try_collect().await?;
    assert_eq!(unread(&after, "frank_f"), Some(0));
    assert_eq!(unread(&after, "franks_group"), Some(0));
    Ok(())
}

#[tokio::test]
async fn get_messages_keeps_the_order_and_reports_missing_ids() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0004").await;
    let me = common::me(&client).await;
    let a = client.send_message("me", "a").await?;
    let b = client.send_message("me", "b").await?;
    let found = client
        .get_messages("me", &[b.id(), 424_242, a.id()])
        .await?;
    let texts: Vec<Option<&str>> = found.iter().map(|m| m.as_ref().map(|m| m.text())).collect();
    assert_eq!(texts, [Some("b"), None, Some("a")]);
    a.delete().await?;
    assert!(client.get_messages("me", &[a.id()]).await?[0].is_none());

    // Channels number their own messages.
    let channel = server
        .backend()
        .create_channel(me, "Mine", true, Some("my_group"))?;
    let posted = client.send_message("@my_group", "in the group").await?;
    assert_eq!(posted.chat_id(), Some(-1_000_000_000_000 - channel));
    let found = client
        .get_messages("@my_group", &[posted.id(), posted.id() + 50])
        .await?;
    assert_eq!(
        found[0].as_ref().map(tgwire::Message::text),
        Some("in the group")
    );
    assert!(found[1].is_none());
    Ok(())
}

#[tokio::test]
async fn send_options_reach_the_server() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, alice_id, _, _) = alice_and_bob(&server).await?;

    let loud = alice.send_message("me", "loud").await?;
    let quiet = alice
        .send_message("me", InputMessage::text("quiet").silent(true))
        .await?;
    assert!(!fetch(&alice, "me", loud.id()).await?.is_silent());
    assert!(fetch(&alice, "me", quiet.id()).await?.is_silent());

    let preview = alice
        .send_message("me", "see https://example.com/a")
        .await?;
    assert_eq!(preview.media_kind(), Some(MediaKind::WebPage));
    assert_eq!(
        fetch(&alice, "me", preview.id()).await?.media_kind(),
        Some(MediaKind::WebPage)
    );
    let no_preview = alice
        .send_message(
            "me",
            InputMessage::text("see https://example.com/b").link_preview(false),
        )
        .await?;
    assert_eq!(no_preview.media_kind(), None);
    assert_eq!(
        fetch(&alice, "me", no_preview.id()).await?.media_kind(),
        None
    );

    let reply = alice
        .send_message(
            "me",
            InputMessage::text("re: loud").reply_to(Some(loud.id())),
        )
        .await?;
    assert_eq!(
        fetch(&alice, "me", reply.id()).await?.reply_to_message_id(),
        Some(loud.id())
    );

    let at = now() + 3600;
    let scheduled = alice
        .send_message("me", InputMessage::text("later").schedule(Some(at)))
        .await?;
    assert_eq!(scheduled.date(), at);
    let pending = alice.get_scheduled_messages("me").await?;
    assert_eq!(
        pending
            .iter()
            .map(|m| (m.text(), m.date()))
            .collect::<Vec<_>>(),
        [("later", at)]
    );
    let history: Vec<_> = alice.iter_messages("me").try_collect().await?;
    assert!(!history.iter().any(|m| m.text() == "later"), "not sent yet");

    // Reply markup is a bot's: Telegram drops what users attach.
    let markup: enums::ReplyMarkup = types::ReplyKeyboardForceReply {
        single_use: true,
        selective: false,
        placeholder: Some("your answer".into()),
    }
    .into();
    let from_user = alice
        .send_message(
            "me",
            InputMessage::text("user markup").reply_markup(Some(markup.clone())),
        )
        .await?;
    assert!(fetch(&alice, "me", from_user.id())
        .await?
        .reply_markup()
        .is_none());
    let bot = common::builder(&server, 2).in_memory().connect().await?;
    bot.bot_sign_in("4242:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawq")
        .await?;
    let asked = bot
        .send_message(
            "@alice_a",
            InputMessage::text("what now?").reply_markup(Some(markup.clone())),
        )
        .await?;
    assert_eq!(asked.chat_id(), Some(alice_id));
    // Alice learns the bot from her dialogs, then reads its message.
    let dialogs: Vec<_> = alice.iter_dialogs().try_collect().await?;
    assert!(dialogs.iter().any(|d| d.chat().id() == 4242));
    let from_bot: Vec<_> = alice.iter_messages(4242i64).limit(1).try_collect().await?;
    assert_eq!(from_bot[0].text(), "what now?");
    assert_eq!(from_bot[0].reply_markup(), Some(&markup));
    Ok(())
}

#[tokio::test]
async fn message_accessors_describe_sender_chat_reply_date_direction_and_media(
) -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0005").await;
    let me = common::me(&client).await;
    let carol = server
        .backend()
        .create_user("9996620303", "Carol", Some("carol_c"))?;
    let group =
        server
            .backend()
            .create_channel(carol, "Carol's group", true, Some("carols_group"))?;
    server.backend().add_channel_member(group, me)?;
    let before = now();
    server
        .backend()
        .send_message_as(carol, Peer::Channel(group), "hello all")?;
    let from_carol: Vec<_> = client
        .iter_messages("@carols_group")
        .limit(1)
        .try_collect()
        .await?;
    let message = &from_carol[0];
    assert_eq!(message.text(), "hello all");
    assert!(!message.outgoing());
    assert!((before..=now()).contains(&message.date()));
    assert_eq!(message.sender_id(), Some(carol));
    match message.sender() {
        Some(Chat::User(user)) => assert_eq!(user.full_name(), "Carol"),
        other => panic!("the sender is Carol: {other:?}"),
    }
    match message.chat() {
        Some(Chat::Group(g)) => {
            assert!(g.is_megagroup());
            assert_eq!(g.title(), "Carol's group");
        }
        other => panic!("the chat is the group: {other:?}"),
    }
    assert_eq!(message.media_kind(), None);
    assert_eq!(message.reply_to_message_id(), None);

    let reply = message.reply("hi Carol").await?;
    assert!(reply.outgoing());
    assert_eq!(reply.reply_to_message_id(), Some(message.id()));
    assert_eq!(reply.sender_id(), Some(me));
    assert_eq!(
        reply
            .get_reply_message()
            .await?
            .map(|m| m.text().to_owned()),
        Some("hello all".into())
    );

    common::send_photo(&client, "@carols_group", "a photo").await;
    let latest: Vec<_> = client
        .iter_messages("@carols_group")
        .limit(1)
        .try_collect()
        .await?;
    assert_eq!(latest[0].media_kind(), Some(MediaKind::Photo));
    assert_eq!(latest[0].text(), "a photo");
    Ok(())
}

#[tokio::test]
async fn markdown_and_html_round_trip_nested_entities_and_non_bmp_text() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0006").await;
    let me = common::me(&client).await;
    let friend = server
        .backend()
        .create_user("9996620707", "Dora", Some("dora_d"))?;
    client.resolve("@dora_d").await?;
    let markdown = format!(
        "**bold 𝄞 __italic 👨‍👩‍👧 inside__ end** ~~strike ||spoiler 🎉||~~ \
         [link 🔗](https://example.com/a_b) [Dora](tg://user?id={friend}) `code 😀`\n\
         > quoted **bold 𐍈**"
    );
    let sent = client
        .send_message("me", InputMessage::markdown(&markdown))
        .await?;
    let fetched = fetch(&client, "me", sent.id()).await?;
    assert_eq!(fetched.text(), sent.text());
    assert_eq!(fetched.markdown_text(), markdown);
    // The mention went out as an input entity and came back by id.
    assert!(fetched.entities().iter().any(|e| matches!(e,
        enums::MessageEntity::MentionName(m) if m.user_id == friend)));

    let html = format!(
        "<b>bold 𝄞 <i>italic 👨‍👩‍👧 <u>under 😀</u></i></b> \
         <s>strike <tg-spoiler>spoiler 🎉</tg-spoiler></s> \
         <a href=\"https://example.com/?a=1&amp;b=2\">link 🔗</a> \
         <a href=\"tg://user?id={friend}\">Dora</a> &lt;not a tag&gt; \
         <pre><code class=\"language-rust\">let 𝄞 = 1;</code></pre>\n\
         <blockquote>quote 𐍈</blockquote>"
    );
    let sent = client.send_message("me", InputMessage::html(&html)).await?;
    let fetched = fetch(&client, "me", sent.id()).await?;
    assert_eq!(fetched.html_text(), html);
    // Markdown describes the same entities, except underline, which it has no syntax for
    // (and markdown quotes start a line, hence the newline before the blockquote).
    let (text, entities) = tgwire::text::parse_markdown(&fetched.markdown_text());
    assert_eq!(text, fetched.text());
    let expressible: Vec<_> = fetched
        .entities()
        .iter()
        .filter(|e| !matches!(e, enums::MessageEntity::Underline(_)))
        .cloned()
        .collect();
    assert_eq!(entities, expressible);
    assert_ne!(me, friend);
    Ok(())
}

#[tokio::test]
async fn delete_messages_revokes_only_when_asked() -> anyhow::Result<()> {
    let server = common::start().await;
    let (alice, alice_id, _, bob_id) = alice_and_bob(&server).await?;
    let mine_only = alice.send_message("@bob_b", "delete for me").await?;
    let everyone = alice.send_message("@bob_b", "delete for all").await?;
    let bobs = |text: &str| {
        server
            .backend()
            .history(bob_id, Peer::User(alice_id))
            .iter()
            .any(|m| m.text == text)
    };
    assert_eq!(
        alice
            .delete_messages("@bob_b", &[mine_only.id()], false)
            .await?,
        1
    );
    assert!(alice.get_messages("@bob_b", &[mine_only.id()]).await?[0].is_none());
    assert!(bobs("delete for me"), "Bob keeps his copy");
    assert_eq!(
        alice
            .delete_messages("@bob_b", &[everyone.id()], true)
            .await?,
        1
    );
    assert!(!bobs("delete for all"), "revoked for Bob too");
    assert_eq!(
        alice
            .delete_messages("@bob_b", &[everyone.id()], true)
            .await?,
        0
    );
    Ok(())
}
