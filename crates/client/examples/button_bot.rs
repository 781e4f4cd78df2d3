//! A bot with a button menu and an inline mode: `/start` shows a counter with `+`/`-` buttons
//! (each press edits the message), a help button (answered with an alert) and a close button
//! (deletes the menu); typing `@thebot some text` anywhere offers the text shouted, whispered
//! and reversed, each with a button that answers a callback on the sent message.
//!
//!     cargo run --example button_bot
//!
//! With nothing set it starts tgwire's test server in-process (turning the bot's inline mode
//! on, as BotFather's `/setinline` does), signs the bot in there, and plays a user who presses
//! the buttons and uses the inline mode, printing both sides; then it exits. With `TG_API_ID`,
//! `TG_API_HASH` and `TG_BOT_TOKEN` it runs your bot on Telegram until you stop it (Ctrl-C;
//! turn inline mode on with @BotFather's `/setinline` first); with `TGWIRE_SERVER` set to a
//! test server's ready line it runs on that server (inline mode stays off there: the server's
//! command line cannot turn it on).

mod common;

use std::time::Duration;

use tgwire::events::{CallbackQuery, CallbackQueryEvent, InlineQuery, NewMessage};
use tgwire::{
    Button, Click, Client, InputInlineResult, InputMessage, InvocationError, ReplyMarkup,
};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let example = common::Example::start("button_bot").await?;
    let (bot, me) = example.connect_bot().await?;
    if let Some(server) = example.embedded() {
        server
            .backend()
            .set_bot_inline(me.id(), Some("Text to transform"))?;
    }
    add_handlers(&bot).await?;

    if example.embedded().is_none() {
        return common::serve_until_ctrl_c(&bot, "Serving buttons and inline queries").await;
    }

    // On the embedded server nobody else is there: play a user.
    let mut simulated = common::SimulatedUser::connect(&example, &me).await?;
    simulated.say("/start").await?;
    let menu = simulated.next_from_bot().await?;
    let (user, bot_name) = (&simulated.client, simulated.bot_name.as_str());
    println!(
        "   bot → user: {:?} with buttons {:?}",
        menu.text(),
        labels(&menu)
    );
    // Each press edits the menu (new text, new buttons): press the buttons of the message as
    // it is now, and wait for the bot's edit before the next press.
    let mut current = menu.clone();
    for (label, expected) in [("+", 1), ("+", 2), ("+", 3), ("-", 2)] {
        let click = current.click_text(label).await?;
        current = wait_for_text(user, bot_name, menu.id(), &format!("Count: {expected}")).await?;
        println!(
            "   user presses {label}: {} → {:?}",
            describe(&click),
            current.text()
        );
    }
    let help = current.click_text("Help").await?;
    println!("   user presses Help: {}", describe(&help));

    println!("   user types: {bot_name} hello buttons");
    let results = user.inline_query(bot_name, "hello buttons").await?;
    for result in results.results() {
        println!(
            "   result {}: {:?}",
            result.title().unwrap_or_default(),
            result.message_text()
        );
    }
    anyhow::ensure!(results.len() == 3, "three results expected");
    let sent = results.results()[0].click(bot_name).await?;
    println!(
        "   user sent {:?} via bot {:?}",
        sent.text(),
        sent.via_bot_id()
    );
    let liked = sent.click(0, 0).await?;
    println!("   user presses {:?}: {}", labels(&sent), describe(&liked));

    let closed = current.click_text("Close").await?;
    println!("   user presses Close: {}", describe(&closed));
    simulated.leave().await;
    bot.disconnect().await;
    println!("== Done");
    Ok(())
}

/// Message `id` of the bot's chat once its text is `text` (the bot edits after answering).
async fn wait_for_text(
    user: &Client,
    bot_name: &str,
    id: i32,
    text: &str,
) -> anyhow::Result<tgwire::Message> {
    for _ in 0..300 {
        if let Some(Some(message)) = user.get_messages(bot_name, &[id]).await?.pop() {
            if message.text() == text {
                return Ok(message);
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::bail!("the menu never showed {text:?}")
}

fn labels(message: &tgwire::Message) -> Vec<Vec<String>> {
    message
        .buttons()
        .iter()
        .map(|row| row.iter().map(|b| b.text().to_owned()).collect())
        .collect()
}

fn describe(click: &Click) -> String {
    match click {
        Click::Answer(answer) => match &answer.message {
            Some(text) if answer.alert => format!("alert {text:?}"),
            Some(text) => format!("toast {text:?}"),
            None => "answered".into(),
        },
        other => format!("{other:?}"),
    }
}

/// The menu for `count`.
fn menu(count: i64) -> InputMessage {
    InputMessage::text(format!("Count: {count}")).buttons(ReplyMarkup::inline([
        vec![
            Button::inline("-", format!("count:{}", count - 1)),
            Button::inline("+", format!("count:{}", count + 1)),
        ],
        vec![
            Button::inline("Help", "help"),
            Button::inline("Close", "close"),
        ],
        vec![Button::switch_inline("Try inline", "hello")],
    ]))
}

async fn add_handlers(bot: &Client) -> Result<(), InvocationError> {
    bot.add_event_handler(
        NewMessage::new().incoming().pattern("^/start"),
        |event| async move { event.respond(menu(0)).await.map(drop) },
    )
    .await?;
    // The counter lives in the buttons' data: `count:N` shows N.
    bot.add_event_handler(
        CallbackQuery::new().pattern(r"^count:(-?\d+)$"),
        |event: CallbackQueryEvent| async move {
            let count: i64 = event
                .data_match()
                .and_then(|m| m.get(1))
                .and_then(|n| std::str::from_utf8(n.as_bytes()).ok()?.parse().ok())
                .unwrap_or(0);
            // Answer first: the user's app waits for it.
            event.answer().await?;
            event.edit(menu(count)).await?;
            Ok::<_, InvocationError>(())
        },
    )
    .await?;
    bot.add_event_handler(CallbackQuery::new().data("help"), |event| async move {
        event
            .answer()
            .text("Press + and - to count; Close removes the menu.")
            .alert(true)
            .await
    })
    .await?;
    bot.add_event_handler(CallbackQuery::new().data("close"), |event| async move {
        event.answer().text("Bye").await?;
        event.delete().await
    })
    .await?;
    bot.add_event_handler(
        CallbackQuery::new().data("like").filter(|e| e.via_inline()),
        |event| async move {
            event.answer().text("Thanks!").await?;
            event.edit(InputMessage::text("liked ❤")).await.map(drop)
        },
    )
    .await?;
    bot.add_event_handler(InlineQuery::new(), |event| async move {
        let text = event.text().trim().to_owned();
        if text.is_empty() {
            return event.answer([]).cache_time(0).await;
        }
        let like = || vec![Button::inline("Like", "like")];
        let results = [
            ("Shout", text.to_uppercase()),
            ("Whisper", text.to_lowercase()),
            ("Reverse", text.chars().rev().collect()),
        ]
        .into_iter()
        .map(|(title, out)| {
            InputInlineResult::article(title, out)
                .id(title.to_lowercase())
                .buttons(like())
        });
        event.answer(results).cache_time(10).await
    })
    .await?;
    Ok(())
}
