//! Telegram's API (layer [`LAYER`]) and MTProto schemas as Rust types, with their TL (de)serialisation.
//!
//! Everything under [`types`], [`enums`], [`functions`] and [`mtproto`] (except [`mtproto::service`]) is
//! generated from `tl-schema/*.tl` by `cargo xtask codegen`:
//!
//! - a struct per constructor in `types` (`types::InputPeerUser`, `types::messages::Messages`), which
//!   (de)serialises with its id, plus [`Bare`] for the id-less form;
//! - an enum per boxed type in `enums` (`enums::InputPeer::User(types::InputPeerUser)`,
//!   `enums::MessageMedia::Document(Box<types::MessageMediaDocument>)`: small constructors, and those
//!   of `Message`, `User` and `Chat`, in place, the others boxed), with `From<types::X>` and one
//!   `match` on the id to decode;
//! - a struct per function in `functions` implementing [`RemoteCall`], whose `Return` is the type of the
//!   answer; the generic wrappers (`InvokeWithLayer<X>`, `InitConnection<X>`, …) return `X::Return`.
//!
//! TL types map to Rust as `int` → `i32`, `long` → `i64`, `double` → `f64`, `string` →
//! [`TlString`] (an owned, `String`-like string that holds up to 30 bytes inline, so short strings
//! decode without an allocation; build one with `"text".into()`, read it as `&str` with `as_str()` or
//! through `Deref`), `bytes` →
//! [`TlBytes`] (the same for bytes: up to 30 inline, longer ones one `Vec<u8>`, `Deref<Target = [u8]>`), `int128`/`int256` →
//! `[u8; 16]`/`[u8; 32]`, `Bool` → `bool`, `Vector<T>` → `Vec<T>`, `flags.N?T` → `Option<T>`,
//! `flags.N?true` → `bool`. The `flags` words themselves are not
//! fields: serialising computes them from the optional fields.
//!
//! Decoding guarantees, for any input: no panic; no allocation from an unchecked length (a vector count
//! larger than a quarter of the bytes left is an error before anything is allocated, a byte string
//! longer than the input likewise); nesting limited to [`MAX_DEPTH`]; `gzip_packed` inflation bounded
//! by [`mtproto::service::MAX_UNPACKED_SIZE`]. Invalid UTF-8 in `string` fields decodes lossily (U+FFFD);
//! binary data is always `bytes` ([`TlBytes`]) and exact. Padding bytes are not checked.
//!
//! # Printing
//!
//! Every generated type implements `Debug`, written out by the generator rather than derived: it
//! leaves out what is absent (an optional field that is `None`, a flag that is not set), prints a
//! present option without `Some(…)`, byte strings through [`runtime::DebugBytes`] (`b"…"`, cut
//! after 64 bytes), and an enum as the constructor it holds. Empty strings and vectors, zeros and
//! non-flag `false`s are values and are printed. The serde form below follows the same rule.
//!
//! Every generated item is documented from the schema (it has no comments of its own): types and
//! functions with their TL line (name, constructor id, parameters, result), fields with their TL
//! name and type and the flag bit that makes an optional one present.
//!
//! With the `serde` feature (off by default) every type implements `serde::Serialize` and
//! `serde::Deserialize`: a boxed value is a map whose `"_"` key holds the constructor's TL name
//! (`{"_": "peerUser", "user_id": 1}`), absent options and unset flags are left out, and `bytes`,
//! `int128` and `int256` are base64 strings. Everything reads back equal, NaN and infinite doubles
//! excepted (JSON has no form for them). The user guide's `docs/tl.md` shows an example.
//!
//! This crate deliberately does no I/O, no encryption and no message framing: it turns values into bytes
//! and back. Sessions, message ids and containers' meaning belong to `tgwire-mtproto`.
//!
//! ```
//! use tgwire_tl_types::{enums, functions, types, Deserializable, RemoteCall, Serializable, LAYER};
//!
//! // A request: the wrapper's answer is the wrapped function's answer.
//! let request = functions::InvokeWithLayer { layer: LAYER, query: functions::help::GetNearestDc };
//! let bytes = request.to_bytes();
//! assert_eq!(bytes[..4], 0xda9b0d0d_u32.to_le_bytes());
//!
//! // An answer, as a server would encode it and a client decode it.
//! let dc = types::NearestDc { country: "NL".into(), this_dc: 2, nearest_dc: 2 };
//! let answer_bytes = enums::NearestDc::from(dc).to_bytes();
//! type Answer = <functions::InvokeWithLayer<functions::help::GetNearestDc> as RemoteCall>::Return;
//! let enums::NearestDc::NearestDc(answer) = Answer::from_bytes(&answer_bytes)?;
//! assert_eq!(answer.country, "NL");
//! assert_eq!(tgwire_tl_types::name_for_id(0xda9b0d0d), Some("invokeWithLayer"));
//! # Ok::<(), tgwire_tl_types::DeserializeError>(())
//! ```

#![forbid(unsafe_code)]

mod blob;
mod debug_fmt;
mod error;
// Generated code documents every item (the TL line of each type and function, each field's TL
// type and flag bit), so `missing_docs` applies to it like to the rest of the crate.
#[allow(clippy::all)]
mod generated;
mod inline_window;
pub mod mtproto;
mod primitives;
mod reader;
pub mod runtime;
#[cfg(feature = "serde")]
mod serde_fields;
mod slot;
// The round trip covers functions too, so it needs them decodable.
#[cfg(all(test, feature = "deserializable-functions"))]
mod schema_tests;
mod tl_bytes;
mod tl_string;
mod traits;

pub use blob::Blob;
pub use error::DeserializeError;
pub use generated::api::{enums, functions, types};
pub use generated::{name_for_id, LAYER};
pub use primitives::{BOOL_FALSE_ID, BOOL_TRUE_ID, VECTOR_ID};
pub use reader::{Nested, Reader, MAX_DEPTH};
pub(crate) use slot::Slot;
pub use tl_bytes::TlBytes;
pub use tl_string::TlString;
pub use traits::{Bare, Deserializable, Identifiable, RemoteCall, Serializable};

/// The examples of the user guide page `docs/tl.md`, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../../docs/tl.md")]
pub struct UserGuideExamples;

/// Decode-and-re-encode entry points by constructor id, for tests and fuzzing.
#[cfg(any(test, feature = "fuzzing"))]
pub mod dynamic {
    pub use crate::generated::api::reencode as reencode_api;
    pub use crate::generated::mtproto::reencode as reencode_mtproto;
}
