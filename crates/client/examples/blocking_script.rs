//! A script without async, through `tgwire::blocking` (feature `blocking`): who am I, my
//! chats, the last messages of one, and a note to Saved Messages.
//!
//!     cargo run --example blocking_script --features blocking -- [CHAT]
//!
//! With nothing set it starts tgwire's test server (on a runtime of its own, as Telegram runs
//! elsewhere) and signs in as a test account; with `TG_API_ID` and `TG_API_HASH` it uses your
//! account, asking for the phone number, code and password on the terminal the first time (the
//! session stays in `blocking_script.session`).

mod common;

use std::io::Write as _;

use tgwire::blocking::Client;
use tgwire::{InputMessage, SignInError};

fn main() -> anyhow::Result<()> {
    // The examples' shared set-up is async; it runs once on a runtime that also keeps the
    // embedded test server (if any) running in the background.
    let setup = tokio::runtime::Runtime::new()?;
    let example = setup.block_on(common::Example::start("blocking_script"))?;

    let client = Client::connect(example.builder())?;
    if !client.is_authorized()? {
        if example.is_telegram() {
            sign_in_on_the_terminal(&client)?;
        } else {
            let token = client.request_login_code(common::TEST_PHONE)?;
            client.sign_in(&token, common::TEST_CODE)?;
        }
    }
    let me = client.get_me()?;
    println!("== Signed in as {} (id {})", me.full_name(), me.id());

    let note = client.send_message(
        "me",
        InputMessage::markdown("Written by a script **without async**"),
    )?;
    println!("== Sent #{} to Saved Messages", note.id());

    println!("== Chats");
    for dialog in client.iter_dialogs().limit(10) {
        let dialog = dialog?;
        println!(
            "   {} ({} unread)",
            dialog.chat().name(),
            dialog.unread_count()
        );
    }

    let chat = std::env::args().nth(1).unwrap_or_else(|| "me".to_owned());
    println!("== The last messages of {chat}");
    let mut newest = None;
    for message in client.iter_messages(chat.as_str()).limit(5) {
        let message = message?;
        newest.get_or_insert(message.id());
        println!("   #{} {}", message.id(), message.markdown_text());
    }
    if chat == "me" {
        anyhow::ensure!(
            newest == Some(note.id()),
            "the note is not the newest message"
        );
    }

    client.disconnect();
    // The embedded server (if any) shuts down on the runtime it runs on.
    setup.block_on(async move { drop(example) });
    println!("== Done");
    Ok(())
}

/// Phone number, code and (if the account has one) password, read from the terminal.
fn sign_in_on_the_terminal(client: &Client) -> anyhow::Result<()> {
    let token = client.request_login_code(&prompt("Phone number (international format): ")?)?;
    loop {
        match client.sign_in(&token, &prompt("Login code: ")?) {
            Ok(_) => return Ok(()),
            Err(SignInError::InvalidCode) => println!("   wrong code, try again"),
            Err(SignInError::PasswordRequired(mut password)) => loop {
                let hint = password.hint().unwrap_or("none").to_owned();
                match client
                    .check_password(password, prompt(&format!("Password (hint: {hint}): "))?)
                {
                    Ok(_) => return Ok(()),
                    Err(SignInError::InvalidPassword) => {
                        println!("   wrong password, try again");
                        password = client.block_on(client.as_async().password_token())?;
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
