import type { CallOutcome } from "../../domain/call/call-types.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { CallQuery } from "../../service/calls-port.ts";
import { dayRange, formatDate } from "../ui/branch-time.ts";

export const OUTCOMES: readonly CallOutcome[] = ["answered", "missed", "voicemail", "busy", "failed"];
const isOutcome = (v: string): v is CallOutcome => (OUTCOMES as readonly string[]).includes(v);

/** The admin calls page's filters, as the form and the CSV link carry them. */
export interface CallsFilter {
  /** The branch's calendar day, "YYYY-MM-DD". */
  readonly day: string;
  readonly employee: string | null;
  readonly outcome: CallOutcome | null;
}

export type ParsedFilter =
  | { readonly ok: true; readonly filter: CallsFilter; readonly from: Instant; readonly to: Instant }
  /** `filter` keeps what could be read, so the form can be shown again with the fields to fix. */
  | { readonly ok: false; readonly filter: CallsFilter; readonly problem: string };

/**
 * `?day=YYYY-MM-DD&employee=<id>&outcome=<outcome>`: an empty or missing field means "any", and
 * the day defaults to today in the branch's time zone.
 */
export function parseCallsFilter(
  query: Record<string, string>,
  now: Instant,
  timeZone: string,
): ParsedFilter {
  const day = (query.day ?? "").trim() || formatDate(now, timeZone);
  const employee = (query.employee ?? "").trim() || null;
  const outcomeText = (query.outcome ?? "").trim();
  const outcome = isOutcome(outcomeText) ? outcomeText : null;
  const filter: CallsFilter = { day, employee, outcome };
  const problems: string[] = [];
  const range = dayRange(day, timeZone);
  if (range === null) problems.push(`day=${day}`);
  if (outcomeText !== "" && outcome === null) problems.push(`outcome=${outcomeText}`);
  if (employee !== null && employee.length > 64) problems.push("employee");
  if (range === null || problems.length > 0) {
    return {
      ok: false,
      filter: { ...filter, day: range === null ? formatDate(now, timeZone) : day },
      problem: problems.join(", "),
    };
  }
  return { ok: true, filter, from: range.from, to: range.to };
}

/** The store query for a parsed filter. */
export function callQuery(
  parsed: { filter: CallsFilter; from: Instant; to: Instant },
  limit: number,
): CallQuery {
  const { employee, outcome } = parsed.filter;
  return {
    since: parsed.from,
    until: parsed.to,
    limit,
    ...(employee === null ? {} : { employeeId: employee }),
    ...(outcome === null ? {} : { outcome }),
  };
}

/** The filter as a query string, for the CSV link and the language switch. */
export function filterQuery(filter: CallsFilter): string {
  const params = new URLSearchParams({ day: filter.day });
  if (filter.employee !== null) params.set("employee", filter.employee);
  if (filter.outcome !== null) params.set("outcome", filter.outcome);
  return params.toString();
}
