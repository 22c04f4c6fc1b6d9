// Kiosk screen behaviour that htmx does not cover: the idle reset.
// After `data-idle-seconds` without a touch, a screen that anyone has used is wiped: the server
// session is cleared (/screen/reset) and the page is replaced, not pushed, so "back" shows nothing.
(function () {
  "use strict";
  const body = document.body;
  const idleMs = Number(body.dataset.idleSeconds || 60) * 1000;
  let used = body.dataset.pristine !== "true";
  let timer = null;

  function reset() {
    try { sessionStorage.clear(); localStorage.clear(); } catch (e) { /* storage may be disabled */ }
    window.location.replace(body.dataset.resetUrl);
  }

  function touched() {
    used = true;
    clearTimeout(timer);
    timer = setTimeout(function () { if (used) { reset(); } }, idleMs);
  }

  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, touched, { passive: true, capture: true });
  });
  if (used) { touched(); }
})();
