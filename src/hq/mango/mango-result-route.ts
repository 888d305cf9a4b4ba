import type { Hono } from "hono";
import type { MangoCallbackResult, MangoCommandStore } from "../store/mango-command-store-port.ts";
import { type MangoWebhookDeps, postSignedMango } from "./mango-webhook.ts";

/**
 * A callback's name, the last part of `result/<name>`: callback, callback_group, hangup, route,
 * transfer, recording, sms, stats … (control-rules §3.5, §3.6). Any such name is taken: a result
 * is correlated by its `command_id`, not by the path, and one of a name HQ never sends for is kept.
 */
const isResultName = (name: string): name is string => /^[a-z][a-z_]{0,39}$/.test(name);

/**
 * `POST /mango/result/<name>` (issue 17): Mango's signed result of a command, `{command_id,
 * result}`. The same checks and refusals as the events (postSignedMango); a valid one is written
 * to hq.db FIRST, then answered 200: for a command HQ sent, as its branch's one `mango.result`
 * (`by: "mango"`, relayed on `pbx`; a second result of it is kept on the command, not relayed);
 * for any other (Mango's web UI, `stats`), kept with no branch and listed (`MANGO.UNKNOWN_RESULT`).
 */
export function mountMangoResults(
  app: Hono,
  deps: MangoWebhookDeps & { readonly commands: MangoCommandStore },
): void {
  const { counters } = deps;
  const log = deps.log.child({ part: "mango" });
  postSignedMango(app, "/mango/result/:kind", { ...deps, log }, isResultName, async (c, name, checked) => {
    const commandId = text(checked.json.command_id);
    let stored: MangoCallbackResult;
    try {
      stored = await deps.commands.callback({
        name,
        raw: checked.raw,
        commandId,
        result: code(checked.json.result),
        receivedAt: deps.now(),
      });
    } catch (error) {
      const failure = (error as { code?: string }).code ?? "STORAGE.FAILED";
      log.error("Mango result not stored: the store failed", { code: failure, name, commandId, error });
      return c.json({ error: { code: failure, message: "the result could not be stored" } }, 503);
    }
    if (stored.kind === "stored") {
      counters.results++;
      deps.relay();
    } else if (stored.kind === "late") {
      counters.lateResults++;
      log.info("Mango result of a command already answered: kept, not relayed", { name, ...stored });
    } else if (!stored.duplicate) {
      counters.unknownResults++;
      log.warn("Mango result of no command HQ sent: kept at HQ, sent nowhere", {
        code: "MANGO.UNKNOWN_RESULT",
        name,
        commandId,
        id: stored.id,
        unknown: counters.unknownResults,
      });
    }
    return c.json(stored);
  });
}

function text(value: unknown): string | null {
  if (typeof value === "string" && value !== "") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return null;
}

/** Mango writes `result` as a number or a string (§3.1); null when it is neither. */
function code(value: unknown): number | null {
  const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof n === "number" && Number.isInteger(n) ? n : null;
}
