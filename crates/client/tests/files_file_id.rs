//! Bot API file ids against two independent implementations from PyPI (in the venv
//! `.ci/python-venv.sh` makes): kurigram's `pyrogram.file_id` for the current format (with file
//! references) and Telethon 1.45's `resolve_bot_file_id`/`pack_bot_file_id` for the old one.
//! Ids of real media of the test server go both ways, and ids the other side packed are used
//! to download and to send again.
//!
//! No network for pip is a failure, not a skip, as in the other Python interop tests.

mod common;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tgwire::tl::{enums, types};
use tgwire::{FileId, FileIdLocation, FileType, InputMedia, Message, PhotoSource};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn data(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

fn document(message: &Message) -> types::Document {
    let enums::Message::Message(m) = message.raw() else {
        panic!("not a message")
    };
    match &m.media {
        Some(enums::MessageMedia::Document(d)) => match d.document.clone() {
            Some(enums::Document::Document(doc)) => *doc,
            other => panic!("no document: {other:?}"),
        },
        other => panic!("not a document: {other:?}"),
    }
}

fn photo(message: &Message) -> types::Photo {
    let enums::Message::Message(m) = message.raw() else {
        panic!("not a message")
    };
    match &m.media {
        Some(enums::MessageMedia::Photo(p)) => match p.photo.clone() {
            Some(enums::Photo::Photo(photo)) => *photo,
            other => panic!("no photo: {other:?}"),
        },
        other => panic!("not a photo: {other:?}"),
    }
}

/// Asserts that kurigram read photo-like `id` (its answer `theirs`) as tgwire does: photo,
/// hash, the old layout's volume and local id, and every field of the size's source.
fn assert_photo_read_alike(theirs: &Value, id: &FileId, name: &str) {
    let FileIdLocation::Photo {
        id: photo_id,
        access_hash,
        volume,
        source,
    } = id.location_kind()
    else {
        panic!("{name}: not a photo: {id:?}")
    };
    assert_eq!(theirs["media_id"], *photo_id, "{name}");
    assert_eq!(theirs["access_hash"], *access_hash, "{name}");
    if let Some((volume_id, local_id)) = volume {
        assert_eq!(theirs["volume_id"], *volume_id, "{name}");
        assert_eq!(theirs["local_id"], *local_id, "{name}");
    }
    match source {
        PhotoSource::Thumbnail {
            file_type,
            thumb_type,
        } => {
            assert_eq!(theirs["thumbnail_source"], 1, "{name}");
            assert_eq!(theirs["thumbnail_file_type"], *file_type as i32, "{name}");
            let letter = char::from_u32(*thumb_type as u32).unwrap().to_string();
            assert_eq!(theirs["thumbnail_size"], letter, "{name}");
        }
        PhotoSource::ChatPhotoBig {
            chat_id,
            access_hash,
        }
        | PhotoSource::ChatPhotoSmall {
            chat_id,
            access_hash,
        } => {
            let big = matches!(source, PhotoSource::ChatPhotoBig { .. });
            assert_eq!(
                theirs["thumbnail_source"],
                if big { 3 } else { 2 },
                "{name}"
            );
            assert_eq!(theirs["chat_id"], *chat_id, "{name}");
            assert_eq!(theirs["chat_access_hash"], *access_hash, "{name}");
        }
        PhotoSource::StickerSetThumbnailVersion {
            set_id, version, ..
        } => {
            assert_eq!(theirs["thumbnail_source"], 9, "{name}");
            assert_eq!(theirs["sticker_set_id"], *set_id, "{name}");
            assert_eq!(theirs["sticker_set_version"], *version, "{name}");
        }
        PhotoSource::FullLegacy {
            volume_id,
            secret,
            local_id,
        } => {
            assert_eq!(theirs["thumbnail_source"], 5, "{name}");
            assert_eq!(theirs["volume_id"], *volume_id, "{name}");
            assert_eq!(theirs["secret"], *secret, "{name}");
            assert_eq!(theirs["local_id"], *local_id, "{name}");
        }
        other => panic!("{name}: {other:?}"),
    }
}

/// Gives an uploaded document its kind's attributes.
type Dress = fn(InputMedia) -> InputMedia;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_ids_agree_with_kurigram_and_telethon_both_ways() {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "4242").await;

    // Real media of every document kind, and a photo.
    let kinds: [(&str, FileType, Dress); 6] = [
        ("document", FileType::Document, |m| m),
        ("voice", FileType::Voice, |m| m.voice(3)),
        ("audio", FileType::Audio, |m| m.audio(60, None, None)),
        ("video", FileType::Video, |m| m.video(2.0, 64, 48, true)),
        ("sticker", FileType::Sticker, |m| m.sticker("🙂")),
        ("animation", FileType::Animation, |m| {
            m.attribute(enums::DocumentAttribute::Animated)
        }),
    ];
    let mut sent = Vec::new();
    for (i, (name, kind, dress)) in kinds.iter().enumerate() {
        let bytes = data(5000 + i * 777, i as u8);
        let file = client
            .upload_bytes(bytes.clone(), format!("{name}.bin"))
            .await
            .unwrap();
        let message = client
            .send_file("me", dress(InputMedia::document(file)))
            .await
            .unwrap();
        let id = FileId::of_message(&message).expect("a document has a file id");
        assert_eq!(id.file_type(), *kind, "{name}");
        sent.push((name.to_string(), message, id, bytes));
    }
    let jpeg = data(3000, 99);
    let file = client.upload_bytes(jpeg.clone(), "p.jpg").await.unwrap();
    let photo_message = client
        .send_file("me", InputMedia::photo(file))
        .await
        .unwrap();
    let photo_id = FileId::of_message(&photo_message).expect("a photo has a file id");
    assert_eq!(photo_id.file_type(), FileType::Photo);
    let raw_photo = photo(&photo_message);

    // tgwire packs, the others read.
    let me = client.get_me().await.unwrap();
    let mut ours: Vec<(String, FileId)> = sent
        .iter()
        .map(|(name, _, id, _)| (name.clone(), id.clone()))
        .collect();
    ours.push(("photo".into(), photo_id.clone()));
    ours.push((
        "profile_big".into(),
        FileId::profile_photo(2, 0x0123_4567_89ab, me.id(), 777, true),
    ));
    ours.push((
        "profile_small_channel".into(),
        FileId::profile_photo(4, 55, -1_000_000_000_042, -9, false),
    ));
    ours.push((
        "set_thumb".into(),
        FileId::photo(
            FileType::Thumbnail,
            1,
            0,
            0,
            vec![],
            PhotoSource::StickerSetThumbnailVersion {
                set_id: 31_337,
                access_hash: -5,
                version: 12,
            },
        ),
    ));
    ours.push((
        "legacy_photo".into(),
        FileId::photo(
            FileType::Photo,
            3,
            9_876,
            -1,
            vec![],
            PhotoSource::FullLegacy {
                volume_id: 200_000_000_123,
                secret: 0x7777,
                local_id: 4567,
            },
        ),
    ));
    let decode: Vec<Value> = ours
        .iter()
        .map(|(name, id)| {
            json!({
                "name": name,
                "file_id": id.pack(),
                "unique_id": id.unique_id(),
                "old_id": id.pack_old().ok(),
            })
        })
        .collect();

    // The others pack, tgwire reads: the same documents and photo from their raw fields.
    let mut encode: Vec<Value> = sent
        .iter()
        .map(|(name, message, id, _)| {
            let doc = document(message);
            json!({
                "name": name, "kind": "document", "file_type": id.file_type() as i32,
                "dc_id": doc.dc_id, "id": doc.id, "access_hash": doc.access_hash,
                "file_reference": hex(&doc.file_reference),
            })
        })
        .collect();
    let largest = match FileId::of_photo(&enums::Photo::Photo(Box::new(raw_photo.clone())), None)
        .unwrap()
        .location_kind()
    {
        FileIdLocation::Photo {
            source: PhotoSource::Thumbnail { thumb_type, .. },
            ..
        } => char::from_u32(*thumb_type as u32).unwrap().to_string(),
        other => panic!("{other:?}"),
    };
    for minor in [30, 54] {
        encode.push(json!({
            "name": format!("photo_{minor}"), "kind": "photo", "dc_id": raw_photo.dc_id,
            "id": raw_photo.id, "access_hash": raw_photo.access_hash,
            "file_reference": hex(&raw_photo.file_reference), "thumb": largest, "minor": minor,
        }));
    }
    encode.push(json!({
        "name": "profile", "kind": "profile", "dc_id": 2, "id": 0x0123_4567_89ab_i64,
        "chat_id": me.id(), "chat_access_hash": 777, "big": true, "minor": 54,
    }));
    encode.push(json!({
        "name": "legacy_photo", "kind": "legacy_photo", "dc_id": 3, "id": 9876,
        "access_hash": -1, "volume_id": 200_000_000_123_i64, "local_id": 4567, "secret": 0x7777,
        "minor": 54,
    }));

    let request = json!({"decode": decode, "encode": encode}).to_string();
    let answer = common::telethon::run_with_input("file_ids.py", request.into_bytes()).await;

    // 1. What kurigram and Telethon read from tgwire's ids.
    let decoded = answer["decoded"].as_array().unwrap();
    assert_eq!(decoded.len(), ours.len());
    for ((name, id), theirs) in ours.iter().zip(decoded) {
        assert_eq!(theirs["name"], *name);
        assert_eq!(theirs["major"], 4, "{name}");
        assert_eq!(theirs["minor"], 54, "{name}");
        assert_eq!(theirs["file_type"], id.file_type() as i32, "{name}");
        assert_eq!(theirs["dc_id"], id.dc_id(), "{name}");
        assert_eq!(theirs["file_reference"], hex(id.file_reference()), "{name}");
        match id.location_kind() {
            FileIdLocation::Document {
                id: doc_id,
                access_hash,
            } => {
                assert_eq!(theirs["media_id"], *doc_id, "{name}");
                assert_eq!(theirs["access_hash"], *access_hash, "{name}");
                // Unique ids of documents: kind 2 and the id, for kurigram too.
                assert_eq!(theirs["unique"]["type"], 2, "{name}");
                assert_eq!(theirs["unique"]["media_id"], *doc_id, "{name}");
                // Telethon's old format: same document, same Bot API type.
                let telethon = &theirs["telethon"];
                assert_eq!(telethon["class"], "Document", "{name}");
                assert_eq!(telethon["id"], *doc_id, "{name}");
                assert_eq!(telethon["access_hash"], *access_hash, "{name}");
                assert_eq!(telethon["dc_id"], id.dc_id(), "{name}");
                assert_eq!(telethon["file_type"], id.file_type() as i32, "{name}");
            }
            FileIdLocation::Photo {
                id: photo_id,
                source,
                ..
            } => {
                assert_photo_read_alike(theirs, id, name);
                let telethon = &theirs["telethon"];
                match source {
                    PhotoSource::Thumbnail { .. } => {
                        assert_eq!(telethon["class"], "Photo", "{name}");
                        assert_eq!(telethon["id"], *photo_id, "{name}");
                        assert_eq!(telethon["dc_id"], id.dc_id(), "{name}");
                    }
                    PhotoSource::FullLegacy {
                        volume_id,
                        local_id,
                        ..
                    } => {
                        // Legacy photos' unique ids are (volume, local id) for kurigram too.
                        assert_eq!(theirs["unique"]["type"], 1, "{name}");
                        assert_eq!(theirs["unique"]["volume_id"], *volume_id, "{name}");
                        assert_eq!(theirs["unique"]["local_id"], *local_id, "{name}");
                        assert_eq!(telethon["class"], "Photo", "{name}");
                        assert_eq!(telethon["id"], *photo_id, "{name}");
                    }
                    _ => {}
                }
            }
            other => panic!("{other:?}"),
        }
    }

    // 2. tgwire reads what kurigram and Telethon packed.
    let encoded = answer["encoded"].as_array().unwrap();
    for (name, message, id, bytes) in &sent {
        let theirs = encoded.iter().find(|e| e["name"] == *name).unwrap();
        let read = FileId::unpack(theirs["file_id"].as_str().unwrap()).expect(name);
        assert_eq!(read.file_type(), id.file_type(), "{name}");
        assert_eq!(read.dc_id(), id.dc_id(), "{name}");
        assert_eq!(read.file_reference(), id.file_reference(), "{name}");
        assert_eq!(read.location_kind(), id.location_kind(), "{name}");
        // Same unique id, whoever packed it.
        assert_eq!(theirs["unique_id"], id.unique_id(), "{name}");
        // Telethon's old id: the very same string as ours, and it reads back.
        let old = theirs["old_id"].as_str().unwrap();
        assert_eq!(old, id.pack_old().unwrap(), "{name}");
        let old = FileId::unpack(old).unwrap();
        assert_eq!(old.version(), (2, 0));
        assert_eq!(old.location_kind(), id.location_kind(), "{name}");
        assert_eq!(old.file_type(), id.file_type(), "{name}");

        // Download by the id kurigram packed, byte for byte.
        let mut back = Vec::new();
        client
            .download_file(read.location().unwrap(), &mut back)
            .await
            .expect(name);
        assert_eq!(Sha256::digest(&back), Sha256::digest(bytes), "{name}");

        // Send it again by that id: the same document, no upload.
        let again = client
            .send_file("me", read.to_input_media().unwrap())
            .await
            .expect(name);
        assert_eq!(document(&again).id, document(message).id, "{name}");
    }

    // Photos kurigram packed, in the old (30) and current (54) sub-versions.
    let mut expected = Vec::new();
    client
        .download_media(&photo_message, &mut expected)
        .await
        .unwrap();
    assert!(!expected.is_empty());
    for minor in [30, 54] {
        let theirs = encoded
            .iter()
            .find(|e| e["name"] == format!("photo_{minor}"))
            .unwrap();
        let read = FileId::unpack(theirs["file_id"].as_str().unwrap()).unwrap();
        assert_eq!(read.version(), (4, minor as u8));
        assert_eq!(read.file_type(), FileType::Photo);
        let FileIdLocation::Photo { id, source, .. } = read.location_kind() else {
            panic!("{read:?}")
        };
        assert_eq!(*id, raw_photo.id);
        assert!(matches!(source, PhotoSource::Thumbnail { .. }));
        let mut back = Vec::new();
        client
            .download_file(read.location().unwrap(), &mut back)
            .await
            .unwrap();
        assert_eq!(back, expected, "photo packed with sub-version {minor}");
        // Its repacking is byte-identical (the layout of both sub-versions is kept).
        assert_eq!(read.pack(), theirs["file_id"].as_str().unwrap());
        let again = client
            .send_file("me", read.to_input_media().unwrap())
            .await
            .unwrap();
        assert_eq!(photo(&again).id, raw_photo.id);
    }
    let profile = encoded.iter().find(|e| e["name"] == "profile").unwrap();
    let read = FileId::unpack(profile["file_id"].as_str().unwrap()).unwrap();
    assert_eq!(
        read,
        FileId::profile_photo(2, 0x0123_4567_89ab, me.id(), 777, true)
    );
    assert_eq!(read.pack(), profile["file_id"].as_str().unwrap());
    let legacy = encoded
        .iter()
        .find(|e| e["name"] == "legacy_photo")
        .unwrap();
    let read = FileId::unpack(legacy["file_id"].as_str().unwrap()).unwrap();
    let (_, ours_legacy) = ours.iter().find(|(n, _)| n == "legacy_photo").unwrap();
    assert_eq!(&read, ours_legacy);
    assert_eq!(legacy["unique_id"], ours_legacy.unique_id());
    client.disconnect().await;
}

/// `file_id`/`file_unique_id` pairs the Bot API handed out (`testdata/`).
fn bot_api_pairs() -> Vec<(&'static str, &'static str)> {
    include_str!("../testdata/bot_api_file_ids.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            (words.next().unwrap(), words.next().unwrap())
        })
        .collect()
}

#[test]
fn photo_unique_ids_match_the_bot_apis() {
    let pairs = bot_api_pairs();
    assert_eq!(pairs.len(), 15);
    for (file_id, unique) in pairs.iter().copied() {
        let id = FileId::unpack(file_id).unwrap_or_else(|e| panic!("{file_id}: {e}"));
        assert_eq!(id.unique_id(), unique, "{file_id} ({id:?})");
        // Every layout (sub-versions 30 to 54) packs back byte for byte.
        assert_eq!(id.pack(), file_id);
    }
    // The video's thumbnail is a document thumbnail, downloaded as one.
    let thumb = FileId::unpack(pairs[8].0).unwrap();
    assert_eq!(thumb.file_type(), FileType::Thumbnail);
    assert!(matches!(
        thumb.location().unwrap().raw(),
        enums::InputFileLocation::InputDocumentFileLocation(l) if l.thumb_size == "m"
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn real_bot_api_ids_read_the_same_in_kurigram_and_give_the_bot_apis_unique_ids() {
    let pairs = bot_api_pairs();
    let decode: Vec<Value> = pairs
        .iter()
        .enumerate()
        .map(|(i, (file_id, unique_id))| {
            json!({"name": format!("bot_api_{i}"), "file_id": file_id, "unique_id": unique_id})
        })
        .collect();
    let request = json!({"decode": decode, "encode": []}).to_string();
    let answer = common::telethon::run_with_input("file_ids.py", request.into_bytes()).await;
    let decoded = answer["decoded"].as_array().unwrap();
    assert_eq!(decoded.len(), pairs.len());
    for ((file_id, unique_id), theirs) in pairs.iter().zip(decoded) {
        let ours = FileId::unpack(file_id).unwrap();
        // The Bot API's own unique id, from the file id alone.
        assert_eq!(ours.unique_id(), *unique_id, "{file_id}");
        // kurigram reads the same fields.
        assert_eq!(theirs["major"], ours.version().0, "{file_id}");
        assert_eq!(theirs["minor"], ours.version().1, "{file_id}");
        assert_eq!(theirs["file_type"], ours.file_type() as i32, "{file_id}");
        assert_eq!(theirs["dc_id"], ours.dc_id(), "{file_id}");
        assert_eq!(
            theirs["file_reference"],
            hex(ours.file_reference()),
            "{file_id}"
        );
        assert_photo_read_alike(theirs, &ours, file_id);
        if let FileIdLocation::Photo {
            volume: Some((volume_id, local_id)),
            ..
        } = ours.location_kind()
        {
            // kurigram reads these (volume, local id) unique ids too.
            assert_eq!(theirs["unique"]["volume_id"], *volume_id, "{file_id}");
            assert_eq!(theirs["unique"]["local_id"], *local_id, "{file_id}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_types_from_18_on_agree_with_pyrotgfork() {
    use FileType::*;
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "4243").await;
    let bytes = data(7000, 18);
    let file = client
        .upload_bytes(bytes.clone(), "story.bin")
        .await
        .unwrap();
    let message = client
        .send_file("me", InputMedia::document(file))
        .await
        .unwrap();
    let doc = document(&message);

    // TDLib's newer types of the document class: the same id, hash and reference as any
    // document, typed.
    let newer: [(&str, FileType); 8] = [
        ("RINGTONE", Ringtone),
        ("CALL_LOG", CallLog),
        ("VIDEO_STORY", VideoStory),
        ("SELF_DESTRUCTING_VIDEO", SelfDestructingVideo),
        ("SELF_DESTRUCTING_VIDEO_NOTE", SelfDestructingVideoNote),
        ("SELF_DESTRUCTING_VOICE_NOTE", SelfDestructingVoiceNote),
        ("LIVE_PHOTO", LivePhoto),
        ("SELF_DESTRUCTING_LIVE_PHOTO", SelfDestructingLivePhoto),
    ];
    let ours: Vec<FileId> = newer
        .iter()
        .map(|(_, t)| {
            FileId::document(
                *t,
                doc.dc_id,
                doc.id,
                doc.access_hash,
                doc.file_reference.to_vec(),
            )
        })
        .collect();
    let decode: Vec<Value> = newer
        .iter()
        .zip(&ours)
        .map(|((name, _), id)| json!({"name": name, "file_id": id.pack()}))
        .collect();
    let encode: Vec<Value> = newer
        .iter()
        .map(|(name, t)| {
            json!({
                "name": name, "file_type": *t as i32, "dc_id": doc.dc_id, "id": doc.id,
                "access_hash": doc.access_hash, "file_reference": hex(&doc.file_reference),
            })
        })
        .collect();
    let request = json!({"decode": decode, "encode": encode}).to_string();
    let answer = common::telethon::run_with_input("file_types.py", request.into_bytes()).await;

    // The numbers: pyrotgfork's enum names the same types 18-27, and ends (SIZE) where ours
    // does.
    let types = &answer["types"];
    for (name, t) in newer.iter().copied().chain([
        ("PHOTO_STORY", PhotoStory),
        ("SELF_DESTRUCTING_PHOTO", SelfDestructingPhoto),
    ]) {
        assert_eq!(types[name], t as i32, "{name}");
    }
    assert_eq!(types["SIZE"], 28);
    assert!(PhotoStory.is_photo_like() && SelfDestructingPhoto.is_photo_like());

    // What pyrotgfork reads from ours.
    let decoded = answer["decoded"].as_array().unwrap();
    for (((name, t), id), theirs) in newer.iter().zip(&ours).zip(decoded) {
        assert_eq!(theirs["name"], *name);
        assert_eq!(theirs["file_type"], *t as i32, "{name}");
        assert_eq!(theirs["dc_id"], doc.dc_id, "{name}");
        assert_eq!(theirs["media_id"], doc.id, "{name}");
        assert_eq!(theirs["access_hash"], doc.access_hash, "{name}");
        assert_eq!(theirs["file_reference"], hex(&doc.file_reference), "{name}");
        // A document's unique id whatever its type.
        assert_eq!(
            id.unique_id(),
            FileId::of_document(&enums::Document::Document(Box::new(doc.clone())))
                .unwrap()
                .unique_id()
        );
    }
    // What tgwire reads from pyrotgfork's, and downloads by it.
    let encoded = answer["encoded"].as_array().unwrap();
    for (((name, t), id), theirs) in newer.iter().zip(&ours).zip(encoded) {
        let read = FileId::unpack(theirs["file_id"].as_str().unwrap()).expect(name);
        assert_eq!(read.file_type(), *t, "{name}");
        assert_eq!(read.dc_id(), id.dc_id(), "{name}");
        assert_eq!(read.file_reference(), id.file_reference(), "{name}");
        assert_eq!(read.location_kind(), id.location_kind(), "{name}");
        assert_eq!(read.unique_id(), id.unique_id(), "{name}");
        let mut back = Vec::new();
        client
            .download_file(read.location().unwrap(), &mut back)
            .await
            .expect(name);
        assert_eq!(back, bytes, "{name}");
    }

    // A story's photo and a disappearing photo: photo sizes, downloaded as such.
    let jpeg = client
        .upload_bytes(data(4000, 20), "story.jpg")
        .await
        .unwrap();
    let sent = client
        .send_file("me", InputMedia::photo(jpeg))
        .await
        .unwrap();
    let mut expected = Vec::new();
    client.download_media(&sent, &mut expected).await.unwrap();
    let largest = FileId::of_message(&sent).unwrap();
    let FileIdLocation::Photo {
        id,
        access_hash,
        source: PhotoSource::Thumbnail { thumb_type, .. },
        ..
    } = largest.location_kind().clone()
    else {
        panic!("{largest:?}")
    };
    let raw = photo(&sent);
    for t in [PhotoStory, SelfDestructingPhoto] {
        let story = FileId::photo(
            t,
            raw.dc_id,
            id,
            access_hash,
            raw.file_reference.to_vec(),
            PhotoSource::Thumbnail {
                file_type: t,
                thumb_type,
            },
        );
        let read = FileId::unpack(&story.pack()).unwrap();
        assert_eq!(read, story);
        assert_eq!(read.unique_id(), largest.unique_id(), "{t:?}");
        let mut back = Vec::new();
        client
            .download_file(read.location().unwrap(), &mut back)
            .await
            .unwrap();
        assert_eq!(back, expected, "{t:?}");
    }
    client.disconnect().await;
}
