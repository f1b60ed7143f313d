// The staff code on the station's own screen (templates/_presence_code.html, rendered only there): after a
// long hold of the wall switch the station makes a one-time code; this shows it while it lasts.
(function () {
  "use strict";
  const box = document.getElementById("presence-code");
  if (!box) return;
  const value = document.getElementById("presence-code-value");
  const left = document.getElementById("presence-code-left");
  let until = 0;

  function words(s) {
    const m = Math.floor(s / 60), r = s % 60;
    return m ? `${m} min ${r} s` : `${r} s`;
  }

  function show() {
    const s = Math.max(0, Math.round((until - Date.now()) / 1000));
    box.hidden = s === 0;
    left.textContent = words(s);
  }

  async function ask() {
    try {
      const r = await fetch("/staff/presence/code", {cache: "no-store"});
      const body = r.ok ? await r.json() : {};
      if (body.code) {
        value.textContent = body.code;
        until = Date.now() + body.expires_in_s * 1000;
      } else {
        until = 0;
      }
    } catch (e) {
      // the station is restarting: the next ask tells
    }
    show();
  }

  setInterval(ask, 1000);
  ask();
})();
