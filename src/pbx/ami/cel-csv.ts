import type { HistoryRead, HistoryWindow, PbxHistory } from "../../domain/call/pbx-history.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { AmiTranslatorOptions } from "./ami-channels.ts";
import { type CelRow, celRowOf } from "./cel-rows.ts";
import { translateCel } from "./cel-translate.ts";

/**
 * The columns of Asterisk's sample `cel_custom.conf` mapping (`Master.csv => ${CSV_QUOTE(…)},…`),
 * the one FreePBX and most installs keep: a CSV file with this layout is what `cel_csv` reads.
 */
const COLUMNS = [
  "eventtype",
  "eventtime",
  "cid_name",
  "cid_num",
  "cid_ani",
  "cid_rdnis",
  "cid_dnid",
  "exten",
  "context",
  "channame",
  "appname",
  "appdata",
  "amaflags",
  "accountcode",
  "uniqueid",
  "linkedid",
  "peer",
  "userfield",
  "userdeftype",
  "extra",
] as const;

/** One line of `CSV_QUOTE`d fields (a quote inside a field is doubled); null when it is not one. */
export function csvFields(line: string): string[] | null {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = "";
      i++;
      for (;;) {
        const quote = line.indexOf('"', i);
        if (quote === -1) return null;
        value += line.slice(i, quote);
        if (line[quote + 1] === '"') {
          value += '"';
          i = quote + 2;
        } else {
          i = quote + 1;
          break;
        }
      }
      fields.push(value);
    } else {
      const comma = line.indexOf(",", i);
      const end = comma === -1 ? line.length : comma;
      fields.push(line.slice(i, end));
      i = end;
    }
    if (i >= line.length) break;
    if (line[i] !== ",") return null;
    i++;
    if (i === line.length) fields.push("");
  }
  return fields;
}

/** A CSV line in the sample layout as a CelRow; null when it is not one (counted as skipped). */
export function celCsvRow(line: string, timeZone: string): CelRow | null {
  const fields = csvFields(line);
  if (fields === null || fields.length !== COLUMNS.length) return null;
  return celRowOf((name) => fields[(COLUMNS as readonly string[]).indexOf(name)] ?? "", timeZone);
}

/** The file's lines, streamed (a CEL file is never rotated by Asterisk and grows for months). */
async function* lines(path: string): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of Bun.file(path).stream()) {
    rest += decoder.decode(chunk, { stream: true });
    let nl = rest.indexOf("\n");
    while (nl !== -1) {
      yield rest.slice(0, nl).replace(/\r$/, "");
      rest = rest.slice(nl + 1);
      nl = rest.indexOf("\n");
    }
  }
  rest += decoder.decode();
  if (rest !== "") yield rest;
}

/**
 * `[pbx.ami] cel_csv`: the CEL rows of a `cel_custom` CSV file (the sample layout above), read in
 * three passes: which calls (linkedids) have a row in the window, which channels were ever in them,
 * then every row of those calls and channels, so a call that began before the gap or ended after
 * it is read whole, a pickup's phone too. Times without an offset are the
 * PBX's wall clock in `timeZone`.
 */
export function celCsvHistory(path: string, timeZone: string, translator: AmiTranslatorOptions): PbxHistory {
  return {
    describe: `CEL CSV ${path}`,
    async read(window: HistoryWindow, at: Instant): Promise<HistoryRead> {
      if (!(await Bun.file(path).exists())) throw new Error(`no such file: ${path}`);
      const calls = new Set<string>();
      for await (const line of lines(path)) {
        const row = celCsvRow(line, timeZone);
        if (row !== null && row.eventtime >= window.from && row.eventtime <= window.to)
          calls.add(row.linkedid);
      }
      // Every channel that ever was in one of those calls: a phone that picked a call up is logged
      // under its own linkedid until it is bridged into the call.
      const channels = new Set<string>();
      for await (const line of lines(path)) {
        const row = celCsvRow(line, timeZone);
        if (row !== null && calls.has(row.linkedid)) channels.add(row.uniqueid);
      }
      const rows: CelRow[] = [];
      let skipped = 0;
      for await (const line of lines(path)) {
        if (line.trim() === "") continue;
        const row = celCsvRow(line, timeZone);
        if (row === null) skipped++;
        else if (calls.has(row.linkedid) || channels.has(row.uniqueid)) rows.push(row);
      }
      const read = translateCel(rows, { ...translator, recovered: { via: "cel", at } });
      return { events: read.events, calls: read.calls, via: "cel", skipped: skipped + read.skipped };
    },
  };
}
