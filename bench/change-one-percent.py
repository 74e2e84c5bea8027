#!/usr/bin/env python3
"""Change the votes of 1 % of the forms in a results.csv, in place: the first
line of every 100th form gets one vote more. Used by bench/run.sh and
bench/mirror.sh to make a realistic small update."""
import sys

path = sys.argv[1]
lines = open(path).read().split("\n")
seen, out = {}, [lines[0]]
for line in lines[1:]:
    if not line:
        continue
    form, cand, votes = line.rsplit(",", 2)
    n = seen.setdefault(form, len(seen))
    if n % 100 == 0 and seen.get(form + "#") is None:
        seen[form + "#"] = 1
        votes = str(int(votes) + 1)
    out.append(",".join([form, cand, votes]))
open(path, "w").write("\n".join(out) + "\n")
