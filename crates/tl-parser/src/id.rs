//! Constructor ids: the CRC32 of a definition's normalised text.
//!
//! The normal form is what Telegram hashes: the definition without its `#id` and `;`, tokens separated by
//! single spaces, with these substitutions, each confirmed by every explicit id in `api.tl` and
//! `mtproto.tl`:
//! - `{X:Type}` keeps its content and loses the braces;
//! - `Vector<long>` is written `Vector long` (the angle brackets become a space);
//! - a parameter of type `bytes` is hashed as `string` (they share one wire format), but only at the top
//!   level: `Vector<bytes>` stays `Vector bytes`;
//! - `%Message` (a bare use of a boxed type) is hashed as the bare name, `message`;
//! - `flags.N?true` parameters (pure presence bits) are left out.

use crate::ast::{Builtin, BuiltinForm, Definition, ParamType, Type};

/// The CRC32 of `text` (IEEE polynomial), as TL ids use it.
pub fn crc32(text: &str) -> u32 {
    crc32fast::hash(text.as_bytes())
}

/// The normalised text of a definition, which hashes to its id.
pub fn normalised_text(def: &Definition) -> String {
    let mut out = def.full_name();
    for generic in &def.generics {
        out.push(' ');
        out.push_str(generic);
        out.push_str(":Type");
    }
    for param in def.params.iter().filter(|p| !p.is_flag_bit()) {
        out.push(' ');
        out.push_str(&param.name);
        out.push(':');
        match &param.ty {
            ParamType::Flags => out.push('#'),
            ParamType::Normal { ty, flag } => {
                if let Some(flag) = flag {
                    out.push_str(&format!("{}.{}?", flag.field, flag.bit));
                }
                push_type(&mut out, ty, true);
            }
        }
    }
    out.push_str(" = ");
    push_type(&mut out, &def.ty, true);
    out
}

/// The id a definition has when none is written: the CRC32 of [`normalised_text`].
pub fn compute_id(def: &Definition) -> u32 {
    crc32(&normalised_text(def))
}

/// The normalised text of a built-in declaration (only `vector` carries an id in practice).
pub fn builtin_normalised_text(builtin: &Builtin) -> String {
    match &builtin.form {
        BuiltinForm::Primitive => format!("{} ? = {}", builtin.name, builtin.ty),
        BuiltinForm::Array { count, element } => {
            format!("{} {count}*[ {element} ] = {}", builtin.name, builtin.ty)
        }
        BuiltinForm::Vector => format!("{} t:Type # [ t ] = {} t", builtin.name, builtin.ty),
    }
}

fn push_type(out: &mut String, ty: &Type, top_level: bool) {
    if ty.generic_ref {
        out.push('!');
    }
    if ty.percent {
        // A `%Type` is the bare form of the type's single constructor, hashed under its lower-case name.
        let full = ty.full_name();
        let mut chars = full.chars();
        if let Some(first) = chars.next() {
            out.extend(first.to_lowercase());
            out.push_str(chars.as_str());
        }
    } else if top_level && ty.namespace.is_empty() && ty.name == "bytes" {
        out.push_str("string");
    } else {
        out.push_str(&ty.full_name());
    }
    if let Some(arg) = &ty.generic_arg {
        out.push(' ');
        push_type(out, arg, false);
    }
}
