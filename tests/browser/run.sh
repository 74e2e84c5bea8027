#!/usr/bin/env bash
# Builds a two-version, two-language site from `kura sample` and runs the
# browser checks on it. Called by .ci/run; runnable by hand.
#   tests/browser/run.sh [KURA_BINARY]
set -euo pipefail
cd "$(dirname "$0")"
KURA=${1:-../../target/release/kura}
KURA=$(cd "$(dirname "$KURA")" && pwd)/$(basename "$KURA")
W=$(mktemp -d /tmp/kura-browser.XXXX)
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1700000000
"$KURA" sample -o "$W/in" --stations 300 2>/dev/null
sed -i 's/^language = "en"$/languages = ["en", "sw"]\nbase_url = "https:\/\/results.example.org\/sample"/' "$W/in/election.toml"
"$KURA" build "$W/in" -o "$W/v1" >/dev/null 2>&1
# Version 2: a few numbers change.
sed -i '0~50s/,\([0-9]*\)$/,1\1/' "$W/in/results.csv"
# …and a station's register and name (an area change on the changes page and
# in the station's history).
sed -i '$s/^\([^,]*\),\([^,]*\),\(.*\),\([0-9]*\)$/\1,\2 (moved),\3,1\4/' "$W/in/areas.csv"
SOURCE_DATE_EPOCH=1700003600 "$KURA" build "$W/in" -o "$W/v2" --previous "$W/v1" >/dev/null 2>&1
# The real election in data/, for the layout check at 320px: REAL_SITE
# names one already built from it (.ci/run's README build), else it is built.
REAL=${REAL_SITE:-}
if [ -z "$REAL" ]; then
  REAL="$W/real"
  "$KURA" build ../../data -o "$REAL" >/dev/null 2>&1
fi
[ -d node_modules ] || npm ci --no-audit --no-fund --silent
node check.mjs "$W/v2" "$KURA" "${SCREENSHOTS:-../../target/screenshots}" "$REAL"
