//! Telethon 1.45 (from PyPI, in the venv `.ci/python-venv.sh` makes) as the user of a tgwire
//! bot's buttons and inline mode, on the same in-process test server: Telethon's
//! `Message.click` gets the bot's callback answer, sees the bot's edit, and its
//! `inline_query` / `InlineResult.click` use the bot's inline answers, whose buttons come back
//! to the bot as inline-message callbacks.
//!
//! No network for pip is a failure, not a skip, as in the other Telethon tests.

mod common;

use std::time::Duration;

use tgwire::events::{CallbackQuery, InlineQuery, NewMessage};
use tgwire::{Button, InputInlineResult, InputMessage, InvocationError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telethon_user_presses_a_tgwire_bots_buttons_and_uses_its_inline_mode() {
    let server = common::start().await;
    // Telethon is slow; give the bot's answers room on a loaded machine.
    server
        .backend()
        .set_bot_response_timeout(Duration::from_secs(25));
    let (bot, me) =
        common::signed_in_bot(&server, 2, "6667:tgwire-telethon-buttons-bot-token-0123").await;
    server
        .backend()
        .set_bot_inline(me.id(), Some("Shout"))
        .expect("inline mode on");

    bot.add_event_handler(
        NewMessage::new().incoming().pattern("^/start$"),
        |event| async move {
            let menu = InputMessage::text("menu").buttons(vec![
                vec![Button::inline("Ping", "ping")],
                vec![Button::url("Docs", "https://example.com/docs")],
            ]);
            event.respond(menu).await.map(drop)
        },
    )
    .await
    .expect("registered");
    bot.add_event_handler(CallbackQuery::new().data("ping"), |event| async move {
        event.answer().text("pong").alert(true).await?;
        event.edit(InputMessage::text("pinged")).await?;
        Ok::<_, InvocationError>(())
    })
    .await
    .expect("registered");
    bot.add_event_handler(InlineQuery::new(), |event| async move {
        let shout = event.text().to_uppercase();
        let results = [
            InputInlineResult::article("Shout", shout.clone())
                .buttons(vec![Button::inline("Like", "like")]),
            InputInlineResult::article("Echo", event.text().to_owned()),
        ];
        event.answer(results).cache_time(0).await
    })
    .await
    .expect("registered");
    bot.add_event_handler(
        CallbackQuery::new().data("like").filter(|e| e.via_inline()),
        |event| async move {
            event.answer().text("liked").await?;
            event.edit(InputMessage::text("liked HELLO")).await?;
            Ok::<_, InvocationError>(())
        },
    )
    .await
    .expect("registered");

    let username = me.username().expect("bots have a username").to_owned();
    let report =
        common::telethon::run(&server, "buttons.py", &["9996625302", "22222", &username]).await;
    assert_eq!(report["menu"], "menu", "{report}");
    assert_eq!(
        report["buttons"],
        serde_json::json!([["Ping"], ["Docs"]]),
        "{report}"
    );
    assert_eq!(report["url"], "https://example.com/docs", "{report}");
    assert_eq!(report["data"], "ping", "{report}");
    assert_eq!(report["ping"]["message"], "pong", "{report}");
    assert_eq!(report["ping"]["alert"], true, "{report}");
    assert_eq!(report["edited"], "pinged", "{report}");
    assert_eq!(
        report["titles"],
        serde_json::json!(["Shout", "Echo"]),
        "{report}"
    );
    assert_eq!(report["sent"], "HELLO", "{report}");
    assert_eq!(report["via_bot"], true, "{report}");
    assert_eq!(report["liked"], "liked", "{report}");
    assert_eq!(report["inline_edited"], "liked HELLO", "{report}");
    bot.disconnect().await;
}
