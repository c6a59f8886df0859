#!/usr/bin/env bash
# Makes the Python environment of the web UI's browser tests (tests/browser/ui.py): the
# virtualenv target/browser-venv with Playwright for Python. Playwright drives Debian's
# chromium (/usr/bin/chromium, the package `chromium`); it downloads no browser of its own.
#
#   scripts/browser-python-env.sh
#
# Creates the virtualenv if it is missing and installs the pinned package (a no-op when it is
# already there), then writes target/browser-venv/.ready. Needs python3 and network access to
# PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
VENV=target/browser-venv

PACKAGES=(
  playwright==1.65.3
)

mkdir -p target
exec 9>target/browser-venv.lock
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
fi
rm -f "$VENV/.ready"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}"
"$VENV/bin/python" -c 'import playwright.sync_api'
touch "$VENV/.ready"
