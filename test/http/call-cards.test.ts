import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { HEARTBEAT_MS } from "../../src/http/sse.ts";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import { card, type FakeCalls, fakeCalls } from "../support/fake-calls.ts";
import { type KioskBox, makeKioskBox, testIdText, webApp } from "../support/kiosk-client.ts";
import { sseReader } from "../support/sse-reader.ts";

let calls: FakeCalls;
let box: KioskBox;
beforeEach(async () => {
  calls = fakeCalls();
  box = await makeKioskBox({ calls });
});
afterEach(() => box.close());

const page = async (path: string, cookie?: string) => {
  const response = await box.get(path, cookie === undefined ? {} : { cookie });
  return { status: response.status, html: await response.text() };
};

/** Every card in the page, in order: [callId, state]. */
const cardsIn = (html: string) =>
  [...html.matchAll(/data-testid="card-([^"]+)" data-state="([a-z]+)"/g)].map((m) => [m[1], m[2]]);

/** The HTML of the missed-call area, or "" when there is none. */
const missedArea = (html: string) => {
  const at = html.indexOf('data-testid="missed-area"');
  return at < 0 ? "" : html.slice(at, html.indexOf("</section>", at));
};

const checkIn = async (employeeId: string, deskId = "front") => {
  const result = await box.roster.record(
    { kind: "check-in", employeeId, deskId, source: "kiosk" },
    box.clock.now(),
  );
  expect(result.ok).toBe(true);
};

describe("call cards on the kiosk", () => {
  test("R0.1: three calls in the queue are three red cards, each with the caller's number and the time waited", async () => {
    calls.setCards([
      card("c1"),
      card("c2", { number: "+74951112233", since: Date.parse("2026-11-21T08:59:50+03:00") }),
      card("c3", { number: null, extension: "101" }),
    ]);
    const { html } = await page("/");
    expect(cardsIn(html)).toEqual([
      ["c1", "waiting"],
      ["c3", "waiting"],
      ["c2", "waiting"],
    ]);
    expect(html).toMatch(/<li class="card waiting" data-testid="card-c1"/);
    expect(testIdText(html, "card-c1")).toContain(ru.cardWaiting);
    expect(testIdText(html, "card-c1-number")).toBe("+7 999 123-45-67");
    expect(testIdText(html, "card-c2-number")).toBe("+7 495 111-22-33");
    expect(testIdText(html, "card-c1-detail")).toBe(`${ru.waitingFor} 0:42`);
    expect(testIdText(html, "card-c2-detail")).toBe(`${ru.waitingFor} 0:10`);
    // The kiosk script keeps counting from the box's own clock.
    expect(html).toMatch(/data-elapsed-since="\d+" data-now="\d+"/);
    expect(testIdText(html, "card-c3-number")).toBe(ru.hiddenNumber);
    expect(testIdText(html, "card-c3-detail")).toContain(ru.ringingAt("101"));
    expect(html).not.toContain(ru.noCallsNow);
  });

  test("R0.2, R3.1: an answered call shows its owner's name and extension", async () => {
    calls.setCards([
      card("c1", { state: "answered", extension: "101", ownerEmployeeId: "anna", audience: ["anna"] }),
    ]);
    const { html } = await page("/");
    expect(cardsIn(html)).toEqual([["c1", "answered"]]);
    expect(testIdText(html, "card-c1")).toContain(ru.cardAnswered);
    expect(testIdText(html, "card-c1-who")).toBe("Анна Смирнова, доб. 101");
  });

  test("R3.2: a call answered on an extension mapped to nobody is the senior manager's card", async () => {
    calls.setCards([
      card("c1", { state: "answered", extension: "105", ownerEmployeeId: null, audience: ["sergey"] }),
    ]);
    const { html } = await page("/");
    expect(testIdText(html, "card-c1-who")).toBe(ru.cardUnmappedAnswer("105", "Сергей Иванов"));
  });

  test("R3.3: missed calls are in their own area, labelled for managers", async () => {
    calls.setCards([
      card("c1"),
      card("m1", {
        state: "missed",
        extension: "101",
        audience: ["sergey"],
        since: Date.parse("2026-11-21T08:57:00+03:00"),
      }),
    ]);
    const { html } = await page("/");
    const area = missedArea(html);
    expect(area).toContain(ru.missedTitle);
    expect(ru.missedTitle).toBe("Пропущенные — для менеджеров");
    expect(area).toContain('data-testid="card-m1" data-state="missed"');
    expect(area).not.toContain("card-c1");
    expect(testIdText(html, "card-m1-detail")).toBe(`${ru.missedAt("08:57")} · ${ru.missedOn("101")}`);
  });

  test("R3.3: a busy day's missed calls: the six newest are shown, the rest counted", async () => {
    const base = Date.parse("2026-11-21T08:00:00+03:00");
    calls.setCards(
      Array.from({ length: 40 }, (_, i) =>
        card(`m${i}`, { state: "missed", extension: "101", audience: ["sergey"], since: base + i * 60_000 }),
      ),
    );
    const { html } = await page("/");
    const area = missedArea(html);
    expect(area.match(/data-state="missed"/g)?.length).toBe(6);
    expect(area).toContain('data-testid="card-m39"'); // the newest
    expect(area).not.toContain('data-testid="card-m33"');
    expect(testIdText(html, "missed-more")).toBe(ru.missedMore(34));
  });

  test("R1.4: a card for nobody is drawn nowhere", async () => {
    calls.setCards([card("c1", { state: "answered", extension: "101", audience: [] })]);
    expect(cardsIn((await page("/")).html)).toEqual([]);
    expect(cardsIn((await page("/desk/front")).html)).toEqual([]);
  });

  test("no calls: says so; in English the labels follow the switch", async () => {
    expect(testIdText((await page("/")).html, "no-calls")).toBe(ru.noCallsNow);
    calls.setCards([card("c1"), card("m1", { state: "missed", audience: ["sergey"] })]);
    const { html } = await page("/?lang=en");
    expect(testIdText(html, "card-c1")).toContain(en.cardWaiting);
    expect(missedArea(html)).toContain(en.missedTitle);
    expect(html).toMatch(/data-testid="calls"[^>]*hx-sse:connect="\/calls\/events\?lang=en"/);
  });
});

describe("desk screen /desk/:deskId", () => {
  const mixed = () =>
    calls.setCards([
      card("w1"),
      card("a101", { state: "answered", extension: "101", ownerEmployeeId: "anna", audience: ["anna"] }),
      card("a102", { state: "answered", extension: "102", ownerEmployeeId: "sergey", audience: ["sergey"] }),
      card("u105", { state: "answered", extension: "105", audience: ["sergey"] }),
      card("m1", { state: "missed", extension: "101", audience: ["sergey"] }),
    ]);

  test("R0.1: with nobody at the desk: the desk, its free phone, every waiting call and the calls on its extension", async () => {
    mixed();
    const { status, html } = await page("/desk/front");
    expect(status).toBe(200);
    expect(testIdText(html, "desk-title")).toBe(ru.deskScreenTitle("Ресепшен", "101"));
    expect(testIdText(html, "desk-holder")).toBe(ru.deskPhoneNobody);
    expect(html).toContain('data-testid="cards"');
    expect(cardsIn(html)).toEqual([
      ["w1", "waiting"],
      ["a101", "answered"],
    ]);
    expect(html).toMatch(/data-testid="desk-screen"[^>]*hx-sse:connect="\/desk\/front\/events\?lang=ru"/);
    expect(html).not.toContain("<form");
  });

  test("R0.3, R3.1: a receptionist at the desk sees her own card and no missed calls (R3.3 is for managers)", async () => {
    await checkIn("anna");
    mixed();
    const { html } = await page("/desk/front");
    expect(testIdText(html, "desk-holder")).toBe(ru.deskPhoneWith("Анна Смирнова", "09:00"));
    expect(cardsIn(html)).toEqual([
      ["w1", "waiting"],
      ["a101", "answered"],
    ]);
    expect(testIdText(html, "card-a101-who")).toBe("Анна Смирнова, доб. 101");
    expect(missedArea(html)).toBe("");
  });

  test("R3.2, R3.3: a manager holding the desk phone also gets his cards and the missed calls", async () => {
    await checkIn("sergey");
    mixed();
    const { html } = await page("/desk/front?lang=en");
    expect(testIdText(html, "desk-holder")).toBe(en.deskPhoneWith("Сергей Иванов", "09:00"));
    expect(cardsIn(html)).toEqual([
      ["w1", "waiting"],
      ["a101", "answered"],
      ["a102", "answered"],
      ["u105", "answered"],
      ["m1", "missed"],
    ]);
    expect(missedArea(html)).toContain(en.missedTitle);
    expect(testIdText(html, "card-u105-who")).toBe(en.cardUnmappedAnswer("105", "Сергей Иванов"));
  });

  test("a call an employee is placing is theirs: shown as dialling, not red, and only on their desk's screen", async () => {
    const placing = card("out1", {
      direction: "outbound",
      extension: null,
      ownerEmployeeId: "anna",
      audience: ["anna"],
    });
    calls.setCards([placing]);
    const kiosk = (await page("/")).html;
    expect(kiosk).toContain('<li class="card dialling" data-testid="card-out1" data-state="waiting"');
    expect(testIdText(kiosk, "card-out1")).toContain(ru.cardDialling);
    expect(testIdText(kiosk, "card-out1-who")).toBe("Анна Смирнова");
    expect(cardsIn((await page("/desk/front")).html)).toEqual([]);
    await checkIn("anna");
    expect(cardsIn((await page("/desk/front")).html)).toEqual([["out1", "waiting"]]);
  });

  test("an unknown desk is a 404 page in words that lists the desk screens there are", async () => {
    const { status, html } = await page("/desk/nope");
    expect(status).toBe(404);
    expect(testIdText(html, "desk-unknown")).toBe(ru.deskUnknown("nope"));
    expect(html).toContain('href="/desk/front"');
    expect(html).not.toContain("hx-sse:connect");
    const stream = await box.web.request("/desk/nope/events");
    expect(stream.status).toBe(404);
    expect(stream.headers.get("content-type")).not.toStartWith("text/event-stream");
  });
});

describe("live cards (SSE)", () => {
  test("R0.1: the kiosk's cards stream redraws when the calls change, coalesces a burst, beats, and unsubscribes", async () => {
    const app = webApp(box.deps, { heartbeatMs: 40 });
    const response = await app.request("/calls/events", { headers: { cookie: "bb_lang=ru" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toStartWith("text/event-stream");
    const sse = sseReader(response);
    await sse.until(/data: .*no-calls[^\n]*\n(retry: \d+\n)?\n/);
    expect(sse.state.received).not.toMatch(/^event:/m);
    expect(calls.subscribers).toBe(1);

    sse.state.received = "";
    for (let n = 1; n <= 5; n++) calls.setCards(Array.from({ length: n }, (_, i) => card(`c${i + 1}`)));
    await sse.until(/data: .*card-c5[^\n]*\n\n/);
    await Bun.sleep(60);
    await sse.until(/: heartbeat\n\n/);
    // Five changes in one burst, one message, and it has all five cards.
    expect(sse.state.received.match(/^data: /gm)).toHaveLength(1);
    expect(sse.state.received.match(/data-state="waiting"/g)).toHaveLength(5);

    sse.state.received = "";
    calls.setCards([
      card("c1", { state: "answered", extension: "101", ownerEmployeeId: "anna", audience: ["anna"] }),
    ]);
    await sse.until(/data: .*Анна Смирнова, доб\. 101[^\n]*\n\n/);

    await sse.cancel();
    const deadline = Date.now() + 1000;
    while (calls.subscribers > 0 && Date.now() < deadline) await Bun.sleep(10);
    expect(calls.subscribers).toBe(0);
  });

  test("the desk's stream redraws on a roster change and on a calls change, and keeps the heartbeat", async () => {
    const app = webApp(box.deps, { heartbeatMs: 40 });
    const sse = sseReader(await app.request("/desk/front/events?lang=ru"));
    await sse.until(/data: .*desk-holder[^\n]*\n(retry: \d+\n)?\n/);
    expect(sse.state.received).toContain(ru.deskPhoneNobody);

    sse.state.received = "";
    await checkIn("anna");
    await sse.until(/data: .*Анна Смирнова[^\n]*\n\n/);

    sse.state.received = "";
    calls.setCards([card("w9")]);
    await sse.until(/data: .*data-testid="card-w9" data-state="waiting"[^\n]*\n\n/);

    sse.state.received = "";
    await sse.until(/^: heartbeat\n\n/m);
    await sse.cancel();
  });

  test("both screens connect in their language; the default heartbeat is under Bun's 10 s", async () => {
    expect(HEARTBEAT_MS).toBeLessThan(10_000);
    expect((await page("/")).html).toMatch(
      /data-testid="calls"[^>]*hx-sse:connect="\/calls\/events\?lang=ru"/,
    );
    expect((await page("/desk/front?lang=en")).html).toMatch(
      /hx-sse:connect="\/desk\/front\/events\?lang=en"/,
    );
  });
});

describe("the new screens keep the kiosk's rules", () => {
  test("no inline script or style on the kiosk with cards, the desk screen and its 404 (CSP)", async () => {
    calls.setCards([card("c1"), card("m1", { state: "missed", audience: ["sergey"] })]);
    for (const path of ["/", "/desk/front", "/desk/nope"]) {
      const response = await box.get(path);
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      const html = await response.text();
      for (const [, attributes, body] of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
        expect(attributes).toMatch(/\bsrc="\/assets\//);
        expect(body).toBe("");
      }
      expect(html).not.toMatch(/\sstyle\s*=/i);
      expect(html).not.toMatch(/<style\b/i);
      expect(html).not.toMatch(/\son[a-z]+\s*=/i);
      for (const [, attributes] of html.matchAll(/<(?:button|a)\b([^>]*)>/g))
        expect(attributes).toMatch(/class="[^"]*\b(btn|key|name-btn|lang|branch)\b/);
    }
    const css = await (await box.web.request("/assets/kiosk.css")).text();
    expect(css).toMatch(/\.card \{[^}]*min-height: calc\(var\(--touch\) \* 2\)/);
    expect(css).toMatch(/\.card\.waiting \{[^}]*--warn/);
  });
});
