//! One client connection: transport detection, then a loop of read → handle → transmit.
//!
//! The task is a thin driver of the sans-IO cores (`tgwire_net` codecs, `tgwire_mtproto`
//! auth-key exchange and [`ServerSession`](tgwire_mtproto::ServerSession)). It makes no
//! protocol decision of its own beyond routing: plain packets go to this connection's
//! [`Handshake`], encrypted ones to the shared session of their (auth_key_id, session_id).
//!
//! ```text
//!   socket ─read─► transport.decode ─┬─ auth_key_id 0 ─► Handshake ─────────────┐
//!                                    └─ otherwise ─► key store ─► Slot.session ─┤
//!                                                       │ Request events        │
//!                                                       ▼                       │
//!                                    rpc::execute (wrappers, bind, backend)     │
//!                                                       │ respond               │
//!   socket ◄─write─ transport.encode ◄── poll_transmit of attached sessions ◄───┘
//!            (woken also by backend updates and delayed answers via Notify)
//! ```

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_crypto::{decrypt_message, Side};
use tgwire_mtproto::{packet_auth_key_id, Instant, MsgId, ServerEvent, ServerSession};
use tgwire_net::server::{accept, AcceptOptions, Accepted};
use tgwire_net::{AnyTransport, Decoded, Framing, NetStream, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};

use super::auth_keys::StoredKey;
use super::clock::{server_now, unix_secs, until};
use super::handshake::Handshake;
use super::rpc;
use super::sessions::{self, lock, Attachment, SessionKey, SharedSlot};
use super::Shared;
use crate::backend::{Answer, CallContext, RpcOutcome};

/// Which DC a listener serves.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Entry {
    /// A DC's own port: every plain transport and unkeyed obfuscated2.
    Dc(i32),
    /// The MTProxy port: keyed obfuscated2 (optionally inside fake TLS), routed to the DC the
    /// client's obfuscated2 header names.
    Proxy,
}

/// The transport error code for an unknown (or expired) auth key.
const UNKNOWN_AUTH_KEY: i32 = -404;
/// Wake-ups closer than this are merged (guards against a timer that stays in the past).
const MIN_SLEEP: Duration = Duration::from_millis(5);
/// Most packets of one session sealed together (`ServerSession::poll_transmit_many`).
const SEAL_BATCH: usize = 4;
/// Sleep when no session wants a timer.
const IDLE_SLEEP: Duration = Duration::from_secs(3600);
/// Frames at least this long are written from the buffer they were sealed and framed in;
/// shorter ones are copied into one buffer and written together.
const OWN_WRITE_FROM: usize = 16 * 1024;
/// Emptied write buffers kept for the next packets: a batch, and the joined buffer.
const SPARE_BUFFERS: usize = SEAL_BATCH + 1;
/// Once this many framed bytes wait to be written, sealing stops until they are: the client
/// then opens the first answers while the next ones are sealed. (Sealing all of, say, sixteen
/// 1 MiB file parts before writing any left the client idle for that long, and then the server
/// idle while the client opened them all.)
const WRITE_AHEAD: usize = 1 << 20;

/// Serves one accepted TCP connection until it closes or the server shuts down.
pub(crate) async fn serve(
    shared: Arc<Shared>,
    entry: Entry,
    tcp: TcpStream,
    options: Arc<AcceptOptions>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut kick = shared.kick.subscribe();
    let peer = tcp.peer_addr().ok();
    let _ = tcp.set_nodelay(true);
    let accepted = tokio::select! {
        a = accept(tcp, &options) => a,
        _ = shutdown.changed() => return,
    };
    let accepted = match accepted {
        Ok(a) => a,
        Err(e) => {
            log::debug!("connection from {peer:?} refused: {e}");
            return;
        }
    };
    let dc_id = match entry {
        Entry::Dc(id) => id,
        Entry::Proxy => {
            let asked = accepted.obfuscated.map_or(0, |h| i32::from(h.dc_id).abs());
            // Test DCs are addressed as 10000 + n through proxies.
            let id = if asked > 10_000 {
                asked - 10_000
            } else {
                asked
            };
            if id < 1 || id > shared.dc_count {
                log::debug!("MTProxy client from {peer:?} asked for unknown DC {asked}");
                return;
            }
            id
        }
    };
    log::debug!(
        "connection from {peer:?} to DC {dc_id}: {:?}",
        accepted.transport
    );
    let padded = matches!(accepted.transport, AnyTransport::PaddedIntermediate(_))
        || accepted
            .obfuscated
            .is_some_and(|h| h.framing == Framing::PaddedIntermediate);
    let Accepted {
        stream,
        transport,
        buffered,
        ..
    } = accepted;
    let conn_id = shared.next_conn_id.fetch_add(1, Ordering::Relaxed);
    let mut conn = Connection {
        shared,
        dc_id,
        conn_id,
        transport,
        padded,
        handshake: Handshake::default(),
        attached: Vec::new(),
        wake: Arc::new(Notify::new()),
        writes: Vec::new(),
        spare: Vec::new(),
        scratch: Vec::new(),
        batch: vec![Vec::new(); SEAL_BATCH],
        rng: StdRng::from_entropy(),
        closing: false,
    };
    if let Err(reason) = conn.run(stream, buffered, &mut shutdown, &mut kick).await {
        log::debug!("connection {conn_id} from {peer:?} closed: {reason}");
    }
    conn.detach_all();
}

struct Connection {
    shared: Arc<Shared>,
    dc_id: i32,
    conn_id: u64,
    transport: AnyTransport,
    /// Padded intermediate: frames carry 0–15 random bytes after the packet.
    padded: bool,
    handshake: Handshake,
    /// Sessions this connection transmits for.
    attached: Vec<(SessionKey, SharedSlot)>,
    wake: Arc<Notify>,
    /// Framed bytes waiting to be written, in order.
    writes: Vec<Pending>,
    /// Emptied write buffers, for the next packets.
    spare: Vec<Vec<u8>>,
    /// One unframed packet.
    scratch: Vec<u8>,
    /// Packets sealed together (each after room for its frame header), then framed in place.
    batch: Vec<Vec<u8>>,
    rng: StdRng,
    /// Write what is queued, then close.
    closing: bool,
}

/// Bytes to write: `buf[start..]`.
struct Pending {
    buf: Vec<u8>,
    start: usize,
    /// Small frames copied one after the other; the next small frame joins them.
    joined: bool,
}

/// The buffer small frames are appended to: the last pending write if it is one, else a new
/// one (so the bytes stay in the order they were framed, which obfuscation requires).
fn joined<'a>(writes: &'a mut Vec<Pending>, spare: &mut Vec<Vec<u8>>) -> &'a mut Vec<u8> {
    if !writes.last().is_some_and(|p| p.joined) {
        writes.push(Pending {
            buf: spare.pop().unwrap_or_default(),
            start: 0,
            joined: true,
        });
    }
    let last = writes.len() - 1;
    &mut writes[last].buf
}

impl Connection {
    async fn run(
        &mut self,
        mut stream: NetStream,
        mut input: Vec<u8>,
        shutdown: &mut watch::Receiver<bool>,
        kick: &mut watch::Receiver<u64>,
    ) -> Result<(), String> {
        loop {
            while !self.closing {
                match self.transport.decode(&mut input) {
                    Ok(Decoded::Frame { payload, consumed }) => {
                        let mut packet = input.get(payload).unwrap_or_default();
                        if self.padded {
                            packet = without_transport_padding(packet);
                        }
                        self.on_packet(packet)?;
                        input.drain(..consumed);
                    }
                    Ok(Decoded::NeedMore(_)) => break,
                    Err(e) => return Err(format!("transport: {e}")),
                }
            }
            let now = server_now(&self.shared.faults);
            let more = self.transmit(now)?;
            if !self.writes.is_empty() {
                for p in &self.writes {
                    let bytes = p.buf.get(p.start..).unwrap_or_default();
                    stream.write_all(bytes).await.map_err(|e| e.to_string())?;
                }
                stream.flush().await.map_err(|e| e.to_string())?;
                for p in self.writes.drain(..) {
                    if self.spare.len() < SPARE_BUFFERS {
                        let mut buf = p.buf;
                        buf.clear();
                        self.spare.push(buf);
                    }
                }
            }
            if self.closing {
                return Err("closed by the server".into());
            }
            let sleep = self.next_timeout(now);
            // Biased: a shutdown or disconnect_all ordered before a request arrived wins over
            // it, so the request is never answered on a connection that should be gone.
            tokio::select! {
                biased;
                _ = shutdown.changed() => return Err("server shutting down".into()),
                _ = kick.changed() => return Err("disconnect_all fault".into()),
                read = stream.read_buf(&mut input) => match read {
                    Ok(0) => return Ok(()),
                    Ok(_) => {}
                    Err(e) => return Err(e.to_string()),
                },
                // More is sealed right away; what arrived meanwhile is read first.
                () = std::future::ready(()), if more => {}
                () = self.wake.notified() => {}
                () = tokio::time::sleep(sleep) => {}
            }
        }
    }

    fn on_packet(&mut self, packet: &[u8]) -> Result<(), String> {
        match packet_auth_key_id(packet) {
            None => Err(format!("{}-byte packet", packet.len())),
            Some(0) => {
                let now = server_now(&self.shared.faults);
                self.scratch.clear();
                let result = self.handshake.handle(
                    self.shared.auth_for(self.dc_id),
                    &self.shared.keys,
                    now,
                    packet,
                    &mut self.rng,
                    &mut self.scratch,
                );
                match result {
                    Ok(_) => {
                        if !self.scratch.is_empty() {
                            self.frame_scratch()?;
                        }
                        Ok(())
                    }
                    Err(e) => {
                        // Telegram drops such connections; the client starts a new exchange.
                        log::info!("auth-key exchange failed: {e}");
                        self.closing = true;
                        Ok(())
                    }
                }
            }
            Some(auth_key_id) => {
                self.on_encrypted(auth_key_id, packet);
                Ok(())
            }
        }
    }

    fn frame_scratch(&mut self) -> Result<(), String> {
        let out = joined(&mut self.writes, &mut self.spare);
        self.transport
            .encode(&self.scratch, out)
            .map_err(|e| format!("encoding: {e}"))
    }

    fn on_encrypted(&mut self, auth_key_id: i64, packet: &[u8]) {
        let now = server_now(&self.shared.faults);
        let Some(key) = self.shared.keys.get(auth_key_id, unix_secs(now)) else {
            log::debug!("unknown auth key {auth_key_id}: -404");
            let status = UNKNOWN_AUTH_KEY.to_le_bytes();
            let out = joined(&mut self.writes, &mut self.spare);
            if let Err(e) = self.transport.encode(&status, out) {
                log::warn!("cannot frame -404: {e}");
            }
            self.closing = true;
            return;
        };
        // The session a packet belongs to is inside the encryption: decrypt here to route,
        // then hand the plaintext to the session, which would otherwise decrypt every
        // upload part a second time.
        self.scratch.clear();
        if decrypt_message(&key.key, Side::Client, packet, &mut self.scratch).is_err() {
            log::debug!("packet under key {auth_key_id} does not decrypt; dropped");
            return;
        }
        let Some(session_id) = self
            .scratch
            .get(8..16)
            .and_then(|b| b.try_into().ok())
            .map(i64::from_le_bytes)
        else {
            return;
        };
        if self.shared.faults.take_salt_expiry() {
            self.shared.salt_generation.fetch_add(1, Ordering::Relaxed);
        }
        let ctx = CallContext {
            dc_id: self.dc_id,
            auth_key_id,
            perm_auth_key_id: key.perm_id(),
            session_id,
            layer: key.layer,
            temporary: key.is_temp(),
        };
        let slot = self.slot(&key, ctx.clone());

        let mut requests = Vec::new();
        let mut destroy = Vec::new();
        {
            let mut s = lock(&slot);
            if let Err(e) = s.session.handle_decrypted(now, &self.scratch) {
                log::debug!("session {session_id}: packet refused: {e}");
            }
            while let Some(event) = s.session.poll_event() {
                match event {
                    ServerEvent::Request { msg_id, body } => requests.push((msg_id, body)),
                    ServerEvent::NewSession { session_id } => {
                        log::debug!("key {auth_key_id}: new session {session_id}")
                    }
                    ServerEvent::DestroySession { session_id } => destroy.push(session_id),
                    ServerEvent::Error(e) => log::debug!("session {session_id}: {e}"),
                    other => log::debug!("session {session_id}: {other:?}"),
                }
            }
        }
        for other in destroy {
            let existed = other != session_id
                && match self.shared.sessions.remove((auth_key_id, other)) {
                    Some(gone) => {
                        let conn = lock(&gone).attached.as_ref().map(|a| a.conn_id);
                        if let Some(conn) = conn {
                            sessions::detach(&gone, conn, &self.shared.backend);
                        }
                        true
                    }
                    None => false,
                };
            lock(&slot).session.answer_destroy_session(other, existed);
        }
        for (msg_id, body) in requests {
            self.answer(&slot, ctx.clone(), now, msg_id, &body);
        }
    }

    /// The session `ctx` names, created if new and attached to this connection.
    fn slot(&mut self, key: &StoredKey, ctx: CallContext) -> SharedSlot {
        let skey = (ctx.auth_key_id, ctx.session_id);
        let shared = &self.shared;
        let slot = shared
            .sessions
            .get_or_create(skey, || new_session(shared, key));
        let attachment = Attachment {
            conn_id: self.conn_id,
            wake: self.wake.clone(),
        };
        sessions::attach(&slot, attachment, &shared.backend, &ctx);
        if !self.attached.iter().any(|(k, _)| *k == skey) {
            self.attached.push((skey, slot.clone()));
        }
        slot
    }

    fn answer(
        &mut self,
        slot: &SharedSlot,
        mut ctx: CallContext,
        now: Instant,
        msg_id: MsgId,
        body: &[u8],
    ) {
        if self.hold_until_rebind(slot, &ctx, msg_id, body) {
            return;
        }
        let shared = &self.shared;
        let outcome = rpc::execute_subscribing(
            &shared.keys,
            &shared.backend,
            &mut ctx,
            unix_secs(now),
            msg_id.0,
            body,
            |ctx| sessions::subscribe(slot, &shared.backend, ctx),
        );
        let outcome = match outcome {
            Answer::Now(outcome) => outcome,
            // A bot answers this one: wait for it off the loop, so this connection's other
            // queries (and the bot's own answer, if it shares the connection) go on.
            Answer::Later(pending) => {
                let slot = slot.clone();
                let delay = shared.faults.answer_delay();
                tokio::spawn(async move {
                    let outcome = pending.wait().await;
                    if let Some(delay) = delay {
                        tokio::time::sleep(delay).await;
                    }
                    let mut s = lock(&slot);
                    respond(&mut s.session, msg_id, outcome);
                    s.wake();
                });
                return;
            }
        };
        match shared.faults.answer_delay() {
            None => respond(&mut lock(slot).session, msg_id, outcome),
            Some(delay) => {
                let slot = slot.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let mut s = lock(&slot);
                    respond(&mut s.session, msg_id, outcome);
                    s.wake();
                });
            }
        }
    }

    /// [`Faults::hold_until_rebind`](crate::Faults::hold_until_rebind): if this call (under a
    /// temporary key) is to wait for the next binding, runs it off the loop once that happened,
    /// with its key's binding as it is then, and returns `true`.
    fn hold_until_rebind(
        &self,
        slot: &SharedSlot,
        ctx: &CallContext,
        msg_id: MsgId,
        body: &[u8],
    ) -> bool {
        let shared = &self.shared;
        if !shared.faults.rebind_holds_armed()
            || shared.keys.binding(ctx.auth_key_id).is_none()
            || !rpc::innermost_method(body).is_some_and(|m| shared.faults.take_rebind_hold(m))
        {
            return false;
        }
        let mut bindings = shared.keys.bindings();
        bindings.borrow_and_update();
        let (shared, slot, mut ctx, body) =
            (Arc::clone(shared), slot.clone(), ctx.clone(), body.to_vec());
        tokio::spawn(async move {
            if bindings.changed().await.is_err() {
                return;
            }
            let now = server_now(&shared.faults);
            let Some(key) = shared.keys.get(ctx.auth_key_id, unix_secs(now)) else {
                return;
            };
            ctx.perm_auth_key_id = key.perm_id();
            log::debug!(
                "held call {msg_id:?} runs after a rebinding, key {:#x} bound to {:#x}",
                ctx.auth_key_id,
                ctx.perm_auth_key_id
            );
            let outcome = rpc::execute_subscribing(
                &shared.keys,
                &shared.backend,
                &mut ctx,
                unix_secs(now),
                msg_id.0,
                &body,
                |ctx| sessions::subscribe(&slot, &shared.backend, ctx),
            );
            let outcome = match outcome {
                Answer::Now(outcome) => outcome,
                Answer::Later(pending) => pending.wait().await,
            };
            let mut s = lock(&slot);
            respond(&mut s.session, msg_id, outcome);
            s.wake();
        });
        true
    }

    /// Frames what the attached sessions want to send, until [`WRITE_AHEAD`] bytes wait to be
    /// written; `true` if it stopped there (more may be waiting).
    fn transmit(&mut self, now: Instant) -> Result<bool, String> {
        let conn_id = self.conn_id;
        // A session a newer connection took over transmits there, not here.
        self.attached.retain(|(_, slot)| {
            lock(slot)
                .attached
                .as_ref()
                .is_some_and(|a| a.conn_id == conn_id)
        });
        let mut stopped_at = None;
        'sessions: for (i, (_, slot)) in self.attached.iter().enumerate() {
            let mut s = lock(slot);
            s.take_updates();
            if s.session.poll_timeout().is_some_and(|t| t <= now) {
                s.session.handle_timeout(now);
            }
            // Up to four packets at a time (several file parts asked on this connection):
            // sealed together, their AES-IGE chains run side by side. Each is sealed after
            // room for its frame header and framed where it lies; a big one (a file part) is
            // then written from there, not copied.
            loop {
                if self
                    .writes
                    .iter()
                    .map(|p| p.buf.len() - p.start)
                    .sum::<usize>()
                    >= WRITE_AHEAD
                {
                    stopped_at = Some(i);
                    break 'sessions;
                }
                let room = self.transport.headroom();
                for packet in &mut self.batch {
                    packet.clear();
                    packet.resize(room, 0);
                }
                let built = s.session.poll_transmit_many(now, &mut self.batch);
                if built == 0 {
                    break;
                }
                for packet in &mut self.batch[..built] {
                    if self.shared.faults.should_disconnect() {
                        return Err("disconnect fault".into());
                    }
                    let start = self
                        .transport
                        .encode_in_place(packet, room)
                        .map_err(|e| format!("encoding: {e}"))?;
                    let frame = packet.get(start..).unwrap_or_default();
                    if frame.len() < OWN_WRITE_FROM {
                        joined(&mut self.writes, &mut self.spare).extend_from_slice(frame);
                    } else {
                        let fresh = self.spare.pop().unwrap_or_default();
                        self.writes.push(Pending {
                            buf: std::mem::replace(packet, fresh),
                            start,
                            joined: false,
                        });
                    }
                }
            }
        }
        // The sessions after the one that filled the writes go first next time.
        if let Some(i) = stopped_at {
            self.attached.rotate_left(i + 1);
        }
        Ok(stopped_at.is_some())
    }

    fn next_timeout(&self, now: Instant) -> Duration {
        self.attached
            .iter()
            .filter_map(|(_, slot)| lock(slot).session.poll_timeout())
            .min()
            .map_or(IDLE_SLEEP, |t| until(now, t).max(MIN_SLEEP))
    }

    fn detach_all(&mut self) {
        for (_, slot) in self.attached.drain(..) {
            sessions::detach(&slot, self.conn_id, &self.shared.backend);
        }
    }
}

/// Drops the random tail padded intermediate adds to a frame. The transport cannot tell payload
/// from padding; MTProto's own layout can: an encrypted packet is `24 + 16·k` bytes, a plain one
/// `20 + message_data_length`. (The mtproto core expects exact packets, so this is the driver's
/// job, as `tgwire-net` documents.)
fn without_transport_padding(frame: &[u8]) -> &[u8] {
    let len = match packet_auth_key_id(frame) {
        Some(0) => frame
            .get(16..20)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|n| n.checked_add(20)),
        Some(_) => frame.len().checked_sub(24).map(|body| 24 + body / 16 * 16),
        None => None,
    };
    match len {
        Some(len) if len <= frame.len() => &frame[..len],
        _ => frame,
    }
}

fn respond(session: &mut ServerSession, msg_id: MsgId, outcome: RpcOutcome) {
    let delivered = match outcome {
        RpcOutcome::Ok(bytes) => session.respond(msg_id, bytes),
        RpcOutcome::Part(part) => session.respond_split(msg_id, part),
        RpcOutcome::Err { code, message } => session.respond_error(msg_id, code, &message),
    };
    if !delivered {
        log::debug!("answer to {msg_id:?} discarded (dropped by the client or session reset)");
    }
}

fn new_session(shared: &Shared, key: &StoredKey) -> ServerSession {
    ServerSession::new(
        key.key.clone(),
        shared.salt_schedule(key.key.id()),
        tgwire_mtproto::ServerConfig::default(),
        rand::random(),
    )
}

#[cfg(test)]
mod tests {
    use super::without_transport_padding;

    #[test]
    fn padding_is_cut_by_mtproto_layout() {
        let mut plain = vec![0u8; 16];
        plain.extend_from_slice(&4u32.to_le_bytes());
        plain.extend_from_slice(&[1, 2, 3, 4]);
        let exact = plain.len();
        plain.extend_from_slice(&[9; 7]);
        assert_eq!(without_transport_padding(&plain).len(), exact);

        let mut encrypted = vec![1u8; 24 + 32];
        assert_eq!(without_transport_padding(&encrypted).len(), 56);
        encrypted.extend_from_slice(&[9; 15]);
        assert_eq!(without_transport_padding(&encrypted).len(), 56);

        // A plain length pointing past the frame leaves the frame for the core to refuse.
        let mut lying = vec![0u8; 16];
        lying.extend_from_slice(&400u32.to_le_bytes());
        assert_eq!(without_transport_padding(&lying).len(), 20);
        assert_eq!(without_transport_padding(&[1, 2, 3]).len(), 3);
    }
}
