//! A userbot: your own account, automated by two event handlers.
//!
//! - **Auto-reply**: while it runs, the first private message from each person gets one
//!   polite answer (bots and yourself are left alone; the rest of their messages are not
//!   answered again).
//! - **Commands**: messages *you* send that start with `.` are commands, and the userbot
//!   edits them in place with the answer: `.ping` (how long the round trip to Telegram takes),
//!   `.id` (this chat's id, and the replied-to message's sender's), `.me`, `.help`.
//!
//!     cargo run --example userbot
//!
//! With nothing set it starts tgwire's test server in-process, signs in as a test account, lets
//! a friend write twice (one auto-reply), and types `.ping`, `.id` and `.help` into Saved
//! Messages from a second session of the same account (as you would on your phone: a client's
//! own sends do not reach its own handlers), printing what each became; then it exits. With `TG_API_ID` and
//! `TG_API_HASH` it runs on your account until Ctrl-C (the session stays in
//! `userbot.session`): type `.help` in any chat.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tgwire::events::{MessageEvent, NewMessage};
use tgwire::tl::functions;
use tgwire::{Chat, Client, InputMessage, InvocationError};
use tgwire_testserver::backend::Peer;

const AWAY: &str = "Hi! I am away from the keyboard right now; I will answer when I am back.";

const HELP: &str = "**Userbot commands**\n\
    `.ping`: round trip to Telegram\n\
    `.id`: this chat's id (and the replied-to sender's)\n\
    `.me`: who I am\n\
    `.help`: this list";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let example = common::Example::start("userbot").await?;
    let client = example.connect_user().await?;
    let me = client.get_me().await?;
    println!("== Running as {} (id {})", me.full_name(), me.id());
    add_auto_reply(&client).await?;
    add_commands(&client).await?;

    let Some(server) = example.embedded() else {
        return common::serve_until_ctrl_c(&client, "Listening; type .help in any chat").await;
    };

    // On the embedded server: a friend writes twice, and only the first gets the auto-reply.
    let friend = server
        .backend()
        .create_user("9996620077", "Ada", Some("ada_lovelace"))?;
    for text in ["Hey, are you there?", "Hello??"] {
        println!("   Ada → me: {text}");
        server
            .backend()
            .send_message_as(friend, Peer::User(me.id()), text)?;
    }
    let me_client = &client;
    wait_for(Duration::from_secs(30), move || async move {
        let replies = outgoing_texts(me_client, "@ada_lovelace").await?;
        Ok((!replies.is_empty()).then_some(replies))
    })
    .await
    .context("no auto-reply within 30 s")?;
    // Give a wrong second reply the time to show up before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let replies = outgoing_texts(&client, "@ada_lovelace").await?;
    for reply in &replies {
        println!("   me → Ada: {reply}");
    }
    anyhow::ensure!(
        replies.len() == 1,
        "expected one auto-reply, got {replies:?}"
    );

    // Commands are typed in another app of the same account (a client's own sends are not
    // news to itself, as in Telethon): here a second session plays your phone.
    let phone = example.connect_user().await?;
    let phone_ref = &phone;
    for command in [".ping", ".id", ".help"] {
        let sent = phone.send_message("me", command).await?;
        let id = sent.id();
        let answer = wait_for(Duration::from_secs(30), move || async move {
            let now = phone_ref.get_messages("me", &[id]).await?;
            let text = now
                .into_iter()
                .flatten()
                .next()
                .map(|m| m.text().to_owned());
            Ok(text.filter(|t| t != command))
        })
        .await
        .with_context(|| format!("{command} was not answered within 30 s"))?;
        println!("   {command} became: {}", answer.replace('\n', " | "));
    }
    phone.disconnect().await;
    client.disconnect().await;
    println!("== Done");
    Ok(())
}

/// Answers the first private message of each person.
async fn add_auto_reply(client: &Client) -> Result<(), InvocationError> {
    let answered = Arc::new(Mutex::new(HashSet::new()));
    client
        .add_event_handler(
            NewMessage::new()
                .incoming()
                .filter(|event| event.is_private()),
            move |event| {
                let answered = Arc::clone(&answered);
                async move {
                    let Some(chat) = event.chat_id() else {
                        return Ok(());
                    };
                    if let Some(Chat::User(user)) = event.sender() {
                        if user.is_bot() || user.is_self() {
                            return Ok(());
                        }
                    }
                    // Insert first: two quick messages must not both pass the check.
                    if !answered
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(chat)
                    {
                        return Ok(());
                    }
                    event.reply(AWAY).await?;
                    Ok::<_, InvocationError>(())
                }
            },
        )
        .await?;
    Ok(())
}

/// Runs `.command`s the account itself sends, editing each into its answer.
async fn add_commands(client: &Client) -> Result<(), InvocationError> {
    client
        .add_event_handler(
            NewMessage::new().outgoing().pattern(r"^\.(\w+)\s*$"),
            |event| async move {
                let command = event
                    .pattern_match()
                    .and_then(|c| c.get(1))
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_default();
                let answer = match command.as_str() {
                    "ping" => ping(&event).await?,
                    "id" => ids(&event).await?,
                    "me" => {
                        let me = event.client().get_me().await?;
                        InputMessage::markdown(&format!(
                            "**{}** (id `{}`, @{})",
                            me.full_name(),
                            me.id(),
                            me.username().unwrap_or("-")
                        ))
                    }
                    "help" => InputMessage::markdown(HELP),
                    _ => return Ok(()), // not ours: leave the message alone
                };
                event.edit(answer).await?;
                Ok::<_, InvocationError>(())
            },
        )
        .await?;
    Ok(())
}

/// `.ping`: times one cheap request.
async fn ping(event: &MessageEvent) -> Result<InputMessage, InvocationError> {
    let started = Instant::now();
    event
        .client()
        .invoke(&functions::help::GetNearestDc)
        .await?;
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(InputMessage::markdown(&format!("pong: `{ms:.1} ms`")))
}

/// `.id`: the chat's Bot API id, and the replied-to sender's.
async fn ids(event: &MessageEvent) -> Result<InputMessage, InvocationError> {
    let mut text = format!("chat id: `{}`", event.chat_id().unwrap_or_default());
    if let Some(replied) = event.get_reply_message().await? {
        if let Some(sender) = replied.sender_id() {
            text.push_str(&format!("\nreplied-to sender id: `{sender}`"));
        }
    }
    Ok(InputMessage::markdown(&text))
}

/// Texts of the messages we sent in `chat`, oldest first.
async fn outgoing_texts(client: &Client, chat: &str) -> Result<Vec<String>, InvocationError> {
    use futures_util::TryStreamExt;
    let messages: Vec<_> = client.iter_messages(chat).reverse().try_collect().await?;
    Ok(messages
        .into_iter()
        .filter(|m| m.outgoing())
        .map(|m| m.text().to_owned())
        .collect())
}

/// Polls `check` until it gives a value (the machine may be slow: `patience` is generous and
/// the wait ends as soon as the value is there).
async fn wait_for<T, F, Fut>(patience: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>, InvocationError>>,
{
    let deadline = Instant::now() + patience;
    loop {
        if let Some(value) = check().await? {
            return Ok(value);
        }
        anyhow::ensure!(Instant::now() < deadline, "gave up after {patience:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
