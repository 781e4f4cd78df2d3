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
