//! `cargo xtask`: project automation.
//!
//! - `cargo xtask codegen [--check]`: regenerate `crates/tl-types/src/generated/` from `tl-schema/*.tl`
//!   and the known RPC errors from `tl-schema/errors.tsv` (or, with `--check`, fail if the committed
//!   files differ from what would be generated);
//! - `cargo xtask update-schema --from PATH`: install a new `api.tl`, print what changed between the
//!   layers, and regenerate.

mod codegen;
mod errors;
mod schema_diff;

use anyhow::{bail, Context as _};

const USAGE: &str = "usage: cargo xtask codegen [--check] | cargo xtask update-schema --from PATH";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = codegen::project_root();
    match args.as_slice() {
        ["codegen"] => {
            let written = codegen::run(&root, codegen::Mode::Write)?;
            for path in written {
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        ["codegen", "--check"] => {
            codegen::run(&root, codegen::Mode::Check)?;
            println!("generated code is up to date");
            Ok(())
        }
        ["update-schema", "--from", path] => {
            let new_text =
                std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
            let api_path = root.join("tl-schema/api.tl");
            let old_text =
                std::fs::read_to_string(&api_path).context("reading tl-schema/api.tl")?;
            let new =
                tgwire_tl_parser::parse(&new_text).map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
            let old = tgwire_tl_parser::parse(&old_text)
                .map_err(|e| anyhow::anyhow!("tl-schema/api.tl: {e}"))?;
            print!("{}", schema_diff::diff(&old, &new));
            std::fs::write(&api_path, new_text).context("writing tl-schema/api.tl")?;
            for path in codegen::run(&root, codegen::Mode::Write)? {
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}
