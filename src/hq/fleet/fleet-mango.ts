import type { MangoCommandStore } from "../store/mango-command-store-port.ts";
import type { MangoStore } from "../store/mango-store-port.ts";
import type { MangoSweepStore } from "../store/mango-sweep-store-port.ts";
import type { FleetMango } from "./fleet-pages.tsx";

/** How many events of no branch the page lists (the newest). */
const UNROUTED = 50;
const SWEEPS = 20;

/** The Mango page's data from HQ's Mango stores (`[hq.mango]`), read when the page is asked for. */
export function fleetMango(
  events: Pick<MangoStore, "counts" | "unrouted">,
  sweeps: Pick<MangoSweepStore, "recent">,
  commands: Pick<MangoCommandStore, "outcomes">,
): () => Promise<FleetMango> {
  return async () => ({
    counts: await events.counts(),
    unrouted: await events.unrouted(UNROUTED),
    sweeps: await sweeps.recent(SWEEPS),
    commands: await commands.outcomes(),
  });
}
