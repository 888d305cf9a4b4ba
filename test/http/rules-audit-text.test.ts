// Issue 16: changes of forwarding (R4.4) and absences (R4.7) are audited and /admin says them in
// words, in Russian and English; the detail written is read back as data.
import { describe, expect, test } from "bun:test";
import { auditSentence } from "../../src/http/admin/audit-text.ts";
import { en } from "../../src/i18n/en.ts";
import type { Messages } from "../../src/i18n/index.ts";
import { ru } from "../../src/i18n/ru.ts";
import {
  absenceDetail,
  forwardingDetail,
  readAuditDetail,
  scheduleDetail,
} from "../../src/service/audit-detail.ts";
import type { AuditEntry } from "../../src/service/roster-port.ts";

const NAMES: Record<string, string> = {
  anna: "Анна Смирнова",
  olga: "Ольга Петрова",
  sergey: "Сергей Иванов",
};
const say = (action: string, detail: string, actorId: string | null, t: Messages) => {
  const entry: AuditEntry = { id: 1, at: Date.parse("2026-11-21T10:00:00+03:00"), actorId, action, detail };
  return auditSentence(entry, {
    t,
    timezone: "Europe/Moscow",
    nameOf: (id) => NAMES[id] ?? id,
    deskNameOf: (id) => id,
    departmentOf: (ext) => (ext === "600" ? "Отдел продаж" : ext),
  });
};
const byAnna = { via: "kiosk", actorId: "anna" } as const;
const bySergey = { via: "kiosk", actorId: "sergey" } as const;

describe("R4.4, R4.7: the audit of forwarding and absences in words", () => {
  test("R4.4: an employee's own forwarding to a colleague, with the notice", () => {
    const detail = forwardingDetail(
      "anna",
      {
        action: { kind: "forward", to: { employeeId: "olga" } },
        notice: { kind: "default" },
        timeoutSeconds: 60,
      },
      byAnna,
    );
    expect(say("forwarding.set", detail, "anna", ru)).toBe(
      "Переадресация, если не отвечает: Анна Смирнова — через 60 с переадресация: Ольга Петрова, перед ней стандартное уведомление. Кто изменил: Анна Смирнова (киоск).",
    );
    expect(say("forwarding.set", detail, "anna", en)).toBe(
      "No-answer forwarding: Анна Смирнова — after 60 s forward to Ольга Петрова, after the standard notice. Changed by: Анна Смирнова (kiosk).",
    );
  });

  test("R4.3, R4.4: a manager's to a department with a recording, to voicemail, back to the default", () => {
    const department = forwardingDetail(
      "olga",
      {
        action: { kind: "forward", to: { extension: "600" } },
        notice: { kind: "custom", recording: "ne-mozhet" },
        timeoutSeconds: 90,
      },
      bySergey,
    );
    expect(say("forwarding.set", department, "sergey", ru)).toBe(
      "Переадресация, если не отвечает: Ольга Петрова — через 90 с переадресация: Отдел продаж, перед ней запись «ne-mozhet». Кто изменил: Сергей Иванов (киоск).",
    );
    const voicemail = forwardingDetail(
      "olga",
      { action: { kind: "voicemail" }, notice: { kind: "none" }, timeoutSeconds: 30 },
      { via: "api", actorId: null },
    );
    expect(say("forwarding.set", voicemail, null, ru)).toBe(
      "Переадресация, если не отвечает: Ольга Петрова — через 30 с голосовая почта. Кто изменил: API.",
    );
    expect(say("forwarding.set", forwardingDetail("olga", null, bySergey), "sergey", ru)).toContain(
      "через 120 с сигнал «занято» (по умолчанию)",
    );
  });

  test("R4.7: a vacation entered and a sick leave removed, with the days", () => {
    const added = absenceDetail(
      "anna",
      { kind: "vacation", first: "2026-12-01", last: "2026-12-14" },
      "added",
      bySergey,
    );
    expect(say("absence.add", added, "sergey", ru)).toBe(
      "Отпуск внесён: Анна Смирнова, вт, 01.12.2026 — пн, 14.12.2026. Кто: Сергей Иванов (киоск).",
    );
    const removed = absenceDetail(
      "anna",
      { kind: "sick", first: "2026-11-23", last: "2026-11-24" },
      "removed",
      bySergey,
    );
    expect(say("absence.remove", removed, "sergey", en)).toBe(
      "Sick leave removed: Анна Смирнова, Mon 2026-11-23 — Tue 2026-11-24. By: Сергей Иванов (kiosk).",
    );
  });

  test("R4.7: a weekly schedule, grouped by hours, and none", () => {
    const hours = [
      ...([1, 2, 3, 4, 5] as const).map((day) => ({ day, from: 540, to: 1080 })),
      { day: 6 as const, from: 600, to: 840 },
    ];
    expect(say("schedule.set", scheduleDetail("olga", hours, bySergey), "sergey", ru)).toBe(
      "График работы: Ольга Петрова — пн–пт 09:00–18:00, сб 10:00–14:00. Кто изменил: Сергей Иванов (киоск).",
    );
    expect(say("schedule.set", scheduleDetail("olga", null, bySergey), "sergey", en)).toBe(
      "Working hours: Ольга Петрова — no schedule. Changed by: Сергей Иванов (kiosk).",
    );
  });

  test("each detail reads back as the facts it was written from; a damaged one is shown as written", () => {
    const hours = [{ day: 2 as const, from: 0, to: 1440 }];
    expect(
      readAuditDetail("schedule.set", scheduleDetail("olga", hours, { via: "api", actorId: null })),
    ).toEqual({
      action: "schedule",
      employeeId: "olga",
      via: "api",
      actorId: null,
      hours,
    });
    expect(
      readAuditDetail("forwarding.set", "forwarding of olga set via kiosk by sergey: {broken"),
    ).toBeNull();
    expect(say("absence.add", "vacation of anna whenever", "sergey", ru)).toContain(
      "vacation of anna whenever",
    );
  });
});
