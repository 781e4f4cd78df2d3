//! `cargo xtask codegen`: schema files in, formatted Rust out.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context as _};
use tgwire_tl_gen::Config;

/// Constructors of `mtproto.tl` with `Object` fields; `tgwire_tl_types::mtproto::service` writes them.
const MTPROTO_BY_HAND: &[&str] = &[
    "rpc_result",
    "message",
    "msg_container",
    "msg_copy",
    "gzip_packed",
];

/// The `tgwire-tl-types` feature (on by default) under which functions implement `Deserializable`.
const FUNCTION_DECODING_FEATURE: &str = "deserializable-functions";

/// Boxed types of `api.tl` whose constructors are held in place in their enums (up to 1 KiB): nearly
/// every answer carries a vector of users and of chats, and history pages, searches and differences
/// one of messages, so one allocation per vector replaces one per object.
const API_IN_PLACE: &[&str] = &["Message", "User", "Chat"];

/// Constructors of `api.tl` held in a `Box` that are decoded straight into their box (a boxed
/// placeholder, filled in) rather than built on the stack and copied: the large values that pages of
/// history and update differences carry by the dozen (a reply header is 200 bytes, an update with its
/// message 600), and the answers holding them.
const API_INTO_BOX: &[&str] = &[
    "messageReplyHeader",
    "messageFwdHeader",
    "photo",
    "document",
    "updateNewMessage",
    "updateEditMessage",
    "updateNewChannelMessage",
    "updateEditChannelMessage",
    "messages.messages",
    "messages.messagesSlice",
    "messages.channelMessages",
    "updates.difference",
    "updates.differenceSlice",
];

/// Whether to write files or only compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Write,
    Check,
}

pub(crate) fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn parse(root: &Path, name: &str) -> anyhow::Result<tgwire_tl_parser::Schema> {
    let path = root.join("tl-schema").join(name);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    tgwire_tl_parser::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// The generated files, formatted, keyed by path relative to the root.
pub(crate) fn generate(root: &Path) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let api = parse(root, "api.tl")?;
    let mtproto = parse(root, "mtproto.tl")?;
    let layer = api.layer.context("api.tl has no `// LAYER N` line")?;
    let feature = Some(FUNCTION_DECODING_FEATURE.to_owned());
    let api_config = Config {
        function_decoding_feature: feature.clone(),
        in_place: API_IN_PLACE.iter().map(|s| (*s).to_owned()).collect(),
        into_box: API_INTO_BOX.iter().map(|s| (*s).to_owned()).collect(),
        ..Config::default()
    };
    let api_code = tgwire_tl_gen::generate(&api, &api_config)?;
    let mtproto_config = Config {
        root: "crate::mtproto".into(),
        skip: MTPROTO_BY_HAND.iter().map(|s| (*s).to_owned()).collect(),
        function_decoding_feature: feature,
        in_place: Vec::new(),
        into_box: Vec::new(),
    };
    let mtproto_code = tgwire_tl_gen::generate(&mtproto, &mtproto_config)?;
    let index = tgwire_tl_gen::generate_index(&[("api", &api), ("mtproto", &mtproto)], layer);
    let dir = PathBuf::from("crates/tl-types/src/generated");
    let (errors_path, errors_code) = crate::errors::generate(root)?;
    Ok(vec![
        (dir.join("mod.rs"), rustfmt(root, &index)?),
        (dir.join("api.rs"), rustfmt(root, &api_code)?),
        (dir.join("mtproto.rs"), rustfmt(root, &mtproto_code)?),
        (errors_path, rustfmt(root, &errors_code)?),
    ])
}

/// Formats with the project's rustfmt configuration, exactly as `cargo fmt` would.
fn rustfmt(root: &Path, code: &str) -> anyhow::Result<String> {
    let rustfmt = std::env::var_os("RUSTFMT").unwrap_or_else(|| "rustfmt".into());
    let mut child = Command::new(rustfmt)
        .args(["--edition", "2021", "--emit", "stdout"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("running rustfmt (is it installed? `rustup component add rustfmt`)")?;
    let mut stdin = child.stdin.take().context("rustfmt stdin")?;
    let input = code.to_owned();
    // Feed stdin from another thread so a large output cannot deadlock against a full pipe.
    let feeder = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().context("waiting for rustfmt")?;
    feeder
        .join()
        .map_err(|_| anyhow::anyhow!("rustfmt feeder panicked"))?
        .context("writing to rustfmt")?;
    if !output.status.success() {
        bail!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    String::from_utf8(output.stdout).context("rustfmt output is not UTF-8")
}

/// Writes (or checks) the generated files; returns the paths written.
pub(crate) fn run(root: &Path, mode: Mode) -> anyhow::Result<Vec<PathBuf>> {
    let mut stale = Vec::new();
    let mut written = Vec::new();
    for (relative, contents) in generate(root)? {
        let path = root.join(&relative);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current == contents {
            continue;
        }
        match mode {
            Mode::Check => stale.push(relative),
            Mode::Write => {
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir)?;
                }
                std::fs::write(&path, contents)
                    .with_context(|| format!("writing {}", path.display()))?;
                written.push(relative);
            }
        }
    }
    if !stale.is_empty() {
        let list: Vec<String> = stale.iter().map(|p| p.display().to_string()).collect();
        bail!(
            "generated files are stale, run `cargo xtask codegen`: {}",
            list.join(", ")
        );
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed generated code must be what the committed schemas and generator produce.
    #[test]
    fn generated_code_is_fresh() {
        if let Err(e) = run(&project_root(), Mode::Check) {
            panic!("{e:#}");
        }
    }
}
