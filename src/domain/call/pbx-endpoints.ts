import type { Instant } from "../roster/types.ts";

/**
 * An endpoint whose channels the box saw but could not place: no desk, employee or
 * `[pbx.ami] handsets` entry names it (nor the caller id it presented), it is no Local channel and
 * its context is no trunk context. Its calls have no leg of it: branch IT adds it where it belongs.
 */
export interface UnplacedEndpoint {
  /** `PJSIP/reception-a`: the channel name without its sequence suffix. */
  readonly endpoint: string;
  /** The dialplan context of its last channel. */
  readonly context: string | null;
  /** The caller id its last channel presented. */
  readonly callerId: string | null;
  /** Channels of it seen (since it was first remembered). */
  readonly seen: number;
  readonly firstSeen: Instant;
  readonly lastSeen: Instant;
}

/**
 * Where a source keeps its unplaced endpoints across restarts (the box's database), so /admin
 * still lists a phone that called last week and `branchbox doctor` (another process) reads them.
 * ALWAYS: `save` replaces the source's whole list (bounded by the source); `load` returns what the
 * last `save` wrote. A failing store throws: the source logs it and keeps its list in memory.
 */
export interface UnplacedEndpointStore {
  load(source: string): UnplacedEndpoint[];
  save(source: string, endpoints: readonly UnplacedEndpoint[]): void;
}

/**
 * One endpoint of the PBX's own list (PJSIPShowEndpoints, SIPpeers) as the box judges it:
 * - `mapped`: a desk's, an employee's or a `[pbx.ami] handsets` extension: its calls have legs;
 * - `guessed`: no extension the box knows, taken for a phone by FreePBX's conventions (profile);
 * - `trunk`: looks like a line to a provider or another PBX (see `why`), never a handset;
 * - `unmapped`: a phone nobody owns: its calls will have no leg until it is mapped.
 */
export type PbxEndpointKind = "mapped" | "guessed" | "trunk" | "unmapped";

export interface PbxEndpoint {
  /** `PJSIP/101`, `SIP/6001`. */
  readonly endpoint: string;
  readonly kind: PbxEndpointKind;
  /** For a trunk: what the list showed (`outbound auth dcs-auth`, `static host 192.0.2.1`). */
  readonly why: string | null;
  /** The PBX's word on it (PJSIP DeviceState, chan_sip Status). */
  readonly state: string | null;
}

/** How one list action went: answered, not there (no chan_sip), refused (the AMI user's class), failed. */
export interface PbxEndpointQuery {
  readonly action: string;
  readonly outcome: "listed" | "absent" | "denied" | "failed";
  /** The PBX's message, or how many endpoints it listed. */
  readonly detail: string;
  readonly count: number;
}

/** The PBX's endpoint list as read at a login, bounded: `endpoints` keeps at most a few hundred. */
export interface PbxEndpointList {
  readonly at: Instant;
  readonly queries: readonly PbxEndpointQuery[];
  readonly endpoints: readonly PbxEndpoint[];
  /** Per kind, over every endpoint listed (also those beyond the bound). */
  readonly counts: Readonly<Record<PbxEndpointKind, number>>;
}
