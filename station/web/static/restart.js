// The "Restarting" page: ask /api/health until a station that started after the old one answers,
// then go back. A failed fetch is the station being down: try again.
"use strict";

(function () {
  const state = document.getElementById("restart-state");
  const before = Number(state.dataset.started);
  const poll = () => {
    fetch("/api/health", {credentials: "same-origin", cache: "no-store"})
      .then((r) => (r.ok ? r.json() : null))
      .then((h) => {
        if (h && Number(h.started) > before) {
          state.textContent = "The station is back.";
          window.location.assign(state.dataset.back);
          return;
        }
        window.setTimeout(poll, 500);
      })
      .catch(() => window.setTimeout(poll, 500));
  };
  window.setTimeout(poll, 1000);
}());
