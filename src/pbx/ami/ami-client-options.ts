import type { PbxSourceStatus } from "../../domain/call/pbx-event.ts";
import { type BackoffOptions, DEFAULT_BACKOFF } from "../../lib/backoff.ts";
import type { Logger } from "../../log/logger.ts";
import type { AmiListResult } from "./ami-actions.ts";
import type { AmiFrame, AmiParserLimits } from "./ami-parser.ts";

/** Options of `createAmiClient` (see ami-client.ts for the link's behaviour). */
export interface AmiClientOptions {
  readonly host: string;
  readonly port: number;
  readonly username: string;
  readonly secret: string;
  readonly log: Logger;
  /** Every frame that is not the answer to one of our actions (events, unknown ones too). */
  readonly onFrame: (frame: AmiFrame) => void;
  /** The `CoreShowChannel` items after each successful (re)login, before any later event. */
  readonly onResync: (channels: readonly AmiFrame[]) => void;
  readonly onState?: (status: AmiClientStatus) => void;
  /** Login `Events:` classes: call (channels, bridges, transfers), dialplan (Newexten, VarSet), agent (queues). */
  readonly events?: string;
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  readonly actionTimeoutMs?: number;
  /** TCP connect + banner + Login answer. */
  readonly connectTimeoutMs?: number;
  /** A link that stayed up this long resets the backoff. */
  readonly healthyAfterMs?: number;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  readonly now?: () => number;
  readonly limits?: Partial<AmiParserLimits>;
  /** Events held back during a resync, at most; beyond it the link is dropped and resynced again. */
  readonly maxHeldFrames?: number;
  /** Sees the wire as it passes (the raw capture for support); absent: nothing does. */
  readonly tap?: AmiWireTap;
}

/**
 * The AMI wire as it passes, both ways, for a capture. Called synchronously on the link's path:
 * an implementation only copies, and never throws.
 */
export interface AmiWireTap {
  /** A new connection: what is received next is its bytes, banner first. */
  opened(): void;
  /** Bytes from the PBX, exactly as read from the socket (split anywhere). */
  received(chunk: Uint8Array): void;
  /** An action the box wrote, as AMI text (the Login with its Secret among them). */
  sent(text: string): void;
  /** The connection is gone, and why. */
  closed(reason: string): void;
}

type Defaulted =
  | "events"
  | "pingIntervalMs"
  | "pingTimeoutMs"
  | "actionTimeoutMs"
  | "connectTimeoutMs"
  | "healthyAfterMs"
  | "backoff"
  | "random"
  | "now"
  | "maxHeldFrames";

/** Every optional setting's default; `Required` makes the compiler insist each has one. */
export const AMI_CLIENT_DEFAULTS: Required<Pick<AmiClientOptions, Defaulted>> = {
  events: "call,dialplan,agent,user",
  pingIntervalMs: 15_000,
  pingTimeoutMs: 5_000,
  actionTimeoutMs: 10_000,
  connectTimeoutMs: 10_000,
  healthyAfterMs: 10_000,
  backoff: DEFAULT_BACKOFF,
  random: Math.random,
  now: Date.now,
  maxHeldFrames: 100_000,
};

export interface AmiClientStatus extends PbxSourceStatus {
  /** The server's banner ("Asterisk Call Manager/9.0.0") of the current or last connection. */
  readonly banner: string | null;
  /** Failed attempts in the current streak (0 once a link stayed healthy). */
  readonly attempt: number;
  /** The delay before the next attempt, while one is scheduled. */
  readonly retryInMs: number | null;
}

export interface AmiClient {
  start(): void;
  /** Logoff, close, and no more reconnects. Resolves once the socket is closed. */
  stop(): Promise<void>;
  status(): AmiClientStatus;
  /**
   * One action on the logged-in link; resolves with its `Response:` frame, Error included. `sent`
   * is called with the action's ActionID synchronously as it is written, before any answer can
   * be read (a controller matches the events the action causes by it); not called when nothing
   * was written (no link: the promise rejects `PBX.AMI_NOT_CONNECTED` or `PBX.AMI_LINK_DOWN`).
   */
  send(action: Readonly<Record<string, string>>, sent?: (actionId: string) => void): Promise<AmiFrame>;
  /** A list action (`EventList: start` … `Complete`): the response and its items. */
  sendList(action: Readonly<Record<string, string>>): Promise<AmiListResult>;
}
