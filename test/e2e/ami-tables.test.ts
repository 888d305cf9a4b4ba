// What the box holds in memory per call, where branch IT (and the soak benchmark) can see it:
// /metrics lists every per-call table, and after the calls end only the bounded ones hold anything.
import { afterEach, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type AmiPeer, startAmiPeer } from "../support/ami-peer.ts";
import { fakeClock, makeTestBox, type TestBox } from "../support/box.ts";
import { endpointOf, expectedCaptures, REAL_CAPTURES } from "../support/real-captures.ts";

const AMI = { username: "branchbox", secret: "peer-secret-42" };
const FILES = ["vg-queue-answered.ami", "vg-attended-xfer-by-caller.ami", "vg11-queue-answered.ami"];

let box: TestBox | undefined;
let peer: AmiPeer | undefined;
afterEach(async () => {
  await box?.close();
  await peer?.close();
  box = undefined;
  peer = undefined;
});

/** `branchbox_memory_table_entries` samples: `part|table` → entries. */
function tables(metrics: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of metrics.matchAll(
    /^branchbox_memory_table_entries\{part="([^"]+)",table="([^"]+)"\} (\d+)$/gm,
  ))
    out.set(`${m[1] === "calls" ? "calls" : "ami"}|${m[2]}`, Number(m[3]));
  return out;
}

test("/metrics shows every per-call table; after three real calls over a socket the live ones are empty and the assembler remembers the finished calls", async () => {
  const handsets = [...new Set(expectedCaptures().flatMap((c) => c.handsets.map(endpointOf)))];
  const transcript = FILES.map((file) => readFileSync(join(REAL_CAPTURES, file), "utf8")).join("\r\n");
  peer = await startAmiPeer({ ...AMI, transcript });
  box = await makeTestBox({
    clock: fakeClock("2024-11-21T12:00:00+03:00"),
    config: {
      pbx: { ami: { host: "127.0.0.1", port: peer.port, ...AMI, handsets } },
    },
  });
  const deadline = Date.now() + 10_000;
  while (peer.position() < peer.frameCount || box.calls.list({ limit: 10 }).length < 3) {
    if (Date.now() > deadline) throw new Error(`frames ${peer.position()}/${peer.frameCount}`);
    await Bun.sleep(20);
  }

  const seen = tables(await (await box.api("/metrics")).text());
  expect(Object.fromEntries(seen)).toEqual({
    "calls|assembler_live": 0,
    "calls|assembler_absorbed": 0,
    // The attended transfer's consultation is a call id of its own, remembered with the main call.
    "calls|assembler_finished": 4,
    "calls|assembler_recent": 3,
    "calls|recent_missed": 0,
    "calls|commit_batches": 0,
    "calls|intents_start_seen": 0,
    "ami|channels": 0,
    "ami|calls": 0,
    "ami|aliases": 0,
    "ami|pending_starts": 0,
    "ami|waiting": 0,
  });
});
