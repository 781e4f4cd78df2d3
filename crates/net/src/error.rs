//! The crate's error types, one per kind of operation.
//!
//! - [`TransportError`]: the sans-IO framing codecs and the server-side detector found malformed
//!   input, or the caller misused a codec.
//! - [`MtProxyError`]: an MTProxy secret or the fake-TLS handshake is malformed or fails its checks.
//! - [`NetError`]: anything the async connectors can hit; wraps the two above plus I/O, timeouts and
//!   proxy refusals.

use std::io;

/// What went wrong while framing or unframing bytes.
///
/// Every decoding error is terminal for the connection: the byte stream can no longer be trusted
/// to be in sync, so the caller should drop the connection (and the codec with it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The server sent a 4-byte negative status instead of a packet: `-404` means the auth key is
    /// unknown to it, `-429` means too many connections or requests (flood), `-444` an invalid DC.
    #[error("server answered with transport status {code}")]
    ServerStatus {
        /// The negative status code, such as `-404`.
        code: i32,
    },
    /// A frame announced a payload larger than [`MAX_FRAME_LEN`](crate::MAX_FRAME_LEN).
    #[error("frame of {len} bytes exceeds the maximum of {max} bytes")]
    FrameTooLarge {
        /// The announced payload length.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// A frame or a payload to encode was empty; MTProto never sends empty packets.
    #[error("empty frame")]
    EmptyFrame,
    /// A payload to encode with the abridged transport is not a multiple of 4 bytes.
    #[error("payload of {len} bytes is not a multiple of 4")]
    PayloadNotAligned {
        /// The payload length.
        len: usize,
    },
    /// A full-transport frame declared a total length below its 12-byte envelope or not a
    /// multiple of 4.
    #[error("full transport frame declares an invalid length {len}")]
    BadLength {
        /// The declared length.
        len: u32,
    },
    /// A full-transport frame carried an unexpected sequence number.
    #[error("full transport sequence number {got} where {expected} was expected")]
    SeqMismatch {
        /// The next sequence number of this direction.
        expected: u32,
        /// The one the frame carried.
        got: u32,
    },
    /// A full-transport frame's CRC32 does not match its contents.
    #[error("full transport CRC32 {got:#010x} where {expected:#010x} was computed")]
    CrcMismatch {
        /// The CRC32 computed over the received bytes.
        expected: u32,
        /// The CRC32 the frame carried.
        got: u32,
    },
    /// The peer asked for or sent a quick acknowledgement, which this crate never requests.
    #[error("unexpected quick-ack frame")]
    UnexpectedQuickAck,
    /// The first bytes of a connection are HTTP, which this crate does not serve.
    #[error("HTTP transport is not supported")]
    HttpNotSupported,
    /// The first bytes of a connection look like a plain full-transport frame whose length is
    /// impossible, so no transport matches.
    #[error("first bytes match no known transport")]
    UnknownTransport,
    /// The decrypted obfuscated2 header carries no known protocol tag; with an MTProxy secret this
    /// also means the client used another secret.
    #[error("obfuscated2 header carries unknown protocol tag {tag:#010x}")]
    BadObfuscatedTag {
        /// The decrypted tag, read as a little-endian integer.
        tag: u32,
    },
    /// The caller passed a shorter input than on the previous `decode` call without consuming a
    /// frame in between, breaking the buffer contract of [`Transport::decode`](crate::Transport::decode).
    #[error("decode input shrank from {expected} to {got} bytes without a frame being consumed")]
    InputRewound {
        /// The length already seen.
        expected: usize,
        /// The length passed now.
        got: usize,
    },
}

/// What went wrong with an MTProxy secret or the fake-TLS handshake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MtProxyError {
    /// The secret is neither valid hex nor base64, or has the wrong length or prefix.
    #[error("invalid MTProxy secret: {0}")]
    InvalidSecret(&'static str),
    /// The fake-TLS domain in an `ee` secret is empty, too long or not printable ASCII.
    #[error("invalid fake-TLS domain in MTProxy secret")]
    InvalidDomain,
    /// The ClientHello is malformed (the detail names the field).
    #[error("malformed fake-TLS ClientHello: {0}")]
    BadClientHello(&'static str),
    /// The ClientHello's digest was not made with this proxy's secret.
    #[error("fake-TLS ClientHello digest does not match the secret")]
    ClientDigestMismatch,
    /// The ClientHello's timestamp is outside the accepted window.
    #[error("fake-TLS ClientHello timestamp is {skew_secs} s away from the proxy's clock")]
    ClockSkew {
        /// Client time minus proxy time, in seconds.
        skew_secs: i64,
    },
    /// The ClientHello names another server than the secret's domain.
    #[error("fake-TLS ClientHello names another domain than the secret's")]
    DomainMismatch,
    /// The server's answer to the ClientHello is malformed (the detail names the part).
    #[error("malformed fake-TLS ServerHello: {0}")]
    BadServerHello(&'static str),
    /// The ServerHello's digest does not prove knowledge of the secret.
    #[error("fake-TLS ServerHello digest does not match the secret")]
    ServerDigestMismatch,
    /// A TLS record announced more bytes than a TLS record may hold.
    #[error("TLS record of {len} bytes exceeds the maximum of {max} bytes")]
    RecordTooLarge {
        /// The announced record length.
        len: usize,
        /// The limit in force.
        max: usize,
    },
    /// A TLS record of a type or version that cannot appear at this point.
    #[error("unexpected TLS record type {content_type:#04x}")]
    UnexpectedRecord {
        /// The record's content type byte.
        content_type: u8,
    },
    /// The transport asked for is not one this MTProxy secret can carry.
    #[error("this MTProxy secret cannot carry the requested transport")]
    UnsupportedTransport,
}

/// Everything the async connectors can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// The socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// Connecting (including any proxy handshake) took longer than the configured timeout.
    #[error("connecting to {addr} timed out")]
    ConnectTimeout {
        /// The address being connected to (the proxy's, when there is one).
        addr: std::net::SocketAddr,
    },
    /// The peer closed the connection in the middle of a handshake.
    #[error("connection closed during the {during} handshake")]
    ClosedDuringHandshake {
        /// Which handshake: "SOCKS5", "HTTP CONNECT", "fake-TLS" or "obfuscated2".
        during: &'static str,
    },
    /// The proxy refused the username and password.
    #[error("the proxy rejected the credentials")]
    ProxyAuthRejected,
    /// The proxy demands authentication but none was configured.
    #[error("the proxy requires credentials")]
    ProxyAuthRequired,
    /// The SOCKS5 proxy accepted none of the offered authentication methods.
    #[error("the SOCKS5 proxy accepted no offered authentication method")]
    Socks5NoAcceptableMethod,
    /// The SOCKS5 proxy could not open the tunnel; `reply` is the RFC 1928 reply code
    /// (1 general failure, 2 not allowed, 3 network unreachable, 4 host unreachable,
    /// 5 connection refused, 6 TTL expired, 7 command not supported, 8 address type not supported).
    #[error("the SOCKS5 proxy refused the tunnel with reply code {reply}")]
    Socks5Refused {
        /// The reply code.
        reply: u8,
    },
    /// The HTTP proxy answered CONNECT with a non-2xx status other than 407.
    #[error("the HTTP proxy answered CONNECT with status {status}")]
    HttpProxyStatus {
        /// The HTTP status code.
        status: u16,
    },
    /// The proxy spoke something that is not its protocol (the detail says where).
    #[error("malformed {proxy} proxy reply: {detail}")]
    ProxyProtocol {
        /// "SOCKS5" or "HTTP".
        proxy: &'static str,
        /// What was wrong.
        detail: &'static str,
    },
    /// A username, password or domain is longer than the proxy protocol can carry (255 bytes).
    #[error("a proxy credential or domain is longer than 255 bytes")]
    FieldTooLong,
    /// Framing failed.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// An MTProxy secret or handshake failed.
    #[error(transparent)]
    MtProxy(#[from] MtProxyError),
}

/// Why an [`invoke`](crate::SenderHandle::invoke) did not produce an answer.
///
/// Every request ends exactly once: with its answer, or with one of these.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum InvokeError {
    /// The server answered with `rpc_error` (code, name, numeric value).
    #[error(transparent)]
    Rpc(#[from] tgwire_mtproto::RpcError),
    /// The session gave up on the request (too many resends, refused by the server, cancelled).
    #[error("request dropped: {0:?}")]
    Dropped(tgwire_mtproto::DropReason),
    /// No answer within the caller's timeout; the request was cancelled.
    #[error("no answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The connection was lost after the request was sent, and the caller asked for
    /// [`OnDisconnect::Fail`](crate::OnDisconnect::Fail).
    #[error("the connection was lost while the request was in flight")]
    Disconnected,
    /// The sender was shut down (or gave up reconnecting) before an answer came.
    #[error("the sender is shut down: {0}")]
    Shutdown(crate::DisconnectReason),
    /// The request body is larger than any transport frame can carry.
    #[error("request of {len} bytes exceeds the maximum of {max} bytes")]
    RequestTooLarge {
        /// The body's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The answer arrived but does not decode as the function's return type.
    #[error("the answer does not decode: {0}")]
    Deserialize(#[from] tgwire_tl_types::DeserializeError),
}

/// Why a [`Pool`](crate::Pool) could not hand out a connection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PoolError {
    /// No address is known for this DC; add one with
    /// [`Pool::set_dc_addr`](crate::Pool::set_dc_addr).
    #[error("no address known for DC {0}")]
    UnknownDc(i16),
    /// The DC's first connection shut down before it had an auth key to share.
    #[error("DC {0} has no auth key and its first connection stopped")]
    NoAuthKey(i16),
    /// The pool was shut down.
    #[error("the pool is shut down")]
    Shutdown,
}

/// Why a proxy link (`tg://proxy?…`, `tg://socks?…`) does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// Not a `tg://proxy`, `tg://socks` or `t.me/proxy|socks` link with parameters.
    #[error("not a Telegram proxy link")]
    NotAProxyLink,
    /// A required parameter is absent or empty.
    #[error("the link has no {0} parameter")]
    Missing(&'static str),
    /// The port is not a number in 0..=65535.
    #[error("the link's port is not a valid port number")]
    BadPort,
    /// A `%` escape is broken or the decoded text is not UTF-8.
    #[error("the link contains a broken %-escape")]
    BadEscape,
    /// The MTProxy secret does not parse.
    #[error("the link's secret is invalid: {0}")]
    Secret(MtProxyError),
}
