import type { z } from "zod";
import { PBX_SECTIONS } from "../config/pbx-sections.ts";
import type { PbxModule } from "./pbx-module.ts";

/**
 * Every PBX source the box can run, by config key: its section's schema (src/config/pbx-sections.ts),
 * its line in `branchbox doctor`, and its folder's code. The composition root and doctor read this
 * table; the config loader and the admin page read the sections it is typed by, and the compiler
 * insists every section has its line here. The adapter's code is loaded only when its section is
 * configured: sip.js and sockets stay out of a box that does not use them.
 */
export const PBX_REGISTRY: { readonly [K in keyof typeof PBX_SECTIONS]: PbxEntry<(typeof PBX_SECTIONS)[K]> } =
  {
    ami: pbxEntry(PBX_SECTIONS.ami, "pbx", async () => (await import("./ami/index.ts")).amiPbx),
    sip: pbxEntry(PBX_SECTIONS.sip, "sip", async () => (await import("./sip/index.ts")).sipPbx),
    mango: pbxEntry(PBX_SECTIONS.mango, "mango", async () => (await import("./mango/index.ts")).mangoPbx),
  };

export interface PbxEntry<S extends z.ZodType = z.ZodType> {
  /** The section's schema; strict, with every default in it. */
  readonly schema: S;
  /** Its line in `branchbox doctor`. */
  readonly check: string;
  load(): Promise<PbxModule<z.output<S>>>;
}

export type PbxRegistry = Readonly<Record<string, PbxEntry>>;

/** One line of the registry: the section's schema, doctor's name for it, and the adapter's code. */
export function pbxEntry<S extends z.ZodType>(
  schema: S,
  check: string,
  load: () => Promise<PbxModule<z.output<S>>>,
): PbxEntry<S> {
  return { schema, check, load };
}

export interface ConfiguredPbx {
  readonly key: string;
  readonly entry: PbxEntry;
  readonly section: unknown;
}

/** The sources the config's `pbx` table names, in registry order. */
export function configuredPbx(
  pbx: Readonly<Record<string, unknown>>,
  registry: PbxRegistry = PBX_REGISTRY,
): ConfiguredPbx[] {
  return Object.entries(registry).flatMap(([key, entry]) =>
    pbx[key] === undefined ? [] : [{ key, entry, section: pbx[key] }],
  );
}
