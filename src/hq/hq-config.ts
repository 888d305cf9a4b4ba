import { z } from "zod";
import { listen } from "../config/fields.ts";
import { type LoadOptions, loadConfigWith } from "../config/load.ts";
import { configSchema } from "../config/schema.ts";

/** Mango Office's API base, as its VPBX API document gives it (commands go to `<api_url>commands/…`). */
export const MANGO_API_URL = "https://app.mango-office.ru/vpbx/";

/** One branch's share of the VPBX: the company numbers (or SIP line ids) and extensions it owns. */
const mangoBranchSchema = z.strictObject({
  branch: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a branch id"),
  /** Company numbers (`to.line_number`, `line_number`) or SIP line ids, as Mango writes them. */
  lines: z.array(z.string().min(1).max(64)).default([]),
  /** Employees' short numbers (`from.extension`, `to.extension`, `extension`). */
  extensions: z.array(z.string().min(1).max(32)).default([]),
});

/**
 * `[hq.mango]` (issue 17): HQ terminates the VPBX's signed webhooks at `POST /mango/events/<kind>`
 * and relays each to its branch on the `pbx` down stream. Absent: the endpoint is off (404). The
 * key and the salt are secrets: never logged, never shown.
 */
const mangoSchema = z
  .strictObject({
    vpbx_api_key: z.string().min(1, "the VPBX's API key (ЛК → API connector)"),
    vpbx_api_salt: z.string().min(1, "the VPBX's API salt (ЛК → API connector)"),
    api_url: z.url({ protocol: /^https?$/, error: "an http(s) URL" }).default(MANGO_API_URL),
    branches: z.array(mangoBranchSchema).default([]),
    /** Gap recovery: each window asked of Mango's statistics is widened by this on both sides (s). */
    gap_margin_s: z.coerce.number().int().min(0).max(3600).default(120),
    /** Also ask the statistics for the time since the last sweep this often (s); 0: after downtime only. */
    sweep_every_s: z.coerce.number().int().min(0).max(604_800).default(3600),
    /** How often `stats/result` is polled while Mango builds the answer (s): its API asks for >= 5. */
    stats_poll_s: z.coerce.number().int().min(5).max(300).default(5),
  })
  .superRefine((mango, ctx) => {
    const owner = new Map<string, string>();
    for (const [i, b] of mango.branches.entries()) {
      for (const value of [
        ...b.lines.map((l) => `line ${l}`),
        ...b.extensions.map((e) => `extension ${e}`),
      ]) {
        const before = owner.get(value);
        if (before !== undefined && before !== b.branch)
          ctx.addIssue({
            code: "custom",
            path: ["branches", i],
            message: `${value} belongs to branch ${before} already: each line and extension to one branch`,
          });
        owner.set(value, b.branch);
      }
    }
  });

export type MangoConfig = z.infer<typeof mangoSchema>;

/**
 * `[hq.crm]` (issue 19): HQ puts calls and intents into the company's CRM (src/hq/crm/crm-port.ts).
 * Absent: off (`forward_url` may still POST every record somewhere). With it, `forward_url` must be
 * empty: both would consume the one forward queue, each taking records the other never sees. The
 * keys a CRM needs:
 * - `retailcrm`: `url` (https://<account>.retailcrm.ru), `api_key`, `site` (the store's code);
 * - `amocrm`: `url` (https://<account>.amocrm.ru), `client_id`, `client_secret`, `redirect_uri`,
 *   `refresh_token` (the first one; HQ keeps the rotated ones in its store);
 * - `bitrix24`: `url` (https://<portal>.bitrix24.ru), `client_id`, `client_secret`, `refresh_token`
 *   (the local application's; telephony.externalcall.* need an application's authorisation).
 * `users` maps the branches' employee ids to CRM user ids. Secrets are never logged or shown.
 */
const crmSchema = z
  .strictObject({
    kind: z.enum(["retailcrm", "amocrm", "bitrix24"]),
    url: z.url({ protocol: /^https?$/, error: "the CRM's address, e.g. https://example.retailcrm.ru" }),
    api_key: z.string().default(""),
    site: z.string().default(""),
    client_id: z.string().default(""),
    client_secret: z.string().default(""),
    redirect_uri: z.string().default(""),
    refresh_token: z.string().default(""),
    users: z.array(z.strictObject({ employee: z.string().min(1), user: z.string().min(1) })).default([]),
    /** Requests per second to the CRM; 0: the CRM's own documented limit (amoCRM 7). */
    rate_per_second: z.coerce.number().min(0).max(1000).default(0),
  })
  .superRefine((crm, ctx) => {
    const need: Record<typeof crm.kind, readonly (keyof typeof crm)[]> = {
      retailcrm: ["api_key", "site"],
      amocrm: ["client_id", "client_secret", "redirect_uri", "refresh_token"],
      bitrix24: ["client_id", "client_secret", "refresh_token"],
    };
    for (const key of need[crm.kind])
      if (crm[key] === "") ctx.addIssue({ code: "custom", path: [key], message: `${crm.kind} needs ${key}` });
    const seen = new Set<string>();
    for (const [i, u] of crm.users.entries()) {
      if (seen.has(u.employee))
        ctx.addIssue({ code: "custom", path: ["users", i, "employee"], message: "mapped twice" });
      seen.add(u.employee);
    }
  });

export type CrmConfig = z.infer<typeof crmSchema>;

/**
 * `branchbox hq`'s configuration: the branch's `[mqtt]` section (the same keys, the same schema)
 * and its own `[hq]`. Loaded like the branch's (TOML file, then `BRANCHBOX_MQTT_*` and
 * `BRANCHBOX_HQ_*` overrides); a branch's sections in the same file are ignored.
 */
export const hqConfigSchema = z
  .strictObject({
    // A branch's sections may share the file; they are the box's to check, not HQ's.
    ...Object.fromEntries(
      Object.keys(configSchema.shape)
        .filter((section) => section !== "mqtt" && section !== "hq")
        .map((section) => [section, z.unknown().optional()]),
    ),
    mqtt: configSchema.shape.mqtt,
    hq: z.strictObject({
      /** The HTTP API (branches, records, health). */
      listen: listen("127.0.0.1:8090").default("127.0.0.1:8090"),
      /** Bearer token for the API. */
      token: z.string().min(16, "at least 16 characters (e.g. from `openssl rand -hex 24`)"),
      /** Holds hq.db; several consumers on one host share it. Unused with database_url. */
      storage_dir: z.string().min(1).default("/var/lib/branchbox-hq"),
      /**
       * `postgres://user:password@host:5432/database` (issue 18): HQ's store on PostgreSQL, which
       * consumers on several machines share; empty: SQLite in storage_dir. A secret: never logged.
       */
      database_url: z
        .union([
          z.literal(""),
          z.url({
            protocol: /^postgres(ql)?$/,
            error: 'a PostgreSQL URL ("postgres://user:password@host:5432/hq") or "" (SQLite)',
          }),
        ])
        .default(""),
      /** How long a gap in a stream may stay open before the branch is asked to replay. */
      reorder_timeout_ms: z.coerce.number().int().min(50).max(600_000).default(2000),
      /** MQTT client id prefix; a random suffix keeps several consumers apart. */
      client_id: z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,40}$/)
        .default("branchbox-hq"),
      /** The CRM's endpoint: every applied record is POSTed there; empty: off. */
      forward_url: z
        .union([z.literal(""), z.url({ protocol: /^https?$/, error: "an http(s) URL" })])
        .default(""),
      /** Sent as `Authorization: Bearer …` to forward_url; empty: no header. */
      forward_token: z.string().default(""),
      /** The fleet page (`/fleet`): a branch offline longer than this stands out, sorted first (min). */
      offline_alert_minutes: z.coerce.number().int().min(1).max(10_080).default(15),
      mango: mangoSchema.optional(),
      crm: crmSchema.optional(),
    }),
  })
  .superRefine((config, ctx) => {
    if (config.hq.crm !== undefined && config.hq.forward_url !== "")
      ctx.addIssue({
        code: "custom",
        path: ["hq", "forward_url"],
        message: "must be empty with [hq.crm]: the CRM's steps take every record off the forward queue",
      });
    if (config.mqtt.url === "")
      ctx.addIssue({
        code: "custom",
        path: ["mqtt", "url"],
        message: "the broker, e.g. mqtts://mqtt.example.ru:8883",
      });
  });

export type HqConfig = z.infer<typeof hqConfigSchema>;

const SECTIONS = ["mqtt", "hq"] as const;

export function loadHqConfig(options: LoadOptions): HqConfig {
  return loadConfigWith(hqConfigSchema, SECTIONS, options);
}
