// Staff pages: the settings' error summary takes the focus and its links focus their field
// (opening an advanced section if it is closed); the calibration page follows the wall
// measurement. Everything works without this file; it only saves steps.
"use strict";

(function () {
  const summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
  document.addEventListener("click", (event) => {
    const link = event.target.closest('a[href^="#f-"]');
    if (!link) {
      return;
    }
    const field = document.getElementById(link.getAttribute("href").slice(1));
    if (!field) {
      return;
    }
    event.preventDefault();
    const section = field.closest("details");
    if (section) {
      section.open = true;
    }
    field.focus();
    field.scrollIntoView({block: "center"});
  });

  // Calibration: poll the wall measurement while it waits; reload once it is done, so the
  // page shows the result and its Apply button (drawn by the server).
  const wall = document.getElementById("wall-measure");
  if (wall && ["starting", "stand", "hold"].includes(wall.dataset.state)) {
    const state = document.getElementById("wall-state");
    const bar = document.getElementById("wall-held");
    const poll = () => {
      fetch(wall.dataset.status, {credentials: "same-origin", cache: "no-store"})
        .then((r) => (r.ok ? r.json() : null))
        .then((p) => {
          if (!p) {
            if (window.stationLive) window.stationLive.failed(); // signed out, or the station fails
            window.setTimeout(poll, 2000);
            return;
          }
          if (window.stationLive) window.stationLive.ok();
          if (!["starting", "stand", "hold"].includes(p.state)) {
            window.location.reload();
            return;
          }
          if (state.textContent !== p.message) {
            state.textContent = p.message;
          }
          bar.value = p.held_s;
          window.setTimeout(poll, 500);
        })
        .catch(() => {
          if (window.stationLive) window.stationLive.failed(); // staff_live.js: "not answering since"
          window.setTimeout(poll, 2000);
        });
    };
    window.setTimeout(poll, 500);
  }
}());
