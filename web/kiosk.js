// The kiosk's own script, served from the box (the CSP allows no inline code).
// It does small things htmx cannot do without eval: ticks the clock and the waiting time on call
// cards, types PIN digits into the PIN field, and goes back to the home screen after
// kiosk.idle_seconds without a tap.
(() => {
  let lastTap = Date.now();
  const tap = () => {
    lastTap = Date.now();
  };
  for (const type of ["pointerdown", "keydown", "input"]) document.addEventListener(type, tap, true);
  document.addEventListener("htmx:after:swap", tap);

  document.addEventListener("click", (event) => {
    const target =
      event.target instanceof Element ? event.target.closest("[data-pin-key],[data-pin-clear]") : null;
    if (target === null) return;
    const form = target.closest("form");
    const input = form?.querySelector("[data-pin-input]");
    if (!(input instanceof HTMLInputElement)) return;
    if (target.hasAttribute("data-pin-clear")) input.value = "";
    else if (input.value.length < input.maxLength || input.maxLength < 0)
      input.value += target.getAttribute("data-pin-key");
  });

  const clockFormats = new Map();
  const tick = () => {
    for (const clock of document.querySelectorAll("[data-clock]")) {
      if (clock.dataset.offset === undefined)
        clock.dataset.offset = String(Number(clock.dataset.now) - Date.now());
      const tz = clock.dataset.tz;
      let format = clockFormats.get(tz);
      if (format === undefined) {
        format = new Intl.DateTimeFormat("ru-RU", {
          timeZone: tz,
          hour: "2-digit",
          minute: "2-digit",
          hourCycle: "h23",
        });
        clockFormats.set(tz, format);
      }
      const text = format.format(new Date(Date.now() + Number(clock.dataset.offset)));
      if (clock.textContent !== text) clock.textContent = text;
    }
    // A waiting card's "m:ss": the box's own now (data-now) fixes the offset, as for the clock.
    for (const elapsed of document.querySelectorAll("[data-elapsed-since]")) {
      if (elapsed.dataset.offset === undefined)
        elapsed.dataset.offset = String(Number(elapsed.dataset.now) - Date.now());
      const total = Math.max(
        0,
        Math.floor(
          (Date.now() + Number(elapsed.dataset.offset) - Number(elapsed.dataset.elapsedSince)) / 1000,
        ),
      );
      const h = Math.floor(total / 3600);
      const m = Math.floor((total % 3600) / 60);
      const s = String(total % 60).padStart(2, "0");
      // Past 12 h the PBX's clock is off, not the call (as formatElapsed on the server).
      const text = h >= 12 ? "—" : h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
      if (elapsed.textContent !== text) elapsed.textContent = text;
    }
    const idle = Number(document.body.dataset.idleSeconds);
    if (
      idle > 0 &&
      document.querySelector("[data-idle-home]") !== null &&
      Date.now() - lastTap > idle * 1000
    ) {
      lastTap = Date.now();
      window.location.assign("/");
    }
  };
  setInterval(tick, 1000);
})();
