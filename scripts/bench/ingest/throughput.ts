import { join } from "node:path";
import { type AmiStream, generateStream, loadScenarios } from "./ami-stream-gen.ts";
import { type BareResult, bareInserts, bareOutboxLoop } from "./bare-sqlite.ts";
import { startBenchPeer } from "./bench-peer.ts";
import { AMI_CREDENTIALS, type BoxRunOptions, type BoxStatus, startBoxProcess } from "./box-process.ts";
import { type Expected, expectedFor } from "./expectations.ts";

/**
 * AMI traffic as fast as the box takes it: the whole generated stream written to the box's AMI
 * link over loopback (in whole-frame chunks, honouring backpressure) right after its empty
 * resync, timed from the first byte written to the commit that completes the last call; then the
 * two bare-SQLite floors over the same frames, with the box stopped.
 */

/**
 * PBX time of the first frame: two hours before the current hour began (the roster takes
 * check-ins up to 31 days back, and the stream's missed calls are then old news for the cards).
 * The stream is the same for a seed but for this base.
 */
const HOUR = 3_600_000;
const DAY = Math.floor(Date.now() / HOUR) * HOUR - 2 * HOUR;
const CHUNK_BYTES = 64 * 1024;

export interface ThroughputResult {
  readonly stream: AmiStream;
  readonly expected: Expected;
  readonly generateMs: number;
  /** First byte written → the commit after which every call was recorded. */
  readonly ms: number;
  /** First byte written → last byte taken by the socket. */
  readonly writeMs: number;
  readonly complete: boolean;
  readonly box: BoxStatus;
  readonly bare: BareResult;
  readonly outbox: BareResult;
  /** AMI frames per pipeline commit, on average: the batching the bare inserts copy. */
  readonly framesPerCommit: number;
}

export interface ThroughputOptions extends BoxRunOptions {
  readonly minFrames: number;
  readonly timeoutMs: number;
}

export async function runThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const scenarios = loadScenarios();
  let started = performance.now();
  const stream = generateStream(scenarios, {
    seed: options.seed,
    minFrames: options.minFrames,
    concurrency: 6,
    startMs: DAY,
    // 20,000 frames/s of PBX time: the rate the box is asked to keep up with.
    stepMs: 0.05,
  });
  const expected = expectedFor(scenarios, stream.copies);
  const chunks = wireChunks(stream.frames);
  const generateMs = performance.now() - started;

  options.progress(
    `throughput: ${stream.frames.length.toLocaleString("en-US")} frames (${(stream.bytes / 2 ** 20).toFixed(0)} MB) generated; starting the box...`,
  );
  const peer = await startBenchPeer(AMI_CREDENTIALS);
  const dir = join(options.dir, "throughput");
  const box = await startBoxProcess({
    dir,
    amiPort: peer.port,
    onStart: options.onBox,
    ...(options.profileDir === undefined ? {} : { profileDir: options.profileDir }),
  });
  let status: BoxStatus;
  let ms: number;
  let writeMs: number;
  let complete = false;
  try {
    const link = await peer.ready;
    // On shift from an hour before the first call: 101 and 103 belong to someone, the rest to nobody.
    const at = new Date(DAY - HOUR).toISOString();
    for (const [employeeId, deskId] of [
      ["anna", "front"],
      ["olga", "hall"],
    ]) {
      const res = await box.api("/api/v1/roster/check-in", { employeeId, deskId, at });
      if (res.status !== 200)
        throw new Error(`check-in ${employeeId}: HTTP ${res.status} ${await res.text()}`);
    }
    options.progress("throughput: writing the stream into the box's AMI link...");
    const epoch = () => performance.timeOrigin + performance.now();
    const t0 = epoch();
    started = performance.now();
    const writing = (async () => {
      for (const chunk of chunks) await link.write(chunk);
      return performance.now() - started;
    })();
    const deadline = started + options.timeoutMs;
    for (;;) {
      await Bun.sleep(25);
      status = await box.status();
      if (status.pipeline.received >= expected.events && status.live === 0) {
        complete = true;
        break;
      }
      if (performance.now() > deadline) break;
    }
    writeMs = await Promise.race([writing, Bun.sleep(1000).then(() => Number.NaN)]);
    status = await box.status(true);
    ms = complete ? status.lastCommitAt - t0 : performance.now() - started;
  } finally {
    await box.stop();
    await peer.close();
  }

  options.progress("throughput: bare SQLite floors over the same frames...");
  const framesPerCommit = stream.frames.length / Math.max(1, status.commits);
  const bare = bareInserts(
    join(options.dir, "bare.db"),
    stream.frames,
    Math.max(1, Math.round(framesPerCommit)),
  );
  const outbox = bareOutboxLoop(join(options.dir, "outbox.db"), stream.frames, 100);
  return {
    stream,
    expected,
    generateMs,
    ms,
    writeMs,
    complete,
    box: status,
    bare,
    outbox,
    framesPerCommit,
  };
}

/** The frames as the wire carries them, cut into chunks of whole frames. */
function wireChunks(frames: readonly string[]): Buffer[] {
  const chunks: Buffer[] = [];
  let parts: string[] = [];
  let size = 0;
  for (const frame of frames) {
    parts.push(frame);
    size += frame.length;
    if (size >= CHUNK_BYTES) {
      chunks.push(Buffer.from(parts.join("")));
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) chunks.push(Buffer.from(parts.join("")));
  return chunks;
}
