// The member page: live snapshots from /api/stream (EventSource reconnects by itself).
"use strict";
const $ = (id) => document.getElementById(id);
const csrf = document.querySelector('meta[name="csrf-token"]').content;
const BONES = [["shoulder", "elbow"], ["elbow", "wrist"], ["shoulder", "hip"], ["hip", "knee"],
  ["knee", "ankle"], ["ankle", "heel"], ["heel", "foot_index"], ["ankle", "foot_index"], ["ear", "shoulder"]];

function drawSkeleton(snap) {
  const canvas = $("skeleton");
  const rect = canvas.getBoundingClientRect();
  if (canvas.width !== Math.round(rect.width) || canvas.height !== Math.round(rect.height)) {
    canvas.width = Math.max(1, Math.round(rect.width));
    canvas.height = Math.max(1, Math.round(rect.height));
  }
  const ctx = canvas.getContext("2d");
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const marks = snap.landmarks;
  if (!marks || !snap.size || !snap.size[0]) return;
  const s = Math.min(canvas.width / snap.size[0], canvas.height / snap.size[1]);
  const ox = (canvas.width - s * snap.size[0]) / 2, oy = (canvas.height - s * snap.size[1]) / 2;
  const p = (name) => marks[name] && marks[name][2] > 0.3 ? [ox + s * marks[name][0], oy + s * marks[name][1]] : null;
  ctx.lineCap = "round";
  for (const side of ["left", "right"]) {
    ctx.strokeStyle = side === "left" ? "#6cf" : "#fc6";
    ctx.lineWidth = Math.max(4, canvas.height / 60);
    for (const [a, b] of BONES) {
      const pa = p(side + "_" + a), pb = p(side + "_" + b);
      if (pa && pb) { ctx.beginPath(); ctx.moveTo(...pa); ctx.lineTo(...pb); ctx.stroke(); }
    }
  }
  const nose = p("nose");
  if (nose) { ctx.fillStyle = "#fff"; ctx.beginPath(); ctx.arc(...nose, ctx.lineWidth * 1.5, 0, 7); ctx.fill(); }
}

function show(snap) {
  $("reps").textContent = snap.reps ?? 0;
  const sets = snap.set_no ? `Set ${snap.set_no} · ${snap.good ?? 0} good of ${snap.reps ?? 0}` : "Step up to start";
  $("summary").textContent = sets;
  $("cue").textContent = snap.cue || "";
  const v = $("verdict");
  v.className = snap.last_verdict || "none";
  v.textContent = snap.last_verdict === "good" ? "GOOD" : snap.last_verdict === "fault" ? "FIX IT" : "\u00a0";
  for (const c of ["head", "upper_back", "sacrum"]) {
    const state = snap.contacts ? snap.contacts[c] : null;
    $("contact-" + c).className = state === true ? "on" : state === false ? "off" : "unknown";
  }
  $("depth").style.height = Math.round(100 * (snap.depth || 0)) + "%";
  $("offline").hidden = snap.camera !== "offline";
  $("service").hidden = !snap.service;
  if (snap.service) $("service").textContent = "Staff: " + snap.service;
  document.body.className = "phase-" + (snap.phase || "away");
  if (snap.lights) {
    const colours = { red: "255,40,40", amber: "255,170,0", green: "40,220,60" };
    for (const [name, rgb] of Object.entries(colours)) {
      const lamp = $("light-" + name);
      if (lamp) lamp.style.background = `rgba(${rgb},${0.15 + 0.85 * (snap.lights[name] || 0)})`;
    }
  }
  drawSkeleton(snap);
}

function connect() {
  const source = new EventSource("/api/stream");
  source.addEventListener("snapshot", (e) => { $("link").hidden = true; show(JSON.parse(e.data)); });
  source.addEventListener("event", (e) => {
    const ev = JSON.parse(e.data);
    if (ev.event === "rep_finished") $("reps").textContent = ev.rep;
  });
  source.onerror = () => {
    $("link").hidden = false;
    // A refused stream (503: the station's live-page limit) is not retried by EventSource itself.
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000 + Math.random() * 5000);
  };
}

const button = $("press-switch");
if (button) {
  const press = (pressed) => fetch("/api/demo/switch", {
    method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
    body: JSON.stringify({ pressed }),
  });
  button.addEventListener("pointerdown", () => press(true));
  button.addEventListener("pointerup", () => press(false));
  button.addEventListener("pointerleave", (e) => { if (e.buttons) press(false); });
}
fetch("/api/snapshot").then((r) => r.json()).then(show).catch(() => {});
connect();
