// zombietrace flame graph: draws FLAME_DATA as an icicle graph (host root at
// the top, zombies at the bottom) into the SVG element #flame-svg. Used both
// inside the HTML page and inside the standalone SVG. No network access.
(function () {
  "use strict";
  var D = FLAME_DATA;
  var doc = document;
  var svg = doc.getElementById("flame-svg");
  var NS = svg.namespaceURI;
  var standalone = doc.documentElement === svg;
  var ROW = D.row, MINW = D.minW, TOP = D.top, PAD = D.pad;

  // ---- data ----------------------------------------------------------
  var nodes = [];
  function build(a, parent, depth) {
    var n = { name: a[0], t: a[1], c: a[2], st: a[1], sc: a[2], kids: [],
              parent: parent, depth: depth, id: nodes.length, match: false };
    nodes.push(n);
    var ks = a[3] || [];
    for (var i = 0; i < ks.length; i++) {
      var k = build(ks[i], n, depth + 1);
      n.kids.push(k);
      n.st -= k.t;
      n.sc -= k.c;
    }
    if (n.st < 0) n.st = 0;
    if (n.sc < 0) n.sc = 0;
    return n;
  }
  var root = build(D.tree, null, 0);
  var maxDepth = 0;
  for (var i = 0; i < nodes.length; i++) if (nodes[i].depth > maxDepth) maxDepth = nodes[i].depth;

  var metric = D.weight === "count" ? "count" : "time";
  // Nothing to draw with the chosen width but something with the other one.
  if (metric === "time" && root.t === 0 && root.c > 0) metric = "count";
  var zoom = root, re = null, query = "";

  function val(n) { return metric === "count" ? n.c : n.t; }
  var sortedFor = "";
  function sortKids() {
    if (sortedFor === metric) return;
    sortedFor = metric;
    for (var i = 0; i < nodes.length; i++) {
      nodes[i].kids.sort(function (a, b) {
        var d = val(b) - val(a);
        return d !== 0 ? d : (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      });
    }
  }

  // ---- formatting (same rules as flame.FormatDuration) ---------------
  function fixed(v) { return v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0); }
  function pad2(v) { return (v < 10 ? "0" : "") + v; }
  function fmtTime(ns) {
    if (ns < 1000) return Math.round(ns) + " ns";
    if (ns < 1e6) return fixed(ns / 1e3) + " \u00b5s";
    if (ns < 1e9) return fixed(ns / 1e6) + " ms";
    if (ns < 60e9) return fixed(ns / 1e9) + " s";
    if (ns < 3600e9) { var s = Math.floor(ns / 1e9); return Math.floor(s / 60) + "m " + pad2(s % 60) + "s"; }
    var m = Math.floor(ns / 60e9);
    return Math.floor(m / 60) + "h " + pad2(m % 60) + "m";
  }
  function fmtCount(c) { return Math.round(c) + (Math.round(c) === 1 ? " zombie" : " zombies"); }
  function pct(a, b) {
    if (!b) return "0%";
    var p = 100 * a / b;
    return (p >= 10 || p === 0 ? p.toFixed(1) : p.toPrecision(2)) + "%";
  }
  function label(n) { return n.depth === 0 ? "all zombies" : n.name; }

  // ---- colours (same rules as flame.frameColor) ----------------------
  function colorKey(s) { return s.replace(/[ \t]+[0-9]+$/, ""); }
  function hash(s) {
    var h = 0x811c9dc5;
    for (var i = 0; i < s.length; i++) { h ^= s.charCodeAt(i); h = Math.imul(h, 16777619) >>> 0; }
    return h >>> 0;
  }
  var colorCache = {};
  function color(n) {
    if (n.match) return "rgb(230,0,230)";
    if (n.depth === 0) return "rgb(214,208,196)";
    var zombie = n.sc > 0;
    var key = (zombie ? "z" : "p") + n.name;
    var c = colorCache[key];
    if (c) return c;
    var h = hash(colorKey(n.name)), v1 = h & 255, v2 = (h >>> 8) & 255, v3 = (h >>> 16) & 255;
    if (zombie) c = "rgb(" + (120 + Math.floor(50 * v1 / 255)) + "," + (190 + Math.floor(45 * v2 / 255)) + "," + (100 + Math.floor(40 * v3 / 255)) + ")";
    else c = "rgb(" + (205 + Math.floor(50 * v1 / 255)) + "," + (70 + Math.floor(160 * v2 / 255)) + "," + Math.floor(55 * v3 / 255) + ")";
    colorCache[key] = c;
    return c;
  }

  // ---- elements --------------------------------------------------------
  function el(tag, attrs, parent) {
    var e = doc.createElementNS(NS, tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  var frames = doc.getElementById("flame-frames");
  if (!frames) frames = el("g", { id: "flame-frames" }, svg);
  var old = doc.getElementById("flame-static");
  if (old) old.parentNode.removeChild(old);
  var details = doc.getElementById("flame-details");
  var matchedEl = doc.getElementById("flame-matched");
  var resetEl = doc.getElementById("flame-reset");
  var searchEl = doc.getElementById("flame-search");
  var metricEl = doc.getElementById("flame-metric");
  var tip = doc.getElementById("flame-tip");
  var defaultDetails = details ? details.textContent : "";
  if (!standalone && details && !defaultDetails) {
    defaultDetails = "Hover a frame for its zombie time, count and share of the total; click to zoom.";
    details.textContent = defaultDetails;
  }

  // Average label character width, measured once with the real font.
  var charW = 7;
  (function () {
    var probe = el("text", { x: -1000, y: -1000, "class": "probe", "font-size": D.font }, frames.parentNode === svg ? frames : svg);
    if (!standalone) probe.setAttribute("style", "font-size:12px;font-family:\"DejaVu Sans\",Verdana,Helvetica,Arial,sans-serif");
    var sample = "systemd sshd python3 sleep bash containerd 0123456789";
    probe.textContent = sample;
    try { var w = probe.getComputedTextLength(); if (w > 0) charW = w / sample.length; } catch (e) { /* keep estimate */ }
    probe.parentNode.removeChild(probe);
  })();
  function fit(s, w) {
    var max = Math.floor(w / charW);
    if (max < 3) return "";
    if (s.length <= max) return s;
    var cs = Array.from ? Array.from(s) : s.split("");
    if (cs.length <= max) return s;
    return cs.slice(0, max - 2).join("") + "..";
  }

  // ---- drawing ---------------------------------------------------------
  var drawn = [];
  var width = 0;
  function chartWidth() {
    if (standalone) return D.width;
    var w = svg.parentNode.clientWidth;
    var cs = window.getComputedStyle ? window.getComputedStyle(svg.parentNode) : null;
    if (cs) w -= (parseFloat(cs.paddingLeft) || 0) + (parseFloat(cs.paddingRight) || 0);
    return Math.max(w, 200);
  }
  function drawFrame(n, x, w, anc) {
    var y = TOP + n.depth * ROW;
    var g = el("g", { "class": anc ? "f anc" : "f", "data-i": n.id }, null);
    if (standalone) {
      var t = el("title", {}, g);
      t.textContent = describe(n, "\n");
    }
    el("rect", { x: x.toFixed(2), y: y, width: (w > 2 ? w - 1 : w).toFixed(2), height: ROW - 1,
                 fill: color(n), rx: 2, ry: 2 }, g);
    var s = fit(label(n), w - 6);
    if (s) {
      var tx = el("text", { x: (x + 3).toFixed(2), y: y + ROW - 5 }, g);
      tx.textContent = s;
    }
    frames.appendChild(g);
    drawn.push(n);
  }
  function drawTree(n, x, w) {
    drawFrame(n, x, w, false);
    var total = val(n);
    if (!total) return;
    var cx = x;
    for (var i = 0; i < n.kids.length; i++) {
      var k = n.kids[i], kw = w * val(k) / total;
      if (kw >= MINW) drawTree(k, cx, kw);
      cx += kw;
    }
  }
  function render() {
    sortKids();
    width = chartWidth();
    var h = TOP + (maxDepth + 1) * ROW;
    if (!standalone) {
      svg.setAttribute("width", width);
      svg.setAttribute("height", h);
      svg.setAttribute("viewBox", "0 0 " + width + " " + h);
    }
    while (frames.firstChild) frames.removeChild(frames.firstChild);
    drawn = [];
    var full = width - 2 * PAD;
    if (val(root) > 0) {
      for (var p = zoom.parent; p; p = p.parent) drawFrame(p, PAD, full, true);
      drawTree(zoom, PAD, full);
    }
    svg.setAttribute("data-rendered", "js");
    svg.setAttribute("data-frames", drawn.length);
    svg.setAttribute("data-metric", metric);
    if (resetEl) {
      if (standalone) resetEl.setAttribute("opacity", zoom === root ? 0 : 1);
      else resetEl.disabled = zoom === root;
    }
    if (metricEl) metricEl.textContent = metric === "count" ? "Width: zombie count (click for time)" : "Width: zombie time (click for count)";
    updateMatched();
  }

  // ---- details -----------------------------------------------------------
  function describe(n, sep) {
    var lines = [label(n)];
    lines.push("zombie time: " + fmtTime(n.t) + " (" + pct(n.t, root.t) + " of total)");
    lines.push("zombies: " + Math.round(n.c) + " (" + pct(n.c, root.c) + " of total)");
    if (zoom !== root && zoom !== n && isUnder(n, zoom)) {
      lines.push(pct(val(n), val(zoom)) + " of the zoomed frame");
    }
    if (n.depth > 0 && n.sc > 0) lines.push("itself a zombie: " + fmtCount(n.sc) + ", " + fmtTime(n.st));
    var dc = 0, dt = 0;
    for (var i = 0; i < n.kids.length; i++) { dc += n.kids[i].sc; dt += n.kids[i].st; }
    if (n.depth > 0 && dc > 0) lines.push("owes waits for " + fmtCount(dc) + " (direct children), " + fmtTime(dt));
    return lines.join(sep);
  }
  function short(n) {
    return label(n) + " \u2014 zombie time " + fmtTime(n.t) + " (" + pct(n.t, root.t) + "), " +
      fmtCount(n.c) + " (" + pct(n.c, root.c) + ")";
  }
  function isUnder(n, a) { for (; n; n = n.parent) if (n === a) return true; return false; }

  // ---- search --------------------------------------------------------------
  function setSearch(q) {
    query = q || "";
    re = null;
    var bad = false;
    if (query) {
      try { re = new RegExp(query, "i"); }
      catch (e) {
        bad = true;
        var lq = query.toLowerCase();
        re = { test: function (s) { return s.toLowerCase().indexOf(lq) >= 0; } };
      }
    }
    for (var i = 0; i < nodes.length; i++) {
      var n = nodes[i];
      n.match = !!(re && n.depth > 0 && re.test(n.name));
    }
    if (!standalone && searchEl) searchEl.className = bad ? "bad" : "";
    if (standalone && searchEl) searchEl.textContent = query ? "Clear search" : "Search";
    render();
  }
  function matchedSum(n, acc) {
    if (n.match) { acc.t += n.t; acc.c += n.c; return; }
    for (var i = 0; i < n.kids.length; i++) matchedSum(n.kids[i], acc);
  }
  function updateMatched() {
    if (!matchedEl) return;
    if (!re) { matchedEl.textContent = ""; return; }
    var acc = { t: 0, c: 0 };
    matchedSum(root, acc);
    matchedEl.textContent = "Matched: " + pct(metric === "count" ? acc.c : acc.t, val(root)) +
      " (" + fmtTime(acc.t) + ", " + fmtCount(acc.c) + ")";
  }

  // ---- events --------------------------------------------------------------
  function frameOf(e) {
    for (var t = e.target; t && t !== svg; t = t.parentNode) {
      if (t.getAttribute && t.getAttribute("data-i") !== null) return nodes[+t.getAttribute("data-i")];
    }
    return null;
  }
  function hideTip() { if (tip) tip.style.display = "none"; }
  frames.addEventListener("mousemove", function (e) {
    var n = frameOf(e);
    if (!n) { hideTip(); return; }
    if (details) details.textContent = short(n);
    if (tip) {
      tip.textContent = "";
      var lines = describe(n, "\n").split("\n");
      var b = doc.createElement("b");
      b.textContent = lines.shift();
      tip.appendChild(b);
      tip.appendChild(doc.createTextNode("\n" + lines.join("\n") + "\nclick to " + (n === zoom ? (n === root ? "stay" : "zoom out") : "zoom")));
      tip.style.display = "block";
      var tw = tip.offsetWidth, th = tip.offsetHeight;
      var x = e.clientX + 14, y = e.clientY + 16;
      if (x + tw > window.innerWidth - 4) x = Math.max(4, e.clientX - tw - 14);
      if (y + th > window.innerHeight - 4) y = Math.max(4, e.clientY - th - 12);
      tip.style.left = x + "px";
      tip.style.top = y + "px";
    }
  });
  frames.addEventListener("mouseleave", function () {
    hideTip();
    if (details) details.textContent = defaultDetails;
  });
  frames.addEventListener("click", function (e) {
    var n = frameOf(e);
    if (!n) return;
    // Clicking the zoomed frame zooms out one level; clicking any other frame zooms to it.
    zoom = (n === zoom && n.parent) ? n.parent : n;
    hideTip();
    render();
  });
  function resetZoom() { zoom = root; render(); }
  if (resetEl) resetEl.addEventListener("click", resetZoom);
  if (metricEl) metricEl.addEventListener("click", function () {
    metric = metric === "count" ? "time" : "count";
    render();
  });
  var radios = doc.getElementsByName ? doc.getElementsByName("flame-metric") : [];
  for (var r = 0; r < radios.length; r++) {
    radios[r].checked = radios[r].value === metric;
    radios[r].addEventListener("change", function (e) { metric = e.target.value; render(); });
  }
  function promptSearch() {
    if (query) { setSearch(""); return; }
    var q = window.prompt("Search frames (regular expression or text)", query);
    if (q !== null) setSearch(q);
  }
  if (searchEl) {
    if (standalone) searchEl.addEventListener("click", promptSearch);
    else searchEl.addEventListener("input", function () { setSearch(searchEl.value); });
  }
  doc.addEventListener("keydown", function (e) {
    if ((e.ctrlKey || e.metaKey) && e.key === "f" || (e.key === "/" && (!searchEl || e.target !== searchEl))) {
      e.preventDefault();
      if (standalone) promptSearch(); else if (searchEl) searchEl.focus();
    } else if (e.key === "Escape") {
      resetZoom();
    }
  });
  if (!standalone) {
    var timer = 0;
    window.addEventListener("resize", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { if (chartWidth() !== width) render(); }, 80);
    });
  }
  // Restore a search typed before the script ran (e.g. after reload).
  if (!standalone && searchEl && searchEl.value) setSearch(searchEl.value); else render();
})();
