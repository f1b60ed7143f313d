// The member page. It reads /api/stream?compact=1 (EventSource reconnects by itself): the first
// message holds every field the page draws, later ones only the fields that changed, and events
// (rep_finished, set_started, set_ended) come as named "event" messages.
//
// Three screens: live (someone at the wall), the set summary (after a set, SUMMARY_MS long) and
// idle (nobody there: a good rep animated from the simulator's poses, and the drill in words).
// The result card shows a rep's verdict, its faults by name and the cue, for HOLD_MS after the
// rep; it turns neutral when the next rep is under way (after MIN_MS at least, so it can be read)
// and is cleared when the member leaves. Everything greys out while the station is unreachable.
"use strict";
const $ = (id) => document.getElementById(id);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const VOCAB = JSON.parse($("vocabulary").textContent);
const FAULTS = Object.fromEntries(VOCAB.faults.map((f, rank) => [f.code, { ...f, rank }]));
const HOLD_MS = 1000 * VOCAB.hold_s, MIN_MS = 1500, SUMMARY_MS = 1000 * VOCAB.summary_s;
const IN_REP = new Set(["hinging", "at_wall", "returning"]);
const CONTACTS = [["head", "ear", "Head"], ["upper_back", "shoulder", "Upper back"], ["sacrum", "hip", "Sacrum"]];
const POINTS = ["ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index", "nose"];
const BONES = [["ear", "shoulder"], ["shoulder", "elbow"], ["elbow", "wrist"], ["shoulder", "hip"], ["hip", "knee"],
  ["knee", "ankle"], ["ankle", "heel"], ["heel", "foot_index"], ["ankle", "foot_index"]];

const state = {};  // the merged live view
const page = { card: null, tally: {}, summaryUntil: 0, connected: false, crop: null, wall: null };

function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

// ------------------------------------------------------------------ drawing (live and idle)
function pointsOf(pose) {
  if (!pose) return null;
  const out = {};
  POINTS.forEach((name, i) => {
    const x = pose[1 + 2 * i], y = pose[2 + 2 * i];
    out[name] = x === null || x === undefined ? null : [x, y];
  });
  return out;
}

// The box to show, in frame pixels: the person, the dowel and the wall, with room for labels.
function cropOf(views) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const add = (x, y) => { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); };
  for (const v of views) {
    const pts = pointsOf(v.pose);
    if (!pts) continue;
    for (const p of Object.values(pts)) if (p) add(p[0], p[1]);
    if (v.dowel) { add(v.dowel[0], v.dowel[1]); add(v.dowel[2], v.dowel[3]); }
    if (v.wall !== null && v.wall !== undefined) add(v.wall, y0);
  }
  if (!isFinite(x0)) return null;
  const pad = 0.12 * (y1 - y0);
  return { x: x0 - 3 * pad, y: y0 - pad, w: x1 - x0 + 6 * pad, h: y1 - y0 + 2 * pad };
}

function smoothCrop(old, target) {
  if (!old || !target) return target;
  const k = 0.15;  // follows a member who steps, without shaking with every keypoint's noise
  return { x: old.x + k * (target.x - old.x), y: old.y + k * (target.y - old.y),
    w: old.w + k * (target.w - old.w), h: old.h + k * (target.h - old.h) };
}

function fitCanvas(canvas) {
  const rect = canvas.getBoundingClientRect();
  const ratio = Math.min(2, window.devicePixelRatio || 1);
  const w = Math.max(1, Math.round(rect.width * ratio)), h = Math.max(1, Math.round(rect.height * ratio));
  if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
  return canvas.getContext("2d");
}

function onDowel(p, dowel) {  // the point of the dowel's line nearest p
  if (!dowel) return p;
  const [ax, ay, bx, by] = dowel, dx = bx - ax, dy = by - ay, n = dx * dx + dy * dy || 1;
  const t = ((p[0] - ax) * dx + (p[1] - ay) * dy) / n;
  return [ax + t * dx, ay + t * dy];
}

// Where to draw the wall: the coach's wall (where the hip joint is when the hips travelled
// wall_travel torso lengths back), pushed out to the buttocks (a fifth of a torso behind the hip
// joint) when they went further: the switch, not that threshold, says where the wall really is.
function wallOf(v, before) {
  const pts = pointsOf(v.pose);
  if (v.wall === null || v.wall === undefined || !pts || !pts.hip) return v.wall ?? null;
  const back = (v.facing || v.pose[0]) === "right" ? -1 : 1;
  const torso = pts.shoulder ? Math.hypot(pts.shoulder[0] - pts.hip[0], pts.shoulder[1] - pts.hip[1]) : 0;
  const buttocks = pts.hip[0] + back * 0.2 * torso;
  const wall = before ?? v.wall;
  return back > 0 ? Math.max(wall, buttocks, v.wall) : Math.min(wall, buttocks, v.wall);
}

function draw(canvas, v, box) {
  const ctx = fitCanvas(canvas), W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const pts = pointsOf(v.pose);
  if (!pts || !box) return;
  const s = Math.min(W / box.w, H / box.h);
  const ox = (W - s * box.w) / 2 - s * box.x, oy = (H - s * box.h) / 2 - s * box.y;
  const P = (p) => [ox + s * p[0], oy + s * p[1]];
  const u = Math.max(3, H / 110);  // the drawing's unit of thickness
  const feet = ["heel", "foot_index", "ankle"].map((n) => pts[n]).filter(Boolean);
  const floor = feet.length ? P([0, Math.max(...feet.map((p) => p[1]))])[1] + u : H - u;
  ctx.lineCap = "round"; ctx.lineJoin = "round";
  ctx.strokeStyle = "#8a8a8a"; ctx.lineWidth = u / 2;  // floor
  ctx.beginPath(); ctx.moveTo(0, floor); ctx.lineTo(W, floor); ctx.stroke();
  if (v.wall !== null && v.wall !== undefined) drawWall(ctx, P([v.wall, 0])[0], floor, u, v.facing || v.pose[0]);
  ctx.strokeStyle = "#e8e8e8"; ctx.lineWidth = 1.6 * u;
  for (const [a, b] of BONES) {
    if (!pts[a] || !pts[b]) continue;
    ctx.beginPath(); ctx.moveTo(...P(pts[a])); ctx.lineTo(...P(pts[b])); ctx.stroke();
  }
  if (pts.ear) {
    const head = pts.nose ? [(pts.ear[0] * 2 + pts.nose[0]) / 3, (pts.ear[1] * 2 + pts.nose[1]) / 3] : pts.ear;
    ctx.fillStyle = "#e8e8e8"; ctx.beginPath(); ctx.arc(...P(head), 3.2 * u, 0, 7); ctx.fill();
  }
  if (v.dowel) {
    ctx.strokeStyle = "#ff8c00"; ctx.lineWidth = 1.1 * u;
    ctx.beginPath(); ctx.moveTo(...P(v.dowel.slice(0, 2))); ctx.lineTo(...P(v.dowel.slice(2))); ctx.stroke();
  }
  drawContacts(ctx, pts, v, P, u);
}

function drawWall(ctx, x, floor, u, facing) {
  const away = facing === "right" ? -1 : 1;  // the wall is behind the member
  ctx.fillStyle = "#2a2a2a"; ctx.fillRect(away > 0 ? x : 0, 0, away > 0 ? ctx.canvas.width - x : x, floor);
  ctx.strokeStyle = "#bbb"; ctx.lineWidth = u;
  ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, floor); ctx.stroke();
  ctx.save(); ctx.translate(x + away * 1.5 * u, 2 * u); ctx.rotate(Math.PI / 2);
  ctx.fillStyle = "#ddd"; ctx.font = `700 ${4 * u}px system-ui, sans-serif`;
  ctx.textBaseline = away > 0 ? "bottom" : "top"; ctx.fillText("WALL", 0, 0); ctx.restore();
}

function drawContacts(ctx, pts, v, P, u) {
  const facing = v.facing || v.pose[0];
  const back = facing === "right" ? -1 : 1;  // labels go on the wall's side of the dowel
  ctx.font = `700 ${3.4 * u}px system-ui, sans-serif`; ctx.textBaseline = "middle";
  ctx.textAlign = back > 0 ? "left" : "right";
  for (const [key, mark, label] of CONTACTS) {
    if (!pts[mark]) continue;
    const on = v.contacts ? v.contacts[key] : null;
    const at = P(onDowel(pts[mark], v.dowel));
    ctx.fillStyle = on === true ? "#2ecc40" : on === false ? "#ff4136" : "#999";
    ctx.strokeStyle = "#000"; ctx.lineWidth = u / 2;
    ctx.beginPath(); ctx.arc(...at, 2.2 * u, 0, 7); ctx.fill(); ctx.stroke();
    const word = on === true ? "\u2713" : on === false ? "\u2717 OFF" : "";
    ctx.lineWidth = u; ctx.strokeText(`${label} ${word}`, at[0] + back * 3.2 * u, at[1]);
    ctx.fillText(`${label} ${word}`, at[0] + back * 3.2 * u, at[1]);
  }
}

// ------------------------------------------------------------------ the live screen
function showContacts() {
  for (const [key] of CONTACTS) {
    const on = state.contacts ? state.contacts[key] : null;
    const li = $("contact-" + key);
    li.className = on === true ? "on" : on === false ? "off" : "unknown";
    setText(li.querySelector(".icon"), on === true ? "\u2713" : on === false ? "\u2717" : "?");
    setText(li.querySelector("b"), on === true ? "ON" : on === false ? "OFF" : "\u2014");
  }
}

function showGauge() {
  const pct = Math.round(100 * Math.min(1, Math.max(0, state.depth || 0)));
  $("depth").style.width = pct + "%";
  $("gauge").setAttribute("aria-valuenow", String(pct));
  setText($("depth-text"), pct >= 100 ? "AT THE WALL" : pct + " %");
}

function showCard(now) {
  const card = page.card;
  if (card) {
    const age = now - card.at;
    if (age > HOLD_MS || (IN_REP.has(state.phase) && age > MIN_MS) || state.phase === "away") page.card = null;
  }
  const c = page.card, el = $("card");
  el.className = "card " + (c ? c.verdict : "neutral");
  if (!c) {
    setText($("verdict"), IN_REP.has(state.phase) ? `Rep ${(state.reps || 0) + 1}\u2026` : "\u2014");
    $("card-faults").dataset.names = ""; $("card-faults").replaceChildren(); setText($("card-cue"), "");
    return;
  }
  setText($("verdict"), `Rep ${c.rep}: ${c.verdict === "good" ? "\u2713 GOOD" : "\u2717 FIX IT"}`);
  const names = c.faults.map((code) => (FAULTS[code] ? FAULTS[code].name : code));
  const list = $("card-faults");
  if (list.dataset.names !== names.join("|")) {
    list.dataset.names = names.join("|");
    list.replaceChildren(...names.map((n) => Object.assign(document.createElement("li"), { textContent: n })));
  }
  const first = c.faults.map((code) => FAULTS[code]).filter(Boolean).sort((a, b) => a.rank - b.rank)[0];
  setText($("card-cue"), c.verdict === "good" ? VOCAB.good_cue : first ? first.cue : "");
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

function show() {
  const now = performance.now();
  const inSet = state.set_no && state.phase && state.phase !== "away";  // away: the last set is over
  setText($("reps"), String(inSet ? state.reps ?? 0 : 0));
  setText($("set-line"), inSet ? `Set ${state.set_no} \u00b7 ${state.good ?? 0} good of ${state.reps ?? 0}`
    : "Step up to start");
  setText($("cue"), state.cue || "");
  showContacts(); showGauge(); showCard(now); showLights(); showScreen(now);
  $("offline").hidden = state.camera !== "offline";
  $("service").hidden = !state.service;
  if (state.service) $("service").textContent = "Staff: " + state.service;
  document.body.classList.toggle("stale", !page.connected || state.camera === "offline");
  for (const phase of ["away", "ready", "hinging", "at_wall", "returning"]) {
    document.body.classList.toggle("phase-" + phase, state.phase === phase);
  }
  if (!$("live").hidden) {
    page.wall = wallOf(state, page.wall);
    const v = { ...state, wall: page.wall };
    page.crop = smoothCrop(page.crop, cropOf([v]));
    draw($("skeleton"), v, page.crop);
  }
}

// ------------------------------------------------------------------ events
function onEvent(ev) {
  const now = performance.now();
  if (ev.event === "rep_finished") {
    page.card = { rep: ev.rep, verdict: ev.verdict, faults: ev.faults || [], at: now };
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

function connect() {
  const source = new EventSource("/api/stream?compact=1");
  source.onmessage = (e) => {
    page.connected = true; $("link").hidden = true;
    Object.assign(state, JSON.parse(e.data));
    show();
  };
  source.addEventListener("event", (e) => onEvent(JSON.parse(e.data)));
  source.onerror = () => {
    page.connected = false; $("link").hidden = false; show();
    // A refused stream (503: the station's live-page limit) is not retried by EventSource itself.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000 + Math.random() * 5000);
  };
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
setInterval(show, 250);  // the card and the summary expire with nothing new on the stream
show();
connect();
