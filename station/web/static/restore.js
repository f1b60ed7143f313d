// Restore, step one: send the chosen backup as the request body with the page's CSRF token in a
// header (the station reads a restore's body only when its headers already show a staff sign-in
// and that token: nothing anonymous reaches its disk), then go to the page that says what the
// backup would replace. A refusal is shown at the form, and nothing has changed.
"use strict";
(() => {
  const form = document.getElementById("restore-form");
  const file = document.getElementById("backup-file");
  const error = document.getElementById("restore-error");
  const busy = document.getElementById("restore-busy");
  const button = document.getElementById("restore");

  function refuse(message) {
    error.textContent = `Not restored: ${message}`;
    error.hidden = false;
    file.setAttribute("aria-invalid", "true");
    busy.textContent = "";
    button.disabled = false;
    file.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) return refuse("choose a backup file (.zip) to restore");
    button.disabled = true;
    error.hidden = true;
    busy.textContent = "Checking the backup...";
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST", body: chosen, credentials: "same-origin",
        headers: { "X-CSRF-Token": form.dataset.csrf, "Content-Type": "application/zip" },
      });
    } catch {
      return refuse("the station did not answer; nothing was changed. Try again.");
    }
    const json = (response.headers.get("Content-Type") || "").includes("json")
      ? await response.json().catch(() => null) : null;
    if (response.ok && json && json.confirm) {
      window.location.assign(json.confirm);
    } else if (json && json.error) {
      refuse(json.error);
    } else if (response.status === 403 || response.redirected) {
      refuse("your sign-in has ended or the page is old: reload the page, sign in, and try again.");
    } else {
      refuse(`the station answered ${response.status}; nothing was changed.`);
    }
  });
})();
