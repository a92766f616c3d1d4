// The "Afdrukken" button of the login cards: opens the browser's print dialog.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
