import type { SipLab } from "../../lab/sip-lab.ts";
import type { Child } from "../lib/children.ts";
import { epochMs } from "../lib/say.ts";
import { type Latency, percentiles } from "../lib/stats.ts";
import type { Commit, SipBox } from "./box-process.ts";

/**
 * Phone action → committed: a client phone calls the front desk 101, which answers, and the
 * client hangs up, `rounds` times. For each action, from the instant the bench sends the phone its
 * command (ctrl_tcp) to (a) the box's commit that shows it (101 ringing, 101 answered, the call's
 * record written: the pipeline's own commit instant) and (b) the baseline, the NOTIFY that shows
 * it arriving at the bare sip.js watcher (same Kamailio, same subscriptions). All instants are
 * epoch ms of one machine. A person's pause (150 ms) separates the actions.
 */

export const CLIENT = "74951234567";
const DESK = "101";
const PAUSE_MS = 150;

export interface ActionLatency {
  readonly box: Latency;
  readonly bare: Latency;
  /** Per sample, box commit minus bare arrival: the box's own NOTIFY → commit time. */
  readonly own: Latency;
}

export interface LatencyResult {
  readonly rounds: number;
  readonly ring: ActionLatency;
  readonly answer: ActionLatency;
  readonly record: ActionLatency;
}

export async function runLatency(options: {
  lab: SipLab;
  box: SipBox;
  bare: Child;
  rounds: number;
  warmup: number;
  progress: (text: string) => void;
}): Promise<LatencyResult> {
  const { lab, box, bare } = options;
  const client = lab.phone(CLIENT);
  const desk = lab.phone(DESK);
  const commits: Commit[] = [];
  const transitions: { state: string; at: number }[] = [];
  const lastState = new Map<string, string>();

  const pollCommits = async () => {
    commits.push(...(await box.commits()));
  };
  const readBare = () => {
    for (const m of bare.take("notify")) {
      if (m.ext !== DESK) continue;
      for (const d of m.dialogs as { callId: string; state: string }[]) {
        if (lastState.get(d.callId) !== d.state) transitions.push({ state: d.state, at: m.at as number });
        lastState.set(d.callId, d.state);
      }
    }
  };
  const until = async <T>(what: string, probe: () => T | undefined): Promise<T> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      await pollCommits();
      readBare();
      const value = probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`latency: no ${what} within 10 s\n${box.logTail()}`);
      await Bun.sleep(10);
    }
  };
  const boxCommit = (since: number, match: (c: Commit) => boolean) =>
    until("box commit", () => commits.find((c) => c.at >= since && match(c))?.at);
  const bareArrival = (since: number, state: string) =>
    until(`bare ${state}`, () => transitions.find((t) => t.at >= since && t.state === state)?.at);
  const legIs = (c: Commit, state: string) =>
    c.calls.some((call) => call.legs.some(([ext, s]) => ext === DESK && s === state));

  const samples = { ring: [[], []], answer: [[], []], record: [[], []] } as Record<
    "ring" | "answer" | "record",
    [number[], number[]]
  >;
  for (let round = 0; round < options.warmup + options.rounds; round++) {
    const keep = round >= options.warmup;
    const measure = async (
      key: keyof typeof samples,
      t: number,
      match: (c: Commit) => boolean,
      state: string,
    ) => {
      const [boxAt, bareAt] = await Promise.all([boxCommit(t, match), bareArrival(t, state)]);
      if (keep) {
        samples[key][0].push(boxAt - t);
        samples[key][1].push(bareAt - t);
      }
    };
    let t = epochMs();
    await client.dial(DESK);
    await desk.waitFor("CALL_INCOMING");
    await measure("ring", t, (c) => legIs(c, "ringing"), "early");
    await Bun.sleep(PAUSE_MS);
    t = epochMs();
    await desk.answer();
    await measure("answer", t, (c) => legIs(c, "answered"), "confirmed");
    await Bun.sleep(PAUSE_MS);
    t = epochMs();
    await client.hangup();
    await measure("record", t, (c) => c.recorded.length > 0, "terminated");
    await desk.waitFor("CALL_CLOSED");
    await Bun.sleep(PAUSE_MS);
    if ((round + 1) % 10 === 0) options.progress(`latency: ${round + 1} calls`);
  }
  const action = ([boxMs, bareMs]: [number[], number[]]): ActionLatency => ({
    box: percentiles(boxMs),
    bare: percentiles(bareMs),
    own: percentiles(boxMs.map((v, i) => v - (bareMs[i] ?? Number.NaN))),
  });
  return {
    rounds: options.rounds,
    ring: action(samples.ring),
    answer: action(samples.answer),
    record: action(samples.record),
  };
}
