//! The TL grammar as nom parsers, and the statement loop that drives them.
//!
//! A schema is a sequence of statements separated by `;`, with `//` comments and `---types---` /
//! `---functions---` section markers between them. Each statement is parsed on its own, so one bad
//! line yields one error and parsing carries on with the next statement.

use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::character::complete::{alpha1, alphanumeric1, char, digit1, hex_digit1, multispace0};
use nom::combinator::{all_consuming, map, opt, recognize};
use nom::error::{context, VerboseError, VerboseErrorKind};
use nom::multi::{many0, many0_count, separated_list1};
use nom::sequence::{delimited, pair, preceded, separated_pair, terminated, tuple};
use nom::IResult;

use crate::ast::{
    Builtin, BuiltinForm, Category, Definition, Flag, ParamType, Parameter, Schema, Type,
};
use crate::error::{ErrorKind, ParseError, ParseErrors};
use crate::id;

type Res<'a, T> = IResult<&'a str, T, VerboseError<&'a str>>;

/// Parses a whole schema. All problems are collected; any problem makes the result an error.
pub fn parse(text: &str) -> Result<Schema, ParseErrors> {
    let (schema, errors) = parse_lenient(text);
    if errors.is_empty() {
        Ok(schema)
    } else {
        Err(ParseErrors(errors))
    }
}

/// Parses a whole schema, returning what could be parsed together with every error found.
///
/// Definitions with a wrong id are kept (with the written id) so tools can still show them.
pub fn parse_lenient(text: &str) -> (Schema, Vec<ParseError>) {
    let mut schema = Schema::default();
    let mut errors = Vec::new();
    let mut category = Category::Type;
    let mut pos = 0;
    let locate = |offset: usize| -> (usize, usize) {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, text[line_start..offset].chars().count() + 1)
    };
    let mut error_at = |offset: usize, kind: ErrorKind| {
        let (line, column) = locate(offset);
        errors.push(ParseError { line, column, kind });
    };

    loop {
        // Skip whitespace and comments, remembering a `// LAYER N` comment.
        let rest = &text[pos..];
        let trimmed = rest.trim_start();
        pos += rest.len() - trimmed.len();
        if trimmed.is_empty() {
            break;
        }
        if let Some(comment) = trimmed.strip_prefix("//") {
            let end = comment.find('\n').unwrap_or(comment.len());
            let body = comment[..end].trim();
            if let Some(layer) = body.strip_prefix("LAYER") {
                if let Ok(n) = layer.trim().parse() {
                    schema.layer = Some(n);
                }
            }
            pos += 2 + end;
            continue;
        }
        if let Some(marker) = trimmed.strip_prefix("---") {
            let end = marker.find('\n').unwrap_or(marker.len());
            let line = marker[..end].trim_end();
            match line.strip_suffix("---") {
                Some("types") => category = Category::Type,
                Some("functions") => category = Category::Function,
                _ => error_at(
                    pos,
                    ErrorKind::UnknownSection(line.trim_end_matches('-').to_owned()),
                ),
            }
            pos += 3 + end;
            continue;
        }
        let Some(semi) = trimmed.find(';') else {
            error_at(pos, ErrorKind::MissingSemicolon);
            break;
        };
        let stmt = &trimmed[..semi];
        let stmt_start = pos;
        pos += semi + 1;
        let (line, _) = locate(stmt_start);

        let parsed = if looks_builtin(stmt) {
            builtin(stmt).map(|(_, b)| Statement::Builtin(b))
        } else {
            definition(stmt).map(|(_, d)| Statement::Definition(d))
        };
        match parsed {
            Ok(Statement::Builtin(mut b)) => {
                b.line = line;
                if let Some(written) = b.id {
                    let computed = id::crc32(&id::builtin_normalised_text(&b));
                    if written != computed {
                        error_at(
                            stmt_start,
                            ErrorKind::IdMismatch {
                                name: b.name.clone(),
                                written,
                                computed,
                            },
                        );
                    }
                }
                schema.builtins.push(b);
            }
            Ok(Statement::Definition(raw)) => {
                let mut def = raw.into_definition(category, line);
                for kind in check(&def) {
                    error_at(stmt_start, kind);
                }
                let computed = id::compute_id(&def);
                if def.explicit_id {
                    if def.id != computed {
                        error_at(
                            stmt_start,
                            ErrorKind::IdMismatch {
                                name: def.full_name(),
                                written: def.id,
                                computed,
                            },
                        );
                    }
                } else {
                    def.id = computed;
                }
                schema.definitions.push(def);
            }
            Err(err) => {
                let (offset, kind) = describe(stmt, err);
                error_at(stmt_start + offset, kind);
            }
        }
    }
    (schema, errors)
}

enum Statement {
    Builtin(Builtin),
    Definition(RawDefinition),
}

struct RawDefinition {
    name: Vec<String>,
    id: Option<u32>,
    generics: Vec<String>,
    params: Vec<Parameter>,
    ty: Type,
}

impl RawDefinition {
    fn into_definition(mut self, category: Category, line: usize) -> Definition {
        let name = self.name.pop().unwrap_or_default();
        Definition {
            namespace: self.name,
            name,
            id: self.id.unwrap_or(0),
            explicit_id: self.id.is_some(),
            generics: self.generics,
            params: self.params,
            ty: self.ty,
            category,
            line,
        }
    }
}

/// Semantic checks the grammar cannot express.
fn check(def: &Definition) -> Vec<ErrorKind> {
    let mut problems = Vec::new();
    let mut flag_fields: Vec<&str> = Vec::new();
    for param in &def.params {
        match &param.ty {
            ParamType::Flags => flag_fields.push(&param.name),
            ParamType::Normal { ty, flag } => {
                if let Some(flag) = flag {
                    if !flag_fields.contains(&flag.field.as_str()) {
                        problems.push(ErrorKind::UnknownFlagsField {
                            param: param.name.clone(),
                            field: flag.field.clone(),
                        });
                    }
                    if flag.bit > 31 {
                        problems.push(ErrorKind::FlagBitOutOfRange {
                            param: param.name.clone(),
                            bit: flag.bit.into(),
                        });
                    }
                }
                if ty.generic_ref && !def.generics.contains(&ty.name) {
                    problems.push(ErrorKind::UnknownGeneric(ty.name.clone()));
                }
            }
        }
    }
    problems
}

/// Built-in declarations have shapes no constructor has: `name ? = T`, `name N*[ t ] = T`, `[ t ]`.
fn looks_builtin(stmt: &str) -> bool {
    let mut words = stmt.split_whitespace();
    words.next();
    stmt.contains('[') || words.next() == Some("?")
}

/// Turns a nom failure into an offset within `stmt` and a readable expectation.
fn describe(stmt: &str, err: nom::Err<VerboseError<&str>>) -> (usize, ErrorKind) {
    let verbose = match err {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        nom::Err::Incomplete(_) => {
            return (
                stmt.len(),
                ErrorKind::Syntax {
                    expected: "more input".into(),
                },
            );
        }
    };
    // The first entry is where parsing actually stopped; later entries are the contexts around it.
    let Some((at, _)) = verbose.errors.first() else {
        return (
            0,
            ErrorKind::Syntax {
                expected: "a definition".into(),
            },
        );
    };
    let offset = stmt.len() - at.len();
    let expected = verbose
        .errors
        .iter()
        .find_map(|(_, kind)| match kind {
            VerboseErrorKind::Context(c) => Some((*c).to_owned()),
            _ => None,
        })
        .or_else(|| match verbose.errors.first() {
            Some((_, VerboseErrorKind::Char(c))) => Some(format!("`{c}`")),
            _ => None,
        })
        .unwrap_or_else(|| "a definition".into());
    // A bad `#id` gets its own message.
    if let Some(bad) = at.strip_prefix('#') {
        let word: String = bad.chars().take_while(|c| !c.is_whitespace()).collect();
        return (offset, ErrorKind::BadId(word));
    }
    (offset, ErrorKind::Syntax { expected })
}

fn ws<'a, O>(inner: impl FnMut(&'a str) -> Res<'a, O>) -> impl FnMut(&'a str) -> Res<'a, O> {
    preceded(multispace0, inner)
}

fn ident(i: &str) -> Res<'_, &str> {
    recognize(pair(
        alt((alpha1, tag("_"))),
        many0_count(alt((alphanumeric1, tag("_")))),
    ))(i)
}

fn dotted_name(i: &str) -> Res<'_, Vec<String>> {
    map(separated_list1(char('.'), ident), |parts| {
        parts.into_iter().map(str::to_owned).collect()
    })(i)
}

fn explicit_id(i: &str) -> Res<'_, u32> {
    let (rest, digits) = preceded(char('#'), hex_digit1)(i)?;
    if digits.len() > 8 {
        return Err(nom::Err::Failure(VerboseError {
            errors: vec![(i, VerboseErrorKind::Context("an id"))],
        }));
    }
    match u32::from_str_radix(digits, 16) {
        Ok(v) => Ok((rest, v)),
        Err(_) => Err(nom::Err::Failure(VerboseError {
            errors: vec![(i, VerboseErrorKind::Context("an id"))],
        })),
    }
}

fn generic_param(i: &str) -> Res<'_, String> {
    map(
        delimited(
            char('{'),
            terminated(ident, pair(char(':'), tag("Type"))),
            char('}'),
        ),
        str::to_owned,
    )(i)
}

fn type_expr(i: &str) -> Res<'_, Type> {
    let (rest, (bang, percent, mut name, arg)) = context(
        "a type",
        tuple((
            opt(char('!')),
            opt(char('%')),
            dotted_name,
            opt(delimited(char('<'), type_expr, context("`>`", char('>')))),
        )),
    )(i)?;
    let last = name.pop().unwrap_or_default();
    let bare = percent.is_some() || last.starts_with(|c: char| c.is_ascii_lowercase());
    Ok((
        rest,
        Type {
            namespace: name,
            name: last,
            bare,
            percent: percent.is_some(),
            generic_ref: bang.is_some(),
            generic_arg: arg.map(Box::new),
        },
    ))
}

fn flag_condition(i: &str) -> Res<'_, Flag> {
    let (rest, (field, bit)) = terminated(separated_pair(ident, char('.'), digit1), char('?'))(i)?;
    // Bits above 31 are reported by `check`; parse a saturated value so the error can name it.
    let bit = bit.parse::<u32>().unwrap_or(u32::MAX);
    Ok((
        rest,
        Flag {
            field: field.to_owned(),
            bit,
        },
    ))
}

fn parameter(i: &str) -> Res<'_, Parameter> {
    let (rest, (name, ty)) = separated_pair(
        ident,
        char(':'),
        context(
            "a parameter type",
            alt((
                map(char('#'), |_| ParamType::Flags),
                map(pair(opt(flag_condition), type_expr), |(flag, ty)| {
                    ParamType::Normal { ty, flag }
                }),
            )),
        ),
    )(i)?;
    Ok((
        rest,
        Parameter {
            name: name.to_owned(),
            ty,
        },
    ))
}

fn definition(i: &str) -> Res<'_, RawDefinition> {
    let (rest, (name, id, generics, params, _, ty, _)) = all_consuming(tuple((
        ws(context("a name", dotted_name)),
        opt(explicit_id),
        many0(ws(generic_param)),
        many0(ws(parameter)),
        ws(context("a parameter `name:type` or `=`", char('='))),
        ws(context("the result type", type_expr)),
        context("`;` after the result type", multispace0),
    )))(i)?;
    Ok((
        rest,
        RawDefinition {
            name,
            id,
            generics,
            params,
            ty,
        },
    ))
}

fn builtin(i: &str) -> Res<'_, Builtin> {
    let primitive = map(
        tuple((
            ws(ident),
            ws(char('?')),
            ws(char('=')),
            ws(ident),
            multispace0,
        )),
        |(name, _, _, ty, _)| (name, None, BuiltinForm::Primitive, ty),
    );
    let array = map(
        tuple((
            ws(ident),
            ws(digit1),
            ws(char('*')),
            ws(char('[')),
            ws(ident),
            ws(char(']')),
            ws(char('=')),
            ws(ident),
            multispace0,
        )),
        |(name, count, _, _, element, _, _, ty, _)| {
            let count = count.parse().unwrap_or(u32::MAX);
            (
                name,
                None,
                BuiltinForm::Array {
                    count,
                    element: element.to_owned(),
                },
                ty,
            )
        },
    );
    let vector = map(
        tuple((
            ws(ident),
            opt(explicit_id),
            ws(generic_param),
            ws(char('#')),
            ws(char('[')),
            ws(ident),
            ws(char(']')),
            ws(char('=')),
            ws(ident),
            ws(ident),
            multispace0,
        )),
        |(name, id, _, _, _, _, _, _, ty, _, _)| (name, id, BuiltinForm::Vector, ty),
    );
    let (rest, (name, id, form, ty)) = context(
        "a built-in declaration",
        all_consuming(alt((primitive, array, vector))),
    )(i)?;
    Ok((
        rest,
        Builtin {
            name: name.to_owned(),
            id,
            form,
            ty: ty.to_owned(),
            line: 0,
        },
    ))
}
