//! The quick start: sign in, look at yourself, send formatted messages, list dialogs, read
//! history and reply.
//!
//! It connects as every example does (`examples/common`): without `TG_API_ID`/`TG_API_HASH`
//! or `TGWIRE_SERVER` in the environment it starts tgwire's local test server in-process and
//! signs in as a test account, so it runs anywhere:
//!
//!     cargo run --example quickstart
//!
//! With them set (from https://my.telegram.org), it talks to Telegram and asks for your phone
//! number, the login code and, if set, your password on the terminal. The session is kept in
//! `quickstart.session`, so the next run signs in straight away.

mod common;

use futures_util::TryStreamExt;
use tgwire::InputMessage;
use tgwire_testserver::backend::Peer;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let example = common::Example::start("quickstart").await?;
    let client = example.connect_user().await?;
    if let Some(server) = example.embedded() {
        // A friend to talk to, who has already written to us.
        let friend = server
            .backend()
            .create_user("9996620042", "Grace", Some("grace_hopper"))?;
        let me = client.get_me().await?;
        server.backend().send_message_as(
            friend,
            Peer::User(me.id()),
            "Hi! Did you try tgwire yet?",
        )?;
    }

    println!("== Who am I?");
    let me = client.get_me().await?;
    println!(
        "   {} (id {}, username {:?}, phone {:?})",
        me.full_name(),
        me.id(),
        me.username(),
        me.phone()
    );

    println!("== Sending messages to Saved Messages");
    let hello = client.send_message("me", "Hello, myself!").await?;
    println!("   sent #{}: {:?}", hello.id(), hello.text());
    let markdown = client
        .send_message(
            "me",
            InputMessage::markdown(
                "This is **bold**, __italic__, `code` and a [link](https://example.com) 👋",
            ),
        )
        .await?;
    println!(
        "   sent #{} with {} entities",
        markdown.id(),
        markdown.entities().len()
    );
    let html = client
        .send_message(
            "me",
            InputMessage::html("And <b>HTML</b> too, <tg-spoiler>with a spoiler</tg-spoiler> 🎉")
                .link_preview(false)
                .silent(true),
        )
        .await?;
    println!("   sent #{} as HTML: {}", html.id(), html.html_text());

    println!("== Dialogs");
    let mut dialogs = client.iter_dialogs().limit(10);
    while let Some(dialog) = dialogs.try_next().await? {
        println!(
            "   {:<24} unread {:>3}  last: {:?}",
            dialog.chat().name(),
            dialog.unread_count(),
            dialog
                .last_message()
                .map(|m| m.text().to_owned())
                .unwrap_or_default()
        );
    }

    println!("== History of Saved Messages, oldest first");
    let mut history = client.iter_messages("me").limit(10).reverse();
    while let Some(message) = history.try_next().await? {
        println!("   #{} {}", message.id(), message.markdown_text());
    }

    println!("== Replying");
    let reply = hello.reply("Replying to my own message").await?;
    match reply.reply_to_message_id() {
        Some(to) => println!("   #{} replies to #{to}", reply.id()),
        None => println!(
            "   #{} was sent, but the server dropped its reply header",
            reply.id()
        ),
    }
    // The newest message someone else sent us, answered in its chat.
    let mut incoming = None;
    let mut dialogs = client.iter_dialogs().limit(10);
    while let Some(dialog) = dialogs.try_next().await? {
        if let Some(last) = dialog.last_message().filter(|m| !m.outgoing()) {
            incoming = Some(last.clone());
            break;
        }
    }
    if let Some(message) = incoming {
        let sender = message.sender().map(|s| s.name()).unwrap_or_default();
        println!("   {sender} wrote {:?}", message.text());
        let answer = message
            .reply(InputMessage::markdown("Yes, **tgwire** works!"))
            .await?;
        println!("   answered with #{}", answer.id());
        client
            .mark_read(message.chat_id().unwrap_or(me.id()))
            .await?;
    }

    client.disconnect().await;
    println!("== Done");
    Ok(())
}
