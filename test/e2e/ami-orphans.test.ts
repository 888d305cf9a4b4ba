// Orphans and repeats from the wire to the box: Hangups of calls the box never saw begin make no
// call, no pop-up and nothing for headquarters; events sent twice are read once. Both are counted
// where branch IT looks: /admin and /metrics.
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type AmiPeer, startAmiPeer, transcriptFrames } from "../support/ami-peer.ts";
import { TRANSCRIPTS } from "../support/ami-transcript.ts";
import { fakeClock, makeTestBox, type TestBox } from "../support/box.ts";

const AMI = { username: "branchbox", secret: "peer-secret-42" };
const ORPHANS = 2000;

let box: TestBox | undefined;
let peer: AmiPeer | undefined;
afterEach(async () => {
  await box?.close();
  await peer?.close();
  box = undefined;
  peer = undefined;
});

const orphanHangup = (i: number) =>
  [
    "Event: Hangup",
    `Timestamp: ${1732180000 + (i % 300)}.000001`,
    `Channel: PJSIP/trunk-sip-${i.toString(16).padStart(8, "0")}`,
    "Context: from-pstn",
    `Uniqueid: 1732170000.${i}`,
    `Linkedid: 1732170000.${i}`,
    "Cause: 16",
  ].join("\n");

const countOf = (b: TestBox, sql: string) => b.db.query<{ n: number }, []>(sql).get()?.n ?? -1;

async function eventually(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await Bun.sleep(20);
  }
}

test("2,000 orphan Hangups and a call sent twice: one call record, no phantom, no pop-up, no record for HQ; counted on /admin and /metrics", async () => {
  const call = transcriptFrames(readFileSync(join(TRANSCRIPTS, "inbound-front-desk-answered.ami"), "utf8"));
  const numbered = call.map((frame, i) => `${frame.trimEnd()}\nSequenceNumber: ${100 + i}`);
  const frames = [
    ...Array.from({ length: ORPHANS }, (_, i) => orphanHangup(i)),
    ...numbered,
    ...numbered.slice(0, 10), // the PBX sends part of it again
  ];
  peer = await startAmiPeer({ ...AMI, transcript: `${frames.join("\n\n")}\n\n` });
  box = await makeTestBox({
    clock: fakeClock("2024-11-21T12:00:00+03:00"),
    config: { pbx: { ami: { host: "127.0.0.1", port: peer.port, ...AMI } } },
  });
  const source = box.sources[0];
  if (source === undefined) throw new Error("no AMI source");
  await eventually("every frame read", () => (source.status().duplicateFrames ?? 0) === 10);
  await eventually("the call recorded", () => box?.calls.list({ limit: 10 }).length === 1);

  expect(source.status().orphans).toEqual({ Hangup: ORPHANS });
  const records = box.calls.list({ limit: 10_000 });
  expect(records).toHaveLength(1);
  expect(records[0]).toMatchObject({ outcome: "answered" });
  // A phantom would be a missed call with a pop-up for the manager; the one real call is answered.
  expect(records.flatMap((r) => r.pops).filter((pop) => pop.reason !== "answered")).toEqual([]);
  expect(box.calls.live()).toHaveLength(0);
  expect(countOf(box, "SELECT count(DISTINCT call_id) AS n FROM pbx_journal")).toBe(1);
  // Headquarters gets the one real call's record and its CRM intents (issue 16), nothing else.
  expect(countOf(box, "SELECT count(*) AS n FROM outbox WHERE stream = 'calls'")).toBe(1);
  const callId = records[0]?.id ?? "";
  expect(
    countOf(
      box,
      `SELECT count(*) AS n FROM outbox WHERE stream <> 'calls' AND (stream <> 'intents' OR id NOT LIKE '${callId}:%')`,
    ),
  ).toBe(0);

  const admin = await (await box.api("/admin")).text();
  expect(admin).toContain(
    `${source.name}: отброшено событий о звонках, начала которых не было видно: ${ORPHANS} (Hangup ${ORPHANS}); присланных АТС дважды: 10.`,
  );
  const english = await (await box.api("/admin", { headers: { cookie: "bb_lang=en" } })).text();
  expect(english).toContain(
    `${source.name}: dropped ${ORPHANS} events about calls never seen beginning (Hangup ${ORPHANS}) and 10 sent twice by the PBX.`,
  );
  const metrics = await (await box.api("/metrics")).text();
  expect(metrics).toContain(
    `branchbox_pbx_orphan_events_total{source="${source.name}",event="Hangup"} ${ORPHANS}`,
  );
  expect(metrics).toContain(`branchbox_pbx_duplicate_frames_total{source="${source.name}"} 10`);
}, 60_000);

test("Asterisk restarts while the link is down: the new login numbers its events from 1 again, and none is taken for a repeat", async () => {
  const read = (name: string) => transcriptFrames(readFileSync(join(TRANSCRIPTS, `${name}.ami`), "utf8"));
  const first = read("inbound-front-desk-answered").map(
    (f, i) => `${f.trimEnd()}\nSequenceNumber: ${5000 + i}`,
  );
  const second = read("two-inbound-interleaved").map((f, i) => `${f.trimEnd()}\nSequenceNumber: ${i + 1}`);
  for (const fullyBooted of [true, false]) {
    peer = await startAmiPeer({
      ...AMI,
      transcript: `${[...first, ...second].join("\n\n")}\n\n`,
      // Frame by frame, so the first link's resync is answered before its frames end and it drops.
      chunking: { mode: "frames", delayMs: 1 },
      dropAfterFrames: first.length,
      fullyBooted,
    });
    box = await makeTestBox({
      clock: fakeClock("2024-11-21T12:00:00+03:00"),
      config: { pbx: { ami: { host: "127.0.0.1", port: peer.port, ...AMI } } },
    });
    const b = box;
    await eventually("the three calls recorded", () => b.calls.list({ limit: 10 }).length === 3);
    expect(peer.connections()).toBeGreaterThanOrEqual(2);
    expect(b.sources[0]?.status().duplicateFrames).toBe(0);
    await b.close();
    await peer.close();
  }
  box = undefined;
  peer = undefined;
}, 60_000);
