import type { Instant } from "../roster/types.ts";
import type { PhoneEvent, PhoneEventKind } from "./action-urls.ts";

/**
 * What the box knows of one desk phone from its action URLs alone: presence, DND, and what it is
 * doing. Every field starts unknown (null): a phone that never called says nothing.
 *
 *   idle ──incoming──► ringing ──answered──► talking ──ended──► idle
 *     └───outgoing──► dialing ──answered──┘      ringing ──ended|missed──► idle
 */
export interface PhoneState {
  /** Registered at the PBX (registered, or any call event) / unregistered; null: never said. */
  readonly registered: boolean | null;
  /** Snom's log on/off of an identity; null: never said (Yealink and Grandstream never do). */
  readonly loggedOn: boolean | null;
  readonly dnd: boolean | null;
  readonly activity: PhoneActivity;
  /** The last event accepted and when; null before the first. */
  readonly last: { readonly kind: PhoneEventKind; readonly at: Instant } | null;
}

export type PhoneActivity =
  | { readonly state: "idle" }
  | {
      readonly state: "ringing" | "dialing" | "talking";
      readonly remote: string | null;
      readonly since: Instant;
    };

export const UNKNOWN_PHONE: PhoneState = {
  registered: null,
  loggedOn: null,
  dnd: null,
  activity: { state: "idle" },
  last: null,
};

/** The phone's state after `event` at `at`. Any event replaces the last; none is refused. */
export function applyPhoneEvent(state: PhoneState, event: PhoneEvent, at: Instant): PhoneState {
  const next = { ...state, last: { kind: event.kind, at } };
  switch (event.kind) {
    case "registered":
    case "unregistered":
      return { ...next, registered: event.kind === "registered" };
    case "log_on":
    case "log_off":
      return { ...next, loggedOn: event.kind === "log_on" };
    case "dnd_on":
    case "dnd_off":
      return { ...next, dnd: event.kind === "dnd_on" };
    case "incoming":
      return { ...next, registered: true, activity: { state: "ringing", remote: event.remote, since: at } };
    case "outgoing":
      return { ...next, registered: true, activity: { state: "dialing", remote: event.remote, since: at } };
    case "answered": {
      const remote = event.remote ?? (state.activity.state === "idle" ? null : state.activity.remote);
      return { ...next, registered: true, activity: { state: "talking", remote, since: at } };
    }
    case "ended":
    case "missed":
      return { ...next, registered: true, activity: { state: "idle" } };
  }
}

/** How close a phone's `answered` must be to the PBX's answer of a leg at its extension. */
export const PICKUP_WINDOW_MS = 5_000;

export interface PhoneAnswer {
  readonly phoneId: string;
  readonly at: Instant;
}

/**
 * Which phone picked up a leg the PBX answered at `answeredAt` (control-rules §4.4: joined by
 * extension and time, never by the phone's call id): among the answers of that extension's
 * phones, the one nearest in time within PICKUP_WINDOW_MS; null when none is (then the box says
 * nothing rather than guess).
 */
export function pickedUpBy(answers: readonly PhoneAnswer[], answeredAt: Instant): PhoneAnswer | null {
  let best: PhoneAnswer | null = null;
  for (const answer of answers) {
    const distance = Math.abs(answer.at - answeredAt);
    if (distance > PICKUP_WINDOW_MS) continue;
    if (best === null || distance < Math.abs(best.at - answeredAt)) best = answer;
  }
  return best;
}
