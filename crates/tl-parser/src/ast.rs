//! The definitions a schema is made of, as plain data.

use std::fmt;

/// Whether a definition declares a constructor (a value) or a function (a request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// Declared before `---functions---` (or after `---types---`).
    Type,
    /// Declared after `---functions---`.
    Function,
}

/// A type reference such as `int`, `InputPeer`, `messages.Messages`, `Vector<long>`, `%Message` or `!X`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Type {
    /// Namespace segments before the name (`["messages"]` for `messages.Messages`).
    pub namespace: Vec<String>,
    /// The name itself, without `%` or `!`.
    pub name: String,
    /// A bare type: the name starts with a lower-case letter, or it was written with `%`.
    pub bare: bool,
    /// Written with a `%` prefix (a bare use of a boxed type's only constructor).
    pub percent: bool,
    /// Written as `!X`: the value of a generic type parameter, i.e. a whole serialised function.
    pub generic_ref: bool,
    /// The argument of a generic type, as in `Vector<long>`.
    pub generic_arg: Option<Box<Type>>,
}

impl Type {
    /// The dotted name without generic argument: `messages.Messages`.
    pub fn full_name(&self) -> String {
        let mut out = String::new();
        for ns in &self.namespace {
            out.push_str(ns);
            out.push('.');
        }
        out.push_str(&self.name);
        out
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.generic_ref {
            f.write_str("!")?;
        }
        if self.percent {
            f.write_str("%")?;
        }
        f.write_str(&self.full_name())?;
        if let Some(arg) = &self.generic_arg {
            write!(f, "<{arg}>")?;
        }
        Ok(())
    }
}

/// A reference to one bit of a `#` (flags) parameter: `flags.3` or `flags2.10`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Flag {
    /// The name of the `#` parameter holding the bit.
    pub field: String,
    /// The bit index, 0..=31.
    pub bit: u32,
}

/// What a parameter holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// `name:#`: a 32-bit word of flags, computed from the optional parameters that refer to it.
    Flags,
    /// A value, optionally present only when a flag bit is set (`name:flags.N?Type`).
    Normal {
        /// The value's type.
        ty: Type,
        /// The flag bit that says whether the value is present.
        flag: Option<Flag>,
    },
}

/// One `name:type` parameter of a definition.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parameter {
    /// The parameter name as written (`msg_id`, `self`, `type`).
    pub name: String,
    /// Its type.
    pub ty: ParamType,
}

impl Parameter {
    /// `true` for a `flags.N?true` parameter: a presence bit carrying no data.
    pub fn is_flag_bit(&self) -> bool {
        matches!(&self.ty, ParamType::Normal { ty, flag: Some(_) } if ty.name == "true" && ty.namespace.is_empty())
    }
}

/// A constructor or function definition, such as
/// `inputPeerUser#dde8a54c user_id:long access_hash:long = InputPeer;`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Definition {
    /// Namespace segments before the name (`["messages"]` for `messages.sendMessage`).
    pub namespace: Vec<String>,
    /// The name without namespace.
    pub name: String,
    /// The constructor id: the explicit `#id`, or the CRC32 of the normalised text when none is written.
    pub id: u32,
    /// Whether the id was written in the schema (and checked against the CRC32).
    pub explicit_id: bool,
    /// Generic type parameters, the `X` of `{X:Type}`.
    pub generics: Vec<String>,
    /// The parameters in wire order.
    pub params: Vec<Parameter>,
    /// The type this constructor builds, or the type this function returns.
    pub ty: Type,
    /// Constructor or function.
    pub category: Category,
    /// 1-based line of the definition in the schema text.
    pub line: usize,
}

impl Definition {
    /// The dotted name: `messages.sendMessage`.
    pub fn full_name(&self) -> String {
        let mut out = self.namespace.join(".");
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(&self.name);
        out
    }
}

/// How a built-in type is laid out on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BuiltinForm {
    /// `int ? = Int;`: a primitive the schema language does not describe further.
    Primitive,
    /// `int128 4*[ int ] = Int128;`: a fixed number of another type.
    Array {
        /// How many elements.
        count: u32,
        /// The element type name.
        element: String,
    },
    /// `vector {t:Type} # [ t ] = Vector t;`: a count followed by that many elements.
    Vector,
}

/// A built-in type declaration, recognised explicitly rather than skipped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Builtin {
    /// The bare name (`int`, `int128`, `vector`).
    pub name: String,
    /// The explicit id, when one is written (`vector#1cb5c415` in api.tl); checked like any other.
    pub id: Option<u32>,
    /// The layout.
    pub form: BuiltinForm,
    /// The boxed type it declares (`Int`, `Vector`).
    pub ty: String,
    /// 1-based line.
    pub line: usize,
}

/// A whole parsed schema file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// The layer from a `// LAYER N` comment, if any.
    pub layer: Option<i32>,
    /// Constructors and functions in file order.
    pub definitions: Vec<Definition>,
    /// Built-in type declarations in file order.
    pub builtins: Vec<Builtin>,
}
