#!/usr/bin/env bash
# Regenerates fixtures/models/mlflow/: models saved by MLflow 3.17.2's own flavors and the
# answers `mlflow models serve` gives to each request (scripts/make_mlflow_answers.py).
#
#   scripts/make-mlflow-answers.sh
#
# Uses target/e2e-venv (scripts/e2e-python-env.sh makes it: mlflow 3.17.2, scikit-learn).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/e2e-python-env.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export MLFLOW_TRACKING_URI="file://$tmp/mlruns"
export PYTHONHASHSEED=0
# `mlflow models serve` starts uvicorn from PATH.
export PATH="$PWD/target/e2e-venv/bin:$PATH"
target/e2e-venv/bin/python scripts/make_mlflow_answers.py fixtures/models/mlflow
