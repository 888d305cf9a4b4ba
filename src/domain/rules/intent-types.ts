/**
 * The CRM's intents (R3.4–R3.10, R2.7): what headquarters' CRM must do after a call, decided by the
 * box from the call record, the roster and HQ's client directory, and sent on `up/intents` in the
 * commit that records the call. The box never talks to the CRM; HQ's connector carries them out.
 *
 * Every intent names its call (`callId`), the matrix cell that made it (`rule`) and why, in one
 * English sentence (`reason`). Its record id (`Intent.id`) is stable: HQ and the CRM dedupe by it.
 */

/** The matrix cells that make intents. R3.8c makes none: an outgoing call to a number the CRM lacks. */
export type IntentRule =
  | "R2.7"
  | "R3.4"
  | "R3.5a"
  | "R3.5b"
  | "R3.5c"
  | "R3.6a"
  | "R3.6b"
  | "R3.7a"
  | "R3.7b"
  | "R3.8a"
  | "R3.8b"
  | "R3.9a"
  | "R3.9b"
  | "R3.10";

export const TASK_PURPOSES = [
  "call-logged",
  "review-call",
  "distribute",
  "call-back",
  "check-settings",
] as const;
/**
 * - `call-logged`: the call happened, the task is its entry (completed, with the recording);
 * - `review-call`: someone else talked to the responsible's client: listen and check (open);
 * - `distribute`: a missed call for the senior manager to hand to the right person (open);
 * - `call-back`: the client left a voicemail or was missed: call them back (open);
 * - `check-settings`: answered on an extension that maps to nobody: fix the mapping, reassign (open).
 */
export type TaskPurpose = (typeof TASK_PURPOSES)[number];

interface IntentHead {
  readonly callId: string;
  readonly rule: IntentRule;
  readonly reason: string;
  /** The client's number, E.164: how HQ finds the client (or the one created by the same call). */
  readonly number: string;
}

export interface ClientCreate extends IntentHead {
  /** Null: nobody to name (no senior manager configured); the CRM's own default applies. */
  readonly responsibleEmployeeId: string | null;
}

export interface OrderCreate extends IntentHead {
  /** HQ's client id; null for the client created by the same call (found by `number`). */
  readonly clientId: string | null;
  readonly responsibleEmployeeId: string | null;
  /** The company number dialled (an inbound call's DID), as the PBX gave it. */
  readonly did: string | null;
}

export interface TaskCreate extends IntentHead {
  readonly clientId: string | null;
  /** Null only where the senior manager is meant and none is configured. */
  readonly assigneeEmployeeId: string | null;
  readonly status: "completed" | "open";
  readonly purpose: TaskPurpose;
  /** The PBX's recording of the call (or of the voicemail), when there is one. */
  readonly recordingUrl: string | null;
}

export interface ClientReopen extends IntentHead {
  readonly clientId: string;
}

export interface ClientReassign extends IntentHead {
  readonly clientId: string;
  /** The former responsible; null when the client had none. */
  readonly from: string | null;
  readonly to: string;
}

export interface UnsortedCreate extends IntentHead {
  readonly did: string | null;
  /** The pipeline of the dialled DID, else the default; null: the CRM's own default pipeline. */
  readonly pipeline: string | null;
}

export type Intent =
  | { readonly id: string; readonly type: "crm.client.create"; readonly data: ClientCreate }
  | { readonly id: string; readonly type: "crm.order.create"; readonly data: OrderCreate }
  | { readonly id: string; readonly type: "crm.task.create"; readonly data: TaskCreate }
  | { readonly id: string; readonly type: "crm.client.reopen"; readonly data: ClientReopen }
  | { readonly id: string; readonly type: "crm.client.reassign"; readonly data: ClientReassign }
  | { readonly id: string; readonly type: "crm.unsorted.create"; readonly data: UnsortedCreate };

export type IntentType = Intent["type"];

/** What was sent to HQ on `up/intents` for one call (its first part's id). */
export interface CallIntents {
  /** R3.10: the client and order went when the call started. */
  readonly started: boolean;
  /** The after-call intents went: the call is never decided again. */
  readonly decided: boolean;
  /** Every intent sent for the call, in order. */
  readonly intents: readonly Intent[];
  /** Why the after-call decision made none. */
  readonly none: string | null;
}

/**
 * R3.10: when the CRM creates a new number's client and order. `create-after-call` (the default):
 * once the call is over, on whoever the matrix names. `create-before-pickup`: as the call starts,
 * always on the senior manager.
 */
export type CrmMode = "create-after-call" | "create-before-pickup";

/**
 * A new number's inbound call: `create-client` (retailCRM's matrix: a client and an order, R3.4,
 * R3.7b, R3.9a) or `unsorted` (amoCRM's "unsorted", R2.7: the CRM makes the contact itself).
 */
export type UnknownNumbers = "create-client" | "unsorted";

export interface CrmSettings {
  /** R3.5c, R3.7, R3.9a, R3.10: who is given what nobody else can take; null: none configured. */
  readonly seniorManagerId: string | null;
  readonly mode: CrmMode;
  readonly unknownNumbers: UnknownNumbers;
  /** R2.7: the pipeline per dialled company number (DID), in any form `normalise` reads. */
  readonly unsortedPipelines: Readonly<Record<string, string>>;
  /** R2.7: the pipeline of any other DID; null: the CRM's default. */
  readonly defaultPipeline: string | null;
}

/** What headquarters' client directory says of a number (R3.5–R3.9). */
export interface KnownClient {
  readonly clientId: string;
  /** The client's responsible manager; null when the CRM names none. */
  readonly responsibleEmployeeId: string | null;
  /** The client has an order open now. */
  readonly openOrder: boolean;
  /** R3.6: no open order, and the last one is closed ("a client from before"). */
  readonly lastOrderClosed: boolean;
}

/** What the decision reads besides the call record. Pure functions: the edge wires the directory. */
export interface IntentFacts {
  /** The E.164 form of a number as the PBX gave it; null when it has none ("unknown", an extension). */
  normalise(number: string): string | null;
  /** HQ's directory entry of an E.164 number; null: a new number. */
  client(e164: string): KnownClient | null;
  readonly settings: CrmSettings;
}
