//! Arbitrary input to tgwire-session's decoders. The first byte picks one: string sessions (both
//! formats), `PeerRef` text, Bot API ids, or the bytes as a session file opened by `SqliteStorage`
//! and by the Telethon importer. Any outcome but a panic is fine; round trips must hold.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};

use libfuzzer_sys::fuzz_target;
use tgwire_session::{import_telethon_session, PeerRef, SqliteStorage, Storage, StringSession};

static FILE_COUNTER: AtomicU64 = AtomicU64::new(0);

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    match mode % 4 {
        0 => {
            if let Ok(session) = StringSession::decode(&text) {
                assert_eq!(StringSession::decode(&session.encode()).ok(), Some(session));
            }
        }
        1 => {
            if let Ok(peer) = text.parse::<PeerRef>() {
                assert_eq!(peer.to_string().parse::<PeerRef>().ok(), Some(peer));
            }
        }
        2 => {
            let mut id = [0u8; 8];
            let n = rest.len().min(8);
            id[..n].copy_from_slice(&rest[..n]);
            if let Ok(peer) = PeerRef::from_bot_api_id(i64::from_le_bytes(id), None) {
                assert_eq!(peer.bot_api_id(), i64::from_le_bytes(id));
            }
        }
        _ => {
            let dir = std::env::temp_dir().join(format!("tgwire-fuzz-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            let path = dir.join(format!(
                "{}.session",
                FILE_COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            if std::fs::write(&path, rest).is_ok() {
                if let Ok(storage) = SqliteStorage::open(&path) {
                    let _ = storage.peer_count();
                }
                let _ = import_telethon_session(&path);
                let _ = std::fs::remove_file(&path);
                let mut wal = path.into_os_string();
                wal.push("-wal");
                let _ = std::fs::remove_file(wal);
            }
        }
    }
});
