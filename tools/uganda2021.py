#!/usr/bin/env python3
"""Converts Uganda's 2021 presidential results (all 34,684 polling stations)
into a kura input folder, to check kura on a whole national election.

    python3 tools/uganda2021.py ../shared/data/real/uganda-2021 OUT

Tree: Uganda → district → parish → polling station. Parish codes repeat
across subcounties, so a parish is keyed by district, code and name; a
station by its row. Values are copied, never changed.
"""
import csv
import os
import sys

CANDIDATES = [
    "amuriat_oboi_patrick", "kabuleeta_kiiza_joseph", "kalembe_nancy_linda", "katumba_john",
    "kyagulanyi_ssentamu_robert", "mao_norbert", "mayamba_la_willy", "mugisha_muntu_gregg",
    "mwesigye_fred", "tumukunde_henry_kakurugu", "yoweri_museveni_tibuhaburwa_kaguta",
]


def main(src, out):
    rows = list(csv.DictReader(open(os.path.join(src, "presidential_results.csv"), encoding="utf-8-sig")))
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "election.toml"), "w") as f:
        f.write('title = "Uganda 2021 presidential election"\ndate = "2021-01-14"\n'
                'levels = ["Country", "District", "Parish", "Polling station"]\n')
    districts, parishes = {}, {}
    with open(os.path.join(out, "areas.csv"), "w", newline="", encoding="utf-8") as a, \
            open(os.path.join(out, "forms.csv"), "w", newline="", encoding="utf-8") as fo, \
            open(os.path.join(out, "results.csv"), "w", newline="", encoding="utf-8") as re_:
        aw, fw, rw = csv.writer(a, lineterminator="\n"), csv.writer(fo, lineterminator="\n"), csv.writer(re_, lineterminator="\n")
        aw.writerow(["code", "name", "parent", "registered"])
        aw.writerow(["UG", "Uganda", "", ""])
        fw.writerow(["form", "area", "race", "scan", "sha256", "rejected", "total_valid", "status"])
        rw.writerow(["form", "candidate", "votes"])
        for i, r in enumerate(rows, 1):
            d = "D" + r["district_code"].strip()
            if d not in districts:
                districts[d] = r["district_name"].strip()
                aw.writerow([d, districts[d], "UG", ""])
            key = (d, r["parish_code"].strip(), r["parish_name"].strip())
            if key not in parishes:
                parishes[key] = "P%05d" % (len(parishes) + 1)
                aw.writerow([parishes[key], key[2], d, ""])
            s = "S%05d" % i
            aw.writerow([s, r["polling_station_name"].strip(), parishes[key], r["registered_voters"].strip()])
            fw.writerow(["F" + s, s, "president", "", "", r["invalid_votes"].strip(), r["valid_votes"].strip(), "verified"])
            for c in CANDIDATES:
                rw.writerow(["F" + s, c, r[c].strip()])
    with open(os.path.join(out, "races.csv"), "w") as f:
        f.write("id,name,area\npresident,President,UG\n")
    with open(os.path.join(out, "candidates.csv"), "w") as f:
        f.write("race,id,name,party\n")
        for c in CANDIDATES:
            f.write("president,%s,%s,\n" % (c, c.replace("_", " ").title()))
    print("%d stations, %d parishes, %d districts" % (len(rows), len(parishes), len(districts)))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
