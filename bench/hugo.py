#!/usr/bin/env python3
"""Writes a Hugo site that builds the same station and area pages as kura,
from a kura site's open data (areas, totals, summary, forms, results).

    python3 bench/hugo.py SITE HUGO_DIR

Hugo gets the numbers already tallied (as page parameters), so what is
timed is what both tools do: turn data into one HTML page per area.
"""
import csv
import json
import os
import sys


def main(site, out):
    data = os.path.join(site, "data")
    areas = list(csv.DictReader(open(os.path.join(data, "areas.csv"), encoding="utf-8")))
    names = {a["code"]: a["name"] for a in areas}
    parent = {a["code"]: a["parent"] for a in areas}
    children = {}
    for a in areas:
        children.setdefault(a["parent"], []).append(a["code"])
    cand = {}
    for c in csv.DictReader(open(os.path.join(data, "candidates.csv"), encoding="utf-8")):
        cand[(c["race"], c["id"])] = (c["name"], c["party"])
    races = {r["id"]: r["name"] for r in csv.DictReader(open(os.path.join(data, "races.csv"), encoding="utf-8"))}
    totals = {}
    for t in csv.DictReader(open(os.path.join(data, "totals.csv"), encoding="utf-8")):
        totals.setdefault(t["area"], {}).setdefault(t["race"], []).append((t["candidate"], int(t["votes"])))
    summary = {}
    for s in csv.DictReader(open(os.path.join(data, "summary.csv"), encoding="utf-8")):
        summary[(s["area"], s["race"])] = s
    forms = {}
    for f in csv.DictReader(open(os.path.join(data, "forms.csv"), encoding="utf-8")):
        forms[(f["area"], f["race"])] = f

    os.makedirs(os.path.join(out, "content", "areas"), exist_ok=True)
    os.makedirs(os.path.join(out, "layouts", "_default"), exist_ok=True)
    with open(os.path.join(out, "hugo.toml"), "w") as f:
        f.write('baseURL = "/"\ntitle = "results"\nuglyURLs = true\ndisableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]\n')
    with open(os.path.join(out, "layouts", "_default", "single.html"), "w") as f:
        f.write(LAYOUT)
    with open(os.path.join(out, "layouts", "_default", "list.html"), "w") as f:
        f.write("<!DOCTYPE html><title>{{ .Title }}</title>")
    for a in areas:
        code = a["code"]
        crumbs = []
        p = parent[code]
        while p:
            crumbs.append({"href": p + ".html", "name": names[p]})
            p = parent[p]
        crumbs.reverse()
        rs = []
        for race, lines in totals.get(code, {}).items():
            valid = sum(v for _, v in lines) or 1
            rows = sorted(lines, key=lambda x: -x[1])
            s = summary[(code, race)]
            form = forms.get((code, race))
            rs.append({
                "id": race,
                "name": races[race],
                "reporting": s["reporting"], "stations": s["stations"], "valid": s["valid"], "rejected": s["rejected"],
                "rows": [{"name": cand[(race, c)][0], "party": cand[(race, c)][1], "votes": v,
                          "share": "%.1f%%" % (100.0 * v / valid), "width": int(400 * v / valid)} for c, v in rows],
                "form": form["form"] if form else "", "scan": form["scan"] if form else "", "sha256": form["sha256"] if form else "",
                "children": [{"href": k + ".html", "name": names[k]} for k in children.get(code, [])],
            })
        front = {"title": names[code], "code": code, "crumbs": crumbs, "races": rs}
        with open(os.path.join(out, "content", "areas", code + ".md"), "w", encoding="utf-8") as f:
            json.dump(front, f, ensure_ascii=False)
            f.write("\n")


LAYOUT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title><link rel="stylesheet" href="../style.css"></head>
<body><nav><ol>{{ range .Params.crumbs }}<li><a href="{{ .href }}">{{ .name }}</a></li>{{ end }}</ol></nav>
<main><h1>{{ .Title }}</h1>
{{ range .Params.races }}
<section id="race-{{ .id }}"><h2>{{ .name }}</h2>
<p>{{ .reporting }} of {{ .stations }} reporting; valid {{ .valid }}; rejected {{ .rejected }}</p>
<table><thead><tr><th>Candidate</th><th>Party</th><th>Votes</th><th>Share</th></tr></thead><tbody>
{{ range .rows }}<tr><th>{{ .name }}</th><td>{{ .party }}</td><td>{{ .votes }}</td><td>{{ .share }}</td></tr>{{ end }}
</tbody></table>
<svg viewBox="0 0 420 200" role="img"><title>{{ .name }}</title>{{ range $i, $r := .rows }}<text x="2" y="{{ mul $i 44 }}">{{ $r.name }} {{ $r.votes }}</text><rect x="2" y="{{ add (mul $i 44) 20 }}" width="{{ $r.width }}" height="18"/>{{ end }}</svg>
{{ if .form }}<p>Form {{ .form }} {{ with .scan }}<a href="../{{ . }}"><img src="../{{ . }}" alt="scan"></a>{{ end }} <code>{{ .sha256 }}</code></p>{{ end }}
{{ with .children }}<table><tbody>{{ range . }}<tr><th><a href="{{ .href }}">{{ .name }}</a></th></tr>{{ end }}</tbody></table>{{ end }}
</section>
{{ end }}</main></body></html>
"""

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
