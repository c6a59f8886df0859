#!/usr/bin/env bash
# A large artifact through `mlf server`'s artifact proxy: uploaded with curl (streamed from a
# file), downloaded back to /dev/null, compared by checksum, with the server's peak resident
# memory (VmHWM) after each step.
#
#   scripts/bench-artifacts.sh                 # 1 GiB, both destinations
#   SIZE_MB=256 PARTS=bucket scripts/bench-artifacts.sh
#
# Destinations (PARTS): `dir` is a server on a store directory (files in .mlf/artifacts);
# `bucket` is a server on PostgreSQL with --artifacts-destination s3://… on SeaweedFS
# (`weed mini` from target/e2e-venv, made by scripts/e2e-python-env.sh). Starts a throwaway
# PostgreSQL cluster and S3 server on loopback ports; everything is stopped and removed on
# exit. MLF picks the binary (default: a release build of this checkout).
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MB=${SIZE_MB:-1024}
PARTS=${PARTS:-dir bucket}
if [[ -z "${MLF:-}" ]]; then
  cargo build --release --locked -q
  MLF="$PWD/target/release/mlf"
fi
WEED=${WEED:-$PWD/target/e2e-venv/bin/weed}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

work=$(mktemp -d /var/tmp/mlf-bench-artifacts.XXXXXX)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
PIDS=()
PG_STARTED=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [[ -n "$PG_STARTED" ]] && as_pg "$bin/pg_ctl" -D "$work/pg/data" -m immediate stop >/dev/null 2>&1 || true
  sleep 0.5
  rm -rf "$work"
}
trap cleanup EXIT
unset MLF_RUN_ID MLFLOW_RUN_ID MLF_TRACKING_URI MLFLOW_TRACKING_URI MLF_SERVER_TOKEN MLF_ARTIFACT_ROOT
export NO_COLOR=1

echo "making a ${SIZE_MB} MiB file"
head -c "$((SIZE_MB * 1024 * 1024))" /dev/urandom > "$work/big.bin"
want=$(sha256sum "$work/big.bin" | cut -d' ' -f1)

peak_mb() { awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
current_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }

measure() { # NAME ARGS…
  local name=$1; shift
  local port; port=$(free_port)
  "$MLF" server --port "$port" "$@" > "$work/$name.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" >/dev/null && break; sleep 0.1; done
  local base="http://127.0.0.1:$port"
  local run
  run=$(curl -sf -X POST -H 'Content-Type: application/json' -d '{"experiment_id":"0"}' \
    "$base/api/2.0/mlflow/runs/create" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run"]["info"]["artifact_uri"].split(":/",1)[1])')
  local url="$base/api/2.0/mlflow-artifacts/artifacts/$run/big.bin"
  local idle; idle=$(current_mb "$pid")
  local t0 t1 t2
  t0=$(date +%s.%N)
  curl -sf -X PUT -T "$work/big.bin" "$url" >/dev/null
  t1=$(date +%s.%N)
  local up_peak; up_peak=$(peak_mb "$pid")
  local got
  got=$(curl -sf "$url" | sha256sum | cut -d' ' -f1)
  t2=$(date +%s.%N)
  local down_peak; down_peak=$(peak_mb "$pid")
  [[ "$got" == "$want" ]] || { echo "$name: the download differs from the upload" >&2; exit 1; }
  python3 - "$name" "$SIZE_MB" "$t0" "$t1" "$t2" "$idle" "$up_peak" "$down_peak" <<'PY'
import sys
name, size, t0, t1, t2, idle, up, down = sys.argv[1:]
size, t0, t1, t2 = float(size), float(t0), float(t1), float(t2)
print(f"{name:7} upload {t1-t0:6.1f} s ({size/(t1-t0):6.0f} MiB/s)  download {t2-t1:6.1f} s "
      f"({size/(t2-t1):6.0f} MiB/s)  server RSS idle {idle} MB, peak after upload {up} MB, "
      f"after download {down} MB")
PY
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

for part in $PARTS; do
  case $part in
    dir)
      mkdir -p "$work/dir"
      (cd "$work/dir" && "$MLF" init -q >/dev/null)
      measure dir --store "$work/dir/.mlf" --max-body $((4 * 1024 * 1024 * 1024))
      ;;
    bucket)
      mkdir -p "$work/pg" "$work/s3"
      [ "$(id -u)" = 0 ] && chown postgres "$work/pg"
      pg_port=$(free_port)
      as_pg "$bin/initdb" -D "$work/pg/data" -U postgres --locale=C -A trust >/dev/null
      as_pg "$bin/pg_ctl" -D "$work/pg/data" -w -l "$work/pg/log" \
        -o "-c listen_addresses=127.0.0.1 -p $pg_port -k $work/pg" start >/dev/null
      PG_STARTED=1
      s3_port=$(free_port); filer_port=$(free_port)
      ports=()
      for k in master.port master.port.grpc volume.port volume.port.grpc filer.port.grpc \
        s3.port.grpc admin.port admin.port.grpc; do ports+=("-$k=$(free_port)"); done
      "$WEED" mini -dir="$work/s3" -ip=127.0.0.1 -ip.bind=127.0.0.1 -webdav=false \
        -filer.port="$filer_port" -s3.port="$s3_port" -s3.port.iceberg=0 -s3.port.lance=0 \
        "${ports[@]}" > "$work/s3.log" 2>&1 &
      PIDS+=("$!")
      for _ in $(seq 300); do
        curl -sf -X PUT --data-binary ok "http://127.0.0.1:$filer_port/buckets/bench/.keep" >/dev/null 2>&1 && break
        sleep 0.2
      done
      export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
        MLFLOW_S3_ENDPOINT_URL="http://127.0.0.1:$s3_port"
      measure bucket --store "postgresql://postgres@127.0.0.1:$pg_port/postgres" \
        --artifacts-destination s3://bench/artifacts --max-body $((4 * 1024 * 1024 * 1024))
      ;;
    *) echo "unknown part $part" >&2; exit 2 ;;
  esac
done
