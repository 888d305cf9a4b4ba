import { SQL } from "bun";
import { wallClock } from "../../lib/zoned-time.ts";
import { celCsvRow } from "./cel-csv.ts";
import { celTime } from "./cel-rows.ts";
import { withoutSecret } from "./cel-sql.ts";

export interface CelProbeResult {
  readonly status: "OK" | "WARN" | "FAIL";
  readonly detail: string;
  readonly fix?: string;
}

/** A clock this far from the box's makes a gap's window miss calls (the margin is 60 s). */
const SKEW_WARN_MS = 30_000;

const skewText = (ms: number) => `${ms >= 0 ? "+" : "-"}${Math.round(Math.abs(ms) / 1000)} s`;

/**
 * `branchbox doctor`'s look at the PBX's CEL (issue 13): reachable, the table there, the box's
 * rights (SELECT is all it needs; more is said), the newest row, and the database's clock against
 * the box's in the PBX's zone (a skew, or a wrong `[pbx.ami] timezone`, shifts every gap's window).
 */
export async function probeCelSql(
  url: string,
  timeZone: string,
  now = Date.now(),
): Promise<CelProbeResult[]> {
  const where = `CEL in ${withoutSecret(url)}`;
  const sql = new SQL(url, { max: 1, connectionTimeout: 5, idleTimeout: 2 });
  const postgres = /^postgres(ql)?:/.test(url);
  try {
    // The database's own wall clock, in the zone it runs in (where cel_odbc/cel_pgsql write times).
    const [clock] = (await sql.unsafe(
      postgres
        ? "SELECT localtimestamp(0)::text AS now"
        : "SELECT DATE_FORMAT(NOW(), '%Y-%m-%d %H:%i:%s') AS now",
    )) as { now: string }[];
    let newest: string | null;
    try {
      const rows = (await sql.unsafe(
        postgres
          ? "SELECT eventtime::text AS t FROM cel ORDER BY id DESC LIMIT 1"
          : "SELECT DATE_FORMAT(eventtime, '%Y-%m-%d %H:%i:%s') AS t FROM cel ORDER BY id DESC LIMIT 1",
      )) as { t: string }[];
      newest = rows[0]?.t ?? null;
    } catch (error) {
      return [
        {
          status: "FAIL",
          detail: `${where}: ${(error as Error).message}`,
          fix: "check that Asterisk logs CEL to this database (FreePBX: the CEL module) and that the box's user may SELECT from `cel`",
        },
      ];
    }
    const more = postgres ? await pgMayWrite(sql) : await mysqlMayWrite(sql);
    const dbNow = celTime(clock?.now ?? "", timeZone);
    const skew = dbNow === null ? null : dbNow - Math.floor(now / 1000) * 1000;
    const results: CelProbeResult[] = [
      {
        status: "OK",
        detail: `${where}: readable; newest row ${newest ?? "none yet"}${skew === null ? "" : `; its clock ${skewText(skew)} from the box's in ${timeZone}`}`,
      },
    ];
    if (skew !== null && Math.abs(skew) > SKEW_WARN_MS)
      results.push({
        status: "WARN",
        detail: `${where}: the database's clock is ${skewText(skew)} from the box's, read in ${timeZone}`,
        fix: "set [pbx.ami] timezone to the PBX's zone, and keep both clocks on NTP",
      });
    if (more)
      results.push({
        status: "WARN",
        detail: `${where}: the box's database user may change the PBX's records; it only reads them`,
        fix: "give it SELECT on `cel` only: GRANT SELECT ON asteriskcdrdb.cel TO …",
      });
    return results;
  } catch (error) {
    return [
      {
        status: "FAIL",
        detail: `${where}: ${(error as Error).message.replaceAll(url, withoutSecret(url))}`,
        fix: "check the host, the user and its password in [pbx.ami] cel_url, and that the database lets this box in",
      },
    ];
  } finally {
    await sql.close().catch(() => {});
  }
}

/** The same for `cel_csv`: the file there, readable, its last line a CEL row, and how old it is. */
export async function probeCelCsv(
  path: string,
  timeZone: string,
  now = Date.now(),
): Promise<CelProbeResult[]> {
  const file = Bun.file(path);
  if (!(await file.exists()))
    return [
      {
        status: "FAIL",
        detail: `CEL CSV ${path}: no such file`,
        fix: "point [pbx.ami] cel_csv at cel_custom's Master.csv (Asterisk: cel_custom.conf), readable by the box",
      },
    ];
  let tail: string;
  try {
    const size = file.size;
    tail = await file.slice(Math.max(0, size - 4096), size).text();
  } catch (error) {
    return [
      { status: "FAIL", detail: `CEL CSV ${path}: ${(error as Error).message}`, fix: "let the box read it" },
    ];
  }
  const last = tail.trimEnd().split("\n").at(-1) ?? "";
  if (last === "") return [{ status: "OK", detail: `CEL CSV ${path}: readable, empty so far` }];
  const row = celCsvRow(last.replace(/\r$/, ""), timeZone);
  if (row === null)
    return [
      {
        status: "FAIL",
        detail: `CEL CSV ${path}: its last line is not a CEL row of the sample layout (20 columns)`,
        fix: "use Asterisk's sample cel_custom.conf mapping for the file the box reads",
      },
    ];
  const w = wallClock(row.eventtime, timeZone);
  const p = (n: number) => String(n).padStart(2, "0");
  const at = `${w.year}-${p(w.month)}-${p(w.day)} ${p(w.hour)}:${p(w.minute)}`;
  return [
    {
      status: row.eventtime > now + SKEW_WARN_MS ? "WARN" : "OK",
      detail: `CEL CSV ${path}: readable; newest row ${at} (${timeZone})`,
      ...(row.eventtime > now + SKEW_WARN_MS
        ? {
            fix: "its newest row is in the box's future: set [pbx.ami] timezone to the PBX's zone, keep both clocks on NTP",
          }
        : {}),
    },
  ];
}

async function mysqlMayWrite(sql: SQL): Promise<boolean> {
  const grants = ((await sql.unsafe("SHOW GRANTS FOR CURRENT_USER()")) as Record<string, string>[]).map(
    (row) => Object.values(row)[0] ?? "",
  );
  return grants.some((g) => /GRANT (ALL|.*\b(INSERT|UPDATE|DELETE|DROP|ALTER)\b)/i.test(g));
}

async function pgMayWrite(sql: SQL): Promise<boolean> {
  const [row] = (await sql.unsafe(
    "SELECT has_table_privilege('cel', 'INSERT') OR has_table_privilege('cel', 'UPDATE') OR has_table_privilege('cel', 'DELETE') AS more",
  )) as { more: boolean }[];
  return row?.more === true;
}
