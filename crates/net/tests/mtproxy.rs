//! MTProxy end to end over loopback: the client connector against the crate's own server-side
//! acceptor, for plain, `dd` and `ee` (fake-TLS) secrets.

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{assert_echoed, exchange, frame_echo, payloads, Seen};
use tgwire_net::proxy::mtproxy;
use tgwire_net::server::AcceptOptions;
use tgwire_net::{
    connect, Framing, MtProxyError, MtProxySecret, NetError, NetStream, Proxy, TransportError,
    TransportKind,
};

const TIMEOUT: Duration = Duration::from_secs(5);
const PLAIN: &str = "0123456789abcdef0123456789abcdef";
const DD: &str = "dd0123456789abcdef0123456789abcdef";
/// `ee` + key + "example.com"
const EE: &str = "ee0123456789abcdef0123456789abcdef6578616d706c652e636f6d";

fn secret(s: &str) -> MtProxySecret {
    s.parse().unwrap()
}

async fn proxy_with(s: &str) -> (SocketAddr, tokio::sync::mpsc::UnboundedReceiver<Seen>) {
    frame_echo(AcceptOptions {
        secret: Some(secret(s)),
        ..AcceptOptions::default()
    })
    .await
}

async fn round_trip(secret_hex: &str, framing: Option<Framing>, dc_id: i16) {
    let (addr, mut seen) = proxy_with(secret_hex).await;
    let (mut stream, mut codec) =
        mtproxy::connect(addr, &secret(secret_hex), dc_id, framing, TIMEOUT)
            .await
            .unwrap();
    let is_tls = matches!(stream, NetStream::FakeTls(_));
    assert_eq!(is_tls, secret_hex.starts_with("ee"));
    let sent = payloads();
    let got = exchange(&mut stream, &mut codec, &sent).await;
    assert_echoed(&sent, &got);
    // A second batch on the same connection: the cipher streams stay in step.
    let got = exchange(&mut stream, &mut codec, &sent).await;
    assert_echoed(&sent, &got);
    match seen.recv().await.unwrap() {
        Seen::Accepted(dc) => assert_eq!(dc, Some(dc_id)),
        Seen::Refused(e) => panic!("refused: {e}"),
    }
}

#[tokio::test]
async fn plain_secret_with_each_framing() {
    for framing in [
        Framing::Abridged,
        Framing::Intermediate,
        Framing::PaddedIntermediate,
    ] {
        round_trip(PLAIN, Some(framing), 2).await;
    }
}

#[tokio::test]
async fn dd_secret_round_trip() {
    round_trip(DD, None, -4).await;
}

#[tokio::test]
async fn ee_fake_tls_round_trip() {
    round_trip(EE, None, 10_005).await;
}

#[tokio::test]
async fn connect_routes_through_mtproxy() {
    let (addr, _seen) = proxy_with(EE).await;
    let proxy = Proxy::MtProxy {
        addr,
        secret: secret(EE),
    };
    // The DC address is the proxy's business: any target will do.
    let target: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let mut conn = connect(
        target,
        2,
        TransportKind::PaddedIntermediate,
        Some(&proxy),
        TIMEOUT,
    )
    .await
    .unwrap();
    let sent = payloads();
    let got = exchange(&mut conn.stream, &mut conn.transport, &sent).await;
    assert_echoed(&sent, &got);

    let err = connect(target, 2, TransportKind::Full, Some(&proxy), TIMEOUT)
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetError::MtProxy(MtProxyError::UnsupportedTransport)),
        "{err:?}"
    );
}

#[tokio::test]
async fn ee_with_another_key_is_refused_by_the_proxy() {
    let (addr, mut seen) = proxy_with(EE).await;
    let other = secret(&format!(
        "ee{}{}",
        "00".repeat(16),
        hex::encode("example.com")
    ));
    let err = mtproxy::connect(addr, &other, 2, None, TIMEOUT)
        .await
        .unwrap_err();
    // The proxy hangs up on a hello it cannot verify.
    assert!(
        matches!(
            err,
            NetError::ClosedDuringHandshake { .. } | NetError::Io(_)
        ),
        "{err:?}"
    );
    match seen.recv().await.unwrap() {
        Seen::Refused(NetError::MtProxy(MtProxyError::ClientDigestMismatch)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn ee_with_another_domain_is_refused_by_the_proxy() {
    let (addr, mut seen) = proxy_with(EE).await;
    // Same key, "example.org".
    let other = secret("ee0123456789abcdef0123456789abcdef6578616d706c652e6f7267");
    assert!(mtproxy::connect(addr, &other, 2, None, TIMEOUT)
        .await
        .is_err());
    match seen.recv().await.unwrap() {
        Seen::Refused(NetError::MtProxy(MtProxyError::DomainMismatch)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn dd_with_another_key_or_framing_is_refused() {
    let (addr, mut seen) = proxy_with(DD).await;
    let sent = [vec![1u8; 40]];

    let other = secret("dd00000000000000000000000000000000");
    let (mut stream, mut codec) = mtproxy::connect(addr, &other, 2, None, TIMEOUT)
        .await
        .unwrap();
    let mut wire = Vec::new();
    tgwire_net::Transport::encode(&mut codec, &sent[0], &mut wire).unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stream, &wire)
        .await
        .unwrap();
    match seen.recv().await.unwrap() {
        Seen::Refused(NetError::Transport(TransportError::BadObfuscatedTag { .. })) => {}
        other => panic!("{other:?}"),
    }

    // The right key as a plain secret with intermediate framing: a dd proxy insists on padding.
    let plain = secret(PLAIN);
    let (mut stream, mut codec) =
        mtproxy::connect(addr, &plain, 2, Some(Framing::Intermediate), TIMEOUT)
            .await
            .unwrap();
    let mut wire = Vec::new();
    tgwire_net::Transport::encode(&mut codec, &sent[0], &mut wire).unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut stream, &wire)
        .await
        .unwrap();
    match seen.recv().await.unwrap() {
        Seen::Refused(NetError::MtProxy(MtProxyError::UnsupportedTransport)) => {}
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_plain_client_at_a_dd_proxy_is_refused() {
    let (addr, mut seen) = proxy_with(DD).await;
    let mut conn = connect(addr, 2, TransportKind::Intermediate, None, TIMEOUT)
        .await
        .unwrap();
    let mut wire = Vec::new();
    tgwire_net::Transport::encode(&mut conn.transport, &[0u8; 80], &mut wire).unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut conn.stream, &wire)
        .await
        .unwrap();
    match seen.recv().await.unwrap() {
        Seen::Refused(NetError::Transport(TransportError::BadObfuscatedTag { .. })) => {}
        other => panic!("{other:?}"),
    }
}
