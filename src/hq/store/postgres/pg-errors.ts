import { StorageError } from "../../../lib/storage-error.ts";
import type { StoreFailure } from "../hq-store-port.ts";

/**
 * PostgreSQL's failures as the port's coded StoreFailure. The server's SQLSTATE (Bun's
 * `PostgresError.errno`) or Bun's client code (`ERR_POSTGRES_CONNECTION_REFUSED`…) picks the code;
 * `where` names the server and database, NEVER the URL (it may hold a password).
 */
export function pgStoreFailure(where: string, error: unknown): StoreFailure {
  if (error instanceof StorageError) return error;
  const state = String((error as { errno?: unknown }).errno ?? "");
  const client = String((error as { code?: unknown }).code ?? "");
  const detail = `${String((error as Error)?.message ?? error)}${state === "" ? "" : ` (SQLSTATE ${state})`}`;
  if (state === "53100")
    return new StorageError(
      "STORAGE.DISK_FULL",
      `the disk of the PostgreSQL at ${where} is full: ${detail}. Free some space; nothing was lost.`,
    );
  if (state === "25006")
    return new StorageError(
      "STORAGE.READ_ONLY",
      `the PostgreSQL at ${where} takes no writes (a standby, or default_transaction_read_only): ${detail}. Point hq.database_url at the primary.`,
    );
  if (state === "58030")
    return new StorageError(
      "STORAGE.IO",
      `the PostgreSQL at ${where} failed to read or write its disk: ${detail}.`,
    );
  if (state === "XX001" || state === "XX002")
    return new StorageError(
      "STORAGE.CORRUPT",
      `the PostgreSQL at ${where} found damaged data: ${detail}. Restore it from a backup.`,
    );
  if (
    /^(08|28|3D|57P)/.test(state) ||
    /^ERR_POSTGRES_(CONNECTION|TLS|AUTHENTICATION|UNSUPPORTED_AUTHENTICATION|IDLE_TIMEOUT|LIFETIME_TIMEOUT)/.test(
      client,
    )
  )
    return new StorageError(
      "STORAGE.CANNOT_OPEN",
      `cannot reach the PostgreSQL at ${where}: ${detail}. Check that it runs, hq.database_url, and the role's password and rights.`,
    );
  return Object.assign(new Error(`the HQ store at ${where} failed: ${detail}`, { cause: error }), {
    code: "STORAGE.FAILED" as const,
  });
}

/** `host:port/database` of a postgres:// URL, for messages: never the user's password. */
export function pgWhere(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "(hq.database_url)";
  }
}

/** Wraps a store method: whatever it throws (the server, the pool, a lost connection) rejects coded. */
export function pgSettler(where: string) {
  return <A extends unknown[], R>(work: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await work(...args);
      } catch (error) {
        throw pgStoreFailure(where, error);
      }
    };
}
