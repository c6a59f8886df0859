#!/usr/bin/env bash
# The CLI in remote mode, with hyperfine, on a release build: the same commands against a local
# store, against `mlf server` and against `mlflow server` (SQLite backend), all on this machine.
#
#   scripts/bench-remote.sh
#   RUNS=500 scripts/bench-remote.sh
#
# Each server's store is filled with $RUNS runs (5 params, 5 metrics of 10 steps) through the
# CLI itself in remote mode (`mlf run start`, `mlf log batch`, `mlf run end`), which is timed.
# Then medians of: `mlf log metric k 1.0 --run ID` (a run lookup and a log-batch request),
# `mlf runs show ID`, `mlf runs list` (every run: one search page), and a filtered, ordered
# `mlf runs list --limit 20`. For scale: the mlflow client's own
# `MlflowClient().log_metric(...)` in a fresh Python process against `mlf server`.
#
# Needs hyperfine (apt) and the virtualenv target/e2e-venv with mlflow (made by
# scripts/e2e-python-env.sh when missing). Servers are stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-200}

if ! command -v hyperfine >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine
fi
[[ -x target/e2e-venv/bin/mlflow ]] || scripts/e2e-python-env.sh
cargo build --release --locked -q
MLF="$PWD/target/release/mlf"
VENV="$PWD/target/e2e-venv"

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
export NO_COLOR=1 MLF_CACHE_DIR="$work/cache"
unset MLF_STORE MLF_RUN_ID MLFLOW_RUN_ID MLF_TRACKING_URI MLFLOW_TRACKING_URI RUST_BACKTRACE

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_up() {
  for _ in $(seq 1 240); do curl -sf "$1/health" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "server at $1 did not start" >&2; exit 1
}

bench() {
  local label=$1; shift
  hyperfine --style basic --export-json "$work/h.json" "$@" >/dev/null
  python3 - "$work/h.json" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"  {sys.argv[2]:<48} median {r['median'] * 1000:8.1f} ms   (mean {r['mean'] * 1000:.1f} ± {r['stddev'] * 1000:.1f} ms, {len(r['times'])} runs)")
PY
}

# mlf server on its own store
mkdir -p "$work/mlf-server" "$work/local"
"$MLF" -q init "$work/mlf-server" >/dev/null
port=$(free_port)
setsid "$MLF" --store "$work/mlf-server/.mlf" server --port "$port" >"$work/mlf-server.log" 2>&1 &
pids+=($!)
MLF_URL="http://127.0.0.1:$port"
wait_up "$MLF_URL"

# mlflow server on SQLite, artifacts through its proxy
mkdir -p "$work/mlflow"
port=$(free_port)
(cd "$work/mlflow" && exec setsid "$VENV/bin/mlflow" server --backend-store-uri "sqlite:///$work/mlflow/db.sqlite" \
  --artifacts-destination "$work/mlflow/artifacts" --host 127.0.0.1 --port "$port") >"$work/mlflow.log" 2>&1 &
pids+=($!)
MLFLOW_URL="http://127.0.0.1:$port"
wait_up "$MLFLOW_URL"

metrics="$work/metrics.csv"
{
  echo "step,loss,acc,rmse,mae,r2"
  for s in $(seq 0 9); do echo "$s,0.$s,0.5$s,1.$s,0.2$s,0.9$s"; done
} >"$metrics"

"$MLF" -q init "$work/local" >/dev/null
for target in local "$MLF_URL" "$MLFLOW_URL"; do
  if [[ $target == local ]]; then
    name="local store"; export MLF_STORE="$work/local/.mlf"; unset MLF_TRACKING_URI
  else
    name=$([[ $target == "$MLF_URL" ]] && echo "mlf server" || echo "mlflow server")
    unset MLF_STORE; export MLF_TRACKING_URI=$target
  fi
  echo "== $name"
  SECONDS=0
  for i in $(seq 1 "$RUNS"); do
    id=$("$MLF" -q run start -x bench -p lr=0.$((i % 10)) -p depth=$((i % 7)) -p opt=adam -p seed=$i -p batch=32)
    "$MLF" -q log batch --file "$metrics" --run "$id"
    "$MLF" -q run end --run "$id"
  done
  echo "  filled with $RUNS runs: $((RUNS * 3)) commands in ${SECONDS} s"
  run=$("$MLF" -q run start -x bench -n target)
  bench "mlf log metric k 1.0 --run ID" -N --warmup 5 --runs 100 "$MLF log metric k 1.0 --run $run"
  bench "mlf runs show ID" -N --warmup 3 --runs 50 --output=null "$MLF runs show $run"
  bench "mlf runs list ($((RUNS + 1)) runs)" -N --warmup 3 --runs 20 --output=null "$MLF runs list"
  bench "mlf runs list -f … --order-by … --limit 20" -N --warmup 3 --runs 30 --output=null \
    "$MLF runs list -f \"params.opt = 'adam' and metrics.acc > 0.5\" --order-by 'metrics.r2 DESC' --limit 20"
  "$MLF" -q run end --run "$run"
done

echo "== for scale: the mlflow client, one log_metric in a fresh process, against mlf server"
unset MLF_TRACKING_URI
run=$(MLF_TRACKING_URI=$MLF_URL "$MLF" -q run start -x bench -n py-target)
bench "python: MlflowClient().log_metric" --warmup 1 --runs 10 \
  "MLFLOW_TRACKING_URI=$MLF_URL $VENV/bin/python -c \"from mlflow import MlflowClient; MlflowClient().log_metric('$run', 'k', 1.0)\""
