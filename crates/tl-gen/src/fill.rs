//! Decoding by filling in a placeholder: the large values (messages, users, chats, reply headers,
//! photos, updates that carry a message) are decoded where they are kept, instead of being built on
//! the stack and then copied there.
//!
//! A constructor is *filled* when it is held in place in the enum of a type of
//! [`Config::in_place`](crate::Config::in_place) (decoded into a vector's next slot by its enum's
//! `deserialize_push`) or listed in [`Config::into_box`](crate::Config::into_box) (decoded into its
//! `Box`), and has a placeholder: a value that holds nothing on the heap (zero, `false`, `None`, empty
//! strings and vectors, a unit or placeholder variant). Its struct gets `placeholder()` and
//! `deserialize_bare_into(&mut self, r)`, which stores each field into `self` in wire order and leaves
//! an absent optional field alone (it is `None` already).
//!
//! The fields of a filled value are written in place too: a string or byte string through
//! `TlString::read_into`/`TlBytes::read_into`, an enum through its generated `deserialize_into`, each
//! path of which writes the field itself. A value returned and then copied into its field goes through
//! memory in pieces that the copy reads back in other pieces, and the CPU cannot forward such loads
//! from the pending stores: a stall of tens of cycles per field that instruction counts do not show
//! (see tl-types' `slot.rs`). The placeholders hold nothing on the heap, so overwriting them frees
//! nothing, and on an error the partly filled value is dropped with whatever holds it.

use std::collections::HashSet;
use std::fmt::Write as _;

use tgwire_tl_parser::{Definition, ParamType, Type};

use crate::emit::{deserialize_body, fields};
use crate::layout::Storage;
use crate::model::{BoxedType, Coding, Model};
use crate::names::{field_name, pascal_case};
use crate::GenError;

/// The filled constructors (full TL names) and the boxed types (full TL names) whose enums get a
/// `deserialize_into` because a filled constructor has a field of that type.
pub(crate) fn plan(model: &Model<'_>) -> (HashSet<String>, HashSet<String>) {
    let mut filled = HashSet::new();
    let mut enums = HashSet::new();
    for def in &model.constructors {
        let listed = match model.storage(def) {
            Storage::Inline => model.config.in_place.contains(&def.ty.full_name()),
            Storage::Boxed => model.config.into_box.contains(&def.full_name()),
            Storage::Unit => false,
        };
        if !listed || struct_placeholder(model, def, 0).is_none() {
            continue;
        }
        filled.insert(def.full_name());
        for p in fields(def) {
            let ParamType::Normal { ty, .. } = &p.ty else {
                continue;
            };
            if p.is_flag_bit() || model.coding(ty, &def.generics).ok() != Some(Coding::Trait) {
                continue;
            }
            if let Some(boxed) = model.boxed_of(ty) {
                enums.insert(boxed.tl_name.clone());
            }
        }
    }
    (filled, enums)
}

/// Whether `def` is decoded by filling in its placeholder (see the module docs).
pub(crate) fn is_filled(model: &Model<'_>, def: &Definition) -> bool {
    model.filled.contains(&def.full_name())
}

/// For a field of type `ty` (Rust type `rust`) of a filled constructor: the type whose `read_into` or
/// `deserialize_into` writes the field in place, if it has one.
pub(crate) fn field_into(
    model: &Model<'_>,
    ty: &Type,
    rust: &str,
    coding: &Coding,
) -> Option<String> {
    if *coding != Coding::Trait {
        return None;
    }
    match rust {
        "crate::TlString" | "crate::TlBytes" => Some(format!("{rust}::read_into")),
        _ => {
            let boxed = model.boxed_of(ty)?;
            model
                .fill_enums
                .contains(&boxed.tl_name)
                .then(|| format!("{}::deserialize_into", model.enum_path(boxed)))
        }
    }
}

/// For a filled constructor: its placeholder and the decoder that fills one in.
///
/// Decoding a vector of messages by pushing each decoded value built each one (600 bytes) in the
/// decoder's stack frame, then copied it into the vector; a boxed value was built on the stack and
/// copied into its box. Filled in place, each field is written once, where it is kept, and an optional
/// field absent on the wire is not written at all. For the vectors this took compare/tl-codec's page of
/// messages from 396k to 355k instructions per decode (decoding each value in `deserialize_push`,
/// then pushing it: 388k).
pub(crate) fn fill_decoders(model: &Model<'_>, def: &Definition) -> Result<String, GenError> {
    if !is_filled(model, def) {
        return Ok(String::new());
    }
    let Some(placeholder) = struct_placeholder(model, def, 0) else {
        return Ok(String::new());
    };
    Ok(format!(
        "\nimpl {name} {{\n    \
         /// A value that holds nothing on the heap, for [`deserialize_bare_into`](Self::deserialize_bare_into) to fill in.\n    \
         #[cfg_attr(not(debug_assertions), inline(always))]\n    \
         pub(crate) fn placeholder() -> Self {{\n        {placeholder}\n    }}\n\n    \
         /// [`Bare::deserialize_bare`](crate::Bare::deserialize_bare) into `self`, field by field. `self` must be a\n    \
         /// [`placeholder`](Self::placeholder): an optional field absent on the wire is left as it is.\n    \
         #[cfg_attr(not(debug_assertions), inline(always))]\n    \
         pub(crate) fn deserialize_bare_into(&mut self, r: &mut crate::Reader<'_>) -> Result<(), crate::DeserializeError> {{\n{de}    }}\n}}\n",
        name = pascal_case(&def.name),
        de = deserialize_body(model, def, true)?,
    ))
}

/// A value of the struct of `def` that holds nothing on the heap (`false`, zero, `None`, empty), or
/// `None` when a field's type has no such value.
fn struct_placeholder(model: &Model<'_>, def: &Definition, depth: usize) -> Option<String> {
    if !def.generics.is_empty() {
        return None;
    }
    let mut fields_text = Vec::new();
    for p in fields(def) {
        let ParamType::Normal { ty, flag } = &p.ty else {
            continue;
        };
        let value = match flag {
            Some(_) if p.is_flag_bit() => "false".to_owned(),
            Some(_) => "None".to_owned(),
            None => type_placeholder(model, def, ty, depth)?,
        };
        fields_text.push(format!("{}: {value}", field_name(&p.name)));
    }
    let path = model.struct_path(def);
    Some(if fields_text.is_empty() {
        path
    } else {
        format!("{path} {{ {} }}", fields_text.join(", "))
    })
}

/// A value of TL type `ty` (a field of `def`) that holds nothing on the heap: see [`struct_placeholder`].
/// For a boxed type, a variant without fields, or else the first held in place that has one.
fn type_placeholder(
    model: &Model<'_>,
    def: &Definition,
    ty: &Type,
    depth: usize,
) -> Option<String> {
    if model.coding(ty, &def.generics).ok()? != Coding::Trait || depth > 4 {
        return None;
    }
    if ty.namespace.is_empty() {
        let primitive = match ty.name.as_str() {
            "int" | "long" => Some("0"),
            "double" => Some("0.0"),
            "int128" => Some("[0; 16]"),
            "int256" => Some("[0; 32]"),
            "string" => Some("crate::TlString::new()"),
            "bytes" => Some("crate::TlBytes::new()"),
            "Bool" => Some("false"),
            "Vector" | "vector" => Some("Vec::new()"),
            _ => None,
        };
        if let Some(value) = primitive {
            return Some(value.to_owned());
        }
    }
    let boxed = model.boxed_of(ty)?;
    let path = model.enum_path(boxed);
    if let Some((variant, _)) = boxed
        .variants
        .iter()
        .find(|(_, d)| model.storage(d) == Storage::Unit)
    {
        return Some(format!("{path}::{variant}"));
    }
    boxed.variants.iter().find_map(|(variant, d)| {
        (model.storage(d) == Storage::Inline)
            .then(|| struct_placeholder(model, d, depth + 1))
            .flatten()
            .map(|value| format!("{path}::{variant}({value})"))
    })
}

/// The arm body of the enum's `deserialize` for a filled boxed constructor: its placeholder is boxed
/// first and filled in there.
pub(crate) fn boxed_arm(model: &Model<'_>, variant: &str, def: &Definition) -> String {
    format!(
        "{{\n                let mut x = Box::new({}::placeholder());\n                \
         x.deserialize_bare_into(r)?;\n                Ok(Self::{variant}(x))\n            }}",
        model.struct_path(def)
    )
}

/// `Deserializable::deserialize_push` for an enum of large values held in place. A filled constructor
/// is decoded into the vector's next slot; any other is decoded, then pushed. The placeholder is
/// written with `resize_with`, which makes room before it builds the value: `push` builds it first, so
/// it would be built on the stack and copied (a `memcpy` of the whole value, 7.5k instructions per
/// page of messages).
pub(crate) fn deserialize_push(model: &Model<'_>, boxed: &BoxedType<'_>) -> String {
    let mut out = String::from(
        "\n    fn deserialize_push(\n        r: &mut crate::Reader<'_>,\n        out: &mut Vec<Self>,\n    ) -> \
         Result<(), crate::DeserializeError> {\n        let r = &mut r.nest()?;\n        match r.read_u32()? {\n",
    );
    for (variant, def) in &boxed.variants {
        let path = model.struct_path(def);
        let value = match model.storage(def) {
            Storage::Unit => format!("Self::{variant}"),
            Storage::Boxed if is_filled(model, def) => {
                let _ = writeln!(
                    out,
                    "            0x{:08x} => {{\n                let mut x = Box::new({path}::placeholder());\n                \
                     x.deserialize_bare_into(r)?;\n                out.push(Self::{variant}(x));\n            }}",
                    def.id
                );
                continue;
            }
            Storage::Boxed => {
                format!("Self::{variant}(Box::new(<{path} as crate::Bare>::deserialize_bare(r)?))")
            }
            Storage::Inline if is_filled(model, def) => {
                let _ = writeln!(
                    out,
                    "            0x{:08x} => {{\n                out.resize_with(out.len() + 1, || Self::{variant}({path}::placeholder()));\n                \
                     if let Some(Self::{variant}(x)) = out.last_mut() {{\n                    x.deserialize_bare_into(r)?;\n                }}\n            }}",
                    def.id
                );
                continue;
            }
            Storage::Inline => {
                format!("Self::{variant}(<{path} as crate::Bare>::deserialize_bare(r)?)")
            }
        };
        let _ = writeln!(out, "            0x{:08x} => out.push({value}),", def.id);
    }
    out.push_str(
        "            id => return Err(crate::DeserializeError::UnexpectedConstructor { id }),\n        }\n        \
         Ok(())\n    }\n",
    );
    out
}

/// For an enum of [`plan`]'s second set: `deserialize_into(r, slot)`, which decodes a value into a
/// field of a value being filled in (a `crate::Slot`: the field, or its `Option`), each constructor's
/// arm writing the field itself. A filled constructor's placeholder is stored first (boxed, if it is
/// held in a box) and filled in there.
pub(crate) fn deserialize_into(model: &Model<'_>, boxed: &BoxedType<'_>) -> String {
    if !model.fill_enums.contains(&boxed.tl_name) {
        return String::new();
    }
    let mut out = format!(
        "\nimpl {} {{\n    \
         /// Decodes a value into `slot`, a field of a value being filled in, which must hold nothing on the heap\n    \
         /// (see `crate::Slot`): each constructor's value is stored in the field, not returned and copied there.\n    \
         pub(crate) fn deserialize_into(\n        r: &mut crate::Reader<'_>,\n        slot: &mut impl crate::Slot<Self>,\n    ) -> \
         Result<(), crate::DeserializeError> {{\n        let r = &mut r.nest()?;\n        match r.read_u32()? {{\n",
        boxed.rust_name
    );
    for (variant, def) in &boxed.variants {
        let path = model.struct_path(def);
        let filled = is_filled(model, def);
        let arm = match model.storage(def) {
            Storage::Unit => format!("slot.put(Self::{variant});"),
            Storage::Inline | Storage::Boxed if filled => {
                let placeholder = if model.storage(def) == Storage::Boxed {
                    format!("Box::new({path}::placeholder())")
                } else {
                    format!("{path}::placeholder()")
                };
                format!(
                    "if let Some(Self::{variant}(x)) = slot.put(Self::{variant}({placeholder})) {{\n                    \
                     x.deserialize_bare_into(r)?;\n                }}"
                )
            }
            Storage::Boxed => format!(
                "slot.put(Self::{variant}(Box::new(<{path} as crate::Bare>::deserialize_bare(r)?)));"
            ),
            Storage::Inline => {
                format!("slot.put(Self::{variant}(<{path} as crate::Bare>::deserialize_bare(r)?));")
            }
        };
        let _ = writeln!(
            out,
            "            0x{:08x} => {{\n                {arm}\n            }}",
            def.id
        );
    }
    out.push_str(
        "            id => return Err(crate::DeserializeError::UnexpectedConstructor { id }),\n        }\n        \
         Ok(())\n    }\n}\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use crate::{generate, Config};

    const SCHEMA: &str = "\
        peerUser user_id:long = Peer;\n\
        peerChat chat_id:long = Peer;\n\
        header flags:# quote:flags.0?true text:flags.1?string peer:flags.2?Peer id:int a:long b:long = Header;\n\
        message flags:# id:int peer:Peer text:string header:flags.0?Header = Message;\n\
        messageEmpty id:int = Message;\n\
        update message:Message pts:int = Update;\n\
        holder items:Vector<long> = Holder;\n";

    fn generated(in_place: &[&str], into_box: &[&str]) -> String {
        let schema = tgwire_tl_parser::parse(SCHEMA).unwrap();
        let config = Config {
            in_place: in_place.iter().map(|s| (*s).to_owned()).collect(),
            into_box: into_box.iter().map(|s| (*s).to_owned()).collect(),
            ..Config::default()
        };
        generate(&schema, &config).unwrap()
    }

    #[test]
    fn listed_constructors_are_filled_with_their_fields_written_in_place() {
        let code = generated(&["Message"], &["header", "update"]);
        // Boxed ones are filled in their box, in place ones in a vector's slot.
        assert!(code.contains("let mut x = Box::new(crate::types::Header::placeholder());"));
        assert!(code.contains("let mut x = Box::new(crate::types::Update::placeholder());"));
        assert!(code.contains("Self::Message(crate::types::Message::placeholder())"));
        // Their strings and enums are decoded into the field; a filled one in a field is filled there.
        assert!(code.contains("crate::TlString::read_into(r, &mut self.text)?;"));
        assert!(code.contains("crate::enums::Peer::deserialize_into(r, &mut self.peer)?;"));
        assert!(code.contains("crate::enums::Message::deserialize_into(r, &mut self.message)?;"));
        assert!(code.contains(
            "if let Some(Self::Header(x)) = slot.put(Self::Header(Box::new(crate::types::Header::placeholder())))"
        ));
        // The placeholder of a required enum field is a variant that holds nothing on the heap.
        assert!(
            code.contains("peer: crate::enums::Peer::User(crate::types::PeerUser { user_id: 0 })")
        );
        // Only what is listed: `holder` is not.
        assert!(!code.contains("crate::types::Holder::placeholder()"));
    }

    #[test]
    fn nothing_is_filled_without_a_list() {
        let code = generated(&[], &[]);
        assert!(!code.contains("placeholder()"));
        assert!(!code.contains("deserialize_into"));
        assert!(!code.contains("read_into"));
    }
}
