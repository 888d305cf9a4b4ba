// Issue 13, nothing lost while the box was down: a scripted Asterisk plays a day of calls; the box
// stops three times while the PBX goes on; the PBX's CEL file (cel_custom CSV) keeps every call.
// After each restart the gap is read back: every call of the day is recorded exactly once, those the
// box never saw marked recovered, none doubled with what the AMI stream delivered before the stop.
import { afterEach, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CallRecord } from "../../src/domain/call/call-types.ts";
import { type AmiPeer, startAmiPeer, transcriptFrames } from "../support/ami-peer.ts";
import { channelsAt } from "../support/ami-snapshot.ts";
import { celCsvOf } from "../support/ami-to-cel.ts";
import { transcriptDay } from "../support/ami-transcript.ts";
import { makeTestBox, type TestBox } from "../support/box.ts";
import { makeTestDir } from "../support/process.ts";

const AMI = { username: "branchbox", secret: "peer-secret-42" };

let box: TestBox | undefined;
let peer: AmiPeer | undefined;
afterEach(async () => {
  await box?.close();
  await peer?.close();
  box = undefined;
  peer = undefined;
});

async function settled(b: TestBox, count: number, timeoutMs = 30_000): Promise<CallRecord[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = b.calls.list({ limit: 200 });
    if (records.length >= count && b.calls.live().length === 0) return records;
    if (Date.now() > deadline)
      throw new Error(`${records.length} records, ${b.calls.live().length} live after ${timeoutMs} ms`);
    await Bun.sleep(20);
  }
}

test("the box is down three times while the PBX goes on: every call of the day is recorded once, the ones in the gaps read back from CEL and marked recovered", async () => {
  const text = transcriptDay();
  const frames = transcriptFrames(text);
  const options = { ...AMI, transcript: text, chunking: { mode: "frames", delayMs: 1 } as const };
  const base = (r: CallRecord) => r.partOf ?? r.id;

  // The calm run: what the day's calls are when the box sees everything.
  peer = await startAmiPeer(options);
  const calm = await makeTestBox({
    config: { pbx: { ami: { host: "127.0.0.1", port: peer.port, ...AMI } } },
  });
  box = calm;
  while (peer.position() < frames.length) await Bun.sleep(5);
  const all = new Set((await settled(calm, 16)).map(base));
  await calm.close();
  await peer.close();
  box = undefined;

  // The PBX's CEL file: every row Asterisk wrote up to the replay position.
  const celDir = makeTestDir("cel");
  const cel = join(celDir, "Master.csv");
  const writeCel = (position: number) =>
    writeFileSync(cel, `${celCsvOf(frames.slice(0, position)).join("\n")}\n`);
  writeCel(0);

  // Each stop lasts long enough for whole calls to begin and end unseen.
  const down = Math.floor(frames.length / 8);
  peer = await startAmiPeer({ ...options, skipWhileDown: down, channels: (p) => channelsAt(frames, p) });
  const stamps = frames.map((f) => Math.round(Number(/Timestamp: (\S+)/.exec(f)?.[1] ?? 0) * 1000));
  const synced = () => stamps[Math.max(0, (peer?.position() ?? 1) - 1)] ?? 0;
  const clock = () => ({ now: () => Math.max(synced(), stamps[0] ?? 0), set() {}, advance() {} });
  const config = {
    pbx: { ami: { host: "127.0.0.1", port: peer.port, ...AMI, cel_csv: cel, timezone: "UTC" } },
  };
  // The box's own folder, kept across its restarts (makeTestBox removes a folder it made).
  const keep = makeTestDir("box");
  box = await makeTestBox({ dir: keep, clock: clock(), config });
  for (const cut of [0.25, 0.5, 0.75].map((f) => Math.floor(frames.length * f))) {
    while (peer.position() < cut) await Bun.sleep(2);
    await box.close(); // down: the PBX plays `down` frames the box never sees, and logs them in CEL
    while (peer.position() < Math.min(frames.length, cut + down)) await Bun.sleep(2);
    writeCel(peer.position());
    box = await makeTestBox({ dir: keep, clock: clock(), config });
    const current = box;
    await waitFor(() =>
      (current.deps.pbx().gaps ?? []).some(
        (g) => g.state !== "reading" && g.backAt >= (stamps[cut - 1] ?? 0),
      ),
    );
  }
  while (peer.position() < frames.length) await Bun.sleep(5);
  writeCel(frames.length);
  const records = await settled(box, all.size);

  expect(box.calls.live()).toEqual([]);
  expect(new Set(records.map((r) => r.id)).size).toBe(records.length); // none doubled
  for (const record of records) expect(all.has(base(record))).toBe(true); // nothing invented
  expect(new Set(records.map(base))).toEqual(all); // nothing lost
  const recovered = records.filter((r) => r.recovered !== null);
  expect(recovered.length).toBeGreaterThan(0);
  for (const r of recovered) expect(r.recovered?.via).toBe("cel");
  const gaps = box.deps.pbx().gaps ?? [];
  expect(gaps.map((g) => g.state)).toEqual(["recovered", "recovered", "recovered"]);
  expect(gaps.reduce((n, g) => n + g.calls, 0)).toBeGreaterThanOrEqual(recovered.length);
}, 120_000);

async function waitFor(check: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await Bun.sleep(10);
  }
}
