import type { Config } from "../config/schema.ts";
import type { RouteExplanation } from "../domain/rules/routing-port.ts";
import type { Logger } from "../log/logger.ts";
import type { CallCommandsPort } from "../service/call-command-port.ts";
import type { CallsPort, PbxGap, PbxView } from "../service/calls-port.ts";
import type { DevicePairing } from "../service/device-pairing.ts";
import type { PhonesPort } from "../service/phones.ts";
import type { RosterPort } from "../service/roster-port.ts";
import type { RulesSettingsPort } from "../service/rules-facts.ts";
import type { InboundStatus } from "../sync/inbound/inbound-types.ts";
import type { RelayStatus } from "../sync/relay/index.ts";

/** What every route module gets from the composition root. */
export interface HttpDeps {
  readonly config: Config;
  readonly roster: RosterPort;
  readonly calls: CallsPort;
  /** The PBX links and the call pipeline's counters. */
  readonly pbx: () => PbxView;
  /**
   * Reads a period back from the PBX's records (`branchbox backfill`); one listed gap per source
   * that keeps a history, none when no source does. Absent in tests that do not need it.
   */
  readonly backfill?: (window: { from: number; to: number }) => Promise<readonly PbxGap[]>;
  /** The link to headquarters; null when sync is off ([mqtt] url empty). */
  readonly sync: () => RelayStatus | null;
  /** What headquarters sent down: per stream, rejections, the client directory, commands. */
  readonly inbound: () => InboundStatus;
  /** Routing decisions the PBX carried out for a call, with their reasons (issue 16). */
  readonly routeDecisions: (callId: string) => readonly RouteExplanation[];
  /** Acting on calls: click-to-call, hang up, transfer (issue 15). */
  readonly commands: CallCommandsPort;
  /** Absences (R4.7) and no-answer forwarding (R4.1–R4.4): the kiosk's screens and the API. */
  readonly rules: RulesSettingsPort;
  /** The kiosk and desk screens paired with the box (issue 14, item 8). */
  readonly devices: DevicePairing;
  /** The desk phones' action URLs (issue 17): presence, DND, who picked up; never a call. */
  readonly phones: PhonesPort;
  readonly log: Logger;
  /** Milliseconds since the epoch; tests pass a fake. */
  readonly now: () => number;
  readonly version: string;
}
