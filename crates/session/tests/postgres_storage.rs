//! What only `PostgresStorage` does, against the real test server (`TGWIRE_TEST_POSTGRES`, started
//! by `.ci/run`): two processes racing for one session, take-over after `kill -9` of the holder,
//! `kill -9` during writes, fencing of a holder that lost its lock, 200 sessions through one pool,
//! schema versioning and refusal of impossible rows. What every storage does is in
//! `storage_conformance.rs`.
#![cfg(feature = "postgres")]

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rand::Rng;
use support::crash::{consistent_generation, generation};
use support::{full_changes, peer, postgres_url, raw_sql, PostgresBackend};
use tgwire_session::{Changes, PeerKind, PostgresPool, SessionError, Storage, UpdateState};

const CHILD_SCHEMA: &str = "TGWIRE_PG_TEST_SCHEMA";
const CHILD_GO_AT: &str = "TGWIRE_PG_TEST_GO_AT";
const CHILD_WRITER: &str = "TGWIRE_PG_TEST_WRITER";

/// Generous bound for anything "eventually" on a loaded machine; the measured times are printed.
const EVENTUALLY: Duration = Duration::from_secs(60);

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// Re-runs this test binary as a child process running only the ignored test `name`.
fn spawn_child(name: &str, envs: &[(&str, String)]) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command
        .args([
            "--exact",
            name,
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (key, value) in envs {
        command.env(key, value);
    }
    command.spawn().unwrap()
}

/// Forwards every stdout line of `child` as `(tag, line)`.
fn forward_lines(child: &mut Child, tag: usize, tx: mpsc::Sender<(usize, String)>) {
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            // The harness prints "test <name> ... " without a newline before the child's output.
            let line = match line.split_once(" ... ") {
                Some((head, rest)) if head.starts_with("test ") => rest.to_owned(),
                _ => line,
            };
            if tx.send((tag, line)).is_err() {
                break;
            }
        }
    });
}

fn kill_9(child: &mut Child) {
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "child ended on its own: {status}");
    }
    #[cfg(not(unix))]
    let _ = status;
}

/// Not a test on its own: a process that wants session "race". It connects, waits for the common
/// start time, then tries to open the session every 50 ms, saying `LOST <error>` after the first
/// refusal; once it has the session it says `WON <pid> <pts>` and keeps writing until killed.
#[test]
#[ignore = "child process of `two_processes_race_for_one_session`"]
fn racer_child() {
    let (Ok(schema), Ok(go_at)) = (std::env::var(CHILD_SCHEMA), std::env::var(CHILD_GO_AT)) else {
        return;
    };
    let url = postgres_url().unwrap();
    let pool = PostgresPool::builder(url).schema(schema).connect().unwrap();
    let go_at: u64 = go_at.parse().unwrap();
    std::thread::sleep(Duration::from_millis(go_at.saturating_sub(now_millis())));
    let mut said_lost = false;
    let storage = loop {
        match pool.open("race") {
            Ok(storage) => break storage,
            Err(e) if e.is_in_use() => {
                if !said_lost {
                    println!("LOST {e:?}");
                    said_lost = true;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("racer: {e}"),
        }
    };
    let found = storage.update_state().map_or(0, |s| s.pts);
    println!("WON {} {found}", std::process::id());
    let mut n = found;
    loop {
        n += 1;
        let mut changes = Changes::new();
        changes.set_update_state(UpdateState {
            pts: n,
            ..Default::default()
        });
        storage.apply(changes).unwrap();
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn two_processes_race_for_one_session() {
    let Some(backend) = PostgresBackend::new("race") else {
        return;
    };
    let go_at = now_millis() + 3000;
    let envs = [
        (CHILD_SCHEMA, backend.schema.clone()),
        (CHILD_GO_AT, go_at.to_string()),
    ];
    let (tx, rx) = mpsc::channel();
    let mut children: Vec<Child> = (0..2)
        .map(|i| {
            let mut child = spawn_child("racer_child", &envs);
            forward_lines(&mut child, i, tx.clone());
            child
        })
        .collect();

    // Exactly one wins; the other is refused with the typed error naming the winner.
    let mut winner = None;
    let mut loser = None;
    let deadline = Instant::now() + EVENTUALLY;
    while winner.is_none() || loser.is_none() {
        let (who, line) = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("racers did not report in time");
        if let Some(rest) = line.strip_prefix("WON ") {
            assert!(winner.is_none(), "two winners: {line}");
            let pid: u32 = rest.split(' ').next().unwrap().parse().unwrap();
            winner = Some((who, pid));
        } else if let Some(error) = line.strip_prefix("LOST ") {
            assert!(loser.is_none(), "both lost");
            assert!(
                error.starts_with("SessionLocked"),
                "untyped refusal: {error}"
            );
            loser = Some((who, error.to_owned()));
        }
    }
    let (winner, winner_pid) = winner.unwrap();
    let (loser, refusal) = loser.unwrap();
    assert_ne!(winner, loser);
    assert!(
        refusal.contains(&format!("pid {winner_pid}")),
        "the refusal does not name the holder (pid {winner_pid}): {refusal}"
    );
    eprintln!("race: child {winner} won; child {loser} got {refusal}");

    // Let the winner write a while, then kill -9 it: the loser takes over, finding its writes.
    std::thread::sleep(Duration::from_millis(500));
    let killed_at = Instant::now();
    kill_9(&mut children[winner]);
    let (who, line) = loop {
        let (who, line) = rx
            .recv_timeout(EVENTUALLY.saturating_sub(killed_at.elapsed()))
            .expect("the loser did not take over after the winner was killed");
        if line.starts_with("WON ") {
            break (who, line);
        }
    };
    let took = killed_at.elapsed();
    assert_eq!(who, loser);
    let found: i32 = line.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(
        found > 0,
        "the new owner did not see the old owner's writes"
    );
    eprintln!(
        "race: after kill -9 of the winner, the loser took over in {took:?} (found pts {found})"
    );
    // The lease (30 s by default) bounds a vanished machine; a killed process is noticed at once.
    assert!(took < Duration::from_secs(30), "take-over took {took:?}");

    kill_9(&mut children[loser]);
}

/// Not a test on its own: writes generations to session "crash" until killed.
#[test]
#[ignore = "child process of `kill_9_during_writes_never_corrupts`"]
fn pg_writer_child() {
    let Ok(schema) = std::env::var(CHILD_WRITER) else {
        return;
    };
    let pool = PostgresPool::builder(postgres_url().unwrap())
        .schema(schema)
        .connect()
        .unwrap();
    let storage = open_eventually(&pool, "crash");
    let mut n = storage.update_state().map_or(0, |s| s.pts);
    println!("WRITING");
    loop {
        n += 1;
        storage.apply(generation(n)).unwrap();
    }
}

/// Opens `name`, waiting while a killed holder's lock is being released.
fn open_eventually(pool: &PostgresPool, name: &str) -> tgwire_session::PostgresStorage {
    let started = Instant::now();
    loop {
        match pool.open(name) {
            Ok(storage) => return storage,
            Err(e) if e.is_in_use() && started.elapsed() < EVENTUALLY => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("cannot open {name}: {e}"),
        }
    }
}

#[test]
fn kill_9_during_writes_never_corrupts() {
    let Some(backend) = PostgresBackend::new("crash") else {
        return;
    };
    const ITERATIONS: usize = 40;
    let mut rng = rand::thread_rng();
    let (mut last, mut advanced) = (0, 0);
    for iteration in 0..ITERATIONS {
        let (tx, rx) = mpsc::channel();
        let mut child = spawn_child("pg_writer_child", &[(CHILD_WRITER, backend.schema.clone())]);
        forward_lines(&mut child, 0, tx);
        let started = Instant::now();
        while rx
            .recv_timeout(EVENTUALLY.saturating_sub(started.elapsed()))
            .expect("writer did not start")
            .1
            != "WRITING"
        {}
        std::thread::sleep(Duration::from_millis(rng.gen_range(1..=150)));
        kill_9(&mut child);

        let storage = open_eventually(&backend.pool, "crash");
        let n = consistent_generation(&storage);
        assert!(
            n >= last,
            "iteration {iteration}: generation went back from {last} to {n}"
        );
        if n > last {
            advanced += 1;
        }
        last = n;
        storage.close().unwrap();
    }
    eprintln!("{ITERATIONS} kills, the writer got further in {advanced}, final generation {last}");
    assert!(
        last > 0,
        "the writer never committed anything: the test did not test"
    );
}

#[test]
fn two_hundred_sessions_through_one_pool() {
    let Some(backend) = PostgresBackend::new("fleet") else {
        return;
    };
    const SESSIONS: usize = 200;
    const ROUNDS: i32 = 5;
    let pool = PostgresPool::builder(backend.url.clone())
        .schema(backend.schema.clone())
        .max_connections(8)
        .holder_name("fleet test")
        .connect()
        .unwrap();
    let storages: Vec<_> = (0..SESSIONS)
        .map(|i| pool.open(&format!("bot{i}")).unwrap())
        .collect();

    // The server sees one advisory lock per session, all on the pool's one lock connection.
    let locks = raw_sql(
        &backend.url,
        "SELECT count(*), count(DISTINCT l.pid) FROM pg_locks l \
         JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'tgwire lock: fleet test'",
    );
    let (held, holders): (i64, i64) = (locks[0].get(0), locks[0].get(1));
    assert_eq!((held, holders), (SESSIONS as i64, 1));

    let started = Instant::now();
    std::thread::scope(|s| {
        for (i, storage) in storages.iter().enumerate() {
            s.spawn(move || {
                for round in 1..=ROUNDS {
                    let mut changes = Changes::new();
                    changes
                        .set_update_state(UpdateState {
                            pts: round,
                            qts: i as i32,
                            ..Default::default()
                        })
                        .upsert_peers((0..20).map(|p| {
                            let mut cached = peer(PeerKind::User, 1 + p, Some(i64::from(round)));
                            cached.usernames = vec![format!("bot{i}_peer{p}")];
                            cached
                        }));
                    storage.apply(changes).unwrap();
                }
            });
        }
    });
    let took = started.elapsed();
    let connections: i64 = raw_sql(
        &backend.url,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tgwire: fleet test'",
    )[0]
    .get(0);
    eprintln!(
        "{SESSIONS} sessions x {ROUNDS} applies from {SESSIONS} threads in {took:?} \
         over {connections} pooled connections and one lock connection"
    );
    assert!(
        (1..=8).contains(&connections),
        "{connections} pooled connections"
    );
    drop(storages);

    // Everything landed, in every session, as seen through a different pool.
    let other = PostgresPool::builder(backend.url.clone())
        .schema(backend.schema.clone())
        .connect()
        .unwrap();
    let mut names = other.session_names().unwrap();
    names.sort();
    assert_eq!(names.len(), SESSIONS);
    for i in 0..SESSIONS {
        let storage = open_eventually(&other, &format!("bot{i}"));
        let state = storage.update_state().unwrap();
        assert_eq!((state.pts, state.qts), (ROUNDS, i as i32));
        assert_eq!(storage.peer_count(), 20);
        assert_eq!(
            storage
                .peer_by_username(&format!("bot{i}_peer7"))
                .unwrap()
                .peer
                .access_hash(),
            Some(i64::from(ROUNDS))
        );
        assert!(storage
            .peer_by_username(&format!("bot{}_peer7", (i + 1) % SESSIONS))
            .is_none());
    }
}

#[test]
fn a_holder_that_lost_its_lock_is_fenced_off() {
    let Some(backend) = PostgresBackend::new("fence") else {
        return;
    };
    // A long lease: the old pool's watchdog (which runs every third of it and would re-take the
    // session) stays out of the way while the new owner moves in.
    let old_pool = PostgresPool::builder(backend.url.clone())
        .schema(backend.schema.clone())
        .holder_name("fence old")
        .lease(Duration::from_secs(3600))
        .connect()
        .unwrap();
    let old = old_pool.open("fenced").unwrap();
    old.apply(full_changes()).unwrap();

    // The old holder's lock connection dies (a network cut, say) while the process lives on.
    raw_sql(
        &backend.url,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'tgwire lock: fence old'",
    );
    let other = PostgresPool::builder(backend.url.clone())
        .schema(backend.schema.clone())
        .holder_name("the new owner")
        .connect()
        .unwrap();
    let new = open_eventually(&other, "fenced");
    let mut changes = Changes::new();
    changes.set_home_dc(5);
    new.apply(changes).unwrap();

    // The old holder's next write is refused, typed, and changes nothing anywhere.
    let mut stale = Changes::new();
    stale
        .set_home_dc(1)
        .upsert_peer(peer(PeerKind::User, 4242, Some(1)));
    match old.apply(stale) {
        Err(SessionError::SessionLocked { session, holder }) => {
            assert_eq!(session, "fenced");
            assert_eq!(holder, "the new owner");
        }
        other => panic!("a fenced-off write was not refused: {other:?}"),
    }
    assert_eq!(old.home_dc(), Some(2));
    assert_eq!(old.peer(4242), None);
    drop(new);
    let reread = open_eventually(&other, "fenced");
    assert_eq!(reread.home_dc(), Some(5));
    assert_eq!(reread.peer(4242), None);
    assert_eq!(reread.peer_count(), 7);
}

#[test]
fn closing_releases_at_once_and_deleting_needs_the_session_free() {
    let Some(backend) = PostgresBackend::new("close") else {
        return;
    };
    let other = PostgresPool::builder(backend.url.clone())
        .schema(backend.schema.clone())
        .connect()
        .unwrap();
    let storage = backend.pool.open("s").unwrap();
    storage.apply(full_changes()).unwrap();
    assert!(other.open("s").unwrap_err().is_in_use());
    assert!(other.delete_session("s").unwrap_err().is_in_use());
    storage.close().unwrap();
    // close() waited for the unlock: another pool gets it on the first try.
    let reopened = other.open("s").unwrap();
    assert_eq!(reopened.peer_count(), 7);
    drop(reopened);
    open_eventually(&other, "s").close().unwrap();
    other.delete_session("s").unwrap();
    assert!(other.session_names().unwrap().is_empty());
    assert_eq!(other.open("s").unwrap().peer_count(), 0);
}

#[test]
fn a_newer_schema_is_refused_and_left_alone() {
    let Some(backend) = PostgresBackend::new("newer") else {
        return;
    };
    drop(backend.pool.open("s").unwrap());
    raw_sql(
        &backend.url,
        &format!(
            "UPDATE \"{}\".schema_version SET version = 99",
            backend.schema
        ),
    );
    let error = PostgresPool::builder(backend.url.clone())
        .schema(backend.schema.clone())
        .connect()
        .unwrap_err();
    assert!(
        matches!(error, SessionError::NewerSchema { found: 99, supported } if supported < 99),
        "{error:?}"
    );
    let version = raw_sql(
        &backend.url,
        &format!("SELECT version FROM \"{}\".schema_version", backend.schema),
    );
    assert_eq!(version[0].get::<_, i32>(0), 99);
}

#[test]
fn impossible_rows_are_reported_as_corrupt() {
    let Some(backend) = PostgresBackend::new("corrupt") else {
        return;
    };
    let schema = &backend.schema;
    for (n, bad) in [
        "INSERT INTO {s}.peer VALUES ({id}, 5, 99, 1, false, '', NULL, NULL)", // unknown kind
        "INSERT INTO {s}.peer VALUES ({id}, -5, 1, 1, false, '', NULL, NULL)", // user kind, chat id
        "INSERT INTO {s}.auth_key VALUES ({id}, 2, '\\x0102')",                // short key
        "INSERT INTO {s}.dc_option VALUES ({id}, 0, 2, 'nonsense', NULL, 443, 0)",
        "INSERT INTO {s}.dc_option VALUES ({id}, 0, 2, NULL, NULL, 70000, 0)",
        "INSERT INTO {s}.dc_option VALUES ({id}, 0, 2, NULL, NULL, 443, 64)",
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("bad{n}");
        drop(backend.pool.open(&name).unwrap());
        let id: i32 = raw_sql(
            &backend.url,
            &format!("SELECT id FROM \"{schema}\".session WHERE name = '{name}'"),
        )[0]
        .get(0);
        raw_sql(
            &backend.url,
            &bad.replace("{s}", &format!("\"{schema}\""))
                .replace("{id}", &id.to_string()),
        );
        let error = open_eventually_err(&backend.pool, &name);
        assert!(
            matches!(error, SessionError::Corrupt { .. }),
            "{bad}: {error:?}"
        );
    }
}

/// Opens `name` expecting an error other than in-use (retrying while a dropped storage's lock is
/// still being released).
fn open_eventually_err(pool: &PostgresPool, name: &str) -> SessionError {
    let started = Instant::now();
    loop {
        match pool.open(name) {
            Ok(_) => panic!("{name} opened"),
            Err(e) if e.is_in_use() && started.elapsed() < EVENTUALLY => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => return e,
        }
    }
}

#[test]
fn bad_names_are_refused() {
    let Some(url) = postgres_url() else {
        return;
    };
    for schema in [
        "",
        "Upper",
        "1digit",
        "has-dash",
        "quo\"te",
        &"x".repeat(64),
    ] {
        let error = PostgresPool::builder(url.clone())
            .schema(schema)
            .connect()
            .unwrap_err();
        assert!(
            matches!(error, SessionError::InvalidName { .. }),
            "{schema:?}: {error:?}"
        );
    }
    let backend = PostgresBackend::new("names").unwrap();
    for name in ["", "nul\0", &"n".repeat(201)] {
        let error = backend.pool.open(name).unwrap_err();
        assert!(
            matches!(error, SessionError::InvalidName { .. }),
            "{name:?}: {error:?}"
        );
    }
    // Anything else is a fine name, quotes and all.
    let odd = "it's a \"name\" with spaces; DROP TABLE x; --";
    backend
        .pool
        .open(odd)
        .unwrap()
        .apply(full_changes())
        .unwrap();
    assert!(backend
        .pool
        .session_names()
        .unwrap()
        .contains(&odd.to_string()));
}

#[test]
fn a_lost_lock_connection_is_reestablished_with_its_locks() {
    let Some(backend) = PostgresBackend::new("relock") else {
        return;
    };
    // The shortest lease: the watchdog looks every second.
    let pool = PostgresPool::builder(backend.url.clone())
        .schema(backend.schema.clone())
        .holder_name("relock holder")
        .lease(Duration::from_secs(3))
        .connect()
        .unwrap();
    let storage = pool.open("kept").unwrap();
    let held_by_lock_connection = || -> (i64, i64) {
        let row = &raw_sql(
            &backend.url,
            "SELECT count(*), min(a.pid)::bigint FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted \
             AND a.application_name = 'tgwire lock: relock holder'",
        )[0];
        (row.get(0), row.get::<_, Option<i64>>(1).unwrap_or(0))
    };
    let (count, first_pid) = held_by_lock_connection();
    assert_eq!(count, 1);

    raw_sql(
        &backend.url,
        &format!("SELECT pg_terminate_backend({first_pid})"),
    );
    let started = Instant::now();
    loop {
        let (count, pid) = held_by_lock_connection();
        if count == 1 && pid != first_pid {
            break;
        }
        assert!(
            started.elapsed() < EVENTUALLY,
            "the lock was not taken again"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    eprintln!(
        "lock connection re-established with its lock in {:?}",
        started.elapsed()
    );
    // Still ours: others are refused, and our writes go through.
    let other = PostgresPool::builder(backend.url.clone())
        .schema(backend.schema.clone())
        .connect()
        .unwrap();
    assert!(other.open("kept").unwrap_err().is_in_use());
    storage.apply(full_changes()).unwrap();
}

#[test]
fn a_role_that_cannot_create_schemas_uses_one_made_for_it() {
    let Some(backend) = PostgresBackend::new("limited") else {
        return;
    };
    drop(backend.pool.open("made_by_admin").unwrap());
    let schema = &backend.schema;
    raw_sql(
        &backend.url,
        &format!(
            "DO $$ BEGIN CREATE ROLE tgwire_limited LOGIN; \
             EXCEPTION WHEN duplicate_object THEN NULL; END $$; \
             GRANT USAGE ON SCHEMA \"{schema}\" TO tgwire_limited; \
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"{schema}\" TO tgwire_limited; \
             GRANT USAGE ON ALL SEQUENCES IN SCHEMA \"{schema}\" TO tgwire_limited;"
        ),
    );
    let limited_url = backend.url.replace("user=postgres", "user=tgwire_limited");
    assert_ne!(
        limited_url, backend.url,
        "the test URL names its user as user=postgres"
    );
    let pool = PostgresPool::builder(limited_url)
        .schema(schema.clone())
        .connect()
        .unwrap();
    let storage = pool.open("made_by_app").unwrap();
    storage.apply(full_changes()).unwrap();
    drop(storage);
    assert_eq!(pool.open("made_by_app").unwrap().peer_count(), 7);
}

/// The reason for the private runtime (see the `postgres` module docs): opening, writing and
/// dropping the last handle directly on a thread of the application's tokio runtime — where the
/// synchronous `postgres` crate would panic — blocks that thread for a moment and nothing more.
#[test]
fn works_and_drops_on_an_async_runtime_thread() {
    let Some(backend) = PostgresBackend::new("async") else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (url, schema) = (backend.url.clone(), backend.schema.clone());
    let peers = runtime.block_on(async move {
        let pool = PostgresPool::builder(url).schema(schema).connect().unwrap();
        let storage = pool.open("on_async_thread").unwrap();
        storage.apply(full_changes()).unwrap();
        drop(pool);
        let count = storage.peer_count();
        drop(storage); // the last handle: shuts the private runtime down from inside ours
        tokio::task::yield_now().await;
        count
    });
    assert_eq!(peers, 7);
    drop(runtime);
    assert_eq!(
        open_eventually(&backend.pool, "on_async_thread").peer_count(),
        7
    );
}
