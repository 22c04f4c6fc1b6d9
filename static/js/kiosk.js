// Kiosk screen behaviour that htmx does not cover: the idle reset, the card scanner, the camera.
(function () {
  "use strict";
  const body = document.body;

  // A touchscreen kiosk has no context menu (a long press would open one) and no pinch zoom
  // (the launcher also starts Chromium with --disable-pinch).
  document.addEventListener("contextmenu", (event) => event.preventDefault());
  document.addEventListener("gesturestart", (event) => event.preventDefault());

  // ---- Idle reset ----------------------------------------------------------------------------------
  // Every screen but the untouched home screen (data-pristine) counts `data-idle-ms` from its load, the
  // last touch or key, and every change a touch or scan made (an htmx swap). For the last
  // `data-warning-ms` it shows a countdown with a "continue" button; then it wipes: the server session
  // (POST data-reset-url), sessionStorage and localStorage, and the page, replaced (not pushed) by the
  // home screen so Back cannot return to it. Polls and timed swaps are not a rider: they count nothing.
  const idleMs = Number(body.dataset.idleMs || 60000);
  const warningMs = Number(body.dataset.warningMs || 10000);
  const RESET_WAIT_MS = 3000;
  const warning = document.getElementById("idle-warning");
  const countdown = warning ? warning.querySelector("[data-idle-countdown]") : null;
  let armed = body.dataset.pristine !== "true";
  let deadline = 0;
  let timer = null;
  let ticker = null;
  let wiping = false;

  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  }

  function clearStorage() {
    try { sessionStorage.clear(); localStorage.clear(); } catch (e) { /* storage may be disabled */ }
  }

  function warningShown() { return warning !== null && !warning.hidden; }

  function hideWarning() {
    clearInterval(ticker);
    ticker = null;
    if (warning) { warning.hidden = true; }
  }

  function tick() {
    const left = deadline - performance.now();
    if (left <= 0) { wipe(); return; }
    if (countdown) { countdown.textContent = String(Math.ceil(Math.min(left, warningMs) / 1000)); }
  }

  function showWarning() {
    if (!warning) { timer = setTimeout(wipe, Math.max(deadline - performance.now(), 0)); return; }
    warning.hidden = false;
    tick();
    clearInterval(ticker);
    ticker = setInterval(tick, 100);
  }

  function extend() {
    // A new deadline; the warning, if shown, stays until it is tapped (so the tap cannot land on the
    // screen underneath it).
    if (wiping) { return; }
    armed = true;
    deadline = performance.now() + idleMs;
    clearTimeout(timer);
    timer = setTimeout(showWarning, idleMs - warningMs);
  }

  function activity() {
    extend();
    hideWarning();
  }

  function wipe() {
    if (wiping) { return; }
    wiping = true;
    clearTimeout(timer);
    clearInterval(ticker);
    clearStorage();
    let gone = false;
    const home = function () {
      if (gone) { return; }
      gone = true;
      clearStorage();
      window.location.replace(body.dataset.homeUrl || "/");
    };
    setTimeout(home, RESET_WAIT_MS);  // a server that does not answer must not keep the screen as it is
    fetch(body.dataset.resetUrl, { method: "POST", headers: { "X-CSRF-Token": csrfToken() },
                                   credentials: "same-origin", cache: "no-store" }).then(home, home);
  }

  ["pointerdown", "keydown", "wheel"].forEach(function (name) {
    document.addEventListener(name, function (event) {
      if (name === "pointerdown" && warningShown()) { extend(); } else { activity(); }
    }, { passive: true, capture: true });
  });
  if (warning) {
    warning.addEventListener("click", function (event) {
      event.preventDefault();
      event.stopPropagation();
      activity();
    });
  }
  // A swap a rider caused (a tap's request) counts; polls and "load delay" swaps have no trusted event.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const config = event.detail && event.detail.requestConfig;
    if (config && config.triggeringEvent && config.triggeringEvent.isTrusted) { activity(); }
  });
  // A page brought back from the back-forward cache is asked for again: the server may have forgotten it.
  window.addEventListener("pageshow", function (event) { if (event.persisted) { window.location.reload(); } });
  if (armed) { activity(); }

  // ---- Member card scanner ------------------------------------------------------------------------
  // A USB barcode scanner is a keyboard: it types the code in one burst and presses Enter. We listen
  // on the whole page, whatever has focus (a radio, a button: no field on the kiosk takes text), and
  // decide at Enter whether the keys since the burst began were a scan, by three things together:
  //  - the text's own form: a member card (WS1., waystation/cards.py) or a voucher (WV1./WP1.,
  //    waystation/vouchers.py), the very patterns Python checks them with. A code of that form
  //    cannot be typed by a person at a person's pace.
  //  - the burst as a whole: the median gap between keys (robust to a few stalled keys), not each gap.
  //  - key times from event.timeStamp (when the key arrived), not from when a busy page got to it.
  // A code-shaped burst is a scan with a median gap up to CODE_MEDIAN_GAP_MS and stalls up to
  // CODE_STALL_MS (a loaded kiosk PC delays a scanner's keys); any other text (a foreign QR, so the
  // rider hears "not a member card") must come at scanner speed. The same code again within
  // `data-repeat-seconds` is ignored (a scanner that reads one card twice).
  // The forms come from the server (data-code-forms: waystation.cards.CARD_PATTERN, VOUCHER_PATTERNS).
  const CODE_FORMS = JSON.parse(body.dataset.codeForms || "[]").map(function (source) { return new RegExp(source); });
  const CODE_PREFIXES = ["WS1.", "WV1.", "WP1."];  // what every form above begins with
  const BURST_GAP_MS = 300;
  const CODE_STALL_MS = 2000;
  const CODE_MEDIAN_GAP_MS = 80;
  const OTHER_MEDIAN_GAP_MS = 35;
  const OTHER_MEAN_GAP_MS = 60;
  const MIN_LENGTH = 8;
  const repeatMs = Number(body.dataset.repeatSeconds || 5) * 1000;
  let buffer = "";
  let gaps = [];
  let lastKeyAt = -Infinity;
  let lastCode = "";
  let lastCodeAt = -Infinity;

  function typingInAField(target) {
    if (!target) { return false; }
    if (target.isContentEditable || target.tagName === "TEXTAREA") { return true; }
    return target.tagName === "INPUT" && /^(text|search|tel|number|email|password|url)$/.test(target.type);
  }

  function codeShaped(text) {
    return CODE_FORMS.some(function (form) { return form.test(text); });
  }

  function startsLikeCode(text) {
    return CODE_PREFIXES.some(function (prefix) { return text.length >= 4 ? text.startsWith(prefix) : prefix.startsWith(text); });
  }

  function median(values) {
    const sorted = values.slice().sort(function (a, b) { return a - b; });
    const mid = sorted.length >> 1;
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  }

  function isScan(text, keyGaps) {
    if (text.length < MIN_LENGTH || !keyGaps.length) { return false; }
    const middle = median(keyGaps);
    if (codeShaped(text)) { return middle <= CODE_MEDIAN_GAP_MS; }
    const mean = keyGaps.reduce(function (a, b) { return a + b; }, 0) / keyGaps.length;
    return middle <= OTHER_MEDIAN_GAP_MS && mean <= OTHER_MEAN_GAP_MS;
  }

  function scanTarget() {
    // The screen says where a scan goes (check-in on the home screen, identify in a request...).
    const holders = document.querySelectorAll("[data-scan-url]");
    return holders.length ? holders[holders.length - 1].dataset.scanUrl : null;
  }

  function submitCode(code) {
    const now = performance.now();
    if (code === lastCode && now - lastCodeAt < repeatMs) { return; }
    lastCode = code;
    lastCodeAt = now;
    const url = scanTarget();
    if (!url || !window.htmx) { return; }
    activity();
    const headers = JSON.parse(body.getAttribute("hx-headers") || "{}");
    window.htmx.ajax("POST", url, { target: "#dialog", swap: "outerHTML", values: { code: code }, headers: headers })
      .then(activity, function () { /* htmx shows nothing for a failed request; the rider scans again */ });
  }

  document.addEventListener("keydown", function (event) {
    if (typingInAField(event.target) || event.ctrlKey || event.altKey || event.metaKey) { return; }
    const at = event.timeStamp || performance.now();
    const gap = at - lastKeyAt;
    lastKeyAt = at;
    const stall = startsLikeCode(buffer) && buffer.length >= 4 ? CODE_STALL_MS : BURST_GAP_MS;
    if (gap > stall) { buffer = ""; gaps = []; } else if (buffer) { gaps.push(Math.max(gap, 0)); }
    if (event.key === "Enter") {
      if (isScan(buffer, gaps)) {
        // The Enter ends the scan: it must not press a focused button or submit a form with a focused radio.
        event.preventDefault();
        event.stopImmediatePropagation();
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
  // show it grouped (138 1234 5678); the server checks it. After a refusal the digits are still there
  // to correct, and the refusal goes away as soon as the number is changed.
  document.querySelectorAll("[data-keypad]").forEach(function (form) {
    const value = form.querySelector("[data-keypad-value]");
    const display = form.querySelector("[data-keypad-display]");
    const placeholder = display.dataset.placeholder || display.textContent;
    form.addEventListener("click", function (event) {
      const key = event.target.closest("[data-key]");
      if (!key) { return; }
      const k = key.dataset.key;
      if (k === "clear") { value.value = ""; }
      else if (k === "back") { value.value = value.value.slice(0, -1); }
      else if (value.value.length < 11) { value.value += k; }
      show();
      form.querySelectorAll("[data-keypad-error]").forEach(function (error) { error.hidden = true; });
    });
    function show() {
      const v = value.value;
      display.textContent = v ? [v.slice(0, 3), v.slice(3, 7), v.slice(7)].filter(Boolean).join(" ") : placeholder;
    }
    // The digits put back after a language switch (static/js/keep-form.js) are shown too.
    value.addEventListener("input", show);
    // The keys come disabled until now, so a tap made while this script was still loading is not
    // taken and silently lost.
    form.querySelectorAll("[data-key]").forEach(function (key) { key.disabled = false; });
  });
})();
