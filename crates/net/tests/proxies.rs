//! Direct, SOCKS5 and HTTP CONNECT connectors end to end over loopback, against tiny proxies
//! written here and echo servers.

mod common;

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use common::proxies::{http_proxy, socks5_proxy};
use common::{assert_echoed, exchange, frame_echo, payloads, raw_echo, Seen};
use tgwire_net::proxy::{direct, http, socks5};
use tgwire_net::server::AcceptOptions;
use tgwire_net::{connect, Credentials, NetError, Proxy, TargetAddr, TransportKind};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TIMEOUT: Duration = Duration::from_secs(5);

async fn assert_raw_echo(stream: &mut TcpStream) {
    let msg: Vec<u8> = (0..50_000u32).map(|i| (i % 255) as u8).collect();
    stream.write_all(&msg).await.unwrap();
    let mut back = vec![0u8; msg.len()];
    stream.read_exact(&mut back).await.unwrap();
    assert_eq!(back, msg);
}

/// A port with nothing listening (bound, then released).
async fn closed_port() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap()
}

#[tokio::test]
async fn direct_tcp_ipv4_and_ipv6() {
    let echo = raw_echo().await;
    let mut s = direct::connect_tcp(echo, TIMEOUT).await.unwrap();
    assert!(s.nodelay().unwrap());
    assert_raw_echo(&mut s).await;

    // IPv6 loopback may be disabled in some sandboxes; the IPv4 case above still ran.
    let Ok(v6) = TcpListener::bind((Ipv6Addr::LOCALHOST, 0)).await else {
        eprintln!("no IPv6 loopback here; IPv6 case skipped");
        return;
    };
    let addr = v6.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut s, peer) = v6.accept().await.unwrap();
        s.write_all(b"v6").await.unwrap();
        peer.is_ipv6()
    });
    let mut s = direct::connect_tcp(addr, TIMEOUT).await.unwrap();
    let mut buf = [0u8; 2];
    s.read_exact(&mut buf).await.unwrap();
    assert_eq!(&buf, b"v6");
    assert!(server.await.unwrap());
}

#[tokio::test]
async fn direct_connect_refused_is_io() {
    let addr = closed_port().await;
    let err = direct::connect_tcp(addr, TIMEOUT).await.unwrap_err();
    assert!(
        matches!(err, NetError::Io(ref e) if e.kind() == std::io::ErrorKind::ConnectionRefused),
        "{err:?}"
    );
}

#[tokio::test]
async fn socks5_without_auth_passes_bytes() {
    let echo = raw_echo().await;
    let proxy = socks5_proxy(None).await;
    let mut s = direct::connect_tcp(proxy, TIMEOUT).await.unwrap();
    socks5::handshake(&mut s, &echo.into(), None).await.unwrap();
    assert_raw_echo(&mut s).await;
}

#[tokio::test]
async fn socks5_with_password_passes_bytes() {
    let echo = raw_echo().await;
    let proxy = socks5_proxy(Some(("alice", "s3cret"))).await;
    let mut s = direct::connect_tcp(proxy, TIMEOUT).await.unwrap();
    let creds = Credentials::new("alice", "s3cret");
    socks5::handshake(&mut s, &echo.into(), Some(&creds))
        .await
        .unwrap();
    assert_raw_echo(&mut s).await;
}

#[tokio::test]
async fn socks5_errors_are_typed() {
    let echo = raw_echo().await;
    let proxy = socks5_proxy(Some(("alice", "s3cret"))).await;
    let target: TargetAddr = echo.into();

    let mut s = direct::connect_tcp(proxy, TIMEOUT).await.unwrap();
    let wrong = Credentials::new("alice", "guess");
    let err = socks5::handshake(&mut s, &target, Some(&wrong))
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::ProxyAuthRejected), "{err:?}");

    let mut s = direct::connect_tcp(proxy, TIMEOUT).await.unwrap();
    let err = socks5::handshake(&mut s, &target, None).await.unwrap_err();
    assert!(matches!(err, NetError::Socks5NoAcceptableMethod), "{err:?}");

    let open = socks5_proxy(None).await;
    let mut s = direct::connect_tcp(open, TIMEOUT).await.unwrap();
    let err = socks5::handshake(&mut s, &closed_port().await.into(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetError::Socks5Refused { reply: 5 }),
        "{err:?}"
    );

    // Not a SOCKS5 server at all: the raw echo repeats our greeting back, whose second byte is
    // a method count, not a method.
    let mut s = direct::connect_tcp(echo, TIMEOUT).await.unwrap();
    let err = socks5::handshake(&mut s, &target, None).await.unwrap_err();
    assert!(matches!(err, NetError::ProxyProtocol { .. }), "{err:?}");
}

#[tokio::test]
async fn http_connect_with_and_without_auth() {
    let echo = raw_echo().await;
    let open = http_proxy(None).await;
    let mut s = direct::connect_tcp(open, TIMEOUT).await.unwrap();
    http::handshake(&mut s, &echo.into(), None).await.unwrap();
    assert_raw_echo(&mut s).await;

    // base64("bob:hunter2")
    let guarded = http_proxy(Some("Ym9iOmh1bnRlcjI=")).await;
    let mut s = direct::connect_tcp(guarded, TIMEOUT).await.unwrap();
    let creds = Credentials::new("bob", "hunter2");
    http::handshake(&mut s, &echo.into(), Some(&creds))
        .await
        .unwrap();
    assert_raw_echo(&mut s).await;
}

#[tokio::test]
async fn http_connect_errors_are_typed() {
    let echo = raw_echo().await;
    let guarded = http_proxy(Some("Ym9iOmh1bnRlcjI=")).await;
    let mut s = direct::connect_tcp(guarded, TIMEOUT).await.unwrap();
    let wrong = Credentials::new("bob", "hunter3");
    let err = http::handshake(&mut s, &echo.into(), Some(&wrong))
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::ProxyAuthRejected), "{err:?}");

    let mut s = direct::connect_tcp(guarded, TIMEOUT).await.unwrap();
    let err = http::handshake(&mut s, &echo.into(), None)
        .await
        .unwrap_err();
    assert!(matches!(err, NetError::ProxyAuthRequired), "{err:?}");

    let open = http_proxy(None).await;
    let mut s = direct::connect_tcp(open, TIMEOUT).await.unwrap();
    let err = http::handshake(&mut s, &closed_port().await.into(), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, NetError::HttpProxyStatus { status: 502 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn silent_proxy_hits_the_connect_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // Accepts and then says nothing, holding the socket open.
    let hold = tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(5)).await;
        drop(s);
    });
    let proxy = Proxy::Socks5 {
        addr,
        credentials: None,
    };
    let target = SocketAddr::from((Ipv4Addr::LOCALHOST, 1));
    let started = std::time::Instant::now();
    let err = connect(
        target,
        2,
        TransportKind::Abridged,
        Some(&proxy),
        Duration::from_millis(300),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, NetError::ConnectTimeout { addr: a } if a == addr),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    hold.abort();
}

/// Every transport over every non-MTProxy route, through `connect`, to a server that decodes
/// and re-encodes frames with the crate's own server side.
#[tokio::test]
async fn every_transport_over_every_route() {
    let (server, mut seen) = frame_echo(AcceptOptions::default()).await;
    let socks = socks5_proxy(Some(("u", "p"))).await;
    let http = http_proxy(None).await;
    let routes = [
        None,
        Some(Proxy::Socks5 {
            addr: socks,
            credentials: Some(Credentials::new("u", "p")),
        }),
        Some(Proxy::Http {
            addr: http,
            credentials: None,
        }),
    ];
    let kinds = TransportKind::ALL;
    let sent = payloads();
    for route in &routes {
        for kind in kinds {
            let mut conn = connect(server, 4, kind, route.as_ref(), TIMEOUT)
                .await
                .unwrap_or_else(|e| panic!("{kind:?} via {route:?}: {e}"));
            let got = exchange(&mut conn.stream, &mut conn.transport, &sent).await;
            assert_echoed(&sent, &got);
            let dc = match seen.recv().await.unwrap() {
                Seen::Accepted(dc) => dc,
                Seen::Refused(e) => panic!("{kind:?} via {route:?} refused: {e}"),
            };
            let expected_dc = matches!(kind, TransportKind::Obfuscated(_)).then_some(4);
            assert_eq!(dc, expected_dc, "{kind:?}");
        }
    }
}
