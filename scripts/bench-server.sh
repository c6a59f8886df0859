#!/usr/bin/env bash
# Throughput of `mlf server` against `mlflow server` (SQLite backend) on this machine, with wrk.
#
#   scripts/bench-server.sh
#   DURATION=15s THREADS=2 CONNECTIONS=32 RUNS=10000 MLFLOW_WORKERS=4 scripts/bench-server.sh
#   KEEP_LOGS=/tmp/bench-logs scripts/bench-server.sh     # keep the servers' logs
#   PARTS=search scripts/bench-server.sh                   # only one part (log-batch, search)
#
# Two endpoints, each against both servers, one server at a time, on 127.0.0.1 only:
#   1. POST /api/2.0/mlflow/runs/log-batch: 10 metrics (m0..m9) per request into one run, each
#      request a new step (per-thread counter), fresh stores.
#   2. POST /api/2.0/mlflow/runs/search over an experiment of $RUNS finished runs (10 params,
#      10 metrics x 1 step, 5 tags): mlf's store from the hidden `mlf generate store`, MLflow's
#      filled through its SqlAlchemyStore (create_run / log_batch / update_run_info) with the
#      same generator, seed and names, so both stores hold the same values and the same page is
#      expected from both. Filter "metrics.rmse < 0.5 and params.optimizer = 'adam'", order
#      "metrics.r2 DESC", max_results 100 (about 1,700 runs match: a full page). Before wrk, 12
#      sequential requests give a one-client median latency.
# Each wrk run is preceded by an unreported 3 s warm-up, then the script waits until the server
# stops using CPU (requests wrk abandoned are still being served). Checks: no non-2xx or socket
# errors, metric rows written = requests x 10 (roughly: requests in flight when wrk stops still
# land), equal, non-empty search pages with the same runs in the same order. Exits 1 if a check
# fails. MLflow runs with --workers 4, its default; mlf serves with its defaults.
#
# Needs wrk (apt), sqlite3, curl, jq and a virtualenv with mlflow ($MLFLOW_VENV, default
# /tmp/mfvenv; made with pip if missing). Servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
RUNS=${RUNS:-10000}
MLFLOW_WORKERS=${MLFLOW_WORKERS:-4} # mlflow server's default (uvicorn workers)
MLFLOW_VENV=${MLFLOW_VENV:-/tmp/mfvenv}
PARTS=${PARTS:-log-batch search}
WARMUP=3s
TIMEOUT=30s

# --- prerequisites -------------------------------------------------------------------------
for tool in wrk sqlite3 curl jq; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk sqlite3 curl jq >/dev/null
    break
  fi
done
if [[ ! -x "$MLFLOW_VENV/bin/mlflow" ]]; then
  echo "== making $MLFLOW_VENV with mlflow 3.17.2"
  python3 -m venv "$MLFLOW_VENV"
  "$MLFLOW_VENV/bin/python" -m pip install --quiet --disable-pip-version-check mlflow==3.17.2
fi
# MLF=/path/to/mlf measures that binary instead of building this checkout (before/after runs).
if [[ -z "${MLF:-}" ]]; then
  echo "== cargo build --release"
  cargo build --release --locked -q
  MLF="$PWD/target/release/mlf"
fi
PY="$MLFLOW_VENV/bin/python"

work=$(mktemp -d)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  done
  sleep 1
  for pid in "${pids[@]}"; do
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  if [[ -n "${KEEP_LOGS:-}" ]]; then mkdir -p "$KEEP_LOGS" && cp "$work"/*.log "$KEEP_LOGS"/ 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
unset MLF_RUN_ID MLFLOW_RUN_ID MLFLOW_TRACKING_URI MLF_SERVER_TOKEN
export NO_COLOR=1 MLFLOW_ENABLE_TELEMETRY=false DO_NOT_TRACK=true

echo "   mlf $("$MLF" --version 2>/dev/null | head -1), mlflow $("$MLFLOW_VENV/bin/mlflow" --version 2>/dev/null | awk '{print $NF}'), $(nproc) cores, $(wrk --version 2>&1 | head -1 | awk '{print $1, $2}')"

# --- servers ---------------------------------------------------------------------------------
free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_ready() { # BASE LOG PID
  local i
  for i in $(seq 1 300); do
    if curl -fsS -o /dev/null "$1/health" 2>/dev/null; then return 0; fi
    if ! kill -0 "$3" 2>/dev/null; then echo "server exited:"; cat "$2"; exit 1; fi
    sleep 0.2
  done
  echo "server at $1 did not become ready:"; cat "$2"; exit 1
}

BASE= SERVER_PID= SERVER_LOG=
start_mlf() { # STORE_DIR
  local log="$work/mlf-server-$RANDOM.log"
  SERVER_LOG=$log
  MLF_STORE="$1" setsid "$MLF" server --port 0 2>"$log" >/dev/null &
  SERVER_PID=$!
  pids+=("$SERVER_PID")
  local i
  for i in $(seq 1 100); do
    BASE=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$log" | head -1 || true)
    [[ -n "$BASE" ]] && break
    sleep 0.1
  done
  [[ -n "$BASE" ]] || { echo "mlf server did not start:"; cat "$log"; exit 1; }
  wait_ready "$BASE" "$log" "$SERVER_PID"
}

start_mlflow() { # DB_FILE
  local log="$work/mlflow-server-$RANDOM.log" port
  port=$(free_port)
  SERVER_LOG=$log
  # In its own process group (setsid execs bash, which execs mlflow: $! is the group), run
  # from $work so that nothing lands in the repository.
  setsid bash -c 'cd "$0" && exec "$@"' "$work" "$MLFLOW_VENV/bin/mlflow" server \
    --backend-store-uri "sqlite:///$1" --default-artifact-root "$work/mlflow-artifacts" \
    --artifacts-destination "$work/mlflow-artifacts" --host 127.0.0.1 --port "$port" \
    --workers "$MLFLOW_WORKERS" >"$log" 2>&1 &
  SERVER_PID=$!
  pids+=("$SERVER_PID")
  BASE="http://127.0.0.1:$port"
  wait_ready "$BASE" "$log" "$SERVER_PID"
}

stop_server() {
  kill -TERM -- "-$SERVER_PID" 2>/dev/null || kill -TERM "$SERVER_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 50); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

api() { # METHOD ENDPOINT [JSON]
  if [[ $# -ge 3 ]]; then
    curl -fsS -X "$1" -H 'Content-Type: application/json' --data "$3" "$BASE/api/2.0/mlflow/$2"
  else
    curl -fsS -X "$1" "$BASE/api/2.0/mlflow/$2"
  fi
}

# --- wrk scripts -----------------------------------------------------------------------------
# Shared: count non-2xx responses per thread, print one machine-readable line at the end.
cat >"$work/common.lua" <<'LUA'
local threads = {}
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
non2xx = 0
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 3 then io.stderr:write("non-2xx " .. status .. ": " .. string.sub(body or "", 1, 300) .. "\n") end
  end
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, bad, e.connect, e.read, e.write, e.timeout))
end
LUA

# log-batch: args RUN_ID [STEP_BASE]; each request a new step: thread id x 1e9 + counter.
cat >"$work/log-batch.lua" <<'LUA'
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
local counter = 0
function init(args)
  run_id = args[1]
  step_base = tonumber(args[2] or "0")
  math.randomseed(os.time() + (tid or 0))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
function request()
  counter = counter + 1
  local step = step_base + (tid or 0) * 1000000000 + counter
  local ts = os.time() * 1000
  local parts = {}
  for k = 0, 9 do
    parts[#parts + 1] = string.format('{"key":"m%d","value":%.6f,"timestamp":%d,"step":%d}', k, math.random(), ts, step)
  end
  local body = '{"run_id":"' .. run_id .. '","metrics":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format(nil, nil, nil, body)
end
LUA

# search: the body is read from $BENCH_BODY.
cat >"$work/search.lua" <<'LUA'
dofile(os.getenv("BENCH_LUA_DIR") .. "/common.lua")
function init(args)
  local f = assert(io.open(os.getenv("BENCH_BODY")))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
LUA
export BENCH_LUA_DIR="$work"

RESULT=
run_wrk() { # DURATION LUA URL [ARGS...]
  local duration=$1 lua=$2 url=$3; shift 3
  local out
  out=$(wrk -t "$THREADS" -c "$CONNECTIONS" -d "$duration" --timeout "$TIMEOUT" -s "$lua" "$url" -- "$@" 2>"$work/wrk.err") \
    || { echo "wrk failed:"; cat "$work/wrk.err"; echo "$out"; exit 1; }
  RESULT=$(grep '^RESULT ' <<<"$out")
  if [[ -s "$work/wrk.err" ]]; then
    echo "   wrk ($duration) saw $(field non2xx) non-2xx responses, for instance:"
    grep -m1 '^non-2xx' "$work/wrk.err" | cut -c1-120 | sed 's/^/     /'
    echo "   server log, last errors:"
    grep -iE 'error|exception|locked|timeout' "$SERVER_LOG" | grep -v '^ *$' | tail -6 | cut -c1-300 | sed 's/^/     /' || true
    : >"$work/wrk.err"
  fi
}
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$RESULT"; }

results="$work/results.tsv"
: >"$results"
record() { # ENDPOINT SERVER
  local req dur p50 p99 bad sock rps
  req=$(field requests); dur=$(field duration_us); p50=$(field p50_us); p99=$(field p99_us)
  bad=$(field non2xx)
  sock=$(( $(field connect) + $(field read) + $(field write) + $(field timeout) ))
  rps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.1f", r / (d / 1e6) }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$rps" "$p50" "$p99" "$bad" "$sock" "$req" >>"$results"
  printf '   %-8s %8s req/s  p50 %7.1f ms  p90 %7.1f ms  p99 %7.1f ms  max %7.1f ms  requests %d  non-2xx %d  socket errors %d\n' \
    "$2" "$rps" "$(awk -v v="$p50" 'BEGIN{print v/1000}')" "$(awk -v v="$(field p90_us)" 'BEGIN{print v/1000}')" \
    "$(awk -v v="$p99" 'BEGIN{print v/1000}')" "$(awk -v v="$(field max_us)" 'BEGIN{print v/1000}')" "$req" "$bad" "$sock"
  if (( req == 0 )); then
    echo "   INVALID: $2 completed no request in $DURATION"
    INVALID=1
  fi
  if (( bad > 0 || sock > 0 )); then
    echo "   INVALID: $2 had $bad non-2xx responses and $sock socket errors"
    INVALID=1
  fi
}
INVALID=0

# Rows in the metrics table once requests still in flight when wrk stopped have landed.
settled_count() { # DB
  local prev=-1 n i
  for i in $(seq 1 30); do
    n=$(sqlite3 -cmd '.timeout 60000' "$1" 'select count(*) from metrics')
    [[ "$n" == "$prev" ]] && break
    prev=$n
    sleep 1
  done
  echo "$n"
}
# Waits until the server's process group stops using CPU (requests abandoned by wrk at the end of
# a warm-up are still being served; they must not eat into the measured run).
group_ticks() {
  local f total=0 rest
  local -a a
  for f in /proc/[0-9]*/stat; do
    rest=$(cat "$f" 2>/dev/null) || continue
    rest=${rest##*) }
    read -r -a a <<<"$rest"
    # after "comm)": state ppid pgrp ... utime is field 14 overall, index 11 here
    [[ "${a[2]}" == "$SERVER_PID" ]] && total=$((total + a[11] + a[12]))
  done
  echo "$total"
}
wait_idle() {
  local prev now i
  prev=$(group_ticks)
  for i in $(seq 1 120); do
    sleep 0.5
    now=$(group_ticks)
    (( now - prev <= 3 )) && return 0
    prev=$now
  done
  echo "   (server still busy after 60 s)"
}
# Other work on the machine skews the figures: show the load before each measurement.
loadavg() { echo "   load average before the run: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"; }
# Sequential latency, one client (a new connection each time): median of N requests, and how
# many were not 200.
sequential() { # N ENDPOINT BODYFILE
  local i
  for i in $(seq 1 "$1"); do
    curl -sS -o /dev/null -w '%{time_total} %{http_code}\n' -X POST -H 'Content-Type: application/json' \
      --data @"$3" "$BASE/api/2.0/mlflow/$2" || echo "0 000"
  done | sort -n | awk '{ t[NR] = $1; if ($2 != 200) bad++ }
    END { printf "%.1f ms (%d requests, %d not 200)", t[int((NR + 1) / 2)] * 1000, NR, bad }'
}

# --- 1. log-batch ----------------------------------------------------------------------------
bench_log_batch() { # SERVER DBFILE
  local server=$1 db=$2 exp run before after req
  exp=$(api POST experiments/create "{\"name\":\"bench-log-batch\"}" | jq -r .experiment_id)
  run=$(api POST runs/create "{\"experiment_id\":\"$exp\",\"run_name\":\"log-batch\",\"start_time\":$(date +%s%3N)}" | jq -r .run.info.run_id)
  [[ -n "$run" && "$run" != null ]] || { echo "could not create a run on $server"; exit 1; }
  run_wrk "$WARMUP" "$work/log-batch.lua" "$BASE/api/2.0/mlflow/runs/log-batch" "$run" 0
  wait_idle
  before=$(settled_count "$db")
  loadavg
  run_wrk "$DURATION" "$work/log-batch.lua" "$BASE/api/2.0/mlflow/runs/log-batch" "$run" 100000000000
  after=$(settled_count "$db")
  record log-batch "$server"
  req=$(field requests)
  echo "   metric rows written during the run: $((after - before)) (wrk completed requests x 10 = $((req * 10)); difference $((after - before - req * 10)))"
  local latest
  latest=$(api GET "runs/get?run_id=$run" | jq '[.run.data.metrics[]?] | length')
  echo "   latest metrics on the run: $latest (expect 10)"
  if (( after - before < req * 10 )); then echo "   INVALID: fewer rows than acknowledged requests x 10"; INVALID=1; fi
}

if [[ " $PARTS " == *" log-batch "* ]]; then
  echo
  echo "== 1. POST runs/log-batch, 10 metrics per request (wrk -t$THREADS -c$CONNECTIONS -d$DURATION)"
  mkdir -p "$work/mlf-lb"
  start_mlf "$work/mlf-lb/.mlf"
  bench_log_batch mlf "$work/mlf-lb/.mlf/mlf.db"
  stop_server

  mkdir -p "$work/mlflow-lb"
  start_mlflow "$work/mlflow-lb/mlflow.db"
  bench_log_batch mlflow "$work/mlflow-lb/mlflow.db"
  stop_server
fi

# --- 2. search over RUNS runs ----------------------------------------------------------------
make_search_stores() {
  echo
  echo "== 2. POST runs/search over $RUNS runs"
  SECONDS=0
  MLF_STORE="$work/mlf-search/.mlf" "$MLF" -q generate store --runs "$RUNS" --params 10 --metrics 10 --steps 1 --tags 5 --seed 42
  echo "   mlf generate store: ${SECONDS} s"

  SECONDS=0
  mkdir -p "$work/mlflow-search"
  "$PY" - "$work/mlflow-search/mlflow.db" "$work/mlflow-artifacts" "$RUNS" <<'PY'
# The same generator as src/store/synthetic.rs (xorshift64*, seed 42, same call order), written
# through MLflow's SqlAlchemyStore: create_run, log_batch, update_run_info for each run.
import logging, math, sys, time
logging.disable(logging.WARNING)
from mlflow.entities import Metric, Param, RunStatus, RunTag
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

db, art, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
PARAMS, METRICS, STEPS, TAGS = 10, 10, 1, 5
M = (1 << 64) - 1
state = 42

def nxt():
    global state
    state ^= state >> 12
    state ^= (state << 25) & M
    state ^= state >> 27
    return (((state * 0x2545F4914F6CDD1D) & M) >> 11) / float(1 << 53)

metric_names = [(["rmse", "r2", "mae", "loss", "acc"] + [f"m{i}" for i in range(5, METRICS)])[i] for i in range(METRICS)]
param_names = [(["alpha", "l1_ratio", "optimizer"] + [f"p{i}" for i in range(3, PARAMS)])[i] for i in range(PARAMS)]
store = SqlAlchemyStore(f"sqlite:///{db}", art)
exp = store.create_experiment("synthetic")
start = int(time.time() * 1000) - runs * 60_000
for i in range(runs):
    t0 = start + i * 60_000
    name = f"bench-{i}"
    params = []
    for k, key in enumerate(param_names):
        if k == 0:
            value = "%.1f" % (math.floor(nxt() * 10.0) / 10.0)
        elif k == 2:
            value = ["adam", "sgd", "lbfgs"][int(nxt() * 3.0) % 3]
        else:
            value = str(int(nxt() * 100.0))
        params.append(Param(key, value))
    tags = [RunTag(f"t{t}", f"v{int(nxt() * 5.0)}") for t in range(TAGS)]
    metrics = []
    for key in metric_names:
        target = nxt()
        for s in range(STEPS):
            progress = (s + 1) / STEPS
            value = target * progress + (1.0 - progress) * nxt()
            metrics.append(Metric(key, value, t0 + s * 100, s))
    run = store.create_run(exp, "bench", t0, tags, name)
    store.log_batch(run.info.run_id, metrics, params, [])
    store.update_run_info(run.info.run_id, RunStatus.FINISHED, t0 + 30_000, None)
PY
  echo "   mlflow store via SqlAlchemyStore: ${SECONDS} s"
}

filter="metrics.rmse < 0.5 and params.optimizer = 'adam'"
order="metrics.r2 DESC"
bench_search() { # SERVER
  local exp
  exp=$(api GET "experiments/get-by-name?experiment_name=synthetic" | jq -r .experiment.experiment_id)
  jq -nc --arg e "$exp" --arg f "$filter" --arg o "$order" \
    '{experiment_ids: [$e], filter: $f, max_results: 100, order_by: [$o]}' >"$work/search-$1.json"
  api POST runs/search "$(cat "$work/search-$1.json")" |
    jq -r '.runs[] | .info.run_name + " " + ((.data.metrics[] | select(.key == "r2") | .value) | tostring)' >"$work/page-$1.txt"
  echo "   $1: experiment $exp, page of $(wc -l <"$work/page-$1.txt") runs"
  export BENCH_BODY="$work/search-$1.json"
  # Sequential requests first: they also load each mlflow worker's lazily imported modules one
  # request at a time (concurrent first requests can race, see the summary notes).
  echo "   $1: one client, median of 12 sequential requests: $(sequential 12 runs/search "$work/search-$1.json")"
  run_wrk "$WARMUP" "$work/search.lua" "$BASE/api/2.0/mlflow/runs/search"
  wait_idle
  loadavg
  run_wrk "$DURATION" "$work/search.lua" "$BASE/api/2.0/mlflow/runs/search"
  record search "$1"
}

if [[ " $PARTS " == *" search "* ]]; then
  make_search_stores
  echo "   body: {\"experiment_ids\":[ID],\"filter\":\"$filter\",\"max_results\":100,\"order_by\":[\"$order\"]}"
  start_mlf "$work/mlf-search/.mlf"
  bench_search mlf
  stop_server
  start_mlflow "$work/mlflow-search/mlflow.db"
  bench_search mlflow
  stop_server

  n_mlf=$(wc -l <"$work/page-mlf.txt"); n_mlflow=$(wc -l <"$work/page-mlflow.txt")
  if (( n_mlf == 0 || n_mlf != n_mlflow )); then
    echo "   INVALID: pages of $n_mlf (mlf) and $n_mlflow (mlflow) runs"; INVALID=1
  elif cmp -s "$work/page-mlf.txt" "$work/page-mlflow.txt"; then
    echo "   both pages: the same $n_mlf runs in the same order with the same r2 values ($(head -1 "$work/page-mlf.txt") first)"
  elif cmp -s <(cut -d' ' -f1 "$work/page-mlf.txt") <(cut -d' ' -f1 "$work/page-mlflow.txt"); then
    echo "   both pages: the same $n_mlf runs in the same order (r2 printed differently)"
  else
    echo "   pages of $n_mlf runs each, but with different runs or order:"
    diff <(cut -d' ' -f1 "$work/page-mlf.txt") <(cut -d' ' -f1 "$work/page-mlflow.txt") | head -10 || true
  fi
fi

# --- summary ---------------------------------------------------------------------------------
echo
echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout $TIMEOUT (after a $WARMUP warm-up); mlflow server --workers $MLFLOW_WORKERS (uvicorn), SQLite; $(nproc) cores"
echo
echo "| endpoint | server | req/s | p50 | p99 | errors (non-2xx / socket) | mlf/mlflow req/s |"
echo "|---|---|---:|---:|---:|---:|---:|"
awk -F'\t' '
  { rps[$1 "/" $2] = $3; rows[NR] = $0 }
  END {
    for (i = 1; i <= NR; i++) {
      split(rows[i], f, "\t")
      ratio = "—"
      if (f[2] == "mlf" && rps[f[1] "/mlflow"] > 0) ratio = sprintf("%.1f×", f[3] / rps[f[1] "/mlflow"])
      printf "| %s | %s | %.1f | %.2f ms | %.2f ms | %d / %d | %s |\n", f[1], f[2], f[3], f[4] / 1000, f[5] / 1000, f[6], f[7], ratio
    }
  }' "$results"
if (( INVALID )); then
  echo
  echo "INVALID: some checks failed (see above)"
  exit 1
fi
