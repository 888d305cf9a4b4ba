import { readFileSync } from "node:fs";
import { MANGO_WEBHOOK_KINDS } from "../../contract/down-records.ts";
import { mangoForm } from "./mango-sign.ts";

/** One webhook to replay: its kind (`call`, `summary`, …) and its `json` field exactly as to be sent. */
export interface MangoReplayItem {
  readonly kind: string;
  readonly json: string;
}

/**
 * The webhooks of a file, in order. Two shapes are read: the fixtures' `{"records": [{"kind",
 * "json"}]}` (test/fixtures/mango/), and JSON lines of `{"kind", "json"}` (or `"path":
 * "events/call"` instead of `kind`), which is how captured payloads are kept. A `json` that is a
 * string is sent as it is (the text Mango signed); an object is serialised. Throws on a line or
 * record it cannot read, naming it: a replay sends all of a file or none of it.
 */
export function readMangoReplay(text: string, name = "the file"): MangoReplayItem[] {
  const whole = parsed(text) as { records?: unknown } | null;
  const items: unknown[] = Array.isArray(whole?.records)
    ? whole.records
    : text
        .split("\n")
        .map((line, i) => ({ line: line.trim(), n: i + 1 }))
        .filter(({ line }) => line !== "")
        .map(({ line, n }) => {
          const row = parsed(line);
          if (row === null) throw new Error(`${name}, line ${n}: not JSON`);
          return row;
        });
  return items.map((item, i) => {
    const o = (item ?? {}) as { kind?: unknown; path?: unknown; json?: unknown };
    const kind =
      typeof o.kind === "string" ? o.kind : String(o.path ?? "").replace(/^\/?(mango\/)?events\//, "");
    if (!(MANGO_WEBHOOK_KINDS as readonly string[]).includes(kind))
      throw new Error(
        `${name}, record ${i + 1}: kind "${kind}" is none of ${MANGO_WEBHOOK_KINDS.join(", ")}`,
      );
    if (typeof o.json !== "string" && (typeof o.json !== "object" || o.json === null))
      throw new Error(`${name}, record ${i + 1}: no json object`);
    return { kind, json: typeof o.json === "string" ? o.json : JSON.stringify(o.json) };
  });
}

/** POSTs one webhook to `<base>/mango/events/<kind>` as Mango does: the signed form. */
export function postMangoWebhook(
  base: string,
  item: MangoReplayItem,
  secrets: { readonly apiKey: string; readonly salt: string },
): Promise<Response> {
  return fetch(`${base.replace(/\/$/, "")}/mango/events/${item.kind}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: mangoForm(item.json, secrets),
    signal: AbortSignal.timeout(10_000),
  });
}

/**
 * `branchbox hq replay-mango FILE --config FILE [--url URL]`: real Mango payloads kept outside the
 * repository go into a running HQ exactly as Mango would post them, signed with `[hq.mango]`'s key
 * and salt, one after the other, in the file's order, to `--url` (default: `[hq] listen`). Prints
 * each answer (the key and salt never); exit 1 if any was refused.
 */
export async function replayMango(
  file: string,
  options: { readonly base: string; readonly apiKey: string; readonly salt: string },
  print: (line: string) => void = console.log,
): Promise<number> {
  const items = readMangoReplay(readFileSync(file, "utf8"), file);
  let refused = 0;
  for (const [i, item] of items.entries()) {
    const response = await postMangoWebhook(options.base, item, options);
    const body = await response.text();
    if (response.status !== 200) refused++;
    print(`${i + 1}/${items.length} events/${item.kind}: ${response.status} ${body.slice(0, 200)}`);
  }
  print(`${items.length - refused} of ${items.length} accepted`);
  return refused === 0 ? 0 : 1;
}

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
