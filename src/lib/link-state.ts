import { type BackoffOptions, createBackoff } from "./backoff.ts";

/**
 * Where a link to a peer stands: the AMI socket, the SIP WebSocket, the relay's and HQ's MQTT
 * connections. One machine for the four, so "connect, back off, retry until stopped" is written once.
 *
 * ```
 *             start()               up()
 *   stopped ─────────► connecting ───────► connected
 *      ▲                 │     ▲               │
 *      │          down() │     │ retry timer   │ down()
 *      │                 ▼     │               │
 *      │              backing-off ◄────────────┘
 *      │
 *      │ teardown done             stop()
 *      └─────────────── stopping ◄──────── connecting, connected, backing-off
 * ```
 * Every move goes through one guard (`checkLinkMove`), which refuses any other with
 * `LINK.ILLEGAL_TRANSITION`.
 *
 * The owner opens each connection in `connect` and reports it `up()` or `down()`; what a connection
 * is, and which one is current, stays the owner's (the relay's generation, the AMI client's
 * per-socket flag): the machine cannot tell a stale connection's report from the current one's.
 * While `stopping` or `stopped`, reports are ignored: closing a connection in the teardown makes it
 * report down, and an attempt may still complete. What differs between the four stays with them:
 * how they show a state (AMI's `auth-failed`, a retry shown as `backing-off`, the relay's
 * `disabled`), when a link counts as healthy, the relay's epoch per connect, the SIP source's
 * backoff per extension.
 */
export type LinkState = "stopped" | "connecting" | "connected" | "backing-off" | "stopping";

/** The moves the diagram draws, from each state. */
export const LINK_MOVES: Readonly<Record<LinkState, readonly LinkState[]>> = {
  stopped: ["connecting"],
  connecting: ["connected", "backing-off", "stopping"],
  connected: ["backing-off", "stopping"],
  "backing-off": ["connecting", "stopping"],
  stopping: ["stopped"],
};

/** A move, and for `backing-off` why the link went down and when it is tried again. */
export type LinkMove<Why> =
  | { readonly to: Exclude<LinkState, "backing-off"> }
  | {
      readonly to: "backing-off";
      readonly why: Why;
      /** The delay drawn before the next attempt. */
      readonly retryInMs: number;
      /** Failed attempts in the current streak, this one included. */
      readonly attempt: number;
    };

export type LinkChange<Why> = LinkMove<Why> & { readonly from: LinkState };

/** The move the machine does not allow: a bug in its owner. */
export class LinkStateError extends Error {
  readonly code = "LINK.ILLEGAL_TRANSITION";
  constructor(
    readonly from: LinkState,
    readonly to: LinkState,
  ) {
    super(`link: ${from} → ${to} is not a legal move`);
  }
}

/** The one guard: a move the diagram does not draw is a bug in the owner. */
export function checkLinkMove(from: LinkState, to: LinkState): void {
  if (!LINK_MOVES[from].includes(to)) throw new LinkStateError(from, to);
}

/** A timer for the retry; the Timer port (src/service/timer.ts) and test/support/fake-timer.ts fit. */
export interface RetryTimer {
  /** Calls `fn` once after `ms`; the function returned cancels it. */
  after(ms: number, fn: () => void): () => void;
}

const realTimer: RetryTimer = {
  after(ms, fn) {
    const handle = setTimeout(fn, ms);
    return () => clearTimeout(handle);
  },
};

export interface LinkMachineOptions {
  readonly backoff: BackoffOptions;
  readonly random?: () => number;
  /** Opens one connection attempt, in `connecting`: on start() and when the retry timer fires. */
  readonly connect: () => void;
  readonly timer?: RetryTimer;
}

export interface LinkMachine<Why = string> {
  readonly state: LinkState;
  /** Failed attempts in the current streak (0 after start() or healthy()). */
  readonly attempt: number;
  /** stopped → connecting (a fresh backoff), then `connect`. Does nothing while the link runs. */
  start(): void;
  /** The attempt succeeded: connecting → connected. False (and nothing moves) while stopping or stopped. */
  up(): boolean;
  /**
   * The connection failed or was lost: → backing-off, with the next attempt after a full-jitter
   * delay (src/lib/backoff.ts), which it returns. Null (and nothing moves) while stopping or stopped.
   */
  down(why: Why): number | null;
  /** The link proved healthy (by the owner's measure): the next failure waits from the base again. */
  healthy(): void;
  /**
   * → stopping: the pending retry is cancelled and `teardown` (called at once, with the state the
   * link was in) closes the connection; → stopped once it settles. A second call while stopping
   * returns the same promise; on a stopped link it resolves at once.
   */
  stop(teardown?: (from: LinkState) => Promise<void> | void): Promise<void>;
  /** Calls `listener` after every move, in order; it must not throw. Returns the unsubscribe. */
  onChange(listener: (change: LinkChange<Why>) => void): () => void;
}

export function createLinkMachine<Why = string>(options: LinkMachineOptions): LinkMachine<Why> {
  const timer = options.timer ?? realTimer;
  const backoff = createBackoff(options.backoff, options.random);
  const listeners = new Set<(change: LinkChange<Why>) => void>();
  let state: LinkState = "stopped";
  let cancelRetry: (() => void) | null = null;
  let stopping: Promise<void> | null = null;

  const guard = (to: LinkState) => checkLinkMove(state, to);

  const transition = (move: LinkMove<Why>) => {
    guard(move.to);
    const change: LinkChange<Why> = { ...move, from: state };
    state = move.to;
    for (const listener of [...listeners]) listener(change);
  };

  const open = () => {
    transition({ to: "connecting" });
    // A listener may have stopped the link already.
    if (state === "connecting") options.connect();
  };

  const quiet = () => state === "stopping" || state === "stopped";

  return {
    get state() {
      return state;
    },
    get attempt() {
      return backoff.attempt;
    },
    start() {
      if (state === "connecting" || state === "connected" || state === "backing-off") return;
      guard("connecting");
      backoff.reset();
      open();
    },
    up() {
      if (quiet()) return false;
      transition({ to: "connected" });
      return true;
    },
    down(why) {
      if (quiet()) return null;
      guard("backing-off");
      const retryInMs = backoff.next();
      // Armed before the listeners hear of it: one that stops the link cancels it.
      cancelRetry = timer.after(retryInMs, () => {
        cancelRetry = null;
        open();
      });
      transition({ to: "backing-off", why, retryInMs, attempt: backoff.attempt });
      return retryInMs;
    },
    healthy() {
      backoff.reset();
    },
    stop(teardown) {
      if (stopping !== null) return stopping;
      if (state === "stopped") return Promise.resolve();
      const from = state;
      cancelRetry?.();
      cancelRetry = null;
      transition({ to: "stopping" });
      let closed: Promise<void>;
      try {
        closed = Promise.resolve(teardown?.(from));
      } catch (error) {
        closed = Promise.reject(error);
      }
      stopping = closed.finally(() => {
        stopping = null;
        transition({ to: "stopped" });
      });
      return stopping;
    },
    onChange(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
