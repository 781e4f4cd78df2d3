//! An async stream adapter that carries bytes inside fake-TLS application-data records.

use std::io;
use std::ops::Range;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::records::{self, Record, APPLICATION_DATA, CHANGE_CIPHER_SPEC};

/// How much to ask the socket for at once: one full record plus its header.
const READ_CHUNK: usize = records::MAX_WRITE + records::HEADER_LEN;

/// Most bytes accepted per `poll_write` call (four records), so one write makes one syscall
/// for typical MTProto packets without buffering without bound.
const MAX_WRITE_PER_CALL: usize = 4 * records::MAX_WRITE;

/// A stream after a completed fake-TLS handshake: writes are wrapped in application-data
/// records of at most 2^14 bytes, reads unwrap them.
///
/// The client side sends the TLS 1.3 compatibility change_cipher_spec record before its first
/// data, as browsers do; both sides skip such a record before the first application data.
///
/// Like any buffered writer, flush after writing a packet: bytes the socket could not take at
/// once wait in the adapter until the next write or `flush`.
#[derive(Debug)]
pub struct FakeTlsStream<S> {
    inner: S,
    /// Raw bytes from the socket; `read_pos` is the first not yet parsed as a record.
    read_buf: Vec<u8>,
    read_pos: usize,
    /// The unread part of the current record's body, inside `read_buf`.
    payload: Range<usize>,
    seen_application_data: bool,
    /// Records waiting to be written; `write_pos` is the first unwritten byte.
    write_buf: Vec<u8>,
    write_pos: usize,
    change_cipher_spec_pending: bool,
}

impl<S> FakeTlsStream<S> {
    fn new(inner: S, already_read: Vec<u8>, change_cipher_spec_pending: bool) -> Self {
        FakeTlsStream {
            inner,
            read_buf: already_read,
            read_pos: 0,
            payload: 0..0,
            seen_application_data: false,
            write_buf: Vec::new(),
            write_pos: 0,
            change_cipher_spec_pending,
        }
    }

    /// Wraps the client side after its handshake; `already_read` holds bytes read past the
    /// proxy's hello.
    pub fn client(inner: S, already_read: Vec<u8>) -> Self {
        FakeTlsStream::new(inner, already_read, true)
    }

    /// Wraps the proxy side after it sent its hello; `already_read` holds bytes read past the
    /// client's hello.
    pub fn server(inner: S, already_read: Vec<u8>) -> Self {
        FakeTlsStream::new(inner, already_read, false)
    }

    /// The wrapped stream.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }
}

fn invalid(e: crate::error::MtProxyError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

impl<S: AsyncRead + Unpin> AsyncRead for FakeTlsStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if !this.payload.is_empty() {
                let n = buf.remaining().min(this.payload.len());
                let from = this.payload.start;
                buf.put_slice(&this.read_buf[from..from + n]);
                this.payload.start += n;
                return Poll::Ready(Ok(()));
            }
            match records::decode(&this.read_buf[this.read_pos..], [3, 3], records::MAX_READ) {
                Err(e) => return Poll::Ready(Err(invalid(e))),
                Ok(Record::Complete {
                    content_type,
                    body,
                    consumed,
                }) => {
                    let body = this.read_pos + body.start..this.read_pos + body.end;
                    this.read_pos += consumed;
                    match content_type {
                        APPLICATION_DATA => {
                            this.seen_application_data = true;
                            this.payload = body;
                        }
                        CHANGE_CIPHER_SPEC
                            if !this.seen_application_data && this.read_buf[body] == [1] => {}
                        other => {
                            return Poll::Ready(Err(invalid(
                                crate::error::MtProxyError::UnexpectedRecord {
                                    content_type: other,
                                },
                            )))
                        }
                    }
                }
                Ok(Record::NeedMore(_)) => {
                    // Everything before read_pos is consumed; the payload range is empty.
                    this.read_buf.drain(..this.read_pos);
                    this.read_pos = 0;
                    this.payload = 0..0;
                    let filled = this.read_buf.len();
                    this.read_buf.resize(filled + READ_CHUNK, 0);
                    let mut rb = ReadBuf::new(&mut this.read_buf[filled..]);
                    let polled = Pin::new(&mut this.inner).poll_read(cx, &mut rb);
                    let got = rb.filled().len();
                    this.read_buf.truncate(filled + got);
                    ready!(polled)?;
                    if got == 0 {
                        if this.read_buf.is_empty() {
                            return Poll::Ready(Ok(()));
                        }
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "connection closed inside a TLS record",
                        )));
                    }
                }
            }
        }
    }
}

impl<S: AsyncWrite + Unpin> FakeTlsStream<S> {
    /// Writes out every pending record.
    fn poll_drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.write_pos < self.write_buf.len() {
            let n = ready!(
                Pin::new(&mut self.inner).poll_write(cx, &self.write_buf[self.write_pos..])
            )?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.write_pos += n;
        }
        self.write_buf.clear();
        self.write_pos = 0;
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FakeTlsStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = buf.len().min(MAX_WRITE_PER_CALL);
        if this.change_cipher_spec_pending {
            this.write_buf.extend_from_slice(&records::CCS_RECORD);
            this.change_cipher_spec_pending = false;
        }
        records::encode_application_data(&buf[..n], &mut this.write_buf);
        // The bytes are accepted once buffered; start sending them now, and let a later write
        // or flush finish if the socket is full.
        if let Poll::Ready(Err(e)) = this.poll_drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(n))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use super::*;

    #[tokio::test]
    async fn bytes_cross_in_records_both_ways() {
        let (a, b) = tokio::io::duplex(1024);
        let mut client = FakeTlsStream::client(a, Vec::new());
        let mut server = FakeTlsStream::server(b, Vec::new());
        let big: Vec<u8> = (0..100_000u32).map(|i| (i % 253) as u8).collect();
        let sent = big.clone();
        let writer = tokio::spawn(async move {
            client.write_all(&sent).await.unwrap();
            client.flush().await.unwrap();
            let mut back = vec![0u8; 5];
            client.read_exact(&mut back).await.unwrap();
            back
        });
        let mut got = vec![0u8; big.len()];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(got, big);
        server.write_all(b"hello").await.unwrap();
        server.flush().await.unwrap();
        assert_eq!(writer.await.unwrap(), b"hello");
    }

    #[tokio::test]
    async fn wire_starts_with_ccs_then_application_data() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut client = FakeTlsStream::client(a, Vec::new());
        client.write_all(&[9; 3]).await.unwrap();
        client.flush().await.unwrap();
        let mut wire = [0u8; 14];
        b.read_exact(&mut wire).await.unwrap();
        assert_eq!(wire, [0x14, 3, 3, 0, 1, 1, 0x17, 3, 3, 0, 3, 9, 9, 9]);
    }

    #[tokio::test]
    async fn foreign_records_are_invalid_data() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut server = FakeTlsStream::server(a, Vec::new());
        b.write_all(&[0x15, 3, 3, 0, 2, 2, 40]).await.unwrap();
        let mut buf = [0u8; 4];
        let err = server.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    }

    #[tokio::test]
    async fn eof_inside_a_record_is_unexpected() {
        let (a, mut b) = tokio::io::duplex(1024);
        let mut server = FakeTlsStream::server(a, Vec::new());
        b.write_all(&[0x17, 3, 3, 0, 9, 1]).await.unwrap();
        drop(b);
        let mut buf = [0u8; 4];
        let err = server.read(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
