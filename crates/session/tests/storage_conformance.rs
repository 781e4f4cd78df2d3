//! The storage conformance suite (`support/conformance.rs`) run against every storage: memory,
//! SQLite, a JSON file written outside the crate through `Persist` (`support/json_file.rs`, and with
//! the `serde` feature `support/serde_file.rs`), and
//! PostgreSQL (with the `postgres` feature and a server in `TGWIRE_TEST_POSTGRES`;
//! `.ci/run` starts one, and under `CI=true` a missing server fails the tests).

mod support;

mod memory {
    use crate::support::MemoryBackend;
    crate::conformance_suite!(Some(MemoryBackend));
}

mod sqlite {
    use crate::support::SqliteBackend;
    crate::conformance_suite!(Some(SqliteBackend::new()));
}

mod json_file {
    use crate::support::JsonFileBackend;
    crate::conformance_suite!(Some(JsonFileBackend::new()));
}

#[cfg(feature = "serde")]
mod serde_file {
    use crate::support::SerdeFileBackend;
    crate::conformance_suite!(Some(SerdeFileBackend::new()));
}

#[cfg(feature = "postgres")]
mod postgres {
    use crate::support::PostgresBackend;
    crate::conformance_suite!(PostgresBackend::new("conformance"));
}

/// CI builds the workspace with the `postgres` feature (the client's tests enable it); a build
/// without it would silently drop the PostgreSQL half of the suite.
#[cfg(not(feature = "postgres"))]
#[test]
fn postgres_suite_is_compiled_in_under_ci() {
    assert!(
        !std::env::var("CI").is_ok_and(|v| v == "true" || v == "1"),
        "tgwire-session was built without its `postgres` feature under CI: \
         the PostgreSQL storage tests did not run"
    );
    eprintln!("SKIPPED: the PostgreSQL conformance suite needs `--features postgres`");
}
