//! Helpers the generated code calls for the rare shapes the traits do not cover.

use crate::{DeserializeError, Reader};

/// Writes a vector whose elements need custom coding (bare constructors), boxed (with the vector id)
/// or bare.
pub(crate) fn serialize_vector<T>(
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

/// Reads a vector written by [`serialize_vector`].
pub(crate) fn deserialize_vector<T>(
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
        out.push(each(r)?);
    }
    Ok(out)
}

/// Decodes `bytes` as a `T` (all of them) and encodes the value again.
#[cfg(any(test, feature = "fuzzing"))]
pub(crate) fn reencode<T: crate::Serializable + crate::Deserializable>(
    bytes: &[u8],
) -> Result<Vec<u8>, DeserializeError> {
    T::from_bytes(bytes).map(|value| value.to_bytes())
}
