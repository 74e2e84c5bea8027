/* kura search: finds a polling station by part of its name or its code,
   loading only the piece of the index a query needs. Every page works
   without it; it only reveals the search form. */
(function () {
  "use strict";
  var html = document.documentElement;
  var root = html.getAttribute("data-root") || "";
  var home = html.getAttribute("data-home") || "";
  var form = document.querySelector("form.search");
  if (!form) return;
  var input = form.querySelector("input");
  var out = document.getElementById("q-results");
  var hint = document.getElementById("q-hint");
  var meta = null, pieces = {}, waiting = {}, timer = null;

  function norm(s) {
    return s.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[^\p{L}\p{N}]+/gu, " ").trim();
  }
  function load(name, then) {
    if (pieces[name] !== undefined) { then(); return; }
    (waiting[name] = waiting[name] || []).push(then);
    if (waiting[name].length > 1) return;
    var s = document.createElement("script");
    s.src = root + "search/" + name + ".js";
    // No such piece: nothing matches.
    s.onerror = function () { window.kuraSearch(name, []); };
    document.head.appendChild(s);
  }
  window.kuraSearch = function (key, entries) {
    var file = key.replace(/\.js$/, "");
    pieces[file] = entries;
    (waiting[file] || []).forEach(function (f) { f(); });
    waiting[file] = [];
  };
  window.kuraSearchMeta = function (m) {
    meta = m;
    pieces.meta = [];
    (waiting.meta || []).forEach(function (f) { f(); });
    waiting.meta = [];
  };
  function show(list, q) {
    out.textContent = "";
    if (!q) { hint.hidden = false; return; }
    hint.hidden = true;
    if (list.length === 0) {
      var p = document.createElement("p");
      p.textContent = form.getAttribute("data-none");
      out.appendChild(p);
      return;
    }
    var ul = document.createElement("ul");
    list.slice(0, 50).forEach(function (e) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = home + e[1];
      a.textContent = e[0];
      li.appendChild(a);
      if (e[2]) {
        var c = document.createElement("span");
        c.className = "context";
        c.textContent = " · " + e[2];
        li.appendChild(c);
      }
      ul.appendChild(li);
    });
    out.appendChild(ul);
    if (list.length > 50) {
      var more = document.createElement("p");
      more.textContent = form.getAttribute("data-more");
      out.appendChild(more);
    }
  }
  function search() {
    var raw = input.value.trim();
    var q = norm(raw);
    if (!meta) { load("meta", search); return; }
    var words = q.split(" ").filter(function (w) { return w.length >= 2; });
    var code = raw.toLowerCase();
    var isCode = /\d/.test(code) && code.indexOf(" ") < 0 && code.length >= meta.codeKey;
    var keyWord = words.filter(function (w) { return meta.stop.indexOf(w) < 0; })
      .sort(function (a, b) { return b.length - a.length; })[0];
    if (isCode) {
      var cp = "c-" + code.slice(0, meta.codeKey);
      load(cp, function () {
        show(pieces[cp].filter(function (e) { return e[3].toLowerCase().indexOf(code) === 0; }), raw);
      });
      return;
    }
    if (!keyWord) { show([], ""); return; }
    var wp = "w-" + keyWord.slice(0, meta.wordKey);
    load(wp, function () {
      show(pieces[wp].filter(function (e) {
        var name = norm(e[0]).split(" ");
        return words.every(function (w) {
          return name.some(function (n) { return n.indexOf(w) === 0; });
        });
      }), raw);
    });
  }
  form.hidden = false;
  form.addEventListener("submit", function (ev) { ev.preventDefault(); search(); });
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
})();
