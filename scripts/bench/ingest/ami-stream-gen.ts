import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { transcriptFrames } from "../../../test/support/ami-peer.ts";
import { mulberry32 } from "../lib/prng.ts";

/**
 * A long AMI event stream made from the realistic transcripts in test/fixtures/ami: each scenario
 * (ring group, queue, transfers, voicemail…) is copied many times, every copy with its own
 * Uniqueids and Linkedids, channel suffixes, bridge ids and caller numbers, and `concurrency`
 * copies run at once, their frames interleaved by a seeded generator (per-call order kept), the
 * way a busy PBX interleaves its calls. Timestamps advance by `stepMs` per frame from `startMs`.
 * The same options give the same bytes.
 */

const FIXTURES = resolve(import.meta.dir, "../../../test/fixtures/ami");

export interface StreamOptions {
  readonly seed: number;
  /** At least this many frames; the stream ends with the last frame of a whole call. */
  readonly minFrames: number;
  /** Scenario copies in flight at once. */
  readonly concurrency: number;
  /** PBX time of the first frame (epoch ms) and its advance per frame. */
  readonly startMs: number;
  readonly stepMs: number;
}

export interface Scenario {
  readonly name: string;
  /** Wire frames (CRLF), as in the fixture. */
  readonly frames: readonly string[];
}

export interface AmiStream {
  /** Wire frames, CRLF, in the order the peer writes them. */
  readonly frames: readonly string[];
  /** The scenario of every copy, in the order the copies started. */
  readonly copies: readonly string[];
  readonly bytes: number;
}

/** Every replayable scenario (the mid-call resync fixtures are pieces of one call, not calls). */
export function loadScenarios(): Scenario[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".ami") && !f.startsWith("mid-call"))
    .sort()
    .map((f) => ({
      name: f.replace(/\.ami$/, ""),
      frames: transcriptFrames(readFileSync(join(FIXTURES, f), "utf8")),
    }));
}

const UNIQUEID = /\b1\d{9}\.\d{1,5}\b/g; // Asterisk `epoch.sequence`; a Timestamp has 6 decimals
const UUID = /\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g;
const SUFFIX = /-([0-9a-f]{8})\b/g; // PJSIP/101-0000002a, Local/101@from-queue-00000043;1
const CALLER = /\+79\d{9}\b/g; // the fixtures' mobile callers
const TIMESTAMP = /^Timestamp: .*$/m;

/** Fresh names for one copy; counters are shared by the whole stream so that names never repeat. */
class Renamer {
  private readonly ids = new Map<string, string>();
  private readonly uuids = new Map<string, string>();
  private readonly suffixes = new Map<string, string>();
  private readonly callers = new Map<string, string>();

  constructor(
    private readonly counters: { id: number; channel: number; caller: number; uuid: number },
    private readonly idEpoch: number,
  ) {}

  rewrite(frame: string): string {
    return frame
      .replace(UUID, (u) => this.once(this.uuids, u, () => uuidOf(++this.counters.uuid)))
      .replace(UNIQUEID, (u) => this.once(this.ids, u, () => `${this.idEpoch}.${++this.counters.id}`))
      .replace(
        SUFFIX,
        (_, s: string) => `-${this.once(this.suffixes, s, () => hex8(++this.counters.channel))}`,
      )
      .replace(CALLER, (n) =>
        this.once(this.callers, n, () => `+79${String(++this.counters.caller).padStart(9, "0")}`),
      );
  }

  private once(map: Map<string, string>, key: string, make: () => string): string {
    let value = map.get(key);
    if (value === undefined) {
      value = make();
      map.set(key, value);
    }
    return value;
  }
}

export function generateStream(scenarios: readonly Scenario[], options: StreamOptions): AmiStream {
  const random = mulberry32(options.seed);
  const counters = { id: 0, channel: 0, caller: 0, uuid: 0 };
  const idEpoch = Math.floor(options.startMs / 1000);
  const lanes: { frames: readonly string[]; next: number; renamer: Renamer }[] = [];
  const copies: string[] = [];
  const frames: string[] = [];
  let bytes = 0;
  let deck: Scenario[] = [];
  const startCopy = () => {
    // Every scenario once per round, in a shuffled order: the mix stays that of a branch's day.
    if (deck.length === 0) deck = shuffle([...scenarios], random);
    const scenario = deck.pop() as Scenario;
    copies.push(scenario.name);
    lanes.push({ frames: scenario.frames, next: 0, renamer: new Renamer(counters, idEpoch) });
  };
  while (frames.length < options.minFrames || lanes.length > 0) {
    while (frames.length < options.minFrames && lanes.length < options.concurrency) startCopy();
    const index = Math.floor(random() * lanes.length);
    const lane = lanes[index];
    if (lane === undefined) break;
    const at = options.startMs + frames.length * options.stepMs;
    const frame = lane.renamer
      .rewrite(lane.frames[lane.next] as string)
      .replace(TIMESTAMP, `Timestamp: ${(at / 1000).toFixed(6)}`);
    frames.push(frame);
    bytes += Buffer.byteLength(frame);
    lane.next++;
    if (lane.next === lane.frames.length) lanes.splice(index, 1);
  }
  return { frames, copies, bytes };
}

function uuidOf(n: number): string {
  const h = n.toString(16).padStart(12, "0");
  return `b0000000-0000-4000-8000-${h}`;
}

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}
