//! Events end to end: the update engine feeds the handlers from the real test server over
//! loopback. A bot echoes a user; edits, deletions, read receipts and typing reach the
//! handlers of the other side as typed events.

mod common;

use std::time::Duration;

use tgwire::events::{MessageDeleted, MessageEdited, MessageRead, NewMessage, UserUpdate};
use tgwire::tl::functions;
use tgwire::{Client, InputMessage, InvocationError};
use tokio::sync::mpsc;

/// Generous: the machine may be slow; waits end as soon as the event comes.
const PATIENCE: Duration = Duration::from_secs(30);

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>, what: &str) -> T {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no {what} within {PATIENCE:?}"))
        .expect("handler alive")
}

/// Two signed-in users on DC 2 who know each other by username (`@user_<tail>`).
async fn pair(server: &tgwire_testserver::TestServer) -> (Client, Client, String, String) {
    let (a, _) = common::signed_in(server, 2, "5101").await;
    let (b, _) = common::signed_in(server, 2, "5102").await;
    for (client, tail) in [(&a, "5101"), (&b, "5102")] {
        let id = common::me(client).await;
        server
            .backend()
            .set_username(id, Some(&format!("user_{tail}")))
            .expect("username set");
    }
    let (name_a, name_b) = ("@user_5101".to_owned(), "@user_5102".to_owned());
    a.resolve(name_b.as_str()).await.expect("a knows b");
    b.resolve(name_a.as_str()).await.expect("b knows a");
    (a, b, name_a, name_b)
}

#[tokio::test]
async fn a_bot_echoes_every_private_message_of_a_user() {
    let server = common::start().await;
    let (bot, me) =
        common::signed_in_bot(&server, 2, "5555:tgwire-events-test-bot-token-0123456789").await;
    bot.add_event_handler(
        NewMessage::new().incoming().filter(|e| e.is_private()),
        |event| async move {
            let answer = if event.text() == "/start" {
                InputMessage::text("welcome")
            } else {
                InputMessage::text(event.text()).with_entities(event.entities().to_vec())
            };
            event.respond(answer).await.map(drop)
        },
    )
    .await
    .expect("handler registered");

    let (user, _) = common::signed_in(&server, 2, "5201").await;
    let bot_name = format!("@{}", me.username().expect("bots have a username"));
    let (tx, mut answers) = mpsc::unbounded_channel();
    user.add_event_handler(
        NewMessage::new().incoming().chats([bot_name.as_str()]),
        move |event| {
            let tx = tx.clone();
            async move {
                tx.send((event.markdown_text(), event.sender_id()))
                    .expect("test alive")
            }
        },
    )
    .await
    .expect("handler registered");

    let said = ["/start", "one", "two", "**three**", "four 🦀"];
    for text in said {
        user.send_message(bot_name.as_str(), InputMessage::markdown(text))
            .await
            .expect("sent");
        let (answer, from) = recv(&mut answers, "answer").await;
        let expected = if text == "/start" { "welcome" } else { text };
        assert_eq!(answer, expected);
        assert_eq!(from, Some(me.id()));
    }
    user.disconnect().await;
    bot.disconnect().await;
}

#[tokio::test]
async fn edits_deletions_reads_and_typing_reach_the_other_side() {
    let server = common::start().await;
    let (a, b, name_a, name_b) = pair(&server).await;
    let a_id = common::me(&a).await;
    let b_id = common::me(&b).await;

    let (tx, mut events) = mpsc::unbounded_channel::<String>();
    let on = |tx: &mpsc::UnboundedSender<String>| tx.clone();
    let t = on(&tx);
    a.add_event_handler(NewMessage::new().incoming(), move |e| {
        let t = t.clone();
        async move {
            t.send(format!("new {} {}", e.id(), e.text()))
                .expect("alive")
        }
    })
    .await
    .expect("registered");
    let t = on(&tx);
    a.add_event_handler(MessageEdited::new().chats([name_b.as_str()]), move |e| {
        let t = t.clone();
        async move {
            t.send(format!("edited {} {}", e.id(), e.text()))
                .expect("alive")
        }
    })
    .await
    .expect("registered");
    let t = on(&tx);
    a.add_event_handler(MessageDeleted::new(), move |e| {
        let t = t.clone();
        async move {
            t.send(format!("deleted {:?}", e.deleted_ids()))
                .expect("alive")
        }
    })
    .await
    .expect("registered");
    let t = on(&tx);
    a.add_event_handler(
        UserUpdate::new()
            .chats([b_id])
            .filter(|e| e.action().is_some()),
        move |e| {
            let t = t.clone();
            async move {
                t.send(format!("typing {} {}", e.user_id(), e.typing()))
                    .expect("alive")
            }
        },
    )
    .await
    .expect("registered");
    let t = on(&tx);
    b.add_event_handler(MessageRead::new().outbox(), move |e| {
        let t = t.clone();
        async move {
            t.send(format!("read {:?} {}", e.chat_id(), e.max_id()))
                .expect("alive")
        }
    })
    .await
    .expect("registered");

    let sent = b
        .send_message(name_a.as_str(), "first version")
        .await
        .expect("sent");
    let id = sent.id();
    assert_eq!(
        recv(&mut events, "new").await,
        format!("new {id} first version")
    );
    sent.edit("second version").await.expect("edited");
    assert_eq!(
        recv(&mut events, "edit").await,
        format!("edited {id} second version")
    );

    b.invoke(&functions::messages::SetTyping {
        peer: tgwire::input_peer(b.resolve(name_a.as_str()).await.expect("resolves")),
        top_msg_id: None,
        action: tgwire::tl::enums::SendMessageAction::SendMessageTypingAction,
    })
    .await
    .expect("typing sent");
    assert_eq!(
        recv(&mut events, "typing").await,
        format!("typing {b_id} true")
    );

    a.mark_read(name_b.as_str()).await.expect("read");
    assert_eq!(
        recv(&mut events, "read").await,
        format!("read Some({a_id}) {id}")
    );

    sent.delete().await.expect("deleted");
    assert_eq!(
        recv(&mut events, "deletion").await,
        format!("deleted [{id}]")
    );

    a.disconnect().await;
    b.disconnect().await;
}

#[tokio::test]
async fn handlers_keep_one_chats_order_under_a_burst() -> Result<(), InvocationError> {
    let server = common::start().await;
    let (a, b, name_a, _) = pair(&server).await;
    let (tx, mut seen) = mpsc::unbounded_channel();
    a.add_event_handler(NewMessage::new().incoming(), move |e| {
        let tx = tx.clone();
        async move { tx.send(e.text().to_owned()).expect("alive") }
    })
    .await?;
    let sent: Vec<String> = (0..40).map(|i| format!("burst {i}")).collect();
    for text in &sent {
        b.send_message(name_a.as_str(), text.as_str()).await?;
    }
    let mut got = Vec::new();
    while got.len() < sent.len() {
        got.push(recv(&mut seen, "burst message").await);
    }
    assert_eq!(got, sent);
    Ok(())
}

#[tokio::test]
async fn an_album_reaches_the_other_side_as_one_event() {
    use tgwire::events::Album;
    use tgwire::InputMedia;

    let server = common::start().await;
    let (a, b, name_a, _) = pair(&server).await;
    let (tx, mut albums) = mpsc::unbounded_channel();
    a.add_event_handler(Album::new(), move |album| {
        let tx = tx.clone();
        async move {
            let ids: Vec<i32> = album.messages().iter().map(|m| m.id()).collect();
            tx.send((ids, album.text().to_owned(), album.grouped_id()))
                .expect("alive")
        }
    })
    .await
    .expect("registered");

    let mut media = Vec::new();
    for (i, caption) in ["first of three", "", ""].into_iter().enumerate() {
        let file = b
            .upload_bytes(vec![i as u8; 100 + i], format!("part{i}.txt"))
            .await
            .expect("uploaded");
        media.push(InputMedia::document(file).caption(caption));
    }
    let sent = b
        .send_album(name_a.as_str(), media)
        .await
        .expect("album sent");
    assert_eq!(sent.len(), 3);

    let (ids, caption, grouped) = recv(&mut albums, "album").await;
    assert_eq!(ids.len(), 3, "one event with every part: {ids:?}");
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert_eq!(caption, "first of three");
    assert!(grouped.is_some());
    a.disconnect().await;
    b.disconnect().await;
}
