//! Parse errors, each with the line and column it was found at.

use std::fmt;

/// What is wrong with a schema, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {kind}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What went wrong.
    pub kind: ErrorKind,
}

/// The kinds of problems a schema can have.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The text does not follow the grammar.
    #[error("syntax error: expected {expected}")]
    Syntax {
        /// What the parser was looking for at that point.
        expected: String,
    },
    /// A statement runs to the end of the file without a `;`.
    #[error("definition is missing its terminating `;`")]
    MissingSemicolon,
    /// A `---name---` line other than `---types---` or `---functions---`.
    #[error("unknown section marker `---{0}---`")]
    UnknownSection(String),
    /// The written `#id` is not the CRC32 of the normalised definition.
    #[error("id of `{name}` is written as {written:08x} but the CRC32 of its definition is {computed:08x}")]
    IdMismatch {
        /// The definition's full name.
        name: String,
        /// The id in the schema text.
        written: u32,
        /// The CRC32 of the normalised text.
        computed: u32,
    },
    /// `name:flags.N?T` where `flags` is not an earlier `#` parameter.
    #[error(
        "parameter `{param}` uses flags field `{field}`, which is not an earlier `#` parameter"
    )]
    UnknownFlagsField {
        /// The optional parameter.
        param: String,
        /// The field it names.
        field: String,
    },
    /// A flag bit above 31.
    #[error("flag bit {bit} of parameter `{param}` is outside 0..=31")]
    FlagBitOutOfRange {
        /// The optional parameter.
        param: String,
        /// The bit as written.
        bit: u64,
    },
    /// `!X` where `X` is not declared as `{X:Type}`.
    #[error("`!{0}` names no generic parameter of this definition")]
    UnknownGeneric(String),
    /// The id after `#` is not a hexadecimal number of at most 8 digits.
    #[error("`#{0}` is not a 32-bit hexadecimal id")]
    BadId(String),
}

/// Every error found in one schema text (parsing continues after an error to report them all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseErrors(pub Vec<ParseError>);

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error(s) in schema", self.0.len())?;
        for e in &self.0 {
            write!(f, "\n  {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseErrors {}
