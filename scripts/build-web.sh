#!/usr/bin/env bash
# Builds the web wallet (web/, index.html, Trunk.toml) into dist/ with Trunk,
# offline, in the size-optimised `wasm-release` profile; shortens the names
# between its JS and wasm and minifies the JS (scripts/minify-web.mjs); the
# QR encoder (web/qr-encoder) and the Scan fallback's QR decoder
# (web/qr-decoder) as their own wasm, outside the first load; the service worker
# (web/pwa/sw.js with this build's file list); writes a Brotli
# (quality 11) and a gzip (-9) copy beside every file (`x.br`, `x.gz`: the
# relay serves them by Accept-Encoding); prints what a first load transfers
# (scripts/first-load-size.sh). Expects scripts/setup.sh to have run (it
# installs brotli, wasm-opt and terser).
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
WASM_FEATURES=(--enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext
    --enable-mutable-globals --enable-reference-types --enable-multivalue)
# Shorter names between the page's JS and its wasm: wasm-bindgen names each
# import `__wbg_<name>_<16 hex digits>`, written in both files. wasm-opt
# renames imports and exports (printing the map; -Oz once more on the way)
# and minify-web.mjs renames them to match in the JS, checks the two
# against each other, minifies the JS with terser and puts both files' new
# integrity hashes in index.html. About 5 KB Brotli less (README, Size).
TERSER_DIR="$ROOT/.tools/terser/node_modules/terser"
[ -f "$TERSER_DIR/package.json" ] || { echo "build-web: no terser: run bash scripts/setup.sh" >&2; exit 1; }
wasm=$(ls dist/web-*_bg.wasm)
js="${wasm%_bg.wasm}.js"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$wasm" "$work/before.wasm"
wasm-opt -Oz "${WASM_FEATURES[@]}" --minify-imports-and-exports-and-modules \
    "$work/before.wasm" -o "$wasm" >"$work/names.json"
node "$ROOT/scripts/minify-web.mjs" dist/index.html "$js" "$wasm" "$work/before.wasm" \
    "$work/names.json" "$TERSER_DIR"
# The QR decoder for browsers without BarcodeDetector (web/qr-decoder): its
# own small wasm beside the wallet's, fetched by qr-worker.js only when Scan
# is pressed, never by a first load.
echo "build-web: qr-decoder (the Scan fallback's wasm)"
cargo build --offline -p qr-decoder --lib --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target no-modules --no-typescript --out-dir dist --out-name qr-decoder \
    "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/qr_decoder.wasm"
wasm-opt -Oz "${WASM_FEATURES[@]}" dist/qr-decoder_bg.wasm -o dist/qr-decoder_bg.wasm
cp web/qr-decoder/qr-worker.js dist/qr-worker.js
# The QR encoder (web/qr-encoder): its own small wasm too, loaded by the page
# (web/src/qr.rs) the first time it draws a code, never by a first load.
echo "build-web: qr-encoder (the wasm that draws QR codes)"
cargo build --offline -p qr-encoder --lib --target wasm32-unknown-unknown --profile wasm-release
wasm-bindgen --target no-modules --no-modules-global lockstepQrEncoder --no-typescript \
    --out-dir dist --out-name qr-encoder \
    "${CARGO_TARGET_DIR:-target}/wasm32-unknown-unknown/wasm-release/qr_encoder.wasm"
wasm-opt -Oz "${WASM_FEATURES[@]}" dist/qr-encoder_bg.wasm -o dist/qr-encoder_bg.wasm
# The glue declares its global with `let`, which a classic script does not
# put on `window`; the page finds the encoder there (web/src/qr.rs).
echo 'self.lockstepQrEncoder = lockstepQrEncoder;' >>dist/qr-encoder.js
# The service worker (web/pwa/sw.js): this build's app shell (every file
# Trunk wrote: the page, its hashed JS/wasm/CSS, the manifest and icons)
# as its list, and a cache version from those files' bytes, so each build
# caches anew and drops the last build's cache.
shell_files=$(cd dist && find . -maxdepth 1 -type f ! -name '*.br' ! -name '*.gz' ! -name 'qr-*' | sed 's|^\./||' | LC_ALL=C sort)
version=$(cd dist && printf '%s\n' $shell_files | xargs cat | sha256sum | cut -c1-16)
shell_json=$(printf '%s\n' $shell_files | awk 'BEGIN { printf "[" } { printf "%s\"/%s\"", (NR > 1 ? ", " : ""), $0 } END { printf "]" }')
sed -e "s|__VERSION__|$version|" -e "s|__SHELL__|$shell_json|" web/pwa/sw.js >dist/sw.js
echo "build-web: dist/sw.js caches $shell_json as lockstep-shell-$version"
command -v brotli >/dev/null 2>&1 || { echo "build-web: no brotli: run bash scripts/setup.sh" >&2; exit 1; }
# Trunk writes dist/ anew each build: no stale copy is left behind. -n: no
# name or time in the gzip header, so a rebuild gives the same bytes.
while IFS= read -r f; do
    gzip -9 -n -c "$f" >"$f.gz"
    brotli -q 11 -c "$f" >"$f.br"
done < <(find dist -type f ! -name '*.br' ! -name '*.gz')
echo "build-web: wrote .br (brotli -q 11) and .gz (gzip -9) beside every file in dist/"
bash scripts/first-load-size.sh dist
