//! One thread for the whole process that wakes parked update drivers at their deadlines.
//!
//! An idle client's update driver has nothing to do but wait: for an input (a push, a
//! reconnect) or for a deadline (a gap's wait, a retry, fifteen minutes without updates, the
//! pool's idle-connection sweep). Waiting in a task of its own cost every client a tokio task
//! and a timer (~380 bytes, see `driver`); here a parked driver is one entry in a shared
//! ordered map (~90 bytes with the map's nodes), and a thread sleeps until the earliest entry,
//! then starts that client's driver on the client's runtime.
//!
//! A thread rather than a task: clients of several runtimes (tests run one per test) share
//! it, and it must outlive any one of them.
//!
//! A driver has at most one entry: moving its wake-up replaces it. (A heap without removal
//! would be ~40 bytes less per client, but a driver whose deadline keeps moving earlier, gap
//! after gap, would pile up stale entries until each went off.)

use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Instant;

use crate::client::Inner;

/// Identifies one scheduled wake-up (to replace or cancel it).
pub(crate) type Key = (Instant, u64);

struct Entry {
    client: Weak<Inner>,
    runtime: tokio::runtime::Handle,
}

#[derive(Default)]
struct Timers {
    entries: BTreeMap<Key, Entry>,
    next_id: u64,
    /// The thread was started (it runs for the rest of the process).
    started: bool,
}

fn timers() -> &'static (Mutex<Timers>, Condvar) {
    static TIMERS: OnceLock<(Mutex<Timers>, Condvar)> = OnceLock::new();
    TIMERS.get_or_init(Default::default)
}

fn lock() -> MutexGuard<'static, Timers> {
    // Plain data under the lock: a panic elsewhere leaves it consistent.
    timers().0.lock().unwrap_or_else(|e| e.into_inner())
}

/// Wakes `client`'s driver on `runtime` at `at`, instead of at `replaces` if given. Returns the
/// key the driver keeps to replace or cancel it, and to know the wake-up for its own.
pub(crate) fn schedule(
    at: Instant,
    client: Weak<Inner>,
    runtime: tokio::runtime::Handle,
    replaces: Option<Key>,
) -> Key {
    let mut map = lock();
    if let Some(old) = replaces {
        map.entries.remove(&old);
    }
    if !map.started {
        let started = std::thread::Builder::new()
            .name("tgwire-update-timers".into())
            // It only walks the map and starts tasks.
            .stack_size(64 * 1024)
            .spawn(run);
        match started {
            Ok(_) => map.started = true,
            // Retried with the next schedule; meanwhile inputs still wake the drivers.
            Err(e) => log::error!("cannot start the update timer thread: {e}"),
        }
    }
    let key = (at, map.next_id);
    map.next_id += 1;
    let earliest = map.entries.keys().next().is_none_or(|first| key < *first);
    map.entries.insert(key, Entry { client, runtime });
    drop(map);
    if earliest {
        timers().1.notify_one();
    }
    key
}

/// Cancels a wake-up (nothing happens if it went off already).
pub(crate) fn cancel(key: Key) {
    lock().entries.remove(&key);
}

/// The thread: sleeps until the earliest entry is due, then wakes its driver.
fn run() {
    let (_, wake) = timers();
    let mut map = lock();
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        while let Some(entry) = map.entries.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let key = *entry.key();
            due.push((key, entry.remove()));
        }
        if !due.is_empty() {
            // Not under the lock: a driver schedules its next wake-up under its client's lock,
            // and waking it takes that lock (in the client's runtime, where its last handle
            // may be dropped).
            drop(map);
            for (key, Entry { client, runtime }) in due {
                super::driver::wake(key, client, &runtime);
            }
            map = lock();
            continue;
        }
        let next = map.entries.keys().next().map(|key| key.0);
        map = match next {
            None => wake.wait(map).unwrap_or_else(|e| e.into_inner()),
            Some(at) => {
                wake.wait_timeout(map, at.saturating_duration_since(now))
                    .unwrap_or_else(|e| e.into_inner())
                    .0
            }
        };
    }
}
