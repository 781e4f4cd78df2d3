//! Starts one tgwire-testserver (in this process, release build) and runs every scenario with
//! tgwire-driver and with telethon_driver.py in alternating rounds, then prints one table of
//! medians. `compare/e2e/run` builds everything and calls this; see README.md.
//!
//! ```text
//! harness [--rounds R] [--scale F] [--only NAME,NAME] PYTHON
//! ```

use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde_json::Value;
use tgwire_testserver::backend::Peer;
use tgwire_testserver::{Config, TestServer};
use tokio::io::{AsyncBufReadExt as _, BufReader};
use tokio::process::Command;

/// One comparison row: how to run it and which figure decides.
struct Scenario {
    name: &'static str,
    /// What the row measures, for the table.
    what: &'static str,
    /// Key of the driver's JSON that the row compares.
    key: &'static str,
    /// Whether larger values of `key` are better.
    higher_is_better: bool,
}

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "rpc",
        what: "10k help.getNearestDc, 100 in flight (req/s)",
        key: "per_s",
        higher_is_better: true,
    },
    Scenario {
        name: "rpc",
        what: "  p50 latency (ms)",
        key: "p50_ms",
        higher_is_better: false,
    },
    Scenario {
        name: "rpc",
        what: "  p99 latency (ms)",
        key: "p99_ms",
        higher_is_better: false,
    },
    Scenario {
        name: "send",
        what: "10k messages sent, 50 in flight (msg/s)",
        key: "per_s",
        higher_is_better: true,
    },
    Scenario {
        name: "receive",
        what: "20k pushed messages into a handler (upd/s)",
        key: "per_s",
        higher_is_better: true,
    },
    Scenario {
        name: "files",
        what: "upload 256 MiB from disk (MiB/s)",
        key: "up_mib_s",
        higher_is_better: true,
    },
    Scenario {
        name: "files",
        what: "  download 256 MiB to disk (MiB/s)",
        key: "down_mib_s",
        higher_is_better: true,
    },
    Scenario {
        name: "files",
        what: "  upload peak RSS (MiB)",
        key: "up_peak_rss_mib",
        higher_is_better: false,
    },
    Scenario {
        name: "files",
        what: "  download peak RSS (MiB)",
        key: "down_peak_rss_mib",
        higher_is_better: false,
    },
    Scenario {
        name: "files",
        what: "  download CPU per MiB, client (ms)",
        key: "down_client_cpu_ms_per_mib",
        higher_is_better: false,
    },
    Scenario {
        name: "files",
        what: "  download CPU per MiB, server (ms)",
        key: "down_server_cpu_ms_per_mib",
        higher_is_better: false,
    },
    Scenario {
        name: "idle",
        what: "500 idle signed-in clients (KiB RSS each)",
        key: "kib_per_client",
        higher_is_better: false,
    },
    Scenario {
        name: "cold",
        what: "cold start from a saved session (ms)",
        key: "wall_ms",
        higher_is_better: false,
    },
];

struct Opts {
    rounds: usize,
    scale: f64,
    only: Option<Vec<String>>,
    python: String,
    driver: String,
    telethon: String,
}

fn opts() -> anyhow::Result<Opts> {
    let mut args = std::env::args().skip(1);
    let mut o = Opts {
        rounds: 3,
        scale: 1.0,
        only: None,
        python: String::new(),
        driver: String::new(),
        telethon: String::new(),
    };
    let here = std::env::current_exe()?;
    let dir = here.parent().context("exe dir")?;
    o.driver = dir.join("tgwire-driver").display().to_string();
    o.telethon = concat!(env!("CARGO_MANIFEST_DIR"), "/telethon_driver.py").to_owned();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--rounds" => o.rounds = args.next().context("--rounds N")?.parse()?,
            "--scale" => o.scale = args.next().context("--scale F")?.parse()?,
            "--only" => {
                o.only = Some(
                    args.next()
                        .context("--only a,b")?
                        .split(',')
                        .map(str::to_owned)
                        .collect(),
                )
            }
            _ => o.python = a,
        }
    }
    if o.python.is_empty() {
        bail!("usage: harness [--rounds R] [--scale F] [--only a,b] PYTHON");
    }
    Ok(o)
}

/// What one driver run produced.
type Outcome = Result<Value, String>;

struct Run<'a> {
    opts: &'a Opts,
    server: &'a TestServer,
    ready: String,
    /// Makes every account and bot id unique across runs.
    counter: u32,
    tmp: std::path::PathBuf,
}

/// Before each round: writes the page cache's dirty data to disk, so that a file the last
/// round wrote (a download left dirty in the cache, as Telethon leaves it) is not written back
/// by the kernel during the next round, on its CPU time. (Isolation, not a speed-up: an A/B
/// with and without it showed no difference beyond this VM's drift.)
async fn settle() {
    if let Err(e) = Command::new("sync").status().await {
        eprintln!("sync before the round failed: {e}");
    }
}

impl Run<'_> {
    fn next_id(&mut self) -> u32 {
        self.counter += 1;
        self.counter
    }

    fn command(&self, rust: bool, args: &[String]) -> Command {
        let mut cmd = if rust {
            Command::new(&self.opts.driver)
        } else {
            let mut c = Command::new(&self.opts.python);
            c.arg(&self.opts.telethon);
            c
        };
        cmd.args(args)
            .env("TGWIRE_SERVER", &self.ready)
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Runs a driver to the end and parses its last line.
    async fn plain(&self, rust: bool, args: &[String]) -> Outcome {
        let child = self
            .command(rust, args)
            .spawn()
            .map_err(|e| e.to_string())?;
        let out = tokio::time::timeout(Duration::from_secs(600), child.wait_with_output())
            .await
            .map_err(|_| "timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            // anyhow prints "Error: …" first (a backtrace may follow); Python ends with it.
            let last = err
                .lines()
                .find(|l| l.starts_with("Error"))
                .or_else(|| err.lines().rev().find(|l| !l.trim().is_empty()))
                .unwrap_or("");
            return Err(format!("{}: {last}", out.status));
        }
        let last = stdout.lines().last().unwrap_or("");
        serde_json::from_str(last).map_err(|e| format!("bad output {last:?}: {e}"))
    }

    /// The receive scenario: the driver signs in, resolves the pusher by its username and
    /// prints `ready <user id>`; then this process makes the server push `n` messages from
    /// the pusher to that user.
    ///
    /// The pushes are `updateShortMessage`s, which name the sender by id only: a client that
    /// did not know the pusher would (rightly) fetch the difference for each instead of
    /// taking the push, so both drivers resolve it first.
    async fn receive(&mut self, rust: bool, n: usize) -> Outcome {
        let phone = format!("999662{:04}", 5000 + self.next_id());
        let id = self.next_id();
        let username = format!("pusher{id}");
        let pusher = self
            .server
            .backend()
            .create_user(
                &format!("999662{:04}", 9000 + id),
                "Pusher",
                Some(&username),
            )
            .map_err(|e| e.to_string())?;
        let args = [String::from("receive"), n.to_string(), phone, username];
        let mut child = self
            .command(rust, &args)
            .spawn()
            .map_err(|e| e.to_string())?;
        let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
        let ready = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .map_err(|_| "no ready line".to_owned())?
            .map_err(|e| e.to_string())?
            .unwrap_or_default();
        let Some(user) = ready
            .strip_prefix("ready ")
            .and_then(|id| id.trim().parse::<i64>().ok())
        else {
            let out = child.wait_with_output().await.map_err(|e| e.to_string())?;
            return Err(format!(
                "no ready line: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ));
        };
        let backend = self.server.backend().clone();
        tokio::task::spawn_blocking(move || {
            for i in 0..n {
                backend
                    .send_message_as(pusher, Peer::User(user), &format!("push {i}"))
                    .map_err(|e| e.to_string())?;
            }
            Ok::<_, String>(())
        })
        .await
        .map_err(|e| e.to_string())??;
        let last = tokio::time::timeout(Duration::from_secs(300), async {
            let mut last = String::new();
            while let Ok(Some(line)) = lines.next_line().await {
                last = line;
            }
            last
        })
        .await
        .map_err(|_| "not all updates arrived in 300 s".to_owned())?;
        let status = child.wait().await.map_err(|e| e.to_string())?;
        if !status.success() {
            return Err(format!("{status}"));
        }
        serde_json::from_str(&last).map_err(|e| format!("bad output {last:?}: {e}"))
    }

    async fn scenario(&mut self, name: &str, rust: bool) -> Outcome {
        let scaled = |n: f64| ((n * self.opts.scale).round() as usize).max(1).to_string();
        match name {
            "rpc" => {
                let bot = (100_000 + self.next_id()).to_string();
                self.plain(rust, &["rpc".into(), scaled(10_000.0), "100".into(), bot])
                    .await
            }
            "send" => {
                let phone = format!("999662{:04}", self.next_id());
                self.plain(rust, &["send".into(), scaled(10_000.0), "50".into(), phone])
                    .await
            }
            "receive" => {
                self.receive(rust, (20_000.0 * self.opts.scale) as usize)
                    .await
            }
            "files" => {
                // A fresh server for every run: each stores its 256 MiB file, and the runs'
                // files would otherwise pile up in this process.
                let server = TestServer::start(Config::default())
                    .await
                    .map_err(|e| e.to_string())?;
                let shared = std::mem::replace(&mut self.ready, server.ready_line());
                let id = self.next_id();
                let dir = self.tmp.join(format!("files-{id}"));
                std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
                let phone = format!("999662{:04}", self.next_id());
                let args = [
                    "files".into(),
                    scaled(256.0),
                    dir.display().to_string(),
                    phone,
                ];
                let out = self.plain(rust, &args).await;
                self.ready = shared;
                server.shutdown().await;
                let _ = std::fs::remove_dir_all(&dir);
                out
            }
            "idle" => {
                // A fresh server for every run too: with one server for all rounds (which keeps
                // every earlier round's sessions), tgwire's rounds after Telethon's swung by up
                // to 3 KiB per client in malloc's free space; with a fresh one each round they
                // are alike (README, session 13).
                let server = TestServer::start(Config::default())
                    .await
                    .map_err(|e| e.to_string())?;
                let shared = std::mem::replace(&mut self.ready, server.ready_line());
                let bot = (100_000 + self.next_id()).to_string();
                let out = self.plain(rust, &["idle".into(), scaled(500.0), bot]).await;
                self.ready = shared;
                server.shutdown().await;
                out
            }
            "cold" => {
                let id = self.next_id();
                let file = self
                    .tmp
                    .join(format!("cold-{rust}-{id}"))
                    .display()
                    .to_string();
                let bot = (100_000 + self.next_id()).to_string();
                self.plain(rust, &["cold-setup".into(), file.clone(), bot])
                    .await?;
                let start = Instant::now();
                let mut out = self.plain(rust, &["cold".into(), file]).await?;
                out["wall_ms"] = Value::from(start.elapsed().as_secs_f64() * 1e3);
                Ok(out)
            }
            other => Err(format!("unknown scenario {other}")),
        }
    }
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some(v[v.len() / 2])
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let opts = opts()?;
    let server = TestServer::start(Config::default()).await?;
    let tmp = std::env::temp_dir().join(format!("tgwire-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let mut run = Run {
        opts: &opts,
        server: &server,
        ready: server.ready_line(),
        counter: 0,
        tmp: tmp.clone(),
    };
    let load_before = load();
    let mut names: Vec<&str> = SCENARIOS.iter().map(|s| s.name).collect();
    names.dedup();
    if let Some(only) = &opts.only {
        names.retain(|n| only.iter().any(|o| o == n));
    }
    // results[name] = (tgwire outcomes, telethon outcomes)
    let mut results: Vec<(&str, Vec<Outcome>, Vec<Outcome>)> = Vec::new();
    for name in &names {
        let (mut ours, mut theirs) = (Vec::new(), Vec::new());
        for round in 0..opts.rounds {
            // Alternate who goes first, so drift in the machine's load hits both alike.
            for rust in [round % 2 == 0, round % 2 == 1] {
                settle().await;
                let outcome = run.scenario(name, rust).await;
                eprintln!(
                    "{name} round {round} {}: {}",
                    if rust { "tgwire" } else { "telethon" },
                    match &outcome {
                        Ok(v) => v.to_string(),
                        Err(e) => format!("FAILED {e}"),
                    }
                );
                if rust { &mut ours } else { &mut theirs }.push(outcome);
            }
        }
        results.push((name, ours, theirs));
    }
    let load_after = load();
    println!("| scenario | tgwire (median) | Telethon 1.45 + cryptg (median) | tgwire advantage |");
    println!("|---|---|---|---|");
    for s in SCENARIOS {
        let Some((_, ours, theirs)) = results.iter().find(|(n, _, _)| *n == s.name) else {
            continue;
        };
        let med = |outs: &Vec<Outcome>| -> Result<f64, String> {
            let vals: Vec<f64> = outs
                .iter()
                .filter_map(|o| o.as_ref().ok())
                .filter_map(|v| v.get(s.key).and_then(Value::as_f64))
                .collect();
            median(vals).ok_or_else(|| {
                outs.iter()
                    .find_map(|o| o.as_ref().err().cloned())
                    .unwrap_or_else(|| "no figure".into())
            })
        };
        let (a, b) = (med(ours), med(theirs));
        let fmt = |r: &Result<f64, String>| match r {
            Ok(v) => format!("{v:.2}"),
            Err(e) => format!("not yet ({})", e.chars().take(60).collect::<String>()),
        };
        let ratio = match (&a, &b) {
            (Ok(a), Ok(b)) if *a > 0.0 && *b > 0.0 => {
                let r = if s.higher_is_better { a / b } else { b / a };
                format!("{r:.2}x")
            }
            _ => "-".into(),
        };
        println!("| {} | {} | {} | {} |", s.what, fmt(&a), fmt(&b), ratio);
    }
    println!(
        "\nrounds: {}, scale: {}, load average before: {load_before}, after: {load_after}",
        opts.rounds, opts.scale
    );
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}
