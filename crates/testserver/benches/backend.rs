//! The backend alone (no network, no encryption): what one `Backend::call` costs for the
//! requests every client makes most — sending a message (with its push to another session),
//! reading a page of history, catching up with `updates.getDifference`, `get_me` and
//! downloading a file.
//!
//! `cargo bench -p tgwire-testserver --bench backend -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use tgwire_testserver::backend::{Backend, BackendConfig, CallContext, DcAddr, RpcOutcome};
use tgwire_testserver::Faults;
use tgwire_tl_types::{enums, functions, types, Deserializable, Serializable};

fn backend() -> Backend {
    Backend::new(
        BackendConfig {
            dcs: vec![DcAddr {
                id: 2,
                host: "127.0.0.1".into(),
                port: 20_002,
            }],
            ..BackendConfig::default()
        },
        Faults::new(),
    )
}

fn ctx(key: i64, session: i64) -> CallContext {
    CallContext {
        dc_id: 2,
        auth_key_id: key,
        perm_auth_key_id: key,
        session_id: session,
        layer: tgwire_tl_types::LAYER,
    }
}

fn ok(backend: &Backend, ctx: &CallContext, request: &[u8]) -> Vec<u8> {
    match backend.call(ctx, request) {
        RpcOutcome::Ok(bytes) => bytes,
        RpcOutcome::Err { code, message } => panic!("{code} {message}"),
    }
}

fn send_to_self(text: &str, random_id: i64) -> Vec<u8> {
    functions::messages::SendMessage {
        no_webpage: false,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer: enums::InputPeer::InputPeerSelf,
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
    .to_bytes()
}

fn send_document(file_id: i64) -> Vec<u8> {
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
        media: types::InputMediaUploadedDocument {
            nosound_video: false,
            force_file: true,
            spoiler: false,
            file: types::InputFile {
                id: file_id,
                parts: 8,
                name: "blob.bin".into(),
                md5_checksum: String::new(),
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
        .into(),
        message: String::new(),
        random_id: -file_id,
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
    .to_bytes()
}

/// The document of the message in a `sendMedia` answer.
fn document_of(answer: &[u8]) -> types::Document {
    let enums::Updates::Updates(updates) = enums::Updates::from_bytes(answer).unwrap() else {
        panic!("sendMedia answers with updates")
    };
    updates
        .updates
        .into_iter()
        .find_map(|u| match u {
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
        .expect("a document message")
}

/// A backend with one signed-in user (key 1, sessions 1 and 2) and `messages` saved messages.
fn with_history(messages: i64) -> (Backend, CallContext) {
    let b = backend();
    let user = b.create_user("9996621234", "Bench", None).unwrap();
    b.authorize_key(1, user).unwrap();
    let caller = ctx(1, 1);
    for i in 0..messages {
        ok(&b, &caller, &send_to_self(&format!("message {i}"), i));
    }
    (b, caller)
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("backend");

    let (b, caller) = with_history(0);
    let mut other = b.register_session(&ctx(1, 2));
    let mut random_id = 0i64;
    group.bench_function("send_message_with_push", |bench| {
        bench.iter(|| {
            random_id += 1;
            let answer = ok(&b, &caller, &send_to_self("hello", random_id));
            // Drain the push so the channel does not grow across iterations.
            while other.try_recv().is_ok() {}
            answer
        })
    });

    let (b, caller) = with_history(1000);
    let history = functions::messages::GetHistory {
        peer: enums::InputPeer::InputPeerSelf,
        offset_id: 500,
        offset_date: 0,
        add_offset: 0,
        limit: 100,
        max_id: 0,
        min_id: 0,
        hash: 0,
    }
    .to_bytes();
    group.bench_function("get_history_100_of_1000", |bench| {
        bench.iter(|| ok(&b, &caller, &history))
    });

    let difference = functions::updates::GetDifference {
        pts: 900,
        pts_limit: None,
        pts_total_limit: None,
        date: 0,
        qts: 0,
        qts_limit: None,
    }
    .to_bytes();
    group.bench_function("get_difference_100_events", |bench| {
        bench.iter(|| ok(&b, &caller, &difference))
    });

    let get_me = functions::users::GetUsers {
        id: vec![enums::InputUser::InputUserSelf],
    }
    .to_bytes();
    group.bench_function("get_me", |bench| bench.iter(|| ok(&b, &caller, &get_me)));

    // Downloading 1 MiB in 128 KiB chunks, as Telethon does it.
    let file_id = 42;
    for i in 0..8 {
        let save = functions::upload::SaveFilePart {
            file_id,
            file_part: i,
            bytes: vec![7u8; 128 * 1024],
        };
        ok(&b, &caller, &save.to_bytes());
    }
    let sent = ok(&b, &caller, &send_document(file_id));
    let document = document_of(&sent);
    let chunks: Vec<Vec<u8>> = (0..8)
        .map(|i| {
            functions::upload::GetFile {
                precise: false,
                cdn_supported: false,
                location: types::InputDocumentFileLocation {
                    id: document.id,
                    access_hash: document.access_hash,
                    file_reference: document.file_reference.clone(),
                    thumb_size: String::new(),
                }
                .into(),
                offset: i * 128 * 1024,
                limit: 128 * 1024,
            }
            .to_bytes()
        })
        .collect();
    group.bench_function("download_1mib_in_128k_chunks", |bench| {
        bench.iter(|| {
            chunks
                .iter()
                .map(|c| ok(&b, &caller, c).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
