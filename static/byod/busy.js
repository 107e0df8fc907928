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
  // Without htmx (plain form posts), still refuse a second click while the page loads.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-busy]") || form.getAttribute("hx-post")) return;
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    form.setAttribute("aria-busy", "true");
  });
})();
