//! The client keeps its session in PostgreSQL (`tgwire_session::PostgresStorage`, the fleet
//! storage) like in any other storage: it signs in over one against the test server, a second
//! process-like pool cannot take the session while the client runs, and after the client is gone
//! the session signs in again from the database alone.
//!
//! Needs the test PostgreSQL server in `TGWIRE_TEST_POSTGRES` (`.ci/run` starts one); under
//! `CI=true` a missing server fails the test, elsewhere it is skipped with a note.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use tgwire::Storage;
use tgwire_session::{PostgresPool, PostgresStorage};

fn postgres_url() -> Option<String> {
    match std::env::var("TGWIRE_TEST_POSTGRES") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("TGWIRE_TEST_POSTGRES is not set: under CI the PostgreSQL tests must run")
        }
        _ => {
            eprintln!("SKIPPED: TGWIRE_TEST_POSTGRES is not set (source .ci/postgres.sh)");
            None
        }
    }
}

/// Opens `name`, waiting while a dropped holder's lock is being released.
async fn open_eventually(pool: &PostgresPool, name: &str) -> PostgresStorage {
    let started = Instant::now();
    loop {
        let (p, n) = (pool.clone(), name.to_owned());
        match tokio::task::spawn_blocking(move || p.open(&n))
            .await
            .unwrap()
        {
            Ok(storage) => return storage,
            Err(e) if e.is_in_use() && started.elapsed() < Duration::from_secs(60) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => panic!("cannot open {name}: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_signs_in_over_postgres_and_comes_back_from_it() -> anyhow::Result<()> {
    let Some(url) = postgres_url() else {
        return Ok(());
    };
    let schema = format!("client_test_{}", std::process::id());
    let connect = |holder: &'static str| {
        let (url, schema) = (url.clone(), schema.clone());
        tokio::task::spawn_blocking(move || {
            PostgresPool::builder(url)
                .schema(schema)
                .holder_name(holder)
                .connect()
        })
    };
    let pool = connect("machine a").await??;
    let other_machine = connect("machine b").await??;
    let server = common::start().await;

    let storage: Arc<dyn Storage> = Arc::new(open_eventually(&pool, "alice").await);
    let client = common::builder(&server, 1)
        .session_shared(Arc::clone(&storage))
        .connect()
        .await?;
    let token = client.request_login_code("9996621010").await?;
    let me = client.sign_in(&token, "22222").await?;
    assert_eq!(storage.home_dc(), Some(2), "PHONE_MIGRATE_2 was stored");
    assert_eq!(storage.self_user().map(|u| u.id), Some(me.id()));
    assert!(storage.auth_key(2).is_some());

    // While this client runs, another machine cannot drive the same session.
    let refused = {
        let other = other_machine.clone();
        tokio::task::spawn_blocking(move || other.open("alice").map(|_| ())).await?
    };
    match refused {
        Err(tgwire_session::SessionError::SessionLocked { holder, .. }) => {
            assert_eq!(holder, "machine a")
        }
        other => panic!("expected SessionLocked, got {other:?}"),
    }

    client.disconnect().await;
    drop(client);
    drop(storage);

    // The other machine takes over and is signed in from the database alone.
    let storage: Arc<dyn Storage> = Arc::new(open_eventually(&other_machine, "alice").await);
    assert_eq!(storage.self_user().map(|u| u.id), Some(me.id()));
    let again = common::builder(&server, 1)
        .session_shared(Arc::clone(&storage))
        .connect()
        .await?;
    assert_eq!(again.home_dc(), 2, "home DC came from PostgreSQL");
    assert!(
        again.is_authorized().await?,
        "auth key came from PostgreSQL"
    );
    assert_eq!(again.get_me().await?.id(), me.id());
    again.disconnect().await;
    drop(again);
    drop(storage);

    tokio::task::spawn_blocking(move || {
        let names = other_machine.session_names()?;
        assert_eq!(names, ["alice"]);
        drop(pool);
        other_machine.delete_session("alice")
    })
    .await??;
    Ok(())
}
