//! `tgwire-testserver`: run the local Telegram from the command line.
//!
//! ```text
//! tgwire-testserver [--host 127.0.0.1] [--port P] [--dcs 3] [--key PRIVATE.pem] [--data FILE]
//!                   [--proxy-secret HEX] [--require-signup] [--fault SPEC]...
//! ```
//!
//! When every DC listens, exactly one JSON line goes to stdout (the contract scripts rely on);
//! logs go to stderr. The server runs until SIGINT or SIGTERM.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use tgwire_crypto::rsa::RsaPrivateKey;
use tgwire_testserver::{Config, Faults, TestServer};

const USAGE: &str = "usage: tgwire-testserver [--host 127.0.0.1] [--port P (DC1; DC n uses P+n-1; 0 = any free ports)] [--dcs 3] [--key PRIVATE.pem] [--data FILE] [--proxy-secret HEX] [--require-signup] [--fault SPEC]...

  --fault SPEC   arm a fault at start (repeatable): flood:METHOD:SECS[:TIMES],
                 migrate:METHOD:PHONE|USER|NETWORK|FILE:DC[:TIMES], disconnect-after:N,
                 delay-ms:MS, drop-updates:N, updates-too-long, clock-skew:SECS, expire-salts
  -v, --verbose  log to stderr (also RUST_LOG-style level via TGWIRE_LOG=debug|info|...)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (config, verbose) = match parse(&args) {
        Ok(Some(c)) => c,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("tgwire-testserver: {message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    init_log(verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("tgwire-testserver: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: Config) -> ExitCode {
    // Listen for signals before announcing readiness: a script may signal us right after
    // reading the line.
    let signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tgwire-testserver: cannot install signal handlers: {e}");
            return ExitCode::FAILURE;
        }
    };
    let server = match TestServer::start(config).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("tgwire-testserver: {e}");
            return ExitCode::FAILURE;
        }
    };
    {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        if writeln!(out, "{}", server.ready_line())
            .and_then(|()| out.flush())
            .is_err()
        {
            return ExitCode::FAILURE;
        }
    }
    signals.wait().await;
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// SIGINT and SIGTERM.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn install() -> std::io::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn wait(mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}

/// Ctrl-C.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn install() -> std::io::Result<Self> {
        Ok(Self)
    }

    async fn wait(self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// `Ok(None)` for `--help`.
fn parse(args: &[String]) -> Result<Option<(Config, bool)>, String> {
    let mut config = Config::default();
    let faults = Faults::new();
    let mut verbose = false;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .map(String::as_str)
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "-v" | "--verbose" => verbose = true,
            "--host" => {
                config.host = value()?
                    .parse::<IpAddr>()
                    .map_err(|e| format!("--host: {e}"))?
            }
            "--port" => config.port = value()?.parse().map_err(|e| format!("--port: {e}"))?,
            "--dcs" => config.dc_count = value()?.parse().map_err(|e| format!("--dcs: {e}"))?,
            "--key" => {
                let path = value()?;
                let pem =
                    std::fs::read_to_string(path).map_err(|e| format!("--key {path}: {e}"))?;
                config.rsa_key = Some(
                    RsaPrivateKey::from_pkcs1_pem(&pem)
                        .map_err(|e| format!("--key {path}: {e}"))?,
                );
            }
            "--data" => config.data_file = Some(PathBuf::from(value()?)),
            "--proxy-secret" => {
                config.proxy_secret = Some(
                    value()?
                        .parse()
                        .map_err(|e| format!("--proxy-secret: {e}"))?,
                )
            }
            "--require-signup" => config.require_signup = true,
            "--fault" => faults
                .apply_spec(value()?)
                .map_err(|e| format!("--fault: {e}"))?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    config.faults = faults;
    Ok(Some((config, verbose)))
}

/// A minimal stderr logger: this binary has no other use for a logging framework.
struct StderrLog(log::LevelFilter);

impl log::Log for StderrLog {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= self.0 && metadata.target().starts_with("tgwire")
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            eprintln!("[{} {}] {}", record.level(), record.target(), record.args());
        }
    }

    fn flush(&self) {}
}

fn init_log(verbose: bool) {
    let level = match std::env::var("TGWIRE_LOG").ok().as_deref() {
        Some("trace") => log::LevelFilter::Trace,
        Some("debug") => log::LevelFilter::Debug,
        Some("info") => log::LevelFilter::Info,
        Some("warn") => log::LevelFilter::Warn,
        Some("error") => log::LevelFilter::Error,
        Some("off") => log::LevelFilter::Off,
        _ if verbose => log::LevelFilter::Info,
        _ => log::LevelFilter::Warn,
    };
    let logger: &'static StderrLog = Box::leak(Box::new(StderrLog(level)));
    if log::set_logger(logger).is_ok() {
        log::set_max_level(level);
    }
}
