//! The byte stream a connection runs over, whatever the route.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

use crate::proxy::FakeTlsStream;

/// A connected stream: plain TCP (direct, or tunnelled through SOCKS5, HTTP CONNECT or a
/// `dd`/plain MTProxy), or TCP wrapped in fake-TLS records (an `ee` MTProxy).
///
/// It only moves bytes; framing and obfuscation are the [`Transport`](crate::Transport)'s job.
/// Flush after writing a packet: the fake-TLS variant buffers what the socket cannot take yet.
#[derive(Debug)]
#[non_exhaustive]
pub enum NetStream {
    /// Bytes go to the socket as they are.
    Tcp(TcpStream),
    /// Bytes go inside TLS application-data records.
    FakeTls(FakeTlsStream<TcpStream>),
}

impl NetStream {
    /// The underlying TCP socket.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            NetStream::Tcp(s) => s,
            NetStream::FakeTls(s) => s.get_ref(),
        }
    }
}

impl AsyncRead for NetStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            NetStream::Tcp(s) => Pin::new(s).poll_read(cx, buf),
            NetStream::FakeTls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for NetStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            NetStream::Tcp(s) => Pin::new(s).poll_write(cx, buf),
            NetStream::FakeTls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            NetStream::Tcp(s) => Pin::new(s).poll_flush(cx),
            NetStream::FakeTls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            NetStream::Tcp(s) => Pin::new(s).poll_shutdown(cx),
            NetStream::FakeTls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
