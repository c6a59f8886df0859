#!/usr/bin/env bash
# `mlf server` on PostgreSQL against `mlf server` on a store directory (SQLite), with wrk.
#
#   scripts/bench-pg-server.sh
#   DURATION=15s THREADS=2 CONNECTIONS=32 RUNS=100000 scripts/bench-pg-server.sh
#   PARTS=search scripts/bench-pg-server.sh     # only one part (log-batch, search)
#
# 1. POST runs/log-batch, 10 metrics per request into one run, each request a new step, through
#    `mlf server --store postgresql://…` and `mlf server --store DIR`, then through two
#    replicas on one database (a wrk with half the connections against each); then checks
#    that the metric rows stored are at least the acknowledged requests x 10.
# 2. POST runs/search through `mlf server` on PostgreSQL over an experiment of $RUNS runs
#    (10 params, 10 latest metrics, 5 tags, filled with SQL as scripts/bench-pg-search.sh
#    does): a filter on a metric and a param ordered by a metric, 100 a page; the median of
#    12 sequential requests, then wrk.
# Starts a throwaway PostgreSQL cluster (initdb/pg_ctl, as the `postgres` user when run as
# root) on a loopback port in a temporary directory; everything is stopped and removed on
# exit. MLF picks the binary (default: a release build of this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
RUNS=${RUNS:-100000}
PARTS=${PARTS:-log-batch search}
WARMUP=3s

for tool in wrk curl jq; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk curl jq >/dev/null
    break
  fi
done
if [[ -z "${MLF:-}" ]]; then
  cargo build --release --locked -q
  MLF="$PWD/target/release/mlf"
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)

work=$(mktemp -d)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$bin/initdb" -D "$work/data" -U postgres --locale=C -A trust >/dev/null
as_pg "$bin/pg_ctl" -D "$work/data" -w -l "$work/pg.log" \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $work -c shared_buffers=256MB" start >/dev/null
SERVER_PID=
REPLICA_PID=
cleanup() {
  [[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null || true
  [[ -n "$REPLICA_PID" ]] && kill "$REPLICA_PID" 2>/dev/null || true
  as_pg "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
psql() { "$bin/psql" -q -h 127.0.0.1 -p "$port" -U postgres "$@"; }
unset MLF_RUN_ID MLFLOW_RUN_ID MLF_TRACKING_URI MLFLOW_TRACKING_URI MLF_SERVER_TOKEN
export NO_COLOR=1 MLF_ARTIFACT_ROOT="$work/mlruns"

BASE=
start_server() { # STORE
  local log="$work/server-$RANDOM.log"
  (cd "$work" && exec "$MLF" server --port 0 --store "$1" 2>"$log" >/dev/null) &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    BASE=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)
    [[ -n "$BASE" ]] && break
    sleep 0.1
  done
  [[ -n "$BASE" ]] || { echo "mlf server did not start:"; cat "$log"; exit 1; }
}
stop_server() { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }
api() { curl -fsS -X POST -H 'Content-Type: application/json' --data "$2" "$BASE/api/2.0/mlflow/$1"; }

cat >"$work/log-batch.lua" <<'LUA'
local threads = {}
function setup(thread) thread:set("tid", #threads); table.insert(threads, thread) end
local counter = 0
non2xx = 0
function init(args)
  run_id = args[1]
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  counter = counter + 1
  local step = (tid or 0) * 1000000000 + counter + tonumber(os.getenv("STEP_BASE") or "0")
  local parts = {}
  for k = 0, 9 do
    parts[#parts + 1] = string.format('{"key":"m%d","value":%.6f,"timestamp":1,"step":%d}', k, math.random(), step)
  end
  return wrk.format(nil, nil, nil, '{"run_id":"' .. run_id .. '","metrics":[' .. table.concat(parts, ",") .. ']}')
end
function response(status) if status ~= 200 then non2xx = non2xx + 1 end end
function done(summary, latency)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), bad))
end
LUA
cat >"$work/search.lua" <<'LUA'
local threads = {}
function setup(thread) table.insert(threads, thread) end
non2xx = 0
function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODY"))); wrk.body = f:read("*a"); f:close()
  wrk.method = "POST"; wrk.headers["Content-Type"] = "application/json"
end
function response(status) if status ~= 200 then non2xx = non2xx + 1 end end
function done(summary, latency)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), bad))
end
LUA

report() { # LABEL WRK_OUTPUT → sets REQS
  local line req dur p50 p99 bad
  line=$(grep '^RESULT ' <<<"$2")
  read -r _ req dur p50 p99 bad <<<"$line"
  REQS=$req
  printf '   %-34s %8.1f req/s  p50 %6.2f ms  p99 %6.2f ms  requests %d  non-2xx %d\n' "$1" \
    "$(awk -v r="$req" -v d="$dur" 'BEGIN { print r / (d / 1e6) }')" \
    "$(awk -v v="$p50" 'BEGIN { print v / 1000 }')" "$(awk -v v="$p99" 'BEGIN { print v / 1000 }')" "$req" "$bad"
  if (( bad > 0 )); then echo "   INVALID: $bad non-2xx answers"; exit 1; fi
}

rows_pg() { psql -tA -c "SELECT count(*) FROM metrics" "$1"; }

if [[ " $PARTS " == *" log-batch "* ]]; then
  echo "== 1. POST runs/log-batch, 10 metrics per request (wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(nproc) cores)"
  for store in postgres sqlite; do
    if [[ $store == postgres ]]; then
      psql -c "CREATE DATABASE lb" postgres
      start_server "postgresql://postgres@127.0.0.1:$port/lb"
    else
      start_server "$work/lb-store"
    fi
    run=$(api runs/create '{"experiment_id":"0","run_name":"lb","start_time":1}' | jq -r .run.info.run_id)
    STEP_BASE=0 wrk -t "$THREADS" -c "$CONNECTIONS" -d "$WARMUP" -s "$work/log-batch.lua" "$BASE/api/2.0/mlflow/runs/log-batch" -- "$run" >/dev/null
    sleep 2
    out=$(STEP_BASE=500000000 wrk -t "$THREADS" -c "$CONNECTIONS" -d "$DURATION" --timeout 30s -s "$work/log-batch.lua" "$BASE/api/2.0/mlflow/runs/log-batch" -- "$run")
    report "mlf server on $store" "$out"
    sleep 2
    stop_server
    if [[ $store == postgres ]]; then
      rows=$(rows_pg lb)
    else
      rows=$(sqlite3 "$work/lb-store/mlf.db" 'select count(*) from metrics' 2>/dev/null || echo "?")
    fi
    echo "   metric rows stored (warm-up included): $rows; acknowledged in the measured run x 10: $((REQS * 10))"
  done
  # Two replicas on one database, each driven by its own wrk with half the connections.
  half=$(( CONNECTIONS / 2 ))
  psql -c "CREATE DATABASE lb2" postgres
  start_server "postgresql://postgres@127.0.0.1:$port/lb2"; B1=$BASE; REPLICA_PID=$SERVER_PID
  start_server "postgresql://postgres@127.0.0.1:$port/lb2"; B2=$BASE
  run=$(api runs/create '{"experiment_id":"0","run_name":"lb2","start_time":1}' | jq -r .run.info.run_id)
  for b in "$B1" "$B2"; do
    STEP_BASE=0 wrk -t 1 -c "$half" -d "$WARMUP" -s "$work/log-batch.lua" "$b/api/2.0/mlflow/runs/log-batch" -- "$run" >/dev/null &
  done
  wait_wrk() { while pgrep -x wrk >/dev/null; do sleep 0.2; done; }
  wait_wrk; sleep 2
  STEP_BASE=600000000 wrk -t 1 -c "$half" -d "$DURATION" --timeout 30s -s "$work/log-batch.lua" "$B1/api/2.0/mlflow/runs/log-batch" -- "$run" >"$work/r1.out" &
  STEP_BASE=700000000 wrk -t 1 -c "$half" -d "$DURATION" --timeout 30s -s "$work/log-batch.lua" "$B2/api/2.0/mlflow/runs/log-batch" -- "$run" >"$work/r2.out" &
  wait_wrk
  read -r _ q1 d1 _ p1 bad1 <<<"$(grep '^RESULT ' "$work/r1.out")"
  read -r _ q2 d2 _ p2 bad2 <<<"$(grep '^RESULT ' "$work/r2.out")"
  printf '   %-34s %8.1f req/s  p99 %6.2f / %6.2f ms  requests %d  non-2xx %d\n' "two replicas on postgres" \
    "$(awk -v a="$q1" -v b="$q2" -v d="$d1" 'BEGIN { print (a + b) / (d / 1e6) }')" \
    "$(awk -v v="$p1" 'BEGIN { print v / 1000 }')" "$(awk -v v="$p2" 'BEGIN { print v / 1000 }')" \
    "$((q1 + q2))" "$((bad1 + bad2))"
  sleep 2
  stop_server
  kill "$REPLICA_PID" 2>/dev/null || true; wait "$REPLICA_PID" 2>/dev/null || true; REPLICA_PID=
  echo "   metric rows stored (warm-up included): $(rows_pg lb2); acknowledged in the measured runs x 10: $(( (q1 + q2) * 10 ))"
fi

if [[ " $PARTS " == *" search "* ]]; then
  echo "== 2. POST runs/search over $RUNS runs on PostgreSQL"
  psql -c "CREATE DATABASE bench" postgres
  MLF_STORE="postgresql://postgres@127.0.0.1:$port/bench" "$MLF" experiments create big >/dev/null
  psql bench <<SQL
INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, lifecycle_stage)
  SELECT md5(i::text), 'run-' || i, 1, 'u', 'FINISHED', 1700000000000 + i * 1000, 'active'
  FROM generate_series(1, $RUNS) i;
INSERT INTO params (run_id, key, value)
  SELECT r.id, 'p' || k, 'v' || ((r.id * 7 + k) % 10) FROM runs r, generate_series(1, 10) k;
INSERT INTO tags (run_id, key, value)
  SELECT r.id, 't' || k, 'x' || ((r.id + k) % 5) FROM runs r, generate_series(1, 5) k;
INSERT INTO latest_metrics (run_id, key, step, timestamp, value, is_nan)
  SELECT r.id, 'm' || k, 99, 0, ((r.id * 31 + k * 17) % 1000) / 1000.0, false
  FROM runs r, generate_series(1, 10) k;
ANALYZE;
SQL
  start_server "postgresql://postgres@127.0.0.1:$port/bench"
  for case in "metrics.m1 > 0.9 and params.p1 = 'v3'|metrics.m2 DESC" "|"; do
    filter=${case%%|*}; order=${case#*|}
    jq -nc --arg f "$filter" --arg o "$order" \
      '{experiment_ids: ["1"], filter: $f, max_results: 100, order_by: (if $o == "" then [] else [$o] end)}' >"$work/body.json"
    n=$(api runs/search "$(cat "$work/body.json")" | jq '.runs | length')
    median=$(for _ in $(seq 1 12); do
      curl -sS -o /dev/null -w '%{time_total}\n' -X POST -H 'Content-Type: application/json' \
        --data @"$work/body.json" "$BASE/api/2.0/mlflow/runs/search"
    done | sort -n | awk '{ t[NR] = $1 } END { printf "%.1f", t[int((NR + 1) / 2)] * 1000 }')
    echo "   filter \"${filter:-none}\" order \"${order:-newest}\": page of $n runs, one client median $median ms"
    out=$(BENCH_BODY="$work/body.json" wrk -t "$THREADS" -c 8 -d "$DURATION" --timeout 30s -s "$work/search.lua" "$BASE/api/2.0/mlflow/runs/search")
    report "  wrk -c8" "$out"
  done
  stop_server
fi
