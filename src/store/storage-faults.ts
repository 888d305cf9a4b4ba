import { StorageError, toStorageError } from "../lib/storage-error.ts";
import type { Logger } from "../log/logger.ts";

/** How long a part waits before it tries a failed write again. */
export const STORAGE_RETRY_MS = 1000;

export type StorageFaultStatus = {
  /** Storage errors met outside a request since start, every retry included. */
  readonly errors: number;
  /** The sites whose last write failed. */
  readonly failing: readonly string[];
};

/**
 * Storage errors met where no caller can be told: on a timer, in an MQTT callback, after a commit.
 * An exception there would end the process (Bun exits on an uncaught one), and the kiosk with it,
 * on a full disk that a restart does not empty. So a part that writes there reports its failure
 * here and tries again later. Per site (`sync.acks`, `calls.prune`…): the first failure is logged
 * (error, with its STORAGE.* code), every repeat is only counted, and the first write that works
 * again is logged once (STORAGE.RECOVERED). Anything that is not a storage error is the caller's
 * bug: `failed` returns null and the caller must let it go on up.
 *
 * One per process, like the database and the disk: /metrics shows it, and main.ts's last-resort
 * handler reports to it.
 */
export class StorageFaults {
  private errors = 0;
  /** Failures per site since its last write that worked. */
  private readonly failing = new Map<string, number>();
  private readonly unattendedSites = new Set<string>();

  /** The StorageError `error` is (counted; logged if it is the site's first), or null if it is none. */
  failed(
    site: string,
    error: unknown,
    log: Logger,
    fields: Record<string, unknown> = {},
  ): StorageError | null {
    const storage = toStorageError("the database", error);
    if (!(storage instanceof StorageError)) return null;
    this.errors++;
    const before = this.failing.get(site);
    this.failing.set(site, (before ?? 0) + 1);
    if (before === undefined)
      log.error("cannot write the database: trying again; repeats are counted, not logged", {
        code: storage.code,
        site,
        error: storage.message,
        ...fields,
      });
    return storage;
  }

  /**
   * A storage error from a place that cannot tell when it works again (main.ts's last resort):
   * counted, logged the first time per site, and not shown as failing (it may never say otherwise).
   */
  unattended(
    site: string,
    error: unknown,
    log: Logger,
    fields: Record<string, unknown> = {},
  ): StorageError | null {
    const storage = toStorageError("the database", error);
    if (!(storage instanceof StorageError)) return null;
    this.errors++;
    if (this.unattendedSites.has(site)) return storage;
    this.unattendedSites.add(site);
    log.error("a storage error nobody handled: the box goes on; repeats from here are counted, not logged", {
      code: storage.code,
      site,
      error: storage.message,
      ...fields,
    });
    return storage;
  }

  /** The site wrote: if it was failing, say once that it works again. */
  worked(site: string, log: Logger): void {
    const failures = this.failing.get(site);
    if (failures === undefined) return;
    this.failing.delete(site);
    log.info("the database takes writes again", { code: "STORAGE.RECOVERED", site, failures });
  }

  status(): StorageFaultStatus {
    return { errors: this.errors, failing: [...this.failing.keys()] };
  }
}

export const storageFaults = new StorageFaults();
