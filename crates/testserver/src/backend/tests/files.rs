//! Uploads and downloads: the 1 MiB round trip Telethon does, and the part/range rules.

use tgwire_tl_types::{enums, functions, types};

use super::requests::{get_file, send_media_to_self, sent_document, uploaded_document};
use super::*;

const PART: usize = 128 * 1024;

pub(super) fn upload(client: &Client, file_id: i64, data: &[u8], part_size: usize) -> i32 {
    let mut parts = 0;
    for (i, chunk) in data.chunks(part_size).enumerate() {
        assert!(client.ok(&functions::upload::SaveFilePart {
            file_id,
            file_part: i32::try_from(i).unwrap(),
            bytes: chunk.to_vec().into(),
        }));
        parts += 1;
    }
    parts
}

pub(super) fn send_document(
    client: &Client,
    file_id: i64,
    parts: i32,
) -> Result<enums::Updates, Failure> {
    client.call(&send_media_to_self(
        uploaded_document(file_id, parts),
        "the blob",
        rand::random(),
    ))
}

pub(super) fn document_of(updates: &enums::Updates) -> types::Document {
    sent_document(inner_updates(updates)).expect("a document message")
}

#[test]
fn one_mebibyte_round_trip() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996621234");
    let data: Vec<u8> = (0..1024 * 1024u32)
        .map(|i| (i * 7 + i / 4096) as u8)
        .collect();
    let parts = upload(&client, 99, &data, PART);
    assert_eq!(parts, 8);
    let answer = send_document(&client, 99, parts).unwrap();
    // The answer maps the random id to the new message.
    assert!(inner_updates(&answer)
        .iter()
        .any(|u| matches!(u, enums::Update::MessageId(m) if m.id == 1)));
    let doc = document_of(&answer);
    assert_eq!(doc.size, 1024 * 1024);
    assert_eq!(doc.dc_id, 2);
    assert!(doc
        .attributes
        .iter()
        .any(|a| matches!(a, enums::DocumentAttribute::Filename(f) if f.file_name == "blob.bin")));

    // Downloading the way Telethon does: fixed-size chunks until a short one.
    let mut downloaded = Vec::new();
    let mut offset = 0;
    loop {
        let enums::upload::File::File(chunk) = client.ok(&get_file(&doc, offset, PART as i32))
        else {
            panic!()
        };
        downloaded.extend_from_slice(&chunk.bytes);
        if chunk.bytes.len() < PART {
            break;
        }
        offset += PART as i64;
    }
    assert_eq!(downloaded, data);

    // The upload was consumed; the document can be sent again by reference.
    assert_eq!(
        send_document(&client, 99, parts).unwrap_err(),
        err(400, "FILE_PART_0_MISSING")
    );
}

#[test]
fn download_ranges_and_locations_are_checked() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996621234");
    let data = vec![1u8; 10_000];
    let parts = upload(&client, 5, &data, 4096);
    let doc = document_of(&send_document(&client, 5, parts).unwrap());
    assert_eq!(
        client.call(&get_file(&doc, 1000, 4096)).unwrap_err(),
        err(400, "OFFSET_INVALID")
    );
    assert_eq!(
        client.call(&get_file(&doc, 0, 5000)).unwrap_err(),
        err(400, "LIMIT_INVALID")
    );
    assert_eq!(
        client.call(&get_file(&doc, 0, 2 << 20)).unwrap_err(),
        err(400, "LIMIT_INVALID")
    );
    // Past the end: empty.
    let enums::upload::File::File(tail) = client.ok(&get_file(&doc, 16_384, 4096)) else {
        panic!()
    };
    assert!(tail.bytes.is_empty());
    let enums::upload::File::File(partial) = client.ok(&get_file(&doc, 8192, 4096)) else {
        panic!()
    };
    assert_eq!(partial.bytes.len(), 10_000 - 8192);

    let mut forged = doc.clone();
    forged.access_hash ^= 1;
    assert_eq!(
        client.call(&get_file(&forged, 0, 4096)).unwrap_err(),
        err(400, "FILE_ID_INVALID")
    );
    let mut stale = doc.clone();
    stale.file_reference = vec![0; 8].into();
    assert_eq!(
        client.call(&get_file(&stale, 0, 4096)).unwrap_err(),
        err(400, "FILE_REFERENCE_EXPIRED")
    );
    // Files are served by the DC they were uploaded to.
    let elsewhere = Client::connect(&b, 1);
    b.authorize_key(elsewhere.ctx.auth_key_id, client.me().id)
        .unwrap();
    assert_eq!(
        elsewhere.call(&get_file(&doc, 0, 4096)).unwrap_err(),
        err(303, "FILE_MIGRATE_2")
    );
}

#[test]
fn bad_uploads_are_refused() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996621234");
    let part = |file_part, bytes: Vec<u8>| functions::upload::SaveFilePart {
        file_id: 1,
        file_part,
        bytes: bytes.into(),
    };
    assert_eq!(
        client.call(&part(-1, vec![0; 1024])).unwrap_err(),
        err(400, "FILE_PART_INVALID")
    );
    assert_eq!(
        client.call(&part(0, Vec::new())).unwrap_err(),
        err(400, "FILE_PART_EMPTY")
    );
    assert_eq!(
        client.call(&part(0, vec![0; 512 * 1024 + 1])).unwrap_err(),
        err(400, "FILE_PART_TOO_BIG")
    );

    // A hole in the parts.
    for i in [0, 1, 3] {
        client.ok(&part(i, vec![0; 4096]));
    }
    assert_eq!(
        send_document(&client, 1, 4).unwrap_err(),
        err(400, "FILE_PART_2_MISSING")
    );
    // More parts stored than declared.
    assert_eq!(
        send_document(&client, 1, 2).unwrap_err(),
        err(400, "FILE_PARTS_INVALID")
    );

    // Parts of changing size, and a part size that does not divide 512 KiB.
    let uneven = |file_id, sizes: &[usize]| {
        for (i, &size) in sizes.iter().enumerate() {
            client.ok(&functions::upload::SaveFilePart {
                file_id,
                file_part: i as i32,
                bytes: vec![0; size].into(),
            });
        }
        send_document(&client, file_id, sizes.len() as i32).unwrap_err()
    };
    assert_eq!(
        uneven(2, &[4096, 8192, 10]),
        err(400, "FILE_PART_SIZE_CHANGED")
    );
    assert_eq!(
        uneven(3, &[3072, 3072, 10]),
        err(400, "FILE_PART_SIZE_INVALID")
    );
    assert_eq!(
        uneven(4, &[4096, 4096, 8192]),
        err(400, "FILE_PART_SIZE_CHANGED")
    );

    // Big files must declare the same total in every part and in the InputFileBig.
    client.ok(&functions::upload::SaveBigFilePart {
        file_id: 8,
        file_part: 0,
        file_total_parts: 2,
        bytes: vec![0; 4096].into(),
    });
    assert_eq!(
        client
            .call(&functions::upload::SaveBigFilePart {
                file_id: 8,
                file_part: 2,
                file_total_parts: 2,
                bytes: vec![0; 4096].into(),
            })
            .unwrap_err(),
        err(400, "FILE_PARTS_INVALID")
    );
}

#[test]
fn albums_share_a_group_and_photos_download_too() {
    let b = backend();
    let client = Client::connect(&b, 2);
    client.sign_in("9996621234");
    upload(&client, 1, &[1; 5000], 4096);
    upload(&client, 2, &[2; 3000], 4096);
    let photo = types::InputMediaUploadedPhoto {
        spoiler: false,
        live_photo: false,
        file: types::InputFile {
            id: 2,
            parts: 1,
            name: "p.jpg".into(),
            md5_checksum: String::new().into(),
        }
        .into(),
        stickers: None,
        ttl_seconds: None,
        video: None,
    };
    let single = |media: enums::InputMedia, random_id| -> enums::InputSingleMedia {
        types::InputSingleMedia {
            media,
            random_id,
            message: "album".into(),
            entities: None,
        }
        .into()
    };
    let answer = client.ok(&functions::messages::SendMultiMedia {
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: enums::InputPeer::InputPeerSelf,
        reply_to: None,
        multi_media: vec![single(uploaded_document(1, 2), 1), single(photo.into(), 2)],
        schedule_date: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
    });
    let messages: Vec<types::Message> = inner_updates(&answer)
        .into_iter()
        .filter_map(|u| match u {
            enums::Update::NewMessage(u) => match u.message {
                enums::Message::Message(m) => Some(m),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 2);
    assert!(messages[0].grouped_id.is_some());
    assert_eq!(messages[0].grouped_id, messages[1].grouped_id);
    let Some(enums::MessageMedia::Photo(media)) = &messages[1].media else {
        panic!()
    };
    let Some(enums::Photo::Photo(photo)) = &media.photo else {
        panic!()
    };
    let enums::upload::File::File(file) = client.ok(&functions::upload::GetFile {
        precise: false,
        cdn_supported: false,
        location: types::InputPhotoFileLocation {
            id: photo.id,
            access_hash: photo.access_hash,
            file_reference: photo.file_reference.clone(),
            thumb_size: "y".into(),
        }
        .into(),
        offset: 0,
        limit: 4096,
    }) else {
        panic!()
    };
    assert_eq!(file.bytes, vec![2; 3000]);
}
