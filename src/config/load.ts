import type { z } from "zod";
import { PBX_SECTIONS, type PbxSections, pbxSectionNames } from "./pbx-sections.ts";
import { type Config, configSchema } from "./schema.ts";

export class ConfigError extends Error {
  readonly code = "CONFIG.INVALID";
  constructor(readonly problems: readonly string[]) {
    super(`configuration is not valid:\n  ${problems.join("\n  ")}`);
  }
}

const ENV_PREFIX = "BRANCHBOX_";

/**
 * Sections whose keys an environment variable may override (`[[desks]]` is a list: file only):
 * the box's own, then one per PBX source ("pbx.ami", "pbx.sip").
 */
export const boxSections = (pbx: PbxSections = PBX_SECTIONS): string[] => [
  "branch",
  "http",
  "storage",
  "kiosk",
  "roster",
  "calls",
  "mqtt",
  "log",
  "upgrade",
  ...pbxSectionNames(pbx),
];

export interface LoadOptions {
  file?: string | undefined;
  fileText?: string | undefined;
  env?: Record<string, string | undefined>;
  base?: Record<string, unknown>;
}

/**
 * Reads the TOML file (if any), lays `BRANCHBOX_<SECTION>_<KEY>` variables over it, lays `base`
 * (the --demo defaults) under both, and validates once. A problem names the key, the value and
 * what was expected; where a value came from the environment, the variable is named too.
 */
export function loadConfig(options: LoadOptions): Config {
  return loadConfigWith(configSchema, boxSections(), options);
}

/**
 * The same loading for another program's schema (`branchbox hq`): its own sections, the same
 * file format, environment variables and error wording.
 */
export function loadConfigWith<S extends z.ZodType>(
  schema: S,
  sections: readonly string[],
  options: LoadOptions,
): z.output<S> {
  const raw: Record<string, unknown> = structuredClone(options.base ?? {});
  const text = options.fileText ?? (options.file !== undefined ? readFile(options.file) : undefined);
  if (text !== undefined) {
    let parsed: Record<string, unknown>;
    try {
      parsed = Bun.TOML.parse(text) as Record<string, unknown>;
    } catch (error) {
      throw new ConfigError([`${options.file ?? "config"}: not valid TOML: ${(error as Error).message}`]);
    }
    merge(raw, parsed);
  }
  const fromEnv = new Map<string, string>();
  for (const [name, value] of Object.entries(options.env ?? {})) {
    if (!name.startsWith(ENV_PREFIX) || value === undefined) continue;
    const rest = name.slice(ENV_PREFIX.length).toLowerCase();
    const section = sections.find((s) => rest.startsWith(`${s.replace(".", "_")}_`));
    if (section === undefined)
      throw new ConfigError([`${name}: no such setting (sections: ${sections.join(", ")})`]);
    const key = rest.slice(section.length + 1);
    let table = raw;
    for (const part of section.split(".")) {
      const next = isTable(table[part]) ? table[part] : {};
      table[part] = next;
      table = next;
    }
    table[key] = value;
    fromEnv.set(`${section}.${key}`, name);
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => describe(issue, raw, fromEnv, schema)));
}

function describe(
  issue: z.core.$ZodIssue,
  raw: Record<string, unknown>,
  fromEnv: Map<string, string>,
  schema: z.ZodType,
): string {
  if (issue.code === "unrecognized_keys") return unknownKeys(issue.path, issue.keys, schema, fromEnv);
  const key = issue.path
    .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
    .join(".")
    .replace(/\.\[/g, "[");
  const value = issue.path.reduce<unknown>(
    (node, p) =>
      node !== null && typeof node === "object" ? (node as Record<PropertyKey, unknown>)[p] : undefined,
    raw,
  );
  const where = fromEnv.has(key) ? ` (from ${fromEnv.get(key)})` : "";
  if (value === undefined)
    return `${key || "config"}: required, missing${where}; expected ${expected(issue)}`;
  const shown = /token|secret|password|api_key|salt|database_url/.test(key)
    ? "(hidden)"
    : JSON.stringify(value);
  return `${key}${where} = ${shown}: expected ${expected(issue)}`;
}

function expected(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") return issue.expected;
  if (issue.code === "invalid_value")
    return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  if (issue.code === "unrecognized_keys") return `no unknown keys (${issue.keys.join(", ")})`;
  return issue.message;
}

/**
 * A key the schema does not know is refused, never ignored: a misspelt `fallback_employe` would
 * otherwise switch R1.1 off in silence. Names the section, the key, and the nearest known key.
 */
function unknownKeys(
  path: readonly PropertyKey[],
  keys: readonly string[],
  schema: z.ZodType,
  fromEnv: Map<string, string>,
): string {
  const section = path
    .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
    .join(".")
    .replace(/\.\[/g, "[");
  const known = knownKeys(schema, path);
  const where = section === "" ? "the top level" : section.includes("[") ? section : `[${section}]`;
  return keys
    .map((key) => {
      const near = nearest(key, known);
      const hint = near === null ? "" : ` (did you mean ${near}?)`;
      const name = section === "" ? key : `${section}.${key}`;
      const env = fromEnv.has(name) ? ` (from ${fromEnv.get(name)})` : "";
      return `${name}${env}: no such setting in ${where}${hint}; known: ${known.join(", ")}`;
    })
    .join("\n  ");
}

/** The keys of the object schema at `path`, looking through defaults, optionals, pipes and arrays. */
function knownKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  const unwrap = (n: unknown): unknown => {
    for (let i = 0; i < 10; i++) {
      const def = (n as { _zod?: { def?: Record<string, unknown> } })?._zod?.def;
      if (def === undefined) return n;
      if (def.type === "object") return n;
      n = def.innerType ?? def.in ?? def.element ?? n;
      if (def.innerType === undefined && def.in === undefined && def.element === undefined) return n;
    }
    return n;
  };
  for (const part of path) {
    const object = unwrap(node) as { _zod?: { def?: Record<string, unknown> } };
    const def = object?._zod?.def;
    if (def?.type === "array") {
      node = def.element;
      continue;
    }
    const shape = def?.shape as Record<string, unknown> | undefined;
    if (typeof part === "number") continue;
    node = shape?.[String(part)];
  }
  const def = (unwrap(node) as { _zod?: { def?: { shape?: Record<string, unknown> } } })?._zod?.def;
  return Object.keys(def?.shape ?? {}).sort();
}

/** The known key closest to a typo (edit distance at most a third of its length), or null. */
function nearest(key: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = editDistance(key, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let beforePrevious: number[] = [];
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
      // A swap of two neighbours (prot for port) is one slip, not two.
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        current[j] = Math.min(current[j] as number, (beforePrevious[j - 2] as number) + 1);
    }
    beforePrevious = previous;
    previous = current;
  }
  return previous[b.length] as number;
}

function readFile(path: string): string {
  try {
    return require("node:fs").readFileSync(path, "utf8") as string;
  } catch (error) {
    throw new ConfigError([
      `${path}: cannot read the config file (${(error as NodeJS.ErrnoException).code ?? error})`,
    ]);
  }
}

function merge(into: Record<string, unknown>, from: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(from)) {
    const existing = into[key];
    if (isTable(existing) && isTable(value)) merge(existing, value);
    else into[key] = value;
  }
}

const isTable = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);
