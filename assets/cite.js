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
  function addTools(after, type, text) {
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
    after.parentNode.insertBefore(tools, after.nextSibling);
  }
  box.querySelectorAll("pre[data-cite]").forEach(function (pre) {
    var type = TYPES[pre.getAttribute("data-cite")];
    if (!type) return;
    var text = pre.textContent;
    if (type[1] === ".ris") text = text.replace(/\r?\n/g, "\r\n"); // RIS lines end in CRLF
    addTools(pre, type, text);
  });
  // CSL-JSON is not printed on the page (SPEC §8: every page is kept small); it is in record.json,
  // which the paragraph links. Served over HTTP, the script offers it as a download as well.
  var csl = box.querySelector("[data-cite-csl]");
  if (csl && window.fetch && location.protocol !== "file:") {
    fetch(csl.querySelector("a").getAttribute("href"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (d) {
        if (d && d.citations && d.citations.csl) addTools(csl, TYPES.json, JSON.stringify([d.citations.csl], null, 1) + "\n");
      })
      .catch(function () { /* the link to record.json stays */ });
  }
})();
