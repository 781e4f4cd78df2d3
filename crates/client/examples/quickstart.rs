//! The quick start: sign in, look at yourself, send formatted messages, list dialogs, read
//! history and reply.
//!
//! Without `TG_API_ID`/`TG_API_HASH` in the environment it starts tgwire's local test server
//! in-process and signs in as a test account, so it runs anywhere:
//!
//!     cargo run --example quickstart
//!
//! With them set (from https://my.telegram.org), it talks to Telegram and asks for your phone
//! number, the login code and, if set, your password on the terminal. The session is kept in
//! `quickstart.session`, so the next run signs in straight away.

use std::io::Write as _;

use futures_util::TryStreamExt;
use tgwire::{Client, InputMessage, SignInError};
use tgwire_testserver::{backend::Peer, Config, TestServer};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let api = std::env::var("TG_API_ID")
        .ok()
        .zip(std::env::var("TG_API_HASH").ok());
    // Keeps the local server alive for as long as the client uses it.
    let mut _server = None;
    let client = match api {
        Some((id, hash)) => {
            println!("== Connecting to Telegram (api_id {id})");
            let client = Client::builder(id.trim().parse()?, hash.trim())
                .session_file("quickstart")
                .connect()
                .await?;
            if !client.is_authorized().await? {
                sign_in_interactively(&client).await?;
            }
            client
        }
        None => {
            println!("== No TG_API_ID/TG_API_HASH: starting the local test server");
            let server = TestServer::start(Config::default()).await?;
            let mut builder = Client::builder(1, "0123456789abcdef0123456789abcdef")
                .rsa_key(server.rsa_public_key().clone())
                .in_memory();
            for dc in server.dcs() {
                println!("   DC {} listens on {}:{}", dc.id, dc.host, dc.port);
                builder = builder.dc_addr(dc.id, format!("{}:{}", dc.host, dc.port).parse()?);
            }
            // A friend to talk to, who has already written to us.
            let friend =
                server
                    .backend()
                    .create_user("9996620042", "Grace", Some("grace_hopper"))?;
            let client = builder.connect().await?;
            println!("== Signing in as the test account +9996621234 (code 22222)");
            let token = client.request_login_code("+9996621234").await?;
            println!("   code requested; the home DC is now {}", client.home_dc());
            let me = client.sign_in(&token, "22222").await?;
            server.backend().send_message_as(
                friend,
                Peer::User(me.id()),
                "Hi! Did you try tgwire yet?",
            )?;
            _server = Some(server);
            client
        }
    };

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

/// Asks for the phone number, the code and (if needed) the password on the terminal.
async fn sign_in_interactively(client: &Client) -> anyhow::Result<()> {
    let phone = prompt("Phone number (international format): ")?;
    let token = client.request_login_code(&phone).await?;
    loop {
        let code = prompt("Login code: ")?;
        match client.sign_in(&token, &code).await {
            Ok(user) => {
                println!("   signed in as {}", user.full_name());
                return Ok(());
            }
            Err(SignInError::InvalidCode) => println!("   wrong code, try again"),
            Err(SignInError::PasswordRequired(mut password)) => loop {
                let hint = password.hint().unwrap_or("none").to_owned();
                let secret = prompt(&format!("Password (hint: {hint}): "))?;
                match client.check_password(password, secret).await {
                    Ok(user) => {
                        println!("   signed in as {}", user.full_name());
                        return Ok(());
                    }
                    Err(SignInError::InvalidPassword) => {
                        println!("   wrong password, try again");
                        password = client.password_token().await?;
                    }
                    Err(e) => return Err(e.into()),
                }
            },
            Err(e) => return Err(e.into()),
        }
    }
}

fn prompt(question: &str) -> anyhow::Result<String> {
    print!("{question}");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim().to_owned())
}
