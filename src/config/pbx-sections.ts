import { z } from "zod";
import { LISTEN_PATTERN } from "../lib/listen-address.ts";
import { extensionList, flag, isTimeZone } from "./fields.ts";

/** A list from TOML, or "a,b" from an environment variable, each entry matching `pattern`. */
function nameList(pattern: RegExp, expected: string) {
  return z.preprocess(
    (v) =>
      typeof v === "string"
        ? v
            .split(",")
            .map((e) => e.trim())
            .filter((e) => e !== "")
        : v,
    z.array(z.string().regex(pattern, expected)).max(500),
  );
}

/** A dialplan context name, as call control writes it into an AMI action. */
const contextName = z.string().regex(/^[A-Za-z0-9_.-]{1,80}$/, 'a dialplan context, e.g. "from-internal"');

const compiles = (pattern: string): boolean => {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
};

/**
 * The config section of every PBX source, by key: `[pbx.<key>]` in the TOML file and
 * `BRANCHBOX_PBX_<KEY>_<SETTING>` in the environment. src/pbx/registry.ts pairs each with its
 * adapter (the compiler insists on one entry per section), so adding a source is its folder
 * under src/pbx/, its section here and its registry line. The schemas live in src/config, not in
 * the sources' folders: config imports nothing of the adapters (docs/architecture.md).
 */
export const PBX_SECTIONS = {
  /** The Asterisk manager interface the box logs in to. */
  ami: z
    .strictObject({
      host: z.string().min(1),
      port: z.coerce.number().int().min(1).max(65535).default(5038),
      username: z.string().min(1),
      secret: z.string().min(1),
      /**
       * Device names that are handsets besides the desks' and staff's extensions (`reception-a`,
       * `150010001`): a channel on one is a leg whatever its context.
       */
      handsets: nameList(
        /^[A-Za-z0-9_.+*#-]{1,64}$/,
        'device names, e.g. ["reception-a", "150010001"]',
      ).default([]),
      /** A regular expression: endpoints (or presented caller ids) that match are handsets. Empty: none. */
      handset_pattern: z.string().default("").refine(compiles, "a regular expression, e.g. ^2\\d\\d$"),
      /**
       * FreePBX's conventions (2–6 digit names are phones, `from-pstn…` is a trunk): `auto` applies
       * them everywhere while no desk, staff member or handset names an extension, then only in
       * FreePBX's own phone contexts; `freepbx` everywhere; `known` never.
       */
      profile: z.enum(["auto", "freepbx", "known"]).default("auto"),
      /** Dialplan contexts of trunk channels: a channel created in one is never a handset. */
      trunk_contexts: nameList(/^[A-Za-z0-9_.-]{1,80}$/, 'context names, e.g. ["from-pstn"]').default([]),
      /**
       * Raw capture for support: a directory (absolute) where the box keeps what Asterisk sent, as
       * AMI text `branchbox replay` reads, in rotating `ami-<time>.ami` files; the actions the box
       * sent are `;;` comment lines, the Login's Secret never written. Empty: off.
       */
      capture_dir: z
        .string()
        .default("")
        .refine(
          (v) => v === "" || v.startsWith("/"),
          'an absolute path, e.g. "/var/lib/branchbox/capture", or "" (off)',
        ),
      /** The most the capture files may hold together, in MB: the oldest file goes first. */
      capture_max_mb: z.coerce.number().int().min(1).max(1024).default(64),
      /**
       * Asterisk's CEL as a `cel_custom` CSV file (the sample mapping's 20 columns), read after every
       * gap in the link to recover the calls the box did not see (issue 13). "": none.
       */
      cel_csv: z
        .string()
        .default("")
        .refine(
          (v) => v === "" || v.startsWith("/"),
          'an absolute path, e.g. "/var/log/asterisk/cel-custom/Master.csv", or "" (none)',
        ),
      /**
       * Asterisk's CEL table: FreePBX's in MySQL/MariaDB (`mysql://user:secret@pbx/asteriskcdrdb`)
       * or cel_pgsql's (`postgres://user:secret@pbx/asterisk`), read like `cel_csv` with a user
       * that may only SELECT from `cel`. "": none.
       */
      cel_url: z
        .string()
        .default("")
        .refine(
          (v) => v === "" || /^(mysql|postgres|postgresql):\/\/[^\s/]+\/\S+$/.test(v),
          'a MySQL/MariaDB or PostgreSQL URL with the database, e.g. "mysql://cel:secret@pbx.local/asteriskcdrdb", or "" (none)',
        ),
      /** The PBX's time zone, for the times in its call records; "": the branch's ([branch] timezone). */
      timezone: z
        .string()
        .default("")
        .refine(
          (tz) => tz === "" || isTimeZone(tz),
          'an IANA time zone, e.g. "Europe/Moscow", or "" (the branch\'s)',
        ),
      /**
       * Call control (issue 15), FreePBX's contexts by default. Click-to-call rings the employee
       * through `originate_channel` (`{extension}`, `{context}` = `originate_context` filled in),
       * then dials the number in `dial_context`; transfers and redirects dial in `transfer_context`.
       */
      originate_context: contextName.default("from-internal"),
      dial_context: contextName.default("from-internal"),
      transfer_context: contextName.default("from-internal"),
      originate_channel: z
        .string()
        .default("Local/{extension}@{context}/n")
        .refine(
          (v) => /^[A-Za-z0-9]+\/[^\s,]*\{extension\}[^\s,]*$/.test(v),
          'a channel with {extension}, e.g. "Local/{extension}@{context}/n"',
        ),
      /** How long the employee's phone rings for a click-to-call (Originate's Timeout), in seconds. */
      originate_ring_seconds: z.coerce.number().int().min(5).max(300).default(30),
      /**
       * Issue 16: the FastAGI server the dialplan asks (`AGI(agi://box:4573/route?did=${EXTEN})`),
       * `host:port`; "" (the default): off. The AstDB push runs whenever [pbx.ami] is configured.
       */
      agi_listen: z
        .string()
        .default("")
        .refine((v) => v === "" || LISTEN_PATTERN.test(v), 'host:port, e.g. "0.0.0.0:4573", or "" (off)'),
      /** The channel technology of the branch's phones: the dialplan rings `<route_tech>/<extension>`. */
      route_tech: z
        .string()
        .regex(/^[A-Za-z0-9]{1,16}$/, 'a channel technology, e.g. "PJSIP" or "SIP"')
        .default("PJSIP"),
    })
    .refine((ami) => ami.cel_url === "" || ami.cel_csv === "", {
      message: "cel_url and cel_csv both name the PBX's CEL: keep one",
      path: ["cel_csv"],
    }),
  /** SIP dialog subscriptions (RFC 4235, "BLF") over WebSocket, for PBXs without AMI. */
  sip: z.strictObject({
    ws_url: z.string().regex(/^wss?:\/\/[^\s/]+/, "a WebSocket URL, e.g. ws://pbx.local:8080"),
    extensions: extensionList,
    /** The extensions' SIP domain; empty: the WebSocket's host. */
    domain: z.string().default(""),
    username: z.string().default("branchbox"),
    password: z.string().default(""),
    register: flag.default(false),
  }),
  /**
   * Issue 17: Mango Office's cloud PBX, whose webhooks headquarters receives (`[hq.mango]`) and
   * relays on the `pbx` down stream. An empty `[pbx.mango]` turns it on; it needs `[mqtt]`.
   */
  mango: z.strictObject({
    /** How long after its last leg ended a call with no `events/summary` ends anyway (≤ 30 s). */
    grace_seconds: z.coerce.number().int().min(1).max(30).default(30),
    /** How long an event waits for its leg's missing lower `seq` before it applies anyway. */
    reorder_seconds: z.coerce.number().int().min(1).max(10).default(2),
  }),
};

export type PbxSections = Readonly<Record<string, z.ZodType>>;
export type AmiConfig = z.output<(typeof PBX_SECTIONS)["ami"]>;
export type SipConfig = z.output<(typeof PBX_SECTIONS)["sip"]>;
export type MangoConfig = z.output<(typeof PBX_SECTIONS)["mango"]>;

/** The `pbx` table's shape: each section optional (a box without a PBX keeps the roster). */
export type PbxShape<S extends PbxSections> = { [K in keyof S]: z.ZodOptional<S[K]> };

export function pbxShape<S extends PbxSections>(sections: S): PbxShape<S> {
  return Object.fromEntries(
    Object.entries(sections).map(([key, schema]) => [key, schema.optional()]),
  ) as PbxShape<S>;
}

/** The sections' names as env overrides and texts say them: "pbx.ami", "pbx.sip". */
export const pbxSectionNames = (sections: PbxSections = PBX_SECTIONS): string[] =>
  Object.keys(sections).map((key) => `pbx.${key}`);
