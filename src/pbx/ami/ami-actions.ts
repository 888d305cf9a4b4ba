import type { Result } from "../../domain/errors.ts";
import { type AmiFrame, amiGet, formatAmiFrame } from "./ami-parser.ts";

/**
 * Actions in flight on one AMI connection, correlated by `ActionID`.
 *
 * AMI answers an action with one `Response:` frame carrying the action's ActionID. List actions
 * (CoreShowChannels, QueueStatus, …) answer `Response: Success` + `EventList: start`, then one
 * event per item and a closing `…Complete` event with `EventList: Complete`, all with the same
 * ActionID, interleaved on the wire with unrelated events. ActionIDs come from one counter per
 * client (`bb-1`, `bb-2`, …) so an answer arriving late on a new connection never matches.
 */
export type AmiErrorCode =
  | "PBX.AMI_ACTION_TIMEOUT"
  | "PBX.AMI_LINK_DOWN"
  | "PBX.AMI_NOT_CONNECTED"
  | "PBX.AMI_LIST_TOO_LONG";

export class AmiError extends Error {
  constructor(
    readonly code: AmiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "AmiError";
  }
}

export interface AmiListResult {
  /** The `Response:` frame. On `Response: Error` no items follow and `complete` is null. */
  readonly response: AmiFrame;
  readonly items: readonly AmiFrame[];
  readonly complete: AmiFrame | null;
}

export type ActionOutcome<T> = Result<T, AmiError>;

interface Pending {
  readonly list: boolean;
  readonly timer: ReturnType<typeof setTimeout>;
  readonly done: (outcome: ActionOutcome<AmiListResult>) => void;
  response: AmiFrame | null;
  items: AmiFrame[];
}

export interface ActionTable {
  /**
   * Send one action with a fresh ActionID (any ActionID given is replaced). `done` is called
   * exactly once, synchronously with the frame that settles it, so a caller can act before the
   * peer's next frame (Asterisk closes right after a failed Login).
   */
  request(
    action: Readonly<Record<string, string>>,
    options: { list: boolean; timeoutMs: number; sent?: (actionId: string) => void },
    done: (outcome: ActionOutcome<AmiListResult>) => void,
  ): string;
  /** True when the frame belonged to an action in flight (and was consumed). */
  route(frame: AmiFrame): boolean;
  /** The link is gone: every action in flight fails with this error. */
  failAll(error: AmiError): void;
  readonly size: number;
}

export function createActionTable(
  write: (text: string) => void,
  nextId: () => string,
  maxListItems = 100_000,
): ActionTable {
  const pending = new Map<string, Pending>();

  const settle = (id: string, outcome: ActionOutcome<AmiListResult>) => {
    const p = pending.get(id);
    if (p === undefined) return;
    pending.delete(id);
    clearTimeout(p.timer);
    p.done(outcome);
  };

  return {
    request(action, options, done) {
      const id = nextId();
      const name = action.Action ?? "";
      const timer = setTimeout(
        () =>
          settle(id, {
            ok: false,
            error: new AmiError(
              "PBX.AMI_ACTION_TIMEOUT",
              `no answer to ${name} within ${options.timeoutMs} ms`,
            ),
          }),
        options.timeoutMs,
      );
      pending.set(id, { list: options.list, timer, done, response: null, items: [] });
      const frame: Record<string, string> = { Action: name, ActionID: id };
      for (const [key, value] of Object.entries(action)) {
        if (key.toLowerCase() !== "action" && key.toLowerCase() !== "actionid") frame[key] = value;
      }
      options.sent?.(id);
      write(formatAmiFrame(frame));
      return id;
    },
    route(frame) {
      const id = amiGet(frame, "ActionID");
      if (id === undefined) return false;
      const p = pending.get(id);
      if (p === undefined) return false;
      if (p.response === null) {
        // An event may carry both `Response` and the ActionID (OriginateResponse does): it is not
        // the action's answer, and it goes on to whoever listens to events.
        if (amiGet(frame, "Response") === undefined || amiGet(frame, "Event") !== undefined) return false;
        p.response = frame;
        if (!p.list || amiGet(frame, "Response")?.toLowerCase() === "error") {
          settle(id, { ok: true, value: { response: frame, items: [], complete: null } });
        }
        return true;
      }
      const eventList = amiGet(frame, "EventList")?.toLowerCase();
      if (eventList === "complete" || amiGet(frame, "Event")?.endsWith("Complete")) {
        settle(id, { ok: true, value: { response: p.response, items: p.items, complete: frame } });
      } else if (p.items.length < maxListItems) {
        p.items.push(frame);
      } else {
        // A list that never ends must not hold memory without bound.
        const error = new AmiError("PBX.AMI_LIST_TOO_LONG", `more than ${maxListItems} list items`);
        settle(id, { ok: false, error });
      }
      return true;
    },
    failAll(error) {
      for (const id of [...pending.keys()]) settle(id, { ok: false, error });
    },
    get size() {
      return pending.size;
    },
  };
}
