//! A raw MTProto client for the integration tests: `tgwire-net`'s client-role codecs over TCP,
//! `tgwire-mtproto`'s client-role auth-key exchange and session, and nothing else — so the
//! tests exercise the server with the project's own protocol cores, not with the tgwire client.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use rand::rngs::StdRng;
use rand::SeedableRng;
use tgwire_crypto::rsa::RsaPublicKey;
use tgwire_crypto::AuthKey;
use tgwire_mtproto::auth::client::{self, DhGenOutcome, RsaPadding};
use tgwire_mtproto::{ClientConfig, Event, Instant, RpcError, Session};
use tgwire_net::{connect, Decoded, NetStream, Proxy, Transport, TransportError, TransportKind};
use tgwire_tl_types::{Deserializable, Serializable};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub const TIMEOUT: Duration = Duration::from_secs(10);

pub fn now() -> Instant {
    Instant::from_unix_duration(SystemTime::now().duration_since(UNIX_EPOCH).unwrap())
}

/// Every transport a DC port must recognise.
pub fn all_transports() -> Vec<TransportKind> {
    TransportKind::ALL.to_vec()
}

/// What one read from the server produced.
#[derive(Debug)]
pub enum Received {
    Packet(Vec<u8>),
    /// A transport status such as -404.
    Status(i32),
    Closed,
}

/// One framed TCP connection.
pub struct Raw {
    padded: bool,
    stream: NetStream,
    transport: tgwire_net::AnyTransport,
    input: Vec<u8>,
    output: Vec<u8>,
}

impl Raw {
    pub async fn connect(addr: SocketAddr, dc_id: i16, kind: TransportKind) -> Result<Self> {
        Self::connect_via(addr, dc_id, kind, None).await
    }

    pub async fn connect_via(
        addr: SocketAddr,
        dc_id: i16,
        kind: TransportKind,
        proxy: Option<&Proxy>,
    ) -> Result<Self> {
        let c = connect(addr, dc_id, kind, proxy, TIMEOUT).await?;
        let padded = matches!(
            kind,
            TransportKind::PaddedIntermediate
                | TransportKind::Obfuscated(tgwire_net::Framing::PaddedIntermediate)
        );
        Ok(Self {
            padded,
            stream: c.stream,
            transport: c.transport,
            input: Vec::new(),
            output: Vec::new(),
        })
    }

    pub async fn send(&mut self, packet: &[u8]) -> Result<()> {
        self.output.clear();
        self.transport.encode(packet, &mut self.output)?;
        self.stream.write_all(&self.output).await?;
        self.stream.flush().await?;
        Ok(())
    }

    /// The next packet, within `TIMEOUT`.
    pub async fn recv(&mut self) -> Result<Received> {
        self.recv_within(TIMEOUT).await
    }

    pub async fn recv_within(&mut self, limit: Duration) -> Result<Received> {
        tokio::time::timeout(limit, self.recv_inner())
            .await
            .map_err(|_| anyhow!("no packet from the server within {limit:?}"))?
    }

    async fn recv_inner(&mut self) -> Result<Received> {
        loop {
            match self.transport.decode(&mut self.input) {
                Ok(Decoded::Frame { payload, consumed }) => {
                    let mut packet = self.input[payload].to_vec();
                    if self.padded {
                        cut_padding(&mut packet);
                    }
                    self.input.drain(..consumed);
                    return Ok(Received::Packet(packet));
                }
                Ok(Decoded::NeedMore(_)) => {}
                Err(TransportError::ServerStatus { code, .. }) => {
                    return Ok(Received::Status(code))
                }
                Err(e) => return Err(e.into()),
            }
            if self.stream.read_buf(&mut self.input).await? == 0 {
                return Ok(Received::Closed);
            }
        }
    }

    pub async fn recv_packet(&mut self) -> Result<Vec<u8>> {
        match self.recv().await? {
            Received::Packet(p) => Ok(p),
            other => bail!("expected a packet, got {other:?}"),
        }
    }

    /// Runs the auth-key exchange.
    pub async fn create_key(
        &mut self,
        key: &RsaPublicKey,
        padding: RsaPadding,
        temp_expires_in: Option<i32>,
    ) -> Result<client::Finished> {
        let mut rng = StdRng::from_entropy();
        let mut config = client::Config::new(vec![key.clone()], 2);
        config.padding = padding;
        config.temp_expires_in = temp_expires_in;
        let mut out = Vec::new();
        let state = client::start(config, now(), &mut rng, &mut out);
        self.send(&out).await?;
        out.clear();
        let packet = self.recv_packet().await?;
        let state = state.handle(now(), &packet, &mut rng, &mut out)?;
        self.send(&out).await?;
        out.clear();
        let packet = self.recv_packet().await?;
        let mut state = state.handle(now(), &packet, &mut rng, &mut out)?;
        loop {
            self.send(&out).await?;
            out.clear();
            let packet = self.recv_packet().await?;
            match state.handle(now(), &packet, &mut rng, &mut out)? {
                DhGenOutcome::Done(finished) => return Ok(finished),
                DhGenOutcome::Retry(next) => state = next,
            }
        }
    }
}

/// An encrypted session over a [`Raw`] connection.
pub struct Client {
    pub raw: Raw,
    pub session: Session,
    /// Events seen while waiting for answers (updates, salt changes, ...).
    pub events: Vec<Event>,
}

impl Client {
    pub fn new(raw: Raw, key: AuthKey, salt: i64) -> Self {
        Self {
            raw,
            session: Session::new(key, salt, 0, ClientConfig::default(), rand::random()),
            events: Vec::new(),
        }
    }

    /// Connects, creates a key (RSA_PAD) and starts a session with salt 0.
    pub async fn connect_new(
        addr: SocketAddr,
        kind: TransportKind,
        key: &RsaPublicKey,
    ) -> Result<Self> {
        let mut raw = Raw::connect(addr, 2, kind).await?;
        let finished = raw.create_key(key, RsaPadding::RsaPad, None).await?;
        Ok(Self::new(raw, finished.auth_key, 0))
    }

    pub async fn flush(&mut self) -> Result<()> {
        let mut packet = Vec::new();
        while self.session.poll_transmit(now(), &mut packet) {
            self.raw.send(&packet).await?;
            packet.clear();
        }
        Ok(())
    }

    /// Sends `body` and waits for its answer: `Ok(Ok(bytes))`, `Ok(Err(rpc_error))`, or `Err`
    /// when the connection failed or nothing came within `TIMEOUT`.
    pub async fn call(&mut self, body: Vec<u8>) -> Result<std::result::Result<Vec<u8>, RpcError>> {
        let request = self.session.enqueue(body);
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            self.flush().await?;
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let wait = self
                .session
                .poll_timeout()
                .map(|t| Duration::from_nanos(t.unix_nanos().saturating_sub(now().unix_nanos())))
                .unwrap_or(left)
                .min(left)
                .max(Duration::from_millis(10));
            match tokio::time::timeout(wait, self.raw.recv_inner()).await {
                Err(_) => {
                    if tokio::time::Instant::now() >= deadline {
                        bail!("no answer within {TIMEOUT:?}");
                    }
                    self.session.handle_timeout(now());
                }
                Ok(received) => match received? {
                    Received::Packet(p) => self
                        .session
                        .handle_incoming(now(), &p)
                        .context("server packet refused by the client session")?,
                    other => bail!("connection ended: {other:?}"),
                },
            }
            while let Some(event) = self.session.poll_event() {
                match event {
                    Event::Response { request: r, body } if r == request => {
                        return Ok(Ok(body.into_vec()))
                    }
                    Event::RpcError { request: r, error } if r == request => return Ok(Err(error)),
                    Event::Dropped { request: r, reason } if r == request => {
                        bail!("request dropped: {reason:?}")
                    }
                    other => self.events.push(other),
                }
            }
        }
    }

    /// `help.getNearestDc`, the cheapest call: the DC the server says it is.
    pub async fn nearest_dc(&mut self) -> Result<i32> {
        let answer = self
            .call_ok(tgwire_tl_types::functions::help::GetNearestDc.to_bytes())
            .await?;
        let tgwire_tl_types::enums::NearestDc::NearestDc(nearest) =
            tgwire_tl_types::enums::NearestDc::from_bytes(&answer)?;
        Ok(nearest.this_dc)
    }

    /// Whether the server announced a new session while we waited for answers.
    pub fn saw_new_session(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::NewSessionCreated { .. }))
    }

    /// Whether the server corrected our salt (`bad_server_salt`) while we waited for answers.
    pub fn saw_salt_change(&self) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e, Event::SaltChanged { .. }))
    }

    /// `call` that must succeed with an answer.
    pub async fn call_ok(&mut self, body: Vec<u8>) -> Result<Vec<u8>> {
        self.call(body)
            .await?
            .map_err(|e| anyhow!("rpc error {e:?}"))
    }
}

/// Padded intermediate appends 0–15 random bytes; MTProto's layout says where the packet ends.
fn cut_padding(packet: &mut Vec<u8>) {
    let len = if packet.len() >= 20 && packet[..8] == [0; 8] {
        20 + u32::from_le_bytes(packet[16..20].try_into().unwrap()) as usize
    } else {
        24 + packet.len().saturating_sub(24) / 16 * 16
    };
    packet.truncate(len);
}

pub mod process;
