//! TL requests, and one answer reader, built alike by the backend's unit tests and the
//! `backend` bench. The bench includes this file by path (`benches/backend.rs`), so it uses
//! nothing but tgwire-tl-types.

use tgwire_tl_types::{enums, functions, types};

/// `messages.sendMessage` of plain `text` to `peer`.
pub(crate) fn send_message(
    peer: enums::InputPeer,
    text: &str,
    random_id: i64,
) -> functions::messages::SendMessage {
    functions::messages::SendMessage {
        no_webpage: false,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer,
        reply_to: None,
        message: text.into(),
        random_id,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    }
}

/// The uploaded file `file_id` of `parts` parts, as a plain document `blob.bin`.
pub(crate) fn uploaded_document(file_id: i64, parts: i32) -> enums::InputMedia {
    types::InputMediaUploadedDocument {
        nosound_video: false,
        force_file: true,
        spoiler: false,
        file: types::InputFile {
            id: file_id,
            parts,
            name: "blob.bin".into(),
            md5_checksum: "".into(),
        }
        .into(),
        thumb: None,
        mime_type: "application/octet-stream".into(),
        attributes: Vec::new(),
        stickers: None,
        video_cover: None,
        video_timestamp: None,
        ttl_seconds: None,
    }
    .into()
}

/// `messages.sendMedia` of `media` captioned `caption` to Saved Messages.
pub(crate) fn send_media_to_self(
    media: enums::InputMedia,
    caption: &str,
    random_id: i64,
) -> functions::messages::SendMedia {
    functions::messages::SendMedia {
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: enums::InputPeer::InputPeerSelf,
        reply_to: None,
        media,
        message: caption.into(),
        random_id,
        reply_markup: None,
        entities: None,
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
    }
}

/// `messages.getHistory` of `peer`: `limit` messages from `offset_id` (shifted by
/// `add_offset`).
pub(crate) fn get_history(
    peer: enums::InputPeer,
    offset_id: i32,
    add_offset: i32,
    limit: i32,
) -> functions::messages::GetHistory {
    functions::messages::GetHistory {
        peer,
        offset_id,
        offset_date: 0,
        add_offset,
        limit,
        max_id: 0,
        min_id: 0,
        hash: 0,
    }
}

/// `upload.getFile` of `limit` bytes of `doc` from `offset`.
pub(crate) fn get_file(
    doc: &types::Document,
    offset: i64,
    limit: i32,
) -> functions::upload::GetFile {
    functions::upload::GetFile {
        precise: false,
        cdn_supported: false,
        location: types::InputDocumentFileLocation {
            id: doc.id,
            access_hash: doc.access_hash,
            file_reference: doc.file_reference.clone(),
            thumb_size: "".into(),
        }
        .into(),
        offset,
        limit,
    }
}

/// The document of the first new message among `updates` that carries one.
pub(crate) fn sent_document(updates: Vec<enums::Update>) -> Option<types::Document> {
    updates.into_iter().find_map(|u| match u {
        enums::Update::NewMessage(u) => match u.message {
            enums::Message::Message(m) => match m.media {
                Some(enums::MessageMedia::Document(d)) => match d.document {
                    Some(enums::Document::Document(doc)) => Some(*doc),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        },
        _ => None,
    })
}
