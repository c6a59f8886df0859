#!/usr/bin/env bash
# Search on a MySQL (MariaDB) store of many runs: the whole `mlf runs list` command
# (hyperfine), as scripts/bench-pg-search.sh measures it on PostgreSQL.
#
#   scripts/bench-mysql-search.sh [RUNS]   # default 100000 runs: 10 params, 10 latest metrics, 5 tags
#
# Starts a throwaway MariaDB server (Debian's mariadb-install-db and mariadbd) on a loopback
# port in a temporary directory, lets mlf create its schema, fills it with SQL, then measures
#   mlf runs list -f "metrics.m1 > 0.9 and params.p1 = 'v3'" --order-by metrics.m2 -n 100
#   mlf runs list -f "metrics.m3 > 0.99" -n 100
#   mlf runs list -n 100
# MLF_BIN picks the binary (default: a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100000}

need=()
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
if [ -z "${MLF_BIN:-}" ]; then
  cargo build --release --locked -q
  MLF_BIN="$PWD/target/release/mlf"
fi

work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mariadb-install-db --no-defaults --datadir="$work/data" --user=root \
  --auth-root-authentication-method=normal --skip-test-db >/dev/null
PATH="$PATH:/usr/sbin" mariadbd --no-defaults --datadir="$work/data" --socket="$work/sock" \
  --pid-file="$work/pid" --log-error="$work/log" --port="$port" --bind-address=127.0.0.1 \
  --user=root --skip-log-bin --innodb-buffer-pool-size=512M >/dev/null 2>&1 &
server=$!
trap 'kill -9 $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
sql() { mariadb --no-defaults -S "$work/sock" -uroot "$@"; }
for _ in $(seq 100); do sql -e "SELECT 1" >/dev/null 2>&1 && break; sleep 0.1; done
sql -e "CREATE DATABASE bench; CREATE USER 'mlf'@'%' IDENTIFIED BY 'mlf'; GRANT ALL ON *.* TO 'mlf'@'%'"

export MLF_STORE="mysql://mlf:mlf@127.0.0.1:$port/bench" MLF_ARTIFACT_ROOT="$work/mlruns"
export NO_COLOR=1 COLUMNS=200
unset MLF_RUN_ID MLFLOW_RUN_ID MLF_TRACKING_URI MLFLOW_TRACKING_URI
"$MLF_BIN" experiments create big >/dev/null
echo "filling $runs runs..."
sql bench <<SQL
INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, lifecycle_stage)
  SELECT md5(seq), CONCAT('run-', seq), 1, 'u', 'FINISHED', 1700000000000 + seq * 1000, 'active'
  FROM seq_1_to_$runs;
INSERT INTO params (run_id, \`key\`, value)
  SELECT r.id, CONCAT('p', k.seq), CONCAT('v', (r.id * 7 + k.seq) % 10) FROM runs r, seq_1_to_10 k;
INSERT INTO tags (run_id, \`key\`, value)
  SELECT r.id, CONCAT('t', k.seq), CONCAT('x', (r.id + k.seq) % 5) FROM runs r, seq_1_to_5 k;
INSERT INTO latest_metrics (run_id, \`key\`, step, timestamp, value, is_nan)
  SELECT r.id, CONCAT('m', k.seq), 99, 0, ((r.id * 31 + k.seq * 17) % 1000) / 1000.0, 0
  FROM runs r, seq_1_to_10 k;
ANALYZE TABLE runs, params, tags, latest_metrics;
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
