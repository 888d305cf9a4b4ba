import { statfsSync } from "node:fs";
import { cpus } from "node:os";

/** `bun 1.x, N x CPU model, linux x64`: the machine a benchmark's figures come from. */
export function machine(): string {
  const cores = cpus();
  return `bun ${Bun.version}, ${cores.length} x ${cores[0]?.model.trim() ?? "cpu"}, ${process.platform} ${process.arch}`;
}

const FS_TYPES: Record<number, string> = {
  61267: "ext4",
  16914836: "tmpfs",
  1481003842: "xfs",
  2435016766: "btrfs",
  2035054128: "overlayfs",
  1785031267: "fakeowner",
};

/** The file system `path` is on, by name where known. */
export function fsType(path: string): string {
  const type = statfsSync(path).type;
  return FS_TYPES[type] ?? `fs 0x${type.toString(16)}`;
}
