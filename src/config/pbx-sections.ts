import { z } from "zod";
import { extensionList, flag } from "./fields.ts";

/**
 * The config section of every PBX source, by key: `[pbx.<key>]` in the TOML file and
 * `BRANCHBOX_PBX_<KEY>_<SETTING>` in the environment. src/pbx/registry.ts pairs each with its
 * adapter (the compiler insists on one entry per section), so adding a source is its folder
 * under src/pbx/, its section here and its registry line. The schemas live in src/config, not in
 * the sources' folders: config imports nothing of the adapters (docs/architecture.md).
 */
export const PBX_SECTIONS = {
  /** The Asterisk manager interface the box logs in to. */
  ami: z.strictObject({
    host: z.string().min(1),
    port: z.coerce.number().int().min(1).max(65535).default(5038),
    username: z.string().min(1),
    secret: z.string().min(1),
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
};

export type PbxSections = Readonly<Record<string, z.ZodType>>;
export type AmiConfig = z.output<(typeof PBX_SECTIONS)["ami"]>;
export type SipConfig = z.output<(typeof PBX_SECTIONS)["sip"]>;

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
