//! One thread for the whole process that wakes parked update drivers at their deadlines.
//!
//! An idle client's update driver has nothing to do but wait: for an input (a push, a
//! reconnect) or for a deadline (a gap's wait, a retry, fifteen minutes without updates, the
//! pool's idle-connection sweep). Waiting in a task of its own cost every client a tokio task
//! and a timer (~380 bytes, see `driver`); here a parked driver is one entry in a shared
//! queue ordered by deadline (48 bytes an entry), and a thread sleeps until the earliest
//! entry, then starts that client's driver on the client's runtime.
//!
//! A thread rather than a task: clients of several runtimes (tests run one per test) share
//! it, and it must outlive any one of them.
//!
//! A driver has at most one entry: moving its wake-up replaces it. (A heap without removal
//! would pile up stale entries, gap after gap, for a driver whose deadline keeps moving
//! earlier.)
//!
//! The queue is a sorted ring buffer rather than a B-tree: deadlines are mostly set later than
//! every other (fifteen minutes without updates) or sooner (a gap's half second), so an insert
//! lands near one end and shifts little, and taking the due ones pops the front. A B-tree fed
//! ever later keys splits its nodes in half: ~90 bytes an entry, against 48 here.

use std::collections::VecDeque;
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
    /// Sorted by key.
    entries: VecDeque<(Key, Entry)>,
    next_id: u64,
    /// The thread was started (it runs for the rest of the process).
    started: bool,
}

fn timers() -> &'static (Mutex<Timers>, Condvar) {
    static TIMERS: OnceLock<(Mutex<Timers>, Condvar)> = OnceLock::new();
    TIMERS.get_or_init(Default::default)
}

impl Timers {
    fn remove(&mut self, key: &Key) {
        if let Ok(at) = self.entries.binary_search_by(|(k, _)| k.cmp(key)) {
            self.entries.remove(at);
            self.shrink();
        }
    }

    /// Gives memory back once most clients are gone (a ring buffer only ever grows).
    fn shrink(&mut self) {
        if self.entries.capacity() > 64 && self.entries.len() < self.entries.capacity() / 4 {
            self.entries.shrink_to(self.entries.len() * 2);
        }
    }

    fn insert(&mut self, key: Key, entry: Entry) {
        // Keys are unique (the id), so the search never finds it.
        let at = self
            .entries
            .binary_search_by(|(k, _)| k.cmp(&key))
            .unwrap_or_else(|at| at);
        self.entries.insert(at, (key, entry));
    }

    fn earliest(&self) -> Option<Instant> {
        self.entries.front().map(|(key, _)| key.0)
    }
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
        map.remove(&old);
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
    let earliest = map.earliest().is_none_or(|first| at < first);
    map.insert(key, Entry { client, runtime });
    drop(map);
    if earliest {
        timers().1.notify_one();
    }
    key
}

/// Cancels a wake-up (nothing happens if it went off already).
pub(crate) fn cancel(key: Key) {
    lock().remove(&key);
}

/// The thread: sleeps until the earliest entry is due, then wakes its driver.
fn run() {
    let (_, wake) = timers();
    let mut map = lock();
    loop {
        let now = Instant::now();
        let mut due = Vec::new();
        while map.earliest().is_some_and(|at| at <= now) {
            due.extend(map.entries.pop_front());
        }
        map.shrink();
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
        let next = map.earliest();
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn entry() -> Entry {
        static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
        let runtime = RUNTIME.get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
        });
        Entry {
            client: Weak::new(),
            runtime: runtime.handle().clone(),
        }
    }

    #[test]
    fn the_queue_stays_in_deadline_order_through_inserts_and_removals() {
        let base = Instant::now();
        let at = |ms: u64| base + Duration::from_millis(ms);
        let mut timers = Timers::default();
        // Later than all, sooner than all, in between, and a tie broken by the id.
        let keys = [
            (at(900), 0),
            (at(500), 1),
            (at(10), 2),
            (at(500), 3),
            (at(700), 4),
        ];
        for key in keys {
            timers.insert(key, entry());
        }
        timers.remove(&(at(500), 1));
        timers.remove(&(at(500), 1)); // gone already: nothing happens
        let order: Vec<u64> = timers.entries.iter().map(|(k, _)| k.1).collect();
        assert_eq!(order, [2, 3, 4, 0]);
        assert_eq!(timers.earliest(), Some(at(10)));
    }

    #[test]
    fn the_queue_gives_memory_back_when_clients_go() {
        let base = Instant::now();
        let mut timers = Timers::default();
        for id in 0..1000 {
            timers.insert((base + Duration::from_millis(id), id), entry());
        }
        let full = timers.entries.capacity();
        for id in 0..990 {
            timers.remove(&(base + Duration::from_millis(id), id));
        }
        assert_eq!(timers.entries.len(), 10);
        assert!(
            timers.entries.capacity() < full / 4,
            "{}",
            timers.entries.capacity()
        );
    }
}
