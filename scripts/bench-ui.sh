#!/usr/bin/env bash
# Benchmarks of the web UI's server time on a large store.
#
#   scripts/bench-ui.sh [RUNS] [POINTS]   # default 100000 runs, a 1000000-point metric
#   MLF=target/release/mlf scripts/bench-ui.sh   # an mlf already built
#   STEPS=10 scripts/bench-ui.sh                 # fewer steps per metric: a quicker store
#
# Generates the store with the hidden `mlf generate store` (10 params, 10 metrics x 100 steps,
# 5 tags a run), logs one metric of POINTS points to one run, starts `mlf ui`, and measures
# with curl (median of 30, after 3 warm-ups):
#   - the runs table: the first page of 100, sorted by a metric, with a filter (the full page
#     and the htmx part);
#   - the chart series of the long metric, down-sampled on the server;
# and prints the weight of each page and of the embedded assets (gzipped).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100000}
points=${2:-1000000}

# MLF=path/to/mlf measures that binary instead of building target/release/mlf.
if [ -n "${MLF:-}" ]; then
  MLF=$(realpath "$MLF")
else
  cargo build --release --locked -q
  MLF="$PWD/target/release/mlf"
fi
work=$(mktemp -d)
export MLF_STORE="$work/.mlf" NO_COLOR=1
unset MLF_RUN_ID MLFLOW_RUN_ID
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

echo "== generating $runs runs"
SECONDS=0
"$MLF" -q generate store --runs "$runs" --steps "${STEPS:-100}"
echo "   ${SECONDS} s"
run=$("$MLF" runs list --limit 1 --format csv | tail -n +2 | cut -d, -f1)
exp=$("$MLF" runs show "$run" --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["info"]["experiment_id"])')
echo "== logging $points points of metric 'long' to $run"
python3 -c "
import json, math
for i in range($points):
    print(json.dumps({'type': 'metric', 'key': 'long', 'value': math.sin(i / 1000) + (i % 9973 == 0) * 5, 'step': i, 'timestamp': 1700000000000 + i}))
" > "$work/long.jsonl"
"$MLF" -q log batch --run "$run" -f "$work/long.jsonl"

"$MLF" ui --port 0 2> "$work/ui.log" &
pid=$!
for _ in $(seq 100); do grep -q 'http://' "$work/ui.log" && break; sleep 0.1; done
base=$(grep -o 'http://[0-9.:]*' "$work/ui.log" | head -1)

median() { # label, curl args...
  local label=$1; shift
  for _ in 1 2 3; do curl -s -o /dev/null "$@"; done
  for _ in $(seq 30); do curl -s -o /dev/null -w '%{time_total}\n' "$@"; done |
    sort -n | sed -n 15p | awk -v l="$label" '{ printf "%-66s median %7.1f ms\n", l, $1 * 1000 }'
}
weight() { # label, url
  printf '%-66s %8s bytes (%s gzipped)\n' "$1" "$(curl -s "$2" | wc -c)" "$(curl -s "$2" | gzip -c | wc -c)"
}

filter=$(python3 -c "import urllib.parse; print(urllib.parse.quote(\"metrics.rmse < 0.5 and params.alpha = '0.3'\"))")
order=$(python3 -c "import urllib.parse; print(urllib.parse.quote('metrics.r2 DESC'))")
table="$base/ui/experiments/$exp?filter=$filter&order=$order"
echo "== server time ($runs runs)"
median "runs table, 100 of $runs, filter + sort by metric (page)" "$table"
median "same, the htmx part" -H 'HX-Request: true' "$table"
median "runs table, first 100, no filter, sort by metric" "$base/ui/experiments/$exp?order=$order"
median "chart series of $points points (down-sampled)" "$base/ui/runs/$run/metric?key=long"
median "run page (10 metrics with min/max)" "$base/ui/runs/$run"
curl -s "$base/ui/runs/$run/metric?key=long" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("   series:", d["shown"], "of", d["total"], "points drawn")'
echo "== weights"
weight "runs table page" "$table"
weight "run page" "$base/ui/runs/$run"
weight "htmx.min.js" "$base/ui/assets/htmx.min.js"
weight "uPlot.iife.min.js" "$base/ui/assets/uPlot.iife.min.js"
weight "app.js" "$base/ui/assets/app.js"
weight "app.css" "$base/ui/assets/app.css"
weight "uPlot.min.css" "$base/ui/assets/uPlot.min.css"
