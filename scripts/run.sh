#!/usr/bin/env bash
# Sets up what is missing, then builds and starts the relay on
# http://127.0.0.1:8080 with a SQLite file (lockstep-relay.db in the repo
# root), serving the built wallet from dist/ when it exists.
# Usage: bash scripts/run.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# The wallet build (Trunk, into dist/) is added by a later issue.
args=(--listen 127.0.0.1:8080 --database sqlite://lockstep-relay.db)
if [ -d dist ]; then
    args+=(--static-dir dist)
else
    echo "run: dist/ does not exist, so the relay serves no wallet page"
fi

echo "run: cargo run --release -p relay -- ${args[*]}"
exec cargo run --release -p relay -- "${args[@]}"
