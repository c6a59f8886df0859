#!/usr/bin/env bash
# Search on a PostgreSQL store of many runs: the time PostgreSQL takes for mlf's search
# statements, and the whole `mlf runs list` command (hyperfine).
#
#   scripts/bench-pg-search.sh [RUNS]   # default 100000 runs: 10 params, 10 latest metrics, 5 tags
#
# Starts a throwaway PostgreSQL cluster (PostgreSQL 15's initdb/pg_ctl, as the `postgres` user
# when run as root) on a loopback port in a temporary directory, lets mlf create its schema,
# fills it with SQL, then measures
#   mlf runs list -f "metrics.m1 > 0.9 and params.p1 = 'v3'" --order-by metrics.m2 -n 100
#   mlf runs list -f "metrics.m3 > 0.99" -n 100
#   mlf runs list -n 100
# MLF_BIN picks the binary (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100000}

if ! command -v hyperfine >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine
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
psql() { "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres "$@"; }
psql -c "CREATE DATABASE bench" postgres

export MLF_STORE="postgresql://postgres@127.0.0.1:$port/bench" MLF_ARTIFACT_ROOT="$work/mlruns"
export NO_COLOR=1 COLUMNS=200
unset MLF_RUN_ID MLFLOW_RUN_ID MLF_TRACKING_URI MLFLOW_TRACKING_URI
"$MLF_BIN" experiments create big >/dev/null
echo "filling $runs runs..."
psql bench <<SQL
INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, lifecycle_stage)
  SELECT md5(i::text), 'run-' || i, 1, 'u', 'FINISHED', 1700000000000 + i * 1000, 'active'
  FROM generate_series(1, $runs) i;
INSERT INTO params (run_id, key, value)
  SELECT r.id, 'p' || k, 'v' || ((r.id * 7 + k) % 10) FROM runs r, generate_series(1, 10) k;
INSERT INTO tags (run_id, key, value)
  SELECT r.id, 't' || k, 'x' || ((r.id + k) % 5) FROM runs r, generate_series(1, 5) k;
INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan)
  SELECT r.id, 'm' || k, 99, 0, ((r.id * 31 + k * 17) % 1000) / 1000.0, false
  FROM runs r, generate_series(1, 10) k;
ANALYZE;
SQL

bench() {
  local label=$1; shift
  hyperfine --style basic --warmup 2 --export-json "$work/h.json" "$@" >/dev/null
  python3 - "$work/h.json" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:<58} median {r['median'] * 1000:8.1f} ms   (mean {r['mean'] * 1000:.1f} ± {r['stddev'] * 1000:.1f} ms)")
PY
}
bench "metric range + param equality, order by metric" \
  "$MLF_BIN runs list -x big -f \"metrics.m1 > 0.9 and params.p1 = 'v3'\" --order-by metrics.m2 -n 100"
bench "metric range (1%)" "$MLF_BIN runs list -x big -f 'metrics.m3 > 0.99' -n 100"
bench "newest 100" "$MLF_BIN runs list -x big -n 100"
bench "connect and list experiments (the floor)" "$MLF_BIN experiments list"
