#!/usr/bin/env bash
# Prints what a first load of the web wallet transfers, per file of dist/
# (index.html, the CSS, the JS, the wasm: everything but the .br/.gz
# copies; not the QR decoder, qr-*, fetched only when Scan is pressed on a
# browser without BarcodeDetector) and in total: raw, gzip -9 (.gz) and Brotli q11 (.br) bytes, the
# body bytes the relay sends for each Accept-Encoding (HTTP headers not
# counted). Reads the copies scripts/build-web.sh wrote.
# Usage: bash scripts/first-load-size.sh [DIST]   (default dist/)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIST="${1:-$ROOT/dist}"
[ -f "$DIST/index.html" ] || { echo "first-load-size: no $DIST/index.html: run bash scripts/build-web.sh" >&2; exit 1; }

size() { # FILE -> bytes, or "-" when the file is missing
    if [ -f "$1" ]; then wc -c <"$1" | tr -d ' '; else echo -; fi
}

total_raw=0 total_gz=0 total_br=0 missing=0
printf '%-40s %10s %10s %10s\n' file raw gzip-9 br-q11
while IFS= read -r f; do
    raw=$(size "$f") gz=$(size "$f.gz") br=$(size "$f.br")
    printf '%-40s %10s %10s %10s\n' "${f#"$DIST"/}" "$raw" "$gz" "$br"
    total_raw=$((total_raw + raw))
    if [ "$gz" = - ] || [ "$br" = - ]; then missing=1; continue; fi
    total_gz=$((total_gz + gz))
    total_br=$((total_br + br))
done < <(find "$DIST" -type f ! -name '*.br' ! -name '*.gz' ! -name 'qr-*' | LC_ALL=C sort)
printf '%-40s %10s %10s %10s\n' "first load (total)" "$total_raw" "$total_gz" "$total_br"
if [ "$missing" = 1 ]; then
    echo "first-load-size: some files have no .gz or .br copy (not counted): run bash scripts/build-web.sh" >&2
    exit 1
fi
