// The login page (templates/login.html). The part of the address after "#" (a tile of the
// Basispoort portal opens a start page at its method: #methode-12) never reaches the server, so
// it is added to the page to return to. Coming from the portal, the person is signed in at
// Basispoort already: the login continues at once instead of asking for a second click.
// Without JavaScript the button does the same.
"use strict";
(function () {
  const form = document.querySelector("form.login-form");
  if (!form) return;
  const next = form.querySelector("input[name=next]");
  if (next && window.location.hash && !next.value.includes("#")) next.value += window.location.hash;
  if (form.hasAttribute("data-continue")) form.requestSubmit();
})();
