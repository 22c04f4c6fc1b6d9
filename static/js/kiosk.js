// Kiosk screen behaviour that htmx does not cover: the idle reset, the card scanner, the camera.
(function () {
  "use strict";
  const body = document.body;

  // A touchscreen kiosk has no context menu (a long press would open one) and no pinch zoom
  // (the launcher also starts Chromium with --disable-pinch).
  document.addEventListener("contextmenu", (event) => event.preventDefault());
  document.addEventListener("gesturestart", (event) => event.preventDefault());

  // Idle reset. After `data-idle-seconds` without a touch, a screen that anyone has used is wiped:
  // the server session is cleared (/screen/reset) and the page is replaced, not pushed, so "back"
  // shows nothing.
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

  // Member card scanner. A USB barcode scanner is a keyboard: it types the card's text in one fast
  // burst and presses Enter. We listen on the whole page (no field needs focus) and tell a scanner
  // from a person by timing: a scanner's keys come MAX_MEAN_GAP_MS apart or less on average, a
  // person's several times slower. A pause over BURST_GAP_MS starts a new burst (generous, so a
  // busy kiosk PC that stalls a scanner's burst for a moment still reads it). The same code again
  // within `data-repeat-seconds` is ignored.
  const BURST_GAP_MS = 300;
  const MAX_MEAN_GAP_MS = 35;
  const MIN_LENGTH = 8;
  const repeatMs = Number(body.dataset.repeatSeconds || 5) * 1000;
  let buffer = "";
  let gaps = [];
  let lastKeyAt = 0;
  let lastCode = "";
  let lastCodeAt = 0;

  function typingInAField(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function scanTarget() {
    // The screen says where a scan goes (check-in on the home screen, identify in a request...).
    const holders = document.querySelectorAll("[data-scan-url]");
    return holders.length ? holders[holders.length - 1].dataset.scanUrl : null;
  }

  function submitCode(code) {
    const now = Date.now();
    if (code === lastCode && now - lastCodeAt < repeatMs) { return; }
    lastCode = code;
    lastCodeAt = now;
    const url = scanTarget();
    if (!url || !window.htmx) { return; }
    touched();
    const headers = JSON.parse(body.getAttribute("hx-headers") || "{}");
    window.htmx.ajax("POST", url, { target: "#dialog", swap: "outerHTML", values: { code: code }, headers: headers });
  }

  document.addEventListener("keydown", function (event) {
    if (typingInAField(event.target) || event.ctrlKey || event.altKey || event.metaKey) { return; }
    const now = performance.now();
    const gap = now - lastKeyAt;
    lastKeyAt = now;
    if (gap > BURST_GAP_MS) { buffer = ""; gaps = []; } else if (buffer) { gaps.push(gap); }
    if (event.key === "Enter") {
      const mean = gaps.length ? gaps.reduce(function (a, b) { return a + b; }, 0) / gaps.length : Infinity;
      if (buffer.length >= MIN_LENGTH && mean <= MAX_MEAN_GAP_MS) {
        event.preventDefault();  // the Enter ends the scan; it must not press a focused button
        submitCode(buffer);
      }
      buffer = "";
      gaps = [];
    } else if (event.key.length === 1) {
      buffer += event.key;
    }
  }, true);

  // Camera scanning: for stations without a USB scanner, the kiosk's camera reads the QR (jsQR,
  // vendored). The stream stops as soon as a code is read or the view is closed.
  let stream = null;
  let frame = null;

  function stopCamera() {
    if (frame) { cancelAnimationFrame(frame); frame = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    const view = document.getElementById("camera");
    if (view) { view.hidden = true; }
  }

  function startCamera() {
    const view = document.getElementById("camera");
    if (!view || !navigator.mediaDevices || !window.jsQR) { return; }
    const video = view.querySelector("video");
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    view.hidden = false;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "user" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.play();
      function look() {
        if (!stream) { return; }
        if (video.readyState === video.HAVE_ENOUGH_DATA) {
          canvas.width = video.videoWidth;
          canvas.height = video.videoHeight;
          context.drawImage(video, 0, 0, canvas.width, canvas.height);
          const image = context.getImageData(0, 0, canvas.width, canvas.height);
          const found = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
          if (found && found.data) { stopCamera(); submitCode(found.data); return; }
        }
        frame = requestAnimationFrame(look);
      }
      look();
    }).catch(function () {
      view.querySelector("[data-camera-error]").hidden = false;
    });
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-camera-open]")) { startCamera(); }
    if (event.target.closest("[data-camera-close]")) { stopCamera(); }
  });
  window.addEventListener("pagehide", stopCamera);

  // Numeric keypad: the only typing the kiosk allows. Taps build the number in a hidden field and
  // show it grouped (138 1234 5678); the server checks it.
  document.querySelectorAll("[data-keypad]").forEach(function (form) {
    const value = form.querySelector("[data-keypad-value]");
    const display = form.querySelector("[data-keypad-display]");
    const placeholder = display.textContent;
    form.addEventListener("click", function (event) {
      const key = event.target.closest("[data-key]");
      if (!key) { return; }
      const k = key.dataset.key;
      if (k === "clear") { value.value = ""; }
      else if (k === "back") { value.value = value.value.slice(0, -1); }
      else if (value.value.length < 11) { value.value += k; }
      const v = value.value;
      display.textContent = v ? [v.slice(0, 3), v.slice(3, 7), v.slice(7)].filter(Boolean).join(" ") : placeholder;
    });
  });
})();
