// A fragment marked data-swap-errors shows the server's answer to a refused request (its message in the user's
// language) where htmx 2 would drop it: "400" swaps a 400 only, "4xx" any client error. This replaces inline
// hx-on handlers, which the pages' Content-Security-Policy (no inline script, no eval) does not run.
(function () {
  document.addEventListener("htmx:beforeSwap", function (event) {
    const target = event.detail.target;
    const host = target && target.closest ? target.closest("[data-swap-errors]") : null;
    if (!host) return;
    const status = event.detail.xhr.status;
    const which = host.dataset.swapErrors;
    const swap = which === "4xx" ? status >= 400 && status < 500 : String(status) === which;
    if (swap) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
