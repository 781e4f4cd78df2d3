//! Running a Telethon 1.45 script (`tests/telethon/*.py`, from PyPI in the venv
//! `.ci/python-venv.sh` makes) against a test server: the tests where Telethon is the other
//! party. No network for pip is a failure, not a skip.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tgwire_testserver::TestServer;

/// Telethon without `cryptg` is slow (pure-Python AES) on a loaded machine; the scripts have
/// their own per-step timeouts too.
pub const TELETHON_TIMEOUT: Duration = Duration::from_secs(600);

/// The venv's Python (made on first use by `.ci/python-venv.sh`), with Telethon 1.45 and
/// kurigram installed.
pub fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = Command::new("bash")
        .arg(root.join(".ci/python-venv.sh"))
        .stderr(Stdio::inherit())
        .output()
        .expect("runs .ci/python-venv.sh");
    assert!(out.status.success(), ".ci/python-venv.sh failed");
    String::from_utf8_lossy(&out.stdout).trim().into()
}

/// Runs `tests/telethon/<script>` with the server's ready line followed by `args`, and returns
/// the JSON report it prints (the first stdout line that is JSON). Panics with Telethon's output
/// if the script fails or takes longer than [`TELETHON_TIMEOUT`].
pub async fn run(server: &TestServer, script: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec![server.ready_line()];
    all.extend(args.iter().map(|a| a.to_string()));
    run_script(script, all, None).await
}

/// Runs `tests/telethon/<script>` (one that needs no server, such as the file id scripts) with
/// `input` on its standard input, and returns its JSON report as [`run`] does.
pub async fn run_with_input(script: &str, input: Vec<u8>) -> serde_json::Value {
    run_script(script, Vec::new(), Some(input)).await
}

async fn run_script(script: &str, args: Vec<String>, input: Option<Vec<u8>>) -> serde_json::Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/telethon")
        .join(script);
    let run = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(python())
            .arg(script)
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin.write_all(&input)?;
        }
        child.wait_with_output()
    });
    let out = tokio::time::timeout(TELETHON_TIMEOUT, run)
        .await
        .expect("Telethon finishes")
        .expect("the runner thread")
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "Telethon failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = stdout
        .lines()
        .find_map(|line| serde_json::from_str(line).ok())
        .expect("a JSON report");
    println!("Telethon's side: {report}");
    report
}
