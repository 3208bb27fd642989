/* Leadflow: small behaviours shared by every page. No inline scripts (see the CSP). */
(function () {
  "use strict";

  // Destructive forms ask first: <form data-confirm="Reject this lead?">.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // <form data-autosubmit>: submit when a select changes (the button stays for no-JS use).
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!(field instanceof HTMLSelectElement)) return;
    var form = field.form;
    if (form && form.hasAttribute("data-autosubmit")) form.requestSubmit();
  });

  // A form loaded into a card's action panel gets the keyboard focus.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (!target || !target.hasAttribute("data-focus-first")) return;
    var field = target.querySelector("input:not([type=hidden]), select, textarea, button");
    if (field) field.focus();
  });
})();
