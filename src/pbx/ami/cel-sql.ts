import { SQL } from "bun";
import type { HistoryRead, HistoryWindow, PbxHistory } from "../../domain/call/pbx-history.ts";
import type { Instant } from "../../domain/roster/types.ts";
import { wallClock } from "../../lib/zoned-time.ts";
import type { AmiTranslatorOptions } from "./ami-channels.ts";
import { type CdrRow, translateCdr } from "./cdr-translate.ts";
import { type CelRow, celRowOf, celTime } from "./cel-rows.ts";
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

/**
 * An instant as the PBX's wall clock with its offset, `2031-03-14 09:05:07+03:00`: MySQL's DATETIME
 * and PostgreSQL's `timestamp` read the wall clock (PostgreSQL ignores the offset there), a
 * `timestamptz` column reads the instant itself.
 */
function wall(at: Instant, timeZone: string, withOffset: boolean): string {
  const w = wallClock(at, timeZone);
  const p = (n: number) => String(n).padStart(2, "0");
  const text = `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}:${p(w.second)}`;
  if (!withOffset) return text;
  const minutes = Math.round(
    (Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - (at - (at % 1000))) / 60_000,
  );
  return `${text}${minutes < 0 ? "-" : "+"}${p(Math.floor(Math.abs(minutes) / 60))}:${p(Math.abs(minutes) % 60)}`;
}

/** How each engine writes a time as text (with its offset where the column keeps one) and its parameters. */
interface Dialect {
  readonly time: (column: string) => string;
  readonly between: string;
  readonly offsets: boolean;
}

const DIALECTS: Readonly<Record<"mysql" | "postgres", Dialect>> = {
  mysql: { time: (c) => `DATE_FORMAT(${c}, '%Y-%m-%d %H:%i:%s.%f')`, between: "? AND ?", offsets: false },
  // `::text` keeps a timestamptz's offset (in the session's zone) and a timestamp's wall clock.
  postgres: { time: (c) => `${c}::text`, between: "$1 AND $2", offsets: true },
};

export const dialectOf = (url: string): Dialect =>
  /^postgres(ql)?:/.test(url) ? DIALECTS.postgres : DIALECTS.mysql;

type SqlRow = Readonly<Record<string, unknown>>;
const text = (row: SqlRow, name: string): string => (row[name] == null ? "" : String(row[name]));

/**
 * `[pbx.ami] cel_url`: Asterisk's CEL table (`cel`: FreePBX's in `asteriskcdrdb` on MySQL/MariaDB,
 * or cel_pgsql's on PostgreSQL) through Bun's SQL client. One query reads every row of the calls
 * with a row in the window (compared in the PBX's wall clock, as cel_odbc and cel_pgsql write it);
 * columns are read by name, so a table without one (the documentation's has no `extra`) still
 * reads. The box needs SELECT on that table only. A connection per read, closed after.
 */
export function celSqlHistory(url: string, timeZone: string, translator: AmiTranslatorOptions): PbxHistory {
  const dialect = dialectOf(url);
  // The calls with a row in the window, and every channel that ever was in one of them: a phone
  // that picked a call up is logged under its own linkedid until it is bridged into the call.
  const query = `WITH calls AS (SELECT DISTINCT linkedid FROM cel WHERE eventtime BETWEEN ${dialect.between}),
      channels AS (SELECT DISTINCT uniqueid FROM cel WHERE linkedid IN (SELECT linkedid FROM calls))
    SELECT ${dialect.time("eventtime")} AS eventtime_text, cel.* FROM cel
    WHERE linkedid IN (SELECT linkedid FROM calls) OR uniqueid IN (SELECT uniqueid FROM channels)
    ORDER BY id`;
  // Whole seconds, the window widened to them (FreePBX's DATETIME keeps no fraction).
  const bounds = (window: HistoryWindow) => [
    wall(window.from, timeZone, dialect.offsets),
    wall(window.to + 999, timeZone, dialect.offsets),
  ];
  return {
    describe: `CEL in ${withoutSecret(url)}`,
    async read(window: HistoryWindow, at: Instant): Promise<HistoryRead> {
      const sql = new SQL(url, { max: 1, connectionTimeout: 10, idleTimeout: 5 });
      let found: SqlRow[] = [];
      let celError: Error | null = null;
      try {
        try {
          found = (await sql.unsafe(query, bounds(window))) as SqlRow[];
        } catch (error) {
          celError = error instanceof Error ? error : new Error(String(error));
        }
        // CEL off (no table, or nothing logged in the window): the CDR fills in, with less detail.
        if (celError !== null || found.length === 0) {
          const cdr = await readCdr(sql, dialect, window, timeZone).catch(() => null);
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
        const read = celRowOf((name) => text(row, name === "eventtime" ? "eventtime_text" : name), timeZone);
        if (read === null) unreadable++;
        else rows.push(read);
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
async function readCdr(
  sql: SQL,
  dialect: Dialect,
  window: HistoryWindow,
  timeZone: string,
): Promise<CdrRow[]> {
  const found = (await sql.unsafe(
    `SELECT ${dialect.time("calldate")} AS start_at, cdr.* FROM cdr WHERE calldate BETWEEN ${dialect.between} ORDER BY calldate`,
    [
      wall(window.from - LONGEST_CALL_MS, timeZone, dialect.offsets),
      wall(window.to + 999, timeZone, dialect.offsets),
    ],
  )) as SqlRow[];
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
