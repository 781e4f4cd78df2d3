//! The connection as the client shows it: state changes across a dropped link, clean
//! disconnects, request timeouts, transports, an MTProxy, and the app fields the server sees.

mod common;

use std::sync::Arc;
use std::time::Duration;

use tgwire::net::{
    ConnectionState, DisconnectReason, Framing, MtProxySecret, Proxy, TransportKind,
};
use tgwire::{InvocationError, MemoryStorage, Storage};
use tgwire_testserver::{Config, TestServer};

#[tokio::test]
async fn connection_state_follows_a_dropped_link_and_the_reconnect() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0001").await;
    let mut state = client.watch_connection_state();
    let initial = state.borrow_and_update().clone();
    assert!(initial.is_connected(), "{initial:?}");
    let watcher = tokio::spawn(async move {
        let mut seen = Vec::new();
        while state.changed().await.is_ok() {
            let now = state.borrow_and_update().clone();
            let back = now.is_connected() && !seen.is_empty();
            seen.push(now);
            if back {
                break;
            }
        }
        seen
    });

    // The server drops the connection instead of answering; the request survives it.
    server.faults().disconnect_now();
    let me = client.get_me().await?;
    assert!(me.is_self());
    let seen = tokio::time::timeout(Duration::from_secs(20), watcher).await??;
    assert!(
        matches!(
            seen.first(),
            Some(ConnectionState::Disconnected { .. } | ConnectionState::Reconnecting { .. })
        ),
        "{seen:?}"
    );
    assert!(
        seen.last().is_some_and(ConnectionState::is_connected),
        "{seen:?}"
    );
    assert!(client.connection_state().is_connected());
    Ok(())
}

#[tokio::test]
async fn disconnect_fails_pending_requests_and_closes_every_clone() -> anyhow::Result<()> {
    let server = common::start().await;
    let (client, _) = common::signed_in(&server, 2, "0002").await;
    let mut state = client.watch_connection_state();
    server.faults().delay_answers(Duration::from_secs(5));
    let clone = client.clone();
    let pending = tokio::spawn(async move { clone.get_me().await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    client.disconnect().await;
    let result = tokio::time::timeout(Duration::from_secs(3), pending).await??;
    assert!(
        matches!(result, Err(InvocationError::Closed(_))),
        "{result:?}"
    );
    state.changed().await?;
    assert!(
        matches!(
            *state.borrow(),
            ConnectionState::Closed {
                reason: DisconnectReason::Shutdown
            }
        ),
        "{:?}",
        *state.borrow()
    );
    let after = client.clone().send_message("me", "too late").await;
    assert!(
        matches!(after, Err(InvocationError::Closed(_))),
        "{after:?}"
    );
    Ok(())
}

#[tokio::test]
async fn request_timeout_is_a_typed_error() -> anyhow::Result<()> {
    let server = common::start().await;
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let client = common::builder(&server, 2)
        .session_shared(storage)
        .request_timeout(Some(Duration::from_secs(1)))
        .connect()
        .await?;
    server.faults().delay_answers(Duration::from_secs(3));
    let slow = client.is_authorized().await;
    assert!(
        matches!(slow, Err(InvocationError::Timeout(t)) if t == Duration::from_secs(1)),
        "{slow:?}"
    );
    server.faults().delay_answers(Duration::ZERO);
    // The server runs one connection's queries in order, so the next one would queue behind
    // the delayed answer and time out too: let that answer go out first.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!client.is_authorized().await?, "usable afterwards");
    Ok(())
}

#[tokio::test]
async fn every_transport_and_an_mtproxy_reach_the_server() -> anyhow::Result<()> {
    let secret_hex = "dd0123456789abcdef0123456789abcdef";
    let secret: MtProxySecret = secret_hex.parse()?;
    let server = TestServer::start(Config {
        proxy_secret: Some(secret.clone()),
        ..Config::default()
    })
    .await?;
    for (i, transport) in [
        TransportKind::Abridged,
        TransportKind::Intermediate,
        TransportKind::PaddedIntermediate,
        TransportKind::Full,
        TransportKind::Obfuscated(Framing::Intermediate),
    ]
    .into_iter()
    .enumerate()
    {
        let client = common::builder(&server, 2)
            .in_memory()
            .transport(transport)
            .connect()
            .await?;
        let token = client.request_login_code(&format!("999662000{i}")).await?;
        let me = client.sign_in(&token, "22222").await?;
        assert_eq!(client.get_me().await?.id(), me.id(), "{transport:?}");
        client.disconnect().await;
    }
    let p = server.proxy().expect("the proxy listens").clone();
    let client = common::builder(&server, 2)
        .in_memory()
        .transport(TransportKind::Obfuscated(Framing::PaddedIntermediate))
        .proxy(Proxy::MtProxy {
            addr: format!("{}:{}", p.host, p.port).parse()?,
            secret,
        })
        .connect()
        .await?;
    let token = client.request_login_code("9996620009").await?;
    client.sign_in(&token, "22222").await?;
    assert!(client.is_authorized().await?);
    Ok(())
}

#[tokio::test]
async fn app_fields_reach_the_server_in_init_connection() -> anyhow::Result<()> {
    let server = common::start().await;
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::new());
    let client = common::builder(&server, 2)
        .session_shared(Arc::clone(&storage))
        .device_model("Test Rig")
        .system_version("RigOS 2")
        .app_version("9.9.9")
        .lang_code("pt")
        .system_lang_code("pt-BR")
        .connect()
        .await?;
    assert!(!client.is_authorized().await?);
    // The new key reaches the session from the connection's events, off the request path.
    let mut key = storage.auth_key(2);
    for _ in 0..100 {
        if key.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        key = storage.auth_key(2);
    }
    let key = key.expect("a key for DC 2");
    let key_id = tgwire_crypto::AuthKey::from_bytes(*key.as_bytes()).id();
    let info = server
        .client_info(key_id)
        .expect("initConnection was recorded");
    assert_eq!(info.api_id, common::API_ID);
    assert_eq!(info.device_model, "Test Rig");
    assert_eq!(info.system_version, "RigOS 2");
    assert_eq!(info.app_version, "9.9.9");
    assert_eq!(info.lang_code, "pt");
    Ok(())
}
