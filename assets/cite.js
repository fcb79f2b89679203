// Record pages: Copy and Download buttons for the citations printed in templates/_cite.html.
// An enhancement only: without JavaScript the text is there to select and save (SPEC §8).
(function () {
  "use strict";
  var TYPES = {
    bib: ["application/x-bibtex", ".bib"],
    ris: ["application/x-research-info-systems", ".ris"],
    json: ["application/vnd.citationstyles.csl+json", ".json"],
  };
  var box = document.querySelector("section.cite[data-name]");
  if (!box) return;
  var name = box.getAttribute("data-name");
  box.querySelectorAll("pre[data-cite]").forEach(function (pre) {
    var type = TYPES[pre.getAttribute("data-cite")];
    if (!type) return;
    var text = pre.textContent;
    if (type[1] === ".ris") text = text.replace(/\r?\n/g, "\r\n"); // RIS lines end in CRLF
    var tools = document.createElement("p");
    tools.className = "cite-tools";
    var link = document.createElement("a");
    link.href = "data:" + type[0] + ";charset=utf-8," + encodeURIComponent(text);
    link.download = name + type[1];
    link.textContent = "Download " + type[1];
    tools.appendChild(link);
    if (navigator.clipboard) {
      var copy = document.createElement("button");
      copy.type = "button";
      copy.textContent = "Copy";
      copy.addEventListener("click", function () {
        navigator.clipboard.writeText(text).then(function () { copy.textContent = "Copied"; }, function () { copy.textContent = "Copy failed"; });
      });
      tools.appendChild(copy);
    }
    pre.parentNode.appendChild(tools);
  });
})();
