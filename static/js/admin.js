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

// A polled element marked data-live-poll (the dashboard's stations) polls only while it can be seen: a hidden
// tab sends nothing, and showing it again refreshes at once ("board-refresh"). After a failed poll (server busy,
// network gone) the next 1, 3, 7, 15, then 31 intervals are skipped, until one succeeds. htmx keeps
// at most one poll waiting behind one in flight (its default queue): a slow server is asked less often.
(function () {
  let failures = 0;
  let skip = 0;
  document.addEventListener("htmx:beforeRequest", function (event) {
    const element = event.detail.elt;
    if (!element || !element.hasAttribute || !element.hasAttribute("data-live-poll")) return;
    if (event.detail.requestConfig && event.detail.requestConfig.triggeringEvent
        && event.detail.requestConfig.triggeringEvent.type === "board-refresh") return;
    if (document.hidden || skip > 0) {
      if (skip > 0) skip--;
      event.preventDefault();
    }
  });
  function settled(event) {
    const element = event.detail.elt;
    if (!element || !element.hasAttribute || !element.hasAttribute("data-live-poll")) return;
    const ok = event.detail.successful && !event.detail.failed;
    failures = ok ? 0 : Math.min(failures + 1, 5);
    skip = ok ? 0 : Math.pow(2, failures) - 1;
  }
  document.addEventListener("htmx:afterRequest", settled);
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) return;
    document.querySelectorAll("[data-live-poll]").forEach(function (element) {
      if (window.htmx) window.htmx.trigger(element, "board-refresh");
    });
  });
})();
