// Instant filter and sort for listings (SPEC §4): progressive enhancement over the static facet
// pages, which list newest first. Sorting by score (issue 24) reorders a one-page listing in place
// and a paged one from filter-index.json, as filtering does; the status line says the order.
// A one-page listing is filtered in place. A paged listing fetches filter-index.json once
// (a static file beside index.html, built by srchgen/render/finder.py) and filters every record of
// the listing; if that file cannot be loaded (e.g. from file://), it filters this page only
// and says so. Rows are built with DOM calls and textContent only, never innerHTML.
(function () {
  "use strict";
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
  var SHOW_MAX = 200; // rows drawn at once when filtering all records

  function words(text) {
    return text.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
  }

  function matchesText(haystack, terms) {
    haystack = haystack.toLowerCase();
    for (var i = 0; i < terms.length; i++) {
      if (haystack.indexOf(terms[i]) === -1) return false;
    }
    return true;
  }

  function longDate(iso) {
    var p = iso.split("-");
    return parseInt(p[2], 10) + " " + MONTHS[parseInt(p[1], 10) - 1] + " " + p[0];
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  function init(form) {
    var table = document.querySelector("table.records");
    if (!table) return;
    var tbody = table.tBodies[0];
    var pageRows = Array.prototype.slice.call(tbody.rows);
    var pager = document.querySelector("nav.pager");
    var status = form.querySelector(".filter-status");
    var total = parseInt(form.dataset.total, 10);
    var paged = parseInt(form.dataset.pages, 10) > 1;
    var root = form.dataset.root;
    var scopeKind = form.dataset.scopeKind;
    var scopeValue = form.dataset.scopeValue;
    var index = null; // filter-index.json once loaded
    var indexFailed = false;
    var loading = false;
    var allBody = null; // tbody holding rows drawn from the index
    var caption = table.caption;
    var captionText = caption ? caption.textContent : "";

    function criteria() {
      var c = { terms: words(form.elements.q.value), sort: form.elements.sort ? form.elements.sort.value : "" };
      ["tier", "gate", "level", "section"].forEach(function (k) {
        if (form.elements[k]) c[k] = form.elements[k].value;
      });
      return c;
    }

    function filtering(c) {
      return c.terms.length > 0 || !!(c.tier || c.gate || c.level || c.section);
    }

    function active(c) {
      return filtering(c) || !!c.sort;
    }

    // The order the rows are in: the static pages' (newest first, the same day by id) or by score,
    // highest ("score") or lowest ("-score") first, ties kept newest first.
    function orderName(c) {
      return c.sort === "score" ? "highest score first" : c.sort === "-score" ? "lowest score first" : "newest first";
    }

    function sorted(items, c, scoreOf) {
      if (!c.sort) return items;
      var sign = c.sort === "score" ? -1 : 1;
      return items.map(function (x, i) { return [x, i]; })
        .sort(function (a, b) { return sign * (scoreOf(a[0]) - scoreOf(b[0])) || a[1] - b[1]; })
        .map(function (p) { return p[0]; });
    }

    function rowScore(row) { return parseFloat(row.cells[3].textContent); } // templates/_row.html: Score

    // Puts this page's rows in `rows`' order, moving only those out of place (none at load)
    function place(rows) {
      for (var i = 0; i < rows.length; i++) {
        if (tbody.rows[i] !== rows[i]) tbody.insertBefore(rows[i], tbody.rows[i] || null);
      }
    }

    function showOrder(c) {
      if (caption) caption.textContent = c.sort ? "Records, " + orderName(c) : captionText;
    }

    function filterPage(c) {
      var shown = 0;
      pageRows.forEach(function (row) {
        var ok = true;
        var f = (row.dataset.f || "").split(" "); // templates/_row.html: "tier gate level section"
        ["tier", "gate", "level", "section"].forEach(function (k, i) {
          if (c[k] && f[i] !== c[k]) ok = false;
        });
        if (ok && c.terms.length) {
          var id = row.cells[0].textContent;
          var title = row.cells[1].firstChild.textContent;  // the link: not the checks' flags under it
          ok = matchesText(id + " " + title, c.terms);
        }
        row.hidden = !ok;
        if (ok) shown++;
      });
      place(sorted(pageRows, c, rowScore));
      return shown;
    }

    function link(href, text, cls) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      if (cls) a.className = cls;
      return a;
    }

    function badge(text, cls) {
      var span = document.createElement("span");
      span.className = cls;
      span.textContent = text;
      return span;
    }

    function cell(row, cls, child) {
      var td = document.createElement("td");
      if (cls) td.className = cls;
      if (typeof child === "string") td.textContent = child; else td.appendChild(child);
      row.appendChild(td);
      return td;
    }

    function drawRow(r) {
      var tier = index.tier[r[4]], gate = index.gate[r[5]], level = index.level[r[6]], section = index.section[r[7]];
      var tr = document.createElement("tr");
      tr.dataset.f = [tier[1], gate[1], level[1], section[1]].join(" ");
      cell(tr, "", "SRCH:" + r[0]);
      var title = cell(tr, "", link(root + "records/" + r[0] + "/index.html", r[1]));
      (r[9] || []).forEach(function (text) { title.appendChild(badge(text, "flag")); }); // its checks' findings, as _row.html
      cell(tr, "", longDate(r[2]));
      cell(tr, "", r[3]);
      cell(tr, "", badge(tier[0], "badge tier-" + tier[1])); // as templates/_row.html: one link per row
      cell(tr, "", badge(level[0], "badge"));
      cell(tr, "", badge(gate[0], "badge gate-" + gate[1]));
      return tr;
    }

    function inScope(r) {
      if (!scopeKind) return true;
      var k = { tier: 4, gate: 5, level: 6, section: 7 }[scopeKind];
      if (k !== undefined) return index[scopeKind][r[k]][1] === scopeValue;
      if (scopeKind === "topic") {
        for (var i = 0; i < r[8].length; i++) if (index.topic[r[8][i]][1] === scopeValue) return true;
        return false;
      }
      return true;
    }

    function filterAll(c) {
      var pos = { tier: 4, gate: 5, level: 6, section: 7 };
      var matches = index.records.filter(function (r) {
        if (!inScope(r)) return false;
        for (var k in pos) {
          if (c[k] && index[k][r[pos[k]]][1] !== c[k]) return false;
        }
        return !c.terms.length || matchesText("srch:" + r[0] + " " + r[1], c.terms);
      });
      matches = sorted(matches, c, function (r) { return parseFloat(r[3]); });
      if (!allBody) {
        allBody = document.createElement("tbody");
        table.appendChild(allBody);
      }
      var frag = document.createDocumentFragment();
      matches.slice(0, SHOW_MAX).forEach(function (r) { frag.appendChild(drawRow(r)); });
      allBody.replaceChildren(frag);
      allBody.hidden = false;
      tbody.hidden = true;
      if (pager) pager.hidden = true;
      return matches.length;
    }

    function showPage() {
      if (allBody) allBody.hidden = true;
      tbody.hidden = false;
      if (pager) pager.hidden = false;
    }

    function loadIndex() {
      loading = true;
      fetch(form.dataset.index, { credentials: "same-origin" })
        .then(function (res) { if (!res.ok) throw new Error(res.status); return res.json(); })
        .then(function (data) { index = data; })
        .catch(function () { indexFailed = true; })
        .then(function () { loading = false; update(); });
    }

    var lastKey = null;

    function update() {
      var c = criteria();
      // Redraw only when something changed: a "change" event fired by leaving the text box
      // (e.g. on mousedown over a result link) must not replace the link being clicked.
      var key = JSON.stringify([c, !!index, indexFailed]);
      if (key === lastKey) return;
      lastKey = key;
      showOrder(c);
      if (!active(c)) {
        pageRows.forEach(function (row) { row.hidden = false; });
        place(pageRows);  // the static pages' order again
        showPage();
        status.textContent = "";
        return;
      }
      // What the rows are and in which order, said in the status line (role=status: announced)
      var order = c.sort ? ", " + orderName(c) : "";
      function all(n) { return filtering(c) ? plural(n, "record") + " of " + total + " match" + (n === 1 ? "es" : "") : "All " + plural(n, "record"); }
      function onPage(n) { return plural(n, "record") + " on this page" + (filtering(c) ? " match" + (n === 1 ? "es" : "") : ""); }
      if (paged && index) {
        var n = filterAll(c);
        status.textContent = all(n) + (filtering(c) ? " across all pages" : "") + order +
          (n > SHOW_MAX ? "; showing the first " + SHOW_MAX + ". Narrow the filter or use search." : ".");
        return;
      }
      showPage();
      var shown = filterPage(c);
      if (!paged) {
        status.textContent = all(shown) + order + ".";
      } else if (!indexFailed) {
        status.textContent = onPage(shown) + order + "; loading the other pages…";
        if (!loading) loadIndex();
      } else {
        status.textContent = onPage(shown) + order + ". Only this page could be " + (filtering(c) ? "filtered" : "sorted") +
          "; use search to look through all " + total + " records.";
      }
    }

    form.querySelector("fieldset.filter-fields").disabled = false;  // laid out since the first paint (no layout shift)
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); update(); });
    form.addEventListener("reset", function () { window.setTimeout(update, 0); });
    window.addEventListener("pageshow", update); // the browser may restore field values on Back
    update();
  }

  function start() {
    var form = document.querySelector("form.instant-filter");
    if (form) init(form);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
