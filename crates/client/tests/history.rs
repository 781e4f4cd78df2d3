//! `iter_messages` options, each checked against a history whose content is known.

mod common;

use std::time::Duration;

use futures_util::TryStreamExt;
use tgwire::tl::enums;
use tgwire::{Client, MediaKind, Message, MessageIter};
use tgwire_testserver::backend::Peer;

async fn collect(iter: MessageIter) -> anyhow::Result<Vec<Message>> {
    Ok(iter.try_collect().await?)
}

fn texts(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(Message::text).collect()
}

/// A chat with Olga: `early 0..5` (from her), then, a second later, `late 0..5` alternating
/// between us and her, one `https://` link, and one photo from us.
async fn olga_chat(server: &tgwire_testserver::TestServer) -> anyhow::Result<(Client, i64, i64)> {
    let (client, _) = common::signed_in(server, 2, "0001").await;
    let me = common::me(&client).await;
    let backend = server.backend();
    let olga = backend.create_user("9996621500", "Olga", Some("olga_o"))?;
    for i in 0..5 {
        backend.send_message_as(olga, Peer::User(me), &format!("early {i}"))?;
    }
    // Message dates are whole seconds: wait for the next one.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for i in 0..5 {
        let from = if i % 2 == 0 { me } else { olga };
        let to = if from == me { olga } else { me };
        backend.send_message_as(from, Peer::User(to), &format!("late {i}"))?;
    }
    backend.send_message_as(olga, Peer::User(me), "read https://example.com/x")?;
    common::send_photo(&client, "@olga_o", "holiday").await;
    Ok((client, me, olga))
}

#[tokio::test]
async fn limit_offsets_and_reverse() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _, _) = olga_chat(&server).await?;
    let all = collect(client.iter_messages("@olga_o")).await?;
    assert_eq!(
        texts(&all),
        [
            "holiday",
            "read https://example.com/x",
            "late 4",
            "late 3",
            "late 2",
            "late 1",
            "late 0",
            "early 4",
            "early 3",
            "early 2",
            "early 1",
            "early 0"
        ]
    );

    let three = collect(client.iter_messages("@olga_o").limit(3)).await?;
    assert_eq!(
        texts(&three),
        ["holiday", "read https://example.com/x", "late 4"]
    );

    // offset_id: strictly older than that message.
    let older = collect(
        client
            .iter_messages("@olga_o")
            .offset_id(all[4].id())
            .limit(2),
    )
    .await?;
    assert_eq!(texts(&older), ["late 1", "late 0"]);

    // offset_date: sent before that second, i.e. the early batch.
    let late_date = all[6].date();
    assert!(late_date > all[7].date(), "the batches are a second apart");
    let early = collect(client.iter_messages("@olga_o").offset_date(late_date)).await?;
    assert_eq!(
        texts(&early),
        ["early 4", "early 3", "early 2", "early 1", "early 0"]
    );

    // reverse: oldest first; with offset_id, only newer ones.
    let oldest = collect(client.iter_messages("@olga_o").reverse().limit(2)).await?;
    assert_eq!(texts(&oldest), ["early 0", "early 1"]);
    let newer = collect(
        client
            .iter_messages("@olga_o")
            .reverse()
            .offset_id(all[3].id()),
    )
    .await?;
    assert_eq!(
        texts(&newer),
        ["late 4", "read https://example.com/x", "holiday"]
    );
    Ok(())
}

#[tokio::test]
async fn from_user_search_and_filters() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, me, olga) = olga_chat(&server).await?;

    let from_olga = collect(client.iter_messages("@olga_o").from_user("@olga_o")).await?;
    assert_eq!(from_olga.len(), 5 + 2 + 1);
    assert!(from_olga.iter().all(|m| m.sender_id() == Some(olga)));
    let from_me = collect(client.iter_messages("@olga_o").from_user("me")).await?;
    assert_eq!(texts(&from_me), ["holiday", "late 4", "late 2", "late 0"]);
    assert!(from_me
        .iter()
        .all(|m| m.sender_id() == Some(me) && m.outgoing()));

    let late = collect(client.iter_messages("@olga_o").search("LATE")).await?;
    assert_eq!(
        texts(&late),
        ["late 4", "late 3", "late 2", "late 1", "late 0"]
    );
    let late_from_olga = collect(
        client
            .iter_messages("@olga_o")
            .search("late")
            .from_user("@olga_o")
            .limit(1),
    )
    .await?;
    assert_eq!(texts(&late_from_olga), ["late 3"]);

    let photos = collect(
        client
            .iter_messages("@olga_o")
            .filter(enums::MessagesFilter::InputMessagesFilterPhotos),
    )
    .await?;
    assert_eq!(texts(&photos), ["holiday"]);
    assert_eq!(photos[0].media_kind(), Some(MediaKind::Photo));
    let links = collect(
        client
            .iter_messages("@olga_o")
            .filter(enums::MessagesFilter::InputMessagesFilterUrl),
    )
    .await?;
    assert_eq!(texts(&links), ["read https://example.com/x"]);

    let nothing = collect(client.iter_messages("@olga_o").search("no such text")).await?;
    assert!(nothing.is_empty());
    Ok(())
}
