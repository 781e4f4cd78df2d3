//! Raw bytes standing in for a value whose type is not known statically.

use crate::{Deserializable, DeserializeError, Reader, RemoteCall, Serializable};

/// Already-serialised TL bytes, written as they are and read as *everything that is left*.
///
/// Its main use is the query of the generic wrapper functions on the receiving side: a server decodes
/// `InvokeWithLayer<Blob>` and gets the wrapped request still encoded, to dispatch on its id. Because it
/// consumes the rest of the input, a `Blob` must be the last thing decoded (the generic `query` is always
/// the last parameter). As a [`RemoteCall`] its answer is again a `Blob`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Blob(
    #[cfg_attr(feature = "serde", serde(with = "crate::serde_fields::base64"))] pub Vec<u8>,
);

impl Serializable for Blob {
    fn serialize(&self, buf: &mut Vec<u8>) {
        buf.extend_from_slice(&self.0);
    }
}

impl Deserializable for Blob {
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError> {
        Ok(Blob(r.read_rest().to_vec()))
    }
}

impl RemoteCall for Blob {
    type Return = Blob;
}

impl From<Vec<u8>> for Blob {
    fn from(bytes: Vec<u8>) -> Self {
        Blob(bytes)
    }
}
