//! Bots end to end: a tgwire bot and a tgwire user on the real test server over loopback. The
//! bot sends keyboards (inline and reply, with a photo, edited), the user reads them back and
//! presses them; callback queries reach the bot's handlers through the update engine and their
//! answers come back to the user's call; inline queries are answered, cached, paged, and their
//! results sent "via @bot" and edited by inline message id.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tgwire::events::{CallbackQuery, InlineQuery, NewMessage};
use tgwire::tl::enums;
use tgwire::{
    Button, Click, Client, InputInlineResult, InputMedia, InputMessage, MediaKind, Message,
    ReplyMarkup, User,
};
use tgwire_testserver::TestServer;
use tokio::sync::mpsc;

/// Generous: the machine may be slow; waits end as soon as the event comes.
const PATIENCE: Duration = Duration::from_secs(30);
/// How long the server lets a bot answer, except where a test wants the timeout.
const BOT_TIME: Duration = Duration::from_secs(15);

async fn recv<T>(rx: &mut mpsc::UnboundedReceiver<T>, what: &str) -> T {
    tokio::time::timeout(PATIENCE, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no {what} within {PATIENCE:?}"))
        .expect("handler alive")
}

/// A bot (id `bot_id`) and a user who know each other, and the bot's `@name`.
async fn bot_and_user(
    server: &TestServer,
    bot_id: i64,
    tail: &str,
) -> (Client, User, Client, String) {
    server.backend().set_bot_response_timeout(BOT_TIME);
    let bot = common::builder(server, 2)
        .in_memory()
        .connect()
        .await
        .expect("connects");
    let me = bot
        .bot_sign_in(&format!("{bot_id}:tgwire-bots-test-token-0123456789abcdef"))
        .await
        .expect("bot signs in");
    let (user, _) = common::signed_in(server, 2, tail).await;
    let name = format!("@{}", me.username().expect("bots have a username"));
    user.resolve(name.as_str())
        .await
        .expect("user finds the bot");
    (bot, me, user, name)
}

/// Messages the user receives from the bot, in a channel.
async fn inbox(user: &Client, bot_name: &str) -> mpsc::UnboundedReceiver<Message> {
    let (tx, rx) = mpsc::unbounded_channel();
    user.add_event_handler(
        NewMessage::new().incoming().chats([bot_name]),
        move |event| {
            let tx = tx.clone();
            async move { tx.send(event.message().clone()).expect("test alive") }
        },
    )
    .await
    .expect("handler registered");
    rx
}

fn labels(message: &Message) -> Vec<Vec<String>> {
    message
        .buttons()
        .iter()
        .map(|row| row.iter().map(|b| b.text().to_owned()).collect())
        .collect()
}

fn answer_of(click: Click) -> tgwire::CallbackAnswer {
    match click {
        Click::Answer(answer) => answer,
        other => panic!("not a callback answer: {other:?}"),
    }
}

fn menu() -> InputMessage {
    InputMessage::text("menu").buttons(vec![
        vec![
            Button::inline("Yes", "yes"),
            Button::inline("Page 2", "page:2"),
        ],
        vec![
            Button::url("Docs", "https://example.com/docs"),
            Button::copy_text("Copy", "code-123"),
        ],
        vec![
            Button::inline("Delete", "del"),
            Button::inline("Silent", "ignored"),
        ],
    ])
}

#[tokio::test]
async fn callback_buttons_are_pressed_answered_edited_and_deleted() {
    let server = common::start().await;
    let (bot, _, user, bot_name) = bot_and_user(&server, 7001, "7001").await;
    let user_id = common::me(&user).await;

    bot.add_event_handler(
        NewMessage::new().incoming().pattern("^/menu$"),
        |event| async move { event.respond(menu()).await.map(drop) },
    )
    .await
    .expect("registered");
    bot.add_event_handler(CallbackQuery::new().data("yes"), |event| async move {
        event
            .answer()
            .text("you said yes")
            .alert(true)
            .cache_time(5)
            .await
    })
    .await
    .expect("registered");
    bot.add_event_handler(
        CallbackQuery::new().data_prefix("page:"),
        |event| async move {
            let page = String::from_utf8_lossy(event.data().unwrap_or_default()).into_owned();
            let edited = event
                .edit(
                    InputMessage::text(format!("at {page}"))
                        .buttons(vec![Button::inline("Back", "page:1")]),
                )
                .await?
                .expect("a chat message comes back edited");
            assert_eq!(edited.text(), format!("at {page}"));
            event.answer().await
        },
    )
    .await
    .expect("registered");
    let seen = Arc::new(AtomicUsize::new(0));
    let seen_in = Arc::clone(&seen);
    bot.add_event_handler(
        CallbackQuery::new()
            .pattern("^d(e)l$")
            .filter(move |e| e.sender_id() == user_id),
        move |event| {
            let seen = Arc::clone(&seen_in);
            async move {
                assert_eq!(
                    event
                        .data_match()
                        .and_then(|m| m.get(1))
                        .map(|g| g.as_bytes()),
                    Some(&b"e"[..])
                );
                let message = event.get_message().await?.expect("the message exists");
                assert_eq!(message.text(), "menu");
                event.delete().await?;
                seen.fetch_add(1, Ordering::SeqCst);
                event.answer().text("deleted").await
            }
        },
    )
    .await
    .expect("registered");
    // A handler for another chat never runs.
    let elsewhere = Arc::new(AtomicUsize::new(0));
    let elsewhere_in = Arc::clone(&elsewhere);
    bot.add_event_handler(CallbackQuery::new().chats(["me"]), move |_| {
        let elsewhere = Arc::clone(&elsewhere_in);
        async move {
            elsewhere.fetch_add(1, Ordering::SeqCst);
        }
    })
    .await
    .expect("registered");

    let mut from_bot = inbox(&user, &bot_name).await;
    user.send_message(bot_name.as_str(), "/menu")
        .await
        .expect("sent");
    let message = recv(&mut from_bot, "menu").await;
    assert_eq!(
        labels(&message),
        [["Yes", "Page 2"], ["Docs", "Copy"], ["Delete", "Silent"]]
    );
    let buttons = message.buttons();
    assert_eq!(buttons[0][1].data(), Some(&b"page:2"[..]));
    assert_eq!(buttons[1][0].url(), Some("https://example.com/docs"));
    assert!(buttons[0][0].is_inline());

    // A callback: the bot's answer is what the click returns.
    let answer = answer_of(message.click(0, 0).await.expect("clicked"));
    assert_eq!(answer.message.as_deref(), Some("you said yes"));
    assert!(answer.alert);
    assert_eq!(answer.cache_time, 5);
    // URL and copy buttons need no bot.
    assert!(matches!(
        message.click(1, 0).await.expect("clicked"),
        Click::Url(url) if url == "https://example.com/docs"
    ));
    assert!(matches!(
        message.click_text("Copy").await.expect("clicked"),
        Click::Copy(text) if text == "code-123"
    ));
    // Data no button has, and a button nobody answers.
    let invalid = message.click_data(b"nope").await.expect_err("no such data");
    assert!(invalid.is("DATA_INVALID"), "{invalid}");
    server
        .backend()
        .set_bot_response_timeout(Duration::from_secs(1));
    let silent = message.click_text("Silent").await.expect_err("no answer");
    assert!(silent.is("BOT_RESPONSE_TIMEOUT"), "{silent}");
    server.backend().set_bot_response_timeout(BOT_TIME);
    let missing = message.click(5, 0).await.expect_err("no such button");
    assert!(matches!(
        missing,
        tgwire::InvocationError::InvalidArgument(_)
    ));

    // The bot edits the message from its handler: text and buttons change for the user.
    let answer = answer_of(message.click_text("Page 2").await.expect("clicked"));
    assert_eq!(answer.message, None);
    let edited = user
        .get_messages(bot_name.as_str(), &[message.id()])
        .await
        .expect("fetched")
        .pop()
        .flatten()
        .expect("still there");
    assert_eq!(edited.text(), "at page:2");
    assert_eq!(labels(&edited), [["Back"]]);

    // The bot deletes the message from its handler.
    user.send_message(bot_name.as_str(), "/menu")
        .await
        .expect("sent");
    let second = recv(&mut from_bot, "second menu").await;
    let answer = answer_of(second.click_text("Delete").await.expect("clicked"));
    assert_eq!(answer.message.as_deref(), Some("deleted"));
    assert_eq!(seen.load(Ordering::SeqCst), 1);
    let gone = user
        .get_messages(bot_name.as_str(), &[second.id()])
        .await
        .expect("fetched");
    assert!(gone[0].is_none(), "the bot deleted it");
    assert_eq!(
        elsewhere.load(Ordering::SeqCst),
        0,
        "a chat filter let a query through"
    );

    user.disconnect().await;
    bot.disconnect().await;
}

#[tokio::test]
async fn reply_keyboards_force_replies_and_photos_with_buttons_reach_the_user() {
    let server = common::start().await;
    let (bot, _, user, bot_name) = bot_and_user(&server, 7002, "7002").await;
    let (to_test, mut bot_heard) = mpsc::unbounded_channel::<String>();
    bot.add_event_handler(NewMessage::new().incoming(), move |event| {
        let to_test = to_test.clone();
        async move {
            match event.text() {
                "/keyboard" => {
                    let keyboard = ReplyMarkup::keyboard(vec![
                        vec![Button::text("Hello bot")],
                        vec![
                            Button::request_phone("My phone"),
                            Button::request_location("Where"),
                        ],
                    ])
                    .resize(true)
                    .single_use(true)
                    .selective(false)
                    .placeholder("pick one");
                    event
                        .respond(InputMessage::text("keys").buttons(keyboard))
                        .await?;
                }
                "/force" => {
                    let force = ReplyMarkup::force_reply()
                        .selective(true)
                        .placeholder("answer me");
                    event
                        .respond(InputMessage::text("force").buttons(force))
                        .await?;
                }
                "/hide" => {
                    event
                        .respond(
                            InputMessage::text("hide").buttons(ReplyMarkup::remove_keyboard(false)),
                        )
                        .await?;
                }
                "/photo" => {
                    let file = event
                        .client()
                        .upload_bytes(vec![0xff, 0xd8, 0xff, 0xe0, 9, 9, 9], "cat.jpg")
                        .await
                        .expect("uploads");
                    event
                        .client()
                        .send_file(
                            event.chat_id().expect("a chat"),
                            InputMedia::photo(file).caption(
                                InputMessage::text("a cat")
                                    .buttons(vec![Button::inline("Pet", "pet")]),
                            ),
                        )
                        .await
                        .expect("photo sent");
                }
                text => {
                    let shared = match event.message().media_kind() {
                        Some(MediaKind::Contact) => "contact".to_owned(),
                        _ => text.to_owned(),
                    };
                    to_test.send(shared).expect("test alive");
                }
            }
            Ok::<(), tgwire::InvocationError>(())
        }
    })
    .await
    .expect("registered");

    let mut from_bot = inbox(&user, &bot_name).await;
    user.send_message(bot_name.as_str(), "/keyboard")
        .await
        .expect("sent");
    let keys = recv(&mut from_bot, "keyboard").await;
    assert_eq!(
        labels(&keys),
        [vec!["Hello bot"], vec!["My phone", "Where"]]
    );
    assert!(!keys.buttons()[0][0].is_inline());
    let Some(enums::ReplyMarkup::ReplyKeyboardMarkup(markup)) = keys.reply_markup() else {
        panic!("not a reply keyboard: {:?}", keys.reply_markup())
    };
    assert!(markup.resize && markup.single_use && !markup.selective);
    assert_eq!(markup.placeholder.as_deref(), Some("pick one"));

    // A text button sends its text; a phone request shares the user's contact.
    let Click::Sent(sent) = keys.click(0, 0).await.expect("clicked") else {
        panic!("a text button sends a message")
    };
    assert_eq!(sent.text(), "Hello bot");
    assert_eq!(recv(&mut bot_heard, "button text").await, "Hello bot");
    let Click::Sent(contact) = keys.click_text("My phone").await.expect("clicked") else {
        panic!("a phone request sends a contact")
    };
    assert_eq!(contact.media_kind(), Some(MediaKind::Contact));
    assert_eq!(recv(&mut bot_heard, "contact").await, "contact");
    let location = keys
        .click_text("Where")
        .await
        .expect_err("needs a location");
    assert!(matches!(
        location,
        tgwire::InvocationError::InvalidArgument(_)
    ));

    user.send_message(bot_name.as_str(), "/force")
        .await
        .expect("sent");
    let force = recv(&mut from_bot, "force reply").await;
    assert!(matches!(
        force.reply_markup(),
        Some(enums::ReplyMarkup::ReplyKeyboardForceReply(f))
            if f.selective && f.placeholder.as_deref() == Some("answer me")
    ));
    assert!(force.buttons().is_empty());
    user.send_message(bot_name.as_str(), "/hide")
        .await
        .expect("sent");
    let hide = recv(&mut from_bot, "keyboard removal").await;
    assert!(matches!(
        hide.reply_markup(),
        Some(enums::ReplyMarkup::ReplyKeyboardHide(_))
    ));

    // send_file takes buttons with the caption.
    user.send_message(bot_name.as_str(), "/photo")
        .await
        .expect("sent");
    let photo = recv(&mut from_bot, "photo").await;
    assert_eq!(photo.media_kind(), Some(MediaKind::Photo));
    assert_eq!(photo.text(), "a cat");
    assert_eq!(labels(&photo), [["Pet"]]);

    user.disconnect().await;
    bot.disconnect().await;
}

#[tokio::test]
async fn inline_queries_are_answered_cached_paged_sent_and_edited() {
    let server = common::start().await;
    let (bot, bot_me, user, bot_name) = bot_and_user(&server, 7003, "7003").await;
    // A second bot, without inline mode.
    let (plain_bot, plain_me, _, _) = bot_and_user(&server, 7004, "7004").await;
    server
        .backend()
        .set_bot_inline(bot_me.id(), Some("Search cats"))
        .expect("inline mode on");

    let asked = Arc::new(AtomicUsize::new(0));
    let asked_in = Arc::clone(&asked);
    bot.add_event_handler(InlineQuery::new().pattern("^cat"), move |event| {
        let asked = Arc::clone(&asked_in);
        async move {
            asked.fetch_add(1, Ordering::SeqCst);
            let page: usize = event.offset().parse().unwrap_or(0);
            let results = (page..page + 3).map(|n| {
                let result = InputInlineResult::article(
                    format!("Cat {n}"),
                    InputMessage::markdown(&format!("**cat {n}**")),
                )
                .id(format!("cat-{n}"))
                .description(format!("the {n}th cat"));
                if n == 0 {
                    result.buttons(vec![Button::inline("Like", "like")])
                } else {
                    result
                }
            });
            let answer = event
                .answer(results)
                .cache_time(60)
                .switch_pm("Settings", "settings");
            if page == 0 {
                answer.next_offset("3").await
            } else {
                answer.await
            }
        }
    })
    .await
    .expect("registered");
    bot.add_event_handler(InlineQuery::new().pattern("^media$"), |event| async move {
        let client = event.client().clone();
        let upload = |bytes: Vec<u8>, name: &'static str| {
            let client = client.clone();
            async move { client.upload_bytes(bytes, name).await.expect("uploads") }
        };
        let photo = upload(vec![0xff, 0xd8, 0xff, 0xe0, 1, 2, 3], "cat.jpg").await;
        let doc = upload(b"notes about cats".to_vec(), "notes.txt").await;
        let video = upload(vec![0, 0, 0, 0x18, b'f', b't', b'y', b'p'], "cat.mp4").await;
        let audio = upload(vec![b'I', b'D', b'3', 3, 0], "meow.mp3").await;
        let results = vec![
            InputInlineResult::photo(InputMedia::photo(photo))
                .id("photo")
                .message("a photo of a cat"),
            InputInlineResult::document(InputMedia::document(doc), "Notes").id("doc"),
            InputInlineResult::video(
                InputMedia::document(video).video(3.0, 64, 48, true),
                "Video",
            )
            .id("video"),
            InputInlineResult::audio(
                InputMedia::document(audio).audio(2, Some("Meow".into()), None),
                "Audio",
            )
            .id("audio"),
            InputInlineResult::contact("+99966270001", "Tom", "Cat").id("contact"),
            InputInlineResult::location("Cat cafe", 48.85, 2.35).id("geo"),
            InputInlineResult::venue("Cat museum", 52.37, 4.89, "Herengracht 497").id("venue"),
            InputInlineResult::game("catch_the_mouse").id("game"),
        ];
        event
            .answer(results)
            .cache_time(0)
            .gallery(true)
            .private(true)
            .await
    })
    .await
    .expect("registered");
    bot.add_event_handler(
        CallbackQuery::new().data("like").filter(|e| e.via_inline()),
        |event| async move {
            assert!(
                event.get_message().await?.is_none(),
                "inline messages are not the bot's"
            );
            let edited = event.edit(InputMessage::text("cat 0 (liked)")).await?;
            assert!(edited.is_none(), "inline edits return nothing");
            event.answer().text("liked").await
        },
    )
    .await
    .expect("registered");

    // First page, asked from the bot's own chat.
    let first = user
        .inline_query(bot_name.as_str(), "cat")
        .await
        .expect("answered");
    let titles: Vec<_> = first
        .results()
        .iter()
        .map(|r| r.title().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(titles, ["Cat 0", "Cat 1", "Cat 2"]);
    assert_eq!(first.results()[1].description(), Some("the 1th cat"));
    assert_eq!(first.results()[0].kind(), "article");
    assert_eq!(first.results()[0].message_text(), "cat 0");
    assert_eq!(first.next_offset(), Some("3"));
    assert_eq!(first.switch_pm(), Some(("Settings", "settings")));
    assert_eq!(first.cache_time(), 60);
    // Next page: a new query for the bot; the last page has no next offset.
    let second = first.next_page().await.expect("answered").expect("a page");
    assert_eq!(second.results()[0].id(), "cat-3");
    assert_eq!(second.next_offset(), None);
    assert!(second.next_page().await.expect("no call").is_none());
    assert_eq!(asked.load(Ordering::SeqCst), 2);
    // The same query again is served from the server's cache.
    let again = user
        .inline_query(bot_name.as_str(), "cat")
        .await
        .expect("answered");
    assert_eq!(again.query_id(), first.query_id());
    assert_eq!(asked.load(Ordering::SeqCst), 2, "the bot was asked again");

    // Sending a result: a message "via @bot" with the result's keyboard.
    let sent = first.results()[0].click("me").await.expect("sent");
    assert_eq!(sent.text(), "cat 0");
    assert_eq!(sent.via_bot_id(), Some(bot_me.id()));
    assert_eq!(labels(&sent), [["Like"]]);
    // Its button reaches the bot as an inline-message callback; the bot edits it by its
    // inline id.
    let answer = answer_of(sent.click(0, 0).await.expect("clicked"));
    assert_eq!(answer.message.as_deref(), Some("liked"));
    let edited = user
        .get_messages("me", &[sent.id()])
        .await
        .expect("fetched")
        .pop()
        .flatten()
        .expect("still there");
    assert_eq!(edited.text(), "cat 0 (liked)");
    assert!(
        edited.buttons().is_empty(),
        "an edit without buttons drops them"
    );

    // Every kind of media result, uploaded by the bot for the answer.
    let media = user
        .inline_query_in(bot_name.as_str(), "media", "me")
        .await
        .expect("answered");
    assert!(media.gallery());
    let kinds: Vec<_> = media
        .results()
        .iter()
        .map(|r| r.kind().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["photo", "file", "video", "audio", "contact", "geo", "venue", "game"]
    );
    let mut got = Vec::new();
    for result in media.results() {
        let message = result.click("me").await.expect("sent");
        assert_eq!(message.via_bot_id(), Some(bot_me.id()));
        got.push((result.id().to_owned(), message.media_kind()));
    }
    assert_eq!(
        got,
        [
            ("photo".to_owned(), Some(MediaKind::Photo)),
            ("doc".to_owned(), Some(MediaKind::Document)),
            ("video".to_owned(), Some(MediaKind::Document)),
            ("audio".to_owned(), Some(MediaKind::Document)),
            ("contact".to_owned(), Some(MediaKind::Contact)),
            ("geo".to_owned(), Some(MediaKind::Location)),
            ("venue".to_owned(), Some(MediaKind::Location)),
            ("game".to_owned(), Some(MediaKind::Other)),
        ]
    );

    // A switch-inline button runs the query in the message's chat.
    bot.send_message(
        common::me(&user).await,
        InputMessage::text("search").buttons(vec![Button::switch_inline_same_chat("Cats", "cat")]),
    )
    .await
    .expect("sent");
    let last = user.iter_messages(bot_name.as_str()).limit(1);
    let last: Vec<Message> = futures_util::TryStreamExt::try_collect(last)
        .await
        .expect("history");
    let Click::Inline(results) = last[0].click(0, 0).await.expect("clicked") else {
        panic!("a switch-inline button runs the query")
    };
    assert_eq!(results.len(), 3);

    // A bot without inline mode.
    let refused = user
        .inline_query(format!("@{}", plain_me.username().unwrap()), "cat")
        .await
        .expect_err("inline mode is off");
    assert!(refused.is("BOT_INLINE_DISABLED"), "{refused}");

    user.disconnect().await;
    bot.disconnect().await;
    plain_bot.disconnect().await;
}
