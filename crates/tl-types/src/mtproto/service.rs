//! The MTProto service constructors whose fields hold arbitrary objects (`Object`), written by hand.
//!
//! The generator cannot type `rpc_result#f35c6d01 req_msg_id:long result:Object`: the result's type
//! depends on which request it answers, which only the session knows. These types therefore keep such
//! payloads as raw bytes for the caller to decode once it knows the type:
//!
//! - [`RpcResult`]: `req_msg_id` and the rest of the body as `result`;
//! - [`Message`]: `msg_id`, `seqno`, and `body` (its `bytes` length field is derived from `body`);
//! - [`MsgContainer`]: a list of [`Message`]s;
//! - [`MsgCopy`]: one boxed [`Message`];
//! - [`GzipPacked`]: compressed bytes, with [`GzipPacked::pack`] and a bounded [`GzipPacked::unpack`].

use std::io::Read as _;

use crate::{Bare, Deserializable, DeserializeError, Identifiable, Reader, Serializable};

/// The largest size [`GzipPacked::unpack`] inflates to: 16 MiB, well above any legitimate Telegram
/// payload (messages are limited to about 1 MiB), and small enough that a zip bomb cannot exhaust memory.
pub const MAX_UNPACKED_SIZE: usize = 16 * 1024 * 1024;

/// `rpc_result#f35c6d01 req_msg_id:long result:Object = RpcResult;`
///
/// `result` is every byte after `req_msg_id`: an `rpc_error`, a `gzip_packed`, or the answer itself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RpcResult {
    /// The id of the message carrying the request this answers.
    pub req_msg_id: i64,
    /// The encoded answer.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_fields::base64"))]
    pub result: Vec<u8>,
}

impl RpcResult {
    /// The answer with a `gzip_packed` wrapper removed (bounded by [`MAX_UNPACKED_SIZE`]), or as it is.
    pub fn unpacked_result(&self) -> Result<std::borrow::Cow<'_, [u8]>, DeserializeError> {
        if self.result.get(..4) == Some(&GzipPacked::CONSTRUCTOR_ID.to_le_bytes()[..]) {
            let packed = GzipPacked::from_bytes(&self.result)?;
            Ok(std::borrow::Cow::Owned(packed.unpack()?))
        } else {
            Ok(std::borrow::Cow::Borrowed(&self.result))
        }
    }
}

impl Identifiable for RpcResult {
    const CONSTRUCTOR_ID: u32 = 0xf35c6d01;
}

impl Serializable for RpcResult {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&Self::CONSTRUCTOR_ID.to_le_bytes());
        self.req_msg_id.serialize(buf);
        buf.extend_from_slice(&self.result);
    }
}

impl Deserializable for RpcResult {
    /// Consumes the whole remaining input as `result`.
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.expect_id(Self::CONSTRUCTOR_ID)?;
        let req_msg_id = r.read_i64()?;
        Ok(RpcResult {
            req_msg_id,
            result: r.read_rest().to_vec(),
        })
    }
}

/// `message msg_id:long seqno:int bytes:int body:Object = Message;` — one message inside a container.
///
/// It has no id on the wire (containers hold it bare), so `Serializable`/`Deserializable` are the bare
/// form too. `bytes` is not stored: it is `body.len()` when writing and checked when reading (it must be
/// a multiple of 4 and fit in the input).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Message {
    /// The message id.
    pub msg_id: i64,
    /// The sequence number.
    pub seqno: i32,
    /// The encoded object.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_fields::base64"))]
    pub body: Vec<u8>,
}

impl Message {
    /// The computed (never written) id of `message`, used only by the boxed form inside [`MsgCopy`].
    pub const CONSTRUCTOR_ID: u32 = 0x5bb8e511;
    /// Bytes a message takes before its body (`msg_id`, `seqno`, `bytes`).
    pub const HEADER_LEN: usize = 16;
}

impl Bare for Message {
    fn serialize_bare(&self, buf: &mut Vec<u8>) {
        self.msg_id.serialize(buf);
        self.seqno.serialize(buf);
        (self.body.len() as i32).serialize(buf);
        buf.extend_from_slice(&self.body);
    }

    fn deserialize_bare(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        let msg_id = r.read_i64()?;
        let seqno = r.read_i32()?;
        let length = r.read_i32()?;
        let remaining = r.remaining();
        let len = usize::try_from(length)
            .ok()
            .filter(|len| len % 4 == 0 && *len <= remaining)
            .ok_or(DeserializeError::InvalidLength {
                length: length.into(),
                remaining,
            })?;
        let body = r.read_raw(len)?.to_vec();
        Ok(Message {
            msg_id,
            seqno,
            body,
        })
    }
}

impl Serializable for Message {
    fn serialize(&self, buf: &mut Vec<u8>) {
        self.serialize_bare(buf);
    }
}

impl Deserializable for Message {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        Self::deserialize_bare(r)
    }
}

/// `msg_container#73f1f8dc messages:vector<%Message> = MessageContainer;`
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MsgContainer {
    /// The messages, in order.
    pub messages: Vec<Message>,
}

impl Identifiable for MsgContainer {
    const CONSTRUCTOR_ID: u32 = 0x73f1f8dc;
}

impl Serializable for MsgContainer {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&Self::CONSTRUCTOR_ID.to_le_bytes());
        buf.extend_from_slice(&(self.messages.len() as u32).to_le_bytes());
        for message in &self.messages {
            message.serialize_bare(buf);
        }
    }
}

impl Deserializable for MsgContainer {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.expect_id(Self::CONSTRUCTOR_ID)?;
        let count = r.read_u32()?;
        let remaining = r.remaining();
        // Each message needs at least its 16-byte header: check before allocating.
        if count as usize > remaining / Message::HEADER_LEN {
            return Err(DeserializeError::VectorTooLong { count, remaining });
        }
        let mut messages = Vec::with_capacity(count as usize);
        for _ in 0..count {
            messages.push(Message::deserialize_bare(r)?);
        }
        Ok(MsgContainer { messages })
    }
}

/// `msg_copy#e06046b2 orig_message:Message = MessageCopy;` — the message is boxed, so it is preceded
/// by `message`'s computed id ([`Message::CONSTRUCTOR_ID`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MsgCopy {
    /// The copied message.
    pub orig_message: Message,
}

impl Identifiable for MsgCopy {
    const CONSTRUCTOR_ID: u32 = 0xe06046b2;
}

impl Serializable for MsgCopy {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&Self::CONSTRUCTOR_ID.to_le_bytes());
        buf.extend_from_slice(&Message::CONSTRUCTOR_ID.to_le_bytes());
        self.orig_message.serialize_bare(buf);
    }
}

impl Deserializable for MsgCopy {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.expect_id(Self::CONSTRUCTOR_ID)?;
        r.expect_id(Message::CONSTRUCTOR_ID)?;
        Ok(MsgCopy {
            orig_message: Message::deserialize_bare(r)?,
        })
    }
}

/// `gzip_packed#3072cfa1 packed_data:bytes = Object;` — any object, gzip-compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct GzipPacked {
    /// The gzip stream.
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_fields::base64"))]
    pub packed_data: Vec<u8>,
}

impl GzipPacked {
    /// Compresses an encoded object.
    pub fn pack(plain: &[u8]) -> Self {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        // Writing into a Vec cannot fail.
        let packed_data = std::io::Write::write_all(&mut encoder, plain)
            .and_then(|()| encoder.finish())
            .unwrap_or_default();
        GzipPacked { packed_data }
    }

    /// Inflates the data, refusing to produce more than [`MAX_UNPACKED_SIZE`] bytes.
    pub fn unpack(&self) -> Result<Vec<u8>, DeserializeError> {
        self.unpack_with_limit(MAX_UNPACKED_SIZE)
    }

    /// Inflates the data, refusing to produce more than `limit` bytes.
    pub fn unpack_with_limit(&self, limit: usize) -> Result<Vec<u8>, DeserializeError> {
        let decoder = flate2::read::GzDecoder::new(self.packed_data.as_slice());
        let mut out = Vec::new();
        // Read one byte past the limit to tell "exactly at the limit" from "beyond it".
        decoder
            .take(limit as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| DeserializeError::Gzip {
                reason: e.to_string(),
            })?;
        if out.len() > limit {
            return Err(DeserializeError::DecompressedTooLarge { limit });
        }
        Ok(out)
    }
}

impl Identifiable for GzipPacked {
    const CONSTRUCTOR_ID: u32 = 0x3072cfa1;
}

impl Serializable for GzipPacked {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&Self::CONSTRUCTOR_ID.to_le_bytes());
        self.packed_data.serialize(buf);
    }
}

impl Deserializable for GzipPacked {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        r.expect_id(Self::CONSTRUCTOR_ID)?;
        Ok(GzipPacked {
            packed_data: Vec::<u8>::deserialize(r)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_round_trips_and_checks_lengths() {
        let container = MsgContainer {
            messages: vec![
                Message {
                    msg_id: 1,
                    seqno: 2,
                    body: vec![1, 2, 3, 4],
                },
                Message {
                    msg_id: 3,
                    seqno: 4,
                    body: vec![],
                },
            ],
        };
        let bytes = container.to_bytes();
        assert_eq!(bytes.len(), 4 + 4 + 16 + 4 + 16);
        assert_eq!(MsgContainer::from_bytes(&bytes).unwrap(), container);
        // A body length that is not a multiple of 4 is rejected.
        let mut bad = bytes.clone();
        bad[8 + 12] = 3;
        assert!(matches!(
            MsgContainer::from_bytes(&bad),
            Err(DeserializeError::InvalidLength { length: 3, .. })
        ));
        // A count that cannot fit is rejected before allocating.
        let mut bad = bytes;
        bad[4..8].copy_from_slice(&1000u32.to_le_bytes());
        assert!(matches!(
            MsgContainer::from_bytes(&bad),
            Err(DeserializeError::VectorTooLong { count: 1000, .. })
        ));
    }

    #[test]
    fn rpc_result_keeps_the_rest_and_unpacks_gzip() {
        let answer = crate::mtproto::types::Pong {
            msg_id: 5,
            ping_id: 6,
        }
        .to_bytes();
        let plain = RpcResult {
            req_msg_id: 9,
            result: answer.clone(),
        };
        assert_eq!(RpcResult::from_bytes(&plain.to_bytes()).unwrap(), plain);
        let packed = RpcResult {
            req_msg_id: 9,
            result: GzipPacked::pack(&answer).to_bytes(),
        };
        let decoded = RpcResult::from_bytes(&packed.to_bytes()).unwrap();
        assert_eq!(
            decoded.unpacked_result().unwrap().as_ref(),
            answer.as_slice()
        );
    }

    #[test]
    fn gzip_unpacking_is_bounded() {
        let packed = GzipPacked::pack(&vec![0u8; 100_000]);
        assert!(packed.packed_data.len() < 1_000, "zeros compress well");
        assert_eq!(packed.unpack_with_limit(100_000).unwrap().len(), 100_000);
        assert_eq!(
            packed.unpack_with_limit(99_999),
            Err(DeserializeError::DecompressedTooLarge { limit: 99_999 })
        );
        let corrupt = GzipPacked {
            packed_data: vec![0x1f, 0x8b, 8, 0, 1, 2, 3],
        };
        assert!(matches!(
            corrupt.unpack(),
            Err(DeserializeError::Gzip { .. })
        ));
    }

    #[test]
    fn msg_copy_round_trips() {
        let copy = MsgCopy {
            orig_message: Message {
                msg_id: 7,
                seqno: 1,
                body: vec![9; 8],
            },
        };
        assert_eq!(MsgCopy::from_bytes(&copy.to_bytes()).unwrap(), copy);
    }
}
