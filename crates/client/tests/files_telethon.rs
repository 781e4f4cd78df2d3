//! Telethon 1.45 (from PyPI, in the venv `.ci/python-venv.sh` makes) and tgwire exchange files
//! through the test server, byte for byte: Telethon downloads what tgwire uploaded (several
//! parts, MD5 checked by the server) and tgwire downloads what Telethon uploaded.
//!
//! No network for pip is a failure, not a skip, as in the test server's Telethon suite.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use tgwire::{InputMedia, InputMessage};

/// Telethon without `cryptg` encrypts in pure Python: a few MiB take tens of seconds on a
/// loaded machine.
const TELETHON_TIMEOUT: Duration = Duration::from_secs(600);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

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
async fn telethon_and_tgwire_exchange_files_byte_for_byte() {
    let python = tokio::task::spawn_blocking(python).await.unwrap();
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

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/telethon/files.py");
    let ready = server.ready_line();
    let upload_size = 1_048_576 + 77;
    let run = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(script)
            .arg(ready)
            .arg("9996623456")
            .arg("22222")
            .arg(upload_size.to_string())
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
