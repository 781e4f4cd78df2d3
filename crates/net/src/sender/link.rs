//! One open connection as the driver sees it: the split stream, the codec, the read buffer,
//! and the wall clock the MTProto core is fed with.

use std::ops::Range;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::io::{AsyncReadExt, AsyncWriteExt, ReadHalf, WriteHalf};

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
    wall_at_start: Duration,
    start: tokio::time::Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            wall_at_start: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            start: tokio::time::Instant::now(),
        }
    }

    pub(crate) fn now(&self) -> tgwire_mtproto::Instant {
        tgwire_mtproto::Instant::from_unix_duration(self.wall_at_start + self.start.elapsed())
    }

    /// The tokio instant at which the core's clock reads `at`.
    pub(crate) fn to_tokio(self, at: tgwire_mtproto::Instant) -> tokio::time::Instant {
        let wall_start = tgwire_mtproto::Instant::from_unix_duration(self.wall_at_start);
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
    } else if payload.len() > 24 {
        24 + (payload.len() - 24) / 16 * 16
    } else {
        payload.len()
    };
    &payload[..len.min(payload.len())]
}

pub(crate) struct Link {
    pub(crate) reader: ReadHalf<NetStream>,
    pub(crate) writer: WriteHalf<NetStream>,
    pub(crate) codec: AnyTransport,
    pub(crate) rx: RxBuf,
}

impl Link {
    pub(crate) fn new(conn: Connection) -> Self {
        let (reader, writer) = tokio::io::split(conn.stream);
        Self {
            reader,
            writer,
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
        self.writer.write_all(&out).await.map_err(io)?;
        self.writer.flush().await.map_err(io)
    }

    /// Reads until one whole packet is there and returns it.
    pub(crate) async fn recv(&mut self) -> Result<Vec<u8>, DisconnectReason> {
        loop {
            if let Some(packet) = self.rx.next_packet(&mut self.codec)? {
                let packet = packet.to_vec();
                self.rx.compact();
                return Ok(packet);
            }
            let room = self.rx.reserve();
            match self.reader.read_buf(&mut self.rx.buf).await {
                Ok(0) => return Err(DisconnectReason::ClosedByPeer),
                Ok(n) => self.rx.filled(n, room),
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
/// The buffer is small while the link is quiet and large while data streams in: most
/// connections spend their life idle, receiving a pong or a single update now and then, and a
/// 64 KiB buffer each would be most of a parked client's memory. A read that fills all the
/// room there was means more is waiting, so reads go big until one does not; once a burst of
/// small packets is consumed the big buffer is given back. After a large packet (a file
/// part) it is kept, so streamed transfers do not grow it anew for every part. While a frame
/// is coming in, the room is sized from its length prefix, so the rest of it arrives in one
/// read rather than in chunks.
#[derive(Default)]
pub(crate) struct RxBuf {
    pub(crate) buf: Vec<u8>,
    start: usize,
    /// The last read filled the room it had: read in big chunks.
    busy: bool,
    /// Length of the last packet taken out.
    last_packet: u32,
    /// Bytes still missing from the frame at the read position (0 if none is begun or its
    /// length is not known yet).
    missing: u32,
}

/// Below this much spare room, grow the buffer before reading.
const READ_CHUNK: usize = 64 * 1024;

/// Room for reading while the link is quiet (enough for a pong, an answer or an update).
const QUIET_ROOM: usize = 1024;

impl RxBuf {
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
        self.start < self.buf.len()
    }

    /// Where the next whole packet is in [`Self::buf`], if one has arrived (the range stays
    /// valid until [`Self::compact`], reads only append).
    pub(crate) fn next_frame(
        &mut self,
        codec: &mut AnyTransport,
    ) -> Result<Option<Range<usize>>, DisconnectReason> {
        let input = &mut self.buf[self.start..];
        match codec.decode(input) {
            Ok(Decoded::Frame { payload, consumed }) => {
                let at = self.start;
                self.start += consumed;
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

    /// Drops consumed bytes once they dominate the buffer; gives a big buffer back once a
    /// burst of small packets is over.
    pub(crate) fn compact(&mut self) {
        if self.start == self.buf.len() {
            self.start = 0;
            if !self.busy
                && (self.last_packet as usize) < QUIET_ROOM
                && self.buf.capacity() > QUIET_ROOM
            {
                self.buf = Vec::new();
            } else {
                self.buf.clear();
            }
        } else if self.start > READ_CHUNK && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
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
