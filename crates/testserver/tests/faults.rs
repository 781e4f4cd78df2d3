//! Fault injection, smoke-tested over loopback with the raw client: the protocol-side faults
//! (delayed answers, disconnects, clock skew, salt expiry) and one backend fault (flood wait)
//! to show the handle reaches both halves.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Result;
use common::{Client, Raw};
use tgwire_mtproto::Event;
use tgwire_net::TransportKind;
use tgwire_testserver::{Config, TestServer};
use tgwire_tl_types::{functions, Serializable};

fn addr(server: &TestServer) -> SocketAddr {
    let d = server.dc(2).unwrap();
    format!("{}:{}", d.host, d.port).parse().unwrap()
}

fn ping() -> Vec<u8> {
    functions::help::GetNearestDc.to_bytes()
}

async fn ready_client(server: &TestServer) -> Result<Client> {
    let mut client = Client::connect_new(
        addr(server),
        TransportKind::Intermediate,
        server.rsa_public_key(),
    )
    .await?;
    client.call_ok(ping()).await?;
    client.events.clear();
    Ok(client)
}

#[tokio::test]
async fn answers_can_be_delayed() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    let mut client = ready_client(&server).await?;
    server.faults().delay_answers(Duration::from_millis(400));
    let started = Instant::now();
    client.call_ok(ping()).await?;
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    server.faults().delay_answers(Duration::ZERO);
    Ok(())
}

#[tokio::test]
async fn a_forced_disconnect_drops_the_connection_and_the_session_survives() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    let mut client = ready_client(&server).await?;
    server.faults().disconnect_now();
    let err = client
        .call(ping())
        .await
        .expect_err("the connection should drop");
    assert!(err.to_string().contains("connection ended"), "{err:#}");

    // Same key, same session, new connection: it carries on (no new session on the server).
    client.raw = Raw::connect(addr(&server), 2, TransportKind::Full).await?;
    client.call_ok(ping()).await?;
    assert!(!client.saw_new_session(), "{:?}", client.events);
    Ok(())
}

#[tokio::test]
async fn clock_skew_makes_clients_correct_their_offset() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    // Server 120 s behind: a client that trusts its own clock sends msg_ids 120 s in the future
    // (more than the 30 s allowed), so the server answers bad_msg_notification 17 carrying its
    // time, and the client adjusts and resends. (Armed before the session starts: msg_ids must
    // grow within a session, so a clock moved back mid-session needs a new session.)
    server.faults().clock_skew(-120);
    let mut client = Client::connect_new(
        addr(&server),
        TransportKind::Intermediate,
        server.rsa_public_key(),
    )
    .await?;
    client.call_ok(ping()).await?;
    let offset = client.events.iter().find_map(|e| match e {
        Event::TimeOffsetChanged { offset } => Some(*offset),
        _ => None,
    });
    assert!(
        offset.is_some_and(|o| (-125..=-115).contains(&o)),
        "offset {offset:?}, events {:?}",
        client.events
    );
    Ok(())
}

#[tokio::test]
async fn expired_salts_are_refused_in_new_sessions() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    let client = ready_client(&server).await?;
    let (key, salt) = (client.session.auth_key().clone(), client.session.salt());

    // Before the fault, a new session with the known salt goes through without a retry.
    let raw = Raw::connect(addr(&server), 2, TransportKind::Abridged).await?;
    let mut before = Client::new(raw, key.clone(), salt);
    before.call_ok(ping()).await?;
    assert!(!before.saw_salt_change());

    server.faults().expire_salts();
    let raw = Raw::connect(addr(&server), 2, TransportKind::Abridged).await?;
    let mut after = Client::new(raw, key, salt);
    after.call_ok(ping()).await?;
    let new_salt = after.events.iter().find_map(|e| match e {
        Event::SaltChanged { salt } => Some(*salt),
        _ => None,
    });
    assert!(
        new_salt.is_some_and(|s| s != salt),
        "bad_server_salt expected: {:?}",
        after.events
    );
    Ok(())
}

#[tokio::test]
async fn backend_faults_arrive_as_rpc_errors() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    let mut client = ready_client(&server).await?;
    server.faults().flood_wait("help.getNearestDc", 7);
    let error = client.call(ping()).await?.expect_err("flood wait expected");
    assert_eq!(
        (error.code, error.name.as_str(), error.value),
        (420, "FLOOD_WAIT", Some(7))
    );
    client.call_ok(ping()).await?;
    Ok(())
}

fn get_state() -> Vec<u8> {
    functions::updates::GetState.to_bytes()
}

fn decode_state(bytes: &[u8]) -> Result<tgwire_tl_types::types::updates::State> {
    use tgwire_tl_types::Deserializable;
    let tgwire_tl_types::enums::updates::State::State(state) =
        tgwire_tl_types::enums::updates::State::from_bytes(bytes)?;
    Ok(state)
}

#[tokio::test]
async fn disconnect_all_closes_every_connection_and_sessions_carry_on() -> Result<()> {
    let server = TestServer::start(Config::default()).await?;
    let mut first = ready_client(&server).await?;
    let mut second = ready_client(&server).await?;
    server.disconnect_all();
    for client in [&mut first, &mut second] {
        // The server closed it: the next call fails (ended or reset, depending on timing).
        client.call(ping()).await.expect_err("dropped");
        client.raw = Raw::connect(addr(&server), 2, TransportKind::Intermediate).await?;
        client.call_ok(ping()).await?;
        assert!(!client.saw_new_session(), "{:?}", client.events);
    }
    Ok(())
}

#[tokio::test]
async fn a_restart_drops_connections_reloads_the_data_file_and_keeps_keys() -> Result<()> {
    use tgwire_testserver::backend::Peer;
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("state.json");
    let mut server = TestServer::start(Config {
        data_file: Some(data.clone()),
        ..Config::default()
    })
    .await?;
    let ports: Vec<u16> = server.dcs().iter().map(|d| d.port).collect();
    let mut client = ready_client(&server).await?;
    let key_id = client.session.auth_key().id();
    let backend = server.backend().clone();
    let me = backend.create_user("9996620001", "Me", None)?;
    let friend = backend.create_user("9996620002", "Friend", None)?;
    backend.authorize_key(key_id, me)?;
    backend.send_message_as(friend, Peer::User(me), "before the restart")?;
    let before = decode_state(&client.call_ok(get_state()).await?)?;
    assert_eq!(before.pts, 1);

    // Something only the file knows, to show the state is read back from it.
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&data)?)?;
    json["boxes"][me.to_string()]["seq"] = 7.into();
    std::fs::write(&data, serde_json::to_vec(&json)?)?;

    server.restart().await?;
    assert_eq!(
        server.dcs().iter().map(|d| d.port).collect::<Vec<_>>(),
        ports,
        "same ports"
    );
    assert_eq!(server.session_count(), 0, "sessions are forgotten");
    client
        .call(ping())
        .await
        .expect_err("the old connection is gone");

    // Same key, same session id, new connection: the server makes a new session for it, and
    // the key is still signed in with the state from the file.
    client.raw = Raw::connect(addr(&server), 2, TransportKind::Intermediate).await?;
    let after = decode_state(&client.call_ok(get_state()).await?)?;
    assert!(client.saw_new_session(), "{:?}", client.events);
    assert_eq!((after.pts, after.seq), (1, 7));
    // The backend handle taken before the restart still works.
    assert_eq!(backend.history(me, Peer::User(friend)).len(), 1);
    server.shutdown().await;
    Ok(())
}
