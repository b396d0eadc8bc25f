#!/usr/bin/env bash
# Builds a statically linked `relay` and proves it: `file` must call it
# statically linked, `ldd` must find no dynamic dependencies, and the binary
# must start, answer GET /info/config on loopback and stop on SIGTERM.
#
# Target x86_64-unknown-linux-musl (rustup target and Debian's musl-tools,
# both installed by scripts/setup.sh); when either is missing it falls back to
# the gnu target with `-C target-feature=+crt-static`. rusqlite bundles SQLite
# and PostgreSQL's TLS is rustls over ring (its C and assembly compiled in, by
# the same C compiler), so no system C library is needed besides libc.
#
# Usage: bash scripts/static-relay.sh [--profile NAME] [--out PATH] [--gnu]
#   --profile  cargo profile (default: release, the one operators ship)
#   --out      where to copy the binary (default: target/static/relay)
#   --gnu      use the gnu fallback even when musl is available
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

profile=release
out="$ROOT/target/static/relay"
force_gnu=0
while [ $# -gt 0 ]; do
    case "$1" in
        --profile) profile=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --gnu) force_gnu=1; shift ;;
        *) echo "usage: $0 [--profile NAME] [--out PATH] [--gnu]" >&2; exit 2 ;;
    esac
done

say() { printf 'static-relay: %s\n' "$*"; }
fail() { printf 'static-relay: FAIL: %s\n' "$*" >&2; exit 1; }

musl=x86_64-unknown-linux-musl
if [ "$force_gnu" = 0 ] && rustup target list --installed 2>/dev/null | grep -qx "$musl" && command -v musl-gcc >/dev/null 2>&1; then
    target=$musl
    flags=""
else
    [ "$force_gnu" = 1 ] || say "no $musl target or no musl-gcc (scripts/setup.sh installs both)"
    say "using the gnu target with +crt-static"
    target=x86_64-unknown-linux-gnu
    # With an explicit --target, RUSTFLAGS reach only the target's crates,
    # not build scripts and proc-macros (which stay dynamic host programs).
    flags="-C target-feature=+crt-static"
fi

# The profile's directory name: `dev` builds into debug/.
dir=$profile
[ "$profile" = dev ] && dir=debug

say "cargo build -p relay --profile $profile --target $target ${flags:+(RUSTFLAGS=$flags)}"
start=$(date +%s)
RUSTFLAGS="${RUSTFLAGS:-} $flags" cargo build -p relay --bin relay --profile "$profile" --target "$target"
built="${CARGO_TARGET_DIR:-$ROOT/target}/$target/$dir/relay"
say "built in $(($(date +%s) - start)) s: $built"

mkdir -p "$(dirname "$out")"
cp "$built" "$out"

# file(1): "statically linked" (static) or "static-pie linked" (static PIE).
desc=$(file -b "$out")
say "file: $desc"
case "$desc" in
    *"statically linked"* | *"static-pie linked"*) ;;
    *) fail "file does not call $out statically linked" ;;
esac

# ldd(1) exits non-zero for a static executable; only its words matter.
lddout=$(ldd "$out" 2>&1 || true)
say "ldd: $(printf '%s' "$lddout" | tr -s ' \t\n' ' ')"
case "$lddout" in
    *"not a dynamic executable"* | *"statically linked"*) ;;
    *) fail "ldd lists dynamic dependencies of $out" ;;
esac

# It runs: starts on a fresh SQLite file, answers on loopback, stops on SIGTERM.
tmp=$(mktemp -d)
pid=""
cleanup() {
    if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
    rm -rf "$tmp"
}
trap cleanup EXIT
NO_COLOR=1 RUST_LOG=info "$out" --listen 127.0.0.1:0 --database "sqlite://$tmp/relay.db" >"$tmp/log" 2>&1 &
pid=$!
addr=""
for _ in $(seq 1 100); do
    addr=$(sed 's/\x1b\[[0-9;]*m//g' "$tmp/log" | grep -o 'addr=127\.0\.0\.1:[0-9]*' | head -n 1 | cut -d= -f2 || true)
    [ -n "$addr" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$addr" ] || { cat "$tmp/log" >&2; fail "the static relay did not start"; }
config=$(curl -fsS --max-time 10 "http://$addr/info/config") || fail "GET /info/config failed"
case "$config" in
    *'"version":1'*) ;;
    *) fail "unexpected /info/config answer: $config" ;;
esac
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=""
[ "$status" -eq 0 ] || fail "the relay exited with status $status after SIGTERM"

size=$(stat -c %s "$out")
say "OK: $out ($target, profile $profile) is static, $size bytes ($(( (size + 524288) / 1048576 )) MiB); it served /info/config on $addr and stopped on SIGTERM"
