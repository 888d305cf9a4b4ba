// A real, small tmpfs for storage-full tests (mount needs root, as the tests run): the database's
// files on it fail with ENOSPC exactly as on a full disk, WAL and all.
import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";

/** Mounts a tmpfs of `size` (e.g. "8m") on `dir`, creating it. Unmount it in a finally. */
export function mountTmpfs(dir: string, size: string): void {
  mkdirSync(dir, { recursive: true });
  const mount = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir], {
    encoding: "utf8",
  });
  if (mount.status !== 0) throw new Error(`cannot mount a tmpfs on ${dir} (root needed): ${mount.stderr}`);
}

export function unmount(dir: string): void {
  const result = spawnSync("umount", [dir], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`cannot unmount ${dir}: ${result.stderr}`);
}

/**
 * Unmounts `dir` once nothing holds it: a server that just dropped the files on it (PostgreSQL's
 * background writer after DROP TABLESPACE) may keep a descriptor a moment longer. Waits for that
 * condition, up to `timeoutMs`, then fails with umount's own words.
 */
export async function unmountWhenFree(dir: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = spawnSync("umount", [dir], { encoding: "utf8" });
    if (result.status === 0) return;
    if (!/busy/i.test(result.stderr) || Date.now() > deadline)
      throw new Error(`cannot unmount ${dir}: ${result.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Writes zeros into `path` until the file system says ENOSPC; returns the bytes written. */
export function fillUp(path: string): number {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  return written;
}
