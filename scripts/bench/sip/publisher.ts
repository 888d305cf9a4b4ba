#!/usr/bin/env bun
/**
 * Bench child: drives the dialog states of extensions that have no phone by PUBLISHing
 * dialog-info to Kamailio (scripts/lab/dialog-publisher.ts; one publication per extension that
 * every PUBLISH of a call replaces). Kamailio's presence then NOTIFYs every watcher of the
 * extension, as it does for the phones' own states.
 *
 *   bun scripts/bench/sip/publisher.ts <ws-url> <domain> <first-ext> <count>
 *   stdin `run <calls-per-ext> <window>`: every extension goes through that many calls
 *   (early, confirmed, terminated, removed; a new Call-ID each), at most <window> PUBLISHes in
 *   flight in all; prints {"event":"published","publishes","calls","firstAt","lastAt"} (epoch ms).
 */
import { createInterface } from "node:readline";
import { dialogDoc } from "../../lab/dialog-doc.ts";
import { startDialogPublisher } from "../../lab/dialog-publisher.ts";
import { epochMs, say } from "../lib/say.ts";

const args = process.argv.slice(2);
if (args.length < 4) {
  console.error("usage: publisher.ts <ws-url> <domain> <first-ext> <count>");
  process.exit(2);
}
const [wsUrl, domain, firstArg, countArg] = args as [string, string, string, string];
const extensions = Array.from({ length: Number(countArg) }, (_, i) => String(Number(firstArg) + i));
const publisher = await startDialogPublisher({ wsUrl, domain, user: "bench-publisher" });
let round = 0;

/**
 * A call's states share one publication, and the call ends as pua_dialoginfo ends a real one,
 * only sooner: `terminated`, then the publication is removed, which Kamailio announces with one
 * more NOTIFY. So every call is exactly four NOTIFYs per watcher, and no document grows with
 * lingering dialogs.
 */
async function publish(ext: string, body: string | null): Promise<void> {
  const status = await publisher.publish(ext, body);
  if (status < 200 || status > 299) throw new Error(`PUBLISH ${ext}: ${status}`);
}

async function run(callsPerExt: number, window: number): Promise<void> {
  round++;
  // Each extension's calls in order; the extensions share a window of PUBLISHes in flight.
  const queues = extensions.map((ext) => {
    const steps: { ext: string; body: string | null }[] = [];
    for (let c = 0; c < callsPerExt; c++) {
      const callId = `bench-${round}-${ext}-${c}`;
      const remote = `7495${String(1_000_000 + ((Number(ext) * 7919 + c) % 8_999_999)).padStart(7, "0")}`;
      (["early", "confirmed", "terminated"] as const).forEach((state, i) => {
        steps.push({ ext, body: dialogDoc({ ext, domain, callId, state, remote, version: c * 3 + i + 1 }) });
      });
      steps.push({ ext, body: null });
    }
    return steps;
  });
  let publishes = 0;
  const firstAt = epochMs();
  // A lane owns its extensions: one PUBLISH in flight per extension keeps its states (and ETag) in order.
  const lanes = Array.from({ length: Math.min(window, queues.length) }, (_, lane) =>
    queues.filter((_, i) => i % window === lane),
  );
  await Promise.all(
    lanes.map(async (mine) => {
      while (mine.some((q) => q.length > 0)) {
        for (const queue of mine) {
          const step = queue.shift();
          if (!step) continue;
          await publish(step.ext, step.body);
          publishes++;
        }
      }
    }),
  );
  say("published", { publishes, calls: callsPerExt * extensions.length, firstAt, lastAt: epochMs() });
}

say("ready", { extensions: extensions.length });
const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const [command, a, b] = line.trim().split(/\s+/);
  if (command === "run") void run(Number(a), Number(b)).catch((e) => say("error", { message: String(e) }));
  if (command === "quit") void publisher.stop().finally(() => process.exit(0));
});
