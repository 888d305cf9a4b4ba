import type { Context, Hono } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../../domain/error-codes.ts";
import type { Messages } from "../../i18n/index.ts";
import type { RulesActor } from "../../service/audit-detail.ts";
import type { EmployeeView } from "../../service/roster-port.ts";
import type { HttpDeps } from "../deps.ts";
import { formatDate } from "../ui/branch-time.ts";
import type { LangEnv } from "../ui/lang.ts";
import { awayText, dayText, forwardingText, rangeKindText, scheduleText } from "../ui/rules-text.ts";
import { isManagerRole } from "./card-audience.ts";
import { kioskError } from "./error-text.ts";
import {
  absenceForm,
  forwardingForm,
  postedAbsenceForm,
  postedForwardingForm,
  scheduleOf,
  settingOf,
} from "./rules-form.ts";
import { AbsencesScreen, ForwardingScreen, StaffAwayScreen } from "./rules-screens.tsx";
import type { Ticketer } from "./ticket.ts";

type C = Context<LangEnv>;
type Status = ContentfulStatusCode;

export interface RulesScreenOptions {
  readonly tickets: Ticketer;
  /** The kiosk's screen: a fragment for htmx, else the whole page. */
  readonly screen: (
    c: C,
    body: HtmlEscapedString | Promise<HtmlEscapedString>,
    status?: Status,
  ) => Response | Promise<Response>;
  /** The home board with a confirmation or an error. */
  readonly home: (
    c: C,
    flash: { kind: "ok" | "error"; text: string },
    status?: Status,
  ) => Response | Promise<Response>;
  /** The employee's action screen again, with an error. */
  readonly actions: (
    c: C,
    employeeId: string,
    error?: string,
    status?: Status,
  ) => Response | Promise<Response>;
}

/**
 * Issue 16 on the kiosk, behind the PIN's ticket like the action screen: `POST /rules/forwarding`
 * (R4.4: one's own; a manager's for anyone), `/rules/staff` (a manager's list) and
 * `/rules/absences` (a manager's, R4.7). Every tap posts the form; the screen comes back with the
 * step applied, or the change saved (audited by the rules service) and said in words.
 */
export function mountRulesScreens(app: Hono<LangEnv>, deps: HttpDeps, options: RulesScreenOptions): void {
  const { config, roster, rules, log } = deps;
  const tz = config.branch.timezone;
  const { tickets, screen, home, actions } = options;

  /** The ticket's employee and the employee the screen is about, or the answer that refuses. */
  const who = async (c: C) => {
    const form = await readForm(c);
    const now = deps.now();
    const t = c.get("t");
    const actorId = tickets.verify(form.one("ticket"), now);
    if (actorId === null) {
      log.warn("kiosk rules screen with a bad or expired ticket");
      return { refused: await home(c, { kind: "error", text: t.ticketExpired }, 403) } as const;
    }
    const staff = [...roster.employees(now)].sort((a, b) => a.name.localeCompare(b.name, c.get("lang")));
    const me = staff.find((e) => e.id === actorId);
    if (me === undefined) return { refused: await refusedHome(c, "ROSTER.UNKNOWN_EMPLOYEE") } as const;
    const targetId = form.one("employeeId") || me.id;
    const target = staff.find((e) => e.id === targetId);
    if (target === undefined) return { refused: await refusedHome(c, "ROSTER.UNKNOWN_EMPLOYEE") } as const;
    return {
      form,
      now,
      t,
      me,
      target,
      staff,
      ticket: tickets.issue(me.id, now),
      manager: isManagerRole(me.role),
    };
  };

  const refusedHome = (c: C, code: ErrorCode) => {
    const { text, status } = kioskError(code, c.get("t"));
    return home(c, { kind: "error", text }, status);
  };
  const refusedAction = (c: C, employeeId: string, code: ErrorCode) => {
    const { text, status } = kioskError(code, c.get("t"));
    return actions(c, employeeId, text, status);
  };

  const names = (staff: readonly EmployeeView[]) => ({
    employee: (id: string) => staff.find((e) => e.id === id)?.name ?? id,
    department: (ext: string) => config.departments.find((d) => d.extension === ext)?.name ?? ext,
  });

  const staffList = (
    c: C,
    t: Messages,
    ticket: string,
    staff: readonly EmployeeView[],
    now: number,
    notice?: string,
  ) =>
    screen(
      c,
      <StaffAwayScreen
        t={t}
        ticket={ticket}
        notice={notice}
        rows={staff.map((e) => ({
          id: e.id,
          name: e.name,
          forwarding: forwardingText(t, rules.forwarding(e.id), names(staff)),
          away: awayText(t, rules.absence(e.id, now), now, tz),
        }))}
      />,
    );

  app.post("/rules/staff", async (c) => {
    const w = await who(c);
    if ("refused" in w) return w.refused;
    if (!w.manager) return refusedAction(c, w.me.id, "ROSTER.NOT_A_MANAGER");
    return staffList(c, w.t, w.ticket, w.staff, w.now);
  });

  app.post("/rules/forwarding", async (c) => {
    const w = await who(c);
    if ("refused" in w) return w.refused;
    const { t, me, target, staff, now, ticket } = w;
    const self = target.id === me.id;
    // R4.4: one's own, or a manager's for anyone; a receptionist never sees a colleague's.
    if (!self && !w.manager) return refusedAction(c, me.id, "ROSTER.NOT_A_MANAGER");
    const current = rules.forwarding(target.id);
    const form = postedForwardingForm(w.form.one, forwardingForm(current));
    const show = (error?: string, status: Status = 200) =>
      screen(
        c,
        <ForwardingScreen
          t={t}
          ticket={ticket}
          employee={{ id: target.id, name: target.name }}
          self={self}
          now={forwardingText(t, current, names(staff))}
          form={form}
          colleagues={staff.filter((e) => e.id !== target.id).map((e) => ({ id: e.id, name: e.name }))}
          departments={config.departments}
          error={error}
        />,
        status,
      );
    const save = w.form.one("save");
    if (save !== "yes" && save !== "default") return show();
    const wanted = save === "default" ? ({ ok: true, setting: null } as const) : settingOf(form);
    if (!wanted.ok)
      return show(wanted.missing === "target" ? t.forwardingPickTarget : t.forwardingNameRecording, 400);
    const actor: RulesActor = { via: "kiosk", actorId: me.id };
    const result = rules.setForwarding(target.id, wanted.setting, actor, now);
    if (!result.ok) {
      log.info("kiosk forwarding refused", { employeeId: me.id, target: target.id, code: result.error.code });
      const refused = kioskError(result.error.code, t);
      return show(refused.text, refused.status);
    }
    const text = t.flashForwarding(target.name, forwardingText(t, wanted.setting, names(staff)));
    return self ? home(c, { kind: "ok", text }) : staffList(c, t, ticket, staff, now, text);
  });

  app.post("/rules/absences", async (c) => {
    const w = await who(c);
    if ("refused" in w) return w.refused;
    const { t, me, target, now, ticket } = w;
    if (!w.manager) return refusedAction(c, me.id, "ROSTER.NOT_A_MANAGER");
    const actor: RulesActor = { via: "kiosk", actorId: me.id };
    const before = rules.absences(target.id);
    const form = postedAbsenceForm(
      w.form.one,
      w.form.all,
      absenceForm(formatDate(now, tz), before.schedule?.hours ?? null),
    );
    let notice: string | undefined;
    let error: { text: string; status: Status } | undefined;
    const refused = (code: ErrorCode) => {
      log.info("kiosk absences refused", { employeeId: me.id, target: target.id, code });
      error = kioskError(code, t);
    };
    const removeId = w.form.one("remove");
    if (removeId !== "") {
      const result = rules.removeRange(target.id, Number(removeId), actor, now);
      if (result.ok) notice = t.flashRangeRemoved(target.name, rangeWords(t, result.value));
      else refused(result.error.code);
    } else if (w.form.one("add") === "yes") {
      const range = { kind: form.kind, first: form.first, last: form.last };
      const result = rules.addRange(target.id, range, actor, now);
      if (result.ok) notice = t.flashRangeAdded(target.name, rangeWords(t, range));
      else refused(result.error.code);
    } else if (w.form.one("schedule") !== "") {
      const clear = w.form.one("schedule") === "clear";
      const hours = clear ? ({ ok: true, hours: null } as const) : scheduleOf(form);
      if (!hours.ok)
        error = { text: hours.missing === "days" ? t.schedulePickDays : t.scheduleFromBeforeTo, status: 400 };
      else {
        const result = rules.setSchedule(target.id, hours.hours, actor, now);
        if (result.ok) notice = t.flashSchedule(target.name, scheduleText(t, hours.hours) ?? t.scheduleClear);
        else refused(result.error.code);
      }
    }
    const after = rules.absences(target.id);
    return screen(
      c,
      <AbsencesScreen
        t={t}
        ticket={ticket}
        employee={{ id: target.id, name: target.name }}
        ranges={after.ranges}
        schedule={scheduleText(t, after.schedule?.hours ?? null)}
        away={awayText(t, rules.absence(target.id, now), now, tz)}
        form={form}
        notice={notice}
        error={error?.text}
      />,
      error?.status ?? 200,
    );
  });
}

const rangeWords = (t: Messages, r: { kind: "vacation" | "sick"; first: string; last: string }) =>
  t.rangeText(rangeKindText(t, r.kind), dayText(t, r.first), dayText(t, r.last));

/** A form body read once: one value of a field ("" when absent), or all of a repeated one. */
async function readForm(c: C): Promise<{ one: (name: string) => string; all: (name: string) => string[] }> {
  const body = await c.req.parseBody({ all: true }).catch(() => ({}) as Record<string, unknown>);
  const values = (name: string): string[] => {
    const value = (body as Record<string, unknown>)[name];
    const list = Array.isArray(value) ? value : [value];
    return list.flatMap((v) => (typeof v === "string" ? [v.trim()] : []));
  };
  return { one: (name) => values(name)[0] ?? "", all: values };
}
