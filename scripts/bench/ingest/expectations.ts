import type { PbxEvent } from "../../../src/domain/call/pbx-event.ts";
import { createAmiParser } from "../../../src/pbx/ami/ami-parser.ts";
import { AmiTranslator } from "../../../src/pbx/ami/ami-translate.ts";
import type { Scenario } from "./ami-stream-gen.ts";

/**
 * What the box must end with, worked out beside it with the product's own pure translator (no
 * database, no clock): how many events the journal must hold and how many calls must be recorded,
 * and which frame makes each inbound call's card appear, turn answered or turn missed.
 */

export interface Expected {
  /** PbxEvents: journal rows once everything is committed (keys are unique per copy). */
  readonly events: number;
  /** Calls that end: distinct call ids in the calls table. */
  readonly calls: number;
}

function translateAll(frames: readonly string[]): PbxEvent[][] {
  const parser = createAmiParser({ expectBanner: false });
  const translator = new AmiTranslator({ source: "bench" });
  return frames.map((text) => parser.push(text).flatMap((frame) => translator.translate(frame)));
}

/** Per scenario, then summed over the copies a stream is made of (the copies share no names). */
export function expectedFor(scenarios: readonly Scenario[], copies: readonly string[]): Expected {
  const per = new Map<string, Expected>();
  for (const scenario of scenarios) {
    const events = translateAll(scenario.frames).flat();
    const ended = new Set(events.filter((e) => e.kind === "call-end").map((e) => e.callId));
    per.set(scenario.name, { events: events.length, calls: ended.size });
  }
  let events = 0;
  let calls = 0;
  for (const name of copies) {
    const one = per.get(name);
    if (one === undefined) throw new Error(`no scenario ${name}`);
    events += one.events;
    calls += one.calls;
  }
  return { events, calls };
}

export type CardState = "waiting" | "answered" | "missed";

/**
 * `callId|state` → index of the frame that brings it: an inbound call's card appears (`waiting`)
 * with its call-start, turns `answered` with its first answered leg, and a call nobody answered
 * turns `missed` with its end. Only inbound calls: their cards are on the kiosk whoever is on shift.
 */
export function cardMarkers(frames: readonly string[]): Map<string, number> {
  const markers = new Map<string, number>();
  const inbound = new Set<string>();
  const answered = new Set<string>();
  translateAll(frames).forEach((events, index) => {
    for (const e of events) {
      if (e.kind === "call-start" && e.legId === null) {
        inbound.add(e.callId);
        markers.set(`${e.callId}|waiting`, index);
      } else if (e.kind === "answered" && inbound.has(e.callId) && !answered.has(e.callId)) {
        answered.add(e.callId);
        markers.set(`${e.callId}|answered`, index);
      } else if (e.kind === "call-end" && inbound.has(e.callId) && !answered.has(e.callId)) {
        markers.set(`${e.callId}|missed`, index);
      }
    }
  });
  return markers;
}
