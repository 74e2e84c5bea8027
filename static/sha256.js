// SHA-256 in plain JavaScript, for kura's scan check where the browser
// offers no crypto.subtle (a page served over plain HTTP). No dependency.
(function () {
  "use strict";
  var K = [], H0 = [];
  (function () {
    var n = 2, found = 0;
    function frac(x) { return ((x - Math.floor(x)) * 4294967296) >>> 0; }
    while (found < 64) {
      var prime = true;
      for (var d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
      if (prime) {
        if (found < 8) H0[found] = frac(Math.sqrt(n));
        K[found++] = frac(Math.cbrt(n));
      }
      n++;
    }
  })();
  function sha256js(bytes) {
    var h = H0.slice(), w = new Array(64), len = bytes.length;
    var total = ((len + 9 + 63) >> 6) << 6, m = new Uint8Array(total);
    m.set(bytes); m[len] = 0x80;
    var bits = len * 8;
    for (var i = 0; i < 8; i++) m[total - 1 - i] = Math.floor(bits / Math.pow(2, 8 * i)) & 255;
    for (var off = 0; off < total; off += 64) {
      for (var t = 0; t < 64; t++) {
        if (t < 16) {
          var j = off + 4 * t;
          w[t] = (m[j] << 24 | m[j + 1] << 16 | m[j + 2] << 8 | m[j + 3]) >>> 0;
        } else {
          var a = w[t - 15], b = w[t - 2];
          var s0 = (a >>> 7 | a << 25) ^ (a >>> 18 | a << 14) ^ (a >>> 3);
          var s1 = (b >>> 17 | b << 15) ^ (b >>> 19 | b << 13) ^ (b >>> 10);
          w[t] = (w[t - 16] + s0 + w[t - 7] + s1) >>> 0;
        }
      }
      var A = h[0], B = h[1], C = h[2], D = h[3], E = h[4], F = h[5], G = h[6], X = h[7];
      for (t = 0; t < 64; t++) {
        var S1 = (E >>> 6 | E << 26) ^ (E >>> 11 | E << 21) ^ (E >>> 25 | E << 7);
        var t1 = (X + S1 + ((E & F) ^ (~E & G)) + K[t] + w[t]) >>> 0;
        var S0 = (A >>> 2 | A << 30) ^ (A >>> 13 | A << 19) ^ (A >>> 22 | A << 10);
        var t2 = (S0 + ((A & B) ^ (A & C) ^ (B & C))) >>> 0;
        X = G; G = F; F = E; E = (D + t1) >>> 0; D = C; C = B; B = A; A = (t1 + t2) >>> 0;
      }
      h[0] += A; h[1] += B; h[2] += C; h[3] += D; h[4] += E; h[5] += F; h[6] += G; h[7] += X;
    }
    return h.map(function (x) { return ((x >>> 0) + 4294967296).toString(16).slice(1); }).join("");
  }
  window.kuraSha256 = sha256js;
})();
