#!/usr/bin/env bash
# `mlf import mlflow` on a large MLflow database, on a release build.
#
#   scripts/bench-import.sh
#   RUNS=1000 METRICS=10 STEPS=100 scripts/bench-import.sh
#
# MLflow itself (target/e2e-venv, made by scripts/e2e-python-env.sh when missing) creates an
# empty SQLite tracking database with its own schema; the runs, params, tags and metric
# histories ($RUNS runs × $METRICS metrics × $STEPS steps, 10,000 × 10 × 100 = 10 million points
# by default) are then inserted with plain SQL, which takes far less time than logging them.
# Prints the seconds of the import into a fresh store, and of a second import (nothing to do).
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10000}
METRICS=${METRICS:-10}
STEPS=${STEPS:-100}

[[ -x target/e2e-venv/bin/python ]] || scripts/e2e-python-env.sh
cargo build --release --locked -q
MLF="$PWD/target/release/mlf"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
db="$work/mlflow.db"

target/e2e-venv/bin/python - "$db" "$RUNS" "$METRICS" "$STEPS" <<'PY'
import sqlite3, sys, time
db, runs, metrics, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
import mlflow
mlflow.MlflowClient(f"sqlite:///{db}").create_experiment("bench")  # MLflow makes its schema
t = time.time()
c = sqlite3.connect(db)
c.executescript(f"""
PRAGMA synchronous = OFF; PRAGMA journal_mode = MEMORY;
CREATE TEMP TABLE n(i INTEGER PRIMARY KEY);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {max(runs, metrics, steps)})
INSERT INTO n SELECT i FROM s;
INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status,
                  start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
SELECT printf('%032x', i + 1), 'run-' || i, 'LOCAL', '', '', 'bench', 'FINISHED',
       1700000000000 + i * 1000, 1700000000000 + i * 1000 + 500, '', 'active', '', 1
FROM n WHERE i < {runs};
INSERT INTO params (key, value, run_uuid) SELECT 'p' || k.i, k.i * 3, r.run_uuid
  FROM runs r, n k WHERE k.i < 5;
INSERT INTO tags (key, value, run_uuid) SELECT 'mlflow.runName', r.name, r.run_uuid FROM runs r;
INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan)
SELECT 'm' || k.i, (s.i * 7 + k.i) % 101 / 100.0, r.start_time + s.i, r.run_uuid, s.i, 0
  FROM runs r, n k, n s WHERE k.i < {metrics} AND s.i < {steps};
INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)
SELECT key, value, timestamp, step, is_nan, run_uuid FROM metrics WHERE step = {steps - 1};
""")
c.commit()
n = c.execute("SELECT count(*) FROM metrics").fetchone()[0]
print(f"made {runs} runs, {n} metric points in {time.time() - t:.1f} s", file=sys.stderr)
PY

mkdir -p "$work/store"
cd "$work/store"
"$MLF" init >/dev/null
start=$(date +%s.%N)
"$MLF" import mlflow "sqlite:///$db"
end=$(date +%s.%N)
again_start=$(date +%s.%N)
"$MLF" import mlflow "sqlite:///$db"
again_end=$(date +%s.%N)
points=$("$MLF" runs metric "run-$((RUNS - 1))" m0 --format json | grep -c '"step"')
echo "import of $RUNS runs x $METRICS metrics x $STEPS steps: $(echo "$end - $start" | bc) s"
echo "second import (nothing to do): $(echo "$again_end - $again_start" | bc) s"
echo "points of one imported history: $points"
