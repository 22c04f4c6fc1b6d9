// Staff pages: a polled <details> (the dashboard's alarm strip) stays open or closed as the user left it when
// htmx swaps in the new copy.
(function () {
  const openState = {};
  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    if (target && target.tagName === "DETAILS" && target.id) openState[target.id] = target.open;
  });
  document.addEventListener("htmx:afterSettle", function () {
    Object.keys(openState).forEach(function (id) {
      const element = document.getElementById(id);
      if (element && element.tagName === "DETAILS") element.open = openState[id];
    });
  });
})();

// A form with data-confirm asks before it is sent (in place of an inline onsubmit, which the Content-Security-Policy
// does not run).
document.addEventListener("submit", function (event) {
  const message = event.target.dataset ? event.target.dataset.confirm : undefined;
  if (message && !window.confirm(message)) event.preventDefault();
});
