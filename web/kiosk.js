// The kiosk's own script, served from the box (the CSP allows no inline code).
// It does small things htmx cannot do without eval: ticks the clock and the waiting time on call
// cards, types PIN digits into the PIN field, steps a correction's time, renews the PIN's proof
// while someone works on a screen, removes a confirmation after its seconds, brings a new screen
// to the top with the focus on it, filters the names of a long staff list, and goes back to the
// home screen after kiosk.idle_seconds without a tap. What the kiosk does without the box:
// kiosk-offline.js.
(() => {
  let lastTap = Date.now();
  let renewedAt = Date.now();
  const tap = () => {
    lastTap = Date.now();
    renew();
  };

  // A screen's PIN proof (input name=ticket) lasts kiosk.idle_seconds; while someone taps or types
  // on it, trade it for a fresh one every few seconds, so the work typed so far is not refused.
  const renew = () => {
    const held = document.querySelector("input[name=ticket]");
    if (!(held instanceof HTMLInputElement) || Date.now() - renewedAt < 5000) return;
    renewedAt = Date.now();
    fetch("/ticket", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ ticket: held.value }),
    })
      .then((response) => (response.ok ? response.text() : ""))
      .then((ticket) => {
        if (ticket === "") return;
        for (const input of document.querySelectorAll("input[name=ticket]"))
          if (input instanceof HTMLInputElement && input.value === held.value) input.value = ticket;
      })
      .catch(() => {});
  };
  document.addEventListener("htmx:after:swap", () => {
    renewedAt = Date.now();
  });
  for (const type of ["pointerdown", "keydown", "input"]) document.addEventListener(type, tap, true);
  document.addEventListener("htmx:after:swap", tap);

  // While a PIN is being checked the pad stays live: what is typed meanwhile is kept and lands in
  // the pad the box sends back (a wrong PIN's), instead of vanishing with the old one.
  let checking = false;
  let carry = "";
  document.addEventListener("htmx:before:request", (event) => {
    if (event.target instanceof Element && event.target.closest(".pin-form") !== null) {
      checking = true;
      carry = "";
    }
  });
  const land = () => {
    if (!checking) return;
    checking = false;
    const input = document.querySelector("[data-pin-input]");
    if (input instanceof HTMLInputElement && carry !== "")
      input.value = input.maxLength > 0 ? carry.slice(0, input.maxLength) : carry;
    carry = "";
  };
  document.addEventListener("htmx:after:swap", land);
  document.addEventListener("htmx:error", land);

  /** One key: a digit, clear, or backspace, on the text it edits. */
  const edit = (key, text) => {
    if (key.hasAttribute("data-pin-clear")) return "";
    if (key.hasAttribute("data-pin-back")) return text.slice(0, -1);
    return text + key.getAttribute("data-pin-key");
  };

  // The correction screen's time: big steps instead of the browser's tiny time picker.
  document.addEventListener("click", (event) => {
    const step = event.target instanceof Element ? event.target.closest("[data-step]") : null;
    const input = step?.closest("[data-time-stepper]")?.querySelector(".time-value");
    if (!(input instanceof HTMLInputElement)) return;
    const match = /^(\d{1,2}):(\d{2})$/.exec(input.value.trim());
    const minutes = match === null ? 0 : Number(match[1]) * 60 + Number(match[2]);
    const sum = minutes + Number(step.getAttribute("data-step"));
    const next = ((sum % 1440) + 1440) % 1440;
    input.value = `${String(Math.floor(next / 60)).padStart(2, "0")}:${String(next % 60).padStart(2, "0")}`;
    // Past midnight the day turns too: an hour back from today's 00:10 is yesterday's 23:10.
    const day = sum < 0 ? "yesterday" : sum >= 1440 ? "today" : null;
    const radio = day === null ? null : input.form?.querySelector(`input[name="day"][value="${day}"]`);
    if (radio instanceof HTMLInputElement) radio.checked = true;
  });

  document.addEventListener("click", (event) => {
    const target =
      event.target instanceof Element
        ? event.target.closest("[data-pin-key],[data-pin-clear],[data-pin-back]")
        : null;
    if (target === null) return;
    if (checking) {
      carry = edit(target, carry);
      return;
    }
    const form = target.closest("form");
    const input = form?.querySelector("[data-pin-input]");
    if (!(input instanceof HTMLInputElement)) return;
    const next = edit(target, input.value);
    if (input.maxLength < 0 || next.length <= input.maxLength) input.value = next;
  });

  // A new screen (#screen swapped) starts at the top with the header in view, and the focus on
  // its heading: a keyboard or screen-reader user lands on the new screen, not on <body>.
  // Live board and card swaps (their own targets) move neither the page nor the focus.
  document.addEventListener("htmx:after:swap", (event) => {
    const target = event.detail?.ctx?.target;
    if (!(target instanceof Element) || target.id !== "screen") return;
    window.scrollTo(0, 0);
    const heading = target.querySelector("h1");
    const first = heading ?? target.querySelector("a[href], button, input, select, textarea");
    if (first === null) return;
    if (first === heading && !heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    first.focus({ preventScroll: true });
    showNameSearch();
  });

  // The name search of a long staff list: filters the tiles on the page as one types or taps a
  // first letter (a touch kiosk may have no keyboard at all). Hidden without this script.
  const fold = (text) => text.toLocaleLowerCase().replaceAll("ё", "е").trim();
  const filterNames = (query) => {
    const wanted = fold(query)
      .split(/\s+/)
      .filter((w) => w !== "");
    let shown = 0;
    for (const tile of document.querySelectorAll(".name-grid [data-name]")) {
      const words = fold(tile.getAttribute("data-name") ?? "").split(/[\s-]+/);
      const match = wanted.every((w) => words.some((word) => word.startsWith(w)));
      tile.hidden = !match;
      if (match) shown += 1;
    }
    for (const none of document.querySelectorAll("[data-name-none]")) none.hidden = shown > 0;
    for (const letter of document.querySelectorAll("[data-name-letter]"))
      letter.setAttribute(
        "aria-pressed",
        String(fold(letter.getAttribute("data-name-letter") ?? "") === fold(query)),
      );
  };
  const showNameSearch = () => {
    for (const search of document.querySelectorAll("[data-name-search]")) {
      search.hidden = false;
      const input = search.querySelector("[data-name-filter]");
      if (input instanceof HTMLInputElement) filterNames(input.value);
    }
  };
  document.addEventListener("input", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.matches("[data-name-filter]"))
      filterNames(event.target.value);
  });
  document.addEventListener("click", (event) => {
    const button =
      event.target instanceof Element ? event.target.closest("[data-name-letter],[data-name-all]") : null;
    const input = document.querySelector("[data-name-filter]");
    if (button === null || !(input instanceof HTMLInputElement)) return;
    const letter = button.getAttribute("data-name-letter") ?? "";
    input.value = letter !== "" && button.getAttribute("aria-pressed") !== "true" ? letter : "";
    filterNames(input.value);
  });
  showNameSearch();

  const clockFormats = new Map();
  const tick = () => {
    // Without the box (kiosk-offline.js) the clocks stop with the greyed screen they belong to,
    // and no navigation is tried: Chromium would replace the kiosk with its own error page.
    if (document.body.classList.contains("offline")) return;
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
    for (const flash of document.querySelectorAll("[data-dismiss-after]")) {
      flash.dataset.shownAt ??= String(Date.now());
      if (Date.now() - Number(flash.dataset.shownAt) > Number(flash.dataset.dismissAfter) * 1000)
        flash.remove();
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

// ---- Issue 15: the desk screen's call panel (src/http/kiosk/desk-panel.tsx) ------------------
// Filters the colleagues as one types and says, before Enter, what Enter will do (the box decides
// again from the same text by the same rule, src/http/kiosk/desk-staff.ts: the only colleague
// left, else a number of 3+ digits, else nothing); types digits from the on-screen keypad; turns
// a double tap on a colleague into a blind transfer while the desk has a call in progress (the
// first tap only says so: a single tap must not ring her own phone mid-call); and closes the
// panel after kiosk.idle_seconds without a tap, as the kiosk's screens go home.
(() => {
  const panel = () => document.querySelector("[data-panel-open]");
  const fold = (text) => text.toLocaleLowerCase("ru").replaceAll("ё", "е").trim();
  const wordsOf = (text) =>
    fold(text)
      .split(/[\s,-]+/)
      .filter((w) => w !== "");
  const dialNumber = (text) => {
    const compact = text.replace(/[\s()-]/g, "");
    return /^\+?[0-9]{3,20}$/.test(compact) ? compact : null;
  };
  const fill = (template, values) =>
    Object.entries(values).reduce((text, [key, value]) => text.replaceAll(`{${key}}`, value), template ?? "");

  const filter = () => {
    const root = panel();
    const input = root?.querySelector("[data-panel-filter]");
    if (!(input instanceof HTMLInputElement)) return;
    const wanted = wordsOf(input.value);
    const left = [];
    for (const row of root.querySelectorAll("[data-panel-row]")) {
      const words = (row.getAttribute("data-words") ?? "").split(" ");
      const match = wanted.every((w) => words.some((word) => word.startsWith(w)));
      row.closest("li").hidden = !match;
      row.classList.remove("only");
      if (match) left.push(row);
    }
    const hint = root.querySelector("[data-panel-hint]");
    const data = root.dataset;
    const number = dialNumber(input.value);
    // "Nobody found" only where it helps: not under a number being typed, nor under the keypad.
    const none = root.querySelector("[data-panel-none]");
    if (none !== null) none.hidden = left.length > 0 || number !== null || keypadOpen;
    let text = data.hintEmpty;
    if (wanted.length > 0 && left.length === 1) {
      const only = left[0];
      only.classList.add("only");
      const phone = only.getAttribute("data-phone") ?? "";
      const name = only.getAttribute("data-name") ?? "";
      text = phone === "" ? fill(data.hintOneOff, { name }) : fill(data.hintOne, { name, phone });
    } else if (wanted.length > 0 && number !== null) text = fill(data.hintNumber, { number });
    else if (wanted.length > 0)
      text = left.length > 1 ? fill(data.hintMany, { count: String(left.length) }) : data.hintNone;
    if (hint !== null && hint.textContent !== text) hint.textContent = text;
  };

  let keypadOpen = false;
  const showKeypad = (open) => {
    const root = panel();
    if (root === null) return;
    keypadOpen = open;
    const keypad = root.querySelector("#panel-keypad");
    const staff = root.querySelector("[data-panel-staff]");
    const toggle = root.querySelector("[data-panel-keypad-toggle]");
    if (keypad !== null) keypad.hidden = !open;
    if (staff !== null) staff.hidden = open;
    toggle?.setAttribute("aria-expanded", String(open));
    filter();
  };

  document.addEventListener("input", (event) => {
    if (event.target instanceof HTMLInputElement && event.target.matches("[data-panel-filter]")) filter();
  });

  let armed = null;
  let armedAt = 0;
  const ARM_MS = 1500;
  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target : null;
    const root = panel();
    if (target === null || root === null) return;
    const input = root.querySelector("[data-panel-filter]");
    if (target.closest("[data-panel-keypad-toggle]") !== null) {
      showKeypad(!keypadOpen);
      return;
    }
    const key = target.closest("[data-panel-key],[data-panel-back],[data-panel-clear]");
    if (key !== null && input instanceof HTMLInputElement) {
      if (key.hasAttribute("data-panel-clear")) input.value = "";
      else if (key.hasAttribute("data-panel-back")) input.value = input.value.slice(0, -1);
      else input.value += key.getAttribute("data-panel-key");
      filter();
      return;
    }
    const row = target.closest("[data-panel-row]");
    // In a transfer's own choice a tap is the transfer; without a live call it is a call.
    if (row === null || root.hasAttribute("data-transfer")) return;
    if (document.querySelector('[data-desk-call="answered"]') === null) return;
    event.preventDefault();
    if (armed === row && Date.now() - armedAt < ARM_MS) {
      const quick = root.querySelector("#panel-quick");
      const to = quick?.querySelector('[data-field="to"]');
      if (!(quick instanceof HTMLFormElement) || !(to instanceof HTMLInputElement)) return;
      to.value = row.getAttribute("value") ?? "";
      armed = null;
      quick.requestSubmit();
      return;
    }
    for (const other of root.querySelectorAll("[data-panel-row].armed")) other.classList.remove("armed");
    armed = row;
    armedAt = Date.now();
    row.classList.add("armed");
    const hint = root.querySelector("[data-panel-hint]");
    if (hint !== null)
      hint.textContent = fill(root.dataset.hintArmed, { name: row.getAttribute("data-name") ?? "" });
    setTimeout(() => {
      if (armed !== row) return;
      armed = null;
      row.classList.remove("armed");
      filter();
    }, ARM_MS);
  });

  // A new panel (opened, answered, closed) is filtered by what it kept; the keypad stays as it was.
  document.addEventListener("htmx:after:swap", () => {
    const root = panel();
    if (root === null) {
      keypadOpen = false;
      return;
    }
    if (!root.hasAttribute("data-shown")) {
      root.setAttribute("data-shown", "");
      showKeypad(keypadOpen);
    }
  });

  let lastTap = Date.now();
  for (const type of ["pointerdown", "keydown", "input"])
    document.addEventListener(type, () => (lastTap = Date.now()), true);
  setInterval(() => {
    const root = panel();
    const idle = Number(root?.getAttribute("data-panel-idle"));
    if (root === null || !(idle > 0) || document.body.classList.contains("offline")) return;
    if (Date.now() - lastTap > idle * 1000) window.location.assign(window.location.pathname);
  }, 1000);
})();
