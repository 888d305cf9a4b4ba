import type { CallRecord } from "../../domain/call/call-types.ts";
import type { Messages } from "../../i18n/index.ts";
import { formatDateTime } from "../ui/branch-time.ts";
import { directionText, legLines, outcomeText, talkSeconds, transferMarks } from "./call-text.ts";

/** Excel reads UTF-8 (and so Cyrillic) only when the file starts with a byte-order mark. */
export const BOM = "\uFEFF";

/**
 * The field separator. Excel opens a double-clicked CSV with the Windows list separator of its
 * locale, which is `;` in Russian (and most of Europe), where `,` is the decimal comma: a
 * comma-separated file lands in one column there. `;` is the default for that reason; `,` is for
 * other programs (LibreOffice asks, scripts expect RFC 4180's comma).
 */
export type CsvSeparator = ";" | ",";

/**
 * One CSV field (RFC 4180, with `separator` for the comma): quoted when it holds the separator, a
 * quote, CR or LF, quotes doubled. A field a spreadsheet would run as a formula (= + - @, or a tab
 * or CR first) is prefixed with an apostrophe — a caller ID or an employee name is not allowed to
 * become `=HYPERLINK(…)` (OWASP, CSV injection).
 */
export function csvField(value: string | number | null, separator: CsvSeparator): string {
  let text = value === null ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  const special = separator === ";" ? /[;"\r\n]/ : /[,"\r\n]/;
  return special.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface CallsCsvOptions {
  readonly t: Messages;
  readonly timezone: string;
  readonly nameOf: (employeeId: string | null) => string | null;
  /** `;` (the default: Excel in a Russian locale) or `,`. */
  readonly separator?: CsvSeparator;
}

/**
 * The CSV of finished calls: BOM, a header row naming every column, CRLF line ends; times in the
 * branch's zone, talk time in whole seconds (a number in any locale).
 */
export function callsCsv(
  records: readonly CallRecord[],
  { t, timezone: tz, nameOf, separator = ";" }: CallsCsvOptions,
): string {
  const row = (fields: readonly (string | number | null)[]) =>
    fields.map((f) => csvField(f, separator)).join(separator);
  // "2026-11-21 10:00:00": Excel reads this form as a date and time in every locale.
  const time = (at: number | null) => (at === null ? null : formatDateTime(at, tz));
  const header = [
    t.csvCallId,
    t.csvPartOf,
    t.csvStarted(tz),
    t.csvAnswered(tz),
    t.csvEnded(tz),
    t.csvTalkSeconds,
    t.colDirection,
    t.csvFromNumber,
    t.csvFromExt,
    t.csvToNumber,
    t.csvToExt,
    t.csvDid,
    t.colOutcome,
    t.csvOwnerId,
    t.colOwner,
    t.colRule,
    t.adminReason,
    t.colLegs,
    t.colTransfer,
    t.csvRecording,
  ];
  const lines = [row(header)];
  for (const r of records) {
    lines.push(
      row([
        r.id,
        r.partOf,
        time(r.startedAt),
        time(r.answeredAt),
        time(r.endedAt),
        talkSeconds(r),
        directionText(r.direction, t),
        r.from.number,
        r.from.extension,
        r.to.number,
        r.to.extension,
        r.did,
        outcomeText(r.outcome, t),
        r.owner.employeeId,
        nameOf(r.owner.employeeId),
        r.owner.rule,
        r.owner.reason,
        legLines(r, nameOf, t).join("; "),
        transferMarks(r, t).join("; "),
        r.recordingUrl,
      ]),
    );
  }
  return `${BOM}${lines.join("\r\n")}\r\n`;
}
