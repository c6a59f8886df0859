#!/usr/bin/env bash
# Benchmarks of the tracking path, with hyperfine, on a release build.
#
#   scripts/bench.sh            # builds target/release/mlf, prints the figures
#
# Measures: the median wall time of `mlf log metric k 1.0` (alone, and beside another process
# that has the store open) and of `mlf runs list` on a store with 1,000 runs, `/bin/true` and
# `sqlite3 DB 'select 1'` for scale, and the time to log 1,000,000 metric points with
# `mlf log batch` (CSV and JSON Lines).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v hyperfine >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq hyperfine
fi
# MLF=/path/to/mlf measures that binary instead of building this checkout (before/after runs).
if [[ -z "${MLF:-}" ]]; then
  cargo build --release --locked -q
  MLF="$PWD/target/release/mlf"
fi

work=$(mktemp -d)
holder=
trap '[[ -n "$holder" ]] && kill "$holder" 2>/dev/null; rm -rf "$work"' EXIT
cd "$work"
export MLF_STORE="$work/.mlf" NO_COLOR=1
unset MLF_RUN_ID MLFLOW_RUN_ID
"$MLF" -q init . >/dev/null

# hyperfine, then the median in ms from its JSON export.
bench() {
  local label=$1; shift
  hyperfine --style basic --export-json "$work/h.json" "$@" >/dev/null
  python3 - "$work/h.json" "$label" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print(f"{sys.argv[2]:<55} median {r['median'] * 1000:9.1f} ms   (mean {r['mean'] * 1000:.1f} ± {r['stddev'] * 1000:.1f} ms, {len(r['times'])} runs)")
PY
}

echo "== filling a store with 1,000 runs (5 params, 5 metrics of 10 steps each)"
metrics=$(mktemp)
{
  echo "step,loss,acc,rmse,mae,r2"
  for s in $(seq 0 9); do echo "$s,0.$s,0.5$s,1.$s,0.2$s,0.9$s"; done
} > "$metrics"
SECONDS=0
for i in $(seq 1 1000); do
  id=$("$MLF" -q run start -x bench -p lr=0.$((i % 10)) -p depth=$((i % 7)) -p opt=adam -p seed=$i -p batch=32)
  "$MLF" -q log batch --file "$metrics" --run "$id"
  "$MLF" -q run end --run "$id"
done
echo "   ${SECONDS} s for 3,000 commands"

run=$("$MLF" -q run start -x bench -n target)

echo "== medians on a store with 1,001 runs"
bench "mlf log metric k 1.0" -N --warmup 20 --runs 300 "$MLF log metric k 1.0 --run $run"
bench "mlf log param p 1 (same value again)" -N --warmup 20 --runs 300 "$MLF log param p 1 --run $run"
bench "mlf runs list (1,001 runs, table)" -N --warmup 3 --runs 30 --output=null "$MLF runs list"
bench "mlf runs list --format json (1,001 runs)" -N --warmup 3 --runs 30 --output=null "$MLF runs list --format json"
bench "mlf runs list --limit 20" -N --warmup 3 --runs 50 --output=null "$MLF runs list --limit 20"
bench "mlf runs show (by name)" -N --warmup 3 --runs 50 --output=null "$MLF runs show target"
bench "mlf --version" -N --warmup 3 --runs 100 --output=null "$MLF --version"
# Alone, `mlf log` takes the store for its process only; beside another process that has it
# open (a server, `mlf ui`), it shares it.
python3 -c 'import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1])
c.execute("SELECT count(*) FROM runs").fetchall()
time.sleep(3600)' "$MLF_STORE/mlf.db" &
holder=$!
sleep 0.5
bench "mlf log metric k 1.0 (store open in another process)" -N --warmup 20 --runs 300 "$MLF log metric k 1.0 --run $run"
kill "$holder"
wait "$holder" 2>/dev/null || true
echo "== the machine, for scale"
bench "/bin/true" -N --warmup 20 --runs 300 /bin/true
bench "sqlite3 mlf.db 'select 1'" -N --warmup 20 --runs 300 "sqlite3 $MLF_STORE/mlf.db 'select 1'"

echo "== log 1,000,000 metric points with mlf log batch"
python3 - "$work" <<'PY'
import sys
d = sys.argv[1]
with open(f"{d}/million.csv", "w") as f:
    f.write("step," + ",".join(f"m{k}" for k in range(10)) + "\n")
    for s in range(100_000):
        f.write(f"{s}," + ",".join(f"{(s * 7 + k) % 1000 / 1000}" for k in range(10)) + "\n")
with open(f"{d}/million.jsonl", "w") as f:
    for s in range(100_000):
        for k in range(10):
            f.write(f'{{"key":"m{k}","value":{(s * 7 + k) % 1000 / 1000},"step":{s},"timestamp":1700000000000}}\n')
PY
for fmt in csv jsonl; do
  bench "mlf log batch, 1,000,000 points ($fmt)" --runs 3 --prepare "rm -rf $work/big" \
    "id=\$($MLF -q --store $work/big run start) && $MLF -q --store $work/big log batch --file $work/million.$fmt --run \$id"
done
echo "   points stored by the last run: $(sqlite3 "$work/big/mlf.db" 'select count(*) from metrics')"
