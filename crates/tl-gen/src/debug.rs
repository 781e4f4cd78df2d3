//! `Debug` for generated items, written out instead of derived so that it prints what a reader
//! wants to see: only what the object carries.
//!
//! - A struct prints as `Name { field: value, .. }` like a derived `Debug`, but leaves out what is
//!   *absent*: an optional field that is `None` (`flags.N?T`) and a flag bit that is `false`
//!   (`flags.N?true`). A present optional value prints without its `Some(…)` wrapper (its
//!   presence is what `Some` would say). Empty strings and vectors, zeros and `false` booleans of
//!   non-flag fields are kept: they are values the object was sent with, not absences. This is the
//!   same rule the `serde` form follows, so `{:?}` and the JSON show the same fields.
//! - Byte strings (`bytes`, `int128`, `int256`) print as escaped byte strings (`b"ok\x00"`), and
//!   beyond 64 bytes only their start and length, through `crate::runtime::DebugBytes`: a file part
//!   does not fill a terminal with a million numbers.
//! - An enum prints as the constructor it holds (`enums::InputPeer::User(x)` as `InputPeerUser
//!   { .. }`, a field-less variant as its struct name): the variant name would only repeat it.
//!
//! `{:#?}` gives the same fields one per line, as with any `Debug`.

use std::fmt::Write as _;

use tgwire_tl_parser::{Definition, ParamType};

use crate::emit::{fields, generics_decl, generics_use};
use crate::model::{BoxedType, Model};
use crate::names::{field_name, pascal_case};
use crate::GenError;

/// How one field's value is handed to `DebugStruct::field`: `place` is the field (`self.x`) or,
/// for a present option, the reference bound to its value (`x`).
fn value_expr(rust: &str, place: &str) -> String {
    let by_ref = place.starts_with("self.");
    match rust {
        "crate::TlBytes" | "[u8; 16]" | "[u8; 32]" => {
            format!("&crate::runtime::DebugBytes(&{place}[..])")
        }
        "Vec<crate::TlBytes>" => format!("&crate::runtime::DebugBytesList(&{place})"),
        _ if by_ref => format!("&{place}"),
        _ => place.to_owned(),
    }
}

/// The `Debug` impl of the struct generated for constructor or function `def`.
pub(crate) fn for_struct(model: &Model<'_>, def: &Definition) -> Result<String, GenError> {
    let name = pascal_case(&def.name);
    let bounds = generics_decl(def, "::core::fmt::Debug");
    let params: Vec<_> = fields(def).collect();
    let mut out = format!(
        "\nimpl{bounds} ::core::fmt::Debug for {name}{} {{\n    \
         fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{\n",
        generics_use(def)
    );
    if params.is_empty() {
        let _ = writeln!(out, "        f.write_str(\"{name}\")\n    }}\n}}");
        return Ok(out);
    }
    let _ = writeln!(out, "        let mut d = f.debug_struct(\"{name}\");");
    for p in params {
        let ParamType::Normal { ty, flag } = &p.ty else {
            continue;
        };
        let field = field_name(&p.name);
        // The Rust field's name, as a derived `Debug` prints it (`r#type` as `type`).
        let shown = field.trim_start_matches("r#");
        if p.is_flag_bit() {
            let _ = writeln!(
                out,
                "        if self.{field} {{\n            d.field(\"{shown}\", &true);\n        }}"
            );
        } else if flag.is_some() {
            let rust = model.rust_type(ty, &def.generics)?;
            let _ = writeln!(
                out,
                "        if let Some(x) = &self.{field} {{\n            d.field(\"{shown}\", {});\n        }}",
                value_expr(&rust, "x")
            );
        } else {
            let rust = model.rust_type(ty, &def.generics)?;
            let _ = writeln!(
                out,
                "        d.field(\"{shown}\", {});",
                value_expr(&rust, &format!("self.{field}"))
            );
        }
    }
    out.push_str("        d.finish()\n    }\n}\n");
    Ok(out)
}

/// The `Debug` impl of the enum generated for a boxed type: the constructor it holds.
pub(crate) fn for_enum(boxed: &BoxedType<'_>) -> String {
    let name = &boxed.rust_name;
    let mut out = format!(
        "\nimpl ::core::fmt::Debug for {name} {{\n    \
         fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {{\n        \
         match self {{\n"
    );
    for (variant, def) in &boxed.variants {
        if def.params.is_empty() {
            let _ = writeln!(
                out,
                "            Self::{variant} => f.write_str(\"{}\"),",
                pascal_case(&def.name)
            );
        } else {
            let _ = writeln!(
                out,
                "            Self::{variant}(x) => ::core::fmt::Debug::fmt(x, f),"
            );
        }
    }
    out.push_str("        }\n    }\n}\n");
    out
}
