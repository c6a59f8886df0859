#!/usr/bin/env bash
# Makes the Python environment the python-worker tests of tests/cli/models.rs use: the
# virtualenv target/test-venv with what the sklearn fixture (fixtures/models/sklearn_logreg,
# saved by mlflow.sklearn in skops format) needs to load without mlflow.
#
#   scripts/test-python-env.sh
#
# Creates the virtualenv if it is missing and installs the pinned packages (a no-op when they
# are already there), then writes target/test-venv/.ready. The tests run this themselves when
# the environment is missing. Needs python3 (3.11 or newer) and network access to PyPI; takes
# about a minute the first time. mlflow is deliberately not installed: the worker must load
# the skops file itself.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=target/test-venv

# Exact pins, as in fixtures/models/sklearn_logreg/requirements.txt.
PACKAGES=(
  scikit-learn==1.9.1
  skops==0.16.0
  pandas==3.1.1
  numpy==2.4.6
  scipy==1.17.1
)

mkdir -p target
# One builder at a time (several test processes may ask at once).
exec 9>target/test-venv.lock
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
rm -f "$VENV/.ready"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
"$VENV/bin/python" -c 'import sklearn, skops.io, pandas, numpy'
touch "$VENV/.ready"
