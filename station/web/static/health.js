// The health page refreshes its figures in place every few seconds (no page reload, so focus and
// scrolling stay put), and says how fresh they are. It pauses while the tab is hidden.
"use strict";
(() => {
  const EVERY_MS = 5000; // the loop's figures move slowly; 5 s is fresh enough and cheap
  const updated = document.getElementById("updated");
  const url = updated.dataset.refresh;
  let last = Date.now();
  let failing = false;
  let timer = null;

  function since() {
    const s = Math.round((Date.now() - last) / 1000);
    // Seconds only: past a minute the line says the station does not answer instead.
    const age = s < 60 ? `${s} s` : "over a minute";
    updated.textContent = (failing ? "station not answering; last updated " : "updated ") + `${age} ago`;
  }

  function list(id, items, empty, render) {
    const ul = document.getElementById(id);
    ul.replaceChildren(...(items.length ? items : [null]).map((item) => {
      const li = document.createElement("li");
      if (item === null) li.textContent = empty;
      else render(li, item);
      return li;
    }));
  }

  function when(li, text) {
    const span = document.createElement("span");
    span.className = "when";
    span.textContent = text;
    li.append(span, " ");
  }

  function show(v) {
    const status = document.getElementById("status");
    status.textContent = v.status;
    status.className = `status ${v.status}`;
    const service = document.getElementById("service");
    service.hidden = !v.service;
    const label = document.createElement("b");
    label.textContent = "Needs attention:";
    service.replaceChildren(...(v.service ? [label, ` ${v.service}`] : []));
    for (const f of v.figures) {
      const cell = document.getElementById(`fig-${f.key}`);
      if (!cell) continue; // a row that appeared since the page loaded shows on the next visit
      cell.textContent = f.text;
      cell.classList.toggle("error", f.problem);
    }
    list("errors", v.errors, "none", (li, e) => { when(li, e.when); li.append(`${e.source}: ${e.message}`); });
    list("log", v.log, "nothing logged since the station started", (li, line) => {
      li.className = `level-${line.level}`;
      when(li, line.when);
      const b = document.createElement("b");
      b.textContent = line.level;
      li.append(b, ` ${line.logger}: ${line.message}`);
    });
  }

  async function refresh() {
    try {
      // Not answered in 4 s is not answered: a vanished station can leave a request hanging.
      const r = await fetch(url, {cache: "no-store", credentials: "same-origin", signal: AbortSignal.timeout(4000)});
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      show(await r.json());
      last = Date.now();
      failing = false;
      if (window.stationLive) window.stationLive.ok();
    } catch {
      // Signed out or the station is down: the badge no longer claims UP, the line says since when,
      // and staff_live.js greys the figures (they are from the last answer, not now).
      failing = true;
      const status = document.getElementById("status");
      status.textContent = "not answering";
      status.className = "status stale";
      if (window.stationLive) window.stationLive.failed();
    }
    since();
  }

  function run() {
    if (timer === null) timer = setInterval(() => { refresh(); }, EVERY_MS);
  }

  function pause() {
    clearInterval(timer);
    timer = null;
  }

  document.addEventListener("visibilitychange", () => {
    if (document.hidden) pause();
    else { refresh(); run(); }
  });
  setInterval(since, 1000);
  if (!document.hidden) run();
})();
