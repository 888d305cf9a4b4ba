// From the wire to the record: a scripted Asterisk (a real TCP peer speaking AMI) replays
// transcripts into a whole box; the calls must come out as records, attributed by the roster.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CallRecord } from "../../src/domain/call/call-types.ts";
import { type AmiPeer, startAmiPeer, transcriptFrames } from "../support/ami-peer.ts";
import { channelsAt } from "../support/ami-snapshot.ts";
import { TRANSCRIPTS, transcriptDay } from "../support/ami-transcript.ts";
import { fakeClock, makeTestBox, type TestBox } from "../support/box.ts";

const transcript = (name: string) => readFileSync(join(TRANSCRIPTS, `${name}.ami`), "utf8");
const AMI = { username: "branchbox", secret: "peer-secret-42" };

let box: TestBox | undefined;
let peer: AmiPeer | undefined;
const gapDirs: string[] = [];
afterEach(async () => {
  await box?.close();
  await peer?.close();
  box = undefined;
  peer = undefined;
  for (const dir of gapDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A box on the demo branch, on the transcripts' day, with Anna on shift at the front desk (101). */
async function boxWithPeer(port: number): Promise<TestBox> {
  const b = await makeTestBox({
    clock: fakeClock("2024-11-21T12:00:00+03:00"),
    config: { pbx: { ami: { host: "127.0.0.1", port, ...AMI } } },
  });
  const checkIn = await b.api("/api/v1/roster/check-in", {
    method: "POST",
    body: JSON.stringify({ employeeId: "anna", deskId: "front", at: "2024-11-21T08:00:00+03:00" }),
  });
  expect(checkIn.status).toBe(200);
  return b;
}

async function recordsWhenSettled(b: TestBox, count: number, timeoutMs = 10_000): Promise<CallRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = b.calls.list({ limit: 100 });
    if (records.length >= count && b.calls.live().length === 0) return records;
    if (Date.now() > deadline)
      throw new Error(`${records.length} records, ${b.calls.live().length} live after ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

const summary = (records: readonly CallRecord[]) =>
  records
    .map((r) => ({
      id: r.id,
      outcome: r.outcome,
      owner: r.owner.employeeId,
      legs: r.legs.map((l) => `${l.extension}:${l.ending}`),
    }))
    .sort((a, b) => a.id.localeCompare(b.id));

describe("AMI over a real socket into the box", () => {
  test("R0.3: a call answered on the front desk becomes one record owned by the receptionist on shift", async () => {
    peer = await startAmiPeer({
      ...AMI,
      transcript: transcript("inbound-front-desk-answered"),
      chunking: { mode: "random", seed: 7, maxChunk: 300 },
    });
    box = await boxWithPeer(peer.port);
    const [record, ...rest] = await recordsWhenSettled(box, 1);
    expect(rest).toHaveLength(0);
    expect(record).toMatchObject({
      direction: "inbound",
      outcome: "answered",
      owner: { employeeId: "anna", rule: "desk-checkin" },
    });
    expect(record?.pops).toEqual([{ employeeId: "anna", reason: "answered", rule: "R3.1" }]);
    expect(box.calls.status()).toMatchObject({ rejected: 0 });
  });

  test("reconnect: the peer drops the link mid-call and comes back; the calls end up exactly as without the drop", async () => {
    const text = transcript("two-inbound-interleaved");
    peer = await startAmiPeer({ ...AMI, transcript: text });
    box = await boxWithPeer(peer.port);
    const expected = summary(await recordsWhenSettled(box, 2));
    await box.close();
    await peer.close();

    const frames = transcriptFrames(text);
    for (const cut of [Math.floor(frames.length / 3), Math.floor(frames.length / 2), frames.length - 5]) {
      peer = await startAmiPeer({
        ...AMI,
        transcript: text,
        chunking: { mode: "frames", delayMs: 0 },
        dropAfterFrames: cut,
        channels: (position) => channelsAt(frames, position),
      });
      box = await boxWithPeer(peer.port);
      const records = await recordsWhenSettled(box, 2, 15_000);
      expect(peer.connections()).toBeGreaterThanOrEqual(2); // it really reconnected
      expect(summary(records)).toEqual(expected);
      await box.close();
      await peer.close();
    }
    box = undefined;
    peer = undefined;
    expect(expected.map((r) => r.outcome).sort()).toEqual(["answered", "missed"]);
  }, 60_000);
});

test("the box is down while the PBX goes on: calls that ended meanwhile are closed by the resync, none stays live, none doubles", async () => {
  const text = transcriptDay();
  const frames = transcriptFrames(text);
  const options = { ...AMI, transcript: text, chunking: { mode: "frames", delayMs: 1 } as const };

  peer = await startAmiPeer(options);
  box = await boxWithPeer(peer.port);
  while (peer.position() < frames.length) await Bun.sleep(5);
  // A call is its base id: a gap may split a transfer into parts (R1.3) that the calm run did not.
  const base = (r: CallRecord) => r.partOf ?? r.id;
  const all = new Set((await recordsWhenSettled(box, 16, 30_000)).map(base));
  const calmDir = box.dir;
  await box.close();
  await peer.close();

  peer = await startAmiPeer({ ...options, skipWhileDown: 30, channels: (p) => channelsAt(frames, p) });
  // The box's clock agrees with the PBX's (NTP on both): "now" is the time of the last frame played.
  const stamps = frames.map((f) => Math.round(Number(/Timestamp: (\S+)/.exec(f)?.[1] ?? 0) * 1000));
  const synced = () => stamps[Math.max(0, (peer?.position() ?? 1) - 1)] ?? 0;
  const afterTheDay = () => ({
    now: () => Math.max(synced(), Date.parse("2024-11-21T12:00:00+03:00")),
    set() {},
    advance() {},
  });
  // One data dir for every life of the box: a box made without `dir` removes its own at close,
  // which would lose what the first life recorded.
  const dir = mkdtempSync(join(tmpdir(), "branchbox-gaps-"));
  gapDirs.push(dir);
  box = await makeTestBox({
    dir,
    clock: afterTheDay(),
    config: { pbx: { ami: { host: "127.0.0.1", port: peer.port, ...AMI } } },
  });
  const checkIn = await box.api("/api/v1/roster/check-in", {
    method: "POST",
    body: JSON.stringify({ employeeId: "anna", deskId: "front", at: "2024-11-21T08:00:00+03:00" }),
  });
  expect(checkIn.status).toBe(200);
  const restarts = { liveAtRestart: 0 };
  for (const cut of [0.25, 0.5, 0.75].map((f) => Math.floor(frames.length * f))) {
    while (peer.position() < cut) await Bun.sleep(2);
    await box.close(); // down: the PBX plays 30 frames the box never sees
    box = await makeTestBox({
      dir,
      clock: afterTheDay(),
      config: { pbx: { ami: { host: "127.0.0.1", port: peer.port, ...AMI } } },
    });
    restarts.liveAtRestart += box.calls.live().length;
  }
  while (peer.position() < frames.length) await Bun.sleep(5);
  const records = await recordsWhenSettled(box, 1, 30_000);
  expect(restarts.liveAtRestart).toBeGreaterThan(0); // the cuts did fall mid-call
  expect(box.calls.live()).toEqual([]);
  expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
  for (const record of records) expect(all.has(base(record))).toBe(true); // nothing invented
  expect(new Set(records.map(base)).size).toBeGreaterThanOrEqual(all.size - 3); // at most a call per gap never seen
  for (const record of records) expect(record.endedAt ?? 0).toBeGreaterThanOrEqual(record.startedAt);
  expect(calmDir).not.toBe(box.dir);
}, 90_000);

test("the admin page shows the PBX link and what the pipeline did", async () => {
  peer = await startAmiPeer({ ...AMI, transcript: transcript("inbound-front-desk-answered") });
  box = await boxWithPeer(peer.port);
  await recordsWhenSettled(box, 1);
  const html = await (await box.api("/admin?lang=en")).text();
  expect(html).toMatch(/data-testid="pbx-source-ami:127\.0\.0\.1:\d+"/);
  expect(html).toContain("connected");
  expect(html).toMatch(/\d+ events received, 0 duplicates, 0 rejected, 1 calls recorded/);
  await peer.close();
  const wrong = await startAmiPeer({ username: AMI.username, secret: "another-secret" });
  await box.close();
  box = await makeTestBox({ config: { pbx: { ami: { host: "127.0.0.1", port: wrong.port, ...AMI } } } });
  const deadline = Date.now() + 5000;
  while (box.deps.pbx().sources[0]?.status.state !== "auth-failed" && Date.now() < deadline)
    await Bun.sleep(20);
  const refused = await (await box.api("/admin")).text();
  expect(refused).toContain("неверный логин или пароль AMI");
  expect(refused).not.toContain(AMI.secret);
  await wrong.close();
});
