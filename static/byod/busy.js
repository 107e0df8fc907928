// Busy state for htmx requests a person started (not polls): the container marked
// [data-busy] gets aria-busy="true" until the answer is in, so assistive technology knows
// work is under way. htmx itself shows the .htmx-indicator (hx-indicator) and disables the
// buttons (hx-disabled-elt), so nothing can be sent twice.
(function () {
  "use strict";
  function box(event) {
    var elt = event.detail && event.detail.elt;
    return elt && elt.closest ? elt.closest("[data-busy]") : null;
  }
  document.addEventListener("htmx:beforeRequest", function (event) {
    var target = box(event);
    if (target) target.setAttribute("aria-busy", "true");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var target = box(event);
    if (target) target.removeAttribute("aria-busy");
  });
  // "Show more" replaces the history panel: keep keyboard users where they were, on the
  // first row they had not seen yet.
  var seenRows = 0;
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt && elt.closest && elt.closest("#history .more")) {
      seenRows = document.querySelectorAll("#history tbody tr").length;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    if (!seenRows || !event.detail || !event.detail.elt || event.detail.elt.id !== "history") return;
    var row = document.querySelectorAll("#history tbody tr")[seenRows];
    seenRows = 0;
    if (row) { row.setAttribute("tabindex", "-1"); row.focus(); }
  });
  // Without htmx (plain form posts), still refuse a second click while the page loads.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-busy]") || form.getAttribute("hx-post")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    form.setAttribute("aria-busy", "true");
  });
})();
