#!/usr/bin/env bash
# Azurite, Microsoft's Azure Storage emulator, from npm into target/azurite, for the tests of
# `az://` and `wasbs://` artifact destinations (tests/cli/azure.rs starts its blob service).
# Idempotent; one installer at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="$PWD/target/azurite"
VERSION=3.35.0
ready() { [[ -x "$DIR/node_modules/.bin/azurite-blob" && -f "$DIR/.ready-$VERSION" ]]; }
ready && exit 0
if ! command -v npm >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi
mkdir -p "$DIR"
exec 9>"$DIR.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi
ready && exit 0
npm install --prefix "$DIR" --no-audit --no-fund --loglevel=error "azurite@$VERSION" >/dev/null
touch "$DIR/.ready-$VERSION"
