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
  // A form marked data-focus-result="<selector>" is replaced by its answer: once that is
  // swapped in, keyboard focus goes to the first element the selector finds (made focusable),
  // rather than falling back to the page's body. Only after the form's own request: polls
  // that bring later news in leave the focus where it is. (CSP forbids htmx's inline hx-on.)
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail && event.detail.requestConfig;
    var elt = config && config.elt;
    var asker = elt && elt.closest ? elt.closest("[data-focus-result]") : null;
    if (!asker) return;
    var answer = document.querySelector(asker.getAttribute("data-focus-result"));
    if (!answer) return;
    if (!answer.hasAttribute("tabindex")) answer.setAttribute("tabindex", "-1");
    answer.focus();
  });
  // A swap that replaces the element keyboard focus is on (a poll bringing the news in) puts
  // the focus back on its successor: the element with the same id in the new content.
  var refocus = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var active = document.activeElement;
    var target = event.detail && event.detail.target;
    refocus = active && active.id && target && target.contains(active) ? active.id : null;
  });
  document.addEventListener("htmx:afterSettle", function () {
    var again = refocus ? document.getElementById(refocus) : null;
    refocus = null;
    if (!again || document.activeElement === again) return;
    if (!again.hasAttribute("tabindex")) again.setAttribute("tabindex", "-1");
    again.focus();
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
