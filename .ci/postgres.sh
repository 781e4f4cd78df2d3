# Sourced by .ci/run: starts a private PostgreSQL server for tgwire-session's fleet tests
# (PostgresStorage, issue 18), exports TGWIRE_TEST_POSTGRES for them, and stops the server when
# the sourcing shell exits (an EXIT trap: chain it if you add another). Installs the server from
# Debian's packages when missing. The server listens on a Unix socket in a fresh temporary
# directory only (no TCP port), so it cannot collide with anything else on the machine.
#
# By hand: `source .ci/postgres.sh` in a shell, then `cargo test -p tgwire-session --features postgres`.

tgwire_pg_bin() {
    local dir
    # Must not fail when nothing matches (.ci/run runs under `set -euo pipefail`).
    for dir in /usr/lib/postgresql/*/bin; do
        if [ -x "$dir/initdb" ]; then echo "$dir"; fi
    done | sort -V | tail -n 1
}

TGWIRE_PG_BIN=$(tgwire_pg_bin)
if [ -z "$TGWIRE_PG_BIN" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing PostgreSQL from the distribution's packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    TGWIRE_PG_BIN=$(tgwire_pg_bin)
fi
if [ -z "$TGWIRE_PG_BIN" ]; then
    echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2
    exit 1
fi

# initdb refuses to run as root: as root, the cluster belongs to the `postgres` user the package made.
tgwire_as_pg() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

TGWIRE_PG_DIR=$(mktemp -d /tmp/tgwire-pg.XXXXXX)
if [ "$(id -u)" = 0 ]; then chown postgres: "$TGWIRE_PG_DIR"; fi

tgwire_pg_stop() {
    tgwire_as_pg "$TGWIRE_PG_BIN/pg_ctl" -D "$TGWIRE_PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$TGWIRE_PG_DIR"
}
trap tgwire_pg_stop EXIT

tgwire_as_pg "$TGWIRE_PG_BIN/initdb" -D "$TGWIRE_PG_DIR/data" -U postgres --auth=trust -E UTF8 \
    --no-locale >"$TGWIRE_PG_DIR/initdb.log" 2>&1 || { cat "$TGWIRE_PG_DIR/initdb.log" >&2; exit 1; }
tgwire_as_pg "$TGWIRE_PG_BIN/pg_ctl" -D "$TGWIRE_PG_DIR/data" -l "$TGWIRE_PG_DIR/server.log" -w -t 120 \
    -o "-c listen_addresses='' -k $TGWIRE_PG_DIR -c max_connections=300" start >/dev/null \
    || { cat "$TGWIRE_PG_DIR/server.log" >&2; exit 1; }
export TGWIRE_TEST_POSTGRES="host=$TGWIRE_PG_DIR user=postgres dbname=postgres"
echo "PostgreSQL $("$TGWIRE_PG_BIN/postgres" --version | awk '{print $3}') on $TGWIRE_PG_DIR (TGWIRE_TEST_POSTGRES)"
