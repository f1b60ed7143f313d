// The bring-up page: follows the checks while they run (or a press of the pad is awaited) and
// reloads once they are done; draws the live skeleton from the member page's stream, over the
// camera picture when it is shown (both in frame pixels). Everything works without this file
// except the live view; it only saves reloading by hand.
"use strict";

(function () {
  const section = document.getElementById("bringup");
  if (section && (section.dataset.running === "1" || section.dataset.watching === "1")) {
    const poll = () => {
      fetch(section.dataset.status, {credentials: "same-origin", cache: "no-store"})
        .then((r) => (r.ok ? r.json() : null))
        .then((s) => {
          if (s && !s.running && !s.watching) {
            window.location.reload();
          } else {
            setTimeout(poll, 1000);
          }
        })
        .catch(() => setTimeout(poll, 2000));
    };
    setTimeout(poll, 1000);
  }

  const canvas = document.getElementById("bringup-skeleton");
  const picture = document.getElementById("bringup-picture");
  if (!canvas || typeof EventSource === "undefined") {
    return;
  }
  const state = {};
  let crop = null;
  const show = () => {
    if (picture && state.size) {
      // Over the picture: the whole frame, so the skeleton lies on the person.
      draw(canvas, {...state, wall: null}, {x: 0, y: 0, w: state.size[0], h: state.size[1]});
    } else {
      crop = smoothCrop(crop, cropOf([state]));
      draw(canvas, {...state, wall: null}, crop);
    }
  };
  const source = new EventSource("/api/stream?compact=1");
  source.onmessage = (e) => {
    Object.assign(state, JSON.parse(e.data));
    show();
  };
  window.addEventListener("pagehide", () => source.close());
  if (picture) {
    const base = picture.src;
    setInterval(() => { picture.src = base + "?t=" + Date.now(); }, 1000);
  }
})();
