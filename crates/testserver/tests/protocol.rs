//! The protocol side over real loopback TCP, driven by the project's own client-role cores:
//! every transport, both RSA paddings, keys kept across connections and DCs, -404 for unknown
//! keys, temporary keys bound with `auth.bindTempAuthKey`, sessions resumed on a new
//! connection, and MTProxy `dd`/`ee` routing.

mod common;

use std::net::SocketAddr;

use anyhow::Result;
use common::{all_transports, now, Client, Raw, Received};
use tgwire_crypto::{
    decrypt_message, derive_aes_key_iv_v1, encrypt_message, ige_encrypt, msg_key_v1, AuthKey, Side,
};
use tgwire_mtproto::auth::client::RsaPadding;
use tgwire_net::{MtProxySecret, Proxy, TransportKind};
use tgwire_testserver::{Config, TestServer};
use tgwire_tl_types::mtproto::{enums as mt_enums, types as mt_types};
use tgwire_tl_types::{functions, Serializable};

fn addr(server: &TestServer, dc: i32) -> SocketAddr {
    let d = server.dc(dc).expect("DC exists");
    format!("{}:{}", d.host, d.port).parse().unwrap()
}

/// A client with a fresh key (made over DC `dc`'s address) on transport `kind`.
async fn new_client(server: &TestServer, dc: i32, kind: TransportKind) -> Result<Client> {
    Client::connect_new(addr(server, dc), kind, server.rsa_public_key()).await
}

#[tokio::test]
async fn every_transport_creates_a_key_and_runs_a_call() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    for (i, kind) in all_transports().into_iter().enumerate() {
        let padding = if i % 2 == 0 {
            RsaPadding::RsaPad
        } else {
            RsaPadding::Old
        };
        let mut raw = Raw::connect(addr(&server, 2), 2, kind).await?;
        let finished = raw
            .create_key(server.rsa_public_key(), padding, None)
            .await?;
        // Salt 0 first: the server must answer bad_server_salt, then the call.
        let mut client = Client::new(raw, finished.auth_key, 0);
        let this_dc = client
            .nearest_dc()
            .await
            .map_err(|e| e.context(format!("{kind:?}")))?;
        assert_eq!(this_dc, 2, "{kind:?}");
        assert!(
            client.saw_salt_change(),
            "{kind:?}: salt 0 was accepted: {:?}",
            client.events
        );
        assert!(client.saw_new_session(), "{kind:?}: no new_session_created");
    }
    assert_eq!(server.auth_key_count(), all_transports().len());
    server.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn keys_outlive_connections_and_work_on_every_dc() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    let mut first = new_client(&server, 1, TransportKind::Intermediate).await?;
    first.nearest_dc().await?;
    let key = first.session.auth_key().clone();
    let salt = first.session.salt();
    drop(first);

    for dc in 1..=3 {
        let raw = Raw::connect(addr(&server, dc), dc as i16, TransportKind::Abridged).await?;
        let mut again = Client::new(raw, key.clone(), salt);
        let this_dc = again.nearest_dc().await?;
        assert_eq!(this_dc, dc);
        // The salt learnt on the first connection is still good.
        assert!(!again.saw_salt_change(), "DC {dc}: {:?}", again.events);
    }
    assert_eq!(server.auth_key_count(), 1);
    server.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_session_continues_on_a_new_connection() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    let mut client = new_client(&server, 2, TransportKind::Full).await?;
    client.nearest_dc().await?;
    let sessions = server.session_count();

    // Same session object (same id, msg_id and seq_no state) over a new TCP connection.
    client.raw = Raw::connect(addr(&server, 2), 2, TransportKind::Abridged).await?;
    client.events.clear();
    client.nearest_dc().await?;
    assert!(
        !client.saw_new_session(),
        "the server started over: {:?}",
        client.events
    );
    assert_eq!(server.session_count(), sessions);
    server.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn unknown_keys_get_transport_error_404() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    let raw = Raw::connect(addr(&server, 2), 2, TransportKind::Intermediate).await?;
    let mut client = Client::new(raw, AuthKey::from_bytes([0x42; 256]), 0);
    client.flush().await?;
    client
        .session
        .enqueue(functions::help::GetNearestDc.to_bytes());
    client.flush().await?;
    match client.raw.recv().await? {
        Received::Status(code) => assert_eq!(code, -404),
        other => panic!("expected -404, got {other:?}"),
    }
    server.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn a_garbage_handshake_closes_only_that_connection() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    let mut raw = Raw::connect(addr(&server, 2), 2, TransportKind::Abridged).await?;
    // A plain message whose body is no req_pq.
    let mut packet = vec![0u8; 8];
    packet.extend_from_slice(&((now().unix_secs() << 32) as i64).to_le_bytes());
    packet.extend_from_slice(&8u32.to_le_bytes());
    packet.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]);
    raw.send(&packet).await?;
    assert!(matches!(raw.recv().await?, Received::Closed));
    // The server still serves.
    new_client(&server, 2, TransportKind::Abridged)
        .await?
        .nearest_dc()
        .await?;
    server.shutdown().await;
    Ok(())
}

/// The MTProto 1.0 binding message of `auth.bindTempAuthKey`, built from the spec's text.
fn binding_message(perm: &AuthKey, msg_id: i64, inner: mt_types::BindAuthKeyInner) -> Vec<u8> {
    let data = mt_enums::BindAuthKeyInner::from(inner).to_bytes();
    let mut plain = rand::random::<[u8; 16]>().to_vec();
    plain.extend_from_slice(&msg_id.to_le_bytes());
    plain.extend_from_slice(&0i32.to_le_bytes());
    plain.extend_from_slice(&(data.len() as u32).to_le_bytes());
    plain.extend_from_slice(&data);
    let msg_key = msg_key_v1(&plain);
    plain.resize(plain.len().div_ceil(16) * 16, 0);
    let (key, iv) = derive_aes_key_iv_v1(perm, &msg_key, Side::Client);
    ige_encrypt(&mut plain, &key, &iv).unwrap();
    let mut out = perm.id().to_le_bytes().to_vec();
    out.extend_from_slice(&msg_key);
    out.extend_from_slice(&plain);
    out
}

/// Encrypts one message by hand: the client session core assigns msg_ids itself, but the
/// binding message must embed the msg_id of the very request that carries it.
fn seal(key: &AuthKey, salt: i64, session_id: i64, msg_id: i64, body: &[u8]) -> Vec<u8> {
    let mut plain = Vec::new();
    plain.extend_from_slice(&salt.to_le_bytes());
    plain.extend_from_slice(&session_id.to_le_bytes());
    plain.extend_from_slice(&msg_id.to_le_bytes());
    plain.extend_from_slice(&1i32.to_le_bytes()); // first content-related message
    plain.extend_from_slice(&(body.len() as u32).to_le_bytes());
    plain.extend_from_slice(body);
    let padding = 12 + (16 - (plain.len() + 12) % 16) % 16;
    plain.extend(std::iter::repeat_n(0x33, padding));
    let mut out = Vec::new();
    encrypt_message(key, Side::Client, &plain, &mut out).unwrap();
    out
}

/// Reads server packets on `raw` until one holds `rpc_result` for `msg_id`; returns the result
/// object's first bytes (found by searching the plaintext, which is enough for a test).
async fn rpc_result_for(raw: &mut Raw, key: &AuthKey, msg_id: i64) -> Result<Vec<u8>> {
    let mut needle = 0xf35c_6d01u32.to_le_bytes().to_vec();
    needle.extend_from_slice(&msg_id.to_le_bytes());
    loop {
        let packet = raw.recv_packet().await?;
        let mut plain = Vec::new();
        if decrypt_message(key, Side::Server, &packet, &mut plain).is_err() {
            continue;
        }
        if let Some(at) = plain
            .windows(needle.len())
            .position(|w| w == needle.as_slice())
        {
            return Ok(plain[at + needle.len()..].to_vec());
        }
    }
}

#[tokio::test]
async fn temporary_keys_bind_to_permanent_ones() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    let key = server.rsa_public_key().clone();
    let mut perm_raw = Raw::connect(addr(&server, 2), 2, TransportKind::Intermediate).await?;
    let perm = perm_raw
        .create_key(&key, RsaPadding::RsaPad, None)
        .await?
        .auth_key;

    let mut raw = Raw::connect(addr(&server, 2), 2, TransportKind::Intermediate).await?;
    let temp = raw.create_key(&key, RsaPadding::Old, Some(3600)).await?;
    assert_eq!(temp.expires_in, Some(3600));
    let temp_key = temp.auth_key;
    // Learn a valid salt with an ordinary session.
    let mut client = Client::new(raw, temp_key.clone(), 0);
    client.nearest_dc().await?;
    let salt = client.session.salt();

    let expires_at = (now().unix_secs() + 3600) as i32;
    let nonce = rand::random::<i64>();
    let bind = |msg_id: i64, session_id: i64| functions::auth::BindTempAuthKey {
        perm_auth_key_id: perm.id(),
        nonce,
        expires_at,
        encrypted_message: binding_message(
            &perm,
            msg_id,
            mt_types::BindAuthKeyInner {
                nonce,
                temp_auth_key_id: temp_key.id(),
                perm_auth_key_id: perm.id(),
                temp_session_id: session_id,
                expires_at,
            },
        )
        .into(),
    };
    let fresh_msg_id =
        || ((now().unix_secs() as i64) << 32) | (rand::random::<i64>() & 0x7fff_fffc);
    let rpc_error = 0x2144_ca19u32.to_le_bytes();

    // A binding message naming another session is refused, and binds nothing.
    let session_id = rand::random::<i64>();
    let msg_id = fresh_msg_id();
    let body = bind(msg_id, session_id ^ 1).to_bytes();
    client
        .raw
        .send(&seal(&temp_key, salt, session_id, msg_id, &body))
        .await?;
    let answer = rpc_result_for(&mut client.raw, &temp_key, msg_id).await?;
    assert_eq!(answer[..4], rpc_error);
    assert!(answer
        .windows(25)
        .any(|w| w == b"ENCRYPTED_MESSAGE_INVALID"));

    // One whose inner msg_id is not the request's own is refused too.
    let session_id = rand::random::<i64>();
    let msg_id = fresh_msg_id();
    let body = bind(msg_id + 4, session_id).to_bytes();
    client
        .raw
        .send(&seal(&temp_key, salt, session_id, msg_id, &body))
        .await?;
    let answer = rpc_result_for(&mut client.raw, &temp_key, msg_id).await?;
    assert_eq!(answer[..4], rpc_error);

    // The real thing.
    let session_id = rand::random::<i64>();
    let msg_id = fresh_msg_id();
    let body = bind(msg_id, session_id).to_bytes();
    client
        .raw
        .send(&seal(&temp_key, salt, session_id, msg_id, &body))
        .await?;
    let answer = rpc_result_for(&mut client.raw, &temp_key, msg_id).await?;
    assert_eq!(answer[..4], tgwire_tl_types::BOOL_TRUE_ID.to_le_bytes());

    // Binding is per call site of a temporary key: under the permanent key it is refused.
    let mut perm_client = Client::new(perm_raw, perm.clone(), 0);
    perm_client.nearest_dc().await?;
    let perm_salt = perm_client.session.salt();
    let session_id = rand::random::<i64>();
    let msg_id = fresh_msg_id();
    let body = bind(msg_id, session_id).to_bytes();
    perm_client
        .raw
        .send(&seal(&perm, perm_salt, session_id, msg_id, &body))
        .await?;
    let answer = rpc_result_for(&mut perm_client.raw, &perm, msg_id).await?;
    assert!(answer.windows(19).any(|w| w == b"TEMP_AUTH_KEY_EMPTY"));
    server.shutdown().await;
    Ok(())
}

async fn proxy_round_trip(secret_hex: &str) -> Result<()> {
    let secret: MtProxySecret = secret_hex.parse()?;
    let server = TestServer::start(Config {
        proxy_secret: Some(secret.clone()),
        ..Config::default()
    })
    .await?;
    let p = server.proxy().expect("proxy listens").clone();
    assert_eq!(p.secret, secret_hex);
    let proxy = Proxy::MtProxy {
        addr: format!("{}:{}", p.host, p.port).parse()?,
        secret,
    };
    for dc in [1i16, 3] {
        let mut raw = Raw::connect_via(
            addr(&server, 1),
            dc,
            TransportKind::PaddedIntermediate,
            Some(&proxy),
        )
        .await?;
        let finished = raw
            .create_key(server.rsa_public_key(), RsaPadding::RsaPad, None)
            .await?;
        let mut client = Client::new(raw, finished.auth_key, 0);
        let this_dc = client.nearest_dc().await?;
        assert_eq!(this_dc, i32::from(dc), "routed by the obfuscated2 header");
    }
    server.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn mtproxy_dd_routes_to_the_requested_dc() -> Result<()> {
    proxy_round_trip("dd0123456789abcdef0123456789abcdef").await
}

#[tokio::test]
async fn mtproxy_ee_routes_to_the_requested_dc() -> Result<()> {
    // ee ‖ key ‖ "example.com"
    proxy_round_trip("ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d").await
}

#[tokio::test]
async fn dc_ports_refuse_http_and_keep_serving() -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = TestServer::start(Config::default()).await?;
    let mut tcp = tokio::net::TcpStream::connect(addr(&server, 1)).await?;
    tcp.write_all(b"GET / HTTP/1.1\r\n\r\n").await?;
    let mut buf = [0u8; 16];
    let n = tokio::time::timeout(common::TIMEOUT, tcp.read(&mut buf)).await??;
    assert_eq!(n, 0, "closed without an answer");
    new_client(&server, 1, TransportKind::Abridged)
        .await?
        .nearest_dc()
        .await?;
    server.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn garbage_frames_never_take_the_server_down() -> Result<()> {
    use rand::{Rng, RngCore};
    let server = TestServer::start(Config::default()).await?;
    let known = new_client(&server, 2, TransportKind::Abridged)
        .await?
        .session
        .auth_key()
        .id();
    let mut rng = rand::thread_rng();
    for kind in all_transports() {
        for round in 0..8 {
            let mut raw = Raw::connect(addr(&server, 2), 2, kind).await?;
            for _ in 0..4 {
                let mut packet = vec![0u8; rng.gen_range(1..300) * 4];
                rng.fill_bytes(&mut packet);
                // Aim some packets at the handshake and at a real key, so they get past routing.
                let head = packet.len().min(8);
                match round % 3 {
                    0 => packet[..head].fill(0),
                    1 if packet.len() >= 8 => packet[..8].copy_from_slice(&known.to_le_bytes()),
                    _ => {}
                }
                if raw.send(&packet).await.is_err() {
                    break; // closed on us: fine
                }
            }
        }
    }
    // Unframed noise too.
    for _ in 0..8 {
        use tokio::io::AsyncWriteExt;
        let mut tcp = tokio::net::TcpStream::connect(addr(&server, 1)).await?;
        let mut noise = vec![0u8; rng.gen_range(1..2000)];
        rng.fill_bytes(&mut noise);
        let _ = tcp.write_all(&noise).await;
    }
    new_client(&server, 2, TransportKind::Full)
        .await?
        .nearest_dc()
        .await?;
    server.shutdown().await;
    Ok(())
}

/// The `Update` events (pushed `Updates`, serialized) the client saw so far.
fn updates_seen(client: &Client) -> usize {
    client
        .events
        .iter()
        .filter(|e| matches!(e, tgwire_mtproto::Event::Update { .. }))
        .count()
}

#[tokio::test]
async fn only_sessions_that_asked_for_updates_get_them() -> Result<()> {
    use tgwire_testserver::backend::Peer;
    let server = TestServer::start(Config::default()).await?;
    let mut client = new_client(&server, 2, TransportKind::Intermediate).await?;
    let backend = server.backend();
    let me = backend.create_user("9996620001", "Me", None)?;
    let friend = backend.create_user("9996620002", "Friend", None)?;
    backend.authorize_key(client.session.auth_key().id(), me)?;
    let quiet = || {
        functions::InvokeWithoutUpdates {
            query: functions::updates::GetState,
        }
        .to_bytes()
    };

    // Only `invokeWithoutUpdates` (and file transfers) so far: not subscribed.
    client.call_ok(quiet()).await?;
    backend.send_message_as(friend, Peer::User(me), "unseen")?;
    client.call_ok(quiet()).await?;
    client.call_ok(quiet()).await?;
    assert_eq!(updates_seen(&client), 0, "{:?}", client.events);

    // A plain query subscribes the session.
    client
        .call_ok(functions::updates::GetState.to_bytes())
        .await?;
    backend.send_message_as(friend, Peer::User(me), "seen")?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while updates_seen(&client) == 0 && std::time::Instant::now() < deadline {
        client.call_ok(quiet()).await?;
    }
    assert_eq!(updates_seen(&client), 1, "{:?}", client.events);
    Ok(())
}
