//! The shipped schemas parse completely, with every written id matching its CRC32.

use tgwire_tl_parser::{parse_lenient, Category};

fn load(name: &str) -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tl-schema/");
    std::fs::read_to_string(format!("{path}{name}")).expect("schema file")
}

#[test]
fn api_tl_parses_without_errors() {
    let (schema, errors) = parse_lenient(&load("api.tl"));
    assert_eq!(errors, vec![], "errors in api.tl");
    assert_eq!(schema.layer, Some(230));
    let explicit = schema.definitions.iter().filter(|d| d.explicit_id).count();
    assert!(explicit > 2000, "only {explicit} definitions with ids");
    assert!(schema
        .definitions
        .iter()
        .any(|d| d.category == Category::Function && d.full_name() == "messages.sendMessage"));
    assert_eq!(
        schema.builtins.len(),
        1,
        "api.tl declares `vector` with an id"
    );
    assert_eq!(schema.builtins[0].id, Some(0x1cb5c415));
}

#[test]
fn mtproto_tl_parses_without_errors() {
    let (schema, errors) = parse_lenient(&load("mtproto.tl"));
    assert_eq!(errors, vec![], "errors in mtproto.tl");
    let names: Vec<_> = schema.builtins.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(
        names,
        ["int", "long", "double", "string", "vector", "int128", "int256"]
    );
    let message = schema
        .definitions
        .iter()
        .find(|d| d.name == "message")
        .expect("message");
    assert!(!message.explicit_id);
    for (name, id) in [
        ("resPQ", 0x05162463),
        ("msg_container", 0x73f1f8dc),
        ("req_DH_params", 0xd712e4be),
    ] {
        let def = schema
            .definitions
            .iter()
            .find(|d| d.name == name)
            .expect(name);
        assert_eq!(def.id, id, "{name}");
    }
}
