//! What changed between two layers of a schema.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use tgwire_tl_parser::{Category, Definition, Schema};

fn key(def: &Definition) -> (u8, String) {
    (
        u8::from(def.category == Category::Function),
        def.full_name(),
    )
}

fn params(def: &Definition) -> Vec<String> {
    def.params
        .iter()
        .map(|p| format!("{}:{:?}", p.name, p.ty))
        .collect()
}

/// A human-readable report: the layers, then constructors and functions added, removed and changed
/// (same name, different id or parameters).
pub(crate) fn diff(old: &Schema, new: &Schema) -> String {
    let old_defs: BTreeMap<_, _> = old.definitions.iter().map(|d| (key(d), d)).collect();
    let new_defs: BTreeMap<_, _> = new.definitions.iter().map(|d| (key(d), d)).collect();
    let mut out = String::new();
    let layer = |s: &Schema| s.layer.map_or_else(|| "?".to_owned(), |l| l.to_string());
    let _ = writeln!(out, "layer {} -> {}", layer(old), layer(new));
    for (kind, category) in [(0, "constructors"), (1, "functions")] {
        let added: Vec<_> = new_defs
            .iter()
            .filter(|(k, _)| k.0 == kind && !old_defs.contains_key(*k))
            .collect();
        let removed: Vec<_> = old_defs
            .iter()
            .filter(|(k, _)| k.0 == kind && !new_defs.contains_key(*k))
            .collect();
        let changed: Vec<_> = new_defs
            .iter()
            .filter(|(k, _)| k.0 == kind)
            .filter_map(|(k, n)| old_defs.get(k).map(|o| (o, n)))
            .filter(|(o, n)| o.id != n.id || params(o) != params(n))
            .collect();
        let _ = writeln!(
            out,
            "{category}: {} added, {} removed, {} changed",
            added.len(),
            removed.len(),
            changed.len()
        );
        for (_, d) in added {
            let _ = writeln!(out, "  + {}#{:08x}", d.full_name(), d.id);
        }
        for (_, d) in removed {
            let _ = writeln!(out, "  - {}#{:08x}", d.full_name(), d.id);
        }
        for (o, n) in changed {
            let (op, np) = (params(o), params(n));
            let gone: Vec<&str> = o
                .params
                .iter()
                .zip(&op)
                .filter(|(_, s)| !np.contains(s))
                .map(|(p, _)| p.name.as_str())
                .collect();
            let came: Vec<&str> = n
                .params
                .iter()
                .zip(&np)
                .filter(|(_, s)| !op.contains(s))
                .map(|(p, _)| p.name.as_str())
                .collect();
            let _ = writeln!(
                out,
                "  ~ {} {:08x} -> {:08x}; params added: [{}], removed or retyped: [{}]",
                n.full_name(),
                o.id,
                n.id,
                came.join(", "),
                gone.join(", ")
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_added_removed_and_changed() {
        let old =
            tgwire_tl_parser::parse("// LAYER 1\na = A;\nb x:int = B;\n---functions---\nf = A;")
                .unwrap();
        let new = tgwire_tl_parser::parse(
            "// LAYER 2\nb x:int y:string = B;\nc = C;\n---functions---\nf = A;\ng = B;",
        )
        .unwrap();
        let report = diff(&old, &new);
        assert!(report.starts_with("layer 1 -> 2\n"), "{report}");
        assert!(
            report.contains("constructors: 1 added, 1 removed, 1 changed"),
            "{report}"
        );
        assert!(report.contains("  + c#"), "{report}");
        assert!(report.contains("  - a#"), "{report}");
        assert!(
            report.contains("  ~ b ") && report.contains("params added: [y]"),
            "{report}"
        );
        assert!(
            report.contains("functions: 1 added, 0 removed, 0 changed"),
            "{report}"
        );
    }
}
