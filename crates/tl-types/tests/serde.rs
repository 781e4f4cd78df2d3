//! The `serde` feature on real objects: a message with media, entities and a reply, and an `Updates`
//! carrying it with its users and chats. Their JSON has the documented shape (`"_"` names the
//! constructor, absent options and unset flags are left out, bytes are base64), reads back to an equal
//! value, and that value encodes to the same TL bytes.

use tgwire_tl_types::{enums, types, Deserializable, Serializable};

#[path = "support/user.rs"]
mod support;

/// A message as a user would write it by hand: only the fields that are set.
const MESSAGE: &str = r#"{
    "_": "message",
    "out": true,
    "pinned": true,
    "id": 7,
    "from_id": { "_": "peerUser", "user_id": 1001 },
    "peer_id": { "_": "peerChannel", "channel_id": 2002 },
    "reply_to": { "_": "messageReplyHeader", "reply_to_msg_id": 6 },
    "date": 1700000000,
    "message": "Hello, **world** — ünïcode too",
    "media": {
        "_": "messageMediaPhoto",
        "photo": {
            "_": "photo",
            "id": -5,
            "access_hash": 9223372036854775807,
            "file_reference": "AAECAwQFBgcICQ==",
            "date": 1700000001,
            "sizes": [
                { "_": "photoSize", "type": "m", "w": 320, "h": 240, "size": 12800 },
                { "_": "photoStrippedSize", "type": "i", "bytes": "AQID" }
            ],
            "dc_id": 2
        }
    },
    "entities": [
        { "_": "messageEntityBold", "offset": 7, "length": 9 },
        { "_": "messageEntityTextUrl", "offset": 0, "length": 5, "url": "https://example.org" }
    ],
    "views": 10,
    "forwards": 2
}"#;

fn message() -> enums::Message {
    serde_json::from_str(MESSAGE).expect("the hand-written message reads")
}

#[test]
fn hand_written_json_reads_into_the_typed_message() {
    let enums::Message::Message(m) = message() else {
        panic!("not a `message`");
    };
    assert!(
        m.out && m.pinned && !m.silent,
        "flags read, missing ones false"
    );
    assert_eq!(m.id, 7);
    assert_eq!(m.from_id, Some(types::PeerUser { user_id: 1001 }.into()));
    assert_eq!(m.fwd_from, None, "missing options are None");
    assert_eq!(m.message, "Hello, **world** — ünïcode too");
    let Some(enums::MessageMedia::Photo(media)) = &m.media else {
        panic!("no photo: {:?}", m.media);
    };
    let Some(enums::Photo::Photo(photo)) = &media.photo else {
        panic!("no photo inside the media");
    };
    assert_eq!(photo.file_reference, (0..10).collect::<Vec<u8>>(), "base64");
    assert_eq!(photo.access_hash, i64::MAX, "64-bit integers exact");
    assert_eq!(
        photo.sizes[1],
        types::PhotoStrippedSize {
            r#type: "i".into(),
            bytes: vec![1, 2, 3].into(),
        }
        .into()
    );
    assert_eq!(m.entities.as_ref().map(Vec::len), Some(2));
}

#[test]
fn message_json_has_the_documented_shape_and_round_trips() {
    let original = message();
    let pretty = serde_json::to_string_pretty(&original).unwrap();
    // The constructor's TL name, base64 bytes, and nothing for unset flags or absent options.
    assert!(pretty.starts_with("{\n  \"_\": \"message\",\n"), "{pretty}");
    assert!(
        pretty.contains("\"file_reference\": \"AAECAwQFBgcICQ==\""),
        "{pretty}"
    );
    assert!(
        pretty.contains("\"_\": \"messageEntityTextUrl\""),
        "{pretty}"
    );
    assert!(pretty.contains("\"pinned\": true"), "{pretty}");
    for left_out in [
        "\"silent\"",
        "\"fwd_from\"",
        "\"reply_markup\"",
        "null",
        "false",
    ] {
        assert!(!pretty.contains(left_out), "{left_out} in {pretty}");
    }

    let back: enums::Message = serde_json::from_str(&pretty).unwrap();
    assert_eq!(back, original);
    // TL bytes -> value -> JSON -> value -> the same TL bytes.
    let bytes = original.to_bytes();
    let decoded = enums::Message::from_bytes(&bytes).unwrap();
    let again: enums::Message =
        serde_json::from_str(&serde_json::to_string(&decoded).unwrap()).unwrap();
    assert_eq!(again.to_bytes(), bytes);
}

#[test]
fn updates_round_trip_through_json() {
    let user: enums::User = types::User {
        contact: true,
        premium: true,
        access_hash: Some(-77),
        first_name: Some("Ada".into()),
        username: Some("ada".into()),
        ..support::online_user(1001, 3, vec![0xff; 5])
    }
    .into();
    let updates: enums::Updates = types::Updates {
        updates: vec![
            types::UpdateNewChannelMessage {
                message: message(),
                pts: 11,
                pts_count: 1,
            }
            .into(),
            types::UpdateUserTyping {
                user_id: 1001,
                top_msg_id: None,
                action: types::SendMessageTypingAction.into(),
            }
            .into(),
        ],
        users: vec![user],
        chats: vec![],
        date: 1_700_000_002,
        seq: 0,
    }
    .into();

    let bytes = updates.to_bytes();
    let decoded = enums::Updates::from_bytes(&bytes).unwrap();
    let json = serde_json::to_string_pretty(&decoded).unwrap();
    assert!(json.contains("\"_\": \"updates\""), "{json}");
    assert!(
        json.contains("\"_\": \"updateNewChannelMessage\""),
        "{json}"
    );
    assert!(
        json.contains("\"_\": \"sendMessageTypingAction\""),
        "{json}"
    );
    assert!(json.contains("\"stripped_thumb\": \"//////8=\""), "{json}");
    let back: enums::Updates = serde_json::from_str(&json).unwrap();
    assert_eq!(back, decoded);
    assert_eq!(back.to_bytes(), bytes);
}

#[test]
fn malformed_json_is_an_error_not_a_panic() {
    for bad in [
        r#"{ "_": "noSuchConstructor" }"#,
        r#"{ "_": "peerUser" }"#,
        r#"{ "_": "peerUser", "user_id": "x" }"#,
        r#"{ "user_id": 1 }"#,
        r#"{ "_": "photoStrippedSize", "type": "i", "bytes": "not base64!" }"#,
    ] {
        assert!(serde_json::from_str::<enums::Peer>(bad).is_err(), "{bad}");
    }
    assert!(serde_json::from_str::<enums::PhotoSize>(
        r#"{ "_": "photoStrippedSize", "type": "i", "bytes": "not base64!" }"#
    )
    .is_err());
}
