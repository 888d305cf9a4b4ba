import type { z } from "zod";
import { type Config, configSchema } from "./schema.ts";

export class ConfigError extends Error {
  readonly code = "CONFIG.INVALID";
  constructor(readonly problems: readonly string[]) {
    super(`configuration is not valid:\n  ${problems.join("\n  ")}`);
  }
}

const ENV_PREFIX = "BRANCHBOX_";

/** Sections whose keys an environment variable may override (`[[desks]]` is a list: file only). */
const SECTIONS = [
  "branch",
  "http",
  "storage",
  "kiosk",
  "roster",
  "calls",
  "mqtt",
  "log",
  "upgrade",
  "pbx.ami",
  "pbx.sip",
] as const;

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
  return loadConfigWith(configSchema, SECTIONS, options);
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
  throw new ConfigError(result.error.issues.map((issue) => describe(issue, raw, fromEnv)));
}

function describe(
  issue: z.core.$ZodIssue,
  raw: Record<string, unknown>,
  fromEnv: Map<string, string>,
): string {
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
  const shown = /token|secret|password/.test(key) ? "(hidden)" : JSON.stringify(value);
  return `${key}${where} = ${shown}: expected ${expected(issue)}`;
}

function expected(issue: z.core.$ZodIssue): string {
  if (issue.code === "invalid_type") return issue.expected;
  if (issue.code === "invalid_value")
    return `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  if (issue.code === "unrecognized_keys") return `no unknown keys (${issue.keys.join(", ")})`;
  return issue.message;
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
