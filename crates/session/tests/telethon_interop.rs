//! Interoperability with the real Telethon package (pinned in `.ci/python-venv.sh`): its string
//! sessions and SQLite session files are made by Telethon itself at test time, then read by us; our
//! Telethon-format strings are parsed back by Telethon.
//!
//! These tests need the venv. If it cannot be created (no network to PyPI), they fail with pip's
//! message: they are never skipped.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use tgwire_session::{
    import_telethon_session, AuthKeyData, MemoryStorage, PeerKind, SelfUser, SessionError,
    SqliteStorage, Storage, StringSession, UpdateState,
};

/// The venv's python, created on first use by the repository's script.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.ci/python-venv.sh");
        let output = Command::new("bash")
            .arg(&script)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            output.status.success(),
            "{} failed (Telethon is required for these tests; is PyPI reachable?):\n{}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let path = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        assert!(!path.is_empty(), "python-venv.sh printed no path");
        PathBuf::from(path)
    })
}

/// Runs an inline Python script with arguments and returns its stdout.
fn run_python(script: &str, args: &[&str]) -> String {
    let output = Command::new(python())
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("cannot start python");
    assert!(
        output.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// The auth key used in every fixture: byte i is (7i + 3) mod 256.
fn fixture_key() -> AuthKeyData {
    let mut bytes = [0u8; 256];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = ((i * 7 + 3) % 256) as u8;
    }
    AuthKeyData::new(bytes)
}

const PY_KEY: &str = "bytes((i * 7 + 3) % 256 for i in range(256))";

fn telethon_string(dc: i32, ip: &str, port: u16) -> String {
    let script = format!(
        "import sys
from telethon.sessions import StringSession
from telethon.crypto import AuthKey
s = StringSession()
s.set_dc({dc}, sys.argv[1], {port})
s.auth_key = AuthKey({PY_KEY})
print(s.save())"
    );
    run_python(&script, &[ip]).trim().to_owned()
}

#[test]
fn telethon_made_string_sessions_decode_exactly() {
    for (dc, ip, port) in [
        (2, "149.154.167.51", 443),
        (5, "2001:b28:f23f:f005::a", 80),
        (255, "127.0.0.1", 65535),
    ] {
        let text = telethon_string(dc, ip, port);
        assert!(text.starts_with('1'), "{text}");
        let session = StringSession::decode(&text).unwrap();
        assert_eq!(session.dc_id, dc);
        assert_eq!(session.addr, ip.parse::<IpAddr>().unwrap());
        assert_eq!(session.port, port);
        assert_eq!(session.auth_key, fixture_key());
        assert_eq!(session.user, None);
        // Bit-compatible: re-encoding gives back Telethon's exact string.
        assert_eq!(session.encode_telethon().unwrap(), text);

        // And it becomes a usable session.
        let storage = MemoryStorage::with(session.to_changes());
        assert_eq!(storage.home_dc(), Some(dc));
        assert_eq!(storage.auth_key(dc), Some(fixture_key()));
        let option = &storage.dc_options()[0];
        let expected = std::net::SocketAddr::new(ip.parse().unwrap(), port);
        assert_eq!(option.socket_addr(), Some(expected));
    }
}

#[test]
fn telethon_parses_our_telethon_format_strings() {
    for ip in ["149.154.175.53", "2001:67c:4e8:f002::a"] {
        let ours = StringSession {
            dc_id: 3,
            addr: ip.parse().unwrap(),
            port: 8443,
            auth_key: fixture_key(),
            user: Some(SelfUser { id: 99, bot: false }),
        }
        .encode_telethon()
        .unwrap();
        let out = run_python(
            "import sys
from telethon.sessions import StringSession
s = StringSession(sys.argv[1])
print(s.dc_id, s.server_address, s.port, s.auth_key.key.hex())
print(s.save() == sys.argv[1])",
            &[&ours],
        );
        let mut lines = out.lines();
        let fields: Vec<&str> = lines.next().unwrap().split(' ').collect();
        assert_eq!(fields[0], "3");
        assert_eq!(
            fields[1].parse::<IpAddr>().unwrap(),
            ip.parse::<IpAddr>().unwrap()
        );
        assert_eq!(fields[2], "8443");
        assert_eq!(fields[3], hex::encode(fixture_key().as_bytes()));
        assert_eq!(
            lines.next(),
            Some("True"),
            "Telethon re-encodes our string differently"
        );
    }
}

/// Builds a `.session` file with Telethon's own `SQLiteSession`.
const MAKE_SQLITE_SESSION: &str = r#"
import sys, datetime
from telethon.sessions import SQLiteSession
from telethon.crypto import AuthKey
from telethon.tl import types

utc = datetime.timezone.utc
when = datetime.datetime(2024, 1, 1, tzinfo=utc)
s = SQLiteSession(sys.argv[1])
s.set_dc(4, '149.154.167.91', 443)
s.auth_key = AuthKey(bytes((i * 7 + 3) % 256 for i in range(256)))
users = [
    types.User(id=1001, access_hash=-1234567890123, first_name='Alice', last_name='Liddell',
               username='Alice_W', phone='15550001'),
    types.User(id=1002, access_hash=42, bot=True, first_name='Helper', username='helper_bot'),
    # Telethon itself refuses to store min users: this one must not appear.
    types.User(id=1003, access_hash=77, min=True, first_name='Minnie'),
    types.User(id=1004, access_hash=9223372036854775807, first_name='Max', phone='+44 20 7946 0000'),
]
chats = [
    types.Chat(id=2001, title='Basic Group', photo=types.ChatPhotoEmpty(), participants_count=3,
               date=when, version=1),
    types.Channel(id=3001, title='News', photo=types.ChatPhotoEmpty(), date=when,
                  access_hash=-9223372036854775808, username='NewsChan', broadcast=True),
    types.Channel(id=3002, title='Big Group', photo=types.ChatPhotoEmpty(), date=when,
                  access_hash=-5, megagroup=True),
]
s.process_entities(types.contacts.ResolvedPeer(peer=types.PeerUser(1001), users=users, chats=chats))
# What TelegramClient does to remember the signed-in user.
s.process_entities(types.contacts.ResolvedPeer(None, [types.InputPeerUser(0, 1001)], []))
s.set_update_state(0, types.updates.State(
    pts=111, qts=22, date=datetime.datetime.fromtimestamp(1700000000, tz=utc), seq=33, unread_count=0))
# Channel rows as TelegramClient writes them: an arbitrary (fractional) date.
s.set_update_state(3001, types.updates.State(
    pts=555, qts=0, date=datetime.datetime.fromtimestamp(1700000000.25, tz=utc), seq=0, unread_count=0))
s.set_update_state(3002, types.updates.State(pts=7, qts=0, date=when, seq=0, unread_count=0))
s.save()
s.close()
"#;

fn telethon_session_file(dir: &Path) -> PathBuf {
    let path = dir.join("telethon.session");
    run_python(MAKE_SQLITE_SESSION, &[path.to_str().unwrap()]);
    assert!(path.is_file(), "Telethon did not create {}", path.display());
    path
}

fn sha256(path: &Path) -> [u8; 32] {
    Sha256::digest(std::fs::read(path).unwrap()).into()
}

fn assert_imported(storage: &dyn Storage) {
    assert_eq!(storage.home_dc(), Some(4));
    let options = storage.dc_options();
    assert_eq!(options.len(), 1);
    assert_eq!(options[0].id, 4);
    assert_eq!(
        options[0].socket_addr().unwrap().to_string(),
        "149.154.167.91:443"
    );
    assert_eq!(storage.auth_key(4), Some(fixture_key()));
    assert_eq!(
        storage.self_user(),
        Some(SelfUser {
            id: 1001,
            bot: false
        })
    );
    assert_eq!(
        storage.update_state(),
        Some(UpdateState {
            pts: 111,
            qts: 22,
            date: 1_700_000_000,
            seq: 33
        })
    );
    assert_eq!(storage.channel_states(), vec![(3001, 555), (3002, 7)]);

    assert_eq!(
        storage.peer_count(),
        6,
        "min user must not be imported, marker row neither"
    );
    let alice = storage.peer(1001).unwrap();
    assert_eq!(alice.peer.kind(), PeerKind::User);
    assert_eq!(alice.peer.access_hash(), Some(-1234567890123));
    assert_eq!(alice.usernames, vec!["alice_w".to_string()]);
    assert_eq!(alice.phone.as_deref(), Some("15550001"));
    assert_eq!(alice.name.as_deref(), Some("Alice Liddell"));
    assert!(!alice.min);
    assert_eq!(
        storage.peer_by_username("@Alice_W").unwrap().peer,
        alice.peer
    );
    assert_eq!(
        storage.peer_by_phone("+1 555 0001").unwrap().peer,
        alice.peer
    );

    let helper = storage.peer_by_username("helper_bot").unwrap();
    assert_eq!(
        (helper.peer.id(), helper.peer.access_hash()),
        (1002, Some(42))
    );
    assert_eq!(helper.name.as_deref(), Some("Helper"));
    assert!(storage.peer(1003).is_none());

    let max = storage.peer(1004).unwrap();
    assert_eq!(max.peer.access_hash(), Some(i64::MAX));
    // Telethon stored this phone as text (it has non-digits); we keep the digits.
    assert_eq!(max.phone.as_deref(), Some("442079460000"));

    let group = storage.peer(-2001).unwrap();
    assert_eq!(group.peer.kind(), PeerKind::BasicGroup);
    assert_eq!(group.peer.access_hash(), None);
    assert_eq!(group.name.as_deref(), Some("Basic Group"));

    let news = storage.peer(-1000000003001).unwrap();
    assert!(news.peer.kind().is_channel());
    assert_eq!(news.peer.id(), 3001);
    assert_eq!(news.peer.access_hash(), Some(i64::MIN));
    assert_eq!(news.usernames, vec!["newschan".to_string()]);
    assert_eq!(news.name.as_deref(), Some("News"));
    assert_eq!(
        storage.peer_by_username("NewsChan").unwrap().peer,
        news.peer
    );

    let big = storage.peer(-1000000003002).unwrap();
    assert_eq!((big.peer.id(), big.peer.access_hash()), (3002, Some(-5)));
    assert_eq!(big.name.as_deref(), Some("Big Group"));
}

#[test]
fn telethon_sqlite_session_imports_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let telethon = telethon_session_file(dir.path());
    let before = sha256(&telethon);

    let changes = import_telethon_session(&telethon).unwrap();
    assert_eq!(
        sha256(&telethon),
        before,
        "import modified the Telethon file"
    );

    // Into memory...
    assert_imported(&MemoryStorage::with(changes.clone()));

    // ...and into a tgwire session file, surviving a reopen.
    let ours = dir.path().join("ours.session");
    {
        let storage = SqliteStorage::open(&ours).unwrap();
        storage.apply(changes).unwrap();
    }
    assert_imported(&SqliteStorage::open(&ours).unwrap());
}

#[test]
fn opening_a_telethon_file_directly_points_to_the_importer() {
    let dir = tempfile::tempdir().unwrap();
    let telethon = telethon_session_file(dir.path());
    let before = sha256(&telethon);
    match SqliteStorage::open(&telethon) {
        Err(SessionError::NotASession { hint, .. }) => assert!(hint.contains("Telethon"), "{hint}"),
        other => panic!("expected NotASession, got {other:?}"),
    }
    assert_eq!(sha256(&telethon), before);
    assert!(!dir.path().join("telethon.session-wal").exists());
}

#[test]
fn newer_telethon_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let telethon = telethon_session_file(dir.path());
    let conn = rusqlite::Connection::open(&telethon).unwrap();
    conn.execute("UPDATE version SET version = 9", []).unwrap();
    drop(conn);
    match import_telethon_session(&telethon) {
        Err(SessionError::NewerSchema {
            found: 9,
            supported: 8,
        }) => {}
        other => panic!("expected NewerSchema, got {other:?}"),
    }
}

#[test]
fn our_sqlite_session_round_trips_through_a_telethon_string() {
    let dir = tempfile::tempdir().unwrap();
    let telethon = telethon_session_file(dir.path());
    let storage = MemoryStorage::with(import_telethon_session(&telethon).unwrap());
    let text = StringSession::from_storage(&storage)
        .unwrap()
        .encode_telethon()
        .unwrap();
    // Telethon's own SQLiteSession and our export agree on DC, address, port and key.
    let out = run_python(
        "import sys
from telethon.sessions import StringSession, SQLiteSession
a = StringSession(sys.argv[1])
b = SQLiteSession(sys.argv[2])
print(a.dc_id == b.dc_id, a.server_address == b.server_address, a.port == b.port,
      a.auth_key.key == b.auth_key.key)",
        &[&text, telethon.to_str().unwrap()],
    );
    assert_eq!(out.trim(), "True True True True");
}
