// From the wire to the record: a scripted Asterisk (a real TCP peer speaking AMI) replays
// transcripts into a whole box; the calls must come out as records, attributed by the roster.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CallRecord } from "../../src/domain/call/call-types.ts";
import { type AmiPeer, startAmiPeer, transcriptFrames } from "../support/ami-peer.ts";
import { channelsAt } from "../support/ami-snapshot.ts";
import { fakeClock, makeTestBox, type TestBox } from "../support/box.ts";

const FIXTURES = join(import.meta.dir, "..", "fixtures", "ami");
const transcript = (name: string) => readFileSync(join(FIXTURES, `${name}.ami`), "utf8");
const AMI = { username: "branchbox", secret: "peer-secret-42" };

let box: TestBox | undefined;
let peer: AmiPeer | undefined;
afterEach(async () => {
  await box?.close();
  await peer?.close();
  box = undefined;
  peer = undefined;
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
