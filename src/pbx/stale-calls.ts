import type { PbxEvent } from "../domain/call/pbx-event.ts";
import type { Instant } from "../domain/roster/types.ts";
import { PbxEventFactory } from "./pbx-events.ts";

/**
 * After a resync: the calls the box holds live (`held`, replayed from the journal, which a fresh
 * translator cannot know of) that the PBX no longer `shown` ended while the source could not see
 * them. Each gets its `call-end` at `at`, under the key a live end would have had, in `held`'s order.
 */
export function staleCallEnds(
  source: string,
  held: readonly string[],
  shown: ReadonlySet<string>,
  at: Instant,
): PbxEvent[] {
  const make = new PbxEventFactory(source);
  return held.filter((callId) => !shown.has(callId)).map((callId) => make.callEnd(callId, at));
}
