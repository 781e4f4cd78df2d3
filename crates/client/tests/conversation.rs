//! Conversations end to end: a user talks to a bot (and to another user) on the real test
//! server, each side a tgwire client; the bot's side of the dialogue is itself a conversation
//! held by an event handler in the chat it waits on.

mod common;

use std::future::IntoFuture;
use std::sync::Arc;
use std::time::Duration;

use tgwire::events::NewMessage;
use tgwire::{Client, ConversationError, InputMedia, User};
use tokio::sync::mpsc;

/// Generous: the machine may be slow; waits end as soon as the answer comes.
const PATIENCE: Duration = Duration::from_secs(30);

/// A test server with a bot and a user on DC 2 who know each other.
struct BotAndUser {
    server: tgwire_testserver::TestServer,
    bot: Client,
    bot_me: User,
    user: Client,
}

/// Starts the scene; `bot` picks the bot's token (`7001`, `7002`, …), and with `scripted` the
/// bot answers as [`scripted_bot`] says.
async fn bot_and_user(bot_number: u32, scripted: bool) -> BotAndUser {
    let server = common::start().await;
    let token = format!("{bot_number}:tgwire-conversation-test-token-0123456789");
    let (bot, bot_me) = common::signed_in_bot(&server, 2, &token).await;
    let (user, _) = common::signed_in(&server, 2, "6201").await;
    let name = format!("@{}", bot_me.username().expect("bots have a username"));
    user.resolve(name.as_str())
        .await
        .expect("the user finds the bot");
    if scripted {
        scripted_bot(&bot).await;
    }
    BotAndUser {
        server,
        bot,
        bot_me,
        user,
    }
}

/// Disconnects both sides.
async fn close(user: Client, bot: Client) {
    user.disconnect().await;
    bot.disconnect().await;
}

/// Answers `ping` with "thinking" then a reply "pong"; `work` with "working…" edited to
/// "done"; `count` with one, two, three; `silence` with nothing; a file with "got a file".
async fn scripted_bot(bot: &Client) {
    bot.add_event_handler(NewMessage::new().incoming(), |event| async move {
        let text = event.text().to_owned();
        if event.media_kind().is_some() {
            event.respond("got a file").await?;
            return Ok(());
        }
        match text.as_str() {
            "ping" => {
                event.respond("thinking").await?;
                event.reply("pong").await?;
            }
            "work" => {
                let answer = event.respond("working…").await?;
                answer.edit("done").await?;
            }
            "count" => {
                for word in ["one", "two", "three"] {
                    event.respond(word).await?;
                }
            }
            _ => {}
        }
        Ok::<_, tgwire::InvocationError>(())
    })
    .await
    .expect("handler registered");
}

#[tokio::test]
async fn a_multi_step_dialogue_with_a_bot_that_holds_its_own_conversation() {
    let BotAndUser {
        server: _server,
        bot,
        bot_me,
        user,
    } = bot_and_user(7001, false).await;
    // The bot's side: on /start, a conversation in the same chat, from within the handler
    // (the next messages of the chat must reach it while the handler runs).
    bot.add_event_handler(
        NewMessage::new().incoming().pattern("^/start$"),
        |event| async move {
            let chat = event.chat_id().expect("a private chat");
            let conv = event.client().conversation(chat).await?;
            conv.send_message("What is your name?").await?;
            let name = conv.get_response().await?;
            conv.send_message(format!("Hello {}. Send me a file.", name.text()))
                .await?;
            let file = conv.get_response().await?;
            let kind = if file.media_kind().is_some() {
                "a file"
            } else {
                "no file"
            };
            conv.send_message(format!("{} sent {kind}", name.text()))
                .await?;
            Ok::<_, ConversationError>(())
        },
    )
    .await
    .expect("handler registered");

    let conv = user
        .conversation(bot_me.id())
        .timeout(Some(PATIENCE))
        .await
        .expect("conversation starts");
    assert_eq!(conv.chat_id(), bot_me.id());
    let start = conv.send_message("/start").await.expect("sent");
    assert_eq!(conv.last_sent_id(), Some(start.id()));
    let question = conv.get_response().await.expect("question");
    assert_eq!(question.text(), "What is your name?");
    assert_eq!(question.sender_id(), Some(bot_me.id()));
    assert!(question.id() > start.id());

    conv.send_message("Ada").await.expect("sent");
    assert_eq!(
        conv.get_response().await.expect("greeting").text(),
        "Hello Ada. Send me a file."
    );
    let file = user
        .upload_bytes(b"file contents".to_vec(), "notes.txt")
        .await
        .expect("uploaded");
    let sent = conv
        .send_file(InputMedia::document(file))
        .await
        .expect("file sent");
    assert_eq!(conv.last_sent_id(), Some(sent.id()));
    let last = conv.get_response().await.expect("last answer");
    assert_eq!(last.text(), "Ada sent a file");
    assert!(last.id() > sent.id());
    drop(conv);
    close(user, bot).await;
}

#[tokio::test]
async fn replies_edits_and_responses_that_came_before_the_await() {
    let BotAndUser {
        server: _server,
        bot,
        bot_me,
        user,
    } = bot_and_user(7002, true).await;
    // A handler of the user's that reports each message of the bot once it was handled,
    // which is after the conversations saw it (they are fed first).
    let (tx, mut seen) = mpsc::unbounded_channel();
    user.add_event_handler(NewMessage::new().incoming(), move |event| {
        let tx = tx.clone();
        async move { tx.send(event.text().to_owned()).expect("test alive") }
    })
    .await
    .expect("handler registered");
    let conv = user
        .conversation(bot_me.id())
        .timeout(Some(PATIENCE))
        .await
        .expect("starts");

    // A reply: the first answer is not one; get_reply skips it.
    let ping = conv.send_message("ping").await.expect("sent");
    let pong = conv.get_reply().await.expect("reply");
    assert_eq!(pong.text(), "pong");
    assert_eq!(pong.reply_to_message_id(), Some(ping.id()));
    // Replies are responses (the default): "thinking" was passed by get_reply, and the next
    // response is that of the next message.
    let ping2 = conv.send_message("ping").await.expect("sent");
    let thinking = conv.get_response().await.expect("response");
    assert_eq!(thinking.text(), "thinking");
    assert!(thinking.id() > ping2.id());
    let pong2 = conv.get_reply().await.expect("reply");
    assert_eq!(pong2.reply_to_message_id(), Some(ping2.id()));
    // An earlier message can be named.
    let again = conv
        .get_reply()
        .to(ping.id())
        .timeout(Some(Duration::from_millis(300)))
        .await;
    assert!(
        matches!(again, Err(ConversationError::Timeout(_))),
        "{again:?}"
    );

    // An edit.
    conv.send_message("work").await.expect("sent");
    let working = conv.get_response().await.expect("response");
    assert_eq!(working.text(), "working…");
    let done = conv.get_edit().await.expect("edit");
    assert_eq!(done.id(), working.id());
    assert_eq!(done.text(), "done");
    assert!(done.edit_date().is_some());

    // Responses that arrive before anyone awaits them wait in the conversation.
    while seen.try_recv().is_ok() {}
    conv.send_message("count").await.expect("sent");
    let mut handled = Vec::new();
    while handled.len() < 3 {
        let text = tokio::time::timeout(PATIENCE, seen.recv())
            .await
            .expect("the bot counts")
            .expect("handler alive");
        if ["one", "two", "three"].contains(&text.as_str()) {
            handled.push(text);
        }
    }
    let mut got = Vec::new();
    for _ in 0..3 {
        let message = conv
            .get_response()
            .timeout(Some(Duration::from_millis(1)))
            .await
            .expect("already there");
        got.push(message.text().to_owned());
    }
    assert_eq!(got, ["one", "two", "three"]);
    drop(conv);
    close(user, bot).await;
}

#[tokio::test]
async fn timeouts_cancels_and_one_conversation_per_chat() {
    let BotAndUser {
        server: _server,
        bot,
        bot_me,
        user,
    } = bot_and_user(7003, true).await;

    let conv = Arc::new(
        user.conversation(bot_me.id())
            .timeout(Some(Duration::from_millis(400)))
            .await
            .expect("starts"),
    );
    // Exclusive by default: a second one in the same chat is refused, exclusive or not.
    let second = user.conversation(bot_me.id()).await;
    assert!(
        matches!(second, Err(ConversationError::AlreadyInConversation(id)) if id == bot_me.id()),
        "{second:?}"
    );
    let shared = user.conversation(bot_me.id()).exclusive(false).await;
    assert!(matches!(
        shared,
        Err(ConversationError::AlreadyInConversation(_))
    ));
    // Nothing to reply to yet.
    assert!(matches!(
        conv.get_reply().await,
        Err(ConversationError::NothingSent)
    ));

    // The per-step timeout: the bot says nothing to "silence".
    conv.send_message("silence").await.expect("sent");
    let step = conv.get_response().await;
    assert!(matches!(step, Err(ConversationError::Timeout(t)) if t == Duration::from_millis(400)));
    // A step's own timeout; an answer in time is still taken after a timed-out step.
    conv.send_message("ping").await.expect("sent");
    let pong = conv
        .get_reply()
        .timeout(Some(PATIENCE))
        .await
        .expect("reply");
    assert_eq!(pong.text(), "pong");

    // Cancelling wakes a waiting step and frees the chat.
    let waiting = {
        let conv = Arc::clone(&conv);
        tokio::spawn(async move { conv.get_response().timeout(None).await })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    conv.cancel();
    let cancelled = tokio::time::timeout(PATIENCE, waiting)
        .await
        .expect("the waiting step ends")
        .expect("no panic");
    assert!(
        matches!(cancelled, Err(ConversationError::Cancelled)),
        "{cancelled:?}"
    );
    assert!(matches!(
        conv.get_edit().await,
        Err(ConversationError::Cancelled)
    ));
    drop(conv);

    // The total timeout, counted from the start, beats a longer step timeout.
    let conv = user
        .conversation(bot_me.id())
        .timeout(Some(PATIENCE))
        .total_timeout(Some(Duration::from_millis(300)))
        .await
        .expect("the chat is free again");
    conv.send_message("silence").await.expect("sent");
    let total = conv.get_response().await;
    assert!(
        matches!(total, Err(ConversationError::TotalTimeout(_))),
        "{total:?}"
    );
    drop(conv);

    // Non-exclusive conversations share a chat and each sees every message; cancel_all
    // ends both.
    let a = user
        .conversation(bot_me.id())
        .exclusive(false)
        .timeout(Some(PATIENCE))
        .await
        .expect("a");
    let b = user
        .conversation(bot_me.id())
        .exclusive(false)
        .timeout(Some(PATIENCE))
        .await
        .expect("b");
    a.send_message("count").await.expect("sent");
    let from_b = b
        .get_response()
        .to(a.last_sent_id().expect("sent"))
        .await
        .expect("b sees it");
    let from_a = a.get_response().await.expect("a sees it");
    assert_eq!((from_a.text(), from_b.text()), ("one", "one"));
    b.cancel_all();
    assert!(matches!(
        a.get_response().await,
        Err(ConversationError::Cancelled)
    ));
    assert!(matches!(
        b.get_response().await,
        Err(ConversationError::Cancelled)
    ));
    drop((a, b));
    // Dropping ends a conversation too.
    {
        let _c = user
            .conversation(bot_me.id())
            .await
            .expect("free after cancel_all");
    }
    user.conversation(bot_me.id())
        .await
        .expect("free after drop");
    close(user, bot).await;
}

#[tokio::test]
async fn wait_event_and_too_many_messages() {
    use tgwire::events::MessageEdited;

    let BotAndUser {
        server: _server,
        bot,
        bot_me,
        user,
    } = bot_and_user(7004, true).await;

    let conv = user
        .conversation(bot_me.id())
        .timeout(Some(PATIENCE))
        .max_messages(2)
        .await
        .expect("starts");
    // Any event builder, with its filters; it is registered before the message is sent.
    let (edited, sent) = tokio::join!(
        conv.wait_event(MessageEdited::new().chats([bot_me.id()]).pattern("^done$"))
            .into_future(),
        conv.send_message("work"),
    );
    let edited = edited.expect("the edit came");
    assert_eq!(edited.text(), "done");
    assert!(edited.id() > sent.expect("sent").id());
    let timed_out = conv
        .wait_event(NewMessage::new().pattern("^never$"))
        .timeout(Some(Duration::from_millis(200)))
        .await;
    assert!(matches!(timed_out, Err(ConversationError::Timeout(_))));
    let bad = conv.wait_event(NewMessage::new().pattern("(")).await;
    assert!(
        matches!(bad, Err(ConversationError::Invocation(_))),
        "{bad:?}"
    );

    // "working…" was the first message; "count" brings three more: past two, the
    // conversation ends.
    conv.send_message("count").await.expect("sent");
    let mut outcome = Ok(());
    for _ in 0..4 {
        if let Err(e) = conv.get_response().await {
            outcome = Err(e);
            break;
        }
    }
    assert!(
        matches!(outcome, Err(ConversationError::TooManyMessages(2))),
        "{outcome:?}"
    );
    close(user, bot).await;
}

#[tokio::test]
async fn wait_read_sees_the_other_users_read_receipt() {
    let server = common::start().await;
    let (a, _) = common::signed_in(&server, 2, "6301").await;
    let (b, _) = common::signed_in(&server, 2, "6302").await;
    let (a_id, b_id) = (common::me(&a).await, common::me(&b).await);
    for (id, name) in [(a_id, "reader_a"), (b_id, "reader_b")] {
        server
            .backend()
            .set_username(id, Some(name))
            .expect("username set");
    }
    a.resolve("@reader_b").await.expect("a knows b");
    b.resolve("@reader_a").await.expect("b knows a");

    let conv = a
        .conversation(b_id)
        .timeout(Some(PATIENCE))
        .await
        .expect("starts");
    assert!(matches!(
        conv.wait_read().await,
        Err(ConversationError::NothingSent)
    ));
    let first = conv.send_message("read me").await.expect("sent");
    // Not read yet.
    let early = conv
        .wait_read()
        .timeout(Some(Duration::from_millis(300)))
        .await;
    assert!(
        matches!(early, Err(ConversationError::Timeout(_))),
        "{early:?}"
    );
    b.mark_read("@reader_a").await.expect("b reads");
    conv.wait_read().await.expect("read receipt");
    // The read is remembered: waiting on the same (or an older) message returns at once.
    conv.wait_read()
        .to(first.id())
        .timeout(Some(Duration::from_millis(1)))
        .await
        .expect("already read");
    // A newer message is not covered by the old read.
    conv.send_message("and me").await.expect("sent");
    let unread = conv
        .wait_read()
        .timeout(Some(Duration::from_millis(300)))
        .await;
    assert!(matches!(unread, Err(ConversationError::Timeout(_))));
    // And the other side's answer is a response.
    b.send_message("@reader_a", "read both")
        .await
        .expect("b answers");
    assert_eq!(
        conv.get_response().await.expect("answer").text(),
        "read both"
    );
    a.disconnect().await;
    b.disconnect().await;
}
