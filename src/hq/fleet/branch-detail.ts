import type { z } from "zod";
import { callRecordDataSchema, rosterFactDataSchema } from "../../contract/up-records.ts";
import { RosterTimeline } from "../../domain/roster/roster-timeline.ts";
import type { RosterFact } from "../../domain/roster/types.ts";
import type { HqStore } from "../store/hq-store-port.ts";

/** One desk of a branch as HQ rebuilds it from the branch's roster facts. */
export type CallRecordData = z.output<typeof callRecordDataSchema>;

export interface DeskNow {
  readonly deskId: string;
  /** Who holds the desk's phone now, and since when; null: nobody. */
  readonly holder: { readonly employeeId: string; readonly since: number } | null;
  /** Everyone on shift at the desk now, earliest first. */
  readonly onShift: readonly { employeeId: string; from: number; onBreak: boolean; holdsPhone: boolean }[];
}

export interface BranchDetail {
  readonly desks: readonly DeskNow[];
  /** The newest first. */
  readonly calls: readonly CallRecordData[];
  /** Records HQ holds that do not read as their type (shown, never folded). */
  readonly unreadable: number;
}

/** Roster records read per page, and pages at most, walking back from the newest. */
const PAGE = 500;
const MAX_PAGES = 40;

/**
 * A branch's desks and who is on shift now, and its recent calls, from the records HQ holds
 * (the store port only, so it reads the same on every store). The roster is the box's own fold
 * (`RosterTimeline`) over the branch's `roster.fact` records: only the facts recorded in the last
 * `maxShiftMs` are read, because a shift open at `now` started within it and every fact about it
 * was recorded after it started; older facts can only touch shifts already past their cap.
 * HQ knows no desk names nor staff names: desks and employees are shown by id.
 */
export async function branchDetail(
  store: HqStore,
  branch: string,
  options: { now: number; maxShiftMs: number; calls: number },
): Promise<BranchDetail> {
  const views = await store.branches();
  const streams = views.find((b) => b.branch === branch)?.streams ?? {};
  let unreadable = 0;

  const facts: RosterFact[] = [];
  const cutoff = options.now - options.maxShiftMs;
  for (let to = streams.roster?.through ?? 0, page = 0; to > 0 && page < MAX_PAGES; to -= PAGE, page++) {
    const records = await store.records(branch, "roster", Math.max(0, to - PAGE), PAGE);
    const parsed = records.flatMap((r) => {
      const fact = r.type === "roster.fact" ? rosterFactDataSchema.safeParse(r.data) : undefined;
      if (fact?.success) return [fact.data];
      unreadable++;
      return [];
    });
    facts.unshift(...parsed.filter((f) => f.recordedAt >= cutoff));
    if (parsed.some((f) => f.recordedAt < cutoff)) break;
  }
  const deskIds = [...new Set(facts.flatMap((f) => (f.deskId === null ? [] : [f.deskId])))].sort();
  const timeline = new RosterTimeline(
    {
      // A desk's extension is the box's business; a unique stand-in keeps the fold's maps apart.
      desks: deskIds.map((id) => ({ id, name: id, extension: `desk:${id}` })),
      staff: [],
      maxShiftMs: options.maxShiftMs,
    },
    facts,
  );
  const onShift = timeline.onShiftAt(options.now);
  const desks = deskIds.map((deskId): DeskNow => {
    const holder = timeline.holderAt(deskId, options.now);
    return {
      deskId,
      holder: holder === null ? null : { employeeId: holder.employeeId, since: holder.from },
      onShift: onShift
        .filter((s) => s.shift.deskId === deskId)
        .map((s) => ({
          employeeId: s.shift.employeeId,
          from: s.shift.from,
          onBreak: s.onBreak,
          holdsPhone: s.holdsPhone,
        })),
    };
  });

  const callsThrough = streams.calls?.through ?? 0;
  const callRecords = await store.records(
    branch,
    "calls",
    Math.max(0, callsThrough - options.calls),
    options.calls,
  );
  // A call sent again (same id, changed) is the newer record: keep the last of each id.
  const byId = new Map<string, CallRecordData>();
  for (const r of callRecords) {
    const call = r.type === "call.record" ? callRecordDataSchema.safeParse(r.data) : undefined;
    if (call?.success) byId.set(call.data.id, call.data);
    else unreadable++;
  }
  const calls = [...byId.values()].sort((a, b) => b.startedAt - a.startedAt);
  return { desks, calls, unreadable };
}
