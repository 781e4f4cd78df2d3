//! The backend alone (no network, no encryption): what one `Backend::call` costs for the
//! requests every client makes most — sending a message (with its push to another session),
//! reading a page of history, catching up with `updates.getDifference`, `get_me`,
//! downloading a file, and `Backend::inject_messages` (the server side of push-throughput
//! benchmarks: 1,000 messages from another user, each pushed to a connected session).
//!
//! `cargo bench -p tgwire-testserver --bench backend -- --warm-up-time 1 --measurement-time 3`

#![allow(missing_docs)] // criterion's macros generate undocumented items

use criterion::{criterion_group, criterion_main, Criterion};
use tgwire_testserver::backend::{Backend, BackendConfig, CallContext, DcAddr, RpcOutcome};
use tgwire_testserver::Faults;
use tgwire_tl_types::{enums, functions, types, Deserializable, Serializable};

// The request builders the backend's unit tests use too.
#[path = "../src/backend/tests/requests.rs"]
mod requests;

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
        temporary: false,
    }
}

fn ok(backend: &Backend, ctx: &CallContext, request: &[u8]) -> Vec<u8> {
    match backend.call(ctx, request) {
        RpcOutcome::Ok(bytes) => bytes,
        RpcOutcome::Part(part) => part.to_vec(),
        RpcOutcome::Err { code, message } => panic!("{code} {message}"),
    }
}

fn send_to_self(text: &str, random_id: i64) -> Vec<u8> {
    requests::send_message(enums::InputPeer::InputPeerSelf, text, random_id).to_bytes()
}

/// `messages.sendMedia` of the 8-part upload `file_id` as a document.
fn send_document(file_id: i64) -> Vec<u8> {
    requests::send_media_to_self(requests::uploaded_document(file_id, 8), "", -file_id).to_bytes()
}

/// The document of the message in a `sendMedia` answer.
fn document_of(answer: &[u8]) -> types::Document {
    let enums::Updates::Updates(updates) = enums::Updates::from_bytes(answer).unwrap() else {
        panic!("sendMedia answers with updates")
    };
    requests::sent_document(updates.updates).expect("a document message")
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
    let history = requests::get_history(enums::InputPeer::InputPeerSelf, 500, 0, 100).to_bytes();
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
            bytes: vec![7u8; 128 * 1024].into(),
        };
        ok(&b, &caller, &save.to_bytes());
    }
    let sent = ok(&b, &caller, &send_document(file_id));
    let document = document_of(&sent);
    let chunks: Vec<Vec<u8>> = (0..8)
        .map(|i| requests::get_file(&document, i * 128 * 1024, 128 * 1024).to_bytes())
        .collect();
    group.bench_function("download_1mib_in_128k_chunks", |bench| {
        bench.iter(|| {
            chunks
                .iter()
                .map(|c| ok(&b, &caller, c).len())
                .sum::<usize>()
        })
    });

    // The server's own share of an update-throughput benchmark: per injected message, the send
    // path, the push (short form) and its serialization into the session's channel.
    let b = backend();
    let sender = b.create_user("9996620001", "Sender", None).unwrap();
    let reader = b.create_user("9996620002", "Reader", None).unwrap();
    b.authorize_key(7, reader).unwrap();
    let mut session = b.register_session(&ctx(7, 1));
    let texts: Vec<String> = (0..1000).map(|i| format!("update {i}")).collect();
    group.bench_function("inject_1000_messages_with_pushes", |bench| {
        bench.iter(|| {
            let ids = b
                .inject_messages(
                    sender,
                    tgwire_testserver::backend::Peer::User(reader),
                    &texts,
                )
                .unwrap();
            let mut pushed = 0;
            while session.try_recv().is_ok() {
                pushed += 1;
            }
            assert_eq!(pushed, ids.len());
            pushed
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
