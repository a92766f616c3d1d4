// One submit per form: a second click (or Enter) while the first request is on its way does
// nothing, so a double click on "Toevoegen" sends one request. Without JavaScript the form posts
// as usual and the server makes a second request harmless.
(function () {
  "use strict";
  var RELEASE_AFTER_MS = 10000; // a request that never answers must not lock the form for good

  function buttons(form) {
    return form.querySelectorAll('button:not([type]), button[type="submit"], input[type="submit"]');
  }

  function release(form) {
    delete form.dataset.sending;
    buttons(form).forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-disabled");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !(form instanceof HTMLFormElement) || form.method !== "post") {
      return;
    }
    if (form.dataset.sending) {
      event.preventDefault();
      return;
    }
    form.dataset.sending = "1";
    // Disabled only after the browser has read the form, so a named button's value is still sent.
    window.setTimeout(function () {
      buttons(form).forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-disabled", "true");
      });
    }, 0);
    window.setTimeout(function () { release(form); }, RELEASE_AFTER_MS);
  });

  // Back or Forward may show this page from the browser's memory: its forms work again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sending]").forEach(release);
  });
})();
