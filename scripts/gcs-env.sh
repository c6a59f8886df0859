#!/usr/bin/env bash
# Makes the server the tests of gs:// URIs talk to: moto's server (PyPI, pinned) in the
# virtualenv target/gcs-venv. Google Cloud Storage's XML API, which the GCS client mlf uses
# speaks for every object call, is S3's protocol, and moto answers it on loopback (the GCS
# emulators on PyPI and npm answer only the JSON API). moto checks no credentials.
#
#   scripts/gcs-env.sh
#
# Idempotent: when target/gcs-venv/.ready exists it does nothing. Needs python3 and network
# access to PyPI. The tests run it themselves when the environment is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=target/gcs-venv
MARKER="$VENV/.ready"
PACKAGES=("moto[server]==5.2.6")

ready() { [[ -f "$MARKER" && -x "$VENV/bin/moto_server" ]]; }
if ready; then
  exit 0
fi
mkdir -p target
exec 9>target/gcs-venv.lock
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
if ready; then
  exit 0
fi
if [[ ! -x "$VENV/bin/python" ]]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
"$VENV/bin/python" -c 'import moto, boto3'
touch "$MARKER"
