//! The test server's request dispatch (`Backend::call`), the entry every decrypted RPC reaches:
//! a sequence of arbitrary requests from several keys and sessions against a backend that
//! already holds two signed-in users, a bot, a basic group, a channel and some messages — or
//! against a backend loaded from an arbitrary `--data` JSON file. Nothing may panic (a panic
//! would poison the shared state of a running server).
//!
//! Input: `flags` (bit 0: the next `u16 LE` length prefixes a data file to load instead of the
//! prepared state), then records `ctx: u8, len: u16 LE, request: [u8; len]` until the input
//! ends. `ctx` picks the auth key (bits 0-1: keys 1..=4; keys 1 and 3 are signed in), the
//! session (bits 2-3) and whether a layer is known (bit 4).
#![no_main]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use tgwire_testserver::backend::{Backend, BackendConfig, CallContext, DcAddr, Peer};
use tgwire_testserver::Faults;

static FILE_COUNTER: AtomicU64 = AtomicU64::new(0);

fn config(data_file: Option<PathBuf>) -> BackendConfig {
    BackendConfig {
        dcs: vec![
            DcAddr {
                id: 1,
                host: "127.0.0.1".into(),
                port: 20_001,
            },
            DcAddr {
                id: 2,
                host: "127.0.0.1".into(),
                port: 20_002,
            },
        ],
        require_signup: false,
        data_file,
    }
}

/// Two users (keys 1 and 3), a bot, a group, a channel and messages in each.
fn prepared() -> Backend {
    let b = Backend::new(config(None), Faults::new());
    let alice = b.create_user("9996621001", "Alice", Some("alice")).unwrap();
    let bob = b.create_user("9996621002", "Bob", None).unwrap();
    let bot = b.create_bot(777_000_111, "Bot", Some("fuzz_bot")).unwrap();
    b.authorize_key(1, alice).unwrap();
    b.authorize_key(3, bob).unwrap();
    b.add_contact(alice, bob).unwrap();
    let chat = b.create_chat(alice, "Group", &[bob, bot]).unwrap();
    let channel = b
        .create_channel(alice, "Channel", true, Some("fuzzchan"))
        .unwrap();
    b.add_channel_member(channel, bob).unwrap();
    b.send_message_as(alice, Peer::User(bob), "hi").unwrap();
    b.send_message_as(bob, Peer::User(alice), "**hello**")
        .unwrap();
    b.send_message_as(alice, Peer::Chat(chat), "group").unwrap();
    b.send_message_as(alice, Peer::Channel(channel), "channel")
        .unwrap();
    b
}

fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    if input.len() < n {
        return None;
    }
    let (head, tail) = input.split_at(n);
    *input = tail;
    Some(head)
}

fn take_u16(input: &mut &[u8]) -> Option<usize> {
    take(input, 2).map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let mut cleanup = None;
    let backend = if flags & 1 == 1 {
        let Some(json) = take_u16(&mut rest).and_then(|n| take(&mut rest, n)) else {
            return;
        };
        let dir = std::env::temp_dir().join(format!("tgwire-fuzz-backend-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!(
            "{}.json",
            FILE_COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        if std::fs::write(&path, json).is_err() {
            return;
        }
        cleanup = Some(path.clone());
        Backend::open(config(Some(path)), Faults::new()).ok()
    } else {
        Some(prepared())
    };
    if let Some(backend) = backend {
        // One live session, so pushes have somewhere to go.
        let _updates = backend.register_session(&CallContext {
            dc_id: 2,
            auth_key_id: 1,
            perm_auth_key_id: 1,
            session_id: 2,
            layer: tgwire_tl_types::LAYER,
            temporary: false,
        });
        while let Some(&ctx) = rest.first() {
            rest = &rest[1..];
            let Some(request) = take_u16(&mut rest).and_then(|n| take(&mut rest, n)) else {
                break;
            };
            let key = i64::from(ctx & 3) + 1;
            let ctx = CallContext {
                dc_id: 2,
                auth_key_id: key,
                perm_auth_key_id: key,
                session_id: i64::from((ctx >> 2) & 3) + 1,
                layer: if ctx & 16 == 0 {
                    tgwire_tl_types::LAYER
                } else {
                    0
                },
                temporary: ctx & 32 != 0,
            };
            let _ = backend.call(&ctx, request);
        }
    }
    if let Some(path) = cleanup {
        let _ = std::fs::remove_file(&path);
        let mut side = path.clone().into_os_string();
        side.push(".tmp");
        let _ = std::fs::remove_file(&side);
        let mut files = path.into_os_string();
        files.push(".files");
        let _ = std::fs::remove_dir_all(&files);
    }
});
