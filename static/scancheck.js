// Checks, in the reader's browser, each scan a page shows: fetches the
// file, computes its SHA-256 (crypto.subtle, or sha256.js where a
// plain-HTTP mirror gives no crypto.subtle) and compares it
// with the hash printed beside it, which is also in the file's name
// (scans/<sha256>.<ext>, the name SHA256SUMS lists it under). Where the
// browser may not read the file (a page opened from disk), it asks the
// reader to choose the file instead. Without JavaScript the page shows the
// hash and the command to check it by hand. No dependency.
(function () {
  "use strict";
  // The page's words, on the script element itself.
  var me = document.currentScript;
  function text(name) { return (me && me.getAttribute("data-" + name)) || ""; }
  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) {
      return (b + 256).toString(16).slice(1);
    }).join("");
  }
  // crypto.subtle exists only in a secure context (https, localhost, a
  // file on disk); elsewhere (a plain-HTTP mirror) a small script of the
  // site's own computes the hash instead.
  var fallback = null;
  function sha256(buf) {
    var subtle = window.crypto && window.crypto.subtle;
    if (subtle) return subtle.digest("SHA-256", buf).then(hex);
    if (!fallback) {
      fallback = new Promise(function (resolve, reject) {
        var s = document.createElement("script");
        s.src = text("sha256js");
        s.onload = function () { resolve(window.kuraSha256); };
        s.onerror = reject;
        document.head.appendChild(s);
      });
    }
    return fallback.then(function (f) { return f(new Uint8Array(buf)); });
  }
  function check(fig) {
    var code = fig.querySelector("dl.hash code"), link = fig.querySelector("[href]");
    var out = fig.querySelector(".browser-check");
    if (!code || !link || !out) return;
    var want = code.textContent.trim(), href = link.getAttribute("href");
    out.hidden = false;
    function say(cls, text) { out.className = "browser-check " + cls; out.textContent = text; }
    function judge(got) {
      if (got === want && href.indexOf(want) >= 0) say("ok", "\u2713 " + text("ok"));
      else say("bad", "\u26a0 " + text("bad") + " " + got);
    }
    function choose() {
        // A page opened from disk may not read files (file://): ask for it.
        say("", text("choose") + " ");
        var input = document.createElement("input");
        input.type = "file";
        input.setAttribute("aria-label", text("choose"));
        input.addEventListener("change", function () {
          var f = input.files && input.files[0];
          if (f) f.arrayBuffer().then(sha256).then(judge);
        });
        out.appendChild(input);
    }
    if (location.protocol === "file:") return choose();
    say("", text("running"));
    fetch(href, { cache: "no-store" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.arrayBuffer(); })
      .then(sha256).then(judge)
      .catch(choose);
  }
  function run() {
    var figs = document.querySelectorAll("figure.scan");
    for (var i = 0; i < figs.length; i++) check(figs[i]);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
