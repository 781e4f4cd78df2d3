//! How fields look under the `serde` feature: what the generated `#[serde(...)]` attributes point at.
//!
//! The shape of the JSON (or any serde format) is chosen for reading, like Telethon's `to_dict()`:
//!
//! - a boxed value names its constructor in a `"_"` key with the TL name (`"_": "messageMediaPhoto"`,
//!   `"_": "messages.messagesSlice"`) next to the constructor's fields;
//! - absent optional fields (`None`) and unset `true` flags (`false`) are left out;
//! - `bytes`, `int128` and `int256` are standard base64 strings (with padding), not arrays of numbers:
//!   a 24-byte file reference is one short line instead of 24 lines of pretty-printed numbers.
//!
//! Every value deserialises back to itself (floats included, except NaN, which JSON cannot carry).

use ::base64::Engine as _;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::TlBytes;

/// `skip_serializing_if` for `true` flags: leave out the ones that are not set.
#[inline]
pub(crate) fn is_false(flag: &bool) -> bool {
    !*flag
}

/// A base64 string of `bytes`.
fn encode(bytes: &[u8]) -> String {
    ::base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The bytes of a base64 string.
fn decode<E: serde::de::Error>(text: &str) -> Result<Vec<u8>, E> {
    ::base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(E::custom)
}

/// A base64 string of a `bytes` value, for `#[serde(with = "...")]`.
struct B64<'a>(&'a [u8]);

impl Serialize for B64<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(self.0))
    }
}

/// The decoded form of [`B64`].
struct Owned(Vec<u8>);

impl<'de> Deserialize<'de> for Owned {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A `String` rather than `&str` so that escaped strings and buffered content (the `"_"`-tagged
        // enums buffer their fields before choosing a variant) are accepted too.
        let text = String::deserialize(d)?;
        decode(&text).map(Owned)
    }
}

/// The field shapes that hold bytes: [`TlBytes`], `Vec<u8>`, `[u8; N]`, and vectors and options of those.
pub(crate) trait BytesShape: Sized {
    /// Writes `self` with every byte string as base64.
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
    /// Reads what [`BytesShape::ser`] wrote.
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error>;
}

impl BytesShape for Vec<u8> {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        B64(self).serialize(s)
    }
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Owned::deserialize(d).map(|o| o.0)
    }
}

impl<const N: usize> BytesShape for [u8; N] {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        B64(self).serialize(s)
    }
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = Owned::deserialize(d)?.0;
        let len = bytes.len();
        bytes
            .try_into()
            .map_err(|_| D::Error::invalid_length(len, &"a base64 string of the field's size"))
    }
}

impl BytesShape for TlBytes {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        B64(self).serialize(s)
    }
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Owned::deserialize(d).map(|o| o.0.into())
    }
}

impl BytesShape for Vec<TlBytes> {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter().map(|b| B64(b)))
    }
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Owned>::deserialize(d)?
            .into_iter()
            .map(|o| o.0.into())
            .collect())
    }
}

impl<T: BytesShape> BytesShape for Option<T> {
    fn ser<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// Lends `T`'s base64 form to `serialize_some`.
        struct Inner<'a, T>(&'a T);
        impl<T: BytesShape> Serialize for Inner<'_, T> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                self.0.ser(s)
            }
        }
        match self {
            Some(value) => s.serialize_some(&Inner(value)),
            None => s.serialize_none(),
        }
    }
    fn de<'de, D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// Borrows `T`'s base64 reading for `Option`'s.
        struct Shaped<T>(T);
        impl<'de, T: BytesShape> Deserialize<'de> for Shaped<T> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                T::de(d).map(Shaped)
            }
        }
        Ok(Option::<Shaped<T>>::deserialize(d)?.map(|s| s.0))
    }
}

/// `#[serde(with = "crate::serde_fields::base64")]`: byte strings as base64.
pub(crate) mod base64 {
    use super::BytesShape;
    use serde::{Deserializer, Serializer};

    /// Writes any [`BytesShape`] with its byte strings as base64.
    pub(crate) fn serialize<T: BytesShape, S: Serializer>(v: &T, s: S) -> Result<S::Ok, S::Error> {
        v.ser(s)
    }

    /// Reads what [`serialize`] wrote.
    pub(crate) fn deserialize<'de, T: BytesShape, D: Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        T::de(d)
    }
}
