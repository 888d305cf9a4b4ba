import type { UserAgent } from "sip.js";
import type { Logger } from "../../log/logger.ts";
import type { DialogInfo } from "./dialog-info.ts";

/** What the controller borrows from the SIP source's link (index.ts): it opens no link of its own. */
export interface SipControlLink {
  /** The link's user agent while it is up (connected, subscriptions under way), else null. */
  ua(): UserAgent | null;
  /** Every dialog-info document of a watched extension as it arrives; returns the unsubscribe. */
  watch(listener: (extension: string, info: DialogInfo) => void): () => void;
}

export interface SipControlOptions {
  /** The source's name, e.g. "sip:127.0.0.1:8080". */
  readonly name: string;
  /** The SIP domain of the extensions' and numbers' URIs (the source's). */
  readonly domain: string;
  readonly link: SipControlLink;
  readonly log: Logger;
  readonly now: () => number;
  /** How many commands' answers are remembered for repeats (the oldest go first). */
  readonly rememberCommands?: number;
}
