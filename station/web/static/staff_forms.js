// Staff forms marked data-keep (settings, calibration's Apply) are sent with fetch, so a save that
// never reaches the station (it stopped, the Wi-Fi dropped) leaves the page and everything typed in
// it as it was, with a message saying nothing was saved, instead of the browser's error page and
// the edits lost (issue 26). Once the station answers, the page goes on as a plain form post would:
// a redirect (saved) is followed; a page of errors is shown in place of this one. Without JavaScript the forms post as
// usual.
"use strict";

(function () {
  function clock(d) {
    return d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", hour12: false});
  }

  function notice(form) {
    let box = form.querySelector(".save-failed");
    if (!box) {
      box = document.createElement("p");
      box.className = "save-failed";
      box.setAttribute("role", "alert");
      box.id = `${form.id || "form"}-failed`;
      form.prepend(box);
    }
    return box;
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !("keep" in form.dataset) || event.defaultPrevented) {
      return;
    }
    event.preventDefault();
    const submitter = event.submitter || null;
    const body = new FormData(form, submitter);
    const buttons = [...form.querySelectorAll("button")];
    buttons.forEach((b) => { b.disabled = true; });
    let response;
    try {
      response = await fetch(form.action || window.location.href, {
        method: "POST", body, credentials: "same-origin", redirect: "manual", cache: "no-store"});
    } catch {
      buttons.forEach((b) => { b.disabled = false; });
      const box = notice(form);
      box.hidden = false;
      box.textContent = `Not saved: the station did not answer (${clock(new Date())}). ` +
        "Everything you typed is still here; press the button again when the station is back.";
      box.tabIndex = -1;
      box.focus();
      if (window.stationLive) window.stationLive.failed();
      return;
    }
    if (window.stationLive) window.stationLive.ok();
    if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400)) {
      // Saved: the station answered with a redirect; its page (and its message) is the next GET.
      window.location.assign(form.dataset.after || window.location.pathname);
      return;
    }
    // The station answered with a page (errors at their fields): show it as a plain form post
    // would have, without sending the form twice. Its main part replaces this one (its scripts do
    // not run again: this page's are still here), keeping the live banner and its watch.
    const html = await response.text();
    const fresh = new DOMParser().parseFromString(html, "text/html");
    const main = document.querySelector("main");
    const next = fresh.querySelector("main");
    if (!main || !next) {
      document.open();
      document.write(html);
      document.close();
      return;
    }
    const banner = document.getElementById("live-state");
    main.replaceWith(next);
    const drawn = document.getElementById("live-state");
    if (banner && drawn) drawn.replaceWith(banner);
    document.title = fresh.title;
    const summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  });
}());
