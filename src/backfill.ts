import type { Config } from "./config/schema.ts";
import { localUrl } from "./lib/listen-address.ts";
import { zonedInstant } from "./lib/zoned-time.ts";

/**
 * `--from` / `--to` as an instant: an ISO time with its zone, or a calendar day of the branch
 * (`2026-12-01`: its start for `from`, the start of the next day for `to`, so `--to` names the
 * last day read). Null: neither.
 */
export function backfillInstant(text: string, timeZone: string, end: boolean): number | null {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (day !== null)
    return zonedInstant(Number(day[1]), Number(day[2]), Number(day[3]) + (end ? 1 : 0), 0, 0, timeZone);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : at;
}

interface BackfillAnswer {
  readonly gaps?: readonly {
    source: string;
    state: string;
    calls: number;
    skipped: number;
    detail: string | null;
  }[];
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * `branchbox backfill --from … --to …`: asks the running box to read a period back from the PBX's
 * records (issue 13): for a branch that installs the box mid-month. The box does the reading (it
 * holds the journal, so nothing is recorded twice); this prints what it found. Exit 0 when every
 * source read its history, 1 otherwise.
 */
export async function runBackfill(config: Config, fromText: string, toText: string): Promise<number> {
  const zone = config.pbx.ami?.timezone || config.branch.timezone;
  const from = backfillInstant(fromText, zone, false);
  const to = backfillInstant(toText, zone, true);
  if (from === null || to === null) {
    console.error(
      "backfill: --from and --to take a day (2026-12-01, the branch's) or an ISO time with its zone",
    );
    return 2;
  }
  const url = localUrl(config.http.listen, "/api/v1/pbx/backfill");
  let answer: BackfillAnswer;
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { authorization: `Bearer ${config.http.admin_token}`, "content-type": "application/json" },
      body: JSON.stringify({ from: new Date(from).toISOString(), to: new Date(to).toISOString() }),
    });
    answer = (await response.json()) as BackfillAnswer;
  } catch (error) {
    console.error(
      `backfill: no box answers at ${url} (${(error as Error).message}): start it first (systemctl start branchbox)`,
    );
    return 1;
  }
  if (answer.error !== undefined) {
    console.error(`backfill: ${answer.error.code}: ${answer.error.message}`);
    return 1;
  }
  const gaps = answer.gaps ?? [];
  for (const gap of gaps)
    console.log(
      gap.state === "recovered"
        ? `${gap.source}: ${gap.calls} call(s) read back (${gap.detail ?? ""}${gap.skipped > 0 ? `; ${gap.skipped} row(s) skipped` : ""})`
        : `${gap.source}: not read: ${gap.detail ?? gap.state}`,
    );
  return gaps.every((gap) => gap.state === "recovered") ? 0 : 1;
}
