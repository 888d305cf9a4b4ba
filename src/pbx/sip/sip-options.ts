import { type BackoffOptions, DEFAULT_BACKOFF } from "../../lib/backoff.ts";
import type { Logger } from "../../log/logger.ts";
import type { DialogInfoLimits } from "./dialog-info.ts";

/** Options of `createSipSource` (see index.ts for the watcher's behaviour). */
export interface SipSourceOptions {
  /** The SIP server's WebSocket, `ws://pbx:8080` or `wss://pbx:8089/ws`. */
  readonly wsUrl: string;
  /** Extensions to watch: one dialog subscription each. */
  readonly extensions: readonly string[];
  /** The SIP domain of the extensions' URIs; default: the WebSocket's host. */
  readonly domain?: string;
  /** The watcher's own user (and digest user); default "branchbox". */
  readonly username?: string;
  /** Digest password, when the server challenges SUBSCRIBE or REGISTER. Never logged. */
  readonly password?: string;
  /** REGISTER the watcher (servers that only accept SUBSCRIBE from registered users). */
  readonly register?: boolean;
  readonly log: Logger;
  readonly now?: () => number;
  /** The calls of this source the box believes live (after a restart: replayed from the journal). */
  readonly liveCalls?: (source: string) => readonly string[];
  /** The link came up (see PbxDeps.linkUp): dialog subscriptions keep no history, so only the gap is kept. */
  readonly linkUp?: (source: string, at: number, history: null) => Promise<unknown>;
  /** Subscription length asked for; sip.js refreshes it before it runs out. */
  readonly expiresSec?: number;
  /** WebSocket connect and first answer. */
  readonly connectTimeoutMs?: number;
  /** An OPTIONS ping on the link this often; no answer within `pingTimeoutMs` drops the link. */
  readonly pingIntervalMs?: number;
  readonly pingTimeoutMs?: number;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  readonly limits?: DialogInfoLimits;
}

type Defaulted =
  | "username"
  | "register"
  | "now"
  | "liveCalls"
  | "expiresSec"
  | "connectTimeoutMs"
  | "pingIntervalMs"
  | "pingTimeoutMs"
  | "backoff"
  | "random";

/** Every optional setting's default; `Required` makes the compiler insist each has one. */
export const SIP_SOURCE_DEFAULTS: Required<Pick<SipSourceOptions, Defaulted>> = {
  username: "branchbox",
  register: false,
  now: Date.now,
  liveCalls: () => [],
  expiresSec: 600,
  connectTimeoutMs: 10_000,
  pingIntervalMs: 30_000,
  pingTimeoutMs: 5_000,
  backoff: DEFAULT_BACKOFF,
  random: Math.random,
};
