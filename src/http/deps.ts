import type { Config } from "../config/schema.ts";
import type { Logger } from "../log/logger.ts";
import type { CallsPort, PbxView } from "../service/calls-port.ts";
import type { RosterPort } from "../service/roster-port.ts";

/** What every route module gets from the composition root. */
export interface HttpDeps {
  readonly config: Config;
  readonly roster: RosterPort;
  readonly calls: CallsPort;
  /** The PBX links and the call pipeline's counters. */
  readonly pbx: () => PbxView;
  readonly log: Logger;
  /** Milliseconds since the epoch; tests pass a fake. */
  readonly now: () => number;
  readonly version: string;
}
