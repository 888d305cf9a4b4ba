// The kiosk when the box does not answer (issue 14, item 4). Served from the box beside kiosk.js.
//
// A request that cannot reach the box (htmx:error: no connection, or no answer within htmx's
// defaultTimeout), a live stream that cannot reconnect, or a failed /healthz probe make the kiosk
// "offline": body.offline greys the last screen (kiosk.js stops its clocks then), the banner
// rendered hidden by layout.tsx says so in the page's language, and /healthz is asked again with
// backoff. A tap meanwhile sends nothing and says that nothing was recorded. Once the box answers,
// the screen is fetched again and swapped in place: no navigation, so Chromium never shows its
// own "This site can't be reached" page in place of the kiosk.
//
//   online ──(request/stream failure)──▶ checking ──(probe fails)──▶ offline
//     ▲                                     │                          │
//     └────────────(probe answers)──────────┘◀──(probe answers: swap)──┘
(() => {
  const PROBE_TIMEOUT_MS = 4000;
  const FIRST_RETRY_MS = 1000;
  const MAX_RETRY_MS = 8000;
  /** A box that hangs with no request under way is noticed by this background probe. */
  const WATCH_MS = 15_000;
  const NOTICE_MS = 10_000;

  const banner = document.getElementById("box-offline");
  const notice = document.getElementById("box-notice");
  if (banner === null || notice === null) return;

  /** "online" | "checking" | "offline" */
  let state = "online";
  let retryMs = FIRST_RETRY_MS;
  let timer = 0;
  let probing = false;
  let noticeTimer = 0;

  /** True when /healthz answers 200 in time. */
  const boxAnswers = async () => {
    try {
      const response = await fetch("/healthz", {
        cache: "no-store",
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      return response.ok;
    } catch {
      return false;
    }
  };

  const schedule = (ms) => {
    clearTimeout(timer);
    timer = setTimeout(probe, ms);
  };

  const goOffline = () => {
    if (state !== "offline") {
      state = "offline";
      document.body.classList.add("offline");
      banner.hidden = false;
    }
    schedule(retryMs);
    retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
  };

  /** The box answers again: the screen it would show now replaces the stale one, in place. */
  const recover = () => {
    const wasOffline = state === "offline";
    state = "online";
    retryMs = FIRST_RETRY_MS;
    schedule(WATCH_MS);
    if (!wasOffline) return;
    document.body.classList.remove("offline");
    banner.hidden = true;
    const here = document.body.dataset.here || "/";
    // The whole page is asked for ("full": the box answers with the layout) and only its screen
    // is taken; a failure is an htmx:error again, which starts over.
    window.htmx?.ajax("GET", here, {
      source: banner,
      target: "#screen",
      select: "#screen > *",
      swap: "innerHTML",
    });
  };

  async function probe() {
    if (probing) return;
    probing = true;
    clearTimeout(timer);
    const answered = await boxAnswers();
    probing = false;
    if (answered) recover();
    else goOffline();
  }

  /** Something failed to reach the box: ask /healthz now unless already waiting for it. */
  const suspect = () => {
    if (state === "online") state = "checking";
    if (state === "checking") void probe();
  };

  const hideNotice = () => {
    clearTimeout(noticeTimer);
    notice.hidden = true;
    notice.textContent = "";
  };

  /** Says that what was just tapped did not reach the box; a success flash on screen goes. */
  const tell = (text) => {
    for (const flash of document.querySelectorAll(".flash.ok")) flash.remove();
    notice.textContent = text;
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(hideNotice, NOTICE_MS);
  };

  document.addEventListener("htmx:error", (event) => {
    // The recovery's own request (sent from the banner) or a live stream's: no tap to answer.
    const source = event.target;
    const tapped = source instanceof Element && source !== banner && !source.hasAttribute("hx-sse:connect");
    if (tapped) {
      // A post the box may have got but not answered in time may yet be recorded: say so. A
      // request that never reached it, or a GET, recorded nothing.
      const request = event.detail?.ctx?.request;
      const unsure = request?.signal?.reason === "timeout" && request.method !== "GET";
      tell(unsure ? notice.dataset.noAnswer : notice.dataset.notRecorded);
    }
    suspect();
  });
  // A stream that cannot reconnect. One the box refused (a status, e.g. 503 over the stream cap)
  // is not a missing box.
  document.addEventListener("htmx:sse:error", (event) => {
    if (event.detail?.status === undefined) suspect();
  });
  // A stream back before the next probe: no need to wait for it.
  document.addEventListener("htmx:sse:after:connection", () => {
    if (state === "offline") void probe();
  });

  // While offline a tap that would ask the box sends nothing: it says so, and asks /healthz at once.
  const asksTheBox = "a[href], button:not([type=button]), input[type=submit], [hx-get], [hx-post]";
  document.addEventListener(
    "click",
    (event) => {
      if (state !== "offline") return;
      const target = event.target instanceof Element ? event.target.closest(asksTheBox) : null;
      if (target === null) return;
      event.preventDefault();
      event.stopPropagation();
      tell(notice.dataset.notRecorded);
      void probe();
    },
    true,
  );
  document.addEventListener(
    "submit",
    (event) => {
      if (state !== "offline") return;
      event.preventDefault();
      event.stopPropagation();
      tell(notice.dataset.notRecorded);
    },
    true,
  );
  window.addEventListener("online", () => void probe());
  schedule(WATCH_MS);
})();
