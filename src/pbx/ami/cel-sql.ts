import { SQL } from "bun";
import type { HistoryRead, HistoryWindow, PbxHistory } from "../../domain/call/pbx-history.ts";
import type { Instant } from "../../domain/roster/types.ts";
import { wallClock } from "../../lib/zoned-time.ts";
import type { AmiTranslatorOptions } from "./ami-channels.ts";
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
      let found: SqlRow[];
      try {
        found = (await sql.unsafe(text, [
          wall(window.from, timeZone),
          wall(window.to, timeZone),
        ])) as SqlRow[];
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
