//! Writing Rust source for a resolved schema.
//!
//! The output is plain text, indented like rustfmt would, and fully determined by the schema: items come
//! in file order, namespaces sorted. Generated code names every runtime item by its full `crate::` path
//! so it needs no `use` lines and cannot be confused by a constructor that shares a name with an import.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tgwire_tl_parser::{Definition, ParamType, Parameter};

use crate::layout::Storage;
use crate::model::{BoxedType, Coding, Model};
use crate::names::{field_name, pascal_case};
use crate::GenError;

// `Debug` is written out by `debug.rs` (it leaves absent fields out), not derived.
const DERIVES: &str = "#[derive(Clone, PartialEq)]\n\
     #[cfg_attr(feature = \"serde\", derive(serde::Serialize, serde::Deserialize))]\n";

/// The serde attribute of a field of Rust type `rust` (before any `Option`), if it needs one: absent
/// options and unset flags are left out, byte strings are base64 (see `tgwire_tl_types`'s
/// `serde_fields`, which these paths name).
fn serde_field_attr(rust: &str, optional: bool, flag_bit: bool) -> Option<String> {
    let bytes = matches!(
        rust,
        "crate::TlBytes" | "Vec<crate::TlBytes>" | "[u8; 16]" | "[u8; 32]"
    );
    let mut parts = Vec::new();
    if flag_bit {
        parts.push("default, skip_serializing_if = \"crate::serde_fields::is_false\"");
    } else if optional {
        // Missing `Option` fields read as `None` without `default`, unless read `with` a function.
        parts.push(if bytes {
            "default, skip_serializing_if = \"Option::is_none\""
        } else {
            "skip_serializing_if = \"Option::is_none\""
        });
    }
    if bytes && !flag_bit {
        parts.push("with = \"crate::serde_fields::base64\"");
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "    #[cfg_attr(feature = \"serde\", serde({}))]\n",
        parts.join(", ")
    ))
}

pub(crate) fn module(model: &Model<'_>) -> Result<String, GenError> {
    let mut out = String::new();

    out.push_str("/// Constructors: one struct per TL constructor.\npub mod types {\n");
    let mut by_ns: BTreeMap<&[String], Vec<String>> = BTreeMap::new();
    for def in &model.constructors {
        by_ns
            .entry(&def.namespace)
            .or_default()
            .push(constructor(model, def)?);
    }
    write_namespaces(&mut out, by_ns, "Constructors");
    out.push_str("}\n\n");

    out.push_str(
        "/// Boxed types: one enum per TL type, over its constructors.\npub mod enums {\n",
    );
    let mut by_ns: BTreeMap<&[String], Vec<String>> = BTreeMap::new();
    for boxed in &model.boxed {
        by_ns
            .entry(&boxed.namespace)
            .or_default()
            .push(enumeration(model, boxed));
    }
    write_namespaces(&mut out, by_ns, "Boxed types");
    out.push_str("}\n\n");

    out.push_str("/// Functions: one struct per TL function, with its return type as `RemoteCall::Return`.\n");
    out.push_str("pub mod functions {\n");
    let mut by_ns: BTreeMap<&[String], Vec<String>> = BTreeMap::new();
    for def in &model.functions {
        by_ns
            .entry(&def.namespace)
            .or_default()
            .push(function(model, def)?);
    }
    write_namespaces(&mut out, by_ns, "Functions");
    out.push_str("}\n\n");

    out.push_str(&reencode(model));
    Ok(out)
}

fn write_namespaces(out: &mut String, by_ns: BTreeMap<&[String], Vec<String>>, what: &str) {
    let mut first = true;
    for (namespace, items) in by_ns {
        if !first {
            out.push('\n');
        }
        first = false;
        let nested = !namespace.is_empty();
        if nested {
            let _ = writeln!(
                out,
                "/// {what} of the `{}` namespace.\npub mod {} {{",
                namespace.join("."),
                namespace.join("::")
            );
        }
        out.push_str(&items.join("\n"));
        if nested {
            out.push_str("}\n");
        }
    }
}

/// The definition as TL text, for doc comments.
fn tl_text(def: &Definition) -> String {
    let mut out = format!("{}#{:08x}", def.full_name(), def.id);
    for g in &def.generics {
        let _ = write!(out, " {{{g}:Type}}");
    }
    for p in &def.params {
        match &p.ty {
            ParamType::Flags => {
                let _ = write!(out, " {}:#", p.name);
            }
            ParamType::Normal { ty, flag: Some(f) } => {
                let _ = write!(out, " {}:{}.{}?{ty}", p.name, f.field, f.bit);
            }
            ParamType::Normal { ty, flag: None } => {
                let _ = write!(out, " {}:{ty}", p.name);
            }
        }
    }
    let _ = write!(out, " = {}", def.ty);
    out
}

pub(crate) fn generics_decl(def: &Definition, bound: &str) -> String {
    if def.generics.is_empty() {
        String::new()
    } else if bound.is_empty() {
        format!("<{}>", def.generics.join(", "))
    } else {
        let list: Vec<String> = def
            .generics
            .iter()
            .map(|g| format!("{g}: {bound}"))
            .collect();
        format!("<{}>", list.join(", "))
    }
}

pub(crate) fn generics_use(def: &Definition) -> String {
    if def.generics.is_empty() {
        String::new()
    } else {
        format!("<{}>", def.generics.join(", "))
    }
}

/// The fields a struct holds: every parameter except the `#` flag words.
pub(crate) fn fields(def: &Definition) -> impl Iterator<Item = &Parameter> {
    def.params
        .iter()
        .filter(|p| !matches!(p.ty, ParamType::Flags))
}

fn struct_decl(model: &Model<'_>, def: &Definition, doc: &str) -> Result<String, GenError> {
    let name = pascal_case(&def.name);
    let mut out = format!("/// {doc}\n///\n/// `{}`\n{DERIVES}", tl_text(def));
    let params: Vec<&Parameter> = fields(def).collect();
    if params.is_empty() && def.generics.is_empty() {
        let _ = writeln!(out, "pub struct {name};");
        out.push_str(&crate::debug::for_struct(model, def)?);
        return Ok(out);
    }
    let _ = writeln!(out, "pub struct {name}{} {{", generics_use(def));
    let mut seen = std::collections::HashSet::new();
    for p in params {
        if !seen.insert(field_name(&p.name)) {
            return Err(GenError::DuplicateName(format!(
                "{}.{}",
                def.full_name(),
                field_name(&p.name)
            )));
        }
        let ParamType::Normal { ty, flag } = &p.ty else {
            continue;
        };
        let field = field_name(&p.name);
        if field == "r" || field.starts_with("fw_") {
            return Err(GenError::ReservedName(format!(
                "{}.{}",
                def.full_name(),
                p.name
            )));
        }
        let rust = model.rust_type(ty, &def.generics)?;
        out.push_str(&crate::docs::field(p));
        if let Some(attr) = serde_field_attr(&rust, flag.is_some(), p.is_flag_bit()) {
            out.push_str(&attr);
        }
        let rust = match flag {
            Some(_) if p.is_flag_bit() => "bool".to_owned(),
            Some(_) => format!("Option<{rust}>"),
            None => rust,
        };
        let _ = writeln!(out, "    pub {field}: {rust},");
    }
    out.push_str("}\n");
    out.push_str(&crate::debug::for_struct(model, def)?);
    Ok(out)
}

/// The parameters of `def` that share `flag`'s bit.
fn bit_group<'d>(def: &'d Definition, field: &str, bit: u32) -> Vec<&'d Parameter> {
    def.params
        .iter()
        .filter(|q| matches!(&q.ty, ParamType::Normal { flag: Some(f), .. } if f.field == field && f.bit == bit))
        .collect()
}

/// The Rust expression of a "nothing" value written for an absent parameter whose flag bit is set by
/// another parameter sharing it: zero, empty string, empty vector, `false`. `None` for types without one.
fn zero_value(model: &Model<'_>, def: &Definition, ty: &tgwire_tl_parser::Type) -> Option<String> {
    if model.coding(ty, &def.generics).ok()? != Coding::Trait || !ty.namespace.is_empty() {
        return None;
    }
    Some(match ty.name.as_str() {
        "int" => "0i32".to_owned(),
        "long" => "0i64".to_owned(),
        "double" => "0f64".to_owned(),
        "int128" => "[0u8; 16]".to_owned(),
        "int256" => "[0u8; 32]".to_owned(),
        "string" => "crate::TlString::new()".to_owned(),
        "bytes" => "crate::TlBytes::new()".to_owned(),
        "Bool" => "false".to_owned(),
        "Vector" => format!(
            "{}::new()",
            model
                .rust_type(ty, &def.generics)
                .ok()?
                .replacen("Vec<", "Vec::<", 1)
        ),
        _ => return None,
    })
}

/// Whether the bit of the optional parameter `p` is set while writing `p` itself instead of before the
/// flag word: true for an `Option` field that is alone on its bit (not a `true` flag, not a shared bit).
fn bit_set_on_write(def: &Definition, p: &Parameter) -> bool {
    match &p.ty {
        ParamType::Normal { flag: Some(f), .. } => {
            !p.is_flag_bit() && bit_group(def, &f.field, f.bit).len() == 1
        }
        _ => false,
    }
}

/// Statements writing the parameters of `def` from `self` into `buf`.
///
/// Parameters sharing one flag bit are present or absent together on the wire. The bit is set when any
/// of them is set; a missing one is then written as its zero value. If a missing one has no zero value
/// (a boxed type), the bit cannot be set truthfully and the whole group is left out.
///
/// An optional field alone on its bit (the common case) is tested once: its flag word is written as a
/// placeholder, the field sets its bit as it is written, and the word is patched in at the end. Only
/// `true` flags and shared bits are computed before the word is written.
fn serialize_body(model: &Model<'_>, def: &Definition) -> Result<String, GenError> {
    let mut out = String::new();
    let mut patches = Vec::new();
    for p in &def.params {
        match &p.ty {
            ParamType::Flags => {
                let word = format!("fw_{}", p.name);
                let mut bits: Vec<u32> = def
                    .params
                    .iter()
                    .filter_map(|q| match &q.ty {
                        ParamType::Normal { flag: Some(f), .. } if f.field == p.name => Some(f.bit),
                        _ => None,
                    })
                    .collect();
                let mut seen = std::collections::HashSet::new();
                bits.retain(|b| seen.insert(*b));
                if bits.is_empty() {
                    let _ = writeln!(out, "        buf.extend_from_slice(&0u32.to_le_bytes());");
                    continue;
                }
                let _ = writeln!(out, "        let mut {word}: u32 = 0;");
                let mut patched = false;
                for bit in bits {
                    let group = bit_group(def, &p.name, bit);
                    if group.len() == 1 && bit_set_on_write(def, group[0]) {
                        patched = true;
                        continue;
                    }
                    let mut any = Vec::new();
                    let mut required = Vec::new();
                    for q in &group {
                        let name = field_name(&q.name);
                        if q.is_flag_bit() {
                            any.push(format!("self.{name}"));
                            continue;
                        }
                        any.push(format!("self.{name}.is_some()"));
                        let ParamType::Normal { ty, .. } = &q.ty else {
                            continue;
                        };
                        if group.len() > 1 && zero_value(model, def, ty).is_none() {
                            required.push(format!("self.{name}.is_some()"));
                        }
                    }
                    let mut condition = any.join(" || ");
                    if !required.is_empty() {
                        condition = format!("({condition}) && {}", required.join(" && "));
                    }
                    let _ = writeln!(
                        out,
                        "        if {condition} {{\n            {word} |= 0x{:x};\n        }}",
                        1u64 << bit
                    );
                }
                if patched {
                    let _ = writeln!(out, "        let {word}_at = buf.len();");
                    patches.push(word.clone());
                }
                let _ = writeln!(out, "        buf.extend_from_slice(&{word}.to_le_bytes());");
            }
            ParamType::Normal { flag: Some(_), .. } if p.is_flag_bit() => {}
            ParamType::Normal { ty, flag: Some(f) } => {
                let coding = model.coding(ty, &def.generics)?;
                let name = field_name(&p.name);
                let shared = bit_group(def, &f.field, f.bit).len() > 1;
                let mask = 1u64 << f.bit;
                match zero_value(model, def, ty).filter(|_| shared) {
                    // Written whenever the shared bit is set, as zero when absent.
                    Some(zero) => {
                        let _ = writeln!(
                            out,
                            "        if fw_{} & 0x{mask:x} != 0 {{\n            match &self.{name} {{\n                \
                             Some(x) => {{ {} }}\n                None => {{ {} }}\n            }}\n        }}",
                            f.field,
                            serialize_stmt("x", &coding),
                            serialize_stmt(&format!("&{zero}"), &coding),
                        );
                    }
                    None if shared => {
                        let _ = writeln!(
                            out,
                            "        if fw_{} & 0x{mask:x} != 0 {{\n            if let Some(x) = &self.{name} {{\n                {}\n            }}\n        }}",
                            f.field,
                            serialize_stmt("x", &coding)
                        );
                    }
                    None => {
                        let _ = writeln!(
                            out,
                            "        if let Some(x) = &self.{name} {{\n            fw_{} |= 0x{mask:x};\n            {}\n        }}",
                            f.field,
                            serialize_stmt("x", &coding)
                        );
                    }
                }
            }
            ParamType::Normal { ty, flag: None } => {
                let coding = model.coding(ty, &def.generics)?;
                let expr = format!("&self.{}", field_name(&p.name));
                let _ = writeln!(out, "        {}", serialize_stmt(&expr, &coding));
            }
        }
    }
    for word in patches {
        let _ = writeln!(
            out,
            "        buf[{word}_at..{word}_at + 4].copy_from_slice(&{word}.to_le_bytes());"
        );
    }
    Ok(out)
}

fn serialize_stmt(expr: &str, coding: &Coding) -> String {
    match coding {
        Coding::Trait => format!("crate::Serializable::serialize({expr}, buf);"),
        Coding::Bare => format!("crate::Bare::serialize_bare({expr}, buf);"),
        Coding::Vector { boxed, element } => format!(
            "crate::runtime::serialize_vector({expr}, {boxed}, buf, |e, buf| {{ {} }});",
            serialize_stmt("e", element)
        ),
    }
}

fn deserialize_expr(rust: &str, coding: &Coding, element_rust: Option<&str>) -> String {
    match coding {
        Coding::Trait => format!("<{rust} as crate::Deserializable>::deserialize(r)"),
        Coding::Bare => format!("<{rust} as crate::Bare>::deserialize_bare(r)"),
        Coding::Vector { boxed, element } => {
            let element_rust = element_rust.unwrap_or("_");
            format!(
                "crate::runtime::deserialize_vector(r, {boxed}, |r| {})",
                deserialize_expr(element_rust, element, None)
            )
        }
    }
}

/// Statements reading the parameters of `def` from `r`, then building `Self`; with `into`, storing
/// each into the field of `self` instead (see `fill.rs`).
pub(crate) fn deserialize_body(
    model: &Model<'_>,
    def: &Definition,
    into: bool,
) -> Result<String, GenError> {
    let bind = if into { "self." } else { "let " };
    let mut out = String::new();
    let mut names = Vec::new();
    for p in &def.params {
        match &p.ty {
            ParamType::Flags => {
                let used = def.params.iter().any(
                    |q| matches!(&q.ty, ParamType::Normal { flag: Some(f), .. } if f.field == p.name),
                );
                if used {
                    let _ = writeln!(out, "        let fw_{} = r.read_u32()?;", p.name);
                } else {
                    // No parameter depends on this word; its bits carry nothing we keep.
                    let _ = writeln!(out, "        r.read_u32()?;");
                }
            }
            ParamType::Normal { ty, flag } => {
                let field = field_name(&p.name);
                let rust = model.rust_type(ty, &def.generics)?;
                let coding = model.coding(ty, &def.generics)?;
                let element = match (&ty.generic_arg, &coding) {
                    (Some(arg), Coding::Vector { .. }) => {
                        Some(model.rust_type(arg, &def.generics)?)
                    }
                    _ => None,
                };
                let read = deserialize_expr(&rust, &coding, element.as_deref());
                match flag {
                    Some(f) if p.is_flag_bit() => {
                        let _ = writeln!(
                            out,
                            "        {bind}{field} = fw_{} & 0x{:x} != 0;",
                            f.field,
                            1u64 << f.bit
                        );
                    }
                    // A placeholder's optional fields are `None` already: only present ones are
                    // stored, so an absent one costs no store and no check of what it held.
                    Some(f) if into => {
                        let store = match crate::fill::field_into(model, ty, &rust, &coding) {
                            Some(path) => format!("{path}(r, &mut self.{field})?;"),
                            None => format!("self.{field} = Some({read}?);"),
                        };
                        let _ = writeln!(
                            out,
                            "        if fw_{} & 0x{:x} != 0 {{\n            {store}\n        }}",
                            f.field,
                            1u64 << f.bit
                        );
                    }
                    Some(f) => {
                        let _ = writeln!(
                            out,
                            "        {bind}{field} = if fw_{} & 0x{:x} != 0 {{\n            Some({read}?)\n        }} else {{\n            None\n        }};",
                            f.field,
                            1u64 << f.bit
                        );
                    }
                    None => {
                        let into = into
                            .then(|| crate::fill::field_into(model, ty, &rust, &coding))
                            .flatten();
                        let _ = match into {
                            Some(path) => writeln!(out, "        {path}(r, &mut self.{field})?;"),
                            None => writeln!(out, "        {bind}{field} = {read}?;"),
                        };
                    }
                }
                names.push(field);
            }
        }
    }
    if into {
        out.push_str("        Ok(())\n");
    } else if names.is_empty() && def.generics.is_empty() {
        out.push_str("        Ok(Self)\n");
    } else {
        let _ = writeln!(out, "        Ok(Self {{ {} }})", names.join(", "));
    }
    Ok(out)
}

fn has_fields(def: &Definition) -> bool {
    !def.params.is_empty()
}

fn constructor(model: &Model<'_>, def: &Definition) -> Result<String, GenError> {
    let name = pascal_case(&def.name);
    let mut out = struct_decl(
        model,
        def,
        &format!("Constructor of the boxed type `{}`.", def.ty),
    )?;
    let (buf, r) = if has_fields(def) {
        ("buf", "r")
    } else {
        ("_buf", "_r")
    };
    // A large struct held in place (a message in `enums::Message`) is decoded straight into its enum:
    // inlined, its decoder writes the fields where the enum's decoder returns them, instead of
    // building the struct and then copying all of it into the enum (1.1% fewer instructions per
    // decode of compare/tl-codec's page of messages). Only in optimised builds: a debug build would
    // only compile slower.
    //
    // Small constructors held in place (an entity's offset and length, a peer's id, a photo size) are
    // inlined the same way: out of line, each is a call that returns its value through memory and
    // costs more than reading its few fields.
    let inline = if model.storage(def) == Storage::Inline {
        "#[cfg_attr(not(debug_assertions), inline(always))]\n    "
    } else {
        ""
    };
    let _ = write!(
        out,
        "\nimpl crate::Identifiable for {name} {{\n    const CONSTRUCTOR_ID: u32 = 0x{id:08x};\n}}\n\n\
         impl crate::Bare for {name} {{\n    fn serialize_bare(&self, {buf}: &mut Vec<u8>) {{\n{ser}    }}\n\n    \
         {inline}fn deserialize_bare({r}: &mut crate::Reader<'_>) -> Result<Self, crate::DeserializeError> {{\n{de}    }}\n}}\n\n\
         impl crate::Serializable for {name} {{\n    fn serialize(&self, buf: &mut Vec<u8>) {{\n        \
         buf.extend_from_slice(&<Self as crate::Identifiable>::CONSTRUCTOR_ID.to_le_bytes());\n        \
         crate::Bare::serialize_bare(self, buf);\n    }}\n}}\n\n\
         impl crate::Deserializable for {name} {{\n    \
         fn deserialize(r: &mut crate::Reader<'_>) -> Result<Self, crate::DeserializeError> {{\n        \
         r.expect_id(<Self as crate::Identifiable>::CONSTRUCTOR_ID)?;\n        \
         <Self as crate::Bare>::deserialize_bare(r)\n    }}\n}}\n",
        id = def.id,
        ser = serialize_body(model, def)?,
        de = deserialize_body(model, def, false)?,
    );
    out.push_str(&crate::fill::fill_decoders(model, def)?);
    Ok(out)
}

fn function(model: &Model<'_>, def: &Definition) -> Result<String, GenError> {
    let name = pascal_case(&def.name);
    let mut out = struct_decl(model, def, &format!("Function returning `{}`.", def.ty))?;
    let ret = if def.ty.generic_ref || def.generics.contains(&def.ty.name) {
        format!("{}::Return", def.ty.name)
    } else {
        if model.coding(&def.ty, &def.generics)? != Coding::Trait {
            return Err(GenError::UnsupportedReturn(def.full_name()));
        }
        model.rust_type(&def.ty, &def.generics)?
    };
    let plain = generics_decl(def, "");
    let ser_bound = generics_decl(def, "crate::Serializable");
    let de_bound = generics_decl(def, "crate::Deserializable");
    let call_bound = generics_decl(def, "crate::RemoteCall");
    let args = generics_use(def);
    let de_cfg = match &model.config.function_decoding_feature {
        Some(feature) => format!("#[cfg(feature = \"{feature}\")]\n"),
        None => String::new(),
    };
    let _ = write!(
        out,
        "\nimpl{plain} crate::Identifiable for {name}{args} {{\n    const CONSTRUCTOR_ID: u32 = 0x{id:08x};\n}}\n\n\
         impl{ser_bound} crate::Serializable for {name}{args} {{\n    fn serialize(&self, buf: &mut Vec<u8>) {{\n        \
         buf.extend_from_slice(&<Self as crate::Identifiable>::CONSTRUCTOR_ID.to_le_bytes());\n{ser}    }}\n}}\n\n\
         {de_cfg}impl{de_bound} crate::Deserializable for {name}{args} {{\n    \
         fn deserialize(r: &mut crate::Reader<'_>) -> Result<Self, crate::DeserializeError> {{\n        \
         r.expect_id(<Self as crate::Identifiable>::CONSTRUCTOR_ID)?;\n{de}    }}\n}}\n\n\
         impl{call_bound} crate::RemoteCall for {name}{args} {{\n    type Return = {ret};\n}}\n",
        id = def.id,
        ser = serialize_body(model, def)?,
        de = deserialize_body(model, def, false)?,
    );
    Ok(out)
}

fn enumeration(model: &Model<'_>, boxed: &BoxedType<'_>) -> String {
    let name = &boxed.rust_name;
    let mut out = format!(
        "/// The boxed type `{}`: a value of one of its {} constructor(s).\n{DERIVES}\
         #[cfg_attr(feature = \"serde\", serde(tag = \"_\"))]\npub enum {name} {{\n",
        boxed.tl_name,
        boxed.variants.len()
    );
    for (variant, def) in &boxed.variants {
        let path = model.struct_path(def);
        let _ = writeln!(
            out,
            "    /// [`{path}`]\n    #[cfg_attr(feature = \"serde\", serde(rename = \"{}\"))]",
            def.full_name()
        );
        match model.storage(def) {
            Storage::Unit => {
                let _ = writeln!(out, "    {variant},");
            }
            Storage::Inline => {
                let _ = writeln!(out, "    {variant}({path}),");
            }
            Storage::Boxed => {
                let _ = writeln!(out, "    {variant}(Box<{path}>),");
            }
        }
    }
    out.push_str("}\n");
    out.push_str(&crate::debug::for_enum(boxed));
    out.push('\n');

    let _ = writeln!(
        out,
        "impl {name} {{\n    /// The constructor id of the value held.\n    pub fn constructor_id(&self) -> u32 {{\n        match self {{"
    );
    for (variant, def) in &boxed.variants {
        let bind = if has_fields(def) { "(_)" } else { "" };
        let _ = writeln!(
            out,
            "            Self::{variant}{bind} => 0x{:08x},",
            def.id
        );
    }
    out.push_str("        }\n    }\n}\n\n");

    let _ = writeln!(
        out,
        "impl crate::Serializable for {name} {{\n    fn serialize(&self, buf: &mut Vec<u8>) {{\n        match self {{"
    );
    for (variant, def) in &boxed.variants {
        if has_fields(def) {
            let _ = writeln!(
                out,
                "            Self::{variant}(x) => crate::Serializable::serialize({}x, buf),",
                if model.storage(def) == Storage::Boxed {
                    "&**"
                } else {
                    ""
                }
            );
        } else {
            let _ = writeln!(
                out,
                "            Self::{variant} => buf.extend_from_slice(&0x{:08x}u32.to_le_bytes()),",
                def.id
            );
        }
    }
    out.push_str("        }\n    }\n}\n\n");

    // One `match` on the id; the guard from `nest()` limits how deeply boxed values may nest. A value
    // held in place is passed on with `map` rather than unwrapped with `?` and wrapped again: for a
    // large one (a message) each of those steps can be a copy of the whole struct.
    let _ = writeln!(
        out,
        "impl crate::Deserializable for {name} {{\n    \
         fn deserialize(r: &mut crate::Reader<'_>) -> Result<Self, crate::DeserializeError> {{\n        \
         let r = &mut r.nest()?;\n        match r.read_u32()? {{"
    );
    for (variant, def) in &boxed.variants {
        if has_fields(def) {
            let path = model.struct_path(def);
            let value = match model.storage(def) {
                Storage::Boxed if crate::fill::is_filled(model, def) => {
                    crate::fill::boxed_arm(model, variant, def)
                }
                Storage::Boxed => format!(
                    "Ok(Self::{variant}(Box::new(<{path} as crate::Bare>::deserialize_bare(r)?)))"
                ),
                _ => format!("<{path} as crate::Bare>::deserialize_bare(r).map(Self::{variant})"),
            };
            let _ = writeln!(out, "            0x{:08x} => {value},", def.id);
        } else {
            let _ = writeln!(out, "            0x{:08x} => Ok(Self::{variant}),", def.id);
        }
    }
    out.push_str(
        "            id => Err(crate::DeserializeError::UnexpectedConstructor { id }),\n        }\n    }\n",
    );
    if model.config.in_place.contains(&boxed.tl_name) {
        out.push_str(&crate::fill::deserialize_push(model, boxed));
    }
    out.push_str("}\n");
    out.push_str(&crate::fill::deserialize_into(model, boxed));

    for (variant, def) in &boxed.variants {
        let path = model.struct_path(def);
        if has_fields(def) {
            let value = match model.storage(def) {
                Storage::Boxed => "Box::new(x)",
                _ => "x",
            };
            let _ = write!(
                out,
                "\nimpl From<{path}> for {name} {{\n    fn from(x: {path}) -> Self {{\n        Self::{variant}({value})\n    }}\n}}\n"
            );
        } else {
            let _ = write!(
                out,
                "\nimpl From<{path}> for {name} {{\n    fn from(_: {path}) -> Self {{\n        Self::{variant}\n    }}\n}}\n"
            );
        }
    }
    out
}

/// The test and fuzzing entry points: decode any object of this schema by the id it starts with, and
/// encode it again (`reencode`); the same through serde's JSON form in between (`reencode_json`, for the
/// `serde` feature's tests).
fn reencode(model: &Model<'_>) -> String {
    let mut out = dispatcher(
        model,
        "/// Decodes the boxed object or function call at the start of `bytes` by its leading constructor id, \
         requiring all bytes to be used, and encodes the result again.\n///\n\
         /// `None` when the id belongs to no constructor or function of this schema. For tests and fuzzing.\n\
         #[cfg(any(test, feature = \"fuzzing\"))]\n\
         pub fn reencode",
        "crate::runtime::reencode",
    );
    out.push('\n');
    out.push_str(&dispatcher(
        model,
        "/// Like [`reencode`], with a trip through JSON between decoding and encoding that must give back \
         an equal value.\n\
         #[cfg(all(test, feature = \"serde\"))]\n\
         pub fn reencode_json",
        "crate::runtime::reencode_json",
    ));
    out
}

/// A function `head(bytes)` that calls `through::<T>(bytes)` with the type `T` of the leading id.
fn dispatcher(model: &Model<'_>, head: &str, through: &str) -> String {
    let mut out = format!(
        "{head}(bytes: &[u8]) -> Option<Result<Vec<u8>, crate::DeserializeError>> {{\n    \
         let id = u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?);\n    Some(match id {{\n",
    );
    let arm = |out: &mut String, ids: &[u32], ty: &str| {
        let ids: Vec<String> = ids.iter().map(|id| format!("0x{id:08x}")).collect();
        let _ = writeln!(
            out,
            "        {} => {through}::<{ty}>(bytes),",
            ids.join(" | ")
        );
    };
    if !model.bool_ids.is_empty() {
        arm(&mut out, &model.bool_ids, "bool");
    }
    for boxed in &model.boxed {
        let ids: Vec<u32> = boxed.variants.iter().map(|(_, d)| d.id).collect();
        arm(&mut out, &ids, &model.enum_path(boxed));
    }
    for def in &model.functions {
        let args: Vec<&str> = def.generics.iter().map(|_| "crate::Blob").collect();
        let args = if args.is_empty() {
            String::new()
        } else {
            format!("<{}>", args.join(", "))
        };
        if let Some(feature) = &model.config.function_decoding_feature {
            let _ = writeln!(out, "        #[cfg(feature = \"{feature}\")]");
        }
        arm(
            &mut out,
            &[def.id],
            &format!("{}{args}", model.struct_path(def)),
        );
    }
    out.push_str("        _ => return None,\n    })\n}\n");
    out
}
