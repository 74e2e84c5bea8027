#!/usr/bin/env bash
# kura's benchmark: full build, rebuild after 1 % of forms change, peak
# memory, pages per second, hashing throughput, and Hugo on the same pages.
#
#   bench/run.sh [STATIONS] [WORKDIR]        default 46229 stations (Kenya)
#   bench/run.sh --curve [WORKDIR]           memory and time at 46,229, 200,000
#                                            and 1,000,000 stations (no scans)
#
# Needs: a release build (made here), /usr/bin/time, python3, hugo (Debian's
# package) for the comparison. Prints a table; writes nothing in the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
KURA=$PWD/target/release/kura
export SOURCE_DATE_EPOCH=1700000000

# Runs a command, prints "seconds peak_kib".
measure() { /usr/bin/time -f "%e %M" -o "$W/time.txt" "$@" >"$W/out.txt" 2>"$W/err.txt"; cat "$W/time.txt"; }

if [ "${1:-}" = "--curve" ]; then
  W=${2:-$(mktemp -d /tmp/kura-bench.XXXX)}
  echo "stations  build_s  peak_MiB  pages"
  for n in 46229 200000 1000000; do
    rm -rf "$W/in" "$W/site" "$W/.site.kura-cache"
    "$KURA" sample -o "$W/in" --stations "$n" --no-scans 2>/dev/null
    read -r s m < <(measure "$KURA" build "$W/in" -o "$W/site")
    pages=$(find "$W/site" -name '*.html' | wc -l)
    printf "%8d  %7.1f  %8d  %d\n" "$n" "$s" $((m / 1024)) "$pages"
  done
  rm -rf "$W/in" "$W/site"
  exit 0
fi

N=${1:-46229}
W=${2:-$(mktemp -d /tmp/kura-bench.XXXX)}
rm -rf "$W/in" "$W/site" "$W/fresh" "$W/.site.kura-cache" "$W/.fresh.kura-cache" "$W/hugo" "$W"/.kura-*
"$KURA" sample -o "$W/in" --stations "$N" 2>/dev/null

read -r full_s full_m < <(measure "$KURA" build "$W/in" -o "$W/site" -v)
cp "$W/err.txt" "$W/full-stages.txt"
pages=$(find "$W/site" -name '*.html' | wc -l)
render_s=$(awk '$1=="render:"{print $2}' "$W/full-stages.txt")
hash_s=$(awk '$1=="hash:"{print $2}' "$W/full-stages.txt")
scan_bytes=$(du -sb "$W/in/scans" | cut -f1)
forms=$(($(wc -l <"$W/in/forms.csv") - 1))

# The second build keeps the first as the spare site; from the third on, a
# rebuild brings the spare up to date in place (election night's case).
read -r warm_s warm_m < <(measure "$KURA" build "$W/in" -o "$W/site" -v)

# Change the votes of 1 % of the forms (every 100th form's first line).
python3 bench/change-one-percent.py "$W/in/results.csv"
read -r re_s re_m < <(measure "$KURA" build "$W/in" -o "$W/site" -v)
cp "$W/err.txt" "$W/rebuild-stages.txt"
measure "$KURA" build "$W/in" -o "$W/fresh" >/dev/null
if diff -rq "$W/site" "$W/fresh" >/dev/null; then same=identical; else same=DIFFERENT; fi

hugo_s=NA
if command -v hugo >/dev/null; then
  python3 bench/hugo.py "$W/fresh" "$W/hugo"
  read -r hugo_s _ < <(measure hugo --source "$W/hugo" --destination "$W/hugo/public" --quiet)
fi

echo "stations                 $N"
echo "forms                    $forms"
echo "pages                    $pages"
echo "full build               ${full_s} s, peak $((full_m / 1024)) MiB"
echo "  stages:"; sed 's/^/    /' "$W/full-stages.txt" | grep ' s$'
echo "second build, no change  ${warm_s} s, peak $((warm_m / 1024)) MiB (keeps the first as the spare)"
echo "rebuild after 1 % forms  ${re_s} s, peak $((re_m / 1024)) MiB ($same to a fresh build)"
echo "  stages:"; sed 's/^/    /' "$W/rebuild-stages.txt" | grep ' s$'
awk -v p="$pages" -v r="$render_s" 'BEGIN{printf "pages per second         %.0f (render stage)\n", p/r}'
awk -v b="$scan_bytes" -v h="$hash_s" 'BEGIN{printf "hashing                  %.1f MB/s of scans, files included (hash stage)\n", b/h/1e6}'
if [ "$hugo_s" != NA ]; then
  awk -v h="$hugo_s" -v r="$render_s" -v f="$full_s" 'BEGIN{printf "hugo, same pages         %.1f s: %.1fx kura render stage, %.1fx kura full build\n", h, h/r, h/f}'
fi
echo "(work folder: $W)"
