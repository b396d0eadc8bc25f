#!/usr/bin/env bash
# Builds the web wallet (web/, index.html, Trunk.toml) into dist/ with Trunk,
# offline, in the size-optimised `wasm-release` profile, and prints the size
# of the wasm (raw and gzip -9). Expects scripts/setup.sh to have run.
# Usage: bash scripts/build-web.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# Trunk runs offline (Trunk.toml): it takes wasm-bindgen and wasm-opt from
# PATH at the versions Trunk.toml pins, and cargo with --offline.
export PATH="$ROOT/.tools/binaryen/node_modules/.bin:${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
export TRUNK_SKIP_VERSION_CHECK=true
cargo fetch
echo "build-web: trunk build --release --cargo-profile wasm-release"
trunk build --release --cargo-profile wasm-release
for wasm in dist/*.wasm; do
    echo "build-web: $wasm: $(wc -c <"$wasm") bytes, $(gzip -9 -c "$wasm" | wc -c) bytes gzip -9"
done
