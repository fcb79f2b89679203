// Pagefind's default UI, told where its bundle lives so it works under a path prefix,
// prefilled from ?q= (the search box in every page header submits here).
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("search");
    if (!el) return;
    if (typeof PagefindUI === "undefined") {
      var note = document.getElementById("search-missing");
      if (note) note.hidden = false;
      return;
    }
    var ui = new PagefindUI({
      element: "#search",
      bundlePath: el.dataset.bundle,
      showSubResults: false,
      showImages: false,
      resetStyles: false,
      autofocus: true,
      translations: { placeholder: "Search records by words of their question, title or abstract" }
    });
    // Pagefind labels its box with a title attribute only; give it a real accessible name.
    function label() {
      var input = el.querySelector("input.pagefind-ui__search-input");
      if (!input) return false;
      input.setAttribute("aria-label", "Search records");
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
