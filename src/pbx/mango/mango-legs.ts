import { type MangoCallEvent, type MangoCallState, readCallEvent, text } from "./mango-payload.ts";

/** One Mango leg (`call_id`) as the control needs it: where it is now, and which command made it. */
export interface MangoLegState {
  readonly callId: string;
  readonly entryId: string;
  state: MangoCallState;
  location: string | null;
  /** The highest `seq` applied: a lower one (sent in parallel, late) changes nothing. */
  seq: number;
  /** Whether it was ever Connected (a Disconnected after it ended a talk, not a ring). */
  connected: boolean;
  /** The employee it rings or talks to, when Mango names one. */
  toExtension: string | null;
  /** Mango's time of its latest event (ms). */
  at: number;
  disconnectReason: number | null;
  /** The command whose `command_id` Mango echoes in its events: the leg it created. */
  readonly commandId: string | null;
}

/** An `events/call` the table applied: the leg after it, and the event. */
export interface MangoLegChange {
  readonly leg: MangoLegState;
  readonly event: MangoCallEvent;
  /** The event's `command_id`: the command that created this leg, when one did. */
  readonly commandId: string | null;
  /** The leg's first event. */
  readonly first: boolean;
}

/**
 * The Mango legs of the calls relayed lately, for the control: which leg of an entry waits to be
 * routed, which a command created, whether one is Connected. Pure; bounded (`remember` legs, the
 * oldest forgotten first). Unlike the translator it waits for no missing `seq`: a late lower one is
 * ignored, so a leg's state only moves forward.
 */
export class MangoLegTable {
  private readonly legs = new Map<string, MangoLegState>();

  constructor(private readonly remember = 10_000) {}

  /** One `events/call` body as Mango sent it; null when it is none, or older than what is known. */
  accept(json: Readonly<Record<string, unknown>>): MangoLegChange | null {
    const event = readCallEvent(json);
    if (event === null) return null;
    const commandId = text(json.command_id);
    const known = this.legs.get(event.callId);
    if (known !== undefined && event.seq <= known.seq) return null;
    const leg: MangoLegState = known ?? {
      callId: event.callId,
      entryId: event.entryId,
      state: event.state,
      location: event.location,
      seq: event.seq,
      connected: false,
      toExtension: event.to.extension,
      at: event.at,
      disconnectReason: null,
      commandId,
    };
    leg.state = event.state;
    leg.at = event.at;
    leg.toExtension = event.to.extension ?? leg.toExtension;
    leg.disconnectReason = event.disconnectReason;
    leg.seq = event.seq;
    leg.location = event.location ?? leg.location;
    if (event.state === "Connected") leg.connected = true;
    if (known === undefined) {
      this.legs.set(event.callId, leg);
      while (this.legs.size > this.remember) this.legs.delete(this.legs.keys().next().value as string);
    }
    return { leg, event, commandId, first: known === undefined };
  }

  leg(callId: string): MangoLegState | null {
    return this.legs.get(callId) ?? null;
  }

  /** The legs a command created (its `command_id`), oldest first. */
  madeBy(commandId: string): MangoLegState[] {
    return [...this.legs.values()].filter((leg) => leg.commandId === commandId);
  }

  /**
   * The entry's leg a `route` can still move (control-rules §3.5): not yet answered nor ended, in
   * IVR or a queue, or Appeared at an employee (an intercept); the newest such leg.
   */
  routable(entryId: string): MangoLegState | null {
    let found: MangoLegState | null = null;
    for (const leg of this.legs.values())
      if (leg.entryId === entryId && leg.state === "Appeared" && !leg.connected) found = leg;
    return found;
  }
}
