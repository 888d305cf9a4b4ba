import type { Hono } from "hono";
import type { PbxControl } from "../domain/call/pbx-control.ts";
import type { PbxEndpointList, UnplacedEndpointStore } from "../domain/call/pbx-endpoints.ts";
import type { PbxEvent, PbxEventSource } from "../domain/call/pbx-event.ts";
import type { PbxHistory } from "../domain/call/pbx-history.ts";
import type { NumberRules } from "../domain/rules/phone-number.ts";
import type { RoutingSource } from "../domain/rules/routing-port.ts";
import type { Logger } from "../log/logger.ts";

/**
 * What a PBX source's folder (`src/pbx/<key>/index.ts`) gives the registry; `A` says what else
 * its adapter owns (AMI: the client, for a controller to share).
 */
export interface PbxModule<Section, A extends PbxAdapter = PbxAdapter> {
  /** Builds the adapter from its config section; starts nothing (the composition root does). */
  create(section: Section, deps: PbxDeps): A;
  /**
   * `branchbox doctor`'s short visit: reach the PBX, prove the settings, leave. `known`: the
   * branch's extensions as doctor reads them (desks', staff's), to judge the PBX's endpoints.
   */
  probe(section: Section, known?: ReadonlySet<string>): Promise<PbxProbeResult>;
}

export interface PbxDeps {
  readonly log: Logger;
  readonly now: () => number;
  /** The calls of a source the box holds live (replayed from the journal), for the resync. */
  readonly liveCalls: (source: string) => readonly string[];
  /** The branch's extensions as the roster knows them now (desks' and staff's). */
  readonly knownExtensions: () => ReadonlySet<string>;
  /** The branch's time zone ([branch] timezone): a PBX's records are in it unless its section says. */
  readonly timeZone?: string;
  /**
   * The source's link came up at `at` (at start, after every reconnect): the composition root
   * records the gap since it was last up and reads it back from `history` (the PBX's own records,
   * null when the source has none). The source delivers what it returns before anything else of
   * the new link. Never rejects. Absent: no gaps are kept (tests, `replay`).
   */
  readonly linkUp?: (source: string, at: number, history: PbxHistory | null) => Promise<readonly PbxEvent[]>;
  /** Where a source keeps the endpoints it could not place across restarts. */
  readonly unplacedStore?: UnplacedEndpointStore;
  /**
   * Issue 16: the routing a PBX that routes by the box's rules reads (AMI: the AstDB push and the
   * FastAGI server). Absent: the source routes nothing (tests, `replay`).
   */
  readonly routing?: RoutingSource;
  /** `[numbers]`: how the PBX writes outside numbers (the dialplan's lookup of a caller). */
  readonly numbers?: NumberRules;
  /**
   * Issue 17: the records of the `pbx` down stream (a cloud PBX's events HQ relays), kept by the
   * inbox's commit. Absent: a source that reads them has nothing to read (tests, `replay`).
   */
  readonly downStream?: PbxDownStream;
  /**
   * Issue 17: where a cloud PBX's control puts the commands headquarters sends for the box
   * (`pbx.command` on up/replies). Absent: no `[mqtt] url` (or tests): such a control acts on nothing.
   */
  readonly upCommands?: PbxCommandSink;
}

/** A command for a cloud PBX that only headquarters may call (docs/contract.md "Cloud PBX commands"). */
export interface PbxUpCommand {
  readonly commandId: string;
  readonly pbx: "mango";
  /** The path under Mango's `commands/`. */
  readonly command: string;
  /** The command's fields as the PBX's API names them, without `command_id`. */
  readonly params: Readonly<Record<string, unknown>>;
  /** The request's deadline: HQ never sends it at or after this instant. */
  readonly expiresAt: number;
}

export interface PbxCommandSink {
  /**
   * Puts the command in the box's outbox (up/replies, record id = commandId) in its own commit and
   * wakes the relay: durable once it returns. Throws when the store refused it (nothing written).
   */
  send(command: PbxUpCommand): void;
}

/** One record of the `pbx` down stream as the box keeps it: `data` as the inbox checked it. */
export interface PbxDownRow {
  /** Arrival order. */
  readonly n: number;
  readonly seq: number;
  /** `mango.event` (the source's) or `mango.result` (the control's). */
  readonly type: string;
  readonly id: string;
  readonly data: unknown;
  /** When the box's inbox committed it (the box's clock). */
  readonly receivedAt: number;
}

/** The `pbx` down stream's kept records, for the source that reads them (`[pbx.mango]`). */
export interface PbxDownStream {
  /** Whether the box talks to headquarters at all (`[mqtt] url`): nothing arrives otherwise. */
  readonly relayed: boolean;
  /** Rows not consumed yet, in arrival order. */
  pending(): readonly PbxDownRow[];
  /** Rows received at or after `since`, consumed or not, and every one not consumed, in arrival order. */
  since(since: number): readonly PbxDownRow[];
  /** Rows after arrival number `n`, consumed or not, in arrival order (a reader's own cursor). */
  after(n: number): readonly PbxDownRow[];
  /** Every row up to `n` is in the journal. */
  consume(n: number, now: number): void;
  /** Called after each commit of the inbox that kept new rows. */
  subscribe(listener: () => void): () => void;
}

export interface PbxAdapter {
  readonly source: PbxEventSource;
  /**
   * What the source receives over HTTP (phones' Action URLs, webhooks), mounted at `/pbx/<key>`
   * behind the box's Host and CSRF checks but not the admin token: the routes authenticate their
   * own callers. Absent for a source that connects out (AMI, SIP).
   */
  readonly routes?: Hono;
  /** The PBX's own record of its calls (CEL), when its section names one: gaps and backfills read it. */
  readonly history?: PbxHistory | null;
  /**
   * Acting on the PBX (issue 15: click-to-call, hang up, transfer), when this adapter can; it shares
   * the source's link. The composition root gives the command service the first adapter's that has
   * one; absent everywhere, commands are refused `COMMAND.NO_PBX` and HQ's `unsupported`.
   */
  readonly control?: PbxControl;
}

export interface PbxProbeResult {
  readonly ok: boolean;
  /** What was found (never a secret). */
  readonly detail: string;
  /** What to do, when not ok. */
  readonly fix?: string;
  /** The PBX's own endpoint list, judged, when the source can read one. */
  readonly endpoints?: PbxEndpointList;
  /** Something that works, but not fully (issue 16: no `system` class for the AstDB push): doctor's WARN line. */
  readonly warning?: { readonly detail: string; readonly fix: string };
}
