//! One open connection as the driver sees it: the stream, the codec, the read buffer, and the
//! wall clock the MTProto core is fed with.

use std::future::Future;
use std::io::IoSlice;
use std::ops::Range;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf, ReadHalf, WriteHalf};
use tokio::net::{tcp, TcpStream};

use super::state::DisconnectReason;
use crate::error::TransportError;
use crate::proxy::Connection;
use crate::stream::NetStream;
use crate::transport::{AnyTransport, Decoded, Transport};

/// Wall-clock time for the core, advanced by tokio's clock.
///
/// The core needs Unix time (msg_ids encode it). Reading `SystemTime` once and adding tokio's
/// monotonic elapsed time keeps msg_ids monotonic across wall-clock jumps and lets tests pause
/// or advance tokio's clock with the core following.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    /// Unix time at `start`, in nanoseconds (8 bytes rather than a `Duration`'s 16, in every
    /// connection's task; good until the year 2554).
    wall_at_start: u64,
    start: tokio::time::Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            wall_at_start: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .ok()
                .and_then(|d| u64::try_from(d.as_nanos()).ok())
                .unwrap_or_default(),
            start: tokio::time::Instant::now(),
        }
    }

    pub(crate) fn now(&self) -> tgwire_mtproto::Instant {
        let wall = Duration::from_nanos(self.wall_at_start);
        tgwire_mtproto::Instant::from_unix_duration(wall + self.start.elapsed())
    }

    /// The tokio instant at which the core's clock reads `at`.
    pub(crate) fn to_tokio(self, at: tgwire_mtproto::Instant) -> tokio::time::Instant {
        let wall_start =
            tgwire_mtproto::Instant::from_unix_duration(Duration::from_nanos(self.wall_at_start));
        self.start + at.saturating_duration_since(wall_start)
    }
}

/// Strips what the transport may have appended to an MTProto packet.
///
/// Padded intermediate framing adds 0..=15 random bytes after the packet, which the framing
/// itself cannot tell apart from it. Packets are self-delimiting one level up: an encrypted one
/// is 24 header bytes plus whole 16-byte blocks, a plain one (auth_key_id 0) states its body
/// length. For unpadded framings this returns the input unchanged.
pub(crate) fn mtproto_packet(payload: &[u8]) -> &[u8] {
    let plain = payload.get(..8) == Some(&[0u8; 8][..]);
    let len = if plain {
        payload
            .get(16..20)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(payload.len(), |b| {
                20usize.saturating_add(u32::from_le_bytes(b) as usize)
            })
    } else {
        encrypted_packet_len(payload.len())
    };
    &payload[..len.min(payload.len())]
}

/// The length of an encrypted packet in a payload of `len` bytes: 24 header bytes and the
/// whole 16-byte blocks after them (what follows is transport padding); `len` itself when
/// there is no block.
fn encrypted_packet_len(len: usize) -> usize {
    if len > 24 {
        24 + (len - 24) / 16 * 16
    } else {
        len
    }
}

pub(crate) struct Link {
    pub(crate) io: Io,
    pub(crate) codec: AnyTransport,
    pub(crate) rx: RxBuf,
}

/// The stream, in a form whose reading and writing sides can be used at the same time.
pub(crate) enum Io {
    /// Plain TCP, kept whole: it splits into two borrowed halves for free, and a quiet one
    /// can wait for bytes without a read buffer (see [`RxBuf::poll_read`]).
    Tcp(TcpStream),
    /// Fake TLS (an `ee` MTProxy), which keeps read and write buffers of its own: split
    /// behind a lock, and a read waits with the room it will read into.
    Split(ReadHalf<NetStream>, WriteHalf<NetStream>),
}

impl Io {
    /// The reading and the writing side, usable concurrently.
    pub(crate) fn halves(&mut self) -> (Reader<'_>, Writer<'_>) {
        match self {
            Io::Tcp(tcp) => {
                let (r, w) = tcp.split();
                (Reader::Tcp(r), Writer::Tcp(w))
            }
            Io::Split(r, w) => (Reader::Split(r), Writer::Split(w)),
        }
    }
}

/// The reading side of an [`Io`].
pub(crate) enum Reader<'a> {
    Tcp(tcp::ReadHalf<'a>),
    Split(&'a mut ReadHalf<NetStream>),
}

/// The writing side of an [`Io`].
pub(crate) enum Writer<'a> {
    Tcp(tcp::WriteHalf<'a>),
    Split(&'a mut WriteHalf<NetStream>),
}

impl AsyncRead for Reader<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Reader::Tcp(r) => Pin::new(r).poll_read(cx, buf),
            Reader::Split(r) => Pin::new(&mut **r).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Writer<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Writer::Tcp(w) => Pin::new(w).poll_write(cx, buf),
            Writer::Split(w) => Pin::new(&mut **w).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Writer::Tcp(w) => Pin::new(w).poll_write_vectored(cx, bufs),
            Writer::Split(w) => Pin::new(&mut **w).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Writer::Tcp(w) => w.is_write_vectored(),
            Writer::Split(w) => w.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Writer::Tcp(w) => Pin::new(w).poll_flush(cx),
            Writer::Split(w) => Pin::new(&mut **w).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Writer::Tcp(w) => Pin::new(w).poll_shutdown(cx),
            Writer::Split(w) => Pin::new(&mut **w).poll_shutdown(cx),
        }
    }
}

impl Link {
    pub(crate) fn new(conn: Connection) -> Self {
        let io = match conn.stream {
            NetStream::Tcp(tcp) => Io::Tcp(tcp),
            other => {
                let (r, w) = tokio::io::split(other);
                Io::Split(r, w)
            }
        };
        Self {
            io,
            codec: conn.transport,
            rx: RxBuf::default(),
        }
    }

    /// Frames and writes one packet, and flushes (the handshake path; the serving loop
    /// writes without blocking its reads).
    pub(crate) async fn send(&mut self, packet: &[u8]) -> Result<(), DisconnectReason> {
        let mut out = Vec::with_capacity(packet.len() + 80);
        self.codec
            .encode(packet, &mut out)
            .map_err(DisconnectReason::Transport)?;
        let (_, mut writer) = self.io.halves();
        writer.write_all(&out).await.map_err(io)?;
        writer.flush().await.map_err(io)
    }

    /// Reads until one whole packet is there and returns it.
    pub(crate) async fn recv(&mut self) -> Result<Vec<u8>, DisconnectReason> {
        loop {
            if let Some(packet) = self.rx.next_packet(&mut self.codec)? {
                let packet = packet.to_vec();
                self.rx.compact();
                return Ok(packet);
            }
            let (mut reader, _) = self.io.halves();
            let rx = &mut self.rx;
            match std::future::poll_fn(|cx| rx.poll_read(&mut reader, cx)).await {
                Ok(0) => return Err(DisconnectReason::ClosedByPeer),
                Ok(_) => {}
                Err(e) => return Err(io(e)),
            }
        }
    }
}

pub(crate) fn io(e: std::io::Error) -> DisconnectReason {
    DisconnectReason::Io(std::sync::Arc::new(e))
}

/// Received bytes not yet consumed, with the read position kept as an offset so that taking
/// many small frames off the front does not shift the buffer each time.
///
/// There is no buffer while the link is quiet, a small one for a few packets, and a large one
/// while data streams in: most connections spend their life idle, receiving a pong or a
/// single update now and then, and even a kilobyte each is a good part of a parked client's
/// memory. A quiet TCP link waits for the socket to become readable and only then takes the
/// small buffer to read into; once its packets are consumed the buffer is given back. A read that fills all the
/// room there was means more is waiting, so reads go big until one does not; once a burst of
/// small packets is consumed the big buffer is given back. After a large packet (a file
/// part) it is kept, so streamed transfers do not grow it anew for every part. While a frame
/// is coming in, the room is sized from its length prefix, so the rest of it arrives in one
/// read rather than in chunks.
#[derive(Default)]
pub(crate) struct RxBuf {
    pub(crate) buf: Vec<u8>,
    /// Where the bytes not consumed yet begin (a `u32`, like the lengths below, to keep the
    /// link's allocation small: the buffer holds at most a frame and a read chunk).
    start: u32,
    /// The last read filled the room it had: read in big chunks.
    busy: bool,
    /// Length of the last packet taken out.
    last_packet: u32,
    /// Bytes still missing from the frame at the read position (0 if none is begun or its
    /// length is not known yet).
    missing: u32,
    /// The decryption of the packet in the frame at the read position, begun while the
    /// frame arrives (see the serve loop); boxed, as it exists only while a large packet
    /// streams in.
    pub(crate) opening: Option<Box<tgwire_mtproto::Opening>>,
}

/// The packet in a frame not whole yet, as far as it has arrived (see [`RxBuf::packet_ahead`]).
pub(crate) struct PacketAhead {
    /// Where the packet begins in [`RxBuf::buf`].
    pub(crate) at: usize,
    /// Its whole length.
    pub(crate) len: usize,
    /// How much of it is in the buffer and readable.
    pub(crate) arrived: usize,
}

/// Below this much spare room, grow the buffer before reading.
const READ_CHUNK: usize = 64 * 1024;

/// Room for reading while the link is quiet (enough for a pong, an answer or an update).
const QUIET_ROOM: usize = 1024;

impl RxBuf {
    /// Reads what `reader` has into the buffer (0 bytes: the peer closed the stream).
    ///
    /// Waits for bytes without a buffer when there is nothing buffered and the reader can
    /// (TCP): the buffer is taken once the socket is readable, and given back if the read
    /// finds nothing after all. Cancel-safe, like `read_buf`: nothing is read unless `Ready`.
    pub(crate) fn poll_read(
        &mut self,
        reader: &mut Reader<'_>,
        cx: &mut Context<'_>,
    ) -> Poll<std::io::Result<usize>> {
        let waits_bare = matches!(reader, Reader::Tcp(_));
        if let Reader::Tcp(half) = reader {
            if self.buf.capacity() == 0 {
                let tcp: &TcpStream = half.as_ref();
                ready!(tcp.poll_read_ready(cx))?;
            }
        }
        let room = self.reserve();
        let read = std::pin::pin!(reader.read_buf(&mut self.buf)).poll(cx);
        match read {
            Poll::Ready(Ok(n)) => {
                self.filled(n, room);
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                // The readiness was stale (the read cleared it and registered the waker):
                // wait bare again.
                if waits_bare && self.buf.is_empty() {
                    self.buf = Vec::new();
                }
                Poll::Pending
            }
        }
    }

    /// Makes room for the next read; returns how much there is.
    pub(crate) fn reserve(&mut self) -> usize {
        let room = self.buf.capacity() - self.buf.len();
        let missing = self.missing as usize;
        if self.buf.is_empty() && !self.busy {
            if room < QUIET_ROOM {
                self.buf.reserve_exact(QUIET_ROOM);
            }
        } else if room < missing.max(READ_CHUNK / 4) {
            // The rest of the frame begun, and a chunk of what follows it.
            self.buf.reserve(missing + READ_CHUNK);
        }
        self.buf.capacity() - self.buf.len()
    }

    /// Notes that a read put `n` bytes into `room` bytes of spare room.
    pub(crate) fn filled(&mut self, n: usize, room: usize) {
        self.busy = n >= room;
    }

    /// Whether part of a frame is buffered after the whole ones taken out.
    pub(crate) fn has_partial(&self) -> bool {
        (self.start as usize) < self.buf.len()
    }

    /// The packet of the frame begun after the whole ones taken out, once its header has
    /// arrived: only for framings that say where its payload lies before it is whole
    /// ([`AnyTransport::frame_ahead`]), and only an encrypted packet's layout (24 header bytes
    /// and whole blocks, padding after them dropped as [`mtproto_packet`] does).
    pub(crate) fn packet_ahead(&self, codec: &AnyTransport) -> Option<PacketAhead> {
        let start = self.start as usize;
        let ahead = codec.frame_ahead(self.buf.get(start..)?)?;
        let payload_len = ahead.payload.len();
        if payload_len <= 24 {
            return None;
        }
        let len = encrypted_packet_len(payload_len);
        let at = start + ahead.payload.start;
        let arrived = (start + ahead.readable).saturating_sub(at).min(len);
        Some(PacketAhead { at, len, arrived })
    }

    /// Appends what the socket has right now, without waiting, into the room the buffer has
    /// (it does not grow: the packets taken out are still in it), and makes it readable to
    /// [`Self::packet_ahead`]; returns whether anything came. (An error or the end of the
    /// stream is left for the next wait for bytes, which meets it again.)
    pub(crate) fn read_now(&mut self, reader: &mut Reader<'_>, codec: &mut AnyTransport) -> bool {
        let room = self.buf.capacity() - self.buf.len();
        if room < READ_CHUNK / 4 {
            return false;
        }
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let read = std::pin::pin!(reader.read_buf(&mut self.buf)).poll(&mut cx);
        match read {
            Poll::Ready(Ok(n)) if n > 0 => {
                self.filled(n, room);
                let start = self.start as usize;
                codec.decrypt_ahead(&mut self.buf[start..]).is_ok()
            }
            _ => false,
        }
    }

    /// Where the next whole packet is in [`Self::buf`], if one has arrived (the range stays
    /// valid until [`Self::compact`], reads only append).
    pub(crate) fn next_frame(
        &mut self,
        codec: &mut AnyTransport,
    ) -> Result<Option<Range<usize>>, DisconnectReason> {
        let input = &mut self.buf[self.start as usize..];
        match codec.decode(input) {
            Ok(Decoded::Frame { payload, consumed }) => {
                let at = self.start as usize;
                self.start = u32::try_from(at + consumed).unwrap_or(u32::MAX);
                self.missing = 0;
                let frame = &self.buf[at + payload.start..at + payload.end];
                let packet = mtproto_packet(frame).len();
                self.last_packet = u32::try_from(packet).unwrap_or(u32::MAX);
                let from = at + payload.start;
                Ok(Some(from..from + packet))
            }
            Ok(Decoded::NeedMore(n)) => {
                self.missing = u32::try_from(n).unwrap_or(u32::MAX);
                Ok(None)
            }
            Err(TransportError::ServerStatus { code: -404 }) => {
                Err(DisconnectReason::AuthKeyUnknown)
            }
            Err(e) => Err(DisconnectReason::Transport(e)),
        }
    }

    /// The next whole packet, if one has arrived (its bytes stay valid until the next call).
    pub(crate) fn next_packet(
        &mut self,
        codec: &mut AnyTransport,
    ) -> Result<Option<&[u8]>, DisconnectReason> {
        Ok(self.next_frame(codec)?.map(|range| &self.buf[range]))
    }

    /// Drops consumed bytes once they dominate the buffer; gives the buffer back once a burst
    /// of small packets is over, or a quiet read's few packets are consumed.
    pub(crate) fn compact(&mut self) {
        let start = self.start as usize;
        if start == self.buf.len() {
            self.start = 0;
            // (No frame is begun: nothing for an opening to be of.)
            self.opening = None;
            if !self.busy && (self.last_packet as usize) < QUIET_ROOM {
                self.buf = Vec::new();
            } else {
                self.buf.clear();
            }
        } else if start > READ_CHUNK && start * 2 > self.buf.len() {
            self.buf.drain(..start);
            self.start = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_after_packets_is_removed() {
        // Encrypted: 24-byte header + 2 blocks, then 7 bytes of transport padding.
        let mut enc = vec![1u8; 24 + 32];
        assert_eq!(mtproto_packet(&enc).len(), 56);
        enc.extend_from_slice(&[9; 7]);
        assert_eq!(mtproto_packet(&enc).len(), 56);
        // Plain: auth_key_id 0, msg_id, length 8, body, then 3 bytes of padding.
        let mut plain = vec![0u8; 16];
        plain.extend_from_slice(&8u32.to_le_bytes());
        plain.extend_from_slice(&[5; 8]);
        assert_eq!(mtproto_packet(&plain).len(), 28);
        plain.extend_from_slice(&[7; 3]);
        assert_eq!(mtproto_packet(&plain).len(), 28);
        // A lying plain length never reads past the input.
        let mut liar = vec![0u8; 16];
        liar.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(mtproto_packet(&liar).len(), 20);
        // Short garbage passes through for the core to refuse.
        assert_eq!(mtproto_packet(&[1, 2, 3]), &[1, 2, 3]);
    }

    /// Frames as a server sends them, and how the client's buffer takes them: the room for a
    /// read comes from the length prefix of the frame begun, whole frames come out as ranges
    /// that later reads (appending) leave valid, and a quiet link keeps a small buffer.
    #[test]
    fn read_room_follows_the_frame_begun() {
        use crate::transport::{Intermediate, Role};
        let mut server = Intermediate::new(Role::Server);
        let mut client = AnyTransport::Intermediate(Intermediate::new(Role::Client));
        let packet = |n: u8, len: usize| {
            let mut p = vec![n; len];
            p[..8].copy_from_slice(&[n.wrapping_add(1); 8]); // an encrypted packet's key id
            p
        };
        let mut wire = Vec::new();
        for (n, len) in [(1u8, 200_024), (2, 300_024), (3, 56)] {
            server.encode(&packet(n, len), &mut wire).unwrap();
        }
        let mut rx = RxBuf::default();
        // Quiet: a small room.
        let room = rx.reserve();
        assert!((QUIET_ROOM..2 * QUIET_ROOM).contains(&room), "{room}");
        // The first 1000 bytes: the first frame's length is known, so the next read has
        // room for all of its rest.
        rx.buf.extend_from_slice(&wire[..1000]);
        rx.filled(1000, room);
        assert_eq!(rx.next_frame(&mut client).unwrap(), None);
        let room = rx.reserve();
        assert!(room >= 4 + 200_024 - 1000, "{room}");
        // The rest of frame 1 and part of frame 2 arrive: frame 1 comes out as a range, which
        // stays valid while frame 2's rest is appended.
        let at = 4 + 200_024 + 10_000;
        rx.buf.extend_from_slice(&wire[1000..at]);
        let first = rx.next_frame(&mut client).unwrap().unwrap();
        assert!(rx.has_partial());
        assert_eq!(rx.next_frame(&mut client).unwrap(), None);
        assert!(rx.reserve() >= 4 + 300_024 - 10_000);
        rx.buf.extend_from_slice(&wire[at..]);
        let second = rx.next_frame(&mut client).unwrap().unwrap();
        let third = rx.next_frame(&mut client).unwrap().unwrap();
        assert_eq!(rx.next_frame(&mut client).unwrap(), None);
        assert!(!rx.has_partial());
        assert_eq!(rx.buf[first], packet(1, 200_024)[..]);
        assert_eq!(rx.buf[second], packet(2, 300_024)[..]);
        assert_eq!(rx.buf[third], packet(3, 56)[..]);
        // All consumed, the last packet small and the last read not full: the big buffer
        // is given back.
        rx.filled(1, 2);
        rx.compact();
        assert_eq!(rx.buf.capacity(), 0);
    }

    /// The packet of a frame still arriving is found where each framing puts it (after its
    /// header, its transport padding left out), readable only once decoded (obfuscation), and
    /// not at all in the full framing, whose checksum comes last.
    #[test]
    fn packet_ahead_is_where_each_framing_puts_it() {
        use crate::transport::{
            Abridged, Framing, Full, Intermediate, Obfuscated, PaddedIntermediate, Role,
        };
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let packet = |n: u8, len: usize| -> Vec<u8> { (0..len).map(|i| (i as u8) ^ n).collect() };
        let (first, second) = (packet(1, 24 + 16 * 40), packet(2, 24 + 16 * 5000));
        let mut pairs: Vec<(&str, Box<dyn Transport>, AnyTransport)> = vec![
            (
                "abridged",
                Box::new(Abridged::new(Role::Server)),
                AnyTransport::Abridged(Abridged::new(Role::Client)),
            ),
            (
                "intermediate",
                Box::new(Intermediate::new(Role::Server)),
                AnyTransport::Intermediate(Intermediate::new(Role::Client)),
            ),
            (
                "padded",
                Box::new(PaddedIntermediate::new(Role::Server, &mut rng)),
                AnyTransport::PaddedIntermediate(PaddedIntermediate::new(Role::Client, &mut rng)),
            ),
            (
                "full",
                Box::new(Full::new(Role::Server)),
                AnyTransport::Full(Full::new(Role::Client)),
            ),
        ];
        for framing in [
            Framing::Abridged,
            Framing::Intermediate,
            Framing::PaddedIntermediate,
        ] {
            let mut client = Obfuscated::client(framing, 2, None, &mut rng);
            let mut hello = Vec::new();
            client.encode(&[0; 8], &mut hello).unwrap();
            let header: [u8; 64] = hello[..64].try_into().unwrap();
            let (server, _) = Obfuscated::server(&header, None, &mut rng).unwrap();
            pairs.push((
                "obfuscated",
                Box::new(server),
                AnyTransport::Obfuscated(client),
            ));
        }
        for (name, mut server, mut client) in pairs {
            let mut wire = Vec::new();
            server.encode(&first, &mut wire).unwrap();
            let second_at = wire.len();
            server.encode(&second, &mut wire).unwrap();
            let cut = second_at + 30_000;
            let mut rx = RxBuf::default();
            rx.buf.extend_from_slice(&wire[..cut]);
            let got = rx.next_frame(&mut client).unwrap().unwrap();
            assert_eq!(rx.buf[got], first[..], "{name}");
            assert_eq!(rx.next_frame(&mut client).unwrap(), None, "{name}");
            let Some(ahead) = rx.packet_ahead(&client) else {
                assert_eq!(name, "full");
                continue;
            };
            assert_ne!(name, "full");
            assert_eq!(ahead.len, second.len(), "{name}");
            assert!(
                (30_000 - 4..=30_000 - 1).contains(&ahead.arrived),
                "{name}: {}",
                ahead.arrived
            );
            assert_eq!(
                rx.buf[ahead.at..ahead.at + ahead.arrived],
                second[..ahead.arrived],
                "{name}"
            );
            // More bytes: readable once decoded.
            rx.buf.extend_from_slice(&wire[cut..cut + 1000]);
            if name == "obfuscated" {
                assert_eq!(rx.packet_ahead(&client).unwrap().arrived, ahead.arrived);
            }
            let start = rx.start as usize;
            client.decrypt_ahead(&mut rx.buf[start..]).unwrap();
            let more = rx.packet_ahead(&client).unwrap();
            assert_eq!(more.arrived, ahead.arrived + 1000, "{name}");
            assert_eq!(
                rx.buf[more.at..more.at + more.arrived],
                second[..more.arrived],
                "{name}"
            );
        }
    }

    /// A quiet TCP link holds no read buffer while it waits, still takes each packet as it
    /// arrives, gives the buffer back once the packet is consumed, and sees the peer close.
    #[tokio::test]
    async fn a_quiet_link_waits_for_packets_without_a_read_buffer() {
        use crate::transport::{Intermediate, Role};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (mut server, _) = listener.accept().await.unwrap();
        let mut link = Link::new(Connection {
            stream: NetStream::Tcp(client),
            transport: AnyTransport::Intermediate(Intermediate::new(Role::Client)),
        });
        assert!(matches!(link.io, Io::Tcp(_)));
        let mut framing = Intermediate::new(Role::Server);
        let (mut reader, _) = link.io.halves();
        let (rx, codec) = (&mut link.rx, &mut link.codec);
        for n in 1..=3u8 {
            // Nothing sent yet: the read waits, and holds no buffer meanwhile.
            let waits = std::future::poll_fn(|cx| Poll::Ready(rx.poll_read(&mut reader, cx)))
                .await
                .is_pending();
            assert!(waits);
            assert_eq!(rx.buf.capacity(), 0);
            let packet = vec![n; 24 + 16 * usize::from(n)];
            let mut wire = Vec::new();
            framing.encode(&packet, &mut wire).unwrap();
            server.write_all(&wire).await.unwrap();
            let read = std::future::poll_fn(|cx| rx.poll_read(&mut reader, cx))
                .await
                .unwrap();
            assert_eq!(read, wire.len());
            assert_eq!(rx.next_packet(codec).unwrap(), Some(&packet[..]));
            assert_eq!(rx.next_packet(codec).unwrap(), None);
            rx.compact();
            assert_eq!(rx.buf.capacity(), 0);
        }
        drop(server);
        let read = std::future::poll_fn(|cx| rx.poll_read(&mut reader, cx)).await;
        assert_eq!(read.unwrap(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn clock_follows_tokio_time() {
        let clock = Clock::new();
        let a = clock.now();
        tokio::time::advance(Duration::from_secs(90)).await;
        let b = clock.now();
        assert_eq!(b.saturating_duration_since(a).as_secs(), 90);
        let when = clock.to_tokio(b + Duration::from_secs(5));
        assert_eq!(
            when.duration_since(tokio::time::Instant::now()),
            Duration::from_secs(5)
        );
    }
}
