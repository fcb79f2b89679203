// Pagefind's default UI, told where its bundle lives so it works under a path prefix.
window.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("search");
  if (!el || typeof PagefindUI === "undefined") return;
  new PagefindUI({ element: "#search", bundlePath: el.dataset.bundle, showSubResults: false, showImages: false });
  // Pagefind's input is named only by its title (axe label-title-only, a serious
  // violation): give it a visible label. Made here, beside the input it names, so the
  // static page holds no <label for> pointing at nothing (the Nu Html Checker's error).
  var input = el.querySelector("input");
  if (input) {
    input.id = "search-input";
    var label = document.createElement("label");
    label.htmlFor = "search-input";
    label.textContent = "Search records by any word of their question or abstract";
    el.prepend(label);
  }
});
