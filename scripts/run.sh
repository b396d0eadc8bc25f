#!/usr/bin/env bash
# Sets up what is missing, then builds and starts the relay on
# http://127.0.0.1:8080 with a SQLite file (lockstep-relay.db in the repo
# root), serving the wallet built by Trunk into dist/.
# Usage: bash scripts/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

bash scripts/build-web.sh

args=(--listen 127.0.0.1:8080 --database sqlite://lockstep-relay.db --static-dir dist)
echo "run: cargo run --release -p relay -- ${args[*]}"
exec cargo run --release -p relay -- "${args[@]}"
