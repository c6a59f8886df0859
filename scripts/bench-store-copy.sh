#!/usr/bin/env bash
# `mlf store copy` of a store directory into PostgreSQL, again (nothing to change), and back
# into a new directory: wall time, rows per second and peak memory of each.
#
#   scripts/bench-store-copy.sh [RUNS]   # default 10000 runs: 10 params, 10 metrics × 100 steps, 5 tags
#
# Fills a store directory with `mlf generate store`, starts a throwaway PostgreSQL cluster
# (PostgreSQL 15's initdb/pg_ctl, as the `postgres` user when run as root) on a loopback port
# in a temporary directory, and times the three copies with GNU time. MLF_BIN picks the binary
# (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10000}

if [ ! -x /usr/bin/time ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time
fi
if [ -z "${MLF_BIN:-}" ]; then
  cargo build --release --locked -q
  MLF_BIN="$PWD/target/release/mlf"
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$bin/initdb" -D "$work/data" -U postgres --locale=C -A trust >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -w -l "$work/log" \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c shared_buffers=256MB" start >/dev/null
trap 'as_pg "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null; rm -rf "$work"' EXIT
"$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres -c "CREATE DATABASE bench" postgres

db="postgresql://postgres@127.0.0.1:$port/bench"
export NO_COLOR=1
unset MLF_STORE MLF_RUN_ID MLFLOW_RUN_ID MLF_TRACKING_URI MLFLOW_TRACKING_URI MLF_ARTIFACT_ROOT
mkdir -p "$work/src" && cd "$work/src"
echo "filling $runs runs..."
"$MLF_BIN" -q generate store --runs "$runs" >/dev/null
rows=$(python3 - <<'PY'
import sqlite3
c = sqlite3.connect(".mlf/mlf.db")
print(sum(c.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in
          ["experiments", "runs", "params", "tags", "metrics", "latest_metrics"]))
PY
)
echo "$rows rows"

timed() {
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  read -r secs kb <"$work/t"
  python3 -c "import sys; s=float(sys.argv[2]); print(f'{sys.argv[1]:<34} {s:7.2f} s  {int(sys.argv[3])/s:10.0f} rows/s  peak RSS {int(sys.argv[4])/1024:6.1f} MB')" \
    "$label" "$secs" "$rows" "$kb"
}
timed "directory -> PostgreSQL" "$MLF_BIN" store copy .mlf "$db" --artifacts-destination "$work/mlruns"
timed "again (nothing to change)" "$MLF_BIN" store copy .mlf "$db"
timed "PostgreSQL -> new directory" "$MLF_BIN" store copy "$db" "$work/back"
