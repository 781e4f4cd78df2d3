//! Rust spellings of TL names.

/// `inputPeerUser` → `InputPeerUser`, `p_q_inner_data_DC` → `PQInnerDataDc`, `updateDCOptions` →
/// `UpdateDcOptions`: words start upper-case, acronyms keep only their first capital.
pub(crate) fn pascal_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for word in name.split('_').filter(|w| !w.is_empty()) {
        let chars: Vec<char> = word.chars().collect();
        for (i, &c) in chars.iter().enumerate() {
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            if i == 0 {
                out.push(c.to_ascii_uppercase());
            } else if c.is_ascii_uppercase() && prev_upper && !next_lower {
                // Inside an acronym (`DH`, `DCO` of `DCOptions`): lower-case all but its first letter,
                // except the capital that starts the next word.
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
    }
    out
}

/// Rust keywords that a TL parameter may be named after; they are written as raw identifiers.
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// A parameter name as a Rust field: keywords become raw identifiers; the few words that cannot be raw
/// (`self`, `crate`, `super`) get an `is_`/`the_` prefix.
pub(crate) fn field_name(name: &str) -> String {
    // A few parameters are named after protocol symbols (`A`, `M1`, `srp_B`); fields are snake case.
    let name = name.to_ascii_lowercase();
    let name = name.as_str();
    match name {
        "self" => "is_self".to_owned(),
        "crate" | "super" | "Self" => format!("the_{name}"),
        _ if KEYWORDS.contains(&name) => format!("r#{name}"),
        _ => name.to_owned(),
    }
}

/// Whether `name` would shadow a prelude item the generated code relies on.
pub(crate) fn shadows_prelude(name: &str) -> bool {
    matches!(
        name,
        "Option"
            | "Some"
            | "None"
            | "Box"
            | "Vec"
            | "String"
            | "Result"
            | "Ok"
            | "Err"
            | "From"
            | "Self"
    )
}

/// Whether `name` is a Rust keyword or reserved word (a variant name must not be one).
pub(crate) fn is_keyword(name: &str) -> bool {
    name == "Self" || KEYWORDS.contains(&name.to_ascii_lowercase().as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pascal_case_handles_camel_snake_and_acronyms() {
        assert_eq!(pascal_case("inputPeerUser"), "InputPeerUser");
        assert_eq!(pascal_case("p_q_inner_data_dc"), "PQInnerDataDc");
        assert_eq!(pascal_case("server_DH_params_ok"), "ServerDhParamsOk");
        assert_eq!(
            pascal_case("Set_client_DH_params_answer"),
            "SetClientDhParamsAnswer"
        );
        assert_eq!(pascal_case("updateDCOptions"), "UpdateDcOptions");
        assert_eq!(pascal_case("resPQ"), "ResPq");
        assert_eq!(pascal_case("req_pq_multi"), "ReqPqMulti");
    }

    #[test]
    fn field_names_avoid_keywords() {
        assert_eq!(field_name("type"), "r#type");
        assert_eq!(field_name("self"), "is_self");
        assert_eq!(field_name("msg_id"), "msg_id");
        assert_eq!(field_name("srp_B"), "srp_b");
    }
}
