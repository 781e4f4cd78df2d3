//! Writes the committed seed corpora under `fuzz/corpus/<target>/`: a few valid inputs per
//! target, produced by the real encoders (real sessions, transports, handshakes, TL
//! serialisation) so the fuzzers start from inputs that get past the first checks.
//!
//! `cargo run --example write_seeds` from `fuzz/` (a normal build; see README.md). Re-running it
//! rewrites the same files (every random choice is seeded, except the few noted below).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_crypto::{decrypt_message, encrypt_message, AuthKey, RsaPrivateKey, Side};
use tgwire_mtproto::auth::{client, server};
use tgwire_mtproto::{
    ClientConfig, Instant, SaltSchedule, ServerConfig, ServerEvent, ServerSession, Session,
};
use tgwire_net::proxy::mtproxy::FakeTlsClient;
use tgwire_net::transport::{detect, Detection};
use tgwire_net::{AnyTransport, Transport, TransportKind};
use tgwire_session::{AuthKeyData, SelfUser, StringSession};
use tgwire_testserver::backend::{Backend, BackendConfig};
use tgwire_testserver::Faults;
use tgwire_tl_types::{enums, functions, Serializable};

const PEM: &str = include_str!("../../crates/crypto/testdata/test_rsa_key.pem");

struct Seeds {
    root: PathBuf,
}

impl Seeds {
    fn write(&self, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.root.join(target);
        std::fs::create_dir_all(&dir).expect("create corpus dir");
        std::fs::write(dir.join(name), bytes).expect("write seed");
    }

    fn with_prefix(&self, target: &str, name: &str, prefix: &[u8], bytes: &[u8]) {
        let mut all = prefix.to_vec();
        all.extend_from_slice(bytes);
        self.write(target, name, &all);
    }
}

fn u16_prefixed(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(&u16::try_from(bytes.len()).unwrap().to_le_bytes());
    out.extend_from_slice(bytes);
}

fn send_message(text: &str, random_id: i64) -> Vec<u8> {
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

fn requests() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("get_config", functions::help::GetConfig {}.to_bytes()),
        (
            "get_users_self",
            functions::users::GetUsers {
                id: vec![enums::InputUser::InputUserSelf],
            }
            .to_bytes(),
        ),
        ("send_message", send_message("hello **there**", 42)),
        (
            "get_history",
            functions::messages::GetHistory {
                peer: enums::InputPeer::InputPeerSelf,
                offset_id: 0,
                offset_date: 0,
                add_offset: 0,
                limit: 20,
                max_id: 0,
                min_id: 0,
                hash: 0,
            }
            .to_bytes(),
        ),
        (
            "resolve_username",
            functions::contacts::ResolveUsername {
                username: "fuzzchan".into(),
                referer: None,
            }
            .to_bytes(),
        ),
        ("get_state", functions::updates::GetState {}.to_bytes()),
    ]
}

/// MTProto service messages as the server sends them (plaintext bodies).
fn service_bodies(req_msg_id: i64) -> Vec<(&'static str, Vec<u8>)> {
    let le32 = |v: u32| v.to_le_bytes().to_vec();
    let le64 = |v: i64| v.to_le_bytes().to_vec();
    let pong = [le32(0x347773c5), le64(req_msg_id), le64(7)].concat();
    let new_session = [le32(0x9ec20908), le64(req_msg_id), le64(99), le64(0x1234)].concat();
    let ack = [
        le32(0x62d6b459),
        le32(0x1cb5c415),
        le32(1),
        le64(req_msg_id),
    ]
    .concat();
    let bad_salt = [
        le32(0xedab447b),
        le64(req_msg_id),
        le32(1),
        le32(48),
        le64(0x5555),
    ]
    .concat();
    // rpc_result { req_msg_id, boolTrue }
    let rpc_result = [le32(0xf35c6d01), le64(req_msg_id), le32(0x997275b5)].concat();
    // msg_container with the pong and the ack inside.
    let server_id = (1_700_000_000i64 << 32) | 5;
    let mut container = [le32(0x73f1f8dc), le32(2)].concat();
    for (i, body) in [&pong, &ack].into_iter().enumerate() {
        container.extend_from_slice(&(server_id + 4 * i as i64).to_le_bytes());
        container.extend_from_slice(&(i as i32 * 2 + 1).to_le_bytes());
        container.extend_from_slice(&(body.len() as i32).to_le_bytes());
        container.extend_from_slice(body);
    }
    vec![
        ("pong", pong),
        ("new_session_created", new_session),
        ("msgs_ack", ack),
        ("bad_server_salt", bad_salt),
        ("rpc_result", rpc_result),
        ("msg_container", container),
    ]
}

fn tl_seeds(seeds: &Seeds, now: Instant) {
    for (name, body) in requests() {
        seeds.with_prefix("tl_deserialize", &format!("api_{name}"), &[0], &body);
    }
    let updates = enums::Updates::TooLong;
    seeds.with_prefix(
        "tl_deserialize",
        "api_updates_too_long",
        &[0],
        &updates.to_bytes(),
    );
    for (name, body) in service_bodies(now.unix_secs() as i64) {
        seeds.with_prefix("tl_deserialize", &format!("mtproto_{name}"), &[1], &body);
    }
    let schema = include_str!("../../tl-schema/mtproto.tl");
    let head: String = schema.lines().take(40).collect::<Vec<_>>().join("\n");
    seeds.write("tl_schema_parser", "mtproto_head.tl", head.as_bytes());
    seeds.write(
        "tl_schema_parser",
        "small.tl",
        b"// comment\nboolFalse#bc799737 = Bool;\nvector#1cb5c415 {t:Type} # [ t ] = Vector t;\n\
          ---functions---\nuser#1 flags:# id:long name:flags.0?string = User;\n\
          getUser#2 id:long = User;\n",
    );
}

fn crypto_seeds(seeds: &Seeds) {
    let key = AuthKey::from_bytes([0x5a; 256]);
    for (mode, side) in [(0u8, Side::Client), (1u8, Side::Server)] {
        let mut packet = Vec::new();
        encrypt_message(&key, side, &[0x42; 48], &mut packet).unwrap();
        seeds.with_prefix(
            "crypto_decrypt_message",
            &format!("valid_{side:?}"),
            &[mode],
            &packet,
        );
    }
    let private = RsaPrivateKey::from_pkcs1_pem(PEM).unwrap();
    seeds.write(
        "crypto_rsa_key",
        "public.der",
        &private.public_key().to_pkcs1_der(),
    );
    seeds.write(
        "crypto_rsa_key",
        "public.pem",
        private.public_key().to_pkcs1_pem().as_bytes(),
    );
    seeds.write("crypto_rsa_key", "private.der", &private.to_pkcs1_der());

    // crypto_dh_srp: mode, g, flags, then u16-prefixed fields.
    let pq = 0x17ED48941A08F981u64; // the spec's sample pq
    let mut dh = vec![0, 0, 0];
    u16_prefixed(&mut dh, &pq.to_le_bytes());
    seeds.write("crypto_dh_srp", "factorize_sample_pq", &dh);
    let group =
        tgwire_crypto::dh::check_prime_and_g(&tgwire_crypto::dh::TELEGRAM_DH_PRIME, 3).unwrap();
    let g_a = group.public_value(&[0x33; 256]).unwrap();
    let mut dh = vec![1, 3, 1];
    u16_prefixed(&mut dh, &[]);
    u16_prefixed(&mut dh, &g_a);
    u16_prefixed(&mut dh, &[0x44; 256]);
    seeds.write("crypto_dh_srp", "dh_telegram_prime", &dh);
    let mut dh = vec![1, 3, 0];
    u16_prefixed(&mut dh, &tgwire_crypto::dh::TELEGRAM_DH_PRIME);
    u16_prefixed(&mut dh, &g_a);
    seeds.write("crypto_dh_srp", "dh_prime_from_input", &dh);
    let mut srv = vec![3, 3, 1];
    u16_prefixed(&mut srv, &[]);
    u16_prefixed(&mut srv, &g_a); // v
    u16_prefixed(&mut srv, &[0x21; 256]); // b
    u16_prefixed(&mut srv, &g_a); // A
    u16_prefixed(&mut srv, &[0; 32]); // M1
    seeds.write("crypto_dh_srp", "srp_server", &srv);
}

fn mtproto_seeds(seeds: &Seeds, now: Instant) {
    let key = || AuthKey::from_bytes([7; 256]);
    // The same sessions the target builds, so their packets decrypt there.
    let mut client = Session::new(key(), 1, 0, ClientConfig::default(), [1; 32]);
    let mut srv = ServerSession::new(
        key(),
        SaltSchedule::new([2; 32], 3600),
        ServerConfig::default(),
        [3; 32],
    );
    let (_, body) = &requests()[0];
    client.enqueue(body.clone());
    client.ping(7);
    let mut packet = Vec::new();
    assert!(client.poll_transmit(now, &mut packet));
    seeds.with_prefix("mtproto_incoming", "raw_client_packet", &[0], &packet);
    let mut plain = Vec::new();
    decrypt_message(&key(), Side::Client, &packet, &mut plain).unwrap();
    seeds.with_prefix("mtproto_incoming", "plain_client_to_server", &[2], &plain);

    let _ = srv.handle_incoming(now, &packet);
    while let Some(event) = srv.poll_event() {
        if let ServerEvent::Request { msg_id, .. } = event {
            srv.respond(msg_id, true.to_bytes());
        }
    }
    let mut answer = Vec::new();
    if srv.poll_transmit(now, &mut answer) {
        seeds.with_prefix("mtproto_incoming", "raw_server_packet", &[0], &answer);
        let mut plain = Vec::new();
        decrypt_message(&key(), Side::Server, &answer, &mut plain).unwrap();
        seeds.with_prefix("mtproto_incoming", "plain_server_answer", &[1], &plain);
    }
    // Hand-made server messages: salt, session (spliced in by the target), msg_id, seqno, len.
    let req_msg_id = (now.unix_secs() as i64) << 32;
    for (name, body) in service_bodies(req_msg_id) {
        let mut plain = Vec::new();
        plain.extend_from_slice(&1i64.to_le_bytes());
        plain.extend_from_slice(&client.session_id().to_le_bytes());
        plain.extend_from_slice(&(((now.unix_secs() as i64) << 32) | 1).to_le_bytes());
        plain.extend_from_slice(&1i32.to_le_bytes());
        plain.extend_from_slice(&(body.len() as i32).to_le_bytes());
        plain.extend_from_slice(&body);
        seeds.with_prefix("mtproto_incoming", &format!("plain_{name}"), &[1], &plain);
    }

    // The auth exchange: the first client packet for mode 3, and [step, how] inputs for the
    // exchange target (XOR with a single flipped byte at a few places, and well-framed bodies).
    let mut rng = StdRng::seed_from_u64(1);
    let mut out = Vec::new();
    let _ = client::start(client::Config::new(vec![], 2), now, &mut rng, &mut out);
    seeds.with_prefix("mtproto_incoming", "auth_req_pq", &[3], &out);
    for step in 0..6u8 {
        for at in [0usize, 4, 24, 60] {
            let mut data = vec![0u8; at + 1];
            data[at] = 1;
            seeds.with_prefix(
                "mtproto_auth_exchange",
                &format!("xor_step{step}_at{at}"),
                &[step, 2],
                &data,
            );
        }
        seeds.write(
            "mtproto_auth_exchange",
            &format!("body_step{step}"),
            &[step, 1, 0x63, 0x24, 0x16, 0x05],
        );
    }
    // Verdicts retry and fail on an otherwise honest exchange (a harmless XOR past the end).
    for (verdict, name) in [(1u8, "retry"), (2, "fail")] {
        seeds.write(
            "mtproto_auth_exchange",
            &format!("verdict_{name}"),
            &[
                5,
                2 | (verdict << 2),
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                0,
                1,
            ],
        );
    }
    // Sanity: the honest exchange completes with the same keys the target uses.
    let private = RsaPrivateKey::from_pkcs1_pem(PEM).unwrap();
    let mut crng = StdRng::seed_from_u64(11);
    let mut srng = StdRng::seed_from_u64(22);
    let mut msg = Vec::new();
    let c = client::start(
        client::Config::new(vec![private.public_key().clone()], 2),
        now,
        &mut crng,
        &mut msg,
    );
    let s = server::ExpectReqPq::new(server::Config {
        keys: vec![private.clone()],
    });
    let mut res_pq = Vec::new();
    let _server = s.handle(now, &msg, &mut srng, &mut res_pq).unwrap();
    msg.clear();
    assert!(
        c.handle(now, &res_pq, &mut crng, &mut msg).is_ok(),
        "the honest exchange gets past resPQ"
    );
}

fn net_seeds(seeds: &Seeds) {
    const KINDS: [TransportKind; 7] = TransportKind::ALL;
    for (i, kind) in KINDS.iter().enumerate() {
        // net_detect: what a client sends first (mode 0: no MTProxy secret).
        let mut rng = StdRng::seed_from_u64(100 + i as u64);
        let mut client = AnyTransport::client(*kind, 2, &mut rng);
        let mut first = Vec::new();
        client.encode(&[0x11; 40], &mut first).unwrap();
        client.encode(&[0x22; 8], &mut first).unwrap();
        seeds.with_prefix("net_detect", &format!("client_{i}"), &[0], &first);

        // net_transport_decode, server role (mode bit 7): replay the target's own setup, then
        // append further client frames, which the detected server codec decodes.
        let mode = 0x80 | i as u8;
        let mut rng = StdRng::seed_from_u64(u64::from(mode));
        let mut client = AnyTransport::client(*kind, 2, &mut rng);
        let mut first = Vec::new();
        client.encode(&[0; 8], &mut first).unwrap();
        if let Ok(Detection::Transport { .. }) = detect(&first, None, &mut rng) {
            let mut frames = Vec::new();
            client.encode(&[0x33; 24], &mut frames).unwrap();
            client.encode(&[0x44; 200], &mut frames).unwrap();
            seeds.with_prefix(
                "net_transport_decode",
                &format!("server_role_{i}"),
                &[mode, 7],
                &frames,
            );
        }
    }
    // Client role, unobfuscated kinds: frames as a server writes them (same framing bytes for
    // abridged and intermediate; full adds seqno and CRC, which the seed gets wrong on purpose
    // for one and right for none — the fuzzer works from there).
    let mut abridged = vec![0, 16];
    abridged.push(2);
    abridged.extend_from_slice(&[0x55; 8]);
    seeds.write("net_transport_decode", "client_abridged", &abridged);
    let mut intermediate = vec![1, 16];
    intermediate.extend_from_slice(&8u32.to_le_bytes());
    intermediate.extend_from_slice(&[0x55; 8]);
    seeds.write("net_transport_decode", "client_intermediate", &intermediate);

    // net_fake_tls: a real ClientHello for the target's key and domain.
    const KEY: [u8; 16] = *b"fuzzing-fake-tls";
    let mut rng = StdRng::seed_from_u64(9);
    let mut hello = Vec::new();
    let _ = FakeTlsClient::start(&KEY, "example.com", 1_700_000_000, &mut rng, &mut hello);
    seeds.write("net_fake_tls", "client_hello", &hello);
    if let Ok(tgwire_net::proxy::mtproxy::HelloProgress::Done { value, .. }) =
        tgwire_net::proxy::mtproxy::accept_client_hello(
            &hello,
            &KEY,
            "example.com",
            1_700_000_000,
            120,
            &mut rng,
        )
    {
        seeds.write("net_fake_tls", "server_hello", &value.response);
    }
    let mut ee = vec![0xee];
    ee.extend_from_slice(&KEY);
    ee.extend_from_slice(b"example.com");
    seeds.write("net_fake_tls", "secret_ee", &ee);

    // net_proxy: proxy replies, links and secrets.
    seeds.write(
        "net_proxy",
        "socks5_ok_ipv4",
        &[0, 5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0x1f, 0x90],
    );
    seeds.write(
        "net_proxy",
        "socks5_password_domain",
        &[
            4 | 8,
            5,
            2,
            1,
            0,
            5,
            0,
            0,
            3,
            4,
            b'h',
            b'o',
            b's',
            b't',
            0,
            80,
        ],
    );
    seeds.with_prefix(
        "net_proxy",
        "http_200",
        &[1],
        b"HTTP/1.1 200 Connection established\r\nProxy-Agent: x\r\n\r\n",
    );
    seeds.with_prefix("net_proxy", "http_407", &[5], b"HTTP/1.0 407 Auth\r\n\r\n");
    seeds.with_prefix(
        "net_proxy",
        "link_mtproxy",
        &[2],
        b"tg://proxy?server=proxy.example&port=443&secret=ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d",
    );
    seeds.with_prefix(
        "net_proxy",
        "link_socks",
        &[2],
        b"https://t.me/socks?server=1.2.3.4&port=1080&user=a%20b&pass=c+d",
    );
    seeds.with_prefix(
        "net_proxy",
        "secret_dd_hex",
        &[3],
        b"dd0123456789abcdef0123456789abcdef",
    );
    seeds.with_prefix(
        "net_proxy",
        "secret_b64",
        &[3],
        b"7gEjRWeJq83vASNFZ4mrze9leGFtcGxlLmNvbQ",
    );
}

fn session_seeds(seeds: &Seeds) {
    let mut key = [0u8; 256];
    key.iter_mut().enumerate().for_each(|(i, b)| *b = i as u8);
    let session = StringSession {
        dc_id: 2,
        addr: IpAddr::V4(Ipv4Addr::new(149, 154, 167, 51)),
        port: 443,
        auth_key: AuthKeyData::from_slice(&key).unwrap(),
        user: Some(SelfUser {
            id: 777,
            bot: false,
        }),
    };
    seeds.with_prefix(
        "session_decode",
        "string_tgwire",
        &[0],
        session.encode().as_bytes(),
    );
    let v6 = StringSession {
        addr: IpAddr::V6(Ipv6Addr::LOCALHOST),
        user: None,
        ..session.clone()
    };
    seeds.with_prefix(
        "session_decode",
        "string_telethon_v6",
        &[0],
        v6.encode_telethon().unwrap().as_bytes(),
    );
    seeds.with_prefix("session_decode", "peer_user", &[1], b"user:12345:-987");

    // Session files (mode 3): a Telethon v1 file (schema version 7, small pages) and a tgwire one.
    let dir = std::env::temp_dir().join(format!("tgwire-seeds-session-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let telethon = dir.join("telethon.session");
    {
        let conn = rusqlite::Connection::open(&telethon).unwrap();
        conn.execute_batch(
            "PRAGMA page_size = 512; PRAGMA journal_mode = DELETE;
             CREATE TABLE version (version integer primary key);
             INSERT INTO version VALUES (7);
             CREATE TABLE sessions (dc_id integer primary key, server_address text,
                 port integer, auth_key blob, takeout_id integer);
             CREATE TABLE entities (id integer primary key, hash integer not null,
                 username text, phone integer, name text, date integer);
             CREATE TABLE sent_files (md5_digest blob, file_size integer, type integer,
                 id integer, hash integer, primary key(md5_digest, file_size, type));
             CREATE TABLE update_state (id integer primary key, pts integer, qts integer,
                 date integer, seq integer);
             INSERT INTO entities VALUES (0, 777, NULL, NULL, NULL, NULL);
             INSERT INTO entities VALUES (12345, -99, 'alice', 15550001, 'Alice', 1700000000);
             INSERT INTO entities VALUES (-1001234567890, 42, 'chan', NULL, 'Chan', NULL);
             INSERT INTO update_state VALUES (0, 10, 2, 1700000000, 5);
             INSERT INTO update_state VALUES (1234567890, 77, 0, 0, 0);",
        )
        .unwrap();
        conn.execute(
            "INSERT INTO sessions VALUES (2, '149.154.167.51', 443, ?1, NULL)",
            [&key[..]],
        )
        .unwrap();
    }
    seeds.with_prefix(
        "session_decode",
        "file_telethon",
        &[3],
        &std::fs::read(&telethon).unwrap(),
    );
    let tgwire = dir.join("tgwire.session");
    {
        let storage = tgwire_session::SqliteStorage::open(&tgwire).unwrap();
        tgwire_session::Storage::apply(&storage, session.to_changes()).unwrap();
    }
    seeds.with_prefix(
        "session_decode",
        "file_tgwire",
        &[3],
        &std::fs::read(&tgwire).unwrap(),
    );
    let _ = std::fs::remove_dir_all(&dir);
    seeds.with_prefix(
        "session_decode",
        "bot_api_channel",
        &[2],
        &(-1_001_234_567_890i64).to_le_bytes(),
    );
}

fn client_seeds(seeds: &Seeds) {
    seeds.with_prefix(
        "client_text",
        "markdown",
        &[0],
        "**bold** __it__ _x_ ~~s~~ ||sp|| `c` ```rust\nfn main() {}\n``` [l](https://e.com) \
         [m](tg://user?id=42) [👍](tg://emoji?id=5368) \\*esc\n> quote\n> more"
            .as_bytes(),
    );
    seeds.with_prefix(
        "client_text",
        "html",
        &[1],
        "<b>b</b><strong>s</strong><i>i</i><u>u</u><s>s</s><tg-spoiler>sp</tg-spoiler>\
         <span class=\"tg-spoiler\">x</span><code>c</code><pre><code class=\"language-rust\">f\
         </code></pre><a href=\"tg://user?id=1\">m</a><tg-emoji emoji-id=\"5\">👍</tg-emoji>\
         <blockquote expandable>q</blockquote><br>&lt;&amp;&#65;&#x42;&nbsp;"
            .as_bytes(),
    );
    // Mode 2: two overlapping entities (bold 0..4, text link 2..9) over an emoji text.
    let mut entities = vec![2, 2];
    for (kind, offset, length) in [(0u8, 0i32, 4i32), (7, 2, 7)] {
        entities.push(kind);
        entities.extend_from_slice(&offset.to_le_bytes());
        entities.extend_from_slice(&length.to_le_bytes());
        entities.push(b'a');
    }
    entities.extend_from_slice("ab👍cd*_<e".as_bytes());
    seeds.write("client_text", "entities", &entities);
}

fn testserver_seeds(seeds: &Seeds) {
    for (name, body) in requests() {
        let mut input = vec![0, 0];
        u16_prefixed(&mut input, &body);
        seeds.write("testserver_backend", &format!("call_{name}"), &input);
    }
    // All requests in a row, alternating the two signed-in keys.
    let mut input = vec![0];
    for (i, (_, body)) in requests().into_iter().enumerate() {
        input.push(if i % 2 == 0 { 0 } else { 2 });
        u16_prefixed(&mut input, &body);
    }
    seeds.write("testserver_backend", "call_all", &input);

    // A data file as the backend persists it, then a call against it. (User ids and times in
    // it are random, so re-running the writer changes this file.)
    let dir = std::env::temp_dir().join(format!("tgwire-seeds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("state.json");
    let backend = Backend::open(
        BackendConfig {
            data_file: Some(path.clone()),
            ..BackendConfig::default()
        },
        Faults::new(),
    )
    .unwrap();
    let alice = backend
        .create_user("9996621001", "Alice", Some("alice"))
        .unwrap();
    backend.authorize_key(1, alice).unwrap();
    backend
        .send_message_as(alice, tgwire_testserver::backend::Peer::User(alice), "note")
        .unwrap();
    backend.save().unwrap();
    let json = std::fs::read(&path).unwrap();
    let mut input = vec![1];
    u16_prefixed(&mut input, &json);
    input.push(0);
    u16_prefixed(&mut input, &requests()[3].1);
    seeds.write("testserver_backend", "data_file", &input);
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    let seeds = Seeds { root };
    let now = Instant::from_unix_secs(1_700_000_000);
    tl_seeds(&seeds, now);
    crypto_seeds(&seeds);
    mtproto_seeds(&seeds, now);
    net_seeds(&seeds);
    session_seeds(&seeds);
    client_seeds(&seeds);
    testserver_seeds(&seeds);
    println!("seeds written under {}", seeds.root.display());
}
