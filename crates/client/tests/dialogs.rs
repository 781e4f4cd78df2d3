//! Dialogs against the test server: deleting and clearing conversations, the archive, pinned
//! dialogs, drafts, and how users, groups and channels come out of the chat list.

mod common;

use futures_util::TryStreamExt;
use tgwire::{Chat, Client, Dialog, InputMessage};
use tgwire_testserver::backend::Peer;

async fn dialogs(client: &Client) -> anyhow::Result<Vec<Dialog>> {
    Ok(client.iter_dialogs().try_collect().await?)
}

fn find(dialogs: &[Dialog], bot_api_id: i64) -> Option<&Dialog> {
    dialogs.iter().find(|d| d.chat().bot_api_id() == bot_api_id)
}

#[tokio::test]
async fn delete_dialog_removes_private_chats_groups_and_channels() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0001").await;
    let me = common::me(&client).await;
    let backend = server.backend();
    let gina = backend.create_user("9996620808", "Gina", Some("gina_g"))?;
    let hank = backend.create_user("9996620909", "Hank", Some("hank_h"))?;
    // 250 messages: more than the server deletes per call.
    for i in 0..250 {
        backend.send_message_as(gina, Peer::User(me), &format!("g{i}"))?;
    }
    backend.send_message_as(hank, Peer::User(me), "from Hank")?;
    let group = backend.create_chat(hank, "Basic", &[me])?;
    backend.send_message_as(hank, Peer::Chat(group), "in the group")?;
    let channel = backend.create_channel(hank, "News", false, Some("hank_news"))?;
    backend.add_channel_member(channel, me)?;
    let before = dialogs(&client).await?;
    assert!(find(&before, gina).is_some() && find(&before, -group).is_some());
    let channel_id = -1_000_000_000_000 - channel;
    assert!(find(&before, channel_id).is_some());

    // Revoking deletes Gina's copies too.
    client.delete_dialog("@gina_g", true).await?;
    assert!(backend.history(me, Peer::User(gina)).is_empty());
    assert!(backend.history(gina, Peer::User(me)).is_empty());
    let history: Vec<_> = client.iter_messages("@gina_g").try_collect().await?;
    assert!(history.is_empty());
    // Without revoke, Hank keeps his.
    client.delete_dialog("@hank_h", false).await?;
    assert!(backend.history(me, Peer::User(hank)).is_empty());
    assert_eq!(backend.history(hank, Peer::User(me)).len(), 1);

    client.delete_dialog(-group, false).await?;
    assert!(backend.history(me, Peer::Chat(group)).is_empty());
    client.delete_dialog("@hank_news", false).await?;

    let after = dialogs(&client).await?;
    for gone in [gina, hank, -group, channel_id] {
        assert!(find(&after, gone).is_none(), "{gone} still listed");
    }
    Ok(())
}

#[tokio::test]
async fn clear_history_keeps_the_conversation() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0002").await;
    let me = common::me(&client).await;
    let backend = server.backend();
    let ivy = backend.create_user("9996621111", "Ivy", Some("ivy_i"))?;
    let group = backend.create_channel(ivy, "Ivy's", true, Some("ivys_group"))?;
    backend.add_channel_member(group, me)?;
    for text in ["a", "b", "c"] {
        backend.send_message_as(ivy, Peer::Channel(group), text)?;
    }
    client.clear_history("@ivys_group", false).await?;
    let mine: Vec<_> = client.iter_messages("@ivys_group").try_collect().await?;
    assert!(mine.is_empty(), "cleared for me");
    assert!(
        backend.history(ivy, Peer::Channel(group)).len() >= 3,
        "not for Ivy"
    );
    let listed = dialogs(&client).await?;
    let dialog = find(&listed, -1_000_000_000_000 - group).expect("still a member");
    assert!(dialog.last_message().is_none());
    assert_eq!(dialog.unread_count(), 0);
    // Only admins clear for everyone.
    let refused = client.clear_history("@ivys_group", true).await;
    assert!(
        matches!(&refused, Err(e) if e.is("CHAT_ADMIN_REQUIRED")),
        "{refused:?}"
    );
    Ok(())
}

#[tokio::test]
async fn edit_folder_archives_and_pin_dialog_pins() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0003").await;
    let me = common::me(&client).await;
    let backend = server.backend();
    let mut friends = Vec::new();
    for (i, name) in ["jay_j", "kim_k", "lou_l"].into_iter().enumerate() {
        let id = backend.create_user(&format!("999662120{i}"), name, Some(name))?;
        backend.send_message_as(id, Peer::User(me), "hello")?;
        friends.push(id);
    }
    let [jay, kim, lou] = friends[..] else {
        unreachable!()
    };

    client.edit_folder("@jay_j", 1).await?;
    let archive: Vec<_> = client.iter_dialogs().folder(1).try_collect().await?;
    assert_eq!(archive.len(), 1);
    assert_eq!(archive[0].chat().id(), jay);
    assert!(archive[0].is_archived());
    assert_eq!(archive[0].folder_id(), Some(1));
    let main: Vec<_> = client.iter_dialogs().folder(0).try_collect().await?;
    assert!(find(&main, jay).is_none());
    let all = dialogs(&client).await?;
    assert!(find(&all, jay).is_some_and(Dialog::is_archived));
    assert!(find(&all, kim).is_some_and(|d| !d.is_archived()));

    // Lou wrote last, so he leads until Kim is pinned.
    assert_eq!(main[0].chat().id(), lou);
    client.pin_dialog("@kim_k", true).await?;
    let main: Vec<_> = client.iter_dialogs().folder(0).try_collect().await?;
    assert_eq!(main[0].chat().id(), kim);
    assert!(main[0].is_pinned());
    assert!(!main[1].is_pinned());
    client.pin_dialog("@kim_k", false).await?;
    let main: Vec<_> = client.iter_dialogs().folder(0).try_collect().await?;
    assert_eq!(main[0].chat().id(), lou);
    assert!(!main.iter().any(Dialog::is_pinned));

    client.edit_folder("@jay_j", 0).await?;
    let archive: Vec<_> = client.iter_dialogs().folder(1).try_collect().await?;
    assert!(archive.is_empty());
    let bad = client.edit_folder("@jay_j", 9).await;
    assert!(
        matches!(&bad, Err(e) if e.is("FOLDER_ID_INVALID")),
        "{bad:?}"
    );
    Ok(())
}

#[tokio::test]
async fn drafts_are_saved_listed_with_dialogs_and_cleared() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0004").await;
    let backend = server.backend();
    let max = backend.create_user("9996621300", "Max", Some("max_m"))?;
    // A draft alone is enough for a dialog.
    client
        .save_draft("@max_m", InputMessage::markdown("not **sent** yet 📝"))
        .await?;
    let listed = dialogs(&client).await?;
    let dialog = find(&listed, max).expect("the draft makes a dialog");
    assert_eq!(dialog.draft_text(), Some("not sent yet 📝"));
    assert!(dialog.last_message().is_none());

    client.save_draft("@max_m", "").await?;
    let listed = dialogs(&client).await?;
    assert!(find(&listed, max).is_none(), "an empty draft deletes it");

    client.save_draft("@max_m", "draft again").await?;
    client
        .send_message("@max_m", InputMessage::text("sent").clear_draft(true))
        .await?;
    let listed = dialogs(&client).await?;
    let dialog = find(&listed, max).expect("now a real dialog");
    assert_eq!(dialog.draft_text(), None);
    assert_eq!(dialog.last_message().map(|m| m.text()), Some("sent"));
    Ok(())
}

#[tokio::test]
async fn users_groups_and_channels_map_to_their_types() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0005").await;
    let me = common::me(&client).await;
    let backend = server.backend();
    let nia = backend.create_user("9996621400", "Nia", Some("nia_n"))?;
    let basic = backend.create_chat(nia, "Basic group", &[me])?;
    let mega = backend.create_channel(nia, "Megagroup", true, Some("nia_mega"))?;
    let broadcast = backend.create_channel(nia, "Broadcast", false, Some("nia_news"))?;
    backend.add_channel_member(mega, me)?;
    backend.add_channel_member(broadcast, me)?;
    backend.send_message_as(nia, Peer::User(me), "hi")?;

    let listed = dialogs(&client).await?;
    assert!(
        matches!(find(&listed, nia).map(Dialog::chat), Some(Chat::User(u)) if u.first_name() == "Nia")
    );
    assert!(matches!(find(&listed, -basic).map(Dialog::chat),
        Some(Chat::Group(g)) if !g.is_megagroup() && g.title() == "Basic group"));
    assert!(
        matches!(find(&listed, -1_000_000_000_000 - mega).map(Dialog::chat),
        Some(Chat::Group(g)) if g.is_megagroup() && g.username() == Some("nia_mega"))
    );
    assert!(
        matches!(find(&listed, -1_000_000_000_000 - broadcast).map(Dialog::chat),
        Some(Chat::Channel(c)) if c.title() == "Broadcast")
    );

    // The same through get_chat, by every kind of query.
    assert!(matches!(client.get_chat(-basic).await?, Chat::Group(g) if !g.is_megagroup()));
    assert!(matches!(client.get_chat("@nia_mega").await?, Chat::Group(g) if g.is_megagroup()));
    assert!(matches!(
        client.get_chat("https://t.me/nia_news").await?,
        Chat::Channel(_)
    ));
    assert!(matches!(client.get_chat(nia).await?, Chat::User(u) if !u.is_self()));
    // And the objects themselves name their chats.
    for dialog in &listed {
        let chat = dialog.chat();
        let again = match chat {
            Chat::User(u) => client.resolve(u).await?,
            Chat::Group(g) => client.resolve(g).await?,
            Chat::Channel(c) => client.resolve(c).await?,
        };
        assert_eq!(Some(again), chat.peer_ref(), "{}", chat.name());
    }
    Ok(())
}
