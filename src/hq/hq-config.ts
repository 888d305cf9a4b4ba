import { z } from "zod";
import { listen } from "../config/fields.ts";
import { type LoadOptions, loadConfigWith } from "../config/load.ts";
import { configSchema } from "../config/schema.ts";

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
      /** Holds hq.db; several consumers on one host share it. */
      storage_dir: z.string().min(1).default("/var/lib/branchbox-hq"),
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
    }),
  })
  .superRefine((config, ctx) => {
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
