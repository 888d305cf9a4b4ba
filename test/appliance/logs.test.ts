import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { ensureBinary, makeTestDir, startBranchbox } from "../support/process.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const TOKEN = "logs-test-admin-token-0123456789";

/** The compiled `branchbox serve --demo` at a log level; its stdout once it served /healthz and stopped. */
async function serveAt(level: string): Promise<string> {
  const dir = makeTestDir(`logs-${level}`);
  dirs.push(dir);
  const box = await startBranchbox({
    args: ["serve", "--demo"],
    dir,
    command: [ensureBinary()],
    env: { BRANCHBOX_LOG_LEVEL: level, BRANCHBOX_HTTP_ADMIN_TOKEN: TOKEN },
  });
  // A wrong and a right admin login: neither password may reach a log line.
  await fetch(`${box.baseUrl}/admin`, { headers: { authorization: `Basic ${btoa(`admin:${TOKEN}`)}` } });
  await fetch(`${box.baseUrl}/admin`, {
    headers: { authorization: `Basic ${btoa("admin:wrong-password-x")}` },
  });
  await box.stop();
  return readFileSync(box.stdoutPath, "utf8");
}

describe("logs", () => {
  test("stdout is JSON lines with ts, level and msg; [log] level filters; no secret in any line", async () => {
    const info = await serveAt("info");
    const lines = info.trim().split("\n");
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      const entry = JSON.parse(line) as { ts: string; level: string; msg: string };
      expect(Number.isNaN(Date.parse(entry.ts))).toBe(false);
      expect(["debug", "info", "warn", "error"]).toContain(entry.level);
      expect(entry.msg.length).toBeGreaterThan(0);
    }
    expect(lines.some((l) => l.includes('"msg":"serving"'))).toBe(true);
    expect(lines.some((l) => l.includes('"msg":"stopping"'))).toBe(true);
    // The demo PINs as JSON strings (a bare 1111 could be part of a port or a time).
    for (const secret of [TOKEN, "wrong-password-x", `"1111"`, `"2222"`, `"9999"`])
      expect(info).not.toContain(secret);

    const warn = await serveAt("warn");
    for (const line of warn
      .trim()
      .split("\n")
      .filter((l) => l !== "")) {
      expect(["warn", "error"]).toContain((JSON.parse(line) as { level: string }).level);
    }
    expect(warn).not.toContain('"msg":"serving"');
  }, 40_000);
});
