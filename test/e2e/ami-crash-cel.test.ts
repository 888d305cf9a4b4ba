// Issue 13: the compiled binary is killed with -9 (no warning, as in a power cut) after it saw one
// call live; while it is down the PBX takes a missed call and logs both in its CEL file. Restarted,
// the box reads the gap back from its last stamp: the missed call is recorded, marked recovered, and
// the call it saw live is not recorded twice.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type AmiPeer, startAmiPeer, transcriptFrames } from "../support/ami-peer.ts";
import { celCsvOf } from "../support/ami-to-cel.ts";
import { TRANSCRIPTS } from "../support/ami-transcript.ts";
import { ensureBinary, makeTestDir, type Running, startBranchbox } from "../support/process.ts";

const AMI = { username: "branchbox", secret: "cel-crash-secret-3" };
const TOKEN = "cel-crash-admin-token-0123456789";

interface Summary {
  readonly id: string;
  readonly outcome: string;
  readonly recovered: { via: string; at: string | number } | null;
}

/** A transcript's frames with their times moved so that the first one is at `start` (real time). */
function framesAt(name: string, start: number): string[] {
  const frames = transcriptFrames(readFileSync(join(TRANSCRIPTS, `${name}.ami`), "utf8"));
  const first = Number(/Timestamp: (\S+)/.exec(frames[0] ?? "")?.[1] ?? 0) * 1000;
  return frames.map((frame) =>
    frame.replace(
      /Timestamp: (\S+)/,
      (_, t: string) => `Timestamp: ${((Number(t) * 1000 - first + start) / 1000).toFixed(6)}`,
    ),
  );
}

async function calls(box: Running): Promise<Summary[]> {
  const response = await fetch(`${box.baseUrl}/api/v1/calls?limit=100`, {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  return (await response.json()) as Summary[];
}

async function until<T>(what: string, box: Running, probe: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const found = await probe().catch(() => null);
    if (found !== null) return found;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}\n${box.output().slice(-3000)}`);
    await Bun.sleep(50);
  }
}

const dirs: string[] = [];
let peer: AmiPeer | undefined;
afterAll(async () => {
  await peer?.close();
  if (process.env.KEEP_TEST_DIRS === undefined)
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

test("kill -9 after a call seen live; a missed call while down: recovered from CEL after the restart, the live one not doubled", async () => {
  ensureBinary();
  const dir = makeTestDir("ami-crash-cel");
  dirs.push(dir);
  const cel = join(dir, "Master.csv");
  writeFileSync(cel, "");
  peer = await startAmiPeer({ ...AMI, transcript: "" });
  const env = {
    BRANCHBOX_HTTP_ADMIN_TOKEN: TOKEN,
    BRANCHBOX_PBX_AMI_HOST: "127.0.0.1",
    BRANCHBOX_PBX_AMI_PORT: String(peer.port),
    BRANCHBOX_PBX_AMI_USERNAME: AMI.username,
    BRANCHBOX_PBX_AMI_SECRET: AMI.secret,
    BRANCHBOX_PBX_AMI_CEL_CSV: cel,
    BRANCHBOX_PBX_AMI_TIMEZONE: "UTC",
  };
  let box = await startBranchbox({ args: ["serve", "--demo"], dir, env, name: "start-0" });

  // A call the box sees live, once it is logged in and resynced.
  const live = framesAt("internal-call", Date.now());
  await until("the AMI login", box, async () =>
    peer?.received.some((r) => r.frame.Action === "CoreShowChannels") ? true : null,
  );
  peer.sendRaw(live.join(""));
  const seen = await until("the live call's record", box, async () => {
    const records = await calls(box);
    return records.length === 1 ? records : null;
  });
  expect(seen[0]?.recovered).toBeNull();

  await box.kill9();
  // Down: the PBX takes a call nobody answers, and its CEL file has both calls.
  const missed = framesAt("caller-cancels", Date.now());
  writeFileSync(cel, `${celCsvOf([...live, ...missed]).join("\n")}\n`);

  box = await startBranchbox({ args: ["serve", "--demo"], dir, env, name: "start-1", port: box.port });
  const records = await until("both calls", box, async () => {
    const found = await calls(box);
    return found.length >= 2 ? found : null;
  });
  await box.stop();

  expect(records).toHaveLength(2);
  expect(new Set(records.map((r) => r.id)).size).toBe(2);
  const recovered = records.filter((r) => r.recovered !== null);
  expect(recovered).toMatchObject([{ outcome: "missed", recovered: { via: "cel" } }]);
  expect(records.find((r) => r.recovered === null)?.id).toBe(seen[0]?.id);
}, 120_000);
