import type { BenchLink } from "../ingest/bench-peer.ts";
import type { SoakBox } from "./box.ts";
import { DAY, type Day, type Slice } from "./month.ts";

const CHUNK_BYTES = 64 * 1024;
const SETTLE_TIMEOUT_MS = 120_000;

/**
 * Writes one slice into the AMI link (whole frames, 64 KB chunks, waiting whenever the socket is
 * full), then waits until the box has read every frame and committed every event: its AMI source
 * has no event waiting for the journal and the pipeline no batch waiting for a commit. Returns the
 * frames written.
 */
export async function writeSlice(
  link: BenchLink,
  box: SoakBox,
  slice: Slice,
  before: number,
): Promise<number> {
  let parts: string[] = [];
  let size = 0;
  for (const frame of slice.frames) {
    parts.push(frame);
    size += frame.length;
    if (size >= CHUNK_BYTES) {
      await link.write(parts.join(""));
      parts = [];
      size = 0;
    }
  }
  if (parts.length > 0) await link.write(parts.join(""));
  const want = before + slice.frames.length;
  const deadline = performance.now() + SETTLE_TIMEOUT_MS;
  for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
    const s = await box.status();
    if (s.amiFrames >= want && s.tables.waiting === 0 && s.tables.commit_batches === 0)
      return slice.frames.length;
    if (performance.now() > deadline)
      throw new Error(
        `the box read ${s.amiFrames} of ${want} frames in ${SETTLE_TIMEOUT_MS} ms\n${box.logTail()}`,
      );
    await Bun.sleep(wait);
  }
}

interface ApiRecord {
  readonly id: string;
  readonly partOf: string | null;
  readonly direction: string;
  readonly outcome: string;
}

/**
 * The day's calls as GET /api/v1/calls gives them (started that day, whole calls: records that are
 * no split-off part) against the day's copies: as many calls, and as many of each direction and
 * outcome as expected.json says its captures have. Returns what differs.
 */
export async function checkDay(box: SoakBox, day: Day): Promise<string[]> {
  const since = new Date(day.startMs).toISOString();
  const until = new Date(day.startMs + DAY).toISOString();
  const records = (await (
    await box.api(`/api/v1/calls?since=${since}&until=${until}&limit=1000`)
  ).json()) as ApiRecord[];
  const got = tally(records.filter((r) => r.partOf === null).map((r) => `${r.direction}/${r.outcome}`));
  const want = tally(day.copies.flatMap((t) => t.calls));
  const problems: string[] = [];
  for (const kind of new Set([...got.keys(), ...want.keys()])) {
    if (got.get(kind) !== want.get(kind))
      problems.push(
        `day ${day.day + 1}: ${kind}: ${got.get(kind) ?? 0} recorded, ${want.get(kind) ?? 0} expected`,
      );
  }
  if (records.length >= 1000) problems.push(`day ${day.day + 1}: 1000 records or more, not all read`);
  return problems;
}

function tally(keys: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return counts;
}
