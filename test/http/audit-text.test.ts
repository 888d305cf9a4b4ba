import { describe, expect, test } from "bun:test";
import { auditSentence } from "../../src/http/admin/audit-text.ts";
import { en } from "../../src/i18n/en.ts";
import type { Messages } from "../../src/i18n/index.ts";
import { ru } from "../../src/i18n/ru.ts";
import { pinUnlockDetail, rosterAuditDetail } from "../../src/service/audit-detail.ts";
import type { AuditEntry } from "../../src/service/roster-port.ts";

const NAMES: Record<string, string> = {
  irina: "Ирина Кузнецова",
  olga: "Ольга Петрова",
  sergey: "Сергей Иванов",
};
const DESKS: Record<string, string> = { front: "Ресепшен" };

const say = (entry: AuditEntry, t: Messages, timezone = "Europe/Moscow") =>
  auditSentence(entry, {
    t,
    timezone,
    nameOf: (id) => NAMES[id] ?? id,
    deskNameOf: (id) => DESKS[id] ?? id,
  });

/** An audit entry as the roster service writes it for a roster fact, entered at `entered`. */
function rosterEntry(
  entered: string,
  fact: { kind: string; employeeId: string; deskId?: string; at: string; via: string; actorId?: string },
): AuditEntry {
  const actorId = fact.actorId ?? null;
  return {
    id: 1,
    at: Date.parse(entered),
    actorId,
    action: `roster.${fact.kind}`,
    detail: rosterAuditDetail({
      kind: fact.kind,
      employeeId: fact.employeeId,
      deskId: fact.deskId ?? null,
      at: Date.parse(fact.at),
      via: fact.via,
      actorId,
    }),
  };
}

function unlockEntry(
  entered: string,
  employeeId: string,
  via: string,
  actorId: string | null,
  until: string | null,
) {
  return {
    id: 2,
    at: Date.parse(entered),
    actorId,
    action: "pin.unlock",
    detail: pinUnlockDetail(employeeId, via, until === null ? null : Date.parse(until)),
  };
}

describe("issue 14 (7): audit entries in words, in the branch's time", () => {
  test("issue 14 (7): a manager's check-out of a colleague (the issue's own entry), ru and en", () => {
    const entry = rosterEntry("2026-11-21T10:00:00Z", {
      kind: "check-out",
      employeeId: "irina",
      at: "2026-11-21T09:30:00Z",
      via: "manager",
      actorId: "sergey",
    });
    expect(say(entry, ru)).toBe(
      "Конец смены: Ирина Кузнецова, 12:30. Кто внёс: Сергей Иванов (менеджер), на 30 мин позже.",
    );
    expect(say(entry, en)).toBe(
      "Shift end: Ирина Кузнецова, 12:30. Entered by Сергей Иванов (manager), 30 min late.",
    );
    // Berlin in winter is UTC+1.
    expect(say(entry, en, "Europe/Berlin")).toBe(
      "Shift end: Ирина Кузнецова, 10:30. Entered by Сергей Иванов (manager), 30 min late.",
    );
  });

  test("issue 14 (7): a late check-in through the API, a day earlier: the date is said too", () => {
    const entry = rosterEntry("2026-11-21T10:00:00Z", {
      kind: "check-in",
      employeeId: "olga",
      deskId: "front",
      at: "2026-11-20T15:00:00Z",
      via: "api",
    });
    expect(say(entry, ru)).toBe(
      "Начало смены: Ольга Петрова, место «Ресепшен», 2026-11-20 18:00. Кто внёс: API, на 19 ч 00 мин позже.",
    );
    expect(say(entry, en)).toBe(
      "Shift start: Ольга Петрова at Ресепшен, 2026-11-20 18:00. Entered by the API, 19 h 00 min late.",
    );
  });

  test("issue 14 (7): a handover a manager made for a colleague at once is not called late", () => {
    const entry = rosterEntry("2026-11-21T10:00:00Z", {
      kind: "handover",
      employeeId: "olga",
      deskId: "front",
      at: "2026-11-21T10:00:00Z",
      via: "manager",
      actorId: "sergey",
    });
    expect(say(entry, ru)).toBe(
      "Взят телефон: Ольга Петрова, место «Ресепшен», 13:00. Кто внёс: Сергей Иванов (менеджер).",
    );
    expect(say(entry, en)).toBe(
      "Took the phone: Ольга Петрова at Ресепшен, 13:00. Entered by Сергей Иванов (manager).",
    );
  });

  test("issue 14 (7): breaks entered late from headquarters and through the kiosk", () => {
    const start = rosterEntry("2026-11-21T10:00:00Z", {
      kind: "break-start",
      employeeId: "olga",
      at: "2026-11-21T08:00:00Z",
      via: "hq",
    });
    expect(say(start, ru)).toBe(
      "Перерыв: Ольга Петрова, 11:00. Кто внёс: головной офис, на 2 ч 00 мин позже.",
    );
    expect(say(start, en)).toBe("Break: Ольга Петрова, 11:00. Entered by headquarters, 2 h 00 min late.");
    const end = rosterEntry("2026-11-21T10:00:00Z", {
      kind: "break-end",
      employeeId: "olga",
      at: "2026-11-21T09:50:00Z",
      via: "kiosk",
    });
    expect(say(end, ru)).toBe("Конец перерыва: Ольга Петрова, 12:50. Кто внёс: киоск, на 10 мин позже.");
    expect(say(end, en)).toBe("Break end: Ольга Петрова, 12:50. Entered by the kiosk, 10 min late.");
  });

  test("issue 14 (7): the other roster kinds have their words; an unknown one by its code", () => {
    for (const [kind, ruWord, enWord] of [
      ["closed-elsewhere", "Смена начата в другом филиале", "Checked in at another branch"],
      ["crm-login", "Вход в CRM", "CRM login"],
      ["lunch", "Lunch", "Lunch"],
    ] as const) {
      const entry = rosterEntry("2026-11-21T10:00:00Z", {
        kind,
        employeeId: "olga",
        at: "2026-11-21T10:00:00Z",
        via: "hq",
      });
      expect(say(entry, ru)).toBe(`${ruWord}: Ольга Петрова, 13:00. Кто внёс: головной офис.`);
      expect(say(entry, en)).toBe(`${enWord}: Ольга Петрова, 13:00. Entered by headquarters.`);
    }
  });

  test("issue 14 (7): a PIN lock lifted by branch IT on /admin, by a manager at the kiosk, through the API", () => {
    const byIt = unlockEntry("2026-11-21T10:00:00Z", "olga", "admin", null, "2026-11-21T10:05:00Z");
    expect(say(byIt, ru)).toBe(
      "Снята блокировка PIN: Ольга Петрова (действовала до 13:05). Кто снял: IT филиала.",
    );
    expect(say(byIt, en)).toBe("PIN lock lifted: Ольга Петрова (locked until 13:05). Lifted by branch IT.");
    const byManager = unlockEntry("2026-11-21T10:00:00Z", "olga", "kiosk", "sergey", null);
    expect(say(byManager, ru)).toBe(
      "Снята блокировка PIN: Ольга Петрова (блокировки уже не было). Кто снял: Сергей Иванов (киоск).",
    );
    expect(say(byManager, en)).toBe(
      "PIN lock lifted: Ольга Петрова (no lock was in force). Lifted by Сергей Иванов (kiosk).",
    );
    const byApi = unlockEntry("2026-11-21T10:00:00Z", "olga", "api", null, "2026-11-21T10:05:00Z");
    expect(say(byApi, ru)).toBe("Снята блокировка PIN: Ольга Петрова (действовала до 13:05). Кто снял: API.");
    expect(say(byApi, en)).toBe("PIN lock lifted: Ольга Петрова (locked until 13:05). Lifted by the API.");
  });

  test("issue 14 (7): an employee the staff list no longer has is named by id", () => {
    const entry = unlockEntry("2026-11-21T10:00:00Z", "gone-7", "admin", null, null);
    expect(say(entry, ru)).toBe(
      "Снята блокировка PIN: gone-7 (блокировки уже не было). Кто снял: IT филиала.",
    );
    const desk = rosterEntry("2026-11-21T10:00:00Z", {
      kind: "check-in",
      employeeId: "olga",
      deskId: "back",
      at: "2026-11-21T10:00:00Z",
      via: "api",
    });
    expect(say(desk, en)).toBe("Shift start: Ольга Петрова at back, 13:00. Entered by the API.");
  });

  test("issue 14 (7): an action this build does not know, or a detail it cannot read, shows as written", () => {
    const entry: AuditEntry = {
      id: 3,
      at: Date.parse("2026-11-21T10:00:00Z"),
      actorId: "sergey",
      action: "staff.import",
      detail: "12 employees from staff.csv",
    };
    expect(say(entry, ru)).toBe("Запись «staff.import»: 12 employees from staff.csv. Кто: Сергей Иванов.");
    expect(say(entry, en)).toBe('Entry "staff.import": 12 employees from staff.csv. By Сергей Иванов.');
    const odd: AuditEntry = { ...entry, actorId: null, action: "roster.check-in", detail: "by hand" };
    expect(say(odd, ru)).toBe("Запись «roster.check-in»: by hand.");
  });

  test("issue 14 (7): across a DST change the wall clock follows the zone (Berlin), Moscow has none", () => {
    // Berlin leaves CET for CEST at 01:00 UTC on 2026-03-29: 01:30 before it, 04:00 after it.
    const entry = rosterEntry("2026-03-29T02:00:00Z", {
      kind: "check-out",
      employeeId: "irina",
      at: "2026-03-29T00:30:00Z",
      via: "manager",
      actorId: "sergey",
    });
    expect(say(entry, en, "Europe/Berlin")).toBe(
      "Shift end: Ирина Кузнецова, 01:30. Entered by Сергей Иванов (manager), 1 h 30 min late.",
    );
    expect(say(entry, ru, "Europe/Moscow")).toBe(
      "Конец смены: Ирина Кузнецова, 03:30. Кто внёс: Сергей Иванов (менеджер), на 1 ч 30 мин позже.",
    );
    const summer = unlockEntry("2026-07-01T09:00:00Z", "olga", "admin", null, "2026-07-01T09:05:00Z");
    expect(say(summer, ru, "Europe/Berlin")).toBe(
      "Снята блокировка PIN: Ольга Петрова (действовала до 11:05). Кто снял: IT филиала.",
    );
    expect(say(summer, ru, "Europe/Moscow")).toBe(
      "Снята блокировка PIN: Ольга Петрова (действовала до 12:05). Кто снял: IT филиала.",
    );
  });
});
