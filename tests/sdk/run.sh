#!/usr/bin/env bash
# End-to-end suite driven by the official Huawei Cloud Python SDK.
#
#   tests/sdk/run.sh [pytest args...]
#
# Env:
#   UCSD_BIN          server binary (default <repo>/target/debug/ucsd); this script never builds it
#   UCS_SDK_VENV      virtualenv to create/use (default <repo>/target/sdk-venv)
#   UCS_SDK_BACKENDS  comma-separated store backends to run against (default sqlite,postgres)
#   UCS_SDK_PG_HOST / UCS_SDK_PG_PORT / UCS_SDK_PG_USER   Postgres for the postgres backend
#                     (default 127.0.0.1 / 5432 / postgres; PGPASSWORD is honoured)
# Exit code: pytest's.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${UCS_SDK_VENV:-$root/target/sdk-venv}"
bin="${UCSD_BIN:-$root/target/debug/ucsd}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "tests/sdk: creating virtualenv $venv" >&2
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv"
fi

# Reinstall only when requirements.txt (or the interpreter) changed.
stamp="$venv/.ucs-sdk-requirements.sha256"
want="$( { cat "$here/requirements.txt"; "$venv/bin/python" -VV; } | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
    echo "tests/sdk: installing requirements into $venv" >&2
    PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "$venv/bin/python" -m pip install -q -r "$here/requirements.txt"
    echo "$want" >"$stamp"
fi

if [[ ! -x "$bin" ]]; then
    echo "tests/sdk: server binary not found or not executable: $bin" >&2
    echo "tests/sdk: build it first (cargo build -p server) or set UCSD_BIN" >&2
    exit 2
fi
UCSD_BIN="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
export UCSD_BIN
export UCS_SDK_BACKENDS="${UCS_SDK_BACKENDS:-sqlite,postgres}"

# Run the whole directory unless the caller named test files/node ids themselves.
targets=("$here")
for arg in "$@"; do
    case "$arg" in
        -*) ;;
        *) if [[ -e "${arg%%::*}" ]]; then targets=(); break; fi ;;
    esac
done

cd "$root"
set +e
"$venv/bin/python" -m pytest -q "${targets[@]}" "$@"
rc=$?
set -e
exit "$rc"
