//! Moves files with progress bars, and measures how fast.
//!
//! It connects as every example does (`examples/common`): to Telegram with `TG_API_ID` and
//! `TG_API_HASH` (from https://my.telegram.org; session in `transfer.session`, asking for
//! phone, code and password the first time), to a running `tgwire-testserver` with
//! `TGWIRE_SERVER` set to its ready line, and otherwise to the test server started in-process.
//!
//!     cargo run --release --example transfer -- upload PATH [CHAT]     # default chat: me
//!     cargo run --release --example transfer -- download CHAT MESSAGE_ID PATH [SIZE]
//!     cargo run --release --example transfer -- profile-photo CHAT PATH [small|stripped]
//!
//! `SIZE` names a photo size (`s`, `m`, `x`, `y`, `w`; `i` is the stripped thumbnail, inflated
//! to a JPEG without a request); a contact downloads as its vCard. `stripped` is the profile
//! photo's stripped thumbnail, from the user's, group's or channel's object.
//!
//! Without a command it measures: it uploads then downloads a generated file of `--size-mib`
//! MiB (default 64) `--runs` times (default 3) to Saved Messages, checks every download, and
//! prints MiB/s for each run and the medians. That needs a test server (embedded or
//! `TGWIRE_SERVER`), or the word `bench` first on Telegram, where it moves real bytes:
//!
//!     cargo run --release --example transfer -- --size-mib 256 --runs 3
//!     TG_API_ID=… TG_API_HASH=… cargo run --release --example transfer -- bench --size-mib 8

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use indicatif::{ProgressBar, ProgressStyle};
use tgwire::{Client, InputMedia, InputMessage};

const MIB: f64 = 1024.0 * 1024.0;
const USAGE: &str = "usage: transfer upload PATH [CHAT] | transfer download CHAT MESSAGE_ID PATH \
                     [SIZE] | transfer profile-photo CHAT PATH [small|stripped] | transfer \
                     [bench] [--size-mib N] [--runs N] [--parallelism N] [--connections N]";

/// `--parallelism` / `--connections` of the downloads (the library's defaults without them).
#[derive(Clone, Copy, Default)]
struct Tuning {
    parallelism: Option<usize>,
    connections: Option<usize>,
}

fn bar(total: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:>9} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(what.to_owned());
    bar
}

async fn upload(
    client: &Client,
    path: &Path,
    chat: &str,
) -> anyhow::Result<(tgwire::Message, f64)> {
    let size = std::fs::metadata(path)?.len();
    let progress = bar(size, "upload");
    let shown = progress.clone();
    let started = Instant::now();
    let file = client
        .upload_file(path)
        .progress(move |done, _| shown.set_position(done))
        .await?;
    let secs = started.elapsed().as_secs_f64();
    progress.finish();
    let caption = format!("{} ({size} bytes)", file.name());
    let sent = client
        .send_file(
            chat,
            InputMedia::auto(file).caption(InputMessage::text(caption)),
        )
        .await?;
    Ok((sent, size as f64 / MIB / secs))
}

async fn download(
    client: &Client,
    message: &tgwire::Message,
    path: &Path,
    size: Option<&str>,
    tuning: Tuning,
) -> anyhow::Result<f64> {
    let progress = bar(0, "download");
    let shown = progress.clone();
    let started = Instant::now();
    let mut download = client
        .download_media(message, path)
        .progress(move |done, total| {
            shown.set_length(total.max(done));
            shown.set_position(done);
        });
    if let Some(size) = size {
        download = download.photo_size(size);
    }
    if let Some(requests) = tuning.parallelism {
        download = download.parallelism(requests);
    }
    if let Some(connections) = tuning.connections {
        download = download.connections(connections);
    }
    let bytes = download.await?;
    let secs = started.elapsed().as_secs_f64();
    progress.finish();
    Ok(bytes as f64 / MIB / secs)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn option(args: &[String], name: &str, default: usize) -> anyhow::Result<usize> {
    match args.iter().position(|a| a == name) {
        Some(i) => Ok(args
            .get(i + 1)
            .with_context(|| format!("{name} needs a value"))?
            .parse()?),
        None => Ok(default),
    }
}

/// Uploads and downloads a generated file of `size_mib` MiB `runs` times, checking each
/// download, and prints the speeds and their medians.
async fn bench(
    client: &Client,
    size_mib: usize,
    runs: usize,
    tuning: Tuning,
) -> anyhow::Result<()> {
    println!("== {runs} runs of a {size_mib} MiB file, to Saved Messages and back");
    let dir = tempfile::tempdir()?;
    let source: PathBuf = dir.path().join("source.bin");
    let mut file = std::fs::File::create(&source)?;
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut block = vec![0u8; 1 << 20];
    for _ in 0..size_mib {
        for byte in block.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = state as u8;
        }
        file.write_all(&block)?;
    }
    drop(file);

    let (mut ups, mut downs) = (Vec::new(), Vec::new());
    for run in 1..=runs {
        let (sent, up) = upload(client, &source, "me").await?;
        let target = dir.path().join(format!("back-{run}.bin"));
        let down = download(client, &sent, &target, None, tuning).await?;
        if std::fs::read(&target)? != std::fs::read(&source)? {
            bail!("run {run}: the downloaded file differs");
        }
        std::fs::remove_file(&target)?;
        println!("run {run}: upload {up:.1} MiB/s, download {down:.1} MiB/s");
        ups.push(up);
        downs.push(down);
    }
    println!(
        "median of {runs}: upload {:.1} MiB/s, download {:.1} MiB/s",
        median(ups),
        median(downs)
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let example = common::Example::start("transfer").await?;
    let client = example.connect_user().await?;
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words[..] {
        ["upload", path] | ["upload", path, _] => {
            let chat = args.get(2).map_or("me", String::as_str);
            let (sent, speed) = upload(&client, Path::new(path), chat).await?;
            println!("sent message {} at {speed:.1} MiB/s", sent.id());
        }
        ["download", chat, id, path] | ["download", chat, id, path, _] => {
            let found = client.get_messages(chat, &[id.parse()?]).await?;
            let Some(Some(message)) = found.into_iter().next() else {
                bail!("no message {id} in {chat}");
            };
            let size = args.get(4).map(String::as_str);
            let speed =
                download(&client, &message, Path::new(path), size, Tuning::default()).await?;
            println!("downloaded at {speed:.1} MiB/s");
        }
        ["profile-photo", chat, path] | ["profile-photo", chat, path, _] => {
            let download = client.download_profile_photo(chat, Path::new(path));
            let bytes = match words.get(3) {
                None => download.await?,
                Some(&"small") => download.small().await?,
                Some(&"stripped") => download.photo_size("i").await?,
                Some(other) => bail!("{other}: expected small or stripped\n{USAGE}"),
            };
            println!("{chat}'s photo: {bytes} bytes in {path}");
        }
        _ if words
            .first()
            .is_some_and(|w| !w.starts_with("--") && *w != "bench") =>
        {
            bail!("{USAGE}")
        }
        _ if example.is_telegram() && words.first() != Some(&"bench") => {
            bail!("on Telegram, name a command (or `bench` to move real bytes)\n{USAGE}")
        }
        _ => {
            let size_mib = option(&args, "--size-mib", 64)?;
            let runs = option(&args, "--runs", 3)?.max(1);
            let given = |name| -> anyhow::Result<Option<usize>> {
                Ok(Some(option(&args, name, 0)?).filter(|&n| n > 0))
            };
            let tuning = Tuning {
                parallelism: given("--parallelism")?,
                connections: given("--connections")?,
            };
            bench(&client, size_mib, runs, tuning).await?;
        }
    }
    client.disconnect().await;
    Ok(())
}
