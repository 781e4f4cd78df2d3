//! An echo bot: answers `/start` with a greeting and every other private text message with the
//! same text (formatting included).
//!
//!     cargo run --example echo_bot
//!
//! With nothing set it starts tgwire's test server in-process, signs the bot in there, and
//! plays a user who talks to it, printing both sides; then it exits. With `TG_API_ID`,
//! `TG_API_HASH` and `TG_BOT_TOKEN` it runs your bot on Telegram until you stop it (Ctrl-C);
//! with `TGWIRE_SERVER` set to a test server's ready line it runs on that server (talk to it
//! with any client: Telethon, another tgwire example).

mod common;

use tgwire::events::NewMessage;
use tgwire::{Client, InputMessage, InvocationError};

const GREETING: &str = "Hello! I am an echo bot: send me any text and I send it back.";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let example = common::Example::start("echo_bot").await?;
    let (bot, me) = example.connect_bot().await?;
    add_echo_handler(&bot).await?;

    if example.embedded().is_none() {
        return common::serve_until_ctrl_c(&bot, "Echoing").await;
    }

    // On the embedded server nobody else is there: play a user who talks to the bot.
    let mut user = common::SimulatedUser::connect(&example, &me).await?;
    let said = [
        InputMessage::text("/start"),
        InputMessage::text("Hello, bot!"),
        InputMessage::markdown("Echo **this**, _please_ 🦀"),
    ];
    for message in said {
        user.say(message).await?;
        let answer = user.next_from_bot().await?;
        println!("   bot → user: {}", answer.markdown_text());
    }
    user.leave().await;
    bot.disconnect().await;
    println!("== Done");
    Ok(())
}

/// The bot: every incoming private text message is answered.
async fn add_echo_handler(bot: &Client) -> Result<(), InvocationError> {
    bot.add_event_handler(
        NewMessage::new()
            .incoming()
            .filter(|event| event.is_private() && !event.text().is_empty()),
        |event| async move {
            if event.text() == "/start" {
                event.respond(GREETING).await?;
            } else {
                let echo =
                    InputMessage::text(event.text()).with_entities(event.entities().to_vec());
                event.respond(echo).await?;
            }
            Ok::<_, InvocationError>(())
        },
    )
    .await?;
    Ok(())
}
