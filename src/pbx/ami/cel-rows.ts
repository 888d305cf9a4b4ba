import type { Instant } from "../../domain/roster/types.ts";
import { zonedInstant } from "../../lib/zoned-time.ts";

/**
 * One row of Asterisk's Channel Event Logging (CEL), whatever stored it: FreePBX's MariaDB table
 * `asteriskcdrdb.cel`, PostgreSQL (`cel_pgsql`), or a `cel_custom` CSV file. Column names are the
 * table's; a backend that leaves one out gives "".
 */
export interface CelRow {
  readonly eventtype: string;
  readonly eventtime: Instant;
  readonly cidName: string;
  readonly cidNum: string;
  readonly cidDnid: string;
  readonly exten: string;
  readonly context: string;
  readonly channame: string;
  readonly appname: string;
  readonly appdata: string;
  readonly uniqueid: string;
  readonly linkedid: string;
  readonly peer: string;
  /** Asterisk 12+: JSON (`{"hangupcause":16,"dialstatus":"ANSWER"}`); before: `16,,ANSWER`. */
  readonly extra: string;
  /** The table's row id, when there is one: orders rows within one second (FreePBX keeps no fraction). */
  readonly id: number | null;
}

/**
 * A row as the CEL table names its columns (`eventtype`, `eventtime`, `cid_num`, …; a column the
 * backend left out reads ""), as a CelRow; null when its time is not one. Every reader (CSV, SQL,
 * the tests' psql output) builds its rows here.
 */
export function celRowOf(column: (name: string) => string, timeZone: string): CelRow | null {
  const eventtime = celTime(column("eventtime"), timeZone);
  if (eventtime === null) return null;
  const id = Number(column("id"));
  return {
    eventtype: column("eventtype"),
    eventtime,
    cidName: column("cid_name"),
    cidNum: column("cid_num"),
    cidDnid: column("cid_dnid"),
    exten: column("exten"),
    context: column("context"),
    channame: column("channame"),
    appname: column("appname"),
    appdata: column("appdata"),
    uniqueid: column("uniqueid"),
    linkedid: column("linkedid"),
    peer: column("peer"),
    extra: column("extra"),
    id: column("id") !== "" && Number.isInteger(id) ? id : null,
  };
}

/**
 * A CEL `eventtime` as an instant. The backends write it three ways: epoch seconds
 * (`1335310195.513823`, cel_custom without `dateformat`), a date with an offset
 * (`2024-09-24 09:37:44.186-04`, PostgreSQL's timestamptz) or a wall-clock date with none
 * (`2015-06-18 14:08:56.910686`, MariaDB's DATETIME, `dateformat = %F %T`): that one is the PBX's
 * local time, read in `timeZone` (the PBX's zone, which may not be the box's). Null: not a time.
 */
export function celTime(text: string, timeZone: string): Instant | null {
  const value = text.trim();
  const epoch = /^(\d{9,11})(?:\.(\d{1,6}))?$/.exec(value);
  if (epoch !== null) return Number(epoch[1]) * 1000 + Number((epoch[2] ?? "").padEnd(3, "0").slice(0, 3));
  const date =
    /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/.exec(
      value,
    );
  if (date === null) return null;
  const [year, month, day, hour, minute, second] = date.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const millis = Number((date[7] ?? "").padEnd(3, "0").slice(0, 3));
  const offset = date[8];
  if (offset === undefined)
    return zonedInstant(year, month, day, hour, minute, timeZone, second + millis / 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (offset === "Z") return utc;
  const sign = offset.startsWith("-") ? -1 : 1;
  const digits = offset.slice(1).replace(":", "");
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
  return utc - sign * minutes * 60_000;
}

/** HANGUP's cause and Dial status from `extra`, in either dialect. */
export function hangupExtra(extra: string): { cause: number | null; dialstatus: string | null } {
  const text = extra.trim();
  if (text.startsWith("{")) {
    try {
      const json = JSON.parse(text) as { hangupcause?: unknown; dialstatus?: unknown };
      const cause = Number(json.hangupcause);
      const status = typeof json.dialstatus === "string" && json.dialstatus !== "" ? json.dialstatus : null;
      return { cause: Number.isInteger(cause) ? cause : null, dialstatus: status };
    } catch {
      return { cause: null, dialstatus: null };
    }
  }
  // Before Asterisk 12: "cause,source,dialstatus".
  const [cause, , status] = text.split(",");
  const number = Number(cause);
  return {
    cause: cause !== undefined && cause !== "" && Number.isInteger(number) ? number : null,
    dialstatus: status === undefined || status === "" ? null : status,
  };
}
