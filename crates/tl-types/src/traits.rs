//! The traits every generated type implements.

use crate::{DeserializeError, Reader};

/// A value that can be written in TL form.
pub trait Serializable {
    /// Appends the TL encoding of `self` to `buf` (boxed types and constructors include their id).
    ///
    /// # Panics
    ///
    /// When a `bytes`/`string` value is 16 MiB or longer, which TL cannot encode (such a value can only
    /// come from the caller, never from decoding).
    fn serialize(&self, buf: &mut Vec<u8>);

    /// The TL encoding of `self` in a new buffer.
    fn to_bytes(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.serialize(&mut buf);
        buf
    }
}

/// A value that can be read from TL form.
pub trait Deserializable: Sized {
    /// Reads one value from `r`, leaving it just after the value.
    fn deserialize(r: &mut Reader<'_>) -> Result<Self, DeserializeError>;

    /// Reads one value from `r` and appends it to `out`: what decoding a `Vector` does for each element.
    ///
    /// The provided method decodes the value, then pushes it. The enums of large values held in place
    /// (messages, users, chats: hundreds of bytes each) override it to decode each value straight
    /// into the vector's next slot, instead of building it and copying it there.
    #[inline]
    fn deserialize_push(r: &mut Reader<'_>, out: &mut Vec<Self>) -> Result<(), DeserializeError> {
        // `match`, not `?`: unwrapping a large value through `?` can cost one more copy of it.
        match Self::deserialize(r) {
            Ok(value) => {
                out.push(value);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Decodes a value that must span all of `bytes`: trailing bytes are
    /// [`DeserializeError::TrailingBytes`]. Use [`Deserializable::from_bytes_prefix`] to allow them.
    fn from_bytes(bytes: &[u8]) -> Result<Self, DeserializeError> {
        let (value, used) = Self::from_bytes_prefix(bytes)?;
        match bytes.len() - used {
            0 => Ok(value),
            count => Err(DeserializeError::TrailingBytes { count }),
        }
    }

    /// Decodes a value from the start of `bytes`, returning it and how many bytes it used.
    fn from_bytes_prefix(bytes: &[u8]) -> Result<(Self, usize), DeserializeError> {
        let mut r = Reader::new(bytes);
        let value = Self::deserialize(&mut r)?;
        Ok((value, r.position()))
    }
}

/// A constructor or function, with its 32-bit id.
pub trait Identifiable {
    /// The id that precedes the fields on the wire.
    const CONSTRUCTOR_ID: u32;
}

/// The fields of a constructor without its id: TL's "bare" form, used inside bare vectors and `%Type`.
///
/// Every constructor struct implements it; its `Serializable`/`Deserializable` impls are the id
/// followed by this.
pub trait Bare: Sized {
    /// Appends the fields of `self`.
    fn serialize_bare(&self, buf: &mut Vec<u8>);
    /// Reads the fields of a value whose id was already read (or is implied).
    fn deserialize_bare(r: &mut Reader<'_>) -> Result<Self, DeserializeError>;
}

/// A function: a request whose answer decodes as [`RemoteCall::Return`].
pub trait RemoteCall: Serializable {
    /// What the server answers with (inside `rpc_result`).
    type Return: Deserializable;
}
