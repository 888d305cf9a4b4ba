import { Hono } from "hono";
import { html } from "hono/html";
import type { Messages } from "../../i18n/index.ts";
import type { HttpDeps } from "../deps.ts";
import { dayRange, formatDate } from "../ui/branch-time.ts";
import { type LangEnv, language } from "../ui/lang.ts";
import { Layout } from "../ui/layout.tsx";
import { AdminPage, type DayView, type SyncView } from "./admin-page.tsx";
import { CallPage } from "./call-page.tsx";
import { type CsvSeparator, callsCsv } from "./calls-csv.ts";
import { callQuery, parseCallsFilter } from "./calls-filter.ts";
import { CallsPage } from "./calls-page.tsx";
import { DEVICE_NAME_MAX, DevicesSection } from "./devices-section.tsx";
import { PhonesSection } from "./phones-section.tsx";

const AUDIT_ROWS = 200;
/** Rows on the calls page; the CSV carries the whole day up to CSV_ROWS. */
const PAGE_ROWS = 200;
const CSV_ROWS = 20_000;
/** `?sep=` of the calls CSV: none (or `semicolon`) for Excel in a Russian locale, `comma` for the rest. */
const SEPARATORS: Readonly<Record<string, CsvSeparator>> = { "": ";", semicolon: ";", comma: "," };

/**
 * The admin pages, mounted at "/admin" behind the admin token (the app's `adminAuth`; this module
 * does no auth of its own): who owns each extension (R0.4), and the calls with their CSV (R2.9).
 * Plain HTML, no script.
 */
export function adminRoutes(deps: HttpDeps): Hono {
  const { config, roster } = deps;
  const tz = config.branch.timezone;
  const app = new Hono<LangEnv>();
  app.use(language(config.kiosk.language));

  app.get("/", (c) => {
    const now = deps.now();
    const t = c.get("t");
    const shown = pickDay(c.req.query("day"), now, tz);
    const names = new Map(roster.employees(now).map((e) => [e.id, e.name]));
    const desks = new Map(config.desks.map((d) => [d.id, d.name]));
    const page = (
      <Layout
        t={t}
        lang={c.get("lang")}
        title={`${config.branch.name} — admin`}
        home="/admin"
        query={c.req.query()}
        links={[{ href: "/admin/calls", text: t.adminCallsLink, testId: "to-calls" }]}
        branchName={config.branch.name}
        interactive={false}
      >
        <AdminPage
          t={t}
          timezone={tz}
          version={deps.version}
          owners={roster.owners(now)}
          day={shown.day}
          changes={roster.changesBetween(shown.from, Math.min(shown.to, now + 1))}
          audit={roster.audit(AUDIT_ROWS, { from: shown.from, to: shown.to })}
          pins={roster.pinStatus(now)}
          pbx={deps.pbx()}
          sync={syncView(deps)}
          inbound={deps.inbound()}
          nameOf={(id) => (id === null ? null : (names.get(id) ?? id))}
          deskNameOf={(id) => (id === null ? null : (desks.get(id) ?? id))}
          departmentOf={(ext) => config.departments.find((d) => d.extension === ext)?.name ?? ext}
          mappedTo={mappedTo(now, t)}
          devices={
            <DevicesSection
              t={t}
              timezone={tz}
              devices={deps.devices.devices()}
              code={deps.devices.pendingCode(now)}
              requirePairing={config.kiosk.require_pairing}
              loopbackPaired={config.kiosk.loopback_paired}
            />
          }
          phones={
            <PhonesSection
              t={t}
              timezone={tz}
              status={deps.phones.status()}
              base={new URL(c.req.url).origin}
            />
          }
        />
      </Layout>
    );
    c.header("Cache-Control", "no-store");
    return c.html(html`<!DOCTYPE html>${page}`, shown.day.problem === null ? 200 : 400);
  });

  // Issue 14: branch IT lifts a PIN lock (audited); back to the page, which shows it gone.
  app.post("/pins/:employeeId/unlock", (c) => {
    const result = roster.unlockPin(c.req.param("employeeId"), { actorId: null, via: "admin" }, deps.now());
    if (!result.ok) return c.text(result.error.message, 404);
    return c.redirect(`/admin?lang=${c.get("lang")}#pins`, 303);
  });

  // Issue 14 (8): a one-time code for a new kiosk or desk screen, shown on the page until used.
  app.post("/devices/code", async (c) => {
    const body = await c.req.parseBody().catch(() => ({}) as Record<string, unknown>);
    const name = typeof body.name === "string" ? body.name.trim() : "";
    if (name === "" || name.length > DEVICE_NAME_MAX) return c.text(c.get("t").adminDeviceNameNeeded, 400);
    deps.devices.newCode(name, deps.now());
    return c.redirect(`/admin?lang=${c.get("lang")}#devices`, 303);
  });

  // Revoking is audited; the device's cookie pairs nothing from its next request on.
  app.post("/devices/:id/revoke", (c) => {
    if (!deps.devices.revoke(Number(c.req.param("id")), deps.now()))
      return c.text(c.get("t").adminDeviceUnknown, 404);
    return c.redirect(`/admin?lang=${c.get("lang")}#devices`, 303);
  });

  /** Who holds an extension: its desks, its employees, `[pbx.ami] handsets`. */
  const mappedTo =
    (now: number, t: Messages) =>
    (extension: string): string | null => {
      const holders = [
        ...config.desks.filter((d) => d.extension === extension).map((d) => t.adminPbxMappedDesk(d.name)),
        ...roster.employees(now).flatMap((e) => (e.extension === extension ? [e.name] : [])),
        ...(config.pbx.ami?.handsets.includes(extension) ? [t.adminPbxMappedHandsets] : []),
      ];
      return holders.length === 0 ? null : holders.join(", ");
    };

  const nameLookup = (now: number) => {
    const names = new Map(roster.employees(now).map((e) => [e.id, e.name]));
    return (id: string | null) => (id === null ? null : (names.get(id) ?? id));
  };

  app.get("/calls", (c) => {
    const now = deps.now();
    const t = c.get("t");
    const lang = c.get("lang");
    const parsed = parseCallsFilter(c.req.query(), now, tz);
    const found = parsed.ok ? deps.calls.list(callQuery(parsed, PAGE_ROWS + 1)) : [];
    const employees = [...roster.employees(now)].sort((a, b) => a.name.localeCompare(b.name, lang));
    const page = (
      <Layout
        t={t}
        lang={lang}
        title={`${config.branch.name} — ${t.adminCallsLink}`}
        home="/admin"
        here="/admin/calls"
        query={c.req.query()}
        links={[{ href: "/admin", text: t.adminBackToOwners, testId: "to-owners" }]}
        branchName={config.branch.name}
        interactive={false}
      >
        <CallsPage
          t={t}
          timezone={tz}
          filter={parsed.filter}
          problem={parsed.ok ? null : parsed.problem}
          records={found.slice(0, PAGE_ROWS)}
          limited={found.length > PAGE_ROWS ? PAGE_ROWS : null}
          employees={employees}
          nameOf={nameLookup(now)}
        />
      </Layout>
    );
    c.header("Cache-Control", "no-store");
    return c.html(html`<!DOCTYPE html>${page}`, parsed.ok ? 200 : 400);
  });

  // Issue 16: one call in words; linked from each row of the calls page.
  app.get("/calls/:id", (c) => {
    const now = deps.now();
    const t = c.get("t");
    const id = c.req.param("id");
    const record = deps.calls.get(id);
    c.header("Cache-Control", "no-store");
    if (record === null) return c.text(t.callNotFound(id), 404);
    const page = (
      <Layout
        t={t}
        lang={c.get("lang")}
        title={`${config.branch.name} — ${t.adminCallsLink}`}
        home="/admin"
        here={`/admin/calls/${encodeURIComponent(id)}`}
        query={c.req.query()}
        links={[{ href: "/admin/calls", text: t.adminCallsLink, testId: "to-calls" }]}
        branchName={config.branch.name}
        interactive={false}
      >
        <CallPage
          t={t}
          timezone={tz}
          record={record}
          nameOf={nameLookup(now)}
          intents={deps.calls.intentsOf(record.partOf ?? record.id)}
          routes={deps.routeDecisions(record.partOf ?? record.id)}
          pickedUp={(extension, answeredAt) => deps.phones.pickedUp(extension, answeredAt)}
        />
      </Layout>
    );
    return c.html(html`<!DOCTYPE html>${page}`);
  });

  app.get("/calls.csv", (c) => {
    const now = deps.now();
    const t = c.get("t");
    const parsed = parseCallsFilter(c.req.query(), now, tz);
    if (!parsed.ok) return c.text(t.csvBadFilter(parsed.problem), 400);
    // Issue 14 (7): `;` opens in Russian Excel by double-click; `?sep=comma` is for other programs.
    const sep = c.req.query("sep") ?? "";
    const separator = Object.hasOwn(SEPARATORS, sep) ? SEPARATORS[sep] : undefined;
    if (separator === undefined) return c.text(t.csvBadFilter(`sep=${sep.slice(0, 40)}`), 400);
    const records = deps.calls.list(callQuery(parsed, CSV_ROWS));
    const body = callsCsv(records, { t, timezone: tz, nameOf: nameLookup(now), separator });
    const suffix = separator === "," ? "-comma" : "";
    return c.body(body, 200, {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="calls-${config.branch.id}-${parsed.filter.day}${suffix}.csv"`,
      "Cache-Control": "no-store",
    });
  });

  return app as unknown as Hono;
}

/**
 * `?day=YYYY-MM-DD` as the branch's day, midnight to midnight in its zone (a DST day is 23 or 25
 * hours long); missing means today, and a text that is not a date means today with the problem.
 */
function pickDay(
  asked: string | undefined,
  now: number,
  tz: string,
): { day: DayView; from: number; to: number } {
  const today = formatDate(now, tz);
  const text = (asked ?? "").trim();
  const range = dayRange(text === "" ? today : text, tz) ?? dayRange(today, tz);
  if (range === null) throw new Error(`the branch's own day ${today} is not a date`);
  const day = formatDate(range.from, tz);
  return {
    day: {
      day,
      today,
      previous: formatDate(range.from - 1, tz),
      next: formatDate(range.to, tz),
      problem: text === "" || day === text ? null : text.slice(0, 40),
    },
    from: range.from,
    to: range.to,
  };
}

/** The largest backlog per stream since it was last empty: what a draining bar measures against. */
const peaks: Record<string, number> = {};

function syncView(deps: HttpDeps): SyncView | null {
  const status = deps.sync();
  if (status === null) return null;
  for (const [stream, s] of Object.entries(status.streams)) {
    peaks[stream] = s.backlog === 0 ? 0 : Math.max(peaks[stream] ?? 0, s.backlog);
  }
  return { status, peaks: { ...peaks } };
}
