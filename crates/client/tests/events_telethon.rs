//! Telethon 1.45 (from PyPI, in the venv `.ci/python-venv.sh` makes) as the other party: a
//! Telethon user talks to a tgwire bot on the same in-process test server, and the bot, driven
//! by tgwire's update engine and event handlers, answers every message.
//!
//! No network for pip is a failure, not a skip, as in the other Telethon tests.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use tgwire::events::NewMessage;
use tgwire::InputMessage;

/// Telethon without `cryptg` is slow on a loaded machine; the script has its own per-answer
/// timeout too.
const TELETHON_TIMEOUT: Duration = Duration::from_secs(600);
const GREETING: &str = "Hello from a tgwire bot";

fn python() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join(".ci/python-venv.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("runs .ci/python-venv.sh");
    assert!(out.status.success(), ".ci/python-venv.sh failed");
    String::from_utf8_lossy(&out.stdout).trim().into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_telethon_user_gets_every_message_echoed_by_a_tgwire_bot() {
    let python = tokio::task::spawn_blocking(python).await.unwrap();
    let server = common::start().await;
    let bot = common::builder(&server, 2)
        .in_memory()
        .connect()
        .await
        .expect("connects");
    let me = bot
        .bot_sign_in("6666:tgwire-telethon-echo-bot-token-012345")
        .await
        .expect("bot signs in");
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

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/telethon/echo.py");
    let ready = server.ready_line();
    let username = me.username().expect("bots have a username").to_owned();
    let run = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .arg(ready)
            .arg("9996625301")
            .arg("22222")
            .arg(username)
            .output()
    });
    let out = tokio::time::timeout(TELETHON_TIMEOUT, run)
        .await
        .expect("Telethon finishes")
        .unwrap()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "Telethon failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = stdout
        .lines()
        .find_map(|line| serde_json::from_str(line).ok())
        .expect("a JSON report");
    println!("Telethon's side: {report}");
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
