import type { AssembledCall, CallDirection, CallRecord } from "../domain/call/call-types.ts";
import type { PbxSourceStatus } from "../domain/call/pbx-event.ts";
import type { Instant } from "../domain/roster/types.ts";
import type { CallIntents } from "../store/call-intents-store.ts";
import type { CallQuery } from "../store/call-store.ts";
import type { PbxGap } from "../store/pbx-gap-store.ts";

export type { PbxGap } from "../store/pbx-gap-store.ts";

export type { CallQuery };

/**
 * A call card on the branch's screens:
 * - `waiting`: not answered yet (queued or ringing): a red card on every screen (R0.1);
 * - `answered`: the owner's card (R0.2, R0.3, R3.1), or the senior manager's when the extension
 *   maps to nobody (R3.2); no card for an unmapped employee (R1.4);
 * - `missed`: for the managers (R3.3), for a while after the call ended.
 */
export interface CallCard {
  readonly callId: string;
  readonly state: "waiting" | "answered" | "missed";
  readonly direction: CallDirection;
  /** The client's number (the other party's, for an outbound call). */
  readonly number: string | null;
  /** The client's name from the headquarters directory, when known (a later issue). */
  readonly clientName: string | null;
  readonly did: string | null;
  /** The extension ringing or talking; null while queued. */
  readonly extension: string | null;
  readonly ownerEmployeeId: string | null;
  /** Who should see the card: every screen of the branch, or only these employees' and their desks'. */
  readonly audience: "everyone" | readonly string[];
  /** Since when the card is in this state. */
  readonly since: Instant;
}

/** The PBX side as branch IT sees it on /admin: each source's link, and what the pipeline did. */
export interface PbxView {
  readonly sources: readonly { readonly name: string; readonly status: PbxSourceStatus }[];
  readonly pipeline: {
    readonly received: number;
    readonly duplicates: number;
    readonly rejected: number;
    readonly recorded: number;
    /** CRM intents written for HQ, and calls that made none for want of an E.164 client number. */
    readonly intents: number;
    readonly unnumbered: number;
    readonly lastRejection: string | null;
    /** Entries of each table the pipeline keeps in memory (see CallPipeline.tables). */
    readonly tables: Readonly<Record<string, number>>;
  };
  /** The newest gaps in the PBX links (issue 13); absent where none are kept. */
  readonly gaps?: readonly PbxGap[];
}

/** What the API, the admin page and the call cards may ask of the calls. */
export interface CallsPort {
  /** Finished calls, newest first. */
  list(query: CallQuery): CallRecord[];
  /** One finished call's record by its id; null when there is none. */
  get(id: string): CallRecord | null;
  /** What the box sent HQ's CRM for a call (its first part's id), or why nothing; null: not decided. */
  intentsOf(callId: string): CallIntents | null;
  /** Calls going on now, as the assembler knows them. */
  live(): AssembledCall[];
  /** The cards to show now: live calls, and missed calls of the last few minutes. */
  cards(now: Instant): CallCard[];
  /** Called after each commit with the live calls that changed and the records written. */
  subscribe(listener: CallsListener): () => void;
}

/** The live calls a commit changed, the records it wrote, and how many CRM intents it sent (issue 16). */
export type CallsListener = (
  changed: readonly AssembledCall[],
  recorded: readonly CallRecord[],
  intents?: number,
) => void;
