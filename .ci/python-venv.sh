#!/usr/bin/env bash
# Creates (once) the Python virtual environment that interop tests use to run the real
# Telethon package, and prints the path of its python on stdout. Idempotent and quiet:
# a second run with everything installed only checks the pinned version and prints the path.
#
#   TGWIRE_VENV   where the venv lives (default: <repo>/target/py-venv)
#
# Exits non-zero (with pip's message on stderr) when the packages cannot be installed, e.g. with
# no network: callers must treat that as a failure, not a reason to skip.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${TGWIRE_VENV:-$repo/target/py-venv}"
# Pinned so the fixtures a test builds are reproducible.
requirements=("telethon==1.45.0" "kurigram==2.2.26")
# A second Pyrogram fork, whose file ids know TDLib's newer file types (18 and up). Both install
# as the `pyrogram` package, so this one goes into its own folder, which only
# tests/telethon/file_types.py puts on its path.
pyrotgfork="pyrotgfork==2.2.24.1"
pyrotgfork_dir="$venv/pyrotgfork"
python="$venv/bin/python"

# A lock keeps two test processes (cargo runs test binaries in parallel) from racing to create
# the same venv.
mkdir -p "$(dirname "$venv")"
exec 9>"$venv.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi

if [ ! -x "$python" ]; then
    python3 -m venv "$venv" >&2
fi

installed() {
    "$python" - "$@" <<'PY' >/dev/null 2>&1
import sys
from importlib.metadata import version
for req in sys.argv[1:]:
    name, want = req.split("==")
    if version(name) != want:
        sys.exit(1)
PY
}

if ! installed "${requirements[@]}"; then
    "$python" -m pip install --quiet --disable-pip-version-check "${requirements[@]}" >&2
    installed "${requirements[@]}" || {
        echo "python-venv.sh: ${requirements[*]} not importable after pip install" >&2
        exit 1
    }
fi

if [ ! -d "$pyrotgfork_dir/pyrotgfork-${pyrotgfork#*==}.dist-info" ]; then
    rm -rf "$pyrotgfork_dir"
    "$python" -m pip install --quiet --disable-pip-version-check --target "$pyrotgfork_dir" \
        "$pyrotgfork" >&2
fi

echo "$python"
