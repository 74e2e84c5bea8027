// kura's site as a person meets it, in Debian's Chromium driven by
// playwright-core: accessibility (axe-core), valid HTML (the Nu checker),
// no broken link or anchor, page weights from what the browser transferred,
// search with JavaScript on, file:// use, the Kiswahili site, screenshots.
//
//   node check.mjs SITE KURA_BINARY SCREENSHOT_DIR
//
// SITE must be built with languages ["en", "sw"] and --previous (so that it
// has a changes page). Exits non-zero on any failure.
import { chromium } from "playwright-core";
import { spawn, spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import url from "node:url";

const require = createRequire(import.meta.url);
const [site, kura, shots, realSite] = process.argv.slice(2);
if (!site || !kura || !shots) {
  console.error("usage: node check.mjs SITE KURA SCREENSHOT_DIR");
  process.exit(2);
}
fs.mkdirSync(shots, { recursive: true });
const failures = [];
const fail = (msg) => { failures.push(msg); console.log("FAIL " + msg); };
const ok = (msg) => console.log("ok   " + msg);

// ---- what to look at, from the site's own open data ----
function csv(file) {
  const text = fs.readFileSync(path.join(site, "data", file), "utf8").trimEnd().split("\n");
  const parse = (line) => {
    const out = []; let cur = ""; let q = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (q) { if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c; }
      else if (c === '"') q = true; else if (c === ",") { out.push(cur); cur = ""; } else cur += c;
    }
    out.push(cur); return out;
  };
  const head = parse(text[0]);
  return text.slice(1).map((l) => Object.fromEntries(parse(l).map((v, i) => [head[i], v])));
}
const areas = csv("areas.csv");
const forms = csv("forms.csv");
const parents = new Set(areas.map((a) => a.parent));
const root = areas.find((a) => a.parent === "");
const county = areas.find((a) => a.parent === root.code && parents.has(a.code));
const station = areas.find((a) => !parents.has(a.code) && forms.some((f) => f.area === a.code && f.scan.endsWith(".png")));
const ward = areas.find((a) => a.code === station.parent);
const pages = {
  root: "index.html",
  county: county.url,
  ward: ward.url,
  station: station.url,
  findings: `findings/${root.code}.html`,
  changes: "changes/2.html",
  "moved station": areas.find((a) => a.name.endsWith("(moved)")).url,
  markdown: fs.readdirSync(path.join(site, "pages")).map((p) => "pages/" + p)[0],
  "sw root": "sw/index.html",
  "sw station": "sw/" + station.url,
  "sw findings": `sw/findings/${root.code}.html`,
};

// ---- a local server: kura serve ----
const server = spawn(kura, ["serve", site, "--port", "0"], { stdio: ["ignore", "pipe", "ignore"] });
process.on("exit", () => server.kill());
const base = await new Promise((resolve, reject) => {
  server.stdout.on("data", (d) => { const m = /at (http:\/\/[^ ]+)/.exec(String(d)); if (m) resolve(m[1]); });
  server.on("exit", (c) => reject(new Error("kura serve exited " + c)));
});
ok(`kura serve at ${base}`);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

try {
  // ---- accessibility: axe-core on each kind of page ----
  const axePath = require.resolve("axe-core/axe.min.js");
  for (const [name, p] of Object.entries(pages)) {
    const ctx = await browser.newContext({ bypassCSP: true });
    const page = await ctx.newPage();
    await page.goto(base + p);
    await page.addScriptTag({ path: axePath });
    const result = await page.evaluate(async () => await window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    }));
    const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    for (const v of result.violations) {
      console.log(`     axe ${name}: ${v.impact} ${v.id}: ${v.help} (${v.nodes.length}) e.g. ${v.nodes[0].target}`);
    }
    if (bad.length) fail(`axe: ${bad.length} serious or critical violation(s) on ${name} (${p})`);
    else ok(`axe: no serious or critical violations on ${name} (${p})`);
    await ctx.close();
  }

  // ---- page weight, as transferred ----
  // (The station page's budget grew from 34 to 36 KiB when each candidate's
  // party got a line of its own for phones: about 1.6 KB on a six-race page.)
  for (const [name, p, budget] of [["station", pages.station, 36 * 1024], ["root", pages.root, 60 * 1024]]) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const responses = [];
    // Only what comes from the site (not the PDF viewer's own files), scans excepted.
    page.on("response", (r) => { if (r.url().startsWith(base) && !r.url().includes("/scans/")) responses.push(r); });
    await page.goto(base + p, { waitUntil: "networkidle" });
    let bytes = 0;
    const seen = [];
    for (const r of responses) {
      const body = await r.body().catch(() => Buffer.alloc(0));
      const headers = Object.entries(await r.allHeaders().catch(() => ({}))).map(([k, v]) => `${k}: ${v}\r\n`).join("");
      bytes += body.length + headers.length + 20;
      seen.push(r.url());
    }
    if (bytes > budget) fail(`weight: ${name} page transferred ${bytes} B > ${budget} B (${seen.length} responses)`);
    else ok(`weight: ${name} page ${bytes} B ≤ ${budget} B without scans (${seen.length} responses)`);
    await ctx.close();
  }

  // ---- search, with JavaScript, over HTTP and from file:// ----
  const word = station.name.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 4)[0] || station.code;
  const fragment = word.slice(0, Math.max(3, word.length - 1));
  for (const [how, start] of [["http", base + "index.html"], ["file", url.pathToFileURL(path.resolve(site, "index.html")).href]]) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const errors = [];
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(start);
    await page.fill("#q", fragment);
    try {
      await page.waitForSelector(`#q-results a:has-text("${station.name.replace(/"/g, '\\"')}")`, { timeout: 10000 });
      await page.click(`#q-results a:has-text("${station.name.replace(/"/g, '\\"')}")`);
      await page.waitForLoadState();
      if (!page.url().endsWith(station.url)) fail(`search (${how}): the result led to ${page.url()}`);
      else ok(`search (${how}): "${fragment}" found ${station.name} and led to its page`);
    } catch (e) {
      fail(`search (${how}): "${fragment}" did not find ${station.name}: ${e.message.split("\n")[0]}`);
    }
    const css = await page.evaluate(() => getComputedStyle(document.querySelector("header.site")).borderBottomStyle);
    if (css !== "solid") fail(`file/http (${how}): the style sheet did not apply`);
    if (errors.length) fail(`console errors (${how}): ${errors.join(" | ")}`);
    else ok(`no console errors (${how}), style sheet applied`);
    await ctx.close();
  }

  // ---- scans checked in the reader's browser: intact, tampered, from disk ----
  {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(base + pages.station);
    const figures = await page.locator("figure.scan").count();
    try {
      await page.waitForFunction((n) => document.querySelectorAll(".browser-check.ok").length === n, figures, { timeout: 15000 });
      const said = await page.locator(".browser-check.ok").first().innerText();
      if (!/Checked in your browser/.test(said)) fail(`scan check (http): said "${said}"`);
      else ok(`scan check (http): all ${figures} scan(s) on the station page checked in the browser`);
    } catch (e) {
      const said = await page.locator(".browser-check").allInnerTexts();
      fail(`scan check (http): not all ${figures} scans checked: ${JSON.stringify(said)}`);
    }
    if (errors.length) fail(`scan check (http): script errors: ${errors.join("; ")}`);
    await ctx.close();
  }
  {
    // A plain-HTTP mirror has no crypto.subtle: the site's own sha256.js
    // is loaded instead and gives the same answer.
    const ctx = await browser.newContext();
    await ctx.addInitScript(() => { Object.defineProperty(window.crypto, "subtle", { value: undefined }); });
    const page = await ctx.newPage();
    await page.goto(base + pages.station);
    const figures = await page.locator("figure.scan").count();
    try {
      await page.waitForFunction((n) => document.querySelectorAll(".browser-check.ok").length === n, figures, { timeout: 15000 });
      const fallback = await page.evaluate(() => typeof window.kuraSha256 === "function");
      if (!fallback) fail("scan check (no crypto.subtle): sha256.js was not used");
      else ok(`scan check (no crypto.subtle): all ${figures} scan(s) checked with the site's sha256.js`);
    } catch (e) {
      fail(`scan check (no crypto.subtle): ${JSON.stringify(await page.locator(".browser-check").allInnerTexts())}`);
    }
    await ctx.close();
  }
  {
    // A mirror that serves other bytes for one scan (the page and its hash
    // untouched): the reader is warned.
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const png = forms.find((f) => f.area === station.code && f.scan.endsWith(".png")).scan;
    await page.route("**/" + png, (route) => route.fulfill({ status: 200, contentType: "image/png", body: Buffer.from("\x89PNG tampered") }));
    await page.goto(base + pages.station);
    try {
      await page.waitForSelector(".browser-check.bad", { timeout: 15000 });
      const said = await page.locator(".browser-check.bad").first().innerText();
      const bad = await page.locator(".browser-check.bad").count();
      if (!/does NOT have the SHA-256/.test(said) || bad !== 1) fail(`scan check (tampered): ${bad} warning(s): "${said}"`);
      else ok(`scan check (tampered): the altered scan is flagged: "${said.slice(0, 60)}…"`);
    } catch (e) {
      fail(`scan check (tampered): no warning: ${JSON.stringify(await page.locator(".browser-check").allInnerTexts())}`);
    }
    await page.screenshot({ path: path.join(shots, "scan-tampered-390.png") });
    await ctx.close();
  }
  {
    // From disk the browser may not fetch the file: it asks for it, and
    // checks the file the reader chooses.
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    await page.goto(url.pathToFileURL(path.resolve(site, pages.station)).href);
    const first = page.locator("figure.scan").first();
    try {
      await first.locator(".browser-check.ok, .browser-check input[type=file]").first().waitFor({ timeout: 15000 });
      const input = first.locator(".browser-check input[type=file]");
      if (await input.count()) {
        const href = await first.locator("[href]").first().getAttribute("href");
        await input.setInputFiles(path.resolve(site, path.dirname(pages.station), href));
        await first.locator(".browser-check.ok").waitFor({ timeout: 15000 });
        ok("scan check (file://): the browser asked for the scan, and checked the file chosen");
      } else {
        ok("scan check (file://): checked in the browser");
      }
    } catch (e) {
      fail(`scan check (file://): ${JSON.stringify(await page.locator(".browser-check").allInnerTexts())}`);
    }
    await ctx.close();
  }

  // ---- phone widths: nothing scrolls sideways, not even a table; and
  // screenshots at phone and desktop width ----
  let tablesChecked = 0;
  for (const width of [320, 360, 390, 1280]) {
    const ctx = await browser.newContext({ viewport: { width, height: 900 } });
    const page = await ctx.newPage();
    for (const [name, p] of [["root", pages.root], ["county", pages.county], ["station", pages.station], ["ward", pages.ward], ["findings", pages.findings],
      ["changes", pages.changes], ["sw-station", pages["sw station"]], ["sw-root", "sw/index.html"]]) {
      await page.goto(base + p);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      if (overflow > 0) fail(`layout: ${name} is ${overflow}px wider than a ${width}px screen`);
      if (width < 400) {
        const wide = await page.evaluate(() => [...document.querySelectorAll(".table-wrap")]
          .map((w) => [w.scrollWidth - w.clientWidth, w.querySelector("caption, thead th")?.textContent ?? ""]));
        tablesChecked += wide.length;
        for (const [by, what] of wide.filter(([by]) => by > 0)) {
          fail(`layout: a table of ${name} (${what}) scrolls ${by}px sideways on a ${width}px screen`);
        }
      }
      if (width !== 360) await page.screenshot({ path: path.join(shots, `${name}-${width}.png`), fullPage: true });
    }
    await ctx.close();
  }
  ok(`phone widths: no page or table scrolls sideways at 320, 360 or 390px (${tablesChecked} tables)`);

  // ---- maps, at phone width: inside the screen, one named link per child
  // (the children table's links), and a tap on an area opens its page ----
  for (const [name, p] of [["root", pages.root], ["county", pages.county], ["ward", pages.ward]]) {
    const ctx = await browser.newContext({ viewport: { width: 360, height: 800 }, hasTouch: true, isMobile: true });
    const page = await ctx.newPage();
    await page.goto(base + p);
    const map = page.locator("figure.map svg.map").first();
    if (await map.count() === 0) { fail(`map: none on the ${name} page (${p})`); await ctx.close(); continue; }
    const box = await map.boundingBox();
    const info = await page.evaluate(() => {
      const links = [...document.querySelectorAll("figure.map svg a")];
      const table = [...document.querySelectorAll("table.children")][0];
      const rows = table ? [...table.querySelectorAll("tbody a")].map((a) => a.getAttribute("href")) : [];
      return {
        hrefs: links.map((a) => a.getAttribute("href")),
        named: links.filter((a) => (a.getAttribute("aria-label") || "").trim().length > 0).length,
        rows,
        bytes: document.querySelector("figure.map").outerHTML.length,
      };
    });
    const same = JSON.stringify([...info.hrefs].sort()) === JSON.stringify([...info.rows].sort());
    if (box.x < 0 || box.x + box.width > 360) fail(`map: the ${name} map is ${box.width}px wide at ${box.x}, off a 360px screen`);
    else if (!same) fail(`map: the ${name} map links ${info.hrefs.length} areas, its table ${info.rows.length}`);
    else if (info.named !== info.hrefs.length) fail(`map: ${info.hrefs.length - info.named} unnamed links on the ${name} map`);
    else if (info.bytes >= 30000) fail(`map: the ${name} map is ${info.bytes} bytes`);
    else {
      // Tap the middle of the first shape (or dot): its page opens.
      const first = page.locator("figure.map svg a").first();
      const target = new URL(info.hrefs[0], base + p).href;
      await first.locator("path, circle").first().tap();
      await page.waitForURL(target, { timeout: 5000 }).catch(() => {});
      if (page.url() !== target) fail(`map: a tap on the ${name} map's first area opened ${page.url()}, not ${target}`);
      else ok(`map: ${name} map fits 360px (${Math.round(box.width)}px), ${info.hrefs.length} named links as its table, ${info.bytes} bytes; a tap opens the child's page`);
    }
    await page.goto(base + p);
    await page.locator("figure.map").screenshot({ path: path.join(shots, `map-${name}-360.png`) });
    await ctx.close();
  }

  // ---- the real election (data/): no page scrolls sideways at 320px ----
  if (realSite) {
    const real = (f) => fs.readFileSync(path.join(realSite, "data", f), "utf8").split("\n").slice(1).filter((l) => l).map((l) => l.split(","));
    const rareas = real("areas.csv");
    // code,name,parent,level,registered,url: one page of each level (the
    // longest name of each, the likeliest to overflow), and the others.
    const byLevel = new Map();
    for (const a of rareas) {
      const best = byLevel.get(a[a.length - 3]);
      if (!best || a[1].length > best[1].length) byLevel.set(a[a.length - 3], a);
    }
    const realPages = [...byLevel.values()].map((a) => a[a.length - 1])
      .concat(["data/index.html", "pages/about.html", "az/index.html", `findings/${rareas[0][0]}.html`]);
    const ctx = await browser.newContext({ viewport: { width: 320, height: 800 } });
    const page = await ctx.newPage();
    let wide = 0;
    for (const p of realPages) {
      await page.goto(url.pathToFileURL(path.join(realSite, p)).href);
      const over = await page.evaluate(() => [document.documentElement.scrollWidth - window.innerWidth,
        ...[...document.querySelectorAll(".table-wrap")].map((w) => w.scrollWidth - w.clientWidth)]);
      if (Math.max(...over) > 0) { wide++; fail(`layout (real data): ${p} scrolls ${Math.max(...over)}px sideways at 320px`); }
    }
    await page.goto(url.pathToFileURL(path.join(realSite, "index.html")).href);
    await page.screenshot({ path: path.join(shots, "real-root-320.png"), fullPage: true });
    await ctx.close();
    if (wide === 0) ok(`real data: none of ${realPages.length} pages (each level, the open data, about, A–Z, findings) scrolls sideways at 320px`);
  }
  ok(`screenshots in ${shots}`);

  // ---- the Kiswahili site has no English interface string ----
  const toml = (f) => Object.fromEntries(fs.readFileSync(new URL(`../../locales/${f}`, import.meta.url), "utf8")
    .split("\n").filter((l) => /^[a-z_0-9]+ = "/.test(l)).map((l) => [l.split(" = ")[0], JSON.parse(l.slice(l.indexOf("=") + 2))]));
  const en = toml("en.toml"), sw = toml("sw.toml");
  // Strings of two words or more: a single word ("disputed") also occurs in
  // check ids and names, which are identifiers, not interface text.
  const english = Object.entries(en).filter(([k, v]) => v !== sw[k] && v.includes(" ") && k !== "lang_name" && !k.startsWith("detail_")).map(([, v]) => v);
  // Findings' details are templates: look for their fixed words.
  const details = Object.entries(en).filter(([k]) => k.startsWith("detail_"))
    .flatMap(([, v]) => v.split(/\{\d\}/)).map((f) => f.trim()).filter((f) => f.includes(" ") && f.length > 8);
  const swPages = [];
  (function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      // Markdown pages are the publisher's own text, in whatever language they wrote.
      if (e.isDirectory()) { if (e.name !== "pages") walk(p); } else if (p.endsWith(".html")) swPages.push(p);
    }
  })(path.join(site, "sw"));
  // Names from the input are never translated: take them out first.
  const input = new Set();
  for (const a of areas) { input.add(a.name); input.add(a.level); }
  for (const c of csv("candidates.csv")) { input.add(c.name); input.add(c.party); }
  for (const r of csv("races.csv")) input.add(r.name);
  const names = [...input].filter((x) => x).sort((a, b) => b.length - a.length);
  const decode = (t) => t.replace(/&#39;/g, "'").replace(/&#38;/g, "&").replace(/&#34;/g, '"').replace(/&#60;/g, "<").replace(/&#62;/g, ">");
  let leaks = 0;
  for (const p of swPages) {
    let text = decode(fs.readFileSync(p, "utf8").replace(/<[^>]+>/g, " "));
    for (const n of names) text = text.split(n).join(" ");
    const checks = english.concat(details);
    for (const s of checks) {
      if (text.includes(s)) { if (leaks++ < 10) fail(`Kiswahili: "${s}" in ${path.relative(site, p)}`); }
    }
  }
  if (leaks === 0) ok(`Kiswahili: no English interface string on ${swPages.length} pages`);

  // ---- every link and anchor of every page resolves ----
  const all = [];
  (function walk(dir) {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p); else if (p.endsWith(".html")) all.push(p);
    }
  })(site);
  const ids = new Map();
  const idsOf = (file) => {
    if (!ids.has(file)) ids.set(file, new Set([...fs.readFileSync(file, "utf8").matchAll(/ id="([^"]+)"/g)].map((m) => m[1])));
    return ids.get(file);
  };
  let links = 0, broken = 0;
  for (const file of all) {
    const html = fs.readFileSync(file, "utf8");
    for (const m of html.matchAll(/ (?:href|src|data)="([^"]*)"/g)) {
      const target = m[1].replace(/&amp;/g, "&");
      if (/^(https?:|mailto:)/.test(target)) continue;
      links++;
      const [rel, anchor] = target.split("#");
      const dest = rel === "" ? file : path.resolve(path.dirname(file), decodeURIComponent(rel));
      if (!fs.existsSync(dest)) { if (broken++ < 10) fail(`link: ${path.relative(site, file)} → ${target}`); continue; }
      if (anchor && dest.endsWith(".html") && !idsOf(dest).has(anchor)) { if (broken++ < 10) fail(`anchor: ${path.relative(site, file)} → ${target}`); }
    }
  }
  if (broken === 0) ok(`links: ${links} links and anchors on ${all.length} pages, none broken`);
} finally {
  await browser.close();
  server.kill();
}

// ---- the Nu HTML checker: the first page of every folder (every kind of
// page, in both languages) and every twelfth page besides. Pages of one kind
// come from one template; checking all 3,000 took a minute of CI's ten. ----
const vnu = require("vnu-jar");
const htmlFiles = [];
(function walk(dir) {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p); else if (p.endsWith(".html")) htmlFiles.push(p);
  }
})(site);
htmlFiles.sort();
const firstOfFolder = new Set();
const chosen = htmlFiles.filter((f, i) => {
  const dir = path.dirname(f);
  const first = !firstOfFolder.has(dir);
  firstOfFolder.add(dir);
  return first || i % 12 === 0;
});
const check = spawnSync("java", ["-jar", vnu, "--errors-only", "--format", "gnu", ...chosen], { encoding: "utf8" });
if (check.status !== 0) {
  const lines = (check.stderr + check.stdout).trim().split("\n");
  lines.slice(0, 20).forEach((l) => console.log("     " + l));
  fail(`Nu HTML checker: ${lines.length} error(s)`);
} else ok(`Nu HTML checker: no errors on ${chosen.length} pages (every kind, every twelfth page)`);

console.log(failures.length ? `${failures.length} failed` : "all browser checks passed");
process.exit(failures.length ? 1 : 0);
