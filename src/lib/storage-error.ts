/**
 * A storage failure in words: what happened to the disk or the database, and what to do. Both the
 * box and headquarters map SQLite's and the file system's errors to these codes.
 */
export class StorageError extends Error {
  constructor(
    readonly code:
      | "STORAGE.READ_ONLY"
      | "STORAGE.DISK_FULL"
      | "STORAGE.CANNOT_OPEN"
      | "STORAGE.IO"
      | "STORAGE.CORRUPT"
      | "STORAGE.SCHEMA_TOO_NEW",
    message: string,
  ) {
    super(message);
  }
}

/**
 * Turns SQLite's and the file system's failures into a StorageError that says what to do, so a
 * read-only or full disk stops the box with a sentence, not a stack trace.
 */
export function withStorageErrors<T>(path: string, run: () => T): T {
  try {
    return run();
  } catch (error) {
    throw toStorageError(path, error);
  }
}

export function toStorageError(path: string, error: unknown): unknown {
  if (error instanceof StorageError) return error;
  const code = String((error as { code?: unknown }).code ?? "");
  const message = String((error as Error).message ?? error);
  if (code.startsWith("SQLITE_READONLY") || code === "EROFS" || code === "EACCES" || code === "EPERM") {
    return new StorageError(
      "STORAGE.READ_ONLY",
      `cannot write the database at ${path}: the disk or folder is read-only (${code}). Check storage.dir and its permissions.`,
    );
  }
  if (
    code.startsWith("SQLITE_FULL") ||
    code === "ENOSPC" ||
    /disk is full|database or disk is full/i.test(message)
  ) {
    return new StorageError(
      "STORAGE.DISK_FULL",
      `the disk holding ${path} is full. Free some space; nothing was lost.`,
    );
  }
  if (code.startsWith("SQLITE_CANTOPEN") || code === "ENOENT" || code === "ENOTDIR") {
    return new StorageError(
      "STORAGE.CANNOT_OPEN",
      `cannot open the database at ${path} (${code}). Check that storage.dir exists and is writable.`,
    );
  }
  if (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB")) {
    return new StorageError(
      "STORAGE.CORRUPT",
      `the database at ${path} is damaged (${code}). Restore it from a backup; branchbox doctor checks it.`,
    );
  }
  if (code.startsWith("SQLITE_IOERR")) {
    return new StorageError("STORAGE.IO", `the disk failed while writing ${path} (${code}). Check the disk.`);
  }
  return error;
}
