#!/usr/bin/env bash
# kura's benchmark, the source of every figure in docs/performance.md: full
# build, a build with nothing changed, rebuilds after 1 % of forms change,
# peak memory, pages per second, hashing throughput, `cp -r` of the output,
# and Hugo on the same pages.
#
#   bench/run.sh [STATIONS] [WORKDIR]        default 46229 stations (Kenya),
#                                            a scan per form
#   bench/run.sh --curve [WORKDIR]           46,229, 200,000 (Nigeria) and
#                                            1,000,000 (India) stations, no
#                                            scans: full build and 1 % rebuild
#   bench/run.sh --memory [WORKDIR]          200,000 and 1,000,000 stations, no
#                                            scans: time and peak memory of
#                                            `kura check` and of a full build
#   bench/run.sh --uganda [WORKDIR]          Uganda 2021 (real data, 34,684
#                                            stations): render stage and the
#                                            whole build against `cp -r`
#
# Needs: a release build (made here), /usr/bin/time, python3, hugo (Debian's
# package) for the comparison. Prints a table; writes nothing in the repo.
# Figures on a shared disk vary between runs (×2 is common): run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
KURA=$PWD/target/release/kura
REPO=$PWD
export SOURCE_DATE_EPOCH=1700000000

# Runs a command, prints "seconds peak_kib".
measure() { /usr/bin/time -f "%e %M" -o "$W/time.txt" "$@" >"$W/out.txt" 2>"$W/err.txt"; cat "$W/time.txt"; }
# A stage's seconds from a `kura build -v` report.
stage() { awk -v s="$1:" '{l=$0; sub(/^ +/, "", l)} index(l, s)==1{print $(NF-1)}' "$2"; }
# Seconds `cp -r` takes to copy folder $1 (the copy is removed after).
copy_time() {
  rm -rf "$W/copy"; sync
  /usr/bin/time -f "%e" -o "$W/cp.txt" cp -r "$1" "$W/copy"
  rm -rf "$W/copy"; cat "$W/cp.txt"
}
# Changes 1 % of the forms of input $1 and rebuilds it into $2; prints
# "seconds peak_kib" and keeps the stages in $W/rebuild-stages.txt.
rebuild() {
  python3 bench/change-one-percent.py "$1/results.csv"
  measure "$KURA" build "$1" -o "$2" -v
  cp "$W/err.txt" "$W/rebuild-stages.txt"
}

if [ "${1:-}" = "--curve" ]; then
  W=${2:-$(mktemp -d /tmp/kura-bench.XXXX)}
  echo "stations  build_s  peak_MiB  pages  rebuild_1%_s  rebuild_peak_MiB  same"
  for n in 46229 200000 1000000; do
    rm -rf "$W/in" "$W/site" "$W/fresh" "$W"/.site.kura-cache "$W"/.fresh.kura-cache "$W"/.kura-*
    "$KURA" sample -o "$W/in" --stations "$n" --no-scans 2>/dev/null
    read -r s m < <(measure "$KURA" build "$W/in" -o "$W/site")
    pages=$(find "$W/site" -name '*.html' | wc -l)
    # The first rebuild makes the spare; the second updates it in place,
    # as every rebuild of an election night does.
    rebuild "$W/in" "$W/site" >/dev/null
    rebuild "$W/in" "$W/site" >"$W/re.txt"
    read -r rs rm_ <"$W/re.txt"
    measure "$KURA" build "$W/in" -o "$W/fresh" >/dev/null
    if diff -rq "$W/site" "$W/fresh" >/dev/null; then same=identical; else same=DIFFERENT; fi
    printf "%8d  %7.1f  %8d  %6d  %12.1f  %16d  %s\n" "$n" "$s" $((m / 1024)) "$pages" "$rs" $((rm_ / 1024)) "$same"
    grep ' s$' "$W/rebuild-stages.txt" | tr -s ' ' | paste -sd' ' | fold -w 100 -s | sed 's/^/    /' || true
  done
  rm -rf "$W/in" "$W/site" "$W/fresh" "$W"/.kura-*
  exit 0
fi

if [ "${1:-}" = "--memory" ]; then
  W=${2:-$(mktemp -d /tmp/kura-bench.XXXX)}
  echo "stations  check_s  check_peak_MiB  build_s  build_peak_MiB"
  for n in 200000 1000000; do
    rm -rf "$W/in" "$W/site" "$W"/.site.kura-cache "$W"/.kura-*
    "$KURA" sample -o "$W/in" --stations "$n" --no-scans 2>/dev/null
    read -r cs cm < <(measure "$KURA" check "$W/in")
    read -r bs bm < <(measure "$KURA" build "$W/in" -o "$W/site")
    printf "%8d  %7.1f  %14d  %7.1f  %14d\n" "$n" "$cs" $((cm / 1024)) "$bs" $((bm / 1024))
  done
  rm -rf "$W/in" "$W/site" "$W"/.site.kura-cache "$W"/.kura-*
  exit 0
fi

if [ "${1:-}" = "--uganda" ]; then
  W=${2:-$(mktemp -d /tmp/kura-bench.XXXX)}
  rm -rf "$W/ug" "$W/site" "$W"/.site.kura-cache "$W"/.kura-*
  python3 tools/uganda2021.py "$REPO/../shared/data/real/uganda-2021" "$W/ug" >/dev/null
  for run in 1 2; do
    rm -rf "$W/site" "$W"/.site.kura-cache; sync
    read -r s m < <(measure "$KURA" build "$W/ug" -o "$W/site" -v)
    c=$(copy_time "$W/site")
    printf "run %d: build %.2f s (render stage %s s, open data %s s), peak %d MiB; cp -r %.2f s; build/cp %.2f\n" \
      "$run" "$s" "$(stage render "$W/err.txt")" "$(stage 'open data' "$W/err.txt")" $((m / 1024)) "$c" \
      "$(awk -v a="$s" -v b="$c" 'BEGIN{print a/b}')"
  done
  echo "pages $(find "$W/site" -name '*.html' | wc -l), files $(find "$W/site" -type f | wc -l), $(du -sh "$W/site" | cut -f1)"
  rm -rf "$W/ug" "$W/site"
  exit 0
fi

N=${1:-46229}
W=${2:-$(mktemp -d /tmp/kura-bench.XXXX)}
rm -rf "$W/in" "$W/site" "$W/fresh" "$W/.site.kura-cache" "$W/.fresh.kura-cache" "$W/hugo" "$W"/.kura-*
"$KURA" sample -o "$W/in" --stations "$N" 2>/dev/null

read -r full_s full_m < <(measure "$KURA" build "$W/in" -o "$W/site" -v)
cp "$W/err.txt" "$W/full-stages.txt"
pages=$(find "$W/site" -name '*.html' | wc -l)
render_s=$(stage render "$W/full-stages.txt")
hash_s=$(stage hash "$W/full-stages.txt")
scan_bytes=$(du -sb "$W/in/scans" | cut -f1)
forms=$(($(wc -l <"$W/in/forms.csv") - 1))
cp_s=$(copy_time "$W/site")

# Nothing changed: the build finds the site up to date.
read -r same_s same_m < <(measure "$KURA" build "$W/in" -o "$W/site" -v)
cp "$W/err.txt" "$W/same-stages.txt"

# Votes of 1 % of the forms change (every 100th form's first line). The
# first rebuild keeps the replaced site as the spare; from the second on, a
# rebuild brings the spare up to date in place (election night's case).
rebuild "$W/in" "$W/site" >"$W/re.txt"
read -r re1_s _ <"$W/re.txt"
rebuild "$W/in" "$W/site" >"$W/re.txt"
read -r re_s re_m <"$W/re.txt"
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
echo "full build               ${full_s} s, peak $((full_m / 1024)) MiB; cp -r of its output ${cp_s} s"
echo "  stages:"; grep ' s$' "$W/full-stages.txt" | sed 's/^/    /' || true
echo "build, nothing changed   ${same_s} s, peak $((same_m / 1024)) MiB"
echo "  stages:"; grep ' s$' "$W/same-stages.txt" | sed 's/^/    /' || true
echo "rebuild after 1 % forms  ${re_s} s, peak $((re_m / 1024)) MiB, spare updated in place ($same to a fresh build); first rebuild (makes the spare) ${re1_s} s"
echo "  stages:"; grep ' s$' "$W/rebuild-stages.txt" | sed 's/^/    /' || true
awk -v p="$pages" -v r="$render_s" 'BEGIN{printf "pages per second         %.0f (render stage)\n", p/r}'
awk -v b="$scan_bytes" -v h="$hash_s" 'BEGIN{printf "hashing                  %.1f MB/s of scans, files included (hash stage)\n", b/h/1e6}'
if [ "$hugo_s" != NA ]; then
  awk -v h="$hugo_s" -v r="$render_s" -v f="$full_s" 'BEGIN{printf "hugo, same pages         %.1f s: %.1fx kura render stage, %.1fx kura full build\n", h, h/r, h/f}'
fi
echo "(work folder: $W)"
