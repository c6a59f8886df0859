#!/usr/bin/env bash
# `mlf push` of a large store to a fresh `mlf server`, on a release build.
#
#   scripts/bench-push.sh
#   RUNS=1000 METRICS=10 STEPS=100 scripts/bench-push.sh
#   MLF=/path/to/mlf scripts/bench-push.sh       # measure that binary instead of building
#
# The hidden `mlf generate store` writes $RUNS finished runs × $METRICS metrics × $STEPS steps
# (10,000 × 10 × 100 = 10 million points by default, 5 params and 1 tag each) straight into a
# store; a server is started on an empty store beside it. Prints the seconds of the push, of a
# second push (nothing to send), and of a pull of everything into another empty store.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-10000}
METRICS=${METRICS:-10}
STEPS=${STEPS:-100}
PORT=${PORT:-5919}

if [[ -z "${MLF:-}" ]]; then
  cargo build --release --locked -q
  MLF="$PWD/target/release/mlf"
fi

work=$(mktemp -d)
server_pid=
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
export NO_COLOR=1
unset MLF_STORE MLF_TRACKING_URI MLFLOW_TRACKING_URI MLF_RUN_ID MLFLOW_RUN_ID

mkdir -p "$work/laptop" "$work/server" "$work/other"
SECONDS=0
(cd "$work/laptop" && "$MLF" -q init >/dev/null && "$MLF" -q generate store --runs "$RUNS" \
  --params 5 --metrics "$METRICS" --steps "$STEPS" --tags 1)
echo "made $RUNS runs x $METRICS metrics x $STEPS steps in ${SECONDS} s ($(du -sh "$work/laptop/.mlf" | cut -f1))"

(cd "$work/server" && "$MLF" -q init >/dev/null)
(cd "$work/server" && exec "$MLF" server --port "$PORT" >"$work/server.log" 2>&1) &
server_pid=$!
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$PORT/health" >/dev/null && break
  sleep 0.1
done

timed() {
  local start end
  start=$(date +%s.%N)
  "$@"
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}
# CPU seconds (user + system) the server has used so far.
server_cpu() {
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$server_pid/stat"
}

load=$(cut -d' ' -f1 /proc/loadavg)
cd "$work/laptop"
cpu0=$(server_cpu)
first=$(timed /usr/bin/time -f "%U %S" -o "$work/client.cpu" "$MLF" push "http://127.0.0.1:$PORT")
cpu1=$(server_cpu)
client_cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$work/client.cpu")
again=$(timed "$MLF" push "http://127.0.0.1:$PORT")
cd "$work/other"
pull=$(timed "$MLF" pull "http://127.0.0.1:$PORT")
points=$(sqlite3 "$work/server/.mlf/mlf.db" 'select count(*) from metrics')
echo "push of $RUNS runs x $METRICS metrics x $STEPS steps to mlf server: $first s" \
  "(CPU: client $client_cpu s, server $(echo "$cpu1 - $cpu0" | bc) s; load average before: $load)"
echo "second push (nothing to send): $again s"
echo "pull of everything into an empty store: $pull s"
echo "metric points on the server: $points"
