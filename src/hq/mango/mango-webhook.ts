import type { Context, Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { Logger } from "../../log/logger.ts";
import type { MangoConfig } from "../hq-config.ts";
import type { MangoStore } from "../store/mango-store-port.ts";
import { branchOfMangoEvent, entryIdOf } from "./mango-branch.ts";
import { checkMangoForm, isMangoWebhookKind, type MangoRefusal, mangoEventId } from "./mango-sign.ts";

/** No Mango event comes near this; a larger body is refused before it is read. */
export const MANGO_BODY_LIMIT = 256 * 1024;

type MangoCode = MangoRefusal | "MANGO.TOO_LARGE";

const STATUS: Record<MangoCode, 400 | 403 | 413> = {
  "MANGO.BAD_FORM": 400,
  "MANGO.BAD_JSON": 400,
  "MANGO.BAD_KEY": 403,
  "MANGO.BAD_SIGN": 403,
  "MANGO.TOO_LARGE": 413,
};

/**
 * What the endpoint did since start: refusals by code, events stored, redeliveries, placed
 * nowhere; command results (`/mango/result/…`) correlated, after the first, of no known command.
 */
export interface MangoCounters {
  readonly refused: Record<MangoCode, number>;
  stored: number;
  duplicates: number;
  unrouted: number;
  results: number;
  lateResults: number;
  unknownResults: number;
}

export function mangoCounters(): MangoCounters {
  return {
    refused: Object.fromEntries(Object.keys(STATUS).map((c) => [c, 0])) as Record<MangoCode, number>,
    stored: 0,
    duplicates: 0,
    unrouted: 0,
    results: 0,
    lateResults: 0,
    unknownResults: 0,
  };
}

export interface MangoWebhookDeps {
  readonly config: MangoConfig;
  readonly store: MangoStore;
  readonly log: Logger;
  readonly counters: MangoCounters;
  readonly now: () => number;
  /** Called after an event with a branch was stored: publish it (must not wait for the broker). */
  readonly relay: () => void;
  /**
   * Called with the instant a VALID event could not be stored (answered 503; Mango never sends it
   * again): the gap sweeper asks the statistics for that moment. NEVER called for a refusal (bad
   * key, signature, form or JSON: that was not Mango's event).
   */
  readonly unstored?: (at: number) => void;
}

/**
 * `POST /mango/events/{call,summary,recording,dtmf}` (issue 17): Mango Office's signed webhooks.
 * A request over MANGO_BODY_LIMIT, not a form with the three fields, with another key or a wrong
 * signature, or whose `json` is not a JSON object is refused with its code and status, counted and
 * logged (never the key, the salt or the signature), and nothing is stored. A valid event is
 * written to HQ's store FIRST, then answered 200 at once, and the relay is kicked to publish it to
 * its branch's `pbx` down stream. An event Mango delivers again is answered 200 and stored once.
 * An event of no configured branch is stored with none (`MANGO.NO_BRANCH`): listed, not dropped.
 */
export function mountMangoWebhook(app: Hono, deps: MangoWebhookDeps): void {
  const { config, store, counters } = deps;
  const log = deps.log.child({ part: "mango" });
  postSignedMango(
    app,
    "/mango/events/:kind",
    { ...deps, log },
    isMangoWebhookKind,
    async (c, kind, checked) => {
      const id = mangoEventId(kind, checked.raw);
      const entryId = entryIdOf(checked.json);
      const receivedAt = deps.now();
      let result: Awaited<ReturnType<MangoStore["add"]>>;
      try {
        result = await store.add(
          { id, kind, json: checked.raw, receivedAt, entryId },
          branchOfMangoEvent(checked.json, config.branches),
        );
      } catch (error) {
        // Not stored: Mango is told so (5xx), never 200 for an event HQ does not hold.
        const code = (error as { code?: string }).code ?? "STORAGE.FAILED";
        log.error("Mango event not stored: the store failed; its moment will be swept", { code, id, error });
        deps.unstored?.(receivedAt);
        return c.json({ error: { code, message: "the event could not be stored" } }, 503);
      }
      if (result.kind === "duplicate") {
        counters.duplicates++;
        log.info("Mango event delivered again: stored once", { id, branch: result.branch });
        return c.json({ id, duplicate: true });
      }
      counters.stored++;
      if (result.branch === null) {
        counters.unrouted++;
        log.warn("Mango event of no configured branch: kept at HQ, sent nowhere", {
          code: "MANGO.NO_BRANCH",
          id,
          entryId,
          unrouted: counters.unrouted,
        });
      } else deps.relay();
      return c.json({ id, branch: result.branch, seq: result.seq });
    },
  );
}

/**
 * Mounts `POST <path>` (with a `:kind` parameter) for one of Mango's signed requests: a kind
 * `accepts` refuses is 404; over MANGO_BODY_LIMIT, not a form with the three fields, another key,
 * a wrong signature or a `json` that is not a JSON object is refused with its code and status,
 * counted and logged (never the key, the salt or the signature), and `handle` is not called.
 */
export function postSignedMango<K extends string>(
  app: Hono,
  path: string,
  deps: Pick<MangoWebhookDeps, "config" | "log" | "counters">,
  accepts: (kind: string) => kind is K,
  handle: (c: Context, kind: K, checked: { raw: string; json: Record<string, unknown> }) => Promise<Response>,
): void {
  const { config, counters, log } = deps;
  const refuse = (c: Context, code: MangoCode, reason: string, kind: string) => {
    counters.refused[code]++;
    log.warn("Mango request refused: nothing stored", {
      code,
      kind,
      reason,
      refused: counters.refused[code],
    });
    return c.json({ error: { code, message: reason } }, STATUS[code]);
  };
  app.post(
    path,
    bodyLimit({
      maxSize: MANGO_BODY_LIMIT,
      onError: (c) =>
        refuse(c, "MANGO.TOO_LARGE", `the body is over ${MANGO_BODY_LIMIT} bytes`, c.req.param("kind") ?? ""),
    }),
    async (c) => {
      const kind = c.req.param("kind") ?? "";
      if (!accepts(kind)) return c.json({ error: { code: "HTTP.NOT_FOUND", message: "no such route" } }, 404);
      const type = c.req.header("content-type") ?? "";
      if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)\b/i.test(type))
        return refuse(c, "MANGO.BAD_FORM", "not a form (application/x-www-form-urlencoded)", kind);
      let form: Record<string, unknown>;
      try {
        form = await c.req.parseBody();
      } catch {
        return refuse(c, "MANGO.BAD_FORM", "the form cannot be read", kind);
      }
      const checked = checkMangoForm(form, { apiKey: config.vpbx_api_key, salt: config.vpbx_api_salt });
      if (!checked.ok) return refuse(c, checked.code, checked.reason, kind);
      return handle(c, kind, checked);
    },
  );
}
