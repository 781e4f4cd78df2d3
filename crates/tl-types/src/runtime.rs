//! Helpers the generated code calls for the rare shapes the traits do not cover: vectors whose
//! elements are bare constructors, and bare `vector<T>`. Hand-written impls may use them too.

use crate::{DeserializeError, Reader};

pub use crate::debug_fmt::{DebugBytes, DebugBytesList};

/// Writes a vector whose elements need custom coding (bare constructors), boxed (with the vector id)
/// or bare.
pub fn serialize_vector<T>(
    items: &[T],
    boxed: bool,
    buf: &mut Vec<u8>,
    mut each: impl FnMut(&T, &mut Vec<u8>),
) {
    if boxed {
        buf.extend_from_slice(&crate::primitives::VECTOR_ID.to_le_bytes());
    }
    buf.extend_from_slice(&(items.len() as u32).to_le_bytes());
    for item in items {
        each(item, buf);
    }
}

/// Reads a vector written by [`serialize_vector`]; the count is checked against the bytes left before
/// allocating (see [`Reader::read_vector_len`]).
pub fn deserialize_vector<T>(
    r: &mut Reader<'_>,
    boxed: bool,
    mut each: impl FnMut(&mut Reader<'_>) -> Result<T, DeserializeError>,
) -> Result<Vec<T>, DeserializeError> {
    if boxed {
        r.expect_id(crate::primitives::VECTOR_ID)?;
    }
    let count = r.read_vector_len()?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        // `match`, not `?`: see `Vec<T>`'s `Deserializable`.
        match each(r) {
            Ok(item) => out.push(item),
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Decodes `bytes` as a `T` (all of them) and encodes the value again (what round-trip tests and fuzz
/// targets check).
pub fn reencode<T: crate::Serializable + crate::Deserializable>(
    bytes: &[u8],
) -> Result<Vec<u8>, DeserializeError> {
    T::from_bytes(bytes).map(|value| value.to_bytes())
}

/// [`reencode`] with a trip through JSON in between: the value must come back equal from its JSON form
/// (what the `serde` feature's tests check for every definition).
///
/// # Panics
///
/// When the JSON form does not give back an equal value (a test failure).
#[cfg(all(test, feature = "serde"))]
pub(crate) fn reencode_json<T>(bytes: &[u8]) -> Result<Vec<u8>, DeserializeError>
where
    T: crate::Serializable
        + crate::Deserializable
        + serde::Serialize
        + serde::de::DeserializeOwned
        + PartialEq
        + std::fmt::Debug,
{
    let value = T::from_bytes(bytes)?;
    let json = serde_json::to_string(&value).expect("every value serialises");
    let back: T = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e} in {json}"));
    assert_eq!(back, value, "changed by a trip through {json}");
    Ok(back.to_bytes())
}
