//! Exports a chat's history to JSON lines: one message per line, oldest first, with its id,
//! date, sender, text (plain and as markdown), reply, forward, media kind and edit date.
//!
//!     cargo run --example export_history -- [CHAT] [OUTPUT]
//!
//! `CHAT` is anything tgwire resolves (`me`, `@username`, a `t.me` link, a Bot API id; default
//! `me`), `OUTPUT` a file (default `<chat>.jsonl`; `-` for standard output). The history comes
//! in pages as a stream, so memory stays flat however long the chat is; lines are written as
//! the pages arrive.
//!
//! With nothing set it starts tgwire's test server in-process, signs in as a test account,
//! writes a few messages to Saved Messages (text, formatting, a reply, a document) and exports
//! them, then reads the file back to check it. With `TG_API_ID` and `TG_API_HASH` it exports
//! from your account (the session stays in `export_history.session`).

mod common;

use std::io::{BufRead as _, BufWriter, Write};

use anyhow::Context as _;
use futures_util::TryStreamExt;
use serde_json::json;
use tgwire::{InputMedia, InputMessage, Message};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let example = common::Example::start("export_history").await?;
    let client = example.connect_user().await?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let chat = args.first().map_or("me", String::as_str);

    let embedded = example.embedded().is_some();
    let mut sent = 0;
    if embedded {
        println!("== Writing a few messages to export");
        let first = client.send_message("me", "Plain text").await?;
        client
            .send_message(
                "me",
                InputMessage::markdown("**Bold**, _italic_ and `code` 🦀"),
            )
            .await?;
        client
            .send_message(
                "me",
                InputMessage::text("A reply").reply_to(Some(first.id())),
            )
            .await?;
        let file = client
            .upload_bytes(b"a,b\n1,2\n".to_vec(), "table.csv")
            .await?;
        client
            .send_file(
                "me",
                InputMedia::document(file).caption(InputMessage::text("A document")),
            )
            .await?;
        sent = 4;
    }

    let output = args.get(1).cloned().unwrap_or_else(|| {
        let name: String = chat
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let name = if embedded {
            std::env::temp_dir()
                .join(format!("tgwire-export-{}-{name}.jsonl", std::process::id()))
                .display()
                .to_string()
        } else {
            format!("{name}.jsonl")
        };
        name
    });
    let mut out: Box<dyn Write> = if output == "-" {
        Box::new(std::io::stdout().lock())
    } else {
        let file = std::fs::File::create(&output).with_context(|| format!("creating {output}"))?;
        Box::new(BufWriter::new(file))
    };

    println!("== Exporting {chat} to {output}");
    let mut history = client.iter_messages(chat).reverse();
    let mut count = 0usize;
    while let Some(message) = history.try_next().await? {
        serde_json::to_writer(&mut out, &line(&message))?;
        out.write_all(b"\n")?;
        count += 1;
        if count % 1000 == 0 {
            eprintln!("   {count} messages");
        }
    }
    out.flush()?;
    drop(out);
    println!("   {count} messages exported");

    if embedded {
        // Read the file back: every line is JSON, oldest first, and the reply points back.
        let file = std::fs::File::open(&output)?;
        let lines: Vec<serde_json::Value> = std::io::BufReader::new(file)
            .lines()
            .map(|l| Ok(serde_json::from_str(&l?)?))
            .collect::<anyhow::Result<_>>()?;
        for line in &lines {
            println!("   {line}");
        }
        anyhow::ensure!(
            lines.len() == sent,
            "{} lines for {sent} messages",
            lines.len()
        );
        anyhow::ensure!(lines
            .windows(2)
            .all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64()));
        anyhow::ensure!(lines[2]["reply_to"] == lines[0]["id"]);
        // Markdown comes back in Telegram's own spelling (`__` for italics).
        anyhow::ensure!(lines[1]["markdown"] == "**Bold**, __italic__ and `code` 🦀");
        anyhow::ensure!(lines[3]["media"] == "Document");
        std::fs::remove_file(&output)?;
        client.disconnect().await;
    }
    println!("== Done");
    Ok(())
}

/// One message as a JSON object. Only what most exports want; with tgwire's `serde` feature,
/// `serde_json::to_value(message.raw())` gives every field of the TL object instead.
fn line(message: &Message) -> serde_json::Value {
    json!({
        "id": message.id(),
        "date": message.date(),
        "edit_date": message.edit_date(),
        "chat_id": message.chat_id(),
        "sender_id": message.sender_id(),
        "outgoing": message.outgoing(),
        "text": message.text(),
        "markdown": message.markdown_text(),
        "reply_to": message.reply_to_message_id(),
        "forwarded": message.is_forward(),
        "media": message.media_kind().map(|kind| format!("{kind:?}")),
        "service": message.is_service(),
    })
}
