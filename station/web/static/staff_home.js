// The staff home refreshes its state and checklist in place every few seconds (no reload: focus and
// scrolling stay put) and says how fresh they are; staff_live.js greys it when the station stops.
"use strict";
(() => {
  const EVERY_MS = 5000; // as the health page: the figures move slowly
  const updated = document.getElementById("updated");
  const url = updated.dataset.refresh;
  let last = Date.now();

  function since() {
    const s = Math.round((Date.now() - last) / 1000);
    const stale = window.stationLive && window.stationLive.stale;
    const age = s < 60 ? `${s} s` : `${Math.round(s / 60)} min`;
    updated.textContent = (stale ? "not updated since " : "updated ") + `${age} ago`;
  }

  function show(v) {
    const status = document.getElementById("status");
    status.textContent = v.status;
    status.className = `status ${v.status}`;
    for (const t of v.tiles) {
      const tile = document.getElementById(`tile-${t.key}`);
      const text = document.getElementById(`text-${t.key}`);
      if (!tile || !text) continue;
      tile.classList.toggle("problem", t.problem);
      const words = (t.problem ? "Needs attention: " : "") + t.text;
      if (text.textContent !== words) {
        const hidden = document.createElement("span");
        hidden.className = "visually-hidden";
        hidden.textContent = "Needs attention: ";
        text.replaceChildren(...(t.problem ? [hidden, t.text] : [t.text]));
      }
    }
    for (const s of v.steps) {
      const li = document.getElementById(`step-${s.key}`);
      // A step done since the page loaded changes the order of what is next: reload the list once.
      if (li && li.classList.contains("done") !== s.done) {
        window.location.reload();
        return;
      }
    }
  }

  async function refresh() {
    try {
      // Not answered in 4 s is not answered (staff_live.js says why).
      const r = await fetch(url, {cache: "no-store", credentials: "same-origin", signal: AbortSignal.timeout(4000)});
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      show(await r.json());
      last = Date.now();
      if (window.stationLive) window.stationLive.ok();
    } catch {
      if (window.stationLive) window.stationLive.failed();
    }
    since();
  }

  let timer = null;
  const run = () => { if (timer === null) timer = setInterval(refresh, EVERY_MS); };
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) { clearInterval(timer); timer = null; } else { refresh(); run(); }
  });
  setInterval(since, 1000);
  if (!document.hidden) run();
})();
