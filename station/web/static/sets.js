// A kept set's replay: its stored poses drawn at their own times (skeleton.js draws them as the
// member page does), play/pause, a scrubber, the reps on a timeline and the rep under way
// highlighted in the list. The label form works without this script; with it, marking a verdict
// sets the fault boxes to match (a right verdict: the coach's faults; wrong: the opposite).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const canvas = $("replay"), scrub = $("scrub"), play = $("play"), clock = $("clock");
  const view = { frames: [], reps: [], facing: null, crop: null, t: 0, playing: false, last: 0, shown: null };

  function frameAt(t) {  // the last frame at or before t (binary search: frames are in time order)
    const f = view.frames;
    let lo = 0, hi = f.length - 1;
    if (hi < 0) return null;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (f[mid].t <= t) lo = mid; else hi = mid - 1;
    }
    return f[lo];
  }

  function render() {
    const f = frameAt(view.t);
    if (f) draw(canvas, { pose: f.pose, dowel: f.dowel, wall: null, contacts: null, facing: view.facing }, view.crop);
    scrub.value = String(Math.round(view.t * 100));
    const text = view.t.toFixed(1) + " s";
    clock.textContent = text; scrub.setAttribute("aria-valuetext", text);
    $("cursor").style.left = (100 * view.t / (view.duration || 1)) + "%";
    const rep = view.reps.find((r) => r.start <= view.t && view.t <= r.end);
    const id = rep ? rep.rep : null;
    if (id !== view.shown) {
      view.shown = id;
      document.querySelectorAll("fieldset.rep, .seg").forEach((el) => {
        el.classList.toggle("current", Number(el.dataset.rep) === id);
      });
      $("now-rep").textContent = rep ? `Rep ${rep.rep}: ${rep.verdict}${rep.fault_words.length ? " (" + rep.fault_words.join(", ") + ")" : ""}` : "";
    }
  }

  function tick(now) {
    if (!view.playing) return;
    view.t = Math.min(view.duration, view.t + (now - view.last) / 1000);
    view.last = now;
    if (view.t >= view.duration) setPlaying(false);
    render();
    if (view.playing) requestAnimationFrame(tick);
  }

  function setPlaying(on) {
    view.playing = on;
    play.textContent = on ? "Pause" : "Play";
    play.setAttribute("aria-pressed", String(on));
    if (on) {
      if (view.t >= view.duration) view.t = 0;
      view.last = performance.now();
      requestAnimationFrame(tick);
    }
  }

  function seek(t) { view.t = Math.max(0, Math.min(view.duration, t)); render(); }

  play.addEventListener("click", () => setPlaying(!view.playing));
  scrub.addEventListener("input", () => { setPlaying(false); seek(Number(scrub.value) / 100); });
  document.querySelectorAll("button.seek").forEach((b) => b.addEventListener("click", () => {
    setPlaying(false); seek(Number(b.dataset.t)); canvas.scrollIntoView({ block: "nearest" });
  }));
  window.addEventListener("resize", render);
  $("missed-now").addEventListener("click", () => { $("missed-at").value = view.t.toFixed(1); });

  // Marking a verdict sets the boxes to what it implies; staff then change them as they see fit.
  document.querySelectorAll("fieldset.rep").forEach((set) => {
    const coach = (set.dataset.faults || "").split(" ").filter(Boolean);
    const boxes = set.querySelectorAll('input[name^="faults-"]');
    set.querySelectorAll('input[type="radio"]').forEach((radio) => radio.addEventListener("change", () => {
      const right = radio.value === "right";
      boxes.forEach((box) => { box.checked = right ? coach.includes(box.value) : false; });
      if (!right && !coach.length) set.querySelector("details").open = true;  // pick the faults it had
    }));
  });

  const load = () => fetch(canvas.dataset.src, { credentials: "same-origin" }).then((r) => {
    // The station is sending other downloads (503): it says when to come back.
    if (r.status === 503) {
      setTimeout(load, 1000 * (Number(r.headers.get("Retry-After")) || 5));
      return null;
    }
    return r.json();
  }).then((data) => {
    if (!data) return;
    view.frames = data.frames; view.reps = data.reps; view.facing = data.facing;
    view.duration = data.duration_s || (data.frames.length ? data.frames[data.frames.length - 1].t : 0);
    view.crop = cropOf(data.frames.map((f) => ({ pose: f.pose, dowel: f.dowel })));
    canvas.dataset.ready = "1";
    render();
  });
  load();
})();
