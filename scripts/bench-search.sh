#!/usr/bin/env bash
# Benchmarks of search and compare on a large synthetic store, with hyperfine.
#
#   scripts/bench-search.sh [RUNS]      # default 100000 runs: 10 params, 10 metrics x 100 steps, 5 tags
#
# Generates the store with the hidden `mlf generate store`, then measures
#   mlf runs list -f "metrics.rmse < 0.5 and params.alpha = '0.3'" --order-by "metrics.r2 DESC" --limit 100
#   mlf runs compare (20 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100000}

if ! command -v hyperfine >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine
fi
# MLF=/path/to/mlf measures that binary instead of building this checkout (before/after runs).
if [[ -z "${MLF:-}" ]]; then
  cargo build --release --locked -q
  MLF="$PWD/target/release/mlf"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MLF_STORE="$work/.mlf" NO_COLOR=1 COLUMNS=200
unset MLF_RUN_ID MLFLOW_RUN_ID

bench() {
  local label=$1; shift
  hyperfine --style basic --export-json "$work/h.json" "$@" >/dev/null
  python3 - "$work/h.json" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:<62} median {r['median'] * 1000:8.1f} ms   (mean {r['mean'] * 1000:.1f} ± {r['stddev'] * 1000:.1f} ms, {len(r['times'])} runs)")
PY
}

echo "== generating $runs runs (10 params, 10 metrics x 100 steps, 5 tags)"
SECONDS=0
"$MLF" -q generate store --runs "$runs"
echo "   ${SECONDS} s; store size $(du -sh "$work/.mlf" | cut -f1)"
echo "   metric points: $(sqlite3 "$work/.mlf/mlf.db" 'select count(*) from metrics')"

filter="metrics.rmse < 0.5 and params.alpha = '0.3'"
ids=$("$MLF" runs list -f "$filter" --order-by "metrics.r2 DESC" --limit 20 --format csv | tail -n +2 | cut -d, -f1 | tr '\n' ' ')
echo "== medians"
bench "runs list -f FILTER --order-by 'metrics.r2 DESC' --limit 100" -N --warmup 3 --runs 30 --output=null \
  "$MLF runs list -f \"$filter\" --order-by \"metrics.r2 DESC\" --limit 100"
bench "same, --format json" -N --warmup 3 --runs 30 --output=null \
  "$MLF runs list -f \"$filter\" --order-by \"metrics.r2 DESC\" --limit 100 --format json"
bench "runs compare (20 runs by id)" -N --warmup 3 --runs 30 --output=null "$MLF runs compare $ids"
bench "runs compare -f FILTER -n 20" -N --warmup 3 --runs 30 --output=null \
  "$MLF runs compare -f \"$filter\" --order-by \"metrics.r2 DESC\" -n 20"
bench "runs list --limit 100 (no filter)" -N --warmup 3 --runs 30 --output=null "$MLF runs list --limit 100"
bench "runs list -f 'params.optimizer = \"adam\" or metrics.acc > 0.99' -n 100" -N --warmup 3 --runs 30 --output=null \
  "$MLF runs list -f \"params.optimizer = 'adam' or metrics.acc > 0.99\" -n 100"
