// `[pbx.ami] capture_dir` from the wire to support's desk: a box linked to a scripted AMI peer over
// a real socket keeps what the PBX sent in rotating files, never its secret; `branchbox replay` of
// the folder makes the calls the box recorded; a folder the box cannot write stops the capture and
// nothing else, and /admin, /metrics and doctor say so.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkCapture } from "../../src/doctor-capture.ts";
import type { CallRecord } from "../../src/domain/call/call-types.ts";
import { replay } from "../../src/replay.ts";
import { type AmiPeer, startAmiPeer, transcriptFrames, waitUntil } from "../support/ami-peer.ts";
import { TRANSCRIPTS } from "../support/ami-transcript.ts";
import { fakeClock, makeTestBox, type TestBox } from "../support/box.ts";

const SECRET = "capture-s3cret-Xq7";
const AMI = { username: "branchbox", secret: SECRET };

let box: TestBox | undefined;
let peer: AmiPeer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await box?.close();
  await peer?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  box = undefined;
  peer = undefined;
  dir = undefined;
});

const read = (name: string) => transcriptFrames(readFileSync(join(TRANSCRIPTS, `${name}.ami`), "utf8"));
const numbered = (frames: readonly string[], from: number) =>
  frames.map((frame, i) => `${frame.trimEnd()}\nSequenceNumber: ${from + i}`);
const captureFiles = (at: string) => readdirSync(at).filter((name) => name.endsWith(".ami"));
/** A record as replay makes it: the source's name is the only difference (`ami:replay`). */
const comparable = (records: readonly CallRecord[]) => records.map(({ source: _, ...rest }) => rest);

/** The test's folder: the box's storage and whatever else the test puts there. */
const folder = (): string => {
  dir ??= mkdtempSync(join(tmpdir(), "branchbox-capture-e2e-"));
  return dir;
};

/**
 * A box in the test's folder (kept after close, so its capture can be read) linked to `peer`. No
 * staff: the harness stores them after the box started, and the peer's calls would race them.
 */
async function boxWith(ami: Record<string, unknown>): Promise<TestBox> {
  return makeTestBox({
    dir: folder(),
    staff: [],
    clock: fakeClock("2024-11-21T12:00:00+03:00"),
    config: { pbx: { ami: { host: "127.0.0.1", port: peer?.port ?? 0, ...AMI, ...ami } } },
  });
}

test("a box with capture_dir keeps what the PBX sent over two links, never the secret; replay of the folder makes the calls the box recorded", async () => {
  // Asterisk restarts between the two links: the second numbers its events from 1 again.
  const first = numbered(read("inbound-front-desk-answered"), 5000);
  const second = numbered(read("two-inbound-interleaved"), 1);
  peer = await startAmiPeer({
    ...AMI,
    transcript: `${[...first, ...second].join("\n\n")}\n\n`,
    chunking: { mode: "frames", delayMs: 1 },
    dropAfterFrames: first.length,
    fullyBooted: false,
  });
  const capture = join(folder(), "capture");
  box = await boxWith({ capture_dir: capture });
  const b = box;
  await waitUntil(() => b.calls.list({ limit: 10 }).length === 3, 20_000, "the three calls recorded");
  expect(b.sources[0]?.status().capture).toMatchObject({ on: true, dir: capture });
  const admin = await (await b.api("/admin")).text();
  expect(admin).toContain(`запись обмена с АТС для поддержки включена: ${capture}, хранится`);
  expect(admin).toContain("из 64,0 МБ");
  const english = await (await b.api("/admin", { headers: { cookie: "bb_lang=en" } })).text();
  expect(english).toContain(`raw PBX capture for support is on: ${capture}, keeping`);
  const recorded = b.calls.list({ limit: 10 }).reverse();
  await b.close();
  box = undefined;

  const names = captureFiles(capture);
  expect(names.length).toBeGreaterThan(0);
  expect(statSync(capture).mode & 0o777).toBe(0o700);
  const text = names.map((name) => readFileSync(join(capture, name), "utf8")).join("");
  for (const name of names) {
    expect(statSync(join(capture, name)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(capture, name), "utf8")).not.toContain(SECRET);
  }
  // Both logins are there, their secrets not; the link's ends are said.
  expect(text.split(";; > Secret: (not kept)").length - 1).toBe(peer.connections());
  expect(text).toContain(";; > Action: CoreShowChannels");
  expect(text).toMatch(/;; link 1 to ami:127\.0\.0\.1:\d+ opened /);
  expect(text).toMatch(/;; link 1 closed \S+: closed by the peer/);

  // The demo's config, as the box's; its staff: none.
  writeFileSync(join(folder(), "staff.json"), "[]");
  const replayed = await replay({
    file: capture,
    configFile: undefined,
    staffFile: join(folder(), "staff.json"),
    rosterFile: undefined,
    env: {},
  });
  expect(replayed.counts).toMatchObject({ badFrames: 0, sentTwice: 0, orphans: 0 });
  expect(comparable(replayed.records)).toEqual(comparable(recorded));
}, 60_000);

test("a capture_dir the box cannot write: the link stays up and records the call; /admin, /metrics and doctor say capture is off and why", async () => {
  peer = await startAmiPeer({ ...AMI, transcript: read("inbound-front-desk-answered").join("") });
  writeFileSync(join(folder(), "not-a-folder"), "");
  const unwritable = join(folder(), "not-a-folder", "capture");
  box = await boxWith({ capture_dir: unwritable });
  const b = box;
  await waitUntil(() => b.calls.list({ limit: 10 }).length === 1, 20_000, "the call recorded");
  expect(b.sources[0]?.status()).toMatchObject({
    state: "connected",
    capture: { on: false, reason: expect.stringContaining("not a directory") },
  });
  const admin = await (await b.api("/admin")).text();
  expect(admin).toContain("запись обмена с АТС остановлена: not a directory");
  expect(admin).toContain("Связь с АТС работает");
  const english = await (await b.api("/admin", { headers: { cookie: "bb_lang=en" } })).text();
  expect(english).toContain("raw PBX capture stopped: not a directory");
  const metrics = await (await b.api("/metrics")).text();
  expect(metrics).toMatch(
    /branchbox_pbx_capture_on\{source="[^"]+",dir="[^"]+",reason="not a directory[^"]*"\} 0/,
  );

  // doctor asks the running box (its /metrics), and says capture is off and why.
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response(metrics) });
  try {
    const ami = b.config.pbx.ami;
    const line = await checkCapture(ami, { baseUrl: `http://127.0.0.1:${server.port}`, adminToken: "t" });
    expect(line).toMatchObject({ name: "capture", status: "WARN" });
    expect(line?.detail).toContain("off: not a directory");
    expect(line?.detail).toContain("(reported by the running box)");
    // Without a running box, doctor finds the same by looking at the folder.
    expect((await checkCapture(ami, null))?.detail).toContain("would be off:");
  } finally {
    server.stop(true);
  }
}, 60_000);

test("off by default: a box without capture_dir writes no capture file and shows no capture line", async () => {
  peer = await startAmiPeer({ ...AMI, transcript: read("inbound-front-desk-answered").join("") });
  box = await boxWith({});
  const b = box;
  await waitUntil(() => b.calls.list({ limit: 10 }).length === 1, 20_000, "the call recorded");
  expect(b.config.pbx.ami?.capture_dir).toBe("");
  expect(b.sources[0]?.status().capture).toBeUndefined();
  expect(await (await b.api("/admin")).text()).not.toContain('data-testid="pbx-capture-');
  expect(await (await b.api("/metrics")).text()).not.toContain("branchbox_pbx_capture_on{");
  expect(await checkCapture(b.config.pbx.ami, null)).toBeNull();
  const everything = readdirSync(folder(), { recursive: true }).map(String);
  expect(everything.filter((name) => name.endsWith(".ami"))).toEqual([]);
}, 60_000);
