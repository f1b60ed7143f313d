// The member page. It reads /api/stream?compact=1 (EventSource reconnects by itself): the first
// message holds every field the page draws, later ones only the fields that changed (an empty one
// every few seconds when nothing did), and events (rep_finished, set_started, set_ended) come as
// named "event" messages.
//
// Three screens: live (someone at the wall), the set summary (after a set, SUMMARY_MS long) and
// idle (nobody there: a good rep animated from the simulator's poses, and the drill in words).
// The live screen's band is the rep's verdict as a full-width flash for HOLD_MS after the rep (its
// cue with it), else the coach's cue now: one cue at a time. The flash ends when the next rep is
// under way (after MIN_MS at least, so it can be read) and when the member leaves. The contacts
// show what is seen now: nothing is claimed when no one is seen. When the stream says nothing for
// STALE_MS (a dropped Wi-Fi, a browser gone offline, a stopped station) or fails, everything
// greys out under "Station not answering since <time>", and the page connects anew.
"use strict";
const $ = (id) => document.getElementById(id);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const VOCAB = JSON.parse($("vocabulary").textContent);
const FAULTS = Object.fromEntries(VOCAB.faults.map((f, rank) => [f.code, { ...f, rank }]));
const HOLD_MS = 1000 * VOCAB.hold_s, MIN_MS = 1500, SUMMARY_MS = 1000 * VOCAB.summary_s;
const STALE_MS = 1000 * VOCAB.stale_s;  // the stream says something every few seconds (web/__init__.py)
const RETRY_MS = 1000 * VOCAB.retry_s;  // after a refused stream, between this and twice this
const IN_REP = new Set(["hinging", "at_wall", "returning"]);
// The drawing (CONTACTS, pointsOf, cropOf, smoothCrop, wallOf, draw) is in skeleton.js, loaded first.

const state = {};  // the merged live view
const page = { card: null, tally: {}, summaryUntil: 0, connected: false, failed: false, heard: 0, tried: 0,
  heardAt: null, openedAt: new Date(), refused: null, source: null, crop: null, wall: null };

function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

// ------------------------------------------------------------------ the live screen
function showContacts() {
  const seen = Boolean(state.pose);  // a contact is only what is seen now
  for (const [key] of CONTACTS) {
    const on = seen && state.contacts ? state.contacts[key] : null;
    const li = $("contact-" + key);
    li.className = on === true ? "on" : on === false ? "off" : "unknown";
    setText(li.querySelector(".icon"), on === true ? "\u2713" : on === false ? "\u2717" : "?");
    setText(li.querySelector("b"), on === true ? "ON" : on === false ? "OFF" : "not seen");
  }
}

function showGauge() {
  const pct = Math.round(100 * Math.min(1, Math.max(0, state.depth || 0)));
  $("depth").style.width = pct + "%";
  $("gauge").setAttribute("aria-valuenow", String(pct));
  setText($("depth-text"), pct >= 100 ? "AT THE WALL" : pct + " %");
}

// What the band says of each verdict: a mark as well as a word, never colour alone. A rep the
// camera could not judge (the back or the dowel not seen) is counted and says so.
const VERDICT_WORDS = { good: "\u2713 GOOD", fault: "\u2717 FIX IT", unjudged: "? NOT SEEN" };

// The band: the last rep's verdict and its one cue while it holds, else the cue of now.
function showBand(now) {
  const card = page.card;
  if (card) {
    const age = now - card.at;
    if (age > HOLD_MS || (IN_REP.has(state.phase) && age > MIN_MS) || state.phase === "away") page.card = null;
  }
  const c = page.card, band = $("band");
  const kind = c ? c.verdict : "neutral";
  if (!band.classList.contains(kind)) band.className = "band " + kind;
  if (!c) {
    setText($("verdict-rep"), IN_REP.has(state.phase) ? `Rep ${(state.reps || 0) + 1}\u2026` : "");
    setText($("verdict-word"), "");
    setText($("cue"), state.cue || "");
    return;
  }
  setText($("verdict-rep"), `Rep ${c.rep}`);
  setText($("verdict-word"), VERDICT_WORDS[c.verdict] || c.verdict);
  const first = c.faults.map((code) => FAULTS[code]).filter(Boolean).sort((a, b) => a.rank - b.rank)[0];
  // A rep counted but not judged: what would let the camera judge the next one.
  const unseen = (VOCAB.unseen_cues || {})[c.unseen[0]];
  setText($("cue"), c.verdict === "good" ? VOCAB.good_cue : first ? first.cue : unseen || "");
}

function showScreen(now) {
  const summary = now < page.summaryUntil;
  const nobody = (!state.phase || state.phase === "away") && !state.pose;
  const screen = summary ? "summary" : nobody ? "idle" : "live";
  $("live").hidden = screen !== "live";
  $("set-summary").hidden = screen !== "summary";
  $("idle").hidden = screen !== "idle";
  document.body.classList.toggle("screen-idle", screen === "idle");
  if (screen === "idle") startIdle();
}

function showLights() {
  if (!state.lights) return;
  const colours = { red: "255,40,40", amber: "255,170,0", green: "40,220,60" };
  for (const [name, rgb] of Object.entries(colours)) {
    const lamp = $("light-" + name);
    if (lamp) lamp.style.background = `rgba(${rgb},${0.15 + 0.85 * (state.lights[name] || 0)})`;
  }
}

// Whether the station answers: a message within STALE_MS. Not answering: since the last one heard
// (or since the page opened); refused a stream: the reason, which is not an outage of the station.
function showLink(now) {
  if (now - Math.max(page.heard, page.tried) > STALE_MS) {
    page.connected = false; page.failed = true;
    reconnect();  // a stream that went quiet may be a dead connection the browser has not noticed
  }
  const refused = !page.connected && page.refused;
  $("limit").hidden = !refused;
  if (refused) setText($("limit"), page.refused);
  const down = !page.connected && page.failed && !refused;  // not before the first try has failed
  $("link").hidden = !down;
  if (down) {
    const since = page.heardAt || page.openedAt;
    setText($("link-since"), since.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" }));
    $("link-since").dateTime = since.toISOString();
  }
}

function show() {
  const now = performance.now();
  const inSet = state.set_no && state.phase && state.phase !== "away";  // away: the last set is over
  setText($("reps"), String(inSet ? state.reps ?? 0 : 0));
  setText($("set-line"), inSet ? `Set ${state.set_no} \u00b7 ${state.good ?? 0} good of ${state.reps ?? 0}`
    : "Step up to start");
  showContacts(); showGauge(); showBand(now); showLights(); showScreen(now); showLink(now);
  const keep = state.keep_sets_days;  // staff keep sets as poses: members are told, always
  $("keeping").hidden = !keep; document.body.classList.toggle("keeping", Boolean(keep));
  if (keep) setText($("keep-days"), String(keep));
  $("offline").hidden = state.camera !== "offline" || !page.connected;
  $("service").hidden = !state.service || !page.connected;
  if (state.service) $("service").textContent = "Staff: " + state.service;
  document.body.classList.toggle("stale", !page.connected || state.camera === "offline");
  for (const phase of ["away", "ready", "hinging", "at_wall", "returning"]) {
    document.body.classList.toggle("phase-" + phase, state.phase === phase);
  }
  if (!$("live").hidden) {
    page.wall = wallOf(state, page.wall);
    const v = { ...state, wall: page.wall, contacts: state.pose ? state.contacts : null };
    page.crop = smoothCrop(page.crop, cropOf([v]));
    draw($("skeleton"), v, page.crop);
  }
}

// ------------------------------------------------------------------ events
function onEvent(ev) {
  const now = performance.now();
  if (ev.event === "rep_finished") {
    page.card = { rep: ev.rep, verdict: ev.verdict, faults: ev.faults || [], unseen: ev.unseen || [], at: now };
    for (const code of ev.faults || []) page.tally[code] = (page.tally[code] || 0) + 1;
    state.reps = ev.rep;
  } else if (ev.event === "set_started") {
    page.tally = {}; page.card = null; page.summaryUntil = 0; page.wall = null;
  } else if (ev.event === "set_ended") {
    page.card = null;
    if (ev.reps > 0) {
      page.summaryUntil = now + SUMMARY_MS;
      setText($("h-summary"), `Set ${ev.set_no} done`);
      setText($("summary-count"), `${ev.good} of ${ev.reps} good`);
      setText($("summary-watch"), watchLine(ev));
    }
  }
  show();
}

function watchLine(ev) {
  const codes = Object.keys(page.tally).filter((c) => FAULTS[c]);
  if (!codes.length) return ev.good === ev.reps ? "Every rep good. Well done!" : "";
  codes.sort((a, b) => page.tally[b] - page.tally[a] || FAULTS[a].rank - FAULTS[b].rank);
  return "Watch: " + FAULTS[codes[0]].name;
}

// ------------------------------------------------------------------ the stream
function heard() {
  page.heard = performance.now(); page.heardAt = new Date();
  page.connected = true; page.failed = false; page.refused = null;
}

function connect() {
  if (page.source) page.source.close();  // one stream a page, whichever timer came first
  const source = new EventSource("/api/stream?compact=1");
  page.source = source; page.tried = performance.now();
  source.onmessage = (e) => {
    if (source !== page.source) return;
    heard();
    Object.assign(state, JSON.parse(e.data));
    show();
  };
  source.addEventListener("event", (e) => { if (source === page.source) { heard(); onEvent(JSON.parse(e.data)); } });
  source.onerror = () => {
    if (source !== page.source) return;
    page.connected = false; page.failed = true; show();
    // A refused stream (503) is not retried by EventSource itself; ask why, then try again.
    if (source.readyState === EventSource.CLOSED) {
      page.source = null;
      askWhyRefused();
      setTimeout(connect, RETRY_MS * (1 + Math.random()));  // spread, so refused pages do not come back as one
    }
  };
}

function reconnect() {
  if (page.source) page.source.close();
  page.source = null; page.tried = performance.now();
  setTimeout(connect, 1000 + Math.random() * 1000);
}

// The station's reason for refusing this page a stream: this address's own cap, or every slot taken.
function askWhyRefused() {
  fetch("/api/stream/room", { cache: "no-store" }).then((r) => r.json()).then((room) => {
    page.refused = room.refused === "address"
      ? `Too many live pages from this device or network address: ${room.per_address} ` +
        `${room.per_address === 1 ? "is" : "are"} open, ` +
        `the most one address may have. Close one; this page joins by itself.`
      : room.refused === "total"
        ? "The station's live pages are all in use; this page joins when one closes."
        : null;
    show();
  }).catch(() => { page.refused = null; show(); });
}

// ------------------------------------------------------------------ the idle screen: a good rep
const idle = { rep: null, loading: false, running: false, t0: 0, crop: null };

function startIdle() {
  if (idle.running) return;
  if (!idle.rep) {
    if (!idle.loading) {
      idle.loading = true;
      fetch($("idle-rep").dataset.src || "/static/idle_rep.json").then((r) => r.json()).then((rep) => {
        let wall = null;
        for (const f of rep.frames) wall = wallOf({ ...f, wall: rep.wall }, wall);
        idle.rep = rep; idle.wall = wall; idle.crop = cropOf(rep.frames.map((f) => ({ ...f, wall })));
        startIdle();
      }).catch(() => { idle.loading = false; });
    }
    return;
  }
  idle.running = true; idle.t0 = performance.now();
  requestAnimationFrame(idleFrame);
}

function idleFrame(now) {
  if ($("idle").hidden) { idle.running = false; return; }
  const rep = idle.rep, n = rep.frames.length;
  const k = Math.floor(((now - idle.t0) / 1000) * rep.fps) % (n + rep.fps);  // a second's pause at the end
  const f = rep.frames[Math.min(k, n - 1)];
  draw($("idle-rep"), { ...f, wall: idle.wall }, idle.crop);
  requestAnimationFrame(idleFrame);
}

// ------------------------------------------------------------------ the demo's wall switch
const button = $("press-switch");
if (button) {
  let down = false;
  const press = (pressed) => {
    if (pressed === down) return;
    down = pressed; button.setAttribute("aria-pressed", String(pressed));
    fetch("/api/demo/switch", {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ pressed }),
    });
  };
  button.addEventListener("pointerdown", () => press(true));
  button.addEventListener("pointerup", () => press(false));
  button.addEventListener("pointerleave", (e) => { if (e.buttons) press(false); });
  const isKey = (e) => e.key === " " || e.key === "Enter";
  button.addEventListener("keydown", (e) => { if (isKey(e)) { e.preventDefault(); if (!e.repeat) press(true); } });
  button.addEventListener("keyup", (e) => { if (isKey(e)) { e.preventDefault(); press(false); } });
  button.addEventListener("blur", () => press(false));
}
window.addEventListener("resize", show);
setInterval(show, 250);  // the flash, the summary and a quiet stream expire with nothing new on it
show();
connect();
