#!/usr/bin/env bash
# Checks kura's transparency log with an implementation kura did not write:
# Go's golang.org/x/mod/sumdb/tlog and sumdb/note (Debian packages
# golang-go and golang-golang-x-mod-dev). Builds three signed versions of
# a small sample with the kura binary given, runs check.go on them (tree
# hash from the entries, inclusion and consistency proofs through the
# tiles, the checkpoint opened with kura's verifier key), then makes sure
# the same check fails on a tampered entry and on another key.
#   tests/interop/run.sh [KURA_BINARY]
set -euo pipefail
cd "$(dirname "$0")"
KURA="${1:-../../target/debug/kura}"
KURA="$(cd "$(dirname "$KURA")" && pwd)/$(basename "$KURA")"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
export GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE="$W/gocache" GOFLAGS=
go build -o "$W/check" check.go

"$KURA" keygen -o "$W/key" >"$W/vkey" 2>/dev/null
"$KURA" keygen -o "$W/other" >"$W/other-vkey" 2>/dev/null
"$KURA" sample -o "$W/in" --stations 40 2>/dev/null
for i in 1 2 3; do
  prev=()
  if [ "$i" -gt 1 ]; then prev=(--previous "$W/v$((i - 1))"); fi
  SOURCE_DATE_EPOCH=$((1700000000 + 3600 * i)) \
    "$KURA" build "$W/in" -o "$W/v$i" "${prev[@]}" --sign "$W/key.key" >/dev/null 2>&1
  # The next version: one more vote on the first result line.
  awk -F, 'NR == 2 { $NF = $NF + 1 } { print }' OFS=, "$W/in/results.csv" >"$W/r" && mv "$W/r" "$W/in/results.csv"
done

"$W/check" "$(cat "$W/vkey")" "$W/v1" "$W/v2" "$W/v3"

# The same check must fail on what it should refuse.
if "$W/check" "$(cat "$W/other-vkey")" "$W/v3" >/dev/null 2>&1; then
  echo "FAIL: the checkpoint opened with another key" >&2; exit 1
fi
cp -r "$W/v3" "$W/bad"
bundle="$W/bad/log/tile/entries/000.p/3"
python3 - "$bundle" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
i = b.index(b"seq 2")
b[i + 4] = ord("9")
open(p, "wb").write(bytes(b))
PY
if "$W/check" "$(cat "$W/vkey")" "$W/bad" >/dev/null 2>&1; then
  echo "FAIL: a tampered entry was accepted" >&2; exit 1
fi
echo "ok: Go's sumdb/tlog and sumdb/note accept kura's log, and refuse a tampered entry and another key"
