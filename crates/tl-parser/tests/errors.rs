//! Problems are reported with the line and column where they are, and parsing continues past them.

use tgwire_tl_parser::{parse, parse_lenient, BuiltinForm, ErrorKind, ParamType};

#[test]
fn syntax_error_points_at_the_bad_parameter() {
    let text =
        "ping#7abe77ec ping_id:long = Pong;\npong#347773c5 msg_id:long ping_id long = Pong;\n";
    let errors = parse(text).unwrap_err().0;
    assert_eq!(errors.len(), 1, "{errors:?}");
    let column = text.lines().nth(1).unwrap().find("ping_id long").unwrap() + 1;
    assert_eq!((errors[0].line, errors[0].column), (2, column));
    assert!(matches!(errors[0].kind, ErrorKind::Syntax { .. }));
    assert!(
        errors[0]
            .to_string()
            .starts_with(&format!("line 2, column {column}: syntax error")),
        "{}",
        errors[0]
    );
}

#[test]
fn wrong_id_names_the_definition_and_line() {
    let text = "// comment\n\nping#7abe77ed ping_id:long = Pong;";
    let errors = parse(text).unwrap_err().0;
    assert_eq!(
        errors[0].kind,
        ErrorKind::IdMismatch {
            name: "ping".into(),
            written: 0x7abe77ed,
            computed: 0x7abe77ec
        }
    );
    assert_eq!((errors[0].line, errors[0].column), (3, 1));
}

#[test]
fn every_error_is_reported_and_good_lines_still_parse() {
    let text = "a#zz = A;\nb = B;\nc x:flags.0?int = C;\n---things---\nd flags:# y:flags.40?int = D;\ne x:!X = E;\nf = F";
    let (schema, errors) = parse_lenient(text);
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [1, 3, 4, 5, 6, 7], "{errors:#?}");
    assert!(matches!(
        errors[0].kind,
        ErrorKind::BadId(_) | ErrorKind::Syntax { .. }
    ));
    assert!(matches!(
        errors[1].kind,
        ErrorKind::UnknownFlagsField { .. }
    ));
    assert!(matches!(errors[2].kind, ErrorKind::UnknownSection(_)));
    assert!(matches!(
        errors[3].kind,
        ErrorKind::FlagBitOutOfRange { bit: 40, .. }
    ));
    assert!(matches!(errors[4].kind, ErrorKind::UnknownGeneric(_)));
    assert_eq!(errors[5].kind, ErrorKind::MissingSemicolon);
    assert!(schema.definitions.iter().any(|d| d.name == "b"));
}

#[test]
fn builtins_are_recognised() {
    let schema = parse(
        "int ? = Int;\nint128 4*[ int ] = Int128;\nvector#1cb5c415 {t:Type} # [ t ] = Vector t;",
    )
    .unwrap();
    assert!(schema.definitions.is_empty());
    let forms: Vec<_> = schema.builtins.iter().map(|b| b.form.clone()).collect();
    assert_eq!(
        forms,
        [
            BuiltinForm::Primitive,
            BuiltinForm::Array {
                count: 4,
                element: "int".into()
            },
            BuiltinForm::Vector
        ]
    );
    // A wrong id on the vector builtin is caught like any other.
    assert!(parse("vector#1cb5c416 {t:Type} # [ t ] = Vector t;").is_err());
}

#[test]
fn flags_generics_and_bare_types_are_parsed() {
    let schema = parse(
        "invokeWithLayer#da9b0d0d {X:Type} layer:int query:!X = X;\n\
         msg_container#73f1f8dc messages:vector<%Message> = MessageContainer;\n\
         x flags2:# a:flags2.3?true b:flags2.3?Vector<long> = X;",
    )
    .unwrap();
    let invoke = &schema.definitions[0];
    assert_eq!(invoke.generics, ["X"]);
    let ParamType::Normal { ty, .. } = &invoke.params[1].ty else {
        panic!()
    };
    assert!(ty.generic_ref);
    let ParamType::Normal { ty, .. } = &schema.definitions[1].params[0].ty else {
        panic!()
    };
    assert!(
        ty.bare && ty.name == "vector",
        "lower-case vector is the bare vector"
    );
    assert!(ty.generic_arg.as_ref().unwrap().percent);
    let x = &schema.definitions[2];
    assert!(x.params[1].is_flag_bit());
    assert!(!x.explicit_id);
    // Without a written id, the id is computed (flag bits are left out of the hashed text).
    assert_eq!(
        x.id,
        tgwire_tl_parser::id::crc32("x flags2:# b:flags2.3?Vector long = X")
    );
}
