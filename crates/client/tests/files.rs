//! Files against the test server over loopback: uploads of every size class (1 B, one part, 10 MiB
//! ± 1, 48 MiB and a bit, 100 MiB from disk to disk; 0 B is refused) checked by SHA-256 after a
//! download, parallel parts with a failing part, downloads across
//! `FILE_MIGRATE_X`, ranges, and sending photos, documents and albums.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use tgwire::tl::enums;
use tgwire::{FileError, FileLocation, InputMedia, InputMessage, MediaKind, Message};
use tgwire_testserver::faults::MigrateKind;

const MIB: usize = 1024 * 1024;

/// Bytes that differ at every offset (so a misplaced part shows), deterministic per `seed`.
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

fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

fn document(message: &Message) -> enums::Document {
    let enums::Message::Message(m) = message.raw() else {
        panic!("not a message: {message:?}");
    };
    match &m.media {
        Some(enums::MessageMedia::Document(d)) => d.document.clone().expect("a document"),
        other => panic!("not a document: {other:?}"),
    }
}

/// Uploads `bytes`, sends them as a document to Saved Messages, downloads them to a file and
/// checks they came back unchanged.
async fn round_trip(client: &tgwire::Client, bytes: Vec<u8>, name: &str) {
    let expected = sha256(&bytes);
    let len = bytes.len() as u64;
    let file = client.upload_bytes(bytes, name).await.expect("uploads");
    assert_eq!(file.size(), len);
    assert_eq!(
        matches!(file.raw(), enums::InputFile::Big(_)),
        len > 10 * MIB as u64,
        "big-file parts exactly above 10 MiB ({len} bytes)"
    );
    let sent = client
        .send_file("me", InputMedia::document(file))
        .await
        .expect("sends");
    assert_eq!(sent.media_kind(), Some(MediaKind::Document));
    let doc = document(&sent);
    let enums::Document::Document(raw) = &doc else {
        panic!()
    };
    assert_eq!(raw.size, len as i64);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    let written = client
        .download_media(&sent, &path)
        .await
        .expect("downloads");
    assert_eq!(written, len);
    let back = std::fs::read(&path).unwrap();
    assert_eq!(back.len() as u64, len);
    assert!(sha256(&back) == expected, "{name}: contents differ");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_size_class_round_trips() {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "1001").await;
    for (len, name) in [
        (1, "one-byte.bin"),
        (512 * 1024, "one-part.bin"),
        (512 * 1024 + 1, "two-parts.bin"),
        (10 * MIB - 1, "ten-minus-one.bin"),
        (10 * MIB, "ten.bin"),
        (10 * MIB + 1, "ten-plus-one.bin"),
        (48 * MIB + 12_345, "large.bin"),
    ] {
        round_trip(&client, data(len, len as u32), name).await;
    }
    // Telegram stores no empty files: refused before any request.
    let empty = client.upload_bytes(Vec::new(), "empty.bin").await;
    assert!(matches!(empty, Err(FileError::Empty)), "{empty:?}");
    client.disconnect().await;
}

/// Writes `len` bytes of [`data`]-like content to `path` in 1 MiB blocks (never the whole file in
/// memory) and returns their SHA-256.
fn write_file(path: &std::path::Path, len: usize, seed: u32) -> [u8; 32] {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut hash = Sha256::new();
    let mut left = len;
    let mut block_seed = seed;
    while left > 0 {
        let block = data(left.min(MIB), block_seed);
        hash.update(&block);
        file.write_all(&block).unwrap();
        left -= block.len();
        block_seed = block_seed.wrapping_add(1);
    }
    file.flush().unwrap();
    hash.finalize().into()
}

/// The SHA-256 of a file, read in 1 MiB blocks.
fn sha256_file(path: &std::path::Path) -> [u8; 32] {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let mut hash = Sha256::new();
    let mut block = vec![0u8; MIB];
    loop {
        let n = file.read(&mut block).unwrap();
        if n == 0 {
            break hash.finalize().into();
        }
        hash.update(&block[..n]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mib_file_round_trips_from_disk_to_disk() {
    // The largest size the issue names: 200 big-file parts up, 100 requests of 1 MiB down,
    // streamed from and to disk (the test holds at most 1 MiB of it at a time).
    const LEN: usize = 100 * MIB;
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "1009").await;
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("hundred.bin");
    let expected = write_file(&source, LEN, 100);

    let progress = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&progress);
    let file = client
        .upload_file(&source)
        .progress(move |done, total| {
            assert_eq!(total, LEN as u64);
            seen.fetch_max(done, Ordering::Relaxed);
        })
        .await
        .expect("uploads 100 MiB");
    assert_eq!(file.size(), LEN as u64);
    assert_eq!(progress.load(Ordering::Relaxed), LEN as u64);
    let enums::InputFile::Big(big) = file.raw() else {
        panic!("100 MiB goes up as a big file: {:?}", file.raw());
    };
    assert_eq!(big.parts, 200);
    let sent = client
        .send_file("me", InputMedia::document(file))
        .await
        .expect("sends");
    let enums::Document::Document(doc) = document(&sent) else {
        panic!("no document")
    };
    assert_eq!(doc.size, LEN as i64);

    let back = dir.path().join("hundred-back.bin");
    let written = client
        .download_media(&sent, &back)
        .await
        .expect("downloads 100 MiB");
    assert_eq!(written, LEN as u64);
    assert_eq!(std::fs::metadata(&back).unwrap().len(), LEN as u64);
    assert!(sha256_file(&back) == expected, "contents differ");
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_parts_survive_a_failing_part() {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "1002").await;
    let bytes = data(12 * MIB + 777, 7);
    let expected = sha256(&bytes);
    // One part of the upload fails with a server error and must be sent again on its own.
    server
        .faults()
        .rpc_error_times("upload.saveBigFilePart", 500, "INTERNAL_SERVER_ERROR", 1);
    let progress = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&progress);
    let file = client
        .upload_bytes(bytes, "parallel.bin")
        .parallelism(6)
        .connections(3)
        .progress(move |done, total| {
            assert_eq!(total, 12 * MIB as u64 + 777);
            seen.fetch_max(done, Ordering::Relaxed);
        })
        .await
        .expect("uploads despite the failed part");
    assert_eq!(server.faults().rpc_errors_left("upload.saveBigFilePart"), 0);
    assert_eq!(progress.load(Ordering::Relaxed), 12 * MIB as u64 + 777);
    // The parts went over several connections to the home DC.
    let lanes = client
        .connections()
        .iter()
        .filter(|(dc, _)| *dc == 2)
        .count();
    assert_eq!(lanes, 3, "{:?}", client.connections());

    let sent = client
        .send_file("me", InputMedia::document(file))
        .await
        .unwrap();
    // A download whose requests fail once too.
    server
        .faults()
        .rpc_error_times("upload.getFile", 500, "INTERNAL_SERVER_ERROR", 2);
    let mut back = Vec::new();
    client
        .download_media(&sent, &mut back)
        .parallelism(5)
        .connections(2)
        .await
        .expect("downloads despite the failures");
    assert_eq!(server.faults().rpc_errors_left("upload.getFile"), 0);
    assert!(sha256(&back) == expected);
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downloads_follow_file_migrate() {
    let server = common::start().await;
    let (owner, _) = common::signed_in(&server, 2, "1003").await;
    let bytes = data(3 * MIB + 5, 3);
    let file = owner.upload_bytes(bytes.clone(), "far.bin").await.unwrap();
    let sent = owner
        .send_file("me", InputMedia::document(file))
        .await
        .unwrap();
    let location = FileLocation::of_document(&document(&sent)).unwrap();
    assert_eq!(location.dc(), Some(2));

    // Someone on DC 1 with the bare location (no DC): the first request gets FILE_MIGRATE_2,
    // the authorization is copied to DC 2 and the download continues there.
    let (other, _) = common::signed_in(&server, 1, "1004").await;
    let bare = FileLocation::new(location.raw().clone(), None, location.size());
    let mut back = Vec::new();
    let written = other
        .download_file(bare, &mut back)
        .request_size(256 * 1024)
        .await
        .expect("downloads from DC 2");
    assert_eq!(written, bytes.len() as u64);
    assert!(back == bytes);
    assert!(other.connections().iter().any(|(dc, _)| *dc == 2));

    // Midway: after the first chunk the server sends one request to DC 3, which does not
    // have the file and sends it back to DC 2. No byte is lost or repeated.
    let faults = server.faults().clone();
    let armed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut back = Vec::new();
    owner
        .download_media(&sent, &mut back)
        .request_size(128 * 1024)
        .parallelism(1)
        .progress(move |done, _| {
            if done > 0 && !armed.swap(true, Ordering::Relaxed) {
                faults.migrate("upload.getFile", MigrateKind::File, 3);
            }
        })
        .await
        .expect("downloads across the migrations");
    assert!(back == bytes);
    assert!(owner.connections().iter().any(|(dc, _)| *dc == 3));
    owner.disconnect().await;
    other.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_streams_and_readers() {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "1005").await;
    let bytes = data(2 * MIB + 100, 5);
    // From an AsyncRead with a known size.
    let file = client
        .upload_stream(
            std::io::Cursor::new(bytes.clone()),
            bytes.len() as u64,
            "stream.bin",
        )
        .part_size(64 * 1024)
        .await
        .unwrap();
    let sent = client
        .send_file("me", InputMedia::document(file))
        .await
        .unwrap();
    for (offset, limit, request) in [
        (0u64, 10u64, 4096usize),
        (5000, 70_000, 8192),
        (MIB as u64 - 3, 10, 4096),
        (2 * MIB as u64, 1000, MIB),
        (1, 3 * MIB as u64, 512 * 1024),
    ] {
        let chunks: Vec<Vec<u8>> = client
            .iter_download(&sent)
            .offset(offset)
            .limit(limit)
            .request_size(request)
            .try_collect()
            .await
            .unwrap();
        let got: Vec<u8> = chunks.concat();
        let start = offset as usize;
        let end = (start + limit as usize).min(bytes.len());
        assert!(
            got == bytes[start..end],
            "range {offset}+{limit} by {request}"
        );
        assert!(chunks.iter().all(|c| c.len() <= request));
    }
    let bad = client
        .iter_download(&sent)
        .request_size(3000)
        .try_collect::<Vec<_>>()
        .await;
    assert!(matches!(bad, Err(FileError::InvalidArgument(_))));

    // A reader shorter than announced.
    let short = client
        .upload_stream(std::io::Cursor::new(vec![1u8; 100]), 200, "short.bin")
        .await;
    assert!(
        matches!(
            short,
            Err(FileError::ShortRead {
                read: 100,
                expected: 200
            })
        ),
        "{short:?}"
    );
    // A text message has nothing to download.
    let text = client.send_message("me", "no media").await.unwrap();
    let none = client.download_media(&text, &mut Vec::new()).await;
    assert!(matches!(none, Err(FileError::NoMedia(_))));
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_documents_and_albums() {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "1006").await;
    let jpeg = data(40_000, 9);
    let photo = client.upload_bytes(jpeg.clone(), "cat.jpg").await.unwrap();
    let first = client
        .send_file(
            "me",
            InputMedia::auto(photo.clone())
                .caption(InputMessage::markdown("a **cat**").silent(true)),
        )
        .await
        .unwrap();
    assert_eq!(first.media_kind(), Some(MediaKind::Photo));
    assert_eq!(first.text(), "a cat");
    assert_eq!(first.entities().len(), 1);
    assert!(first.is_silent());
    let mut back = Vec::new();
    client.download_media(&first, &mut back).await.unwrap();
    assert!(back == jpeg);

    // The same upload again, and the sent photo again: no new upload, the same photo.
    let again = client
        .send_file(
            "me",
            InputMedia::auto(photo)
                .caption(InputMessage::html("<i>again</i>").reply_to(Some(first.id()))),
        )
        .await
        .unwrap();
    assert_eq!(again.reply_to_message_id(), Some(first.id()));
    let resent = client
        .send_file("me", InputMedia::existing(&first).unwrap())
        .await
        .unwrap();
    let photo_id = |m: &Message| match m.raw() {
        enums::Message::Message(m) => match &m.media {
            Some(enums::MessageMedia::Photo(p)) => match &p.photo {
                Some(enums::Photo::Photo(p)) => p.id,
                _ => 0,
            },
            _ => 0,
        },
        _ => 0,
    };
    assert_eq!(photo_id(&again), photo_id(&first));
    assert_eq!(photo_id(&resent), photo_id(&first));

    // A document with a guessed MIME type and caller-given attributes.
    let video = client
        .upload_bytes(data(9000, 1), "clip.mp4")
        .await
        .unwrap();
    let sent = client
        .send_file("me", InputMedia::auto(video).video(3.5, 640, 360, true))
        .await
        .unwrap();
    let enums::Document::Document(doc) = document(&sent) else {
        panic!()
    };
    assert_eq!(doc.mime_type, "video/mp4");
    assert!(doc.attributes.iter().any(|a| matches!(
        a,
        enums::DocumentAttribute::Video(v) if v.w == 640 && v.supports_streaming
    )));
    assert!(doc.attributes.iter().any(|a| matches!(
        a,
        enums::DocumentAttribute::Filename(f) if f.file_name == "clip.mp4"
    )));

    // An album of a photo, a document and the video sent before.
    let pic = client.upload_bytes(data(5000, 2), "a.png").await.unwrap();
    let notes = client
        .upload_bytes(b"notes".to_vec(), "notes.txt")
        .await
        .unwrap();
    let album = client
        .send_album(
            "me",
            vec![
                InputMedia::auto(pic).caption(InputMessage::markdown("**one**")),
                InputMedia::document(notes).caption("two"),
                InputMedia::existing(&sent).unwrap().caption("three"),
            ],
        )
        .await
        .unwrap();
    assert_eq!(album.len(), 3);
    assert_eq!(
        album.iter().map(Message::text).collect::<Vec<_>>(),
        ["one", "two", "three"]
    );
    let grouped: Vec<Option<i64>> = album
        .iter()
        .map(|m| match m.raw() {
            enums::Message::Message(m) => m.grouped_id,
            _ => None,
        })
        .collect();
    assert!(grouped[0].is_some() && grouped.iter().all(|g| *g == grouped[0]));
    let mut notes_back = Vec::new();
    client
        .download_media(&album[1], &mut notes_back)
        .await
        .unwrap();
    assert_eq!(notes_back, b"notes");
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_checks_md5_and_missing_parts() {
    use md5::Digest as _;
    use tgwire::tl::{functions, types};
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "1007").await;
    let send = |file: types::InputFile| {
        let client = client.clone();
        async move {
            let media = types::InputMediaUploadedDocument {
                nosound_video: false,
                force_file: true,
                spoiler: false,
                file: file.into(),
                thumb: None,
                mime_type: "application/octet-stream".into(),
                attributes: Vec::new(),
                stickers: None,
                video_cover: None,
                video_timestamp: None,
                ttl_seconds: None,
            };
            client.send_file("me", InputMedia::raw(media.into())).await
        }
    };
    // Right parts, wrong MD5.
    let mut all = Vec::new();
    for part in 0..2u8 {
        let bytes = vec![part; 1024];
        all.extend_from_slice(&bytes);
        client
            .invoke(&functions::upload::SaveFilePart {
                file_id: 11,
                file_part: i32::from(part),
                bytes: bytes.into(),
            })
            .await
            .unwrap();
    }
    let input = |md5_checksum: String| types::InputFile {
        id: 11,
        parts: 2,
        name: "x.bin".into(),
        md5_checksum: md5_checksum.into(),
    };
    let error = send(input("0".repeat(32))).await.unwrap_err();
    assert!(
        error.rpc().is_some_and(|e| e.is("MD5_CHECKSUM_INVALID")),
        "{error:?}"
    );
    // The same parts with their real MD5 go through.
    let digest: String = md5::Md5::digest(&all)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    send(input(digest)).await.expect("right MD5");
    // A declared part that never came.
    let missing = types::InputFile {
        id: 12,
        parts: 1,
        name: "y.bin".into(),
        md5_checksum: String::new().into(),
    };
    let error = send(missing).await.unwrap_err();
    assert!(
        error
            .rpc()
            .is_some_and(|e| e.is("FILE_PART_MISSING") && e.value == Some(0)),
        "{error:?}"
    );
    // A big file's part of a size that does not divide 512 KiB, refused on arrival.
    let error = client
        .invoke(&functions::upload::SaveBigFilePart {
            file_id: 13,
            file_part: 0,
            file_total_parts: 30,
            bytes: vec![0; 1000].into(),
        })
        .await
        .unwrap_err();
    assert!(error.is("FILE_PART_SIZE_INVALID"), "{error:?}");
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_file_references_are_fetched_again_midway() {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "1008").await;
    let bytes = data(3 * MIB + 999, 8);
    let file = client
        .upload_bytes(bytes.clone(), "aging.bin")
        .await
        .unwrap();
    let sent = client
        .send_file("me", InputMedia::document(file))
        .await
        .unwrap();
    let reference = |m: &Message| match document(m) {
        enums::Document::Document(d) => d.file_reference,
        enums::Document::Empty(_) => Vec::new().into(),
    };

    // After the first chunk every reference expires; the download fetches the message again
    // and goes on without losing or repeating a byte.
    let faults = server.faults().clone();
    let armed = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut back = Vec::new();
    client
        .download_media(&sent, &mut back)
        .request_size(256 * 1024)
        .parallelism(3)
        .progress(move |done, _| {
            if done > 0 && !armed.swap(true, Ordering::Relaxed) {
                faults.expire_file_references();
            }
        })
        .await
        .expect("downloads with a fresh reference");
    assert!(back == bytes);
    let again = client.get_messages("me", &[sent.id()]).await.unwrap();
    let fresh = again[0].as_ref().expect("the message");
    assert_ne!(
        reference(fresh),
        reference(&sent),
        "the references did expire"
    );

    // A bare location has no origin to refresh from: the error comes out, and a download to
    // a path leaves no file behind.
    server.faults().expire_file_references();
    let location = FileLocation::of_document(&document(fresh)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stale.bin");
    let error = client.download_file(location, &path).await.unwrap_err();
    assert!(
        error.rpc().is_some_and(|e| e.is("FILE_REFERENCE_EXPIRED")),
        "{error:?}"
    );
    assert!(!path.exists());
    client.disconnect().await;
}
