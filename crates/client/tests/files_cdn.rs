//! Downloads through the test server's CDN DC over loopback: the redirect is followed (CDN
//! key from `help.getCdnConfig`, address from `help.getConfig`, no authorization), parts are
//! decrypted and checked by SHA-256, a lost file is uploaded to the CDN again, and a part the
//! CDN tampered with is an error with nothing of it written.

mod common;

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use tgwire::{Client, FileError, InputMedia, Message};
use tgwire_testserver::{Config, TestServer, CDN_DC_ID};

const KIB: usize = 1024;
/// Files from this size on are served by the CDN.
const CDN_MIN: usize = 256 * KIB;

fn data(len: usize, seed: u32) -> Vec<u8> {
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

async fn server() -> TestServer {
    TestServer::start(Config {
        cdn_min_size: Some(CDN_MIN as u64),
        ..Config::default()
    })
    .await
    .expect("test server starts")
}

/// Uploads `bytes` and sends them to Saved Messages as a document.
async fn sent(client: &Client, bytes: &[u8], name: &str) -> Message {
    let file = client.upload_bytes(bytes.to_vec(), name).await.unwrap();
    client
        .send_file("me", InputMedia::document(file))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdn_downloads_match_by_sha256() {
    let server = server().await;
    assert_eq!(server.cdn_dc().unwrap().id, CDN_DC_ID);
    let (client, _) = common::signed_in(&server, 2, "5101").await;

    // Crosses 1 MiB boundaries and ends inside a 128 KiB part.
    let bytes = data(3 * 1024 * KIB + 12_345, 1);
    let message = sent(&client, &bytes, "big.bin").await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.bin");
    let written = client.download_media(&message, &path).await.unwrap();
    assert_eq!(written, bytes.len() as u64);
    let back = std::fs::read(&path).unwrap();
    assert!(
        Sha256::digest(&back) == Sha256::digest(&bytes),
        "contents differ"
    );
    let stats = server.backend().cdn_stats();
    assert!(stats.redirects >= 1, "{stats:?}");
    // 3 MiB + a bit in 1 MiB requests: four CDN answers, none from the file's DC.
    assert_eq!(stats.parts_served, 4, "{stats:?}");

    // A range with requests smaller than a hashed part: whole parts are fetched and checked,
    // then trimmed.
    let chunks: Vec<Vec<u8>> = client
        .iter_download(&message)
        .offset(100_000)
        .limit(300_000)
        .request_size(64 * KIB)
        .try_collect()
        .await
        .unwrap();
    let range = chunks.concat();
    assert_eq!(range, bytes[100_000..400_000]);

    // Below the threshold: served by the file's DC.
    let small = data(CDN_MIN - 1, 2);
    let message = sent(&client, &small, "small.bin").await;
    let before = server.backend().cdn_stats();
    let mut back = Vec::new();
    client.download_media(&message, &mut back).await.unwrap();
    assert_eq!(back, small);
    assert_eq!(server.backend().cdn_stats(), before);
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_the_cdn_lost_is_uploaded_again() {
    let server = server().await;
    let (client, _) = common::signed_in(&server, 2, "5102").await;
    let bytes = data(2 * 1024 * KIB + 7, 3);
    let message = sent(&client, &bytes, "lost.bin").await;
    server.faults().cdn_reupload_needed(1);
    let mut back = Vec::new();
    client
        .download_media(&message, &mut back)
        .parallelism(1)
        .await
        .unwrap();
    assert!(Sha256::digest(&back) == Sha256::digest(&bytes));
    let stats = server.backend().cdn_stats();
    assert_eq!(stats.reupload_requests, 1, "{stats:?}");
    assert_eq!(stats.reuploads, 1, "{stats:?}");
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_cdn_part_is_an_error_and_nothing_of_it_is_written() {
    let server = server().await;
    let (client, _) = common::signed_in(&server, 2, "5103").await;
    let bytes = data(2 * 1024 * KIB, 4);
    let message = sent(&client, &bytes, "tampered.bin").await;

    // In order, one hashed part per request: the parts before the tampered one arrive, then
    // the error; not a byte of the tampered part (128 KiB parts: 300,000 is in part 2).
    server.faults().cdn_corrupt_at(300_000);
    let mut back = Vec::new();
    let error = client
        .download_media(&message, &mut back)
        .parallelism(1)
        .request_size(128 * KIB)
        .await
        .unwrap_err();
    assert!(
        matches!(error, FileError::CdnHashMismatch { offset: 262_144 }),
        "{error:?}"
    );
    assert_eq!(back, bytes[..262_144]);

    // To a path: the partial file is removed.
    server.faults().cdn_corrupt_at(1_500_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tampered.bin");
    let error = client.download_media(&message, &path).await.unwrap_err();
    assert!(
        matches!(error, FileError::CdnHashMismatch { offset: 1_441_792 }),
        "{error:?}"
    );
    assert!(!path.exists(), "a failed download leaves no file");

    // Without the fault the same download is whole.
    let mut back = Vec::new();
    client.download_media(&message, &mut back).await.unwrap();
    assert!(Sha256::digest(&back) == Sha256::digest(&bytes));
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_token_invalid_moves_the_rest_back_to_the_files_dc() {
    let server = server().await;
    let (client, _) = common::signed_in(&server, 2, "5104").await;
    let bytes = data(1024 * KIB + 300, 5);
    let message = sent(&client, &bytes, "refused.bin").await;

    // The CDN refuses the token at once: every byte comes from the file's DC, and the file's
    // DC is not asked for a redirect again (the client stops sending `cdn_supported`).
    server
        .faults()
        .rpc_error_times("upload.getCdnFile", 400, "FILE_TOKEN_INVALID", 1);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("refused.bin");
    let written = client
        .download_media(&message, &path)
        .parallelism(1)
        .request_size(128 * KIB)
        .await
        .expect("downloads from the file's DC");
    assert_eq!(written, bytes.len() as u64);
    assert!(Sha256::digest(std::fs::read(&path).unwrap()) == Sha256::digest(&bytes));
    assert_eq!(server.faults().rpc_errors_left("upload.getCdnFile"), 0);
    let stats = server.backend().cdn_stats();
    assert_eq!((stats.redirects, stats.parts_served), (1, 0), "{stats:?}");

    // Midway: the first parts come from the CDN, then it refuses the token and the rest
    // (nine 128 KiB requests in all) comes from the file's DC, no byte lost or repeated.
    let before = server.backend().cdn_stats();
    let faults = server.faults().clone();
    let armed = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut back = Vec::new();
    client
        .download_media(&message, &mut back)
        .parallelism(1)
        .request_size(128 * KIB)
        .progress(move |done, _| {
            if done > 0 && !armed.swap(true, std::sync::atomic::Ordering::Relaxed) {
                faults.rpc_error_times("upload.getCdnFile", 400, "FILE_TOKEN_INVALID", 1);
            }
        })
        .await
        .expect("downloads across the fallback");
    assert!(Sha256::digest(&back) == Sha256::digest(&bytes));
    assert_eq!(server.faults().rpc_errors_left("upload.getCdnFile"), 0);
    let stats = server.backend().cdn_stats();
    let from_cdn = stats.parts_served - before.parts_served;
    assert_eq!(stats.redirects - before.redirects, 1, "{stats:?}");
    assert!(
        (1..9).contains(&from_cdn),
        "{from_cdn} of 9 parts from the CDN"
    );
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cdn_downloads_with_pfs_over_several_connections() {
    let server = server().await;
    let client = common::builder(&server, 2)
        .pfs(true)
        .in_memory()
        .connect()
        .await
        .expect("connects with PFS");
    let token = client.request_login_code("9996625105").await.unwrap();
    client.sign_in(&token, "22222").await.unwrap();

    let bytes = data(3 * 1024 * KIB + 999, 6);
    let message = sent(&client, &bytes, "pfs-cdn.bin").await;
    // Hashes and re-uploads go to the file's DC over PFS connections; parts come from the CDN
    // DC, which has no account to bind a temporary key to.
    server.faults().cdn_reupload_needed(1);
    let mut back = Vec::new();
    client
        .download_media(&message, &mut back)
        .request_size(256 * KIB)
        .parallelism(6)
        .connections(3)
        .await
        .expect("downloads from the CDN with PFS on");
    assert!(Sha256::digest(&back) == Sha256::digest(&bytes));
    let stats = server.backend().cdn_stats();
    assert!(stats.redirects >= 1, "{stats:?}");
    // 13 requests of 256 KiB, all answered by the CDN.
    assert!(stats.parts_served >= 13, "{stats:?}");
    assert_eq!(stats.reuploads, 1, "{stats:?}");
    // The upload before and the download's hash requests used several PFS connections.
    let home = client
        .connections()
        .iter()
        .filter(|(dc, _)| *dc == 2)
        .count();
    assert!(home >= 3, "{:?}", client.connections());
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cdn_keys_are_fetched_once_per_client() {
    let server = server().await;
    let (client, _) = common::signed_in(&server, 2, "5106").await;
    for seed in 0..3 {
        let bytes = data(CDN_MIN + 1000 * seed as usize, 10 + seed);
        let message = sent(&client, &bytes, "again.bin").await;
        let mut back = Vec::new();
        client.download_media(&message, &mut back).await.unwrap();
        assert_eq!(back, bytes);
    }
    let stats = server.backend().cdn_stats();
    assert_eq!(stats.redirects, 3, "{stats:?}");
    assert_eq!(stats.config_requests, 1, "{stats:?}");

    // Another client asks for them once too.
    let (other, _) = common::signed_in(&server, 2, "5107").await;
    let bytes = data(CDN_MIN, 20);
    let message = sent(&other, &bytes, "other.bin").await;
    let mut back = Vec::new();
    other.download_media(&message, &mut back).await.unwrap();
    assert_eq!(back, bytes);
    assert_eq!(server.backend().cdn_stats().config_requests, 2);
    client.disconnect().await;
    other.disconnect().await;
}
