import type { Database } from "bun:sqlite";
import type { Config } from "../../config/schema.ts";
import type { UpStream } from "../../contract/protocol.ts";
import type { LinkState } from "../../lib/link-state.ts";
import type { Logger } from "../../log/logger.ts";
import type { StorageFaults } from "../../store/storage-faults.ts";
import type { DownHandler } from "../inbound/inbound-types.ts";

export type MqttSection = Config["mqtt"];

export type RelayOptions = {
  readonly db: Database;
  /** The branch id: the topic segment and the MQTT client id (`branchbox-{branch}`). */
  readonly branch: string;
  readonly config: MqttSection;
  readonly log: Logger;
  readonly now: () => number;
  /** The box's version, carried in the birth message. */
  readonly version: string;
  /** For the backoff's jitter (tests pass a fixed one). */
  readonly random?: () => number;
  readonly tuning?: Partial<RelayTuning>;
  /** Where a write that fails outside a request (an ack, the epoch) is logged and counted. */
  readonly storageFaults?: StorageFaults;
  /**
   * HQ's down streams (staff, clients, settings, commands) go here, each message PUBACKed only
   * after `handle` returned (committed, or bad input). With it the relay keeps a persistent MQTT
   * session (`sessionExpirySec`), so what HQ sends while the box is away, or a message the box
   * died on before its commit, is delivered again by the broker.
   */
  readonly inbound?: DownHandler;
};

/** Knobs with defaults; the tests shorten the timers. */
export type RelayTuning = {
  /** Records per envelope, at most. */
  maxRecords: number;
  /** Serialized records per envelope, at most (an envelope of one bigger record still goes). */
  maxBytes: number;
  /** Envelopes per stream published and not yet PUBACKed. */
  window: number;
  /** Backlog records per stream sent but not yet acknowledged by HQ: bounds the broker's queue. */
  maxUnacked: number;
  /** 1 of every `historicalEvery` envelopes goes to the backlog while live records wait too. */
  historicalEvery: number;
  /** Safety net beside wake(): look for new outbox rows this often. */
  pollMs: number;
  /** No HQ ack progress for this long with records outstanding: send again from the last ack. */
  ackTimeoutMs: number;
  /** HQ's acks reach the outbox (acked_through + DELETE, one fsync) at most this often. */
  ackFlushMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** A connection that lived this long was healthy: the backoff starts over (as on HQ's ack moving forward). */
  healthyAfterMs: number;
  keepaliveSec: number;
  connectTimeoutMs: number;
  /**
   * Bytes of envelopes built between two forced garbage collections (0: never force one). JSC
   * collects by its own pacing, which let ~80 MB of dead row and envelope buffers pile up while
   * a backlog drained; a full collection of the relay's small live heap takes a few ms.
   */
  gcEveryBytes: number;
  /** With `inbound`: how long the broker keeps the box's session (and queues down messages) while it is away. */
  sessionExpirySec: number;
};

export const DEFAULT_TUNING: RelayTuning = {
  maxRecords: 500,
  maxBytes: 256 * 1024,
  window: 8,
  maxUnacked: 50_000,
  historicalEvery: 4,
  pollMs: 1000,
  ackTimeoutMs: 30_000,
  ackFlushMs: 200,
  backoffBaseMs: 500,
  backoffCapMs: 30_000,
  healthyAfterMs: 10_000,
  keepaliveSec: 30,
  connectTimeoutMs: 10_000,
  sessionExpirySec: 7 * 24 * 60 * 60,
  gcEveryBytes: 8 * 1024 * 1024,
};

/** The link's state (src/lib/link-state.ts; `stopping` shows as `stopped`), or `disabled` with no url. */
export type RelayState = "disabled" | Exclude<LinkState, "stopping">;

export type StreamStatus = {
  /** Records in the outbox (sent or not) that HQ has not acknowledged. */
  readonly backlog: number;
  readonly ackedThrough: number;
  /** Highest seq published in this connection. */
  readonly sentThrough: number;
  /** Envelopes published and not yet PUBACKed. */
  readonly inflight: number;
};

export type RelayStatus = {
  readonly state: RelayState;
  readonly since: number;
  readonly epoch: number;
  /** The retained `branchbox/v1/hq/state` as last seen in this connection. */
  readonly hqOnline: boolean;
  readonly reconnects: number;
  readonly badAcks: number;
  readonly envelopesSent: number;
  readonly lastError: string | null;
  readonly streams: Readonly<Record<UpStream, StreamStatus>>;
};

/**
 * The branch → HQ relay. ALWAYS: a record leaves the outbox only on HQ's cumulative ack (never on a
 * PUBACK); after every (re)connect or restart, sending starts again at `ackedThrough + 1` from
 * SQLite; within one envelope records are consecutive in seq. NEVER: sends while the retained HQ
 * state is not `{online: true}`; logs the password. MAY: send a record more than once (HQ drops
 * `seq <= high-water mark`), and send live envelopes of a stream ahead of its historical ones.
 */
export interface Relay {
  start(): void;
  /** Publishes the retained offline state and disconnects; resolves when done. */
  stop(): Promise<void>;
  status(): RelayStatus;
  /** New outbox rows were committed: send them now rather than at the next poll. */
  wake(): void;
}
