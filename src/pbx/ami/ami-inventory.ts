import type {
  PbxEndpointList,
  UnplacedEndpoint,
  UnplacedEndpointStore,
} from "../../domain/call/pbx-endpoints.ts";
import type { Logger } from "../../log/logger.ts";
import type { AmiClient } from "./ami-client-options.ts";
import { ENDPOINT_ACTIONS, type EndpointAnswer, type Placement, readEndpointLists } from "./ami-endpoints.ts";
import { UnplacedEndpoints } from "./ami-unplaced.ts";

export interface AmiInventoryOptions {
  readonly source: string;
  /** Where the unplaced endpoints survive a restart; null: memory only. */
  readonly store: UnplacedEndpointStore | null;
  /** Whether a remembered endpoint is still unplaced by the translator's rules now. */
  readonly stillUnplaced: (entry: UnplacedEndpoint) => boolean;
  readonly log: Logger;
  readonly now: () => number;
  /** How long a change waits before it is written (changes meanwhile go in the same write). */
  readonly saveAfterMs?: number;
}

/**
 * What branch IT is shown of the PBX beyond calls: the endpoints the box saw and could not place
 * (kept across restarts, written at most once per `saveAfterMs` and only when changed, never on
 * the event path), and the PBX's own endpoint list, read after each login. Neither may cost the
 * link: a refused or failed list is reported as such, a failing store is logged.
 */
export class AmiInventory {
  readonly unplaced = new UnplacedEndpoints();
  private endpoints: PbxEndpointList | null = null;
  private saved: number;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: AmiInventoryOptions) {
    try {
      this.unplaced.restore(options.store?.load(options.source) ?? []);
    } catch (error) {
      options.log.warn("unplaced endpoints not read from the database", { error });
    }
    this.saved = this.unplaced.version;
  }

  /** After events were translated: a changed list is written a little later. O(1). */
  changed(): void {
    if (this.unplaced.version === this.saved || this.timer !== null || this.options.store === null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.save();
    }, this.options.saveAfterMs ?? 10_000);
  }

  list(): UnplacedEndpoint[] {
    return this.unplaced.list((entry) => !this.options.stillUnplaced(entry));
  }

  endpointList(): PbxEndpointList | null {
    return this.endpoints;
  }

  /**
   * Both lists, asked on the logged-in link. A PBX without chan_sip answers SIPpeers with an Error,
   * a user without the class "Permission denied": each is kept as that action's outcome.
   */
  async readEndpoints(client: Pick<AmiClient, "sendList">, placement: Placement): Promise<void> {
    const answers = await Promise.all(
      ENDPOINT_ACTIONS.map(async (action) => {
        try {
          return {
            action,
            answer: { ok: true, value: await client.sendList({ Action: action }) } as EndpointAnswer,
          };
        } catch (error) {
          return {
            action,
            answer: { ok: false, error: { message: (error as Error).message } } as EndpointAnswer,
          };
        }
      }),
    );
    this.endpoints = readEndpointLists(answers, placement, this.options.now());
    for (const query of this.endpoints.queries) {
      if (query.outcome === "denied" || query.outcome === "failed")
        this.options.log.warn("AMI endpoint list not read", { action: query.action, message: query.detail });
    }
  }

  /** Writes the list now if it changed (and stops the pending write). */
  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.save();
  }

  private save(): void {
    const store = this.options.store;
    if (store === null) return;
    const list = this.list();
    if (this.unplaced.version === this.saved) return;
    try {
      store.save(this.options.source, list);
      this.saved = this.unplaced.version;
    } catch (error) {
      // Kept in memory; the next change tries again.
      this.options.log.warn("unplaced endpoints not written to the database", { error });
    }
  }
}
