//! The `tgwire-testserver` binary as a child process, for the command-line and Telethon tests.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};

pub const BIN: &str = env!("CARGO_BIN_EXE_tgwire-testserver");

/// A running server; killed on drop.
pub struct ServerProcess {
    pub child: Child,
    /// The JSON line it printed.
    pub ready: String,
    pub json: serde_json::Value,
    stdout: Option<BufReader<ChildStdout>>,
    pub log: tempfile::NamedTempFile,
}

impl ServerProcess {
    /// Starts the binary with `args` and waits (up to 30 s) for its ready line.
    pub fn start(args: &[&str]) -> Result<Self> {
        let log = tempfile::NamedTempFile::new()?;
        let mut child = Command::new(BIN)
            .args(args)
            .env(
                "TGWIRE_LOG",
                std::env::var("TGWIRE_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log.reopen()?)
            .spawn()
            .context("spawning tgwire-testserver")?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (tx, rx) = mpsc::channel();
        // Read the first line on a thread so a silent server cannot hang the test.
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let result = reader.read_line(&mut line).map(|_| (line, reader));
            let _ = tx.send(result);
        });
        let (line, reader) = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(r) => r?,
            Err(_) => {
                let _ = child.kill();
                bail!("no ready line within 30 s; log:\n{}", read(log.path()));
            }
        };
        if line.is_empty() {
            let status = child.wait()?;
            bail!(
                "exited ({status}) before being ready; log:\n{}",
                read(log.path())
            );
        }
        let json = serde_json::from_str(line.trim_end())
            .with_context(|| format!("ready line is not JSON: {line:?}"))?;
        Ok(Self {
            child,
            ready: line.trim_end().to_owned(),
            json,
            stdout: Some(reader),
            log,
        })
    }

    pub fn dc_port(&self, id: i64) -> Result<u16> {
        self.json["dcs"]
            .as_array()
            .and_then(|dcs| dcs.iter().find(|d| d["id"] == id))
            .and_then(|d| d["port"].as_u64())
            .and_then(|p| u16::try_from(p).ok())
            .ok_or_else(|| anyhow!("no DC {id} in {}", self.ready))
    }

    /// Sends SIGTERM and waits for the exit; returns the status and everything else it printed
    /// on stdout.
    pub fn terminate(mut self) -> Result<(ExitStatus, String)> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        assert!(status.success(), "kill -TERM failed");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let exit = loop {
            if let Some(s) = self.child.try_wait()? {
                break s;
            }
            if std::time::Instant::now() > deadline {
                bail!("still running 20 s after SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut rest = String::new();
        if let Some(mut out) = self.stdout.take() {
            out.read_to_string(&mut rest)?;
        }
        Ok((exit, rest))
    }

    pub fn log_text(&self) -> String {
        read(self.log.path())
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
