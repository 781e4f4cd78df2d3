//! Telethon 1.45 (from PyPI, in the venv `.ci/python-venv.sh` makes) and tgwire exchange files
//! through the test server, byte for byte: Telethon downloads what tgwire uploaded (several
//! parts, MD5 checked by the server) and tgwire downloads what Telethon uploaded.
//!
//! No network for pip is a failure, not a skip, as in the test server's Telethon suite.

mod common;

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use tgwire::{InputMedia, InputMessage};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telethon_and_tgwire_exchange_files_byte_for_byte() {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "3456").await;

    // tgwire → Telethon: three parts and a short one, with the MD5 the server checks.
    let ours: Vec<u8> = (0..1_572_867u32).map(|i| (i ^ (i >> 9)) as u8).collect();
    let file = client
        .upload_bytes(ours.clone(), "from-tgwire.bin")
        .await
        .unwrap();
    client
        .send_file(
            "me",
            InputMedia::document(file).caption(InputMessage::text("from tgwire")),
        )
        .await
        .unwrap();

    let upload_size = 1_048_576 + 77;
    let report = common::telethon::run(
        &server,
        "files.py",
        &["9996623456", "22222", &upload_size.to_string()],
    )
    .await;
    assert_eq!(report["downloaded_len"], ours.len());
    assert_eq!(report["downloaded_sha256"], hex(&Sha256::digest(&ours)));

    // Telethon → tgwire.
    let history: Vec<tgwire::Message> = client
        .iter_messages("me")
        .limit(5)
        .try_collect()
        .await
        .unwrap();
    let theirs = history
        .iter()
        .find(|m| m.text() == "from telethon")
        .expect("Telethon's message");
    let mut back = Vec::new();
    client.download_media(theirs, &mut back).await.unwrap();
    assert_eq!(back.len(), upload_size);
    assert_eq!(report["uploaded_sha256"], hex(&Sha256::digest(&back)));
    client.disconnect().await;
}
