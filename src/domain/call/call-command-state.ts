/**
 * A call command's life (issue 15). One guard (`canMove`) allows only these moves, so the store's
 * conditional UPDATE and the service agree on them:
 *
 *   queued ──► sent ──► ringing-employee ──► connected ──► done
 *     │         │  └──────────────────────────►┘ └────────────►┘   (a step may be skipped, never undone)
 *     └─────────┴───────────┴──────────────────┴──► failed | expired | refused
 *
 * `done` needs the command to have been sent. Nothing leaves a settled state (done, failed,
 * expired, refused): a late answer from the PBX after the deadline changes nothing.
 */
export type CallCommandState =
  | "queued"
  | "sent"
  | "ringing-employee"
  | "connected"
  | "done"
  | "failed"
  | "expired"
  | "refused";

export const OPEN_STATES: readonly CallCommandState[] = ["queued", "sent", "ringing-employee", "connected"];

export const SETTLED_STATES: ReadonlySet<CallCommandState> = new Set([
  "done",
  "failed",
  "expired",
  "refused",
]);

/** For each state, the states it may be reached from. */
export const COMMAND_MOVES_FROM: Readonly<Record<CallCommandState, readonly CallCommandState[]>> = {
  queued: [],
  sent: ["queued"],
  "ringing-employee": ["sent"],
  connected: ["sent", "ringing-employee"],
  done: ["sent", "ringing-employee", "connected"],
  failed: OPEN_STATES,
  expired: OPEN_STATES,
  refused: OPEN_STATES,
};

export const canMove = (from: CallCommandState, to: CallCommandState): boolean =>
  COMMAND_MOVES_FROM[to].includes(from);

export const isSettled = (state: CallCommandState): boolean => SETTLED_STATES.has(state);
