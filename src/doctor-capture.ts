import { accessSync, constants, existsSync, statfsSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { AmiConfig } from "./config/pbx-sections.ts";

/** One line of `branchbox doctor` (doctor.ts's Check). */
export interface CaptureCheck {
  readonly name: string;
  readonly status: "OK" | "WARN" | "FAIL";
  readonly detail: string;
  readonly fix?: string;
}

const MB = 1024 * 1024;
const BY_THE_BOX = "(reported by the running box)";

/**
 * `[pbx.ami] capture_dir` in `branchbox doctor`: none when it is off. With the box running, what
 * its capture says on /metrics (on, or off and why); without, whether the box could write there.
 * Never a FAIL: a capture that cannot write stops itself and nothing else (ami-capture-files.ts).
 */
export async function checkCapture(
  ami: AmiConfig | undefined,
  box: { readonly baseUrl: string; readonly adminToken: string } | null,
): Promise<CaptureCheck | null> {
  if (ami === undefined || ami.capture_dir === "") return null;
  const dir = ami.capture_dir;
  const keeps = `keeps up to ${ami.capture_max_mb} MB`;
  if (box !== null) {
    const line = await runningCapture(box.baseUrl, box.adminToken);
    if (line !== null)
      return line.on
        ? { name: "capture", status: "OK", detail: `on: ${line.dir}, ${keeps} ${BY_THE_BOX}` }
        : {
            name: "capture",
            status: "WARN",
            detail: `off: ${line.reason} ${BY_THE_BOX}`,
            fix: `make ${dir} writable with room for ${ami.capture_max_mb} MB, then restart branchbox`,
          };
  }
  const problem = unwritable(dir);
  if (problem !== null)
    return {
      name: "capture",
      status: "WARN",
      detail: `would be off: ${problem}`,
      fix: `make ${dir} a writable folder (or set [pbx.ami] capture_dir = "" to turn capture off)`,
    };
  let existing = resolve(dir);
  while (!existsSync(existing) && existing !== dirname(existing)) existing = dirname(existing);
  const fs = statfsSync(existing);
  const free = Math.round((fs.bavail * fs.bsize) / MB);
  if (free < ami.capture_max_mb)
    return {
      name: "capture",
      status: "WARN",
      detail: `${dir}: ${keeps} but only ${free} MB are free`,
      fix: "free disk space or lower [pbx.ami] capture_max_mb: a full disk stops the capture",
    };
  return { name: "capture", status: "OK", detail: `${dir}: ${keeps}` };
}

function unwritable(dir: string): string | null {
  let existing = resolve(dir);
  while (!existsSync(existing) && existing !== dirname(existing)) existing = dirname(existing);
  try {
    if (!statSync(existing).isDirectory()) return `${existing} is not a folder`;
    accessSync(existing, constants.W_OK);
    return null;
  } catch (error) {
    return `${existing} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
}

/** The running box's `branchbox_pbx_capture_on` sample, or null when it gives none. */
async function runningCapture(
  baseUrl: string,
  adminToken: string,
): Promise<{ on: boolean; dir: string; reason: string } | null> {
  try {
    const response = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(3000),
    });
    if (response.status !== 200) return null;
    const line = (await response.text()).split("\n").find((l) => l.startsWith("branchbox_pbx_capture_on{"));
    if (line === undefined) return null;
    const label = (key: string) =>
      (new RegExp(`${key}="((?:[^"\\\\]|\\\\.)*)"`).exec(line)?.[1] ?? "").replace(/\\(.)/g, (_, c) =>
        c === "n" ? "\n" : c,
      );
    return { on: line.endsWith(" 1"), dir: label("dir"), reason: label("reason") };
  } catch {
    return null;
  }
}
