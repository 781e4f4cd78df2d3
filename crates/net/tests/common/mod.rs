//! Loopback servers shared by the integration tests: a raw echo, and a frame echo built on the
//! crate's own server side (`server::accept` + server-role codecs).

#![allow(dead_code)]

pub mod mtserver;
pub mod proxies;

use std::net::SocketAddr;

use tgwire_net::server::{accept, AcceptOptions, Accepted};
use tgwire_net::{Decoded, NetError, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// Echoes raw bytes on every connection.
pub async fn raw_echo() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    addr
}

/// What the frame echo server saw on one connection.
#[derive(Debug)]
pub enum Seen {
    /// The connection was identified; the DC id if obfuscated2 carried one.
    Accepted(Option<i16>),
    /// `accept` failed.
    Refused(NetError),
}

/// Accepts connections with `options`, then sends every decoded payload back in its own frame.
/// Reports each connection's outcome on the returned channel.
pub async fn frame_echo(options: AcceptOptions) -> (SocketAddr, mpsc::UnboundedReceiver<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            let tx = tx.clone();
            let options = options.clone();
            tokio::spawn(async move {
                match accept(s, &options).await {
                    Ok(accepted) => {
                        let _ = tx.send(Seen::Accepted(accepted.obfuscated.map(|o| o.dc_id)));
                        serve_frames(accepted).await;
                    }
                    Err(e) => {
                        let _ = tx.send(Seen::Refused(e));
                    }
                }
            });
        }
    });
    (addr, rx)
}

async fn serve_frames(accepted: Accepted) {
    let Accepted {
        mut stream,
        mut transport,
        buffered: mut buf,
        ..
    } = accepted;
    let mut out = Vec::new();
    loop {
        match transport.decode(&mut buf) {
            Ok(Decoded::Frame { payload, consumed }) => {
                let reply = buf[payload].to_vec();
                buf.drain(..consumed);
                out.clear();
                transport.encode(&reply, &mut out).unwrap();
                if stream.write_all(&out).await.is_err() {
                    return;
                }
            }
            Ok(Decoded::NeedMore(_)) => match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            },
            Err(_) => return,
        }
    }
}

/// Sends each payload as a frame over `stream` and reads the echoed frames back.
pub async fn exchange<S, T>(stream: &mut S, transport: &mut T, payloads: &[Vec<u8>]) -> Vec<Vec<u8>>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    T: Transport,
{
    let mut wire = Vec::new();
    for p in payloads {
        transport.encode(p, &mut wire).unwrap();
    }
    stream.write_all(&wire).await.unwrap();
    stream.flush().await.unwrap();
    let mut got = Vec::new();
    let mut buf = Vec::new();
    while got.len() < payloads.len() {
        match transport.decode(&mut buf).unwrap() {
            Decoded::Frame { payload, consumed } => {
                got.push(buf[payload].to_vec());
                buf.drain(..consumed);
            }
            Decoded::NeedMore(_) => {
                let n = stream.read_buf(&mut buf).await.unwrap();
                assert!(n > 0, "server closed early");
            }
        }
    }
    got
}

/// Payloads of assorted sizes (multiples of 4, so every framing takes them), one larger than a
/// TLS record.
pub fn payloads() -> Vec<Vec<u8>> {
    [4usize, 40, 1024, 70_000]
        .iter()
        .map(|&n| (0..n).map(|i| (i * 11 + n) as u8).collect())
        .collect()
}

/// Echoed payloads start with what was sent; padded framings may add up to 15 bytes each way.
pub fn assert_echoed(sent: &[Vec<u8>], got: &[Vec<u8>]) {
    assert_eq!(sent.len(), got.len());
    for (s, g) in sent.iter().zip(got) {
        assert!(g.starts_with(s), "payload of {} bytes corrupted", s.len());
        assert!(
            g.len() - s.len() <= 30,
            "{} bytes of padding",
            g.len() - s.len()
        );
    }
}
