// A person from the side as a stick figure, with the wall, the dowel and its three contact points:
// the member page's live view and idle rep, and the staff's replay of a kept set. A pose is the
// compact one the member page's stream sends (station/web/live.py): the near side, then x, y
// pairs of POINTS in frame pixels, null when unseen.
"use strict";
const CONTACTS = [["head", "ear", "Head"], ["upper_back", "shoulder", "Upper back"], ["sacrum", "hip", "Sacrum"]];
const POINTS = ["ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel", "foot_index", "nose"];
const BONES = [["ear", "shoulder"], ["shoulder", "elbow"], ["elbow", "wrist"], ["shoulder", "hip"], ["hip", "knee"],
  ["knee", "ankle"], ["ankle", "heel"], ["heel", "foot_index"], ["ankle", "foot_index"]];

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
  canvas.pxRatio = w / Math.max(1, rect.width);  // canvas pixels per CSS pixel
  return canvas.getContext("2d");
}

// The colours of a contact, the same as the member page's pills (member.css): blue on, orange off,
// grey unseen: a pair people with red-green colour deficiencies tell apart (tests/web measure it).
const CONTACT_COLOURS = { on: "#4d9fff", off: "#ff8f00", unknown: "#9e9e9e" };

// Which way the wall is from the member in the image: 1 towards larger x, -1 towards smaller. The
// wall is behind the member, so it is on the left of one facing right; with no facing known, the
// pose's near side stands in for it.
function wallSide(v) {
  return (v.facing || v.pose[0]) === "right" ? -1 : 1;
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
  const back = wallSide(v);
  const torso = pts.shoulder ? Math.hypot(pts.shoulder[0] - pts.hip[0], pts.shoulder[1] - pts.hip[1]) : 0;
  const buttocks = pts.hip[0] + back * 0.2 * torso;
  const wall = before ?? v.wall;
  return back > 0 ? Math.max(wall, buttocks, v.wall) : Math.min(wall, buttocks, v.wall);
}

// Draws one view; returns what it drew where (canvas pixels), for the tests: the head's circle,
// the dowel's ends and each contact label's box.
function draw(canvas, v, box) {
  const ctx = fitCanvas(canvas), W = canvas.width, H = canvas.height;
  ctx.clearRect(0, 0, W, H);
  const drawn = { head: null, dowel: null, labels: [] };
  canvas.drawn = drawn;
  const pts = pointsOf(v.pose);
  if (!pts || !box) return drawn;
  const s = Math.min(W / box.w, H / box.h);
  const ox = (W - s * box.w) / 2 - s * box.x, oy = (H - s * box.h) / 2 - s * box.y;
  const P = (p) => [ox + s * p[0], oy + s * p[1]];
  const u = Math.max(3, H / 110);  // the drawing's unit of thickness
  const feet = ["heel", "foot_index", "ankle"].map((n) => pts[n]).filter(Boolean);
  const floor = feet.length ? P([0, Math.max(...feet.map((p) => p[1]))])[1] + u : H - u;
  // Words follow the page's type size (the canvas's CSS font size, so browser zoom too), not the
  // canvas: on the wall TV they are read from 3 m (member.css says how big that needs).
  const em = parseFloat(getComputedStyle(canvas).fontSize) * (canvas.pxRatio || 1);
  ctx.lineCap = "round"; ctx.lineJoin = "round";
  ctx.strokeStyle = "#8a8a8a"; ctx.lineWidth = u / 2;  // floor
  ctx.beginPath(); ctx.moveTo(0, floor); ctx.lineTo(W, floor); ctx.stroke();
  if (v.wall !== null && v.wall !== undefined) drawWall(ctx, P([v.wall, 0])[0], floor, u, wallSide(v), em);
  ctx.strokeStyle = "#e8e8e8"; ctx.lineWidth = 1.6 * u;
  for (const [a, b] of BONES) {
    if (!pts[a] || !pts[b]) continue;
    ctx.beginPath(); ctx.moveTo(...P(pts[a])); ctx.lineTo(...P(pts[b])); ctx.stroke();
  }
  const dowel = v.dowel ? [...P(v.dowel.slice(0, 2)), ...P(v.dowel.slice(2))] : null;
  if (pts.ear) {
    const head = headCircle(pts, v.contacts ? v.contacts.head : null, dowel, P, s, 3.2 * u);
    ctx.fillStyle = "#e8e8e8"; ctx.beginPath(); ctx.arc(head.x, head.y, head.r, 0, 7); ctx.fill();
    drawn.head = head;
  }
  if (dowel) {
    ctx.strokeStyle = "#c8a165"; ctx.lineWidth = 1.1 * u;  // wood: no colour of the contacts
    ctx.beginPath(); ctx.moveTo(dowel[0], dowel[1]); ctx.lineTo(dowel[2], dowel[3]); ctx.stroke();
    drawn.dowel = dowel;
  }
  drawn.labels = drawContacts(ctx, pts, v, P, u, em);
  return drawn;
}

// The head as a circle around the ear (a third of the way to the nose), a fifth of a torso across
// the back of the skull, placed so the drawing says what the label says: on the dowel, the back of
// the skull touches it; off, a clear gap (the ear's own gap is what the coach judges, and a skull
// drawn around the ear landmark would otherwise float off a dowel labelled on).
function headCircle(pts, on, dowel, P, s, fallback) {
  const ear = P(pts.ear), nose = pts.nose ? P(pts.nose) : ear;
  const c = [(2 * ear[0] + nose[0]) / 3, (2 * ear[1] + nose[1]) / 3];
  const torso = pts.shoulder && pts.hip ? s * Math.hypot(pts.shoulder[0] - pts.hip[0], pts.shoulder[1] - pts.hip[1]) : 0;
  const r = torso ? 0.2 * torso : fallback;
  if (!dowel || on === null || on === undefined) return { x: c[0], y: c[1], r };
  const [ax, ay, bx, by] = dowel, len = Math.hypot(bx - ax, by - ay) || 1;
  let nx = -(by - ay) / len, ny = (bx - ax) / len;  // the dowel's normal, towards the head
  let d = (c[0] - ax) * nx + (c[1] - ay) * ny;
  if (d < 0) { nx = -nx; ny = -ny; d = -d; }
  const want = on ? r : Math.max(d, 1.5 * r);  // touching, or at least half a radius clear
  return { x: c[0] + (want - d) * nx, y: c[1] + (want - d) * ny, r };
}

function drawWall(ctx, x, floor, u, away, em) {  // away: wallSide's, the wall's side of its line
  ctx.fillStyle = "#2a2a2a"; ctx.fillRect(away > 0 ? x : 0, 0, away > 0 ? ctx.canvas.width - x : x, floor);
  ctx.strokeStyle = "#bbb"; ctx.lineWidth = u;
  ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, floor); ctx.stroke();
  // Its name at the foot, read downwards, out of the way of the contacts' labels up by the back.
  ctx.save(); ctx.translate(x + away * 0.3 * em, floor - 0.3 * em); ctx.rotate(Math.PI / 2);
  ctx.fillStyle = "#ddd"; ctx.font = `700 ${0.6 * em}px system-ui, "DejaVu Sans", sans-serif`;
  ctx.textAlign = "right"; ctx.textBaseline = away > 0 ? "bottom" : "top"; ctx.fillText("WALL", 0, 0); ctx.restore();
}

// Each contact point on the dowel by shape as well as colour (a filled disc on, a cross off, a
// ring unseen) and its label on the wall's side, labels moved apart so none overlaps another (the
// head and the upper back come close when bent over); a leader line joins a moved label to its point.
function drawContacts(ctx, pts, v, P, u, em) {
  const back = wallSide(v);  // labels go on the wall's side of the dowel
  ctx.font = `700 ${em}px system-ui, "DejaVu Sans", sans-serif`; ctx.textBaseline = "middle";
  ctx.textAlign = back > 0 ? "left" : "right";
  const items = [];
  for (const [key, mark, label] of CONTACTS) {
    if (!pts[mark]) continue;
    const on = v.contacts ? v.contacts[key] : null;
    const at = P(onDowel(pts[mark], v.dowel));
    const text = `${label} ${on === true ? "\u2713" : on === false ? "\u2717 OFF" : ""}`.trim();
    const w = ctx.measureText(text).width, h = 1.15 * em;
    const x = at[0] + back * 0.9 * em;
    const W = ctx.canvas.width, x0 = Math.min(Math.max(0, back > 0 ? x : x - w), Math.max(0, W - w));  // inside
    items.push({ on, at, text, x0, w, h, y: at[1] });
    const colour = on === true ? CONTACT_COLOURS.on : on === false ? CONTACT_COLOURS.off : CONTACT_COLOURS.unknown;
    contactMark(ctx, at, on, 0.32 * em, colour, u);
  }
  // Top to bottom, each label at least a line below the one above where their boxes would meet.
  items.sort((a, b) => a.y - b.y);
  for (let i = 1; i < items.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = items[j], b = items[i];
      const apart = b.x0 >= a.x0 + a.w || a.x0 >= b.x0 + b.w;
      if (!apart && b.y < a.y + a.h + 1) b.y = a.y + a.h + 1;  // a pixel between them
    }
  }
  const boxes = [];
  for (const it of items) {
    const colour = it.on === true ? CONTACT_COLOURS.on : it.on === false ? CONTACT_COLOURS.off : "#ddd";
    if (Math.abs(it.y - it.at[1]) > 0.2 * em) {
      ctx.strokeStyle = colour; ctx.lineWidth = u / 2;
      ctx.beginPath(); ctx.moveTo(...it.at); ctx.lineTo(it.x0 + (wallSide(v) > 0 ? 0 : it.w), it.y); ctx.stroke();
    }
    ctx.strokeStyle = "#000"; ctx.lineWidth = 0.18 * em; ctx.fillStyle = colour;
    const tx = wallSide(v) > 0 ? it.x0 : it.x0 + it.w;
    ctx.strokeText(it.text, tx, it.y); ctx.fillText(it.text, tx, it.y);
    boxes.push({ text: it.text, x: it.x0, y: it.y - it.h / 2, w: it.w, h: it.h });
  }
  return boxes;
}

function contactMark(ctx, at, on, r, colour, u) {
  ctx.strokeStyle = "#000"; ctx.lineWidth = u / 2; ctx.fillStyle = colour;
  if (on === false) {  // a cross: off the dowel
    ctx.lineWidth = 0.55 * r + u; ctx.strokeStyle = "#000";
    const cross = () => { ctx.beginPath(); ctx.moveTo(at[0] - r, at[1] - r); ctx.lineTo(at[0] + r, at[1] + r);
      ctx.moveTo(at[0] + r, at[1] - r); ctx.lineTo(at[0] - r, at[1] + r); ctx.stroke(); };
    cross(); ctx.strokeStyle = colour; ctx.lineWidth = 0.55 * r; cross();
  } else if (on === true) {  // a filled disc: on it
    ctx.beginPath(); ctx.arc(...at, r, 0, 7); ctx.fill(); ctx.stroke();
  } else {  // a ring: not seen
    ctx.strokeStyle = colour; ctx.lineWidth = 0.3 * r;
    ctx.beginPath(); ctx.arc(...at, 0.8 * r, 0, 7); ctx.stroke();
  }
}
