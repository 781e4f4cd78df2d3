//! Telethon 1.45 (from PyPI, in the venv `.ci/python-venv.sh` makes) as the other party: a
//! Telethon user talks to a tgwire bot on the same in-process test server, and the bot, driven
//! by tgwire's update engine and event handlers, answers every message.
//!
//! No network for pip is a failure, not a skip, as in the other Telethon tests.

mod common;

use tgwire::events::NewMessage;
use tgwire::InputMessage;

const GREETING: &str = "Hello from a tgwire bot";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telethon_user_gets_every_message_echoed_by_a_tgwire_bot() {
    let server = common::start().await;
    let (bot, me) =
        common::signed_in_bot(&server, 2, "6666:tgwire-telethon-echo-bot-token-012345").await;
    bot.add_event_handler(
        NewMessage::new().incoming().filter(|e| e.is_private()),
        |event| async move {
            let answer = if event.text() == "/start" {
                InputMessage::text(GREETING)
            } else {
                InputMessage::text(event.text())
            };
            event.respond(answer).await.map(drop)
        },
    )
    .await
    .expect("handler registered");

    let username = me.username().expect("bots have a username").to_owned();
    let report =
        common::telethon::run(&server, "echo.py", &["9996625301", "22222", &username]).await;
    let exchanges = report["exchanges"].as_array().expect("exchanges");
    assert_eq!(exchanges.len(), 5, "{report}");
    for exchange in exchanges {
        let sent = exchange["sent"].as_str().expect("sent");
        let expected = if sent == "/start" { GREETING } else { sent };
        assert_eq!(exchange["answer"], expected, "{report}");
        assert_eq!(exchange["from_bot"], true, "{report}");
    }
    bot.disconnect().await;
}
