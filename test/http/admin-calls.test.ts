import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { en } from "../../src/i18n/en.ts";
import { ru } from "../../src/i18n/ru.ts";
import { routeDecisionStore } from "../../src/store/route-decision-store.ts";
import { staffStore } from "../../src/store/staff-store.ts";
import { TEST_TOKEN } from "../support/box.ts";
import { type FakeCalls, fakeCalls, leg, record } from "../support/fake-calls.ts";
import { type KioskBox, makeKioskBox, testIdText } from "../support/kiosk-client.ts";

let calls: FakeCalls;
let box: KioskBox;
beforeEach(async () => {
  calls = fakeCalls();
  box = await makeKioskBox({ calls });
});
afterEach(() => box.close());

const AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
const get = (path: string, headers: Record<string, string> = AUTH) => box.web.request(path, { headers });
const html = async (path: string, cookie?: string) =>
  (await get(path, { ...AUTH, ...(cookie === undefined ? {} : { cookie }) })).text();

/** The call ids of the table's rows, in order. */
const rowIds = (page: string) => [...page.matchAll(/<tr data-testid="call-([^"]+)"/g)].map((m) => m[1]);

/**
 * A strict RFC 4180 reader: fields, quotes doubled inside quoted fields, CRLF between records;
 * `sep` is the field separator (`;` for Excel in a Russian locale, the default download).
 */
function parseCsv(text: string, sep: ";" | ","): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      i += 1;
      for (;;) {
        const end = text.indexOf('"', i);
        if (end < 0) throw new Error("unterminated quote");
        field += text.slice(i, end);
        i = end + 1;
        if (text[i] !== '"') break;
        field += '"';
        i += 1;
      }
    }
    const c = text[i];
    if (c === sep) {
      row.push(field);
      field = "";
      i += 1;
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += 2;
    } else if (c === undefined) {
      break;
    } else if (c === '"' || c === "\n" || c === "\r") {
      throw new Error(`bare ${JSON.stringify(c)} at ${i}`);
    } else {
      field += c;
      i += 1;
    }
  }
  if (field !== "" || row.length > 0) throw new Error("the last record has no CRLF");
  return rows;
}

/** Calls around the test clock's day, 2026-11-21 in Moscow. */
function seed() {
  calls.setRecords([
    // The evening before, in Moscow: another day, although the same UTC date as midnight's call.
    record("yesterday", "2026-11-20T23:30:00+03:00"),
    record("midnight", "2026-11-21T00:10:00+03:00"),
    record("olga-call", "2026-11-21T10:00:00+03:00", {
      legs: [leg("o-1", "101", { employeeId: "olga", rule: "desk-checkin" })],
      owner: { employeeId: "olga", rule: "desk-checkin", reason: "olga holds 101" },
    }),
    record("missed", "2026-11-21T11:00:00+03:00", {
      answeredAt: null,
      outcome: "missed",
      legs: [leg("m-1", "101", { ending: "missed" })],
      owner: { employeeId: "sergey", rule: "unmapped", reason: "missed: for the managers" },
    }),
    record("transfer", "2026-11-21T12:00:00+03:00", {
      legs: [
        leg("t-1", "101", { employeeId: "anna", rule: "desk-checkin", ending: "transferred" }),
        leg("t-2", "102", { employeeId: "sergey", rule: "dedicated", transferredFrom: "t-1" }),
      ],
      owner: { employeeId: "sergey", rule: "dedicated", reason: "answered last" },
    }),
    record("split", "2026-11-21T12:05:00+03:00", { partOf: "transfer" }),
  ]);
}

describe("R2.9: the calls page in /admin", () => {
  test("R2.9: needs the admin token, like the rest of /admin; /admin links to it", async () => {
    for (const path of ["/admin/calls", "/admin/calls.csv"]) {
      const response = await get(path, {});
      expect(response.status).toBe(401);
      expect(response.headers.get("www-authenticate")).toStartWith("Basic");
      expect(await response.text()).not.toContain(ru.csvCallId);
    }
    expect(await html("/admin")).toMatch(
      /<a class="btn secondary" href="\/admin\/calls" data-testid="to-calls">/,
    );
  });

  test("R2.9: today in the branch's time zone by default, newest first, with who owned each call and why", async () => {
    seed();
    const page = await html("/admin/calls");
    expect(page).toContain(ru.callsTitle("2026-11-21"));
    expect(page).toContain('<input type="date" name="day" value="2026-11-21"');
    expect(rowIds(page)).toEqual(["split", "transfer", "missed", "olga-call", "midnight"]);
    const row = page.slice(
      page.indexOf('data-testid="call-olga-call"'),
      page.indexOf("</tr>", page.indexOf('data-testid="call-olga-call"')),
    );
    for (const text of [
      "10:00:00",
      ru.dirInbound,
      "+7 999 123-45-67",
      ru.outcomeAnswered,
      "2:00",
      "desk-checkin",
      "olga holds 101",
    ])
      expect(row).toContain(text);
    expect(testIdText(page, "call-olga-call-owner")).toBe("Ольга Петрова");
    expect(testIdText(page, "call-transfer")).toContain(
      `${ru.extension("101")} Анна Смирнова — ${ru.endingTransferred}`,
    );
    expect(testIdText(page, "call-transfer")).toContain(ru.transferFrom("101"));
    expect(testIdText(page, "call-split")).toContain(ru.partOfMark("transfer"));
    expect(page).toContain('href="/admin/calls.csv?day=2026-11-21"');
  });

  test("R2.9: filters by day, by employee (owner or any leg) and by outcome", async () => {
    seed();
    expect(rowIds(await html("/admin/calls?day=2026-11-20"))).toEqual(["yesterday"]);
    expect(rowIds(await html("/admin/calls?employee=olga"))).toEqual(["olga-call"]);
    expect(rowIds(await html("/admin/calls?employee=anna"))).toEqual(["split", "transfer", "midnight"]);
    expect(rowIds(await html("/admin/calls?outcome=missed"))).toEqual(["missed"]);
    const both = await html("/admin/calls?day=2026-11-21&employee=sergey&outcome=answered");
    expect(rowIds(both)).toEqual(["transfer"]);
    expect(both).toContain('<option value="sergey" selected="">Сергей Иванов</option>');
    expect(both).toContain('<option value="answered" selected="">');
    expect(both).toContain('href="/admin/calls.csv?day=2026-11-21&amp;employee=sergey&amp;outcome=answered"');
    const none = await html("/admin/calls?day=2026-11-19");
    expect(testIdText(none, "calls-none")).toBe(ru.callsNone);
    // The store is asked for exactly that day and that filter.
    expect(calls.queries.at(-2)).toMatchObject({
      since: Date.parse("2026-11-21T00:00:00+03:00"),
      until: Date.parse("2026-11-22T00:00:00+03:00"),
      employeeId: "sergey",
      outcome: "answered",
    });
  });

  test("a filter it cannot read is answered 400 with what to fix, and nothing is listed", async () => {
    seed();
    for (const query of ["day=2026-13-01", "day=yesterday", "outcome=lost"]) {
      const response = await get(`/admin/calls?${query}`);
      expect(response.status).toBe(400);
      const page = await response.text();
      expect(testIdText(page, "calls-error")).toContain(query.split("=")[1] ?? "");
      expect(rowIds(page)).toEqual([]);
      expect((await get(`/admin/calls.csv?${query}`)).status).toBe(400);
    }
  });

  test("a busy day is cut at 200 rows, and says so", async () => {
    calls.setRecords(
      Array.from({ length: 205 }, (_, i) =>
        record(`c${i}`, new Date(Date.parse("2026-11-21T08:00:00+03:00") + i * 1000).toISOString()),
      ),
    );
    const page = await html("/admin/calls");
    expect(rowIds(page)).toHaveLength(200);
    expect(rowIds(page)[0]).toBe("c204");
    expect(testIdText(page, "calls-limited")).toBe(ru.callsLimited(200));
  });

  test("in English, plain HTML without scripts or inline styles (CSP)", async () => {
    seed();
    const response = await get("/admin/calls?lang=en");
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).not.toContain("unsafe-inline");
    const page = await response.text();
    expect(page).toContain(en.callsTitle("2026-11-21"));
    expect(page).toContain(en.outcomeMissed);
    expect(page).toContain('href="/admin/calls?lang=ru"');
    expect(page).not.toContain("<script");
    expect(page).not.toMatch(/\sstyle\s*=/i);
    expect(page).not.toMatch(/<style\b/i);
  });
});

describe("issue 16: one call in words, /admin/calls/<id>", () => {
  const at = (time: string) => Date.parse(`2026-11-21T${time}+03:00`);

  test("issue 16: the story in the order the phones rang — who rang how long, who answered by which rule — and who got a card; linked from the calls page", async () => {
    calls.setRecords([
      record("story", "2026-11-21T14:03:00+03:00", {
        legs: [
          leg("s-2", "101", {
            employeeId: "anna",
            rule: "desk-checkin",
            ending: "completed",
            ringingAt: at("14:03:25"),
            answeredAt: at("14:03:31"),
            endedAt: at("14:05:00"),
          }),
          leg("s-1", "104", {
            employeeId: "sergey",
            rule: "dedicated",
            ending: "missed",
            ringingAt: at("14:03:05"),
            endedAt: at("14:03:25"),
          }),
        ],
        owner: { employeeId: "anna", rule: "desk-checkin", reason: "anna holds 101" },
      }),
    ]);
    expect(await html("/admin/calls")).toContain('href="/admin/calls/story" data-testid="call-story-open"');
    const page = await html("/admin/calls/story");
    expect(testIdText(page, "call-title")).toBe(
      ru.callPageTitle("2026-11-21 14:03:00", ru.dirInbound, "+7 999 123-45-67"),
    );
    expect(testIdText(page, "call-owner")).toBe(`Анна Смирнова — desk-checkin ${ru.ruleDeskCheckin}`);
    const story = testIdText(page, "call-story") ?? "";
    expect(story.indexOf("14:03:05")).toBeGreaterThan(-1);
    expect(story.indexOf("14:03:05")).toBeLessThan(story.indexOf("14:03:25"));
    expect(testIdText(page, "call-leg-s-1")).toContain(`${ru.extension("104")} Сергей`);
    expect(testIdText(page, "call-leg-s-1")).toContain(ru.callRangFor(20));
    expect(testIdText(page, "call-leg-s-2")).toContain(ru.callAnsweredAfter(6));
    expect(testIdText(page, "call-leg-s-2")).toContain(ru.ruleDeskCheckin);
    expect(testIdText(page, "call-pops")).toContain(`R3.1 ${ru.popReasonText("answered")}`);
  });

  test("issue 16, R3.5b: the intents the call sent to HQ's CRM, in words with their rule; or why none", async () => {
    seed();
    const head = { callId: "olga-call", number: "+79991234567", reason: "r" };
    calls.setIntents("olga-call", {
      started: false,
      decided: true,
      none: null,
      intents: [
        {
          id: "olga-call:1",
          type: "crm.task.create",
          data: {
            ...head,
            rule: "R3.5b",
            clientId: "c1",
            assigneeEmployeeId: "olga",
            status: "completed",
            purpose: "call-logged",
            recordingUrl: null,
          },
        },
        {
          id: "olga-call:2",
          type: "crm.task.create",
          data: {
            ...head,
            rule: "R3.5b",
            clientId: "c1",
            assigneeEmployeeId: "sergey",
            status: "open",
            purpose: "review-call",
            recordingUrl: null,
          },
        },
      ],
    });
    const page = await html("/admin/calls/olga-call");
    expect(testIdText(page, "call-intent-olga-call:1")).toBe(
      `${ru.intentTask("completed", "call-logged", "Ольга Петрова")} — R3.5b`,
    );
    expect(testIdText(page, "call-intent-olga-call:2")).toBe(
      `${ru.intentTask("open", "review-call", "Сергей Иванов")} — R3.5b`,
    );
    calls.setIntents("missed", { started: false, decided: true, none: "an internal call", intents: [] });
    expect(testIdText(await html("/admin/calls/missed"), "call-intents-none")).toBe(
      ru.callIntentsNone("an internal call"),
    );
    expect(testIdText(await html("/admin/calls/midnight"), "call-intents-none")).toBe(
      ru.callIntentsUndecided,
    );
  });

  test("issue 16, R2.6: the routing the PBX carried out for the call, with the box's reason and rule", async () => {
    seed();
    const reason =
      "Сергей Иванов is the responsible manager of ООО Ромашка (+79991234567): ring 102 for 20 s";
    routeDecisionStore(box.db).add({
      callId: "olga-call",
      at: Date.parse("2026-11-21T10:00:01+03:00"),
      rule: "R2.6",
      target: "PJSIP/102",
      reason,
    });
    const routes = testIdText(await html("/admin/calls/olga-call"), "call-routes") ?? "";
    expect(routes).toContain(`10:00:01 ${ru.callRouteRang("PJSIP/102")} — R2.6`);
    expect(routes).toContain(reason);
    expect(await html("/admin/calls/transfer")).not.toContain('data-testid="call-routes"');
  });

  test("issue 16: an unknown id is a 404 that says where to look; the page needs the admin token; English", async () => {
    expect((await get("/admin/calls/nope", {})).status).toBe(401);
    const missing = await get("/admin/calls/nope");
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe(ru.callNotFound("nope"));
    seed();
    const page = await html("/admin/calls/olga-call?lang=en");
    expect(page).toContain(en.callStoryTitle);
  });
});

describe("R2.9: CSV export", () => {
  test("R2.9: a UTF-8 file with a BOM, named for the branch and the day, a header row, CRLF records", async () => {
    seed();
    const response = await get("/admin/calls.csv?day=2026-11-21");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(response.headers.get("content-disposition")).toBe(
      'attachment; filename="calls-demo-2026-11-21.csv"',
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
    const rows = parseCsv(text.slice(1), ";");
    const header = rows[0] ?? [];
    expect(header).toEqual([
      ru.csvCallId,
      ru.csvPartOf,
      ru.csvStarted("Europe/Moscow"),
      ru.csvAnswered("Europe/Moscow"),
      ru.csvEnded("Europe/Moscow"),
      ru.csvTalkSeconds,
      ru.colDirection,
      ru.csvFromNumber,
      ru.csvFromExt,
      ru.csvToNumber,
      ru.csvToExt,
      ru.csvDid,
      ru.colOutcome,
      ru.csvOwnerId,
      ru.colOwner,
      ru.colRule,
      ru.adminReason,
      ru.colLegs,
      ru.colTransfer,
      ru.csvRecording,
    ]);
    expect(rows.slice(1).map((r) => r[0])).toEqual(["split", "transfer", "missed", "olga-call", "midnight"]);
    const olga = Object.fromEntries(header.map((h, i) => [h, rows[4]?.[i]]));
    expect(olga).toMatchObject({
      [ru.csvStarted("Europe/Moscow")]: "2026-11-21 10:00:00",
      [ru.csvTalkSeconds]: "120",
      [ru.colDirection]: ru.dirInbound,
      [ru.colOutcome]: ru.outcomeAnswered,
      [ru.csvOwnerId]: "olga",
      [ru.colOwner]: "Ольга Петрова",
      [ru.colRule]: "desk-checkin",
      [ru.csvToExt]: "101",
    });
    expect(rows[2]?.[header.indexOf(ru.colTransfer)]).toBe(ru.transferFrom("101"));
    expect(rows.every((r) => r.length === header.length)).toBe(true);
  });

  test("R2.9: commas, quotes and newlines are quoted (RFC 4180) and formula-like cells are neutralised", async () => {
    calls.setRecords([
      record("tricky", "2026-11-21T10:00:00+03:00", {
        from: { number: "+79991234567", extension: null },
        did: '=HYPERLINK("http://evil","click")',
        owner: { employeeId: "anna", rule: "desk-checkin", reason: 'Анна, "на смене"\r\nи держит телефон' },
        recordingUrl: "@SUM(1+1)",
        legs: [leg("x-1", "-1+1", { employeeId: "anna" })],
      }),
    ]);
    const text = await (await get("/admin/calls.csv")).text();
    expect(text).toContain('"Анна, ""на смене""\r\nи держит телефон"');
    const rows = parseCsv(text.replace(/^\uFEFF/, ""), ";");
    const header = rows[0] ?? [];
    const cell = (name: string) => rows[1]?.[header.indexOf(name)];
    expect(cell(ru.adminReason)).toBe('Анна, "на смене"\r\nи держит телефон');
    expect(cell(ru.csvDid)).toBe('\'=HYPERLINK("http://evil","click")');
    expect(cell(ru.csvFromNumber)).toBe("'+79991234567");
    expect(cell(ru.csvRecording)).toBe("'@SUM(1+1)");
    // Every cell a spreadsheet would evaluate starts with the apostrophe now.
    for (const value of rows.flat()) expect(value).not.toMatch(/^[=+\-@\t\r]/);
  });

  test("R2.9: the CSV follows the page's filters and language", async () => {
    seed();
    const text = await (
      await get("/admin/calls.csv?employee=olga", { ...AUTH, cookie: "bb_lang=en" })
    ).text();
    const rows = parseCsv(text.replace(/^\uFEFF/, ""), ";");
    expect(rows[0]?.[0]).toBe(en.csvCallId);
    expect(rows.slice(1).map((r) => r[0])).toEqual(["olga-call"]);
    const empty = parseCsv((await (await get("/admin/calls.csv?day=2026-11-19")).text()).slice(1), ";");
    expect(empty).toHaveLength(1);
  });
});

describe("issue 14 (7): the calls CSV opens in Russian Excel by double-click", () => {
  /** olga's name with both of the CSV's special characters, as HQ's staff list could send it. */
  function renameOlga(name: string) {
    const staff = staffStore(box.db);
    const olga = staff.list().find((s) => s.id === "olga");
    if (olga === undefined) throw new Error("the demo staff has no olga");
    staff.upsert([{ ...olga, name }], box.clock.now());
    box.roster.reloadStaff();
  }

  test("issue 14 (7): the default download is UTF-8 with a BOM, `;`-separated, times and seconds as Excel reads them", async () => {
    seed();
    const response = await get("/admin/calls.csv");
    expect(response.headers.get("content-disposition")).toBe(
      'attachment; filename="calls-demo-2026-11-21.csv"',
    );
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes).slice(1);
    const lines = text.split("\r\n");
    // The header is cut by `;` into every column, the comma of "Разговор, с" left in its name.
    expect(lines[0]?.split(";")).toHaveLength(20);
    expect(lines[0]).toContain(`;${ru.csvTalkSeconds};`);
    const olga = lines.find((l) => l.startsWith("olga-call;")) ?? "";
    expect(olga).toStartWith("olga-call;;2026-11-21 10:00:00;2026-11-21 10:00:10;2026-11-21 10:02:10;120;");
    // ?sep=semicolon is the same file.
    expect(await (await get("/admin/calls.csv?sep=semicolon")).text()).toBe(`\uFEFF${text}`);
  });

  test('issue 14 (7): a name holding `;` and `"` is quoted (RFC 4180 with `;`) and reads back whole', async () => {
    seed();
    renameOlga('Ольга "Оля"; Петрова');
    const text = await (await get("/admin/calls.csv")).text();
    expect(text).toContain(';"Ольга ""Оля""; Петрова";');
    const rows = parseCsv(text.slice(1), ";");
    const header = rows[0] ?? [];
    const olga = rows.find((r) => r[0] === "olga-call") ?? [];
    expect(olga[header.indexOf(ru.colOwner)]).toBe('Ольга "Оля"; Петрова');
    expect(olga[header.indexOf(ru.colLegs)]).toBe(
      `${ru.extension("101")} Ольга "Оля"; Петрова — ${ru.endingCompleted}`,
    );
    expect(rows.every((r) => r.length === header.length)).toBe(true);
  });

  test("issue 14 (7): ?sep=comma gives the comma form for other programs, linked beside the Excel one", async () => {
    seed();
    renameOlga('Ольга "Оля"; Петрова');
    const response = await get("/admin/calls.csv?day=2026-11-21&sep=comma");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe(
      'attachment; filename="calls-demo-2026-11-21-comma.csv"',
    );
    const text = await response.text();
    expect(text.charCodeAt(0)).toBe(0xfeff);
    expect(text).toContain(`,"${ru.csvTalkSeconds}",`);
    const rows = parseCsv(text.slice(1), ",");
    const header = rows[0] ?? [];
    expect(header).toHaveLength(20);
    expect(rows.slice(1).map((r) => r[0])).toEqual(["split", "transfer", "missed", "olga-call", "midnight"]);
    expect(rows.find((r) => r[0] === "olga-call")?.[header.indexOf(ru.colOwner)]).toBe(
      'Ольга "Оля"; Петрова',
    );
    expect(rows.every((r) => r.length === header.length)).toBe(true);

    const page = await html("/admin/calls?employee=olga");
    expect(page).toContain('href="/admin/calls.csv?day=2026-11-21&amp;employee=olga" data-testid="csv-link"');
    expect(testIdText(page, "csv-link")).toBe(`${ru.csvDownload} ${ru.csvForExcel}`);
    expect(page).toContain(
      'href="/admin/calls.csv?day=2026-11-21&amp;employee=olga&amp;sep=comma" data-testid="csv-comma-link"',
    );
    expect(testIdText(page, "csv-comma-link")).toBe(ru.csvDownloadComma);
    expect(testIdText(await html("/admin/calls?lang=en"), "csv-comma-link")).toBe(en.csvDownloadComma);
  });

  test("issue 14 (7): formula-like cells are neutralised in both forms; an unknown separator is a 400", async () => {
    calls.setRecords([
      record("tricky", "2026-11-21T10:00:00+03:00", {
        did: '=HYPERLINK("http://evil";"click")',
        recordingUrl: "@SUM(1+1)",
        legs: [leg("x-1", "-1+1", { employeeId: "anna" })],
      }),
    ]);
    renameOlga("=cmd|' /C calc'!A0");
    for (const [query, sep] of [
      ["", ";"],
      ["?sep=comma", ","],
    ] as const) {
      const rows = parseCsv((await (await get(`/admin/calls.csv${query}`)).text()).slice(1), sep);
      const header = rows[0] ?? [];
      expect(rows[1]?.[header.indexOf(ru.csvDid)]).toBe('\'=HYPERLINK("http://evil";"click")');
      expect(rows[1]?.[header.indexOf(ru.csvRecording)]).toBe("'@SUM(1+1)");
      for (const value of rows.flat()) expect(value).not.toMatch(/^[=+\-@\t\r]/);
    }
    const bad = await get("/admin/calls.csv?sep=tab");
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe(ru.csvBadFilter("sep=tab"));
    expect((await get("/admin/calls.csv?sep=constructor")).status).toBe(400);
  });
});
