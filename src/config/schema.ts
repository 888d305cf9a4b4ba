import { z } from "zod";
import { extension, flag, isTimeZone, listen } from "./fields.ts";
import { PBX_SECTIONS, type PbxSections, pbxShape } from "./pbx-sections.ts";
import { phonesSection } from "./phones-section.ts";

const timezone = z.string().refine(isTimeZone, "an IANA time zone such as Europe/Moscow");

/** Host names or addresses without port, as a kiosk reaches the box; "a,b" from an environment variable. */
const hostList = z.preprocess(
  (v) =>
    typeof v === "string"
      ? v
          .split(",")
          .map((h) => h.trim())
          .filter((h) => h !== "")
      : v,
  z
    .array(
      z
        .string()
        .regex(
          /^([A-Za-z0-9]([A-Za-z0-9-]{0,62}\.)*[A-Za-z0-9-]{1,63}\.?|\[?[0-9a-fA-F:.]+\]?)$/,
          "a host name or address without port, e.g. box.branch.local",
        )
        .refine((host) => !/^[^:]*:[^:]*$/.test(host), "no port (the box answers for a name on any port)"),
    )
    .max(100),
);

/** DID → pipeline from TOML (an inline table), or "74957654321=Продажи,74957654322=Сервис" from an environment variable. */
const pipelineTable = z.preprocess(
  (v) =>
    typeof v === "string"
      ? Object.fromEntries(
          v
            .split(",")
            .filter((pair) => pair.trim() !== "")
            .map((pair) => pair.split("=").map((part) => part.trim())),
        )
      : v,
  z.record(
    z.string().regex(/^\+?[0-9]{1,20}$/, "a company number (DID), digits, e.g. 74957654321"),
    z.string().min(1).max(200),
  ),
);

/** Digit prefixes, e.g. ["810", "00"]; "a,b" from an environment variable. */
const digitPrefixes = z.preprocess(
  (v) =>
    typeof v === "string"
      ? v
          .split(",")
          .map((p) => p.trim())
          .filter((p) => p !== "")
      : v,
  z.array(z.string().regex(/^\d{1,4}$/, 'digits, e.g. "9"')).max(10),
);

const desk = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "lower-case letters, digits, - or _ (e.g. front)"),
  name: z.string().min(1).max(80),
  extension,
});

/** R4.2: a department a no-answer forward may go to (a ring group or a queue), picked on the kiosk. */
const department = z.strictObject({ name: z.string().min(1).max(80), extension });

/**
 * The whole configuration, one schema with every default in it. A TOML file supplies values and
 * `BRANCHBOX_<SECTION>_<KEY>` environment variables override them (see load.ts).
 */
export const configSchema = boxConfigSchema(PBX_SECTIONS);

/** The box's schema with these PBX sections (a test adds a source of its own). */
export function boxConfigSchema<S extends PbxSections>(sections: S) {
  const pbx = z.strictObject(pbxShape(sections));
  return z
    .strictObject({
      branch: z.strictObject({
        id: z
          .string()
          .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "lower-case letters, digits, - or _ (e.g. msk-01)")
          // `branchbox/v1/hq/state` is headquarters' presence: a branch called "hq" would speak for it.
          .refine((id) => id !== "hq", 'any id but "hq", which the sync protocol reserves for headquarters'),
        name: z.string().min(1).max(120),
        timezone: timezone.default("Europe/Moscow"),
      }),
      http: z.strictObject({
        listen: listen("0.0.0.0:8080").default("0.0.0.0:8080"),
        admin_token: z.string().min(16, "at least 16 characters (e.g. from `openssl rand -hex 24`)"),
        /**
         * Host names the box answers for besides localhost, the listen address and the machine's
         * own name and addresses (a name kiosks use from DNS); any other Host is refused (421).
         */
        allowed_hosts: hostList.default([]),
        /** Live screens (SSE streams) open at once, in all; one more is answered 503. */
        sse_max_streams: z.coerce.number().int().min(1).max(100_000).default(256),
        /** Live screens open at once from one client address; a kiosk page holds two. */
        sse_max_streams_per_client: z.coerce.number().int().min(1).max(100_000).default(16),
      }),
      storage: z.strictObject({ dir: z.string().min(1).default("/var/lib/branchbox") }).prefault({}),
      kiosk: z
        .strictObject({
          language: z.enum(["ru", "en"]).default("ru"),
          idle_seconds: z.coerce.number().int().min(5).max(3600).default(30),
          /** How long a confirmation ("смена началась в 09:02") stays on the home screen. */
          flash_seconds: z.coerce.number().int().min(2).max(600).default(12),
          /**
           * Issue 14 (8): only screens paired on /admin may use the kiosk and the desk screens;
           * false opens them to anyone who reaches the box.
           */
          require_pairing: flag.default(true),
          /**
           * The box's own screen (a request from 127.0.0.0/8 or ::1) counts as paired. False when a
           * reverse proxy on this machine forwards other screens' requests, which all come from loopback.
           */
          loopback_paired: flag.default(true),
        })
        .prefault({}),
      roster: z
        .strictObject({
          max_shift_hours: z.coerce.number().min(1).max(48).default(14),
          pin_max_attempts: z.coerce.number().int().min(1).max(20).default(5),
          pin_lock_minutes: z.coerce.number().min(1).max(1440).default(5),
        })
        .prefault({}),
      desks: z.array(desk).default([]),
      departments: z.array(department).max(50).default([]),
      /** Issue 17: desk phones whose action URLs the box reads (enrichment only), `[[phones]]`. */
      phones: phonesSection,
      calls: z
        .strictObject({
          /** R1.1: calls of extensions that map to nobody go to this employee; empty: off (default). */
          fallback_employee: z.string().default(""),
          /** R3.2, R3.7, R3.9: who gets calls answered on unmapped extensions, and missed-call tasks. */
          senior_manager: z.string().default(""),
          /** R1.2: when on, a missed group call on an unmapped extension goes to the client's responsible. */
          assign_responsible_for_missed_group_calls: flag.default(false),
        })
        .prefault({}),
      /** What HQ's CRM is asked to do after each call (issue 16); HQ's `settings.update` overrides each key. */
      crm: z
        .strictObject({
          /** R3.10: a new number's client and order: "create-after-call", or "create-before-pickup" (on the senior manager). */
          mode: z.enum(["create-after-call", "create-before-pickup"]).default("create-after-call"),
          /** R2.7: a new number's inbound call: "create-client" (retailCRM's matrix) or "unsorted" (amoCRM). */
          unknown_numbers: z.enum(["create-client", "unsorted"]).default("create-client"),
          /** R2.7: the "unsorted" pipeline per company number dialled (DID → pipeline). */
          unsorted_pipelines: pipelineTable.default({}),
          /** R2.7: the pipeline of any other DID; "": the CRM's own default. */
          unsorted_default_pipeline: z.string().max(200).default(""),
        })
        .prefault({}),
      /**
       * How the PBX writes outside numbers, to read them as E.164 before they are matched against
       * headquarters' client directory (issue 16). Russia's numbering by default.
       */
      numbers: z
        .strictObject({
          /** The branch's country calling code, without "+". */
          country_code: z
            .string()
            .regex(/^[1-9]\d{0,2}$/, 'a country calling code, e.g. "7"')
            .default("7"),
          /** Digits of a national number without any prefix (Russia: 10, 9161234567). */
          national_digits: z.coerce.number().int().min(4).max(14).default(10),
          /** The national trunk prefix (Russia: "8", 89161234567); "" for none. */
          national_prefix: z
            .string()
            .regex(/^\d{0,3}$/, 'digits, e.g. "8", or ""')
            .default("8"),
          /** Prefixes that dial abroad: what follows is a country code and a number. */
          international_prefixes: digitPrefixes.default(["810", "00"]),
          /** Prefixes the PBX or the trunk puts before a caller's number (an outside line "9"). */
          trunk_prefixes: digitPrefixes.default([]),
        })
        .prefault({}),
      /** The routing rules the box hands the PBX (issue 16: R2.6, R4.6). */
      rules: z
        .strictObject({
          /** R2.6: how long the client's responsible manager rings before the call goes on. */
          responsible_ring_seconds: z.coerce.number().int().min(5).max(300).default(20),
          /**
           * R4.6: where a call goes when the responsible manager does not answer (an extension: a
           * colleague, a ring group, a queue); wins over the manager's own forwarding. "": the
           * PBX's own route.
           */
          responsible_fallback: z
            .string()
            .regex(/^([0-9*#]{1,16})?$/, 'an extension, e.g. "600", or "" (the PBX\'s own route)')
            .default(""),
        })
        .prefault({}),
      mqtt: z
        .strictObject({
          /** The headquarters broker, e.g. mqtts://mqtt.example.ru:8883; empty: sync is off. */
          url: z.string().default(""),
          username: z.string().default(""),
          password: z.string().default(""),
          /** PEM files for TLS: the broker's CA, this branch's client certificate and key. */
          ca: z.string().default(""),
          cert: z.string().default(""),
          key: z.string().default(""),
        })
        .prefault({}),
      log: z
        .strictObject({
          /** Lines below this level are not written (journald keeps what is). */
          level: z.enum(["debug", "info", "warn", "error"]).default("info"),
        })
        .prefault({}),
      upgrade: z
        .strictObject({
          /**
           * Ed25519 public key (base64 of the 32 raw bytes, or a PEM "PUBLIC KEY"): when set,
           * `branchbox upgrade` also requires FILE.sig, a signature of the file by its private key.
           */
          public_key: z.string().default(""),
          /** How the service is restarted; {action} is restart, stop or start. No shell. */
          service_command: z.string().min(1).default("systemctl {action} branchbox"),
          /** How long the new binary has to answer /healthz with its version before it is rolled back. */
          health_timeout_seconds: z.coerce.number().int().min(1).max(600).default(30),
        })
        .prefault({}),
      /** `branchbox hq`'s own section, when headquarters shares this file; the box does not read it. */
      hq: z.unknown().optional(),
      /** One optional section per PBX source (pbx-sections.ts): `[pbx.ami]`, `[pbx.sip]`. */
      // Every section is optional, so {} is a valid table; the compiler cannot see it through S.
      pbx: pbx.prefault({} as z.input<typeof pbx>),
    })
    .superRefine((config, ctx) => {
      const seen = new Map<string, string>();
      config.desks.forEach((d, i) => {
        for (const [kind, value] of [
          ["id", d.id],
          ["extension", d.extension],
        ] as const) {
          const key = `${kind}:${value}`;
          if (seen.has(key)) {
            ctx.addIssue({
              code: "custom",
              path: ["desks", i, kind],
              message: `unique; ${seen.get(key)} has it too`,
            });
          }
          seen.set(key, `desks[${i}]`);
        }
      });
    });
}

export type Config = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
