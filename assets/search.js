// Pagefind's default UI, told where its bundle lives so it works under a path prefix.
window.addEventListener("DOMContentLoaded", function () {
  var el = document.getElementById("search");
  if (!el || typeof PagefindUI === "undefined") return;
  new PagefindUI({ element: "#search", bundlePath: el.dataset.bundle, showSubResults: false, showImages: false });
});
