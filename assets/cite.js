// Record pages: the Copy buttons of templates/_cite.html, and Download links for each format.
// An enhancement only: without JavaScript the text is there to select and save (SPEC §8), and
// assets/nojs.css hides the buttons. They are laid out from the first paint and disabled until
// this script enables them, so nothing moves when it runs.
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
  var status = box.querySelector("[data-cite-status]");

  function addDownload(after, type, text, into) {
    var tools = document.createElement("p");
    tools.className = "cite-tools";
    var link = document.createElement("a");
    link.href = "data:" + type[0] + ";charset=utf-8," + encodeURIComponent(text);
    link.download = name + type[1];
    link.textContent = "Download " + type[1];
    tools.appendChild(link);
    if (into) into.appendChild(tools);
    else after.parentNode.insertBefore(tools, after.nextSibling);
  }

  // Copy: the Clipboard API where there is one (a secure context); else the older
  // execCommand("copy") on a selection; else the text is left selected for Ctrl+C.
  function selectText(el) {
    var details = el.closest("details");
    if (details) details.open = true;
    var range = document.createRange();
    range.selectNodeContents(el);
    var sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  function copyBySelection(el) {
    selectText(el);
    try { return document.execCommand("copy"); } catch (e) { return false; }
  }
  function copy(el) {
    var text = el.textContent;
    if (navigator.clipboard && navigator.clipboard.writeText) {
      return navigator.clipboard.writeText(text).then(function () { return true; }, function () { return copyBySelection(el); });
    }
    return Promise.resolve(copyBySelection(el));
  }
  function announce(message) {
    if (!status) return;
    status.textContent = "";  // the same message twice is announced twice
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  var buttons = box.querySelectorAll("button[data-copy]");
  var what = {};  // each button's subject, from its label: "Copy BibTeX" -> "BibTeX"
  buttons.forEach(function (b) { what[b.getAttribute("data-copy")] = b.textContent.replace(/^Copy /, ""); });
  function idle(b) { return "Copy " + what[b.getAttribute("data-copy")]; }
  buttons.forEach(function (button) {
    var subject = what[button.getAttribute("data-copy")];
    var source = box.querySelector("[data-cite='" + button.getAttribute("data-copy") + "']");
    if (!source) return;
    button.addEventListener("click", function () {
      buttons.forEach(function (b) { b.textContent = idle(b); });
      copy(source).then(function (ok) {
        if (ok) {
          button.textContent = "Copied " + subject;
          announce("Copied " + subject + " to the clipboard.");
        } else {
          button.textContent = "Not copied";
          announce("Could not copy " + subject + ": it is selected, press Ctrl+C (⌘C on a Mac) to copy it.");
        }
      });
    });
    button.disabled = false;
  });

  box.querySelectorAll("pre[data-cite]").forEach(function (pre) {
    var type = TYPES[pre.getAttribute("data-cite")];
    if (!type) return;
    var text = pre.textContent;
    if (type[1] === ".ris") text = text.replace(/\r?\n/g, "\r\n"); // RIS lines end in CRLF
    addDownload(pre, type, text);
  });
  // CSL-JSON is not printed on the page (SPEC §8: every page is kept small); it is in record.json,
  // which the paragraph links. Served over HTTP, the script offers it as a download as well.
  var csl = box.querySelector("[data-cite-csl]");
  if (csl && window.fetch && location.protocol !== "file:") {
    fetch(csl.querySelector("a").getAttribute("href"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (d) {
        // into the line kept for it since the first paint: nothing below it moves
        if (d && d.citations && d.citations.csl) addDownload(csl, TYPES.json, JSON.stringify([d.citations.csl], null, 1) + "\n", box.querySelector("[data-cite-json]"));
      })
      .catch(function () { /* the link to record.json stays */ });
  }
})();
