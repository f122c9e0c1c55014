// The lobby (候考): count down to the sitting's start by the server's clock, then enable 进入正式考试 and
// enter after a random delay of up to SPREAD seconds, so a room of candidates does not arrive in one instant.
(function () {
  "use strict";
  const root = document.getElementById("lobby");
  const form = document.getElementById("lobby-form");
  if (!root || !form || root.dataset.open === "true") return;
  const SPREAD = 5;
  const countdown = document.getElementById("lobby-countdown");
  const button = document.getElementById("lobby-enter");
  const password = document.getElementById("lobby-password");
  let startAt = performance.now() + Number(root.dataset.seconds) * 1000;
  let entering = false;

  function show(left) {
    const h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
    countdown.textContent = (h ? h + ":" : "") + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
  }
  function tick() {
    const left = Math.max(0, Math.ceil((startAt - performance.now()) / 1000));
    show(left);
    if (left === 0 && !entering) {
      entering = true;
      button.disabled = false;
      countdown.textContent = "已开考";
      if (!password || password.value) setTimeout(() => form.requestSubmit(), Math.random() * SPREAD * 1000);
    }
  }
  async function resync() {
    try {
      const res = await fetch(root.dataset.stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } });
      if (res.ok) {
        const body = await res.json();
        startAt = performance.now() + body.seconds_to_start * 1000;
      }
    } catch (e) { /* offline: keep counting */ }
  }
  tick();
  setInterval(tick, 250);
  setInterval(resync, 30000);
})();
