// Pagefind's default UI, told where its bundle lives so it works under a path prefix,
// prefilled from ?q= (the search box in every page header submits here).
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("search");
    if (!el) return;
    // From file:// the browser refuses to fetch Pagefind's index and the UI would say
    // "Searching…" forever: say what is needed instead (issue 14).
    if (window.location.protocol === "file:") {
      var served = document.getElementById("search-needs-server");
      if (served) served.hidden = false;
      el.hidden = true;  // and give up the space kept for the results (style.css)
      return;
    }
    if (typeof PagefindUI === "undefined") {
      var note = document.getElementById("search-missing");
      if (note) note.hidden = false;
      el.hidden = true;
      return;
    }
    // A large registry is indexed in shards (search_shard_size): pagefind/ plus the bundles named
    // in pagefind/srchgen-shards.json, merged into one search (Pagefind's mergeIndex). The
    // paths are made absolute here, so result links keep the site's path prefix. Revalidated
    // (no-cache) like Pagefind's own entry file: a rebuild may change the number of shards.
    var bundle = new URL(el.dataset.bundle, document.baseURI);
    fetch(new URL("srchgen-shards.json", bundle), { cache: "no-cache" })
      .then(function (r) { return r.ok ? r.json() : { merge: [] }; })
      .catch(function () { return { merge: [] }; })
      .then(function (shards) {
        var merge = (Array.isArray(shards && shards.merge) ? shards.merge : []).map(function (dir) {
          return { bundlePath: new URL(dir, bundle).pathname };
        });
        draw(merge);
      });
  }
  // What a result shows beside its title and its excerpt (a passage of the abstract with the
  // match marked): Pagefind's UI lists a result's metadata as "Name: value" items, in this order.
  // Its id, tier and gate status, date and score, and the automated checks' findings in words
  // (the record page's "automated check" filter values), as the listings show them (issue 24).
  function shown(result) {
    var none = document.getElementById("search").dataset.noFindings;  // the filter's value for a record without findings
    var m = result.meta || {};
    var checks = ((result.filters || {})["automated check"] || []).filter(function (c) { return c !== none; });
    var meta = { title: m.title };
    if (m.id) meta.ID = m.id;
    if (m.tier) meta.Tier = m.tier;
    if (m.gate) meta.Gate = m.gate;
    if (m.submitted) meta.Submitted = m.submitted;
    if (m.score) meta.Score = m.score + "/10";
    if (checks.length) meta[checks.length === 1 ? "Automated check" : "Automated checks"] = checks.join("; ");
    result.meta = meta;
    return result;
  }

  function draw(merge) {
    var el = document.getElementById("search");
    var ui = new PagefindUI({
      element: "#search",
      bundlePath: el.dataset.bundle,
      mergeIndex: merge,
      showSubResults: false,
      showImages: false,
      resetStyles: false,
      autofocus: true,
      processResult: shown
    });
    // Pagefind's input is named only by its title (axe label-title-only, a serious
    // violation): give it a visible label. Made here, beside the input it names, so the
    // static page holds no <label for> pointing at nothing (the Nu Html Checker's error).
    function label() {
      var input = el.querySelector("input");
      if (!input) return false;
      input.id = "search-input";
      var text = document.createElement("label");
      text.htmlFor = "search-input";
      text.textContent = el.dataset.label;  // the intro's sentence, short (templates/search.html)
      el.prepend(text);
      return true;
    }
    if (!label()) {
      var watch = new MutationObserver(function () { if (label()) watch.disconnect(); });
      watch.observe(el, { childList: true, subtree: true });
    }
    var q = new URLSearchParams(window.location.search).get("q");
    if (q) ui.triggerSearch(q);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
