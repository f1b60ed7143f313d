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
  return canvas.getContext("2d");
}

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
  if (v.wall !== null && v.wall !== undefined) drawWall(ctx, P([v.wall, 0])[0], floor, u, wallSide(v));
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

function drawWall(ctx, x, floor, u, away) {  // away: wallSide's, the wall's side of its line
  ctx.fillStyle = "#2a2a2a"; ctx.fillRect(away > 0 ? x : 0, 0, away > 0 ? ctx.canvas.width - x : x, floor);
  ctx.strokeStyle = "#bbb"; ctx.lineWidth = u;
  ctx.beginPath(); ctx.moveTo(x, 0); ctx.lineTo(x, floor); ctx.stroke();
  ctx.save(); ctx.translate(x + away * 1.5 * u, 2 * u); ctx.rotate(Math.PI / 2);
  ctx.fillStyle = "#ddd"; ctx.font = `700 ${4 * u}px system-ui, sans-serif`;
  ctx.textBaseline = away > 0 ? "bottom" : "top"; ctx.fillText("WALL", 0, 0); ctx.restore();
}

function drawContacts(ctx, pts, v, P, u) {
  const back = wallSide(v);  // labels go on the wall's side of the dowel
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

