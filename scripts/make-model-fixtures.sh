#!/usr/bin/env bash
# Regenerates the model fixtures under fixtures/models/ with the real Python packages.
#
#   scripts/make-model-fixtures.sh
#   MODEL_FIXTURES_VENV=/tmp/mf-venv scripts/make-model-fixtures.sh   # reuse a virtualenv
#
# Makes a virtualenv (in a temp dir, removed afterwards, unless $MODEL_FIXTURES_VENV is set,
# in which case it is made there if missing and kept), installs pinned versions of
# scikit-learn, skl2onnx, onnx, onnxruntime, mlflow, lightgbm, xgboost (CPU build) and onnxmltools
# from PyPI, then runs scripts/make_model_fixtures.py, which trains small models on fixed synthetic
# data and writes sklearn / ONNX / MLflow model directories, inputs.json and expected.json, and
# scripts/make_tree_fixtures.py, which writes fixtures/models/trees/: ONNX tree-ensemble models
# (converted and hand-built) with the outputs onnxruntime gives for them.
#
# Needs python3.11 (or $PYTHON) and network access to PyPI. Takes a few minutes the first time.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

# Exact pins: change them together and regenerate every fixture.
PACKAGES=(
  scikit-learn==1.9.1
  skl2onnx==1.20.0
  onnx==1.23.2
  onnxruntime==1.32.0
  mlflow==3.17.2
  lightgbm==4.7.0
  xgboost-cpu==3.2.0
  onnxmltools==1.16.0
)

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
venv=${MODEL_FIXTURES_VENV:-$tmp/venv}

if [[ ! -x "$venv/bin/python" ]]; then
  "$PYTHON" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"

# Keep MLflow from touching a tracking store or the network while saving models.
export MLFLOW_TRACKING_URI="file://$tmp/mlruns"
export PYTHONHASHSEED=0

"$venv/bin/python" scripts/make_model_fixtures.py fixtures/models
"$venv/bin/python" scripts/make_tree_fixtures.py fixtures/models/trees
