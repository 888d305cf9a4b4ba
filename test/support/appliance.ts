// Helpers for the appliance tests (test/appliance/): the release build, commands, file trees.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, readFileSync, readlinkSync, statSync } from "node:fs";
import { join } from "node:path";
import { newestSource, REPO_ROOT } from "./process.ts";

export const UNITS = join(REPO_ROOT, "firmware-config/systemd");

export const RELEASE = ["linux-x64", "linux-x64-baseline", "linux-arm64"].map((t) =>
  join(REPO_ROOT, `dist/branchbox-${t}`),
);

export type Ran = { code: number; stdout: string; stderr: string };

export function run(cmd: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Ran {
  const proc = Bun.spawnSync(cmd, {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { code: proc.exitCode ?? -1, stdout: proc.stdout.toString(), stderr: proc.stderr.toString() };
}

/** The release executables, built by scripts/build.sh unless all are newer than every source. */
export function ensureRelease(): string[] {
  const newest = newestSource();
  const fresh = RELEASE.every((file) => {
    try {
      return statSync(file).mtimeMs > newest;
    } catch {
      return false;
    }
  });
  if (fresh) return RELEASE;
  const build = run(["bash", "scripts/build.sh"]);
  if (build.code !== 0)
    throw new Error(`scripts/build.sh exited ${build.code}:\n${build.stdout}${build.stderr}`);
  return RELEASE;
}

/**
 * One line per path under `dir`: type, mode, owner, and the content's sha256 or the link's
 * target; modification times left out. Two trees with the same lines are the same install.
 */
export function treeListing(dir: string): string[] {
  const lines: string[] = [];
  const visit = (rel: string) => {
    const path = join(dir, rel);
    const st = lstatSync(path);
    const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
    if (st.isSymbolicLink()) {
      lines.push(`${rel} link ${meta} -> ${readlinkSync(path)}`);
    } else if (st.isDirectory()) {
      lines.push(`${rel}/ dir ${meta}`);
      for (const entry of readdirSync(path).sort()) visit(rel === "" ? entry : `${rel}/${entry}`);
    } else {
      const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
      lines.push(`${rel} file ${meta} ${sha}`);
    }
  };
  visit("");
  return lines;
}

/** `Key=value` settings of a section of firmware-config/systemd/<file>; continuation lines joined. */
export function unitSettings(file: string, section: string): Map<string, string[]> {
  const text = readFileSync(join(UNITS, file), "utf8").replace(/\\\n/g, " ");
  const out = new Map<string, string[]>();
  let current = "";
  for (const line of text.split("\n")) {
    const header = /^\[(.+)\]$/.exec(line);
    if (header) current = header[1] as string;
    const kv = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (kv && current === section) {
      const [, key, value] = kv as unknown as [string, string, string];
      out.set(key, [...(out.get(key) ?? []), value]);
    }
  }
  return out;
}
