//! The tgwire side of the comparison: one scenario per run, using only tgwire's public API,
//! against the test server named by `TGWIRE_SERVER` (its JSON ready line). Prints one JSON
//! object on its last stdout line; `telethon_driver.py` takes the same arguments and prints the
//! same keys.
//!
//! ```text
//! tgwire-driver rpc N IN_FLIGHT BOT_ID       help.getNearestDc N times, IN_FLIGHT at once
//! tgwire-driver send N IN_FLIGHT PHONE       N text messages to Saved Messages
//! tgwire-driver idle COUNT BOT_ID            COUNT signed-in clients connected at once
//! tgwire-driver cold-setup FILE BOT_ID       sign in and keep the session in FILE (untimed)
//! tgwire-driver cold FILE                    start from FILE, connect, answer get_me
//! tgwire-driver receive N PHONE PUSHER       resolve @PUSHER, print "ready <user id>", count N
//!                                            incoming messages in a NewMessage handler
//! tgwire-driver files MIB DIR PHONE          upload a MIB MiB file from DIR, send it to Saved
//!                                            Messages, download it back to DIR (to disk)
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::json;
use tgwire::events::NewMessage;
use tgwire::session::{AuthKeyData, Changes};
use tgwire::tl::functions;
use tgwire::{Client, ClientBuilder, MemoryStorage, Storage};
use tgwire_crypto::rsa::RsaPublicKey;

const API_HASH: &str = "0123456789abcdef0123456789abcdef";

#[derive(Deserialize)]
struct Ready {
    dcs: Vec<Dc>,
    rsa_public_key_pem: String,
}

#[derive(Deserialize)]
struct Dc {
    id: i32,
    host: String,
    port: u16,
}

/// The server's ready line and RSA key, read once: a program running many clients parses its
/// server key once (as Telethon does, at import), and each client shares it.
fn server() -> anyhow::Result<&'static (Ready, RsaPublicKey)> {
    static SERVER: OnceLock<(Ready, RsaPublicKey)> = OnceLock::new();
    if let Some(server) = SERVER.get() {
        return Ok(server);
    }
    let line = std::env::var("TGWIRE_SERVER").context("TGWIRE_SERVER (the ready line) not set")?;
    let ready: Ready = serde_json::from_str(&line)?;
    let key = RsaPublicKey::from_pkcs1_pem(&ready.rsa_public_key_pem)?;
    Ok(SERVER.get_or_init(|| (ready, key)))
}

fn builder(dc: i32) -> anyhow::Result<ClientBuilder> {
    let (ready, key) = server()?;
    let mut builder = Client::builder(1, API_HASH)
        .rsa_key(key.clone())
        .default_dc(dc)
        .request_timeout(Some(Duration::from_secs(120)));
    for d in &ready.dcs {
        builder = builder.dc_addr(d.id, format!("{}:{}", d.host, d.port).parse()?);
    }
    // Transport experiments: TGWIRE_TRANSPORT=full uses Telethon's default transport (TCP full,
    // no obfuscation) instead of tgwire's (obfuscated intermediate, AES-CTR over every byte).
    if let Ok(kind) = std::env::var("TGWIRE_TRANSPORT") {
        use tgwire::net::TransportKind;
        builder = builder.transport(match kind.as_str() {
            "full" => TransportKind::Full,
            "intermediate" => TransportKind::Intermediate,
            "abridged" => TransportKind::Abridged,
            other => bail!("TGWIRE_TRANSPORT={other}: full, intermediate or abridged"),
        });
    }
    Ok(builder)
}

/// A client of the idle scenario: a session of its own, connected from a clone of `base`.
async fn idle_client(base: &ClientBuilder, session: &Changes) -> anyhow::Result<Client> {
    let mut changes = session.clone();
    // Clones of one session share its key bytes; 500 accounts would have a key each.
    for (dc, key) in session.auth_keys() {
        let own = key.as_ref().map(|key| AuthKeyData::new(*key.as_bytes()));
        changes.set_auth_key(*dc, own);
    }
    let storage: Arc<dyn Storage> = Arc::new(MemoryStorage::with(changes));
    let client = base.clone().session_shared(storage).connect().await?;
    // As Telethon's `connect()`, which returns once its connection is up: tgwire's connects
    // in the background, and 500 handshakes at once would measure a transient peak (which the
    // allocator keeps) rather than the clients.
    let mut state = client.watch_connection_state();
    tokio::time::timeout(
        Duration::from_secs(60),
        state.wait_for(|s| s.is_connected()),
    )
    .await
    .context("a client did not connect within 60 s")??;
    Ok(client)
}

fn bot_token(id: &str) -> String {
    format!("{id}:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
}

async fn bot(id: &str) -> anyhow::Result<Client> {
    let client = builder(2)?.in_memory().connect().await?;
    client.bot_sign_in(&bot_token(id)).await?;
    Ok(client)
}

async fn user(phone: &str) -> anyhow::Result<Client> {
    let dc = i32::from(phone.as_bytes()[5] - b'0');
    let client = builder(dc)?.in_memory().connect().await?;
    let token = client.request_login_code(phone).await?;
    let code: String = std::iter::repeat_n(char::from(b'0' + dc as u8), 5).collect();
    client.sign_in(&token, &code).await?;
    Ok(client)
}

/// Forgets this process's peak RSS so far (`VmHWM` restarts from the current RSS), so that
/// the download's peak is measured apart from the upload's.
/// With `TGWIRE_PERF_CTL` naming the control FIFO of a `perf record -D -1 --control
/// fifo:PATH` started beforehand, writes `command` (`enable`, `disable`) there, so that a
/// profile covers the download alone.
fn perf_control(command: &str) -> anyhow::Result<()> {
    use std::io::Write as _;
    if let Some(path) = std::env::var_os("TGWIRE_PERF_CTL") {
        let mut fifo = std::fs::OpenOptions::new().write(true).open(path)?;
        writeln!(fifo, "{command}")?;
    }
    Ok(())
}

/// User + system CPU time of process `pid` ("self" or a number) so far, in ms: utime and
/// stime of /proc/PID/stat, counted in USER_HZ (100 per second on Linux). The harness, which
/// runs the server, is this process's parent, so the download's CPU cost is split between
/// client and server.
fn cpu_ms(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let (_, rest) = s.rsplit_once(')')?;
            let f: Vec<&str> = rest.split_whitespace().collect();
            Some((f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?) as f64 * 10.0)
        })
        .unwrap_or(0.0)
}

fn reset_peak_rss() {
    if let Err(e) = std::fs::write("/proc/self/clear_refs", "5") {
        eprintln!("cannot reset the peak RSS: {e}");
    }
}

/// Writes `mib` MiB of pseudo-random bytes (incompressible, different at every offset) to
/// `path`, one MiB at a time.
fn write_source(path: &std::path::Path, mib: usize) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..mib {
        for word in block.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        file.write_all(&block)?;
    }
    file.flush()?;
    Ok(())
}

/// Whether two files have the same bytes, compared one MiB at a time.
fn same_contents(a: &std::path::Path, b: &std::path::Path) -> anyhow::Result<bool> {
    use std::io::Read as _;
    let (mut a, mut b) = (std::fs::File::open(a)?, std::fs::File::open(b)?);
    if a.metadata()?.len() != b.metadata()?.len() {
        return Ok(false);
    }
    let (mut x, mut y) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = a.read(&mut x)?;
        if n == 0 {
            return Ok(true);
        }
        b.read_exact(&mut y[..n])?;
        if x[..n] != y[..n] {
            return Ok(false);
        }
    }
}

/// `VmHWM` (peak) or `VmRSS` (now) of this process, KiB.
fn rss_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// glibc's `struct mallinfo2` (every field a `size_t`).
#[repr(C)]
#[derive(Default, Clone, Copy, Debug)]
struct MallInfo2 {
    arena: usize,
    ordblks: usize,
    smblks: usize,
    hblks: usize,
    hblkhd: usize,
    usmblks: usize,
    fsmblks: usize,
    uordblks: usize,
    fordblks: usize,
    keepcost: usize,
}

extern "C" {
    fn mallinfo2() -> MallInfo2;
}

/// With `TGWIRE_MALLINFO` set, the allocator's view (bytes in use, free inside the heap), so
/// that an RSS change can be split into live memory and free space the allocator keeps.
fn malloc_view() -> Option<MallInfo2> {
    std::env::var_os("TGWIRE_MALLINFO")?;
    // SAFETY: glibc's mallinfo2 takes no arguments and returns a plain struct.
    Some(unsafe { mallinfo2() })
}

/// `Anonymous` and `Rss` of /proc/self/smaps_rollup in KiB (anonymous memory and all of it).
fn rollup_kib() -> (u64, u64) {
    let s = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
    let field = |name: &str| {
        s.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("Anonymous:"), field("Rss:"))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i]
}

/// Runs `n` calls of `call`, `in_flight` at once; returns (seconds, sorted latencies in ms).
async fn run_many<F, Fut>(n: usize, in_flight: usize, call: F) -> anyhow::Result<(f64, Vec<f64>)>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let start = Instant::now();
    let mut latencies: Vec<f64> = futures_util::stream::iter(0..n)
        .map(|i| {
            let fut = call(i);
            async move {
                let t = Instant::now();
                fut.await.map(|()| t.elapsed().as_secs_f64() * 1e3)
            }
        })
        .buffer_unordered(in_flight)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;
    let secs = start.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Ok((secs, latencies))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| -> anyhow::Result<&str> {
        args.get(i)
            .map(String::as_str)
            .with_context(|| format!("missing argument {i}"))
    };
    let out = match arg(0)? {
        "rpc" => {
            let (n, in_flight) = (arg(1)?.parse()?, arg(2)?.parse()?);
            let client = bot(arg(3)?).await?;
            let (secs, lat) = run_many(n, in_flight, |_| {
                let client = client.clone();
                async move {
                    client.invoke(&functions::help::GetNearestDc {}).await?;
                    Ok(())
                }
            })
            .await?;
            json!({"per_s": n as f64 / secs, "p50_ms": percentile(&lat, 0.5),
                   "p99_ms": percentile(&lat, 0.99), "peak_rss_kib": rss_kib("VmHWM:")})
        }
        "send" => {
            let (n, in_flight): (usize, usize) = (arg(1)?.parse()?, arg(2)?.parse()?);
            let client = user(arg(3)?).await?;
            let (secs, lat) = run_many(n, in_flight, |i| {
                let client = client.clone();
                async move {
                    client.send_message("me", format!("message {i}")).await?;
                    Ok(())
                }
            })
            .await?;
            json!({"per_s": n as f64 / secs, "p50_ms": percentile(&lat, 0.5),
                   "p99_ms": percentile(&lat, 0.99), "peak_rss_kib": rss_kib("VmHWM:")})
        }
        "idle" => {
            let count: usize = arg(1)?.parse()?;
            let seed = bot(arg(2)?).await?;
            let session = seed.session().snapshot();
            seed.disconnect().await;
            drop(seed);
            tokio::time::sleep(Duration::from_millis(200)).await;
            // One process, many accounts: configured once, each connected from a clone of the
            // builder (whose clients share one copy of the connection settings).
            let base = builder(2)?;
            // One client through the whole path first (connect from a saved session, get_me,
            // disconnect), as the Python driver does: the code pages that path runs for the
            // first time are the process's, not a client's (they were up to 1.2 KiB "per
            // client" otherwise).
            let warm = idle_client(&base, &session).await?;
            warm.get_me().await?;
            warm.disconnect().await;
            drop(warm);
            tokio::time::sleep(Duration::from_millis(200)).await;
            let before = rss_kib("VmRSS:");
            let before_malloc = malloc_view();
            let before_rollup = rollup_kib();
            // With TGWIRE_SMAPS=DIR, the memory map before and after (which mappings grew).
            let smaps_dir = std::env::var_os("TGWIRE_SMAPS").map(std::path::PathBuf::from);
            if let Some(dir) = &smaps_dir {
                std::fs::copy("/proc/self/smaps", dir.join("smaps.before"))?;
            }
            let mut clients = Vec::with_capacity(count);
            for _ in 0..count {
                clients.push(idle_client(&base, &session).await?);
            }
            // Every client makes one call, so each has a live, authorized connection.
            let answered = futures_util::stream::iter(clients.iter())
                .map(|c| c.get_me())
                .buffer_unordered(50)
                .filter(|r| std::future::ready(r.is_ok()))
                .count()
                .await;
            if answered != count {
                bail!("only {answered} of {count} clients answered");
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
            let after = rss_kib("VmRSS:");
            if let Some(dir) = &smaps_dir {
                std::fs::copy("/proc/self/smaps", dir.join("smaps.after"))?;
            }
            if let (Some(b), Some(a)) = (before_malloc, malloc_view()) {
                let per = |x: usize, y: usize| (x as f64 - y as f64) / count as f64;
                eprintln!(
                    "malloc per client: in use {:.0} B, free {:.0} B (fast bins {:.0}), heap {:.0} B, mmapped {:.0} B",
                    per(a.uordblks, b.uordblks),
                    per(a.fordblks, b.fordblks),
                    per(a.fsmblks, b.fsmblks),
                    per(a.arena, b.arena),
                    per(a.hblkhd, b.hblkhd),
                );
                let stats = clients
                    .iter()
                    .map(|c| c.update_stats())
                    .fold((0u64, 0u64, 0u64), |(h, d, f), s| {
                        (h + s.handed_out, d + s.duplicates, f + s.differences)
                    });
                eprintln!(
                    "updates over all clients: handed out {}, duplicates {}, differences {}",
                    stats.0, stats.1, stats.2
                );
                let after_rollup = rollup_kib();
                eprintln!(
                    "anonymous {:.0} B, rss {:.0} B per client",
                    per(
                        after_rollup.0 as usize * 1024,
                        before_rollup.0 as usize * 1024
                    ),
                    per(
                        after_rollup.1 as usize * 1024,
                        before_rollup.1 as usize * 1024
                    ),
                );
            }
            let connected = clients
                .iter()
                .filter(|c| c.connection_state().is_connected())
                .count();
            if connected != count {
                bail!("only {connected} of {count} clients are connected");
            }
            let out = json!({"kib_per_client": (after.saturating_sub(before)) as f64 / count as f64,
                   "peak_rss_kib": rss_kib("VmHWM:")});
            if std::env::var_os("TGWIRE_EXIT_CONNECTED").is_some() {
                // For heap profilers: end with the clients alive, so that what they hold is
                // reported as not freed, by where it was allocated.
                println!("{out}");
                std::process::exit(0);
            }
            out
        }
        "cold-setup" => {
            let client = builder(2)?.session_file(arg(1)?).connect().await?;
            client.bot_sign_in(&bot_token(arg(2)?)).await?;
            client.disconnect().await;
            json!({})
        }
        "cold" => {
            let client = builder(2)?.session_file(arg(1)?).connect().await?;
            let me = client.get_me().await?;
            json!({"user_id": me.id()})
        }
        "receive" => {
            let n: usize = arg(1)?.parse()?;
            let client = user(arg(2)?).await?;
            let me = client.get_me().await?.id();
            // The pushes name the pusher by id only; knowing it keeps them on the push path.
            client.resolve(format!("@{}", arg(3)?)).await?;
            let got = Arc::new(AtomicUsize::new(0));
            let done = Arc::new(tokio::sync::Notify::new());
            let (counter, all_in) = (Arc::clone(&got), Arc::clone(&done));
            client
                .add_event_handler(NewMessage::new().incoming(), move |_event| {
                    if counter.fetch_add(1, Ordering::Relaxed) + 1 == n {
                        all_in.notify_one();
                    }
                    std::future::ready(())
                })
                .await?;
            println!("ready {me}");
            let start = Instant::now();
            done.notified().await;
            let secs = start.elapsed().as_secs_f64();
            json!({"per_s": n as f64 / secs, "peak_rss_kib": rss_kib("VmHWM:")})
        }
        "files" => {
            let mib: usize = arg(1)?.parse()?;
            let dir = std::path::PathBuf::from(arg(2)?);
            let client = user(arg(3)?).await?;
            let (source, target) = (dir.join("source.bin"), dir.join("back.bin"));
            write_source(&source, mib)?;
            let bytes = (mib << 20) as f64;
            reset_peak_rss();
            let start = Instant::now();
            let file = client.upload_file(&source).await?;
            let up_secs = start.elapsed().as_secs_f64();
            let up_rss = rss_kib("VmHWM:");
            let sent = client
                .send_file("me", tgwire::InputMedia::document(file))
                .await?;
            reset_peak_rss();
            let parent = std::os::unix::process::parent_id().to_string();
            let cpu = (cpu_ms("self"), cpu_ms(&parent));
            perf_control("enable")?;
            let start = Instant::now();
            let mut download = client.download_media(&sent, &target);
            // Tuning experiments: TGWIRE_DOWNLOAD=PARALLELISM,CONNECTIONS (default: the
            // library's).
            if let Some(tuning) = std::env::var("TGWIRE_DOWNLOAD")
                .ok()
                .filter(|t| !t.is_empty())
            {
                let (p, c) = tuning.split_once(',').context("TGWIRE_DOWNLOAD=P,C")?;
                download = download.parallelism(p.parse()?).connections(c.parse()?);
            }
            let written = download.await?;
            let down_secs = start.elapsed().as_secs_f64();
            perf_control("disable")?;
            let (client_cpu, server_cpu) = (cpu_ms("self") - cpu.0, cpu_ms(&parent) - cpu.1);
            let down_rss = rss_kib("VmHWM:");
            if written != mib as u64 * (1 << 20) || !same_contents(&source, &target)? {
                bail!("the downloaded file differs from the uploaded one");
            }
            std::fs::remove_file(&source)?;
            std::fs::remove_file(&target)?;
            json!({"up_mib_s": bytes / (1 << 20) as f64 / up_secs,
                   "down_mib_s": bytes / (1 << 20) as f64 / down_secs,
                   "up_peak_rss_mib": up_rss as f64 / 1024.0,
                   "down_peak_rss_mib": down_rss as f64 / 1024.0,
                   "down_client_cpu_ms_per_mib": client_cpu / mib as f64,
                   "down_server_cpu_ms_per_mib": server_cpu / mib as f64})
        }
        other => bail!("unknown scenario {other}"),
    };
    println!("{out}");
    Ok(())
}
