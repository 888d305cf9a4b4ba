// `serve --demo` has a phone system (issue 14, item 11): a real process, its loopback AMI peer
// playing calls through the real client and pipeline, the roster deciding the owners. And no such
// peer anywhere else: a box without --demo, or a demo given a PBX of its own, listens on its HTTP
// port only.
import { afterEach, expect, test } from "bun:test";
import { readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { en } from "../../src/i18n/en.ts";
import {
  acceptsTcp,
  freePort,
  makeTestDir,
  REPO_ROOT,
  type Running,
  startBranchbox,
} from "../support/process.ts";

const TOKEN = "demo-pbx-test-token-0123456789abcdef";
const MAIN = join(REPO_ROOT, "src/main.ts");
const FROM_SOURCE = [process.execPath, "--tsconfig-override", join(REPO_ROOT, "tsconfig.json"), MAIN];

const dirs: string[] = [];
const boxes: Running[] = [];
afterEach(async () => {
  await Promise.all(boxes.splice(0).map((b) => b.stop()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const dir = makeTestDir("demo-pbx");
  dirs.push(dir);
  const box = await startBranchbox({
    args,
    dir,
    command: FROM_SOURCE,
    env: { BRANCHBOX_HTTP_ADMIN_TOKEN: TOKEN, BB_DEMO_PACE: "fast", ...env },
  });
  boxes.push(box);
  return box;
}

const auth = { authorization: `Bearer ${TOKEN}` };

interface CallJson {
  readonly outcome: string;
  readonly owner: { readonly employeeId: string | null };
}

/** Poll until `check` holds, with a deadline (a real process: there is no event to await). */
async function until<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | null>,
  box: Running,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${box.output()}`);
    await Bun.sleep(100);
  }
}

/** The TCP ports a process listens on, from /proc: its socket inodes matched in net/tcp and tcp6. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const socket = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (socket?.[1] !== undefined) inodes.add(socket[1]);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const table of ["tcp", "tcp6"]) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // st 0A: LISTEN; the local address is ADDR:PORT in hex.
      if (cols[3] === "0A" && inodes.has(cols[9] ?? ""))
        ports.add(Number.parseInt(cols[1]?.split(":")[1] ?? "", 16));
    }
  }
  return [...ports].sort((a, b) => a - b);
}

test("serve --demo plays calls through the real pipeline: Anna's answered call, a missed one; its PBX stops with the box", async () => {
  const box = await start(["serve", "--demo"]);
  const amiPort = Number(
    await until(
      "the demo phone system's line",
      10_000,
      async () => {
        return (
          /demo phone system: .*AMI 127\.0\.0\.1:(\d+)/.exec(readFileSync(box.stderrPath, "utf8"))?.[1] ??
          null
        );
      },
      box,
    ),
  );
  expect(listeningPorts(box.pid)).toEqual([amiPort, box.port].sort((a, b) => a - b));
  const checkIn = await fetch(`${box.baseUrl}/api/v1/roster/check-in`, {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ employeeId: "anna", deskId: "front" }),
  });
  expect(checkIn.status).toBe(200);

  const calls = await until(
    "an answered call owned by Anna and a missed call",
    60_000,
    async () => {
      const list = (await (
        await fetch(`${box.baseUrl}/api/v1/calls?limit=50`, { headers: auth })
      ).json()) as CallJson[];
      const annas = list.some((c) => c.outcome === "answered" && c.owner.employeeId === "anna");
      return annas && list.some((c) => c.outcome === "missed") ? list : null;
    },
    box,
  );
  expect(calls.some((c) => c.owner.employeeId === "sergey")).toBe(true); // 102's outgoing call
  const admin = await (await fetch(`${box.baseUrl}/admin/calls?employee=anna`, { headers: auth })).text();
  expect(admin).toContain("Анна Смирнова");
  expect(admin).toContain("desk-checkin");
  const links = await (await fetch(`${box.baseUrl}/admin?lang=en`, { headers: auth })).text();
  expect(links).toContain(`ami:127.0.0.1:${amiPort}`);
  expect(links).toContain(en.adminPbxUnplacedNone); // the real capture's trunk is placed too

  await box.stop();
  expect(await acceptsTcp(amiPort)).toBe(false);
  expect(readFileSync(box.stdoutPath, "utf8")).toContain('"msg":"demo PBX playing calls"');
}, 90_000);

test("issue 15 in the demo: a click-to-call from Anna through /api/v1/commands is carried out by its phone system, done, and recorded as one outbound answered call of hers", async () => {
  const box = await start(["serve", "--demo"]);
  const post = (path: string, body: unknown) =>
    fetch(`${box.baseUrl}${path}`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  expect((await post("/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" })).status).toBe(200);
  // A command sent while the AMI link still connects fails at once ("nothing sent"): wait for it.
  await until(
    "the AMI link up",
    10_000,
    async () => {
      const metrics = await (await fetch(`${box.baseUrl}/metrics`, { headers: auth })).text();
      return /^branchbox_pbx_connected\{[^}]*\} 1$/m.test(metrics) ? true : null;
    },
    box,
  );
  const sent = await post("/api/v1/commands", {
    kind: "click-to-call",
    commandId: "demo-c2c-e2e",
    employeeId: "anna",
    number: "84951234567",
  });
  expect(sent.status).toBe(202);
  const command = await until(
    "the command's end",
    20_000,
    async () => {
      const c = (await (
        await fetch(`${box.baseUrl}/api/v1/commands/demo-c2c-e2e`, { headers: auth })
      ).json()) as { state: string; callId: string | null; reason: string | null };
      return c.state === "done" || c.state === "failed" ? c : null;
    },
    box,
  );
  expect(command).toMatchObject({ state: "done", callId: "bb-demo-c2c-e2e" });
  const mine = await until(
    "the click-to-call in the call log",
    20_000,
    async () => {
      const list = (await (
        await fetch(`${box.baseUrl}/api/v1/calls?limit=50`, { headers: auth })
      ).json()) as (CallJson & { direction: string; to: { number: string | null } | null })[];
      const found = list.filter((c) => c.to?.number === "84951234567");
      return found.length > 0 ? found : null;
    },
    box,
  );
  expect(mine).toHaveLength(1);
  expect(mine[0]).toMatchObject({
    direction: "outbound",
    outcome: "answered",
    owner: { employeeId: "anna" },
  });
}, 60_000);

test("no demo PBX outside --demo, nor in a demo given a PBX of its own: the box listens on its HTTP port only", async () => {
  const dir = makeTestDir("demo-pbx-config");
  dirs.push(dir);
  const config = join(dir, "branchbox.toml");
  writeFileSync(
    config,
    '[branch]\nid = "b1"\nname = "B1"\ntimezone = "Europe/Moscow"\n[[desks]]\nid = "front"\nname = "Front"\nextension = "101"\n',
  );
  const unused = await freePort();
  const own = { BRANCHBOX_PBX_AMI_HOST: "127.0.0.1", BRANCHBOX_PBX_AMI_PORT: String(unused) };
  const users = { BRANCHBOX_PBX_AMI_USERNAME: "mine", BRANCHBOX_PBX_AMI_SECRET: "my-secret" };
  for (const box of [
    await start(["serve", "--config", config]),
    await start(["serve", "--demo"], { ...own, ...users }),
  ]) {
    expect(listeningPorts(box.pid)).toEqual([box.port]);
    await box.stop();
    const printed = readFileSync(box.stdoutPath, "utf8") + readFileSync(box.stderrPath, "utf8");
    expect(printed).not.toContain("demo PBX");
    expect(printed).not.toContain("demo phone system");
  }
}, 60_000);
