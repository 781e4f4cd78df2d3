//! Tiny SOCKS5 (RFC 1928/1929, CONNECT only) and HTTP CONNECT proxies for loopback tests.

use std::net::{IpAddr, SocketAddr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

// ---- a SOCKS5 proxy in a few lines (RFC 1928/1929, CONNECT only) ----

pub async fn socks5_proxy(credentials: Option<(&'static str, &'static str)>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = socks5_session(s, credentials).await;
            });
        }
    });
    addr
}

async fn socks5_session(
    mut s: TcpStream,
    credentials: Option<(&str, &str)>,
) -> std::io::Result<()> {
    let mut head = [0u8; 2];
    s.read_exact(&mut head).await?;
    let mut methods = vec![0u8; usize::from(head[1])];
    s.read_exact(&mut methods).await?;
    let wanted = if credentials.is_some() { 2 } else { 0 };
    if !methods.contains(&wanted) {
        return s.write_all(&[5, 0xff]).await;
    }
    s.write_all(&[5, wanted]).await?;
    if let Some((user, pass)) = credentials {
        let mut ver_len = [0u8; 2];
        s.read_exact(&mut ver_len).await?;
        let mut u = vec![0u8; usize::from(ver_len[1])];
        s.read_exact(&mut u).await?;
        let mut p = vec![0u8; usize::from(s.read_u8().await?)];
        s.read_exact(&mut p).await?;
        let ok = u == user.as_bytes() && p == pass.as_bytes();
        s.write_all(&[1, if ok { 0 } else { 1 }]).await?;
        if !ok {
            return Ok(());
        }
    }
    let mut req = [0u8; 4];
    s.read_exact(&mut req).await?;
    let ip = match req[3] {
        1 => {
            let mut b = [0u8; 4];
            s.read_exact(&mut b).await?;
            IpAddr::from(b)
        }
        4 => {
            let mut b = [0u8; 16];
            s.read_exact(&mut b).await?;
            IpAddr::from(b)
        }
        _ => return s.write_all(&[5, 8, 0, 1, 0, 0, 0, 0, 0, 0]).await,
    };
    let port = s.read_u16().await?;
    match TcpStream::connect((ip, port)).await {
        Ok(mut upstream) => {
            s.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await?;
            tokio::io::copy_bidirectional(&mut s, &mut upstream).await?;
        }
        Err(_) => s.write_all(&[5, 5, 0, 1, 0, 0, 0, 0, 0, 0]).await?,
    }
    Ok(())
}

// ---- an HTTP CONNECT proxy in a few lines ----

pub async fn http_proxy(basic_token: Option<&'static str>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let _ = http_session(s, basic_token).await;
            });
        }
    });
    addr
}

async fn http_session(mut s: TcpStream, basic_token: Option<&str>) -> std::io::Result<()> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(s.read_u8().await?);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head
        .strip_prefix("CONNECT ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default()
        .to_owned();
    if let Some(token) = basic_token {
        let expected = format!("Proxy-Authorization: Basic {token}\r\n");
        if !head.contains(&expected) {
            return s
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                .await;
        }
    }
    match TcpStream::connect(target.as_str()).await {
        Ok(mut upstream) => {
            s.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await?;
            tokio::io::copy_bidirectional(&mut s, &mut upstream).await?;
        }
        Err(_) => s.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await?,
    }
    Ok(())
}
