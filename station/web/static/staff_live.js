// Staff pages that follow the station live (home, health, calibration, bring-up, settings): when the
// station stops answering, the page says so at once and since when, greys what it shows (those are
// the figures of that time, not now), and takes it back when the station answers again. Nothing on a
// live page may look current while it is not (issue 26: a green UP badge beside "not answering").
//
// It asks the station itself (GET data-heartbeat, default /api/health) every EVERY_MS; a page's own
// fetches report to it as well: window.stationLive.ok() / .failed().
"use strict";

(function () {
  const EVERY_MS = 4000; // a few seconds: staff notice a stopped station before they act on old figures
  // A station gone without a word (a Wi-Fi drop, a pulled plug on the way) can leave a request
  // hanging rather than refused, for as long as TCP waits: an answer slower than this counts as
  // none. (A killed process is refused at once: benchmarks/stale_notice.py, docs/figures.md.)
  const ANSWER_MS = 3000;
  const banner = document.getElementById("live-state");
  if (!banner) {
    return;
  }
  const heartbeat = banner.dataset.heartbeat || "/api/health";
  let downSince = null; // Date of the first failure in a row; null while the station answers
  let timer = null;

  function clock(d) {
    return d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", hour12: false});
  }

  function ago(ms) {
    const s = Math.max(0, Math.round(ms / 1000));
    if (s < 10) return "a moment ago";
    if (s < 60) return `${s} seconds ago`;
    const m = Math.round(s / 60);
    if (m < 60) return m === 1 ? "a minute ago" : `${m} minutes ago`;
    const h = Math.round(m / 60);
    return h === 1 ? "an hour ago" : `${h} hours ago`;
  }

  function draw() {
    const stale = downSince !== null;
    document.body.classList.toggle("stale", stale);
    banner.hidden = !stale;
    document.querySelectorAll("[data-live]").forEach((el) => {
      el.setAttribute("aria-disabled", stale ? "true" : "false");
    });
    if (stale) {
      const text = `Station not answering since ${clock(downSince)} (${ago(Date.now() - downSince)}). ` +
        "What this page shows is from before then; it updates by itself when the station is back.";
      if (banner.textContent !== text) banner.textContent = text;
    }
    document.dispatchEvent(new CustomEvent("station-live", {detail: {stale, since: downSince}}));
  }

  const live = {
    ok() {
      if (downSince !== null) {
        downSince = null;
        draw();
      }
    },
    failed() {
      if (downSince === null) {
        downSince = new Date();
      }
      draw();
    },
    get stale() { return downSince !== null; },
    get since() { return downSince; },
  };
  window.stationLive = live;

  async function beat() {
    try {
      const r = await fetch(heartbeat, {cache: "no-store", credentials: "same-origin",
                                        signal: AbortSignal.timeout(ANSWER_MS)});
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      live.ok();
    } catch {
      live.failed();
    }
  }

  function run() {
    if (timer === null) timer = setInterval(beat, EVERY_MS);
  }
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) { clearInterval(timer); timer = null; } else { beat(); run(); }
  });
  setInterval(() => { if (downSince !== null) draw(); }, 10000); // "3 minutes ago" moves on
  window.addEventListener("offline", () => live.failed());
  if (!document.hidden) run();
}());
