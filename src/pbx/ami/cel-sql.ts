import { SQL } from "bun";
import type { HistoryRead, HistoryWindow, PbxHistory } from "../../domain/call/pbx-history.ts";
import type { Instant } from "../../domain/roster/types.ts";
import { wallClock } from "../../lib/zoned-time.ts";
import type { AmiTranslatorOptions } from "./ami-channels.ts";
import { type CdrRow, translateCdr } from "./cdr-translate.ts";
import { type CelRow, celTime } from "./cel-rows.ts";
import { translateCel } from "./cel-translate.ts";

/** `mysql://user:secret@host/db` → `mysql://user@host/db`: what logs and pages may show. */
export function withoutSecret(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(not a URL)";
  }
}

/** An instant as the PBX's wall clock, `2031-03-14 09:05:07`, for comparing with a DATETIME column. */
function wall(at: Instant, timeZone: string): string {
  const w = wallClock(at, timeZone);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}:${p(w.second)}`;
}

interface SqlRow {
  readonly id: number | string | null;
  readonly eventtype: string;
  readonly eventtime: string;
  readonly cid_name: string | null;
  readonly cid_num: string | null;
  readonly cid_dnid: string | null;
  readonly exten: string | null;
  readonly context: string | null;
  readonly channame: string | null;
  readonly appname: string | null;
  readonly appdata: string | null;
  readonly uniqueid: string | null;
  readonly linkedid: string | null;
  readonly peer: string | null;
  readonly extra: string | null;
}

/**
 * `[pbx.ami] cel_url`: Asterisk's CEL table (`cel`, as FreePBX creates it in `asteriskcdrdb`)
 * through Bun's SQL client, MySQL/MariaDB. One query reads every row of the calls with a row in the
 * window (the window compared in the PBX's wall clock, as cel_odbc writes it); the box needs SELECT
 * on that table only. A connection per read, closed after.
 */
export function celSqlHistory(url: string, timeZone: string, translator: AmiTranslatorOptions): PbxHistory {
  const text = `SELECT id, eventtype, DATE_FORMAT(eventtime, '%Y-%m-%d %H:%i:%s.%f') AS eventtime, cid_name,
      cid_num, cid_dnid, exten, context, channame, appname, appdata, uniqueid, linkedid, peer, extra
    FROM cel WHERE linkedid IN (SELECT DISTINCT linkedid FROM cel WHERE eventtime BETWEEN ? AND ?)
    ORDER BY id`;
  return {
    describe: `CEL in ${withoutSecret(url)}`,
    async read(window: HistoryWindow, at: Instant): Promise<HistoryRead> {
      const sql = new SQL(url, { max: 1, connectionTimeout: 10, idleTimeout: 5 });
      let found: SqlRow[] = [];
      let celError: Error | null = null;
      try {
        try {
          found = (await sql.unsafe(text, [
            wall(window.from, timeZone),
            wall(window.to, timeZone),
          ])) as SqlRow[];
        } catch (error) {
          celError = error instanceof Error ? error : new Error(String(error));
        }
        // CEL off (no table, or nothing logged in the window): the CDR fills in, with less detail.
        if (celError !== null || found.length === 0) {
          const cdr = await readCdr(sql, window, timeZone).catch(() => null);
          if (cdr !== null && cdr.length > 0) {
            const read = translateCdr(cdr, { ...translator, recovered: { via: "cdr", at } });
            return { events: read.events, calls: read.calls, via: "cdr", skipped: read.skipped };
          }
        }
        if (celError !== null) throw celError;
      } catch (error) {
        // The driver's message names the host and the user, never the password; keep it short.
        throw new Error(
          error instanceof Error ? error.message.replaceAll(url, withoutSecret(url)) : String(error),
        );
      } finally {
        await sql.close().catch(() => {});
      }
      const rows: CelRow[] = [];
      let unreadable = 0;
      for (const row of found) {
        const eventtime = celTime(String(row.eventtime ?? ""), timeZone);
        if (eventtime === null) {
          unreadable++;
          continue;
        }
        const id = Number(row.id);
        rows.push({
          eventtype: row.eventtype ?? "",
          eventtime,
          cidName: row.cid_name ?? "",
          cidNum: row.cid_num ?? "",
          cidDnid: row.cid_dnid ?? "",
          exten: row.exten ?? "",
          context: row.context ?? "",
          channame: row.channame ?? "",
          appname: row.appname ?? "",
          appdata: row.appdata ?? "",
          uniqueid: row.uniqueid ?? "",
          linkedid: row.linkedid ?? "",
          peer: row.peer ?? "",
          extra: row.extra ?? "",
          id: Number.isInteger(id) ? id : null,
        });
      }
      const read = translateCel(rows, { ...translator, recovered: { via: "cel", at } });
      return { events: read.events, calls: read.calls, via: "cel", skipped: unreadable + read.skipped };
    },
  };
}

/** A call the CDR shows is at most this long: rows that began this much before the window are read too. */
const LONGEST_CALL_MS = 4 * 3600 * 1000;

/**
 * The CDR rows of the calls that overlap `window` (FreePBX's `cdr`; `linkedid` is used where the
 * table has it). Null fields read as "".
 */
async function readCdr(sql: SQL, window: HistoryWindow, timeZone: string): Promise<CdrRow[]> {
  const found = (await sql.unsafe(
    "SELECT DATE_FORMAT(calldate, '%Y-%m-%d %H:%i:%s') AS start_at, cdr.* FROM cdr WHERE calldate BETWEEN ? AND ? ORDER BY calldate",
    [wall(window.from - LONGEST_CALL_MS, timeZone), wall(window.to, timeZone)],
  )) as Record<string, unknown>[];
  const text = (row: Record<string, unknown>, name: string) => (row[name] == null ? "" : String(row[name]));
  const rows: CdrRow[] = found.map((row) => ({
    start: celTime(text(row, "start_at"), timeZone) ?? Number.NaN,
    src: text(row, "src"),
    dst: text(row, "dst"),
    dcontext: text(row, "dcontext"),
    channel: text(row, "channel"),
    dstchannel: text(row, "dstchannel"),
    duration: Number(row.duration ?? 0),
    billsec: Number(row.billsec ?? 0),
    disposition: text(row, "disposition"),
    uniqueid: text(row, "uniqueid"),
    linkedid: text(row, "linkedid") || null,
  }));
  // Whole calls that touch the window: a call's end is its latest row's start + duration.
  const ends = new Map<string, { start: number; end: number }>();
  for (const row of rows) {
    const id = row.linkedid || row.uniqueid;
    const span = ends.get(id) ?? { start: row.start, end: row.start };
    ends.set(id, {
      start: Math.min(span.start, row.start),
      end: Math.max(span.end, row.start + row.duration * 1000),
    });
  }
  return rows.filter((row) => {
    const span = ends.get(row.linkedid || row.uniqueid);
    return span !== undefined && span.end >= window.from && span.start <= window.to;
  });
}
