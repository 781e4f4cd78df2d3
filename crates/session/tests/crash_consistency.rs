//! Kill -9 a writer in the middle of heavy writes, hundreds of times, and check after every kill
//! that the session opens and holds one consistent generation of data.
//!
//! The writer is this test binary re-run with `WRITER_ENV` set. Each of its `apply` calls writes,
//! in one `Changes`, 200 peers stamped with a generation number `n`, the update state `pts = n`,
//! the channel pts `n`, and every 7th generation an auth key encoding `n`. A consistent file is one
//! where all of these agree on the same `n`, and `n` never goes backwards between kills.

use std::process::{Command, Stdio};
use std::time::Duration;

mod support;

use rand::Rng;
use support::crash::{consistent_generation, generation};
use tgwire_session::{SqliteStorage, Storage};

const WRITER_ENV: &str = "TGWIRE_SESSION_TEST_WRITER";
const ITERATIONS: usize = 200;

/// Not a test on its own: the writer process.
#[test]
#[ignore = "child process of `kill_9_during_heavy_writes_never_breaks_the_session`"]
fn writer_child() {
    let Ok(path) = std::env::var(WRITER_ENV) else {
        return;
    };
    let storage = SqliteStorage::open(&path).expect("writer could not open the session");
    let mut n = storage.update_state().map_or(0, |s| s.pts);
    loop {
        n += 1;
        storage
            .apply(generation(n))
            .expect("writer could not write");
    }
}

#[test]
fn kill_9_during_heavy_writes_never_breaks_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.session");
    let exe = std::env::current_exe().unwrap();
    let mut rng = rand::thread_rng();
    let mut last = 0;
    let mut advanced = 0;

    for iteration in 0..ITERATIONS {
        let mut child = Command::new(&exe)
            .args([
                "--exact",
                "writer_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(WRITER_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.gen_range(1..=40)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            // Anything but death by SIGKILL means the writer failed on its own.
            assert_eq!(
                status.signal(),
                Some(9),
                "iteration {iteration}: writer {status}"
            );
        }
        #[cfg(not(unix))]
        let _ = status;

        let storage = SqliteStorage::open(&path)
            .unwrap_or_else(|e| panic!("iteration {iteration}: reopen failed: {e}"));
        let n = consistent_generation(&storage);
        assert!(
            n >= last,
            "iteration {iteration}: generation went back from {last} to {n}"
        );
        if n > last {
            advanced += 1;
        }
        last = n;
    }
    eprintln!("{ITERATIONS} kills, the writer got further in {advanced}, final generation {last}");
    assert!(
        last > 0,
        "the writer never committed anything: the test did not test"
    );
}
