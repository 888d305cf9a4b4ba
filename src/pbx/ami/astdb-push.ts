import type { RoutingSource } from "../../domain/rules/routing-port.ts";
import type { Logger } from "../../log/logger.ts";
import type { AmiClient } from "./ami-client-options.ts";
import { amiGet } from "./ami-parser.ts";
import { ASTDB_FAMILY, type AstdbDialing, astdbDiff, astdbKeys, STAMP_KEY } from "./astdb-keys.ts";

export interface AstdbPushOptions {
  /** The source's client: the push writes on its link and never starts or stops it. */
  readonly client: Pick<AmiClient, "send" | "status">;
  readonly routing: RoutingSource;
  readonly dialing: AstdbDialing;
  readonly log: Logger;
  readonly now?: () => number;
  /** How often the keys are checked against the rules and the stamp renewed (default 60 s). */
  readonly refreshMs?: number;
  /** How long a change waits for the next one before the push (default 200 ms). */
  readonly settleMs?: number;
  /** Actions in flight at once (default 32). */
  readonly window?: number;
}

export interface AstdbPushStatus {
  /** Keys the PBX holds as far as the box knows (every one confirmed by Asterisk). */
  readonly keys: number;
  readonly puts: number;
  readonly deletes: number;
  /** Actions Asterisk refused (an Error reply), since start. */
  readonly refused: number;
  readonly lastError: { readonly message: string; readonly at: number } | null;
  /** When the last push left every key as the rules say (and wrote the stamp); null: never. */
  readonly freshAt: number | null;
}

/** Asterisk's answers that mean "already as wanted" (main/db.c): nothing to delete is not a failure. */
const ALREADY_GONE = new Set(["database entry not found", "database entry could not be deleted"]);

/**
 * Keeps the routing in Asterisk's own database (issue 16) so the dialplan decides with no
 * network call: after every login it deletes the `branchbox` tree and writes every key again;
 * on every change of the rules (and every `refreshMs`, as absences by schedule begin and end)
 * it sends only the keys that differ; after a push that left nothing refused it writes the stamp.
 *
 * ALWAYS: a refused action (no `system` write class, a full disk on the PBX) is logged once per
 * push (`PBX.ASTDB_PUSH_FAILED`), counted, and tried again at the next change or refresh; the
 * stamp is then not renewed, so the dialplan stops trusting the keys after its limit. A link that
 * goes down stops the push; the next login pushes everything. NEVER throws, never ends the process.
 */
export class AstdbPush {
  private readonly now: () => number;
  /** What Asterisk confirmed holding (keys under the family, without the stamp). */
  private readonly held = new Map<string, string>();
  private full = true;
  private running = false;
  private again = false;
  private settle: ReturnType<typeof setTimeout> | undefined;
  private refresh: ReturnType<typeof setInterval> | undefined;
  private unsubscribe: (() => void) | null = null;
  private counts = { puts: 0, deletes: 0, refused: 0 };
  private lastError: AstdbPushStatus["lastError"] = null;
  private freshAt: number | null = null;
  private idle: Promise<void> = Promise.resolve();

  constructor(private readonly options: AstdbPushOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.unsubscribe = this.options.routing.subscribe(() => this.changed());
    this.refresh = setInterval(() => this.changed(0), this.options.refreshMs ?? 60_000);
  }

  stop(): void {
    this.unsubscribe?.();
    clearInterval(this.refresh);
    clearTimeout(this.settle);
  }

  /** A new login (Asterisk may have restarted and lost nothing, or everything): push it all. */
  linkUp(): void {
    this.full = true;
    this.changed(0);
  }

  /** The rules may have changed: push what differs once they settle. */
  changed(afterMs = this.options.settleMs ?? 200): void {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => this.kick(), afterMs);
  }

  /** Resolves when no push is under way (tests). */
  settled(): Promise<void> {
    return this.idle;
  }

  status(): AstdbPushStatus {
    return { keys: this.held.size, ...this.counts, lastError: this.lastError, freshAt: this.freshAt };
  }

  private kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.options.client.status().state !== "connected") return;
    this.running = true;
    this.idle = this.push()
      .catch((error) => this.options.log.error("AstDB push failed", { code: "PBX.ASTDB_PUSH_FAILED", error }))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async push(): Promise<void> {
    const log = this.options.log;
    const refused: string[] = [];
    if (this.full) {
      const answer = await this.send({ Action: "DBDelTree", Family: ASTDB_FAMILY });
      if (answer === null) return;
      if (answer !== "ok") {
        refused.push(`DBDelTree ${ASTDB_FAMILY}: ${answer}`);
        return this.report(refused);
      }
      this.held.clear();
      this.full = false;
    }
    const want = astdbKeys(this.options.routing.snapshot(this.now()), this.options.dialing);
    const { put, del } = astdbDiff(this.held, want);
    const ops: (() => Promise<boolean>)[] = [
      ...put.map(([key, value]) => async () => {
        const answer = await this.send({ Action: "DBPut", Family: ASTDB_FAMILY, Key: key, Val: value });
        if (answer === "ok") {
          this.held.set(key, value);
          this.counts.puts++;
        } else if (answer !== null) refused.push(`DBPut ${key}: ${answer}`);
        return answer !== null;
      }),
      ...del.map((key) => async () => {
        const answer = await this.send({ Action: "DBDel", Family: ASTDB_FAMILY, Key: key });
        if (answer === "ok") {
          this.held.delete(key);
          this.counts.deletes++;
        } else if (answer !== null) refused.push(`DBDel ${key}: ${answer}`);
        return answer !== null;
      }),
    ];
    if (!(await this.runWindowed(ops))) return;
    if (refused.length > 0) return this.report(refused);
    const stamp = await this.send({
      Action: "DBPut",
      Family: ASTDB_FAMILY,
      Key: STAMP_KEY,
      Val: String(Math.floor(this.now() / 1000)),
    });
    if (stamp === "ok") {
      this.freshAt = this.now();
      if (put.length + del.length > 0)
        log.info("AstDB routing pushed", { put: put.length, deleted: del.length, keys: this.held.size });
    } else if (stamp !== null) this.report([`DBPut ${STAMP_KEY}: ${stamp}`]);
  }

  /** Runs the actions `window` at a time; false as soon as the link is gone (the next login pushes all). */
  private async runWindowed(ops: readonly (() => Promise<boolean>)[]): Promise<boolean> {
    let next = 0;
    let linkUp = true;
    const worker = async () => {
      while (linkUp && next < ops.length) {
        const op = ops[next++] as () => Promise<boolean>;
        if (!(await op())) linkUp = false;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.window ?? 32, ops.length) }, worker));
    return linkUp;
  }

  private report(refused: readonly string[]): void {
    this.counts.refused += refused.length;
    this.lastError = { message: refused[0] as string, at: this.now() };
    this.options.log.warn("AstDB push refused by Asterisk: retried at the next change", {
      code: "PBX.ASTDB_PUSH_FAILED",
      refused: refused.length,
      first: refused[0],
      fix: 'give the AMI user write = system in manager.conf, then "manager reload"',
    });
  }

  /** "ok", Asterisk's error message, or null when the link is gone (nothing more can be sent). */
  private async send(action: Record<string, string>): Promise<string | null> {
    try {
      const answer = await this.options.client.send(action);
      if (amiGet(answer, "Response")?.toLowerCase() === "success") return "ok";
      const message = amiGet(answer, "Message") ?? "refused";
      return ALREADY_GONE.has(message.toLowerCase()) && action.Action !== "DBPut" ? "ok" : message;
    } catch {
      return null;
    }
  }
}
