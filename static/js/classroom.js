// The station classroom on the kiosk (kiosk/classroom.py): the classroom screen's player, and the home
// screen's idle screen. Everything plays from the kiosk's own cache, so it works with no network.
(function () {
  "use strict";
  const body = document.body;

  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRF-Token"] || ""; } catch (e) { return ""; }
  }

  // One <track> with the video's subtitle in the screen's language, shown.
  function load(video, item) {
    video.querySelectorAll("track").forEach(function (t) { t.remove(); });
    video.src = item.dataset.src;
    video.poster = item.dataset.poster || "";
    const track = document.createElement("track");
    track.kind = "subtitles";
    track.srclang = item.dataset.lang || "zh";
    track.src = item.dataset.subtitles;
    track.default = true;
    video.appendChild(track);
    track.track.mode = "showing";
  }

  // ---- The classroom screen ------------------------------------------------------------------------
  // A tap plays the video with sound (the tap is the gesture the browser asks for), subtitles shown.
  // The play is reported once when it starts and once when it ends (kiosk classroom_play events).
  const screen = document.querySelector("[data-classroom]");
  if (screen) {
    const player = screen.querySelector("[data-player]");
    const lessons = screen.querySelector("[data-lessons]");
    const video = player ? player.querySelector("video") : null;
    let current = null;
    let reported = false;

    const report = function (completed) {
      if (!current) { return; }
      const form = new URLSearchParams({ video: current, completed: completed ? "1" : "0" });
      fetch(screen.dataset.playedUrl, { method: "POST", body: form, credentials: "same-origin",
                                        headers: { "X-CSRF-Token": csrfToken() } }).catch(function () {});
    };
    const close = function () {
      if (video) { video.pause(); video.removeAttribute("src"); video.load(); }
      if (player) { player.hidden = true; }
      if (lessons) { lessons.hidden = false; }
      current = null;
    };
    screen.addEventListener("click", function (event) {
      const lesson = event.target.closest("[data-video]");
      if (lesson && video) {
        load(video, lesson);
        current = lesson.dataset.video;
        reported = false;
        video.muted = false;
        lessons.hidden = true;
        player.hidden = false;
        video.play().catch(function () { video.muted = true; return video.play(); }).catch(function () {});
      }
      if (event.target.closest("[data-player-close]")) { close(); }
    });
    if (video) {
      video.controls = true;
      video.addEventListener("playing", function () { if (!reported) { reported = true; report(false); } });
      video.addEventListener("ended", function () { report(true); close(); });
    }
  }

  // ---- The idle screen -----------------------------------------------------------------------------
  // Only on the untouched home screen (data-pristine), after data-idle-after-ms without a touch: the
  // cached videos one after another, muted, with subtitles. A touch hides it at once and is taken by
  // the idle screen, not by the button underneath; kiosk.js's idle reset counts it like any touch.
  const idle = document.querySelector("[data-idle-screen]");
  if (idle && body.dataset.pristine === "true") {
    const video = idle.querySelector("video");
    const items = Array.prototype.slice.call(idle.querySelectorAll("li"));
    const after = Number(idle.dataset.idleAfterMs || 90000);
    let next = 0;
    let timer = null;

    const playNext = function () {
      load(video, items[next % items.length]);
      next += 1;
      video.muted = true;
      video.play().catch(function () {});
    };
    const show = function () {
      idle.hidden = false;
      playNext();
    };
    const arm = function () {
      clearTimeout(timer);
      timer = setTimeout(show, after);
    };
    // The click that follows the touch lands on whatever is under it once the idle screen is gone:
    // it is swallowed (before any other listener, htmx's too), so the touch only brings home back.
    let swallowUntil = 0;
    window.addEventListener("click", function (event) {
      if (performance.now() < swallowUntil) {
        swallowUntil = 0;
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    }, true);
    const hide = function (event) {
      if (idle.hidden) { arm(); return; }
      if (event.type === "pointerdown") {
        event.preventDefault();
        event.stopPropagation();
        swallowUntil = performance.now() + 1000;
      }
      video.pause();
      idle.hidden = true;
      arm();
    };
    video.addEventListener("ended", playNext);
    idle.addEventListener("pointerdown", hide);
    ["pointerdown", "keydown", "wheel"].forEach(function (name) {
      document.addEventListener(name, function (event) {
        if (idle.hidden) { arm(); } else if (name !== "pointerdown") { hide(event); }
      }, { passive: true, capture: true });
    });
    arm();
  }
})();
