#!/usr/bin/env bash
# What `kura mirror` costs: a first copy of a Kenya-sized site and an update
# after 1 % of the forms changed, over HTTP on 127.0.0.1 (served by
# `kura serve`), with time, requests and bytes.
#
#   bench/mirror.sh [STATIONS] [WORKDIR]      default 46229 stations (Kenya)
#
# Needs a release build (made here) and /usr/bin/time. Writes nothing in the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
KURA=$PWD/target/release/kura
export SOURCE_DATE_EPOCH=1700000000
N=${1:-46229}
W=${2:-$(mktemp -d /tmp/kura-mirror-bench.XXXX)}
rm -rf "$W"/* "$W"/.kura-* "$W"/.*.kura-cache
"$KURA" sample -o "$W/in" --stations "$N" 2>/dev/null
"$KURA" keygen -o "$W/key" >/dev/null 2>&1
"$KURA" build "$W/in" -o "$W/v1" --sign "$W/key.key" -v >/dev/null 2>"$W/build1.txt"

serve() { # folder -> prints the URL, leaves the server running
  "$KURA" serve "$1" --port 0 >"$W/serve-$2.txt" 2>&1 &
  for _ in $(seq 100); do
    url=$(sed -n 's/.* at \(http[^ ]*\).*/\1/p' "$W/serve-$2.txt")
    [ -n "$url" ] && break
    sleep 0.1
  done
  echo "$url"
}
U1=$(serve "$W/v1" v1)
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

run() { # label url
  /usr/bin/time -f "%e %U %M" -o "$W/time.txt" \
    "$KURA" mirror "$2" "$W/copy" --key "$W/key.pub" --state "$W/state" >"$W/out.txt" 2>"$W/err.txt"
  read -r s u m <"$W/time.txt"
  printf "%-26s %6.1f s wall, %5.1f s user, peak %4d MiB: %s\n" "$1" "$s" "$u" $((m / 1024)) \
    "$(grep -o '[0-9]* files downloaded.*\|already current.*' "$W/out.txt")"
}

files=$(wc -l <"$W/v1/SHA256SUMS")
bytes=$(du -sb "$W/v1" | cut -f1)
echo "stations $N, site $files files, $((bytes / 1048576)) MiB"
run "first copy" "$U1"
run "again, unchanged" "$U1"

# Version 2: the votes of 1 % of the forms change (every 100th form's first line).
python3 bench/change-one-percent.py "$W/in/results.csv"
SOURCE_DATE_EPOCH=1700003600 "$KURA" build "$W/in" -o "$W/v2" --previous "$W/v1" \
  --sign "$W/key.key" -v >/dev/null 2>"$W/build2.txt"
for v in 1 2; do # what the transparency log costs a build
  printf "log of version %s: %s, %s files, %s bytes\n" "$v" \
    "$(grep -o 'log: *[0-9.]* s' "$W/build$v.txt")" \
    "$(find "$W/v$v/log" -type f | wc -l)" "$(find "$W/v$v/log" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')"
done
U2=$(serve "$W/v2" v2)
changed=$(join -v1 <(sort "$W/v2/SHA256SUMS") <(sort "$W/v1/SHA256SUMS") | wc -l)
echo "version 2: $changed of $(wc -l <"$W/v2/SHA256SUMS") listed lines differ"
run "update after 1 % change" "$U2"
"$KURA" verify "$W/copy" --key "$W/key.pub" --state "$W/state" | tail -1
echo "(work folder: $W)"
