//! Parser for Telegram's TL schema language (`api.tl`, `mtproto.tl`).
//!
//! It reads the whole grammar the official schemas use — `//` comments, `---types---` and `---functions---`
//! sections, namespaces (`messages.sendMessage`), explicit `#ids`, flag words (`flags:#`, `flags2:#`) and
//! optional parameters (`flags.3?string`, `flags2.0?true`), boxed and bare types (`Vector<long>`,
//! `vector<future_salt>`, `%Message`), generics (`{X:Type}` with `query:!X`), and the built-in
//! declarations (`int ? = Int;`, `int128 4*[ int ] = Int128;`, `vector {t:Type} # [ t ] = Vector t;`),
//! which become [`Builtin`] entries rather than being skipped.
//!
//! Every written id is checked against the CRC32 of the definition's normalised text (see [`id`]), so a
//! schema copied with a typo is caught here instead of as a mysterious server error. Errors carry the
//! line and column; parsing goes on after an error so one run lists every problem.
//!
//! It deliberately does not generate code ([`tgwire-tl-gen`] does) nor decide Rust names or layouts.
//!
//! ```
//! use tgwire_tl_parser::{parse, Category};
//!
//! let schema = parse("// LAYER 7\nping#7abe77ec ping_id:long = Pong;\n---functions---\n\
//!                     get_future_salts#b921bd04 num:int = FutureSalts;").unwrap();
//! assert_eq!(schema.layer, Some(7));
//! assert_eq!(schema.definitions[0].id, 0x7abe77ec);
//! assert_eq!(schema.definitions[1].category, Category::Function);
//!
//! let err = parse("pong#deadbeef msg_id:long ping_id:long = Pong;").unwrap_err();
//! assert_eq!((err.0[0].line, err.0[0].column), (1, 1));
//! ```
//!
//! [`tgwire-tl-gen`]: https://example.invalid/tgwire

#![forbid(unsafe_code)]

mod ast;
mod error;
mod grammar;
pub mod id;

pub use ast::{
    Builtin, BuiltinForm, Category, Definition, Flag, ParamType, Parameter, Schema, Type,
};
pub use error::{ErrorKind, ParseError, ParseErrors};
pub use grammar::{parse, parse_lenient};
