#!/usr/bin/env bash
# Benchmarks `mlf models serve` against `mlflow models serve --env-manager local`, on this
# machine, in one session, one server at a time.
#
#   scripts/bench-models.sh
#   DURATION=20s WORKERS=4 scripts/bench-models.sh
#
# Cases: the ONNX logistic regression (fixtures/models/onnx_logreg_mlflow: mlf scores it
# in-process with tract, MLflow through its pyfunc/onnxruntime path), a 50-tree binary
# RandomForest on 20 float features converted by skl2onnx with `label` as its only output
# (made here in the virtualenv and saved by mlflow.onnx; mlf scores it with its native tree
# evaluator), and the scikit-learn model (fixtures/models/sklearn_logreg: both servers run
# Python, mlf through its pool of python3 workers). For the forest it also prints
# onnxruntime's own compute time per call (1 and 100 rows, one thread), the floor any server
# stands on, and mlf's own in-process time for the same calls (benches/scoring.rs). For
# each case and server it measures
#   - the time from process start until `GET /ping` answers 200 (polled every 10 ms),
#   - wrk throughput and latency (p50/p99) for a 1-row and a 100-row `dataframe_split` POST,
#   - the resident memory (VmRSS summed over the server's process tree) when idle after
#     startup and after the load,
# checks that both servers give the same predictions for fixtures/models/inputs.json, and
# prints a markdown table. Every server listens on 127.0.0.1 only and is stopped on exit.
#
# Environment:
#   VENV       virtualenv with mlflow, scikit-learn, onnxruntime, skops   (/tmp/mfvenv)
#   WORKERS    --workers for mlflow and for mlf's Python pool            ($(nproc))
#   DURATION   wrk duration per measurement                              (10s)
#   WARMUP     wrk warm-up per server before measuring (discarded)       (3s)
#   THREADS / CONNECTIONS   wrk -t / -c                                  (2 / 16)
#   RESULTS    directory for logs, bodies and raw wrk output             (a new temp dir)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

VENV=${VENV:-/tmp/mfvenv}
WORKERS=${WORKERS:-$(nproc)}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-16}
WRK_TIMEOUT=${WRK_TIMEOUT:-5s}
RESULTS=${RESULTS:-$(mktemp -d /tmp/bench-models.XXXXXX)}
mkdir -p "$RESULTS"

# ---------------------------------------------------------------- prerequisites
echo "== building mlf (release)"
cargo build --release --locked -q
MLF="$ROOT/target/release/mlf"

if ! command -v wrk >/dev/null 2>&1; then
  echo "== installing wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi

if ! "$VENV/bin/python" -c 'import mlflow, sklearn, onnxruntime, skops' >/dev/null 2>&1; then
  # Same pins as scripts/make-model-fixtures.sh, without regenerating the fixtures.
  echo "== making the virtualenv $VENV"
  mapfile -t pins < <(sed -n '/^PACKAGES=(/,/^)/p' scripts/make-model-fixtures.sh | grep '==' | tr -d ' ')
  PY=${PYTHON:-python3.11}
  command -v "$PY" >/dev/null 2>&1 || PY=python3
  [[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${pins[@]}" skops
fi
# Both servers see the same PATH: the venv first, so mlflow and mlf's python3 workers import
# mlflow/sklearn from it.
export PATH="$VENV/bin:$PATH"
export MLFLOW_TRACKING_URI="file://$RESULTS/mlruns" NO_COLOR=1
PY=python3   # stdlib-only helpers below

# ---------------------------------------------------------------- request bodies and helpers
"$PY" - "$ROOT/fixtures/models/inputs.json" "$RESULTS" <<'PY'
import json, sys
inp = json.load(open(sys.argv[1]))
cols, rows = inp["columns"], inp["data"]
rows = [[float(v) for v in r] for r in rows]        # keep every value a JSON float
def body(data):
    return json.dumps({"dataframe_split": {"columns": cols, "data": data}})
out = sys.argv[2]
open(f"{out}/body-1.json", "w").write(body(rows[:1]))
open(f"{out}/body-100.json", "w").write(body([rows[i % len(rows)] for i in range(100)]))
open(f"{out}/body-7.json", "w").write(body(rows))
PY

# The forest: 50 trees, 20 features, binary, `label` only; bodies of 1, 7 and 100 rows.
"$VENV/bin/python" - "$RESULTS" <<'PY'
import json, sys, time
import numpy as np
import mlflow.onnx
import onnxruntime as ort
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from skl2onnx import to_onnx
from skl2onnx.common.data_types import FloatTensorType
out = sys.argv[1]
X, y = make_classification(n_samples=2000, n_features=20, n_informative=10, random_state=0)
X = X.astype(np.float32)
model = RandomForestClassifier(n_estimators=50, random_state=0).fit(X, y)
onx = to_onnx(model, initial_types=[("input", FloatTensorType([None, 20]))],
              options={id(model): {"zipmap": False}}, target_opset={"": 17, "ai.onnx.ml": 3})
del onx.graph.output[1]          # keep `label` only
mlflow.onnx.save_model(onx, f"{out}/forest_mlflow")
cols = [f"f{i}" for i in range(20)]
for n in (1, 7, 100):
    body = {"dataframe_split": {"columns": cols, "data": X[:n].astype(float).tolist()}}
    open(f"{out}/body-forest-{n}.json", "w").write(json.dumps(body))
opts = ort.SessionOptions()
opts.intra_op_num_threads = 1
sess = ort.InferenceSession(onx.SerializeToString(), opts, providers=["CPUExecutionProvider"])
for n in (1, 100):
    x = X[:n]
    for _ in range(200):
        sess.run(None, {"input": x})
    k = 5000 if n == 1 else 1000
    t = time.perf_counter()
    for _ in range(k):
        sess.run(None, {"input": x})
    us = (time.perf_counter() - t) / k * 1e6
    print(f"== onnxruntime, forest, {n} row(s), one thread: {us:.1f} us per call")
    open(f"{out}/ort-forest-{n}.us", "w").write(f"{us:.1f}")
PY

cat > "$RESULTS/post.lua" <<'LUA'
-- POSTs the body file given after `--` to /invocations; prints one JSON summary line.
local req
function init(args)
  local f = assert(io.open(args[1], "rb"))
  local body = f:read("*a")
  f:close()
  req = wrk.format("POST", "/invocations", { ["Content-Type"] = "application/json" }, body)
end
function request() return req end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout))
end
LUA

# Starts a server in its own session, polls GET /ping every 10 ms, prints "PID MS" (time from
# process start to the first 200) or "FAIL PID reason". The server keeps running.
cat > "$RESULTS/launch.py" <<'PY'
import http.client, os, subprocess, sys, time
port, log, cwd, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
limit = 300.0
out = open(log, "wb")
t0 = time.monotonic()
p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                     cwd=cwd, start_new_session=True)
while True:
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/ping")
        r = c.getresponse(); r.read(); c.close()
        if r.status == 200:
            print(p.pid, f"{(time.monotonic() - t0) * 1000:.0f}")
            break
    except OSError:
        pass
    rc = p.poll()
    if rc is not None:
        print("FAIL", p.pid, f"exited with code {rc} before /ping answered")
        break
    if time.monotonic() - t0 > limit:
        print("FAIL", p.pid, f"/ping did not answer 200 within {limit:.0f} s")
        break
    time.sleep(0.01)
PY

# Sum of VmRSS (KiB) over a process and all its descendants; prints "KIB NPROCS".
tree_rss() {
  "$PY" - "$1" <<'PY'
import os, sys
root = int(sys.argv[1])
kids = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            stat = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(d))
todo, total, n = [root], 0, 0
while todo:
    pid = todo.pop()
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]); n += 1
    except OSError:
        continue
    todo.extend(kids.get(pid, []))
print(total, n)
PY
}

free_port() {
  "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

SERVERS=()   # process-group ids of running servers
stop_server() {
  local pid=$1 i
  kill -TERM -- "-$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    kill -0 -- "-$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || true
  local left=() p
  for p in "${SERVERS[@]}"; do [[ $p == "$pid" ]] || left+=("$p"); done
  SERVERS=("${left[@]}")
}
cleanup() {
  local pid
  for pid in "${SERVERS[@]}"; do [[ -n "$pid" ]] && stop_server "$pid"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- the runs
TSV="$RESULTS/results.tsv"
: > "$TSV"
run_wrk() {   # label port bodyfile duration -> writes $RESULTS/wrk-$label.txt
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$4" --timeout "$WRK_TIMEOUT" --latency \
    -s "$RESULTS/post.lua" "http://127.0.0.1:$2/invocations" -- "$3" > "$RESULTS/wrk-$1.txt" 2>&1 || true
}

body_file() {   # case rows -> the case's own body, else the fixture rows
  if [[ -f "$RESULTS/body-$1-$2.json" ]]; then echo "$RESULTS/body-$1-$2.json"; else echo "$RESULTS/body-$2.json"; fi
}

bench_server() {   # case model server
  local case=$1 model=$2 server=$3 port log out pid ms idle rss rows tag
  port=$(free_port)
  tag="$case-$server"
  log="$RESULTS/server-$tag.log"
  local cmd
  if [[ $server == mlf ]]; then
    cmd=("$MLF" models serve -m "$model" --env-manager local --workers "$WORKERS" -p "$port")
  else
    cmd=(mlflow models serve -m "$model" --env-manager local --workers "$WORKERS" -p "$port")
  fi
  echo "== $case / $server: ${cmd[*]}"
  out=$("$PY" "$RESULTS/launch.py" "$port" "$log" "$RESULTS" "${cmd[@]}")
  if [[ $out == FAIL* ]]; then
    pid=$(awk '{print $2}' <<<"$out")
    SERVERS+=("$pid"); stop_server "$pid"
    local why=${out#FAIL $pid }
    echo "   FAILED: $why; last lines of $log:"
    tail -n 15 "$log" | sed 's/^/     /'
    printf '%s\t%s\tFAIL\t%s\n' "$case" "$server" "$why: $(tail -n 1 "$log" | tr '\t' ' ')" >> "$TSV"
    return 0
  fi
  read -r pid ms <<<"$out"
  SERVERS+=("$pid")
  idle=$(tree_rss "$pid")
  echo "   /ping 200 after ${ms} ms (pid $pid, idle RSS ${idle% *} KiB over ${idle#* } processes)"

  # Predictions for the 7-row input, kept for the comparison.
  curl -sS -o "$RESULTS/pred-$tag.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$(body_file "$case" 7)" "http://127.0.0.1:$port/invocations" > "$RESULTS/pred-$tag.code" || true

  run_wrk "$tag-warmup" "$port" "$(body_file "$case" 1)" "$WARMUP"
  for rows in 1 100; do
    local load
    load=$(cut -d' ' -f1 /proc/loadavg)   # other work on the machine skews the figures
    run_wrk "$tag-$rows" "$port" "$(body_file "$case" "$rows")" "$DURATION"
    local res
    res=$(grep '^RESULT ' "$RESULTS/wrk-$tag-$rows.txt" | sed 's/^RESULT //' || true)
    if [[ -z $res ]]; then
      echo "   wrk gave no result; its output:"; sed 's/^/     /' "$RESULTS/wrk-$tag-$rows.txt"
      continue
    fi
    "$PY" - "$res" "$load" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
rps = r["requests"] / (r["duration_us"] / 1e6)
err = {k: r[k] for k in ("connect", "read", "write", "status", "timeout") if r[k]}
print(f"   {r['requests']:>7} requests  {rps:9.1f} req/s  p50 {r['p50_us']/1000:.2f} ms  "
      f"p99 {r['p99_us']/1000:.2f} ms  errors: {err or 'none'}  (load avg before: {sys.argv[2]})")
PY
    printf '%s\t%s\tOK\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$server" "$rows" "$ms" "$idle" \
      "$(tree_rss "$pid")" "$res" "$load" >> "$TSV"
  done
  stop_server "$pid"
}

compare() {   # case
  "$PY" - "$RESULTS" "$1" <<'PY'
import json, math, os, sys
d, case = sys.argv[1], sys.argv[2]
got = {}
for s in ("mlf", "mlflow"):
    p = f"{d}/pred-{case}-{s}.json"
    if not os.path.exists(p):
        print(f"   predictions ({case}): no output from {s} (server did not start)"); sys.exit(0)
    code = open(f"{d}/pred-{case}-{s}.code").read().strip()
    raw = open(p).read()
    print(f"   {s:<6} HTTP {code}: {raw.strip()}")
    got[s] = json.loads(raw) if code == "200" else None
if None in got.values():
    print(f"   predictions ({case}): MISMATCH (a server answered with an error)"); sys.exit(0)
def norm(v):
    # MLflow's onnx flavor returns a ZipMap as {"0": p0, "1": p1, ...}; mlf returns [p0, p1, ...].
    if isinstance(v, dict):
        if v and all(k.isdigit() for k in v):
            return [norm(v[k]) for k in sorted(v, key=int)]
        return {k: norm(x) for k, x in v.items()}
    if isinstance(v, list):
        return [norm(x) for x in v]
    return v
def close(a, b, path="$"):
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-6):
            return None
        return f"{path}: {a!r} vs {b!r}"
    if type(a) != type(b):
        return f"{path}: {type(a).__name__} vs {type(b).__name__}"
    if isinstance(a, dict):
        if set(a) != set(b):
            return f"{path}: keys {sorted(a)} vs {sorted(b)}"
        return next((e for k in a if (e := close(a[k], b[k], f"{path}.{k}"))), None)
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: length {len(a)} vs {len(b)}"
        return next((e for i, (x, y) in enumerate(zip(a, b)) if (e := close(x, y, f"{path}[{i}]"))), None)
    return None if a == b else f"{path}: {a!r} vs {b!r}"
same_raw = got["mlf"] == got["mlflow"]
diff = close(norm(got["mlf"]), norm(got["mlflow"]))
if same_raw:
    print(f"   predictions ({case}): MATCH (identical JSON)")
elif diff is None:
    print(f"   predictions ({case}): MATCH after normalising (ZipMap dict -> list; floats within 1e-5 rel), "
          "raw JSON differs in shape/last digits")
else:
    print(f"   predictions ({case}): MISMATCH at {diff}")
PY
}

CASES=(
  "onnx_logreg:$ROOT/fixtures/models/onnx_logreg_mlflow"
  "forest:$RESULTS/forest_mlflow"
  "sklearn_logreg:$ROOT/fixtures/models/sklearn_logreg"
)
echo "== machine: nproc $(nproc), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), " \
  "$(awk '/MemTotal/ {printf "%.1f GiB RAM", $2/1048576}' /proc/meminfo)"
echo "== mlf $("$MLF" --version | awk '{print $2}'), $(mlflow --version 2>/dev/null), $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout $WRK_TIMEOUT --latency -s post.lua (after a $WARMUP warm-up); --workers $WORKERS"
echo "== raw output in $RESULTS; load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
for c in "${CASES[@]}"; do
  name=${c%%:*} model=${c#*:}
  bench_server "$name" "$model" mlf
  bench_server "$name" "$model" mlflow
  echo "== predictions for the 7-row input ($name)"
  compare "$name" | tee -a "$RESULTS/compare.txt"
done

# ---------------------------------------------------------------- summary
echo
"$PY" - "$TSV" <<'PY'
import json, sys
rows, fails = [], []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    if f[2] == "FAIL":
        fails.append(f); continue
    case, server, _, n, ms, idle, rss, res, load = f
    r = json.loads(res)
    rows.append(dict(case=case, server=server, rows=int(n), ms=int(ms),
                     idle=int(idle.split()[0]), rss=int(rss.split()[0]), procs=int(rss.split()[1]),
                     rps=r["requests"] / (r["duration_us"] / 1e6), p50=r["p50_us"] / 1000,
                     p99=r["p99_us"] / 1000, n=r["requests"],
                     err=sum(r[k] for k in ("connect", "read", "write", "status", "timeout")), load=load))
rps = {(r["case"], r["server"], r["rows"]): r["rps"] for r in rows}
print("| case | server | rows/request | req/s | mlf/mlflow req/s | p50 (ms) | p99 (ms) | startup to /ping (ms) | RSS idle (MiB) | RSS after load (MiB) | processes | requests | errors | load avg |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    ratio = ""
    if r["server"] == "mlf" and (r["case"], "mlflow", r["rows"]) in rps:
        ratio = f"{r['rps'] / rps[(r['case'], 'mlflow', r['rows'])]:.2f}x"
    print(f"| {r['case']} | {r['server']} | {r['rows']} | {r['rps']:.1f} | {ratio} | {r['p50']:.2f} | "
          f"{r['p99']:.2f} | {r['ms']} | {r['idle']/1024:.1f} | {r['rss']/1024:.1f} | {r['procs']} | {r['n']} | {r['err']} | {r['load']} |")
for f in fails:
    print(f"| {f[0]} | {f[1]} | - | failed to start: {f[3]} |")
bad = [r for r in rows if r["err"]]
if bad:
    print("\nWARNING: wrk saw errors (non-2xx, socket errors or timeouts) in:",
          ", ".join(f"{r['case']}/{r['server']}/{r['rows']} ({r['err']})" for r in bad),
          "-- those figures are not valid.")
PY
# mlf's own compute for the same calls, in process (benches/scoring.rs): reading the body and
# predicting, without HTTP.
for n in 1 100; do
  if [[ -f "$RESULTS/ort-forest-$n.us" ]]; then
    echo "onnxruntime's own compute for the forest, $n row(s), one thread: $(cat "$RESULTS/ort-forest-$n.us") us per call"
    cargo bench --locked -q --bench scoring -- "$RESULTS/forest_mlflow" "$RESULTS/body-forest-$n.json" \
      > "$RESULTS/scoring-forest-$n.txt" 2>&1 || true
    sed -n 's/^/mlf in process, forest, '"$n"' row(s): /p' "$RESULTS/scoring-forest-$n.txt" | grep -v answer || true
  fi
done
