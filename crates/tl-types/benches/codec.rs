//! Serialisation and deserialisation throughput of typical large answers:
//! a `messages.messages` page (100 messages with entities, reply headers and photos, 50 users) and a
//! 512 KiB `upload.file` chunk.
//!
//! Run: `cargo bench -p tgwire-tl-types -- --warm-up-time 1 --measurement-time 3`

// `criterion_group!` defines an undocumented public function.
#![allow(missing_docs)]

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use tgwire_tl_types::{enums, types, Deserializable, Serializable};

#[path = "../tests/support/user.rs"]
mod support;

fn peer_user(user_id: i64) -> enums::Peer {
    types::PeerUser { user_id }.into()
}

fn entities(i: i32) -> Vec<enums::MessageEntity> {
    vec![
        types::MessageEntityBold {
            offset: 0,
            length: 5,
        }
        .into(),
        types::MessageEntityMention {
            offset: 6,
            length: 8,
        }
        .into(),
        types::MessageEntityTextUrl {
            offset: 15,
            length: 10,
            url: format!("https://example.org/page/{i}").into(),
        }
        .into(),
    ]
}

fn photo(i: i64) -> enums::MessageMedia {
    let sizes = ["s", "m", "x"]
        .iter()
        .zip([90, 320, 800])
        .map(|(kind, side)| {
            types::PhotoSize {
                r#type: (*kind).into(),
                w: side,
                h: side * 3 / 4,
                size: side * 40,
            }
            .into()
        })
        .collect();
    let photo = types::Photo {
        has_stickers: false,
        id: 5_000_000 + i,
        access_hash: i.wrapping_mul(0x9e37_79b9),
        file_reference: vec![i as u8; 24].into(),
        date: 1_700_000_000,
        sizes,
        video_sizes: None,
        dc_id: 2,
    };
    types::MessageMediaPhoto {
        spoiler: false,
        live_photo: false,
        photo: Some(photo.into()),
        ttl_seconds: None,
        video: None,
    }
    .into()
}

fn message(i: i32) -> enums::Message {
    let reply_to = (i % 3 == 0).then(|| {
        types::MessageReplyHeader {
            reply_to_scheduled: false,
            forum_topic: false,
            quote: false,
            reply_to_ephemeral: false,
            reply_to_msg_id: Some(i - 1),
            reply_to_peer_id: None,
            reply_from: None,
            reply_media: None,
            reply_to_top_id: None,
            quote_text: None,
            quote_entities: None,
            quote_offset: None,
            todo_item_id: None,
            poll_option: None,
        }
        .into()
    });
    types::Message {
        out: i % 2 == 0,
        mentioned: false,
        media_unread: false,
        silent: false,
        post: false,
        from_scheduled: false,
        legacy: false,
        edit_hide: false,
        pinned: false,
        noforwards: false,
        invert_media: false,
        offline: false,
        video_processing_pending: false,
        paid_suggested_post_stars: false,
        paid_suggested_post_ton: false,
        id: 10_000 + i,
        from_id: Some(peer_user(1000 + i64::from(i % 50))),
        from_boosts_applied: None,
        from_rank: None,
        peer_id: peer_user(42),
        saved_peer_id: None,
        fwd_from: None,
        via_bot_id: None,
        via_business_bot_id: None,
        guestchat_via_from: None,
        reply_to,
        date: 1_700_000_000 + i,
        message: format!(
            "Hello @someone, see https://example.org/page/{i} — message number {i} of the page"
        )
        .into(),
        media: (i % 4 == 0).then(|| photo(i64::from(i))),
        reply_markup: None,
        entities: Some(entities(i)),
        views: None,
        forwards: None,
        replies: None,
        edit_date: (i % 5 == 0).then_some(1_700_000_500 + i),
        post_author: None,
        grouped_id: None,
        reactions: None,
        restriction_reason: None,
        ttl_period: None,
        quick_reply_shortcut_id: None,
        effect: None,
        factcheck: None,
        report_delivery_until_date: None,
        paid_message_stars: None,
        suggested_post: None,
        schedule_repeat_period: None,
        summary_from_language: None,
        rich_message: None,
    }
    .into()
}

fn user(i: i64) -> enums::User {
    types::User {
        contact: i % 3 == 0,
        bot: i % 10 == 0,
        premium: i % 4 == 0,
        access_hash: Some(i.wrapping_mul(0x5851_f42d_4c95_7f2d)),
        first_name: Some(format!("First{i}").into()),
        last_name: Some("Lastname".into()),
        username: Some(format!("user_{i}").into()),
        ..support::online_user(1000 + i, 7_000_000 + i, vec![1; 40])
    }
    .into()
}

fn messages_page() -> enums::messages::Messages {
    types::messages::Messages {
        messages: (0..100).map(message).collect(),
        topics: vec![],
        chats: vec![],
        users: (0..50).map(user).collect(),
    }
    .into()
}

fn bench_messages(c: &mut Criterion) {
    let page = messages_page();
    let bytes = page.to_bytes();
    let mut group = c.benchmark_group("messages.messages (100 messages, 50 users)");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function(BenchmarkId::new("serialize", bytes.len()), |b| {
        let mut buf = Vec::with_capacity(bytes.len());
        b.iter(|| {
            buf.clear();
            black_box(&page).serialize(&mut buf);
            black_box(buf.len())
        })
    });
    group.bench_function(BenchmarkId::new("deserialize", bytes.len()), |b| {
        b.iter(|| enums::messages::Messages::from_bytes(black_box(&bytes)).expect("valid"))
    });
    group.finish();
}

fn bench_upload_file(c: &mut Criterion) {
    let file: enums::upload::File = types::upload::File {
        r#type: types::storage::FileJpeg.into(),
        mtime: 1_700_000_000,
        bytes: (0..512 * 1024).map(|i| (i * 31) as u8).collect(),
    }
    .into();
    let bytes = file.to_bytes();
    let mut group = c.benchmark_group("upload.file (512 KiB)");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("serialize", |b| {
        let mut buf = Vec::with_capacity(bytes.len());
        b.iter(|| {
            buf.clear();
            black_box(&file).serialize(&mut buf);
            black_box(buf.len())
        })
    });
    group.bench_function("deserialize", |b| {
        b.iter(|| enums::upload::File::from_bytes(black_box(&bytes)).expect("valid"))
    });
    group.finish();
}

criterion_group!(benches, bench_messages, bench_upload_file);
criterion_main!(benches);
