//! Service messages: constructor ids, decoding of incoming bodies and encoding of outgoing ones.
//!
//! Only the envelope and the session's own messages are decoded here; RPC request and result
//! bodies stay opaque bytes for the layers above.

use std::io::{Read, Write};

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;

use crate::error::DecodeError;
use crate::salts::FutureSalt;
use crate::wire::{put_bytes, put_i32, put_i64, put_u32, put_vec_i64, Cursor};

/// Constructor ids from `tl-schema/mtproto.tl` (and `invokeAfterMsgs` from `api.tl`).
pub(crate) mod id {
    pub(crate) const RPC_RESULT: u32 = 0xf35c_6d01;
    pub(crate) const RPC_ERROR: u32 = 0x2144_ca19;
    pub(crate) const RPC_ANSWER_UNKNOWN: u32 = 0x5e2a_d36e;
    pub(crate) const RPC_ANSWER_DROPPED_RUNNING: u32 = 0xcd78_e586;
    pub(crate) const RPC_ANSWER_DROPPED: u32 = 0xa43a_d8b7;
    pub(crate) const FUTURE_SALTS: u32 = 0xae50_0895;
    pub(crate) const PONG: u32 = 0x3477_73c5;
    pub(crate) const DESTROY_SESSION_OK: u32 = 0xe220_45fc;
    pub(crate) const DESTROY_SESSION_NONE: u32 = 0x62d3_50c9;
    pub(crate) const NEW_SESSION_CREATED: u32 = 0x9ec2_0908;
    pub(crate) const MSG_CONTAINER: u32 = 0x73f1_f8dc;
    pub(crate) const MSG_COPY: u32 = 0xe060_46b2;
    pub(crate) const GZIP_PACKED: u32 = 0x3072_cfa1;
    pub(crate) const MSGS_ACK: u32 = 0x62d6_b459;
    pub(crate) const BAD_MSG_NOTIFICATION: u32 = 0xa7ef_f811;
    pub(crate) const BAD_SERVER_SALT: u32 = 0xedab_447b;
    pub(crate) const MSG_RESEND_REQ: u32 = 0x7d86_1a08;
    pub(crate) const MSG_RESEND_ANS_REQ: u32 = 0x8610_baeb;
    pub(crate) const MSGS_STATE_REQ: u32 = 0xda69_fb52;
    pub(crate) const MSGS_STATE_INFO: u32 = 0x04de_b57d;
    pub(crate) const MSGS_ALL_INFO: u32 = 0x8cc0_d131;
    pub(crate) const MSG_DETAILED_INFO: u32 = 0x276d_3ec6;
    pub(crate) const MSG_NEW_DETAILED_INFO: u32 = 0x809d_b6df;
    pub(crate) const HTTP_WAIT: u32 = 0x9299_359f;
    pub(crate) const RPC_DROP_ANSWER: u32 = 0x58e4_a740;
    pub(crate) const GET_FUTURE_SALTS: u32 = 0xb921_bd04;
    pub(crate) const PING: u32 = 0x7abe_77ec;
    pub(crate) const PING_DELAY_DISCONNECT: u32 = 0xf342_7b8c;
    pub(crate) const DESTROY_SESSION: u32 = 0xe751_2126;
    pub(crate) const INVOKE_AFTER_MSGS: u32 = 0x3dc4_b4f0;
}

/// Whether a message with this body needs an acknowledgment (odd seq_no).
///
/// Acks, containers and the purely informational notices do not; everything else — RPC
/// queries and results, updates, pings, state requests — does.
pub(crate) fn is_content_related(body: &[u8]) -> bool {
    !matches!(
        constructor(body),
        Some(
            id::MSGS_ACK
                | id::MSG_CONTAINER
                | id::MSGS_STATE_INFO
                | id::MSGS_ALL_INFO
                | id::MSG_DETAILED_INFO
                | id::MSG_NEW_DETAILED_INFO
                | id::BAD_MSG_NOTIFICATION
                | id::BAD_SERVER_SALT
                | id::HTTP_WAIT
        )
    )
}

pub(crate) fn constructor(body: &[u8]) -> Option<u32> {
    Some(u32::from_le_bytes(body.get(..4)?.try_into().ok()?))
}

/// One message inside a container, borrowed from the decrypted buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Inner<'a> {
    pub(crate) msg_id: i64,
    pub(crate) seq_no: i32,
    pub(crate) body: &'a [u8],
}

/// Splits a `msg_container` body (including its constructor id).
pub(crate) fn parse_container(body: &[u8]) -> Result<Vec<Inner<'_>>, DecodeError> {
    let mut c = Cursor::new(body);
    c.u32()?;
    let n = c.u32()? as usize;
    // Each message takes at least 16 header bytes: cap the allocation by what is there.
    if n > c.remaining().len() / 16 {
        return Err(DecodeError::BadLength { len: n });
    }
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let msg_id = c.i64()?;
        let seq_no = c.i32()?;
        let len = c.u32()? as usize;
        if len % 4 != 0 {
            return Err(DecodeError::BadLength { len });
        }
        let body = c.take(len)?;
        if constructor(body) == Some(id::MSG_CONTAINER) {
            return Err(DecodeError::NestedContainer);
        }
        out.push(Inner {
            msg_id,
            seq_no,
            body,
        });
    }
    if !c.remaining().is_empty() {
        return Err(DecodeError::TrailingBytes(c.remaining().len()));
    }
    Ok(out)
}

pub(crate) fn gunzip(packed_body: &[u8], limit: usize) -> Result<Vec<u8>, DecodeError> {
    let mut c = Cursor::new(packed_body);
    c.u32()?;
    let data = c.bytes()?;
    let mut out = Vec::new();
    // Read one byte past the limit so "exactly at the limit" and "beyond" are told apart.
    let read = GzDecoder::new(data)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| DecodeError::Gzip { limit })?;
    if read > limit {
        return Err(DecodeError::Gzip { limit });
    }
    Ok(out)
}

/// Bodies longer than this are gzipped only if a sample of them compresses.
const PROBE_ABOVE: usize = 16 * 1024;
/// The sample's length.
const PROBE_LEN: usize = 4 * 1024;

/// Whether a sample from the middle of `body` shrinks by at least a tenth under fast deflate.
/// Large bodies are mostly file bytes (already compressed or random) or long lists of similar
/// objects (very compressible); the trial costs a 4 KiB deflate instead of a full pass over,
/// say, a 1 MiB `upload.file` that would not shrink (that pass was 40% of a download's server
/// time).
fn sample_compresses(body: &[u8]) -> bool {
    let start = (body.len() / 2).saturating_sub(PROBE_LEN / 2);
    let sample = &body[start..(start + PROBE_LEN).min(body.len())];
    let mut enc = GzEncoder::new(Vec::with_capacity(PROBE_LEN), Compression::fast());
    let packed = enc.write_all(sample).and_then(|()| enc.finish());
    packed.is_ok_and(|packed| packed.len() * 10 < sample.len() * 9)
}

/// `gzip_packed` of `body`, if that is smaller than `body` itself.
pub(crate) fn gzip_if_smaller(body: &[u8]) -> Option<Vec<u8>> {
    if body.len() > PROBE_ABOVE && !sample_compresses(body) {
        return None;
    }
    let mut enc = GzEncoder::new(Vec::with_capacity(body.len() / 2), Compression::default());
    enc.write_all(body).ok()?;
    let packed = enc.finish().ok()?;
    // Constructor + TL bytes header + padding.
    if packed.len() + 12 >= body.len() {
        return None;
    }
    let mut out = Vec::with_capacity(packed.len() + 12);
    put_u32(&mut out, id::GZIP_PACKED);
    put_bytes(&mut out, &packed);
    Some(out)
}

/// A decoded service message (or an opaque body that is not one).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Service<'a> {
    RpcResult {
        req_msg_id: i64,
        result: &'a [u8],
    },
    MsgsAck(Vec<i64>),
    BadMsg {
        bad_msg_id: i64,
        bad_msg_seqno: i32,
        code: i32,
        new_salt: Option<i64>,
    },
    NewSessionCreated {
        first_msg_id: i64,
        unique_id: i64,
        server_salt: i64,
    },
    Pong {
        msg_id: i64,
        ping_id: i64,
    },
    FutureSalts {
        req_msg_id: i64,
        now: i32,
        salts: Vec<FutureSalt>,
    },
    MsgsStateReq(Vec<i64>),
    MsgsStateInfo {
        req_msg_id: i64,
        info: &'a [u8],
    },
    MsgsAllInfo {
        msg_ids: Vec<i64>,
        info: &'a [u8],
    },
    DetailedInfo {
        msg_id: Option<i64>,
        answer_msg_id: i64,
        bytes: i32,
        status: i32,
    },
    MsgResendReq(Vec<i64>),
    MsgResendAnsReq(Vec<i64>),
    DestroySessionRes {
        session_id: i64,
        existed: bool,
    },
    Ping {
        ping_id: i64,
        disconnect_delay: Option<i32>,
    },
    GetFutureSalts {
        num: i32,
    },
    DestroySession {
        session_id: i64,
    },
    RpcDropAnswer {
        req_msg_id: i64,
    },
    HttpWait,
    Gzip,
    Container,
    MsgCopy,
    /// Not a service message: an RPC query (to a server) or an update (to a client).
    Other(&'a [u8]),
}

pub(crate) fn decode(body: &[u8]) -> Result<Service<'_>, DecodeError> {
    let Some(ctor) = constructor(body) else {
        return Err(DecodeError::UnexpectedEnd);
    };
    let mut c = Cursor::new(body);
    c.u32()?;
    let s = match ctor {
        id::RPC_RESULT => Service::RpcResult {
            req_msg_id: c.i64()?,
            result: c.take(c.remaining().len())?,
        },
        id::MSGS_ACK => Service::MsgsAck(c.vec_i64()?),
        id::BAD_MSG_NOTIFICATION => Service::BadMsg {
            bad_msg_id: c.i64()?,
            bad_msg_seqno: c.i32()?,
            code: c.i32()?,
            new_salt: None,
        },
        id::BAD_SERVER_SALT => Service::BadMsg {
            bad_msg_id: c.i64()?,
            bad_msg_seqno: c.i32()?,
            code: c.i32()?,
            new_salt: Some(c.i64()?),
        },
        id::NEW_SESSION_CREATED => Service::NewSessionCreated {
            first_msg_id: c.i64()?,
            unique_id: c.i64()?,
            server_salt: c.i64()?,
        },
        id::PONG => Service::Pong {
            msg_id: c.i64()?,
            ping_id: c.i64()?,
        },
        id::FUTURE_SALTS => {
            let req_msg_id = c.i64()?;
            let now = c.i32()?;
            // `vector<future_salt>` is bare: a count, then bare future_salt (16 bytes each).
            let n = c.u32()? as usize;
            if n > c.remaining().len() / 16 {
                return Err(DecodeError::BadLength { len: n });
            }
            let mut salts = Vec::with_capacity(n);
            for _ in 0..n {
                salts.push(FutureSalt {
                    valid_since: c.i32()?,
                    valid_until: c.i32()?,
                    salt: c.i64()?,
                });
            }
            Service::FutureSalts {
                req_msg_id,
                now,
                salts,
            }
        }
        id::MSGS_STATE_REQ => Service::MsgsStateReq(c.vec_i64()?),
        id::MSGS_STATE_INFO => Service::MsgsStateInfo {
            req_msg_id: c.i64()?,
            info: c.bytes()?,
        },
        id::MSGS_ALL_INFO => Service::MsgsAllInfo {
            msg_ids: c.vec_i64()?,
            info: c.bytes()?,
        },
        id::MSG_DETAILED_INFO => Service::DetailedInfo {
            msg_id: Some(c.i64()?),
            answer_msg_id: c.i64()?,
            bytes: c.i32()?,
            status: c.i32()?,
        },
        id::MSG_NEW_DETAILED_INFO => Service::DetailedInfo {
            msg_id: None,
            answer_msg_id: c.i64()?,
            bytes: c.i32()?,
            status: c.i32()?,
        },
        id::MSG_RESEND_REQ => Service::MsgResendReq(c.vec_i64()?),
        id::MSG_RESEND_ANS_REQ => Service::MsgResendAnsReq(c.vec_i64()?),
        id::DESTROY_SESSION_OK => Service::DestroySessionRes {
            session_id: c.i64()?,
            existed: true,
        },
        id::DESTROY_SESSION_NONE => Service::DestroySessionRes {
            session_id: c.i64()?,
            existed: false,
        },
        id::PING => Service::Ping {
            ping_id: c.i64()?,
            disconnect_delay: None,
        },
        id::PING_DELAY_DISCONNECT => Service::Ping {
            ping_id: c.i64()?,
            disconnect_delay: Some(c.i32()?),
        },
        id::GET_FUTURE_SALTS => Service::GetFutureSalts { num: c.i32()? },
        id::DESTROY_SESSION => Service::DestroySession {
            session_id: c.i64()?,
        },
        id::RPC_DROP_ANSWER => Service::RpcDropAnswer {
            req_msg_id: c.i64()?,
        },
        id::HTTP_WAIT => {
            c.take(12)?;
            Service::HttpWait
        }
        id::GZIP_PACKED => return Ok(Service::Gzip),
        id::MSG_CONTAINER => return Ok(Service::Container),
        id::MSG_COPY => return Ok(Service::MsgCopy),
        _ => return Ok(Service::Other(body)),
    };
    if !c.remaining().is_empty() && !matches!(s, Service::RpcResult { .. }) {
        return Err(DecodeError::TrailingBytes(c.remaining().len()));
    }
    Ok(s)
}

/// The `rpc_error` inside a result, if it is one.
pub(crate) fn decode_rpc_error(result: &[u8]) -> Result<Option<(i32, String)>, DecodeError> {
    if constructor(result) != Some(id::RPC_ERROR) {
        return Ok(None);
    }
    let mut c = Cursor::new(result);
    c.u32()?;
    let code = c.i32()?;
    let message = String::from_utf8_lossy(c.bytes()?).into_owned();
    Ok(Some((code, message)))
}

pub(crate) fn encode_rpc_error(code: i32, message: &str) -> Vec<u8> {
    let mut b = Vec::with_capacity(12 + message.len());
    put_u32(&mut b, id::RPC_ERROR);
    put_i32(&mut b, code);
    put_bytes(&mut b, message.as_bytes());
    b
}

pub(crate) fn encode_rpc_result(req_msg_id: i64, result: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(12 + result.len());
    b.extend_from_slice(&rpc_result_header(req_msg_id));
    b.extend_from_slice(result);
    b
}

/// The bytes of an `rpc_result` before its result.
pub(crate) fn rpc_result_header(req_msg_id: i64) -> [u8; 12] {
    let mut head = [0u8; 12];
    head[..4].copy_from_slice(&id::RPC_RESULT.to_le_bytes());
    head[4..].copy_from_slice(&req_msg_id.to_le_bytes());
    head
}

pub(crate) fn encode_ids(ctor: u32, ids: &[i64]) -> Vec<u8> {
    let mut b = Vec::with_capacity(12 + 8 * ids.len());
    put_u32(&mut b, ctor);
    put_vec_i64(&mut b, ids);
    b
}

pub(crate) fn encode_bad_msg(
    bad_msg_id: i64,
    bad_msg_seqno: i32,
    code: i32,
    new_salt: Option<i64>,
) -> Vec<u8> {
    let mut b = Vec::with_capacity(32);
    put_u32(
        &mut b,
        if new_salt.is_some() {
            id::BAD_SERVER_SALT
        } else {
            id::BAD_MSG_NOTIFICATION
        },
    );
    put_i64(&mut b, bad_msg_id);
    put_i32(&mut b, bad_msg_seqno);
    put_i32(&mut b, code);
    if let Some(salt) = new_salt {
        put_i64(&mut b, salt);
    }
    b
}

pub(crate) fn encode_new_session(first_msg_id: i64, unique_id: i64, server_salt: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(28);
    put_u32(&mut b, id::NEW_SESSION_CREATED);
    put_i64(&mut b, first_msg_id);
    put_i64(&mut b, unique_id);
    put_i64(&mut b, server_salt);
    b
}

pub(crate) fn encode_ping(ping_id: i64, disconnect_delay: Option<i32>) -> Vec<u8> {
    let mut b = Vec::with_capacity(16);
    match disconnect_delay {
        None => put_u32(&mut b, id::PING),
        Some(_) => put_u32(&mut b, id::PING_DELAY_DISCONNECT),
    }
    put_i64(&mut b, ping_id);
    if let Some(d) = disconnect_delay {
        put_i32(&mut b, d);
    }
    b
}

pub(crate) fn encode_pong(msg_id: i64, ping_id: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(20);
    put_u32(&mut b, id::PONG);
    put_i64(&mut b, msg_id);
    put_i64(&mut b, ping_id);
    b
}

pub(crate) fn encode_get_future_salts(num: i32) -> Vec<u8> {
    let mut b = Vec::with_capacity(8);
    put_u32(&mut b, id::GET_FUTURE_SALTS);
    put_i32(&mut b, num);
    b
}

pub(crate) fn encode_future_salts(req_msg_id: i64, now: i32, salts: &[FutureSalt]) -> Vec<u8> {
    let mut b = Vec::with_capacity(20 + 24 * salts.len());
    put_u32(&mut b, id::FUTURE_SALTS);
    put_i64(&mut b, req_msg_id);
    put_i32(&mut b, now);
    put_u32(&mut b, salts.len() as u32);
    for s in salts {
        // Bare `future_salt`: no constructor id inside the bare vector.
        put_i32(&mut b, s.valid_since);
        put_i32(&mut b, s.valid_until);
        put_i64(&mut b, s.salt);
    }
    b
}

pub(crate) fn encode_state_info(req_msg_id: i64, info: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(16 + info.len());
    put_u32(&mut b, id::MSGS_STATE_INFO);
    put_i64(&mut b, req_msg_id);
    put_bytes(&mut b, info);
    b
}

pub(crate) fn encode_detailed_info(msg_id: Option<i64>, answer_msg_id: i64, bytes: i32) -> Vec<u8> {
    let mut b = Vec::with_capacity(32);
    match msg_id {
        Some(id) => {
            put_u32(&mut b, id::MSG_DETAILED_INFO);
            put_i64(&mut b, id);
        }
        None => put_u32(&mut b, id::MSG_NEW_DETAILED_INFO),
    }
    put_i64(&mut b, answer_msg_id);
    put_i32(&mut b, bytes);
    put_i32(&mut b, 0);
    b
}

pub(crate) fn encode_destroy_session(session_id: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(12);
    put_u32(&mut b, id::DESTROY_SESSION);
    put_i64(&mut b, session_id);
    b
}

pub(crate) fn encode_destroy_session_res(session_id: i64, existed: bool) -> Vec<u8> {
    let mut b = Vec::with_capacity(12);
    put_u32(
        &mut b,
        if existed {
            id::DESTROY_SESSION_OK
        } else {
            id::DESTROY_SESSION_NONE
        },
    );
    put_i64(&mut b, session_id);
    b
}

pub(crate) fn encode_drop_answer(req_msg_id: i64) -> Vec<u8> {
    let mut b = Vec::with_capacity(12);
    put_u32(&mut b, id::RPC_DROP_ANSWER);
    put_i64(&mut b, req_msg_id);
    b
}

/// The three `RpcDropAnswer` results.
pub(crate) fn encode_drop_answer_result(
    dropped: Option<(i64, i32, i32)>,
    running: bool,
) -> Vec<u8> {
    let mut b = Vec::with_capacity(20);
    match (dropped, running) {
        (Some((msg_id, seq_no, bytes)), _) => {
            put_u32(&mut b, id::RPC_ANSWER_DROPPED);
            put_i64(&mut b, msg_id);
            put_i32(&mut b, seq_no);
            put_i32(&mut b, bytes);
        }
        (None, true) => put_u32(&mut b, id::RPC_ANSWER_DROPPED_RUNNING),
        (None, false) => put_u32(&mut b, id::RPC_ANSWER_UNKNOWN),
    }
    b
}

/// `invokeAfterMsgs msg_ids query`, which makes the server run `query` only after `after`.
pub(crate) fn wrap_invoke_after(after: &[i64], query: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(12 + 8 * after.len() + query.len());
    put_u32(&mut b, id::INVOKE_AFTER_MSGS);
    put_vec_i64(&mut b, after);
    b.extend_from_slice(query);
    b
}

/// The 16-byte header of `body` inside a container: msg_id, seqno, bytes.
pub(crate) fn message_header(msg_id: i64, seq_no: i32, body_len: usize) -> [u8; 16] {
    let mut head = [0u8; 16];
    head[..8].copy_from_slice(&msg_id.to_le_bytes());
    head[8..12].copy_from_slice(&seq_no.to_le_bytes());
    head[12..].copy_from_slice(&(body_len as u32).to_le_bytes());
    head
}

/// Appends one `message` (msg_id, seqno, bytes, body) to a container being built (tests;
/// the session seals containers from their pieces instead).
#[cfg(test)]
pub(crate) fn put_message(buf: &mut Vec<u8>, msg_id: i64, seq_no: i32, body: &[u8]) {
    buf.extend_from_slice(&message_header(msg_id, seq_no, body.len()));
    buf.extend_from_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_messages_round_trip() {
        let cases: Vec<(Vec<u8>, Service<'_>)> = vec![
            (
                encode_ids(id::MSGS_ACK, &[1, 2]),
                Service::MsgsAck(vec![1, 2]),
            ),
            (
                encode_bad_msg(5, 7, 48, Some(9)),
                Service::BadMsg {
                    bad_msg_id: 5,
                    bad_msg_seqno: 7,
                    code: 48,
                    new_salt: Some(9),
                },
            ),
            (
                encode_bad_msg(5, 7, 16, None),
                Service::BadMsg {
                    bad_msg_id: 5,
                    bad_msg_seqno: 7,
                    code: 16,
                    new_salt: None,
                },
            ),
            (
                encode_new_session(1, 2, 3),
                Service::NewSessionCreated {
                    first_msg_id: 1,
                    unique_id: 2,
                    server_salt: 3,
                },
            ),
            (
                encode_pong(4, 5),
                Service::Pong {
                    msg_id: 4,
                    ping_id: 5,
                },
            ),
            (
                encode_ping(5, Some(75)),
                Service::Ping {
                    ping_id: 5,
                    disconnect_delay: Some(75),
                },
            ),
            (
                encode_get_future_salts(3),
                Service::GetFutureSalts { num: 3 },
            ),
            (
                encode_future_salts(
                    8,
                    100,
                    &[FutureSalt {
                        valid_since: 1,
                        valid_until: 2,
                        salt: 3,
                    }],
                ),
                Service::FutureSalts {
                    req_msg_id: 8,
                    now: 100,
                    salts: vec![FutureSalt {
                        valid_since: 1,
                        valid_until: 2,
                        salt: 3,
                    }],
                },
            ),
            (
                encode_state_info(3, &[4, 1]),
                Service::MsgsStateInfo {
                    req_msg_id: 3,
                    info: &[4, 1],
                },
            ),
            (
                encode_detailed_info(Some(1), 2, 3),
                Service::DetailedInfo {
                    msg_id: Some(1),
                    answer_msg_id: 2,
                    bytes: 3,
                    status: 0,
                },
            ),
            (
                encode_detailed_info(None, 2, 3),
                Service::DetailedInfo {
                    msg_id: None,
                    answer_msg_id: 2,
                    bytes: 3,
                    status: 0,
                },
            ),
            (
                encode_ids(id::MSG_RESEND_REQ, &[7]),
                Service::MsgResendReq(vec![7]),
            ),
            (
                encode_ids(id::MSG_RESEND_ANS_REQ, &[7]),
                Service::MsgResendAnsReq(vec![7]),
            ),
            (
                encode_ids(id::MSGS_STATE_REQ, &[7]),
                Service::MsgsStateReq(vec![7]),
            ),
            (
                encode_destroy_session(9),
                Service::DestroySession { session_id: 9 },
            ),
            (
                encode_destroy_session_res(9, false),
                Service::DestroySessionRes {
                    session_id: 9,
                    existed: false,
                },
            ),
            (
                encode_drop_answer(9),
                Service::RpcDropAnswer { req_msg_id: 9 },
            ),
        ];
        for (bytes, expected) in &cases {
            assert_eq!(&decode(bytes).unwrap(), expected);
        }
        let r = encode_rpc_result(11, &encode_rpc_error(420, "FLOOD_WAIT_3"));
        let Service::RpcResult { req_msg_id, result } = decode(&r).unwrap() else {
            panic!()
        };
        assert_eq!(req_msg_id, 11);
        assert_eq!(
            decode_rpc_error(result).unwrap(),
            Some((420, "FLOOD_WAIT_3".to_owned()))
        );
    }

    #[test]
    fn containers_split_and_reject_nesting() {
        let mut body = Vec::new();
        put_u32(&mut body, id::MSG_CONTAINER);
        put_u32(&mut body, 2);
        put_message(&mut body, 4, 1, &encode_ping(1, None));
        put_message(&mut body, 8, 2, &encode_ids(id::MSGS_ACK, &[3]));
        let msgs = parse_container(&body).unwrap();
        assert_eq!((msgs[0].msg_id, msgs[1].seq_no), (4, 2));
        assert_eq!(decode(msgs[1].body).unwrap(), Service::MsgsAck(vec![3]));

        let mut nested = Vec::new();
        put_u32(&mut nested, id::MSG_CONTAINER);
        put_u32(&mut nested, 1);
        put_message(&mut nested, 12, 0, &body);
        assert_eq!(
            parse_container(&nested).unwrap_err(),
            DecodeError::NestedContainer
        );
    }

    #[test]
    fn gzip_round_trip_and_limit() {
        let body = vec![0x42u8; 10_000];
        let packed = gzip_if_smaller(&body).expect("repetitive data compresses");
        assert!(packed.len() < 200);
        assert_eq!(gunzip(&packed, 10_000).unwrap(), body);
        assert_eq!(
            gunzip(&packed, 9_999).unwrap_err(),
            DecodeError::Gzip { limit: 9_999 }
        );
        assert!(gzip_if_smaller(&[1, 2, 3, 4]).is_none());
        // Large incompressible bodies (file bytes) are recognised from a sample; large
        // compressible ones still shrink.
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let noise: Vec<u8> = (0..1 << 20)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        assert!(!sample_compresses(&noise));
        assert!(gzip_if_smaller(&noise).is_none());
        let listing: Vec<u8> = (0..200_000u32)
            .flat_map(|i| (i % 97).to_le_bytes())
            .collect();
        assert!(sample_compresses(&listing));
        assert!(gzip_if_smaller(&listing).is_some_and(|p| p.len() < listing.len() / 4));
    }
}
