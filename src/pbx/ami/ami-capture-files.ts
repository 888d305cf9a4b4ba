import { chmod, type FileHandle, mkdir, open, readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import type { CaptureStatus } from "../../domain/call/pbx-event.ts";
import type { Logger } from "../../log/logger.ts";
import type { AmiWireTap } from "./ami-client-options.ts";
import { FrameEnds } from "./ami-frame-ends.ts";

export interface AmiCaptureOptions {
  /** `[pbx.ami] capture_dir`: created 0700 if missing. */
  readonly dir: string;
  /** `[pbx.ami] capture_max_mb` in bytes: what all capture files hold together, at most. */
  readonly maxBytes: number;
  /** Which link this is, for the files' first line ("ami:pbx:5038"). */
  readonly source: string;
  readonly log: Logger;
  readonly now?: () => number;
}

const FILE = /^ami-\d{8}T\d{6}\.\d{3}Z\.ami$/;
/** Bytes waiting for the disk, at most: beyond it the disk does not keep up and capture stops. */
const MAX_BACKLOG = 8 * 1024 * 1024;
/** Bytes without a frame's end, at most: the parser drops a frame far smaller (64 K characters). */
const MAX_FRAME_BYTES = 256 * 1024;
/** A piece of the wire written at once, about: a file rolls between pieces, at a frame's start. */
const PIECE = 64 * 1024;
/** Headers of an action whose value is a credential: the Login's Secret, the MD5 login's Key. */
const CREDENTIAL = /^(secret|key)\s*:/i;

/**
 * `[pbx.ami] capture_dir`: what the PBX sent, byte for byte, in rotating files that
 * `branchbox replay` reads (src/pbx/ami/ami-capture.ts), for support.
 *
 * ALWAYS:
 * - a file is AMI text: `;;` comment lines (ignored by replay), then the PBX's bytes, split only
 *   where a frame starts, so one file alone replays; a link's bytes start with its banner
 *   (replay reads a banner mid-file as a new link), and its first and last lines are comments
 *   saying when it opened and why it closed;
 * - the actions the box sent are comment lines (`;; > Action: Ping`), and a Secret or Key header
 *   among them is written `(not kept)`: no credential of the box's reaches a file;
 * - the files together hold at most `maxBytes`: before a piece is written, the oldest files go;
 * - the directory is 0700 and every file 0600 (they hold callers' numbers).
 * NEVER:
 * - delays the link: the tap only copies bytes; writes happen later, one at a time, batched;
 * - stops the link or the process: the first error (a full disk, a read-only or missing
 *   directory, a disk that does not keep up) stops the capture, is logged once with
 *   `PBX.AMI_CAPTURE_FAILED`, and `status()` says capture is off and why.
 */
export class AmiCaptureFiles implements AmiWireTap {
  private readonly now: () => number;
  private readonly fileMax: number;
  private readonly ends = new FrameEnds();
  /** Pieces ready for the disk, each starting where a frame starts. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The bytes of the frame still arriving. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  /** Bytes of an over-long frame being thrown away up to its end. */
  private discarding = 0;
  /** Older files, oldest first, with their sizes (the current one is not among them). */
  private older: { name: string; size: number }[] = [];
  private file: { name: string; handle: FileHandle; size: number } | null = null;
  private lastStamp = 0;
  private link = 0;
  private linkOpenedAt = 0;
  /** Whether the current link's opening line is written (it is, with its first bytes). */
  private linkShown = true;
  private state: "starting" | "on" | "off" = "starting";
  private reason: string | null = null;
  private flushing: Promise<void> | null = null;
  private flushQueued = false;

  constructor(private readonly options: AmiCaptureOptions) {
    this.now = options.now ?? Date.now;
    this.fileMax = Math.max(256 * 1024, Math.floor(options.maxBytes / 8));
  }

  /** Creates the directory and reads what earlier runs left in it; the link need not wait. */
  async start(): Promise<void> {
    try {
      await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
      await chmod(this.options.dir, 0o700);
      const names = (await readdir(this.options.dir)).filter((name) => FILE.test(name)).sort();
      for (const name of names)
        this.older.push({ name, size: (await stat(join(this.options.dir, name))).size });
      if (this.state === "starting") this.state = "on";
      this.options.log.info("AMI capture on", {
        dir: this.options.dir,
        maxBytes: this.options.maxBytes,
        files: names.length,
      });
      this.schedule();
    } catch (error) {
      this.fail(error, this.options.dir);
    }
  }

  opened(): void {
    this.ends.reset();
    this.dropPartial();
    this.link++;
    this.linkOpenedAt = this.now();
    this.linkShown = false;
  }

  received(chunk: Uint8Array): void {
    if (this.state === "off") return;
    if (!this.linkShown) {
      this.linkShown = true;
      this.comment([`link ${this.link} to ${this.options.source} opened ${iso(this.linkOpenedAt)}`]);
    }
    let from = 0;
    let ended = false;
    for (const end of this.ends.scan(chunk)) {
      if (this.discarding > 0) {
        this.comment([`${this.discarding + end} bytes without a frame's end, not kept`]);
        this.discarding = 0;
      } else {
        this.take(chunk.subarray(from, end));
        ended = true;
        if (this.partialBytes >= PIECE) this.ready();
      }
      from = end;
    }
    if (this.discarding > 0) {
      this.discarding += chunk.length;
      return;
    }
    if (ended) this.ready();
    this.take(chunk.subarray(from));
    if (this.partialBytes > MAX_FRAME_BYTES) {
      this.discarding = this.partialBytes;
      this.partial = [];
      this.partialBytes = 0;
    }
  }

  sent(text: string): void {
    if (this.state === "off") return;
    const lines = text.split(/\r?\n/).filter((line) => line !== "");
    this.comment(
      lines.map((line) => `> ${CREDENTIAL.test(line) ? `${line.split(":")[0]}: (not kept)` : line}`),
    );
  }

  closed(reason: string): void {
    if (this.state === "off" || !this.linkShown) return;
    const lost = this.partialBytes + this.discarding;
    this.dropPartial();
    this.comment([
      `link ${this.link} closed ${iso(this.now())}: ${reason}${lost > 0 ? `; ${lost} bytes of an unfinished frame not kept` : ""}`,
    ]);
    // Nothing more of this link: the next bytes are another link's, opening line first.
    this.linkShown = false;
  }

  status(): CaptureStatus {
    const kept = this.older.reduce((sum, f) => sum + f.size, this.file?.size ?? 0);
    return {
      on: this.state !== "off",
      dir: this.options.dir,
      maxBytes: this.options.maxBytes,
      keptBytes: kept,
      files: this.older.length + (this.file === null ? 0 : 1),
      reason: this.reason,
    };
  }

  /** Writes what is waiting and closes the file. */
  async close(): Promise<void> {
    this.dropPartial();
    await this.flush();
    const file = this.file;
    this.file = null;
    if (file !== null) {
      this.older.push({ name: file.name, size: file.size });
      await file.handle.close().catch(() => {});
    }
  }

  private take(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    // A copy: the piece waits for the disk, and the socket's buffer is not ours to keep.
    this.partial.push(Buffer.from(bytes));
    this.partialBytes += bytes.length;
  }

  /** The partial bytes end at a frame's end: they are a piece for the disk. */
  private ready(): void {
    if (this.partialBytes === 0) return;
    this.enqueue(this.partial.length === 1 ? (this.partial[0] as Buffer) : Buffer.concat(this.partial));
    this.partial = [];
    this.partialBytes = 0;
  }

  private comment(lines: readonly string[]): void {
    this.enqueue(Buffer.from(lines.map((line) => `;; ${line}\r\n`).join("")));
  }

  private dropPartial(): void {
    this.partial = [];
    this.partialBytes = 0;
    this.discarding = 0;
  }

  private enqueue(piece: Buffer): void {
    if (this.state === "off") return;
    this.pending.push(piece);
    this.pendingBytes += piece.length;
    if (this.pendingBytes > MAX_BACKLOG) {
      this.fail({ code: "BACKLOG", message: `more than ${MAX_BACKLOG} bytes waiting for the disk` }, "");
      return;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.state !== "on" || this.flushQueued || this.pending.length === 0) return;
    this.flushQueued = true;
    // After the current burst of socket reads: one write for many frames.
    setImmediate(() => {
      this.flushQueued = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    if (this.state !== "on" || this.pending.length === 0) return;
    this.flushing = this.writePending();
    await this.flushing;
    this.flushing = null;
    this.schedule();
  }

  private async writePending(): Promise<void> {
    let where = this.options.dir;
    try {
      while (this.pending.length > 0 && this.state === "on") {
        const first = this.pending[0] as Buffer;
        if (this.file === null || (this.file.size > 0 && this.file.size + first.length > this.fileMax))
          await this.roll();
        const file = this.file as NonNullable<typeof this.file>;
        where = join(this.options.dir, file.name);
        // As many pieces as fit in this file, in one write.
        let n = 0;
        let bytes = 0;
        for (const piece of this.pending) {
          if (n > 0 && file.size + bytes + piece.length > this.fileMax) break;
          bytes += piece.length;
          n++;
        }
        await this.makeRoom(file.size + bytes);
        const batch = this.pending.splice(0, n);
        this.pendingBytes -= bytes;
        await file.handle.write(batch.length === 1 ? (batch[0] as Buffer) : Buffer.concat(batch));
        file.size += bytes;
      }
    } catch (error) {
      this.fail(error, where);
    }
  }

  /** A new file: the current one joins the older ones. */
  private async roll(): Promise<void> {
    const previous = this.file;
    this.file = null;
    if (previous !== null) {
      this.older.push({ name: previous.name, size: previous.size });
      await previous.handle.close();
    }
    // Names sort as they were made: a stamp never repeats nor goes back within a run.
    this.lastStamp = Math.max(this.now(), this.lastStamp + 1);
    const name = `ami-${iso(this.lastStamp).replace(/[-:]/g, "")}.ami`;
    const handle = await open(join(this.options.dir, name), "wx", 0o600);
    this.file = { name, handle, size: 0 };
    const header = Buffer.from(
      `;; branchbox AMI capture of ${this.options.source}, for \`branchbox replay\`: the PBX's bytes as they came; ";; >" lines are what the box sent (credentials not kept)\r\n`,
    );
    await this.makeRoom(header.length);
    await handle.write(header);
    this.file.size = header.length;
  }

  /** The oldest files go until `current` more bytes (the current file's, after a write) fit under the cap. */
  private async makeRoom(current: number): Promise<void> {
    let total = this.older.reduce((sum, f) => sum + f.size, 0) + current;
    while (total > this.options.maxBytes && this.older.length > 0) {
      const oldest = this.older.shift() as { name: string; size: number };
      await unlink(join(this.options.dir, oldest.name)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== "ENOENT") throw error;
      });
      total -= oldest.size;
    }
  }

  private fail(error: unknown, where: string): void {
    if (this.state === "off") return;
    this.state = "off";
    const code = String((error as { code?: unknown }).code ?? "");
    const message = String((error as Error).message ?? error);
    this.reason = describe(code, message, where);
    this.pending = [];
    this.pendingBytes = 0;
    this.dropPartial();
    this.options.log.error("AMI capture stopped; the AMI link goes on", {
      code: "PBX.AMI_CAPTURE_FAILED",
      reason: this.reason,
    });
    const file = this.file;
    this.file = null;
    if (file !== null) {
      this.older.push({ name: file.name, size: file.size });
      void file.handle.close().catch(() => {});
    }
  }
}

function describe(code: string, message: string, where: string): string {
  const at = where === "" ? "" : ` (${where})`;
  if (code === "ENOSPC") return `the disk is full${at}`;
  if (code === "EROFS" || code === "EACCES" || code === "EPERM")
    return `cannot write: read-only or no permission${at}`;
  if (code === "ENOTDIR" || code === "EEXIST") return `not a directory${at}`;
  if (code === "BACKLOG") return `the disk does not keep up: ${message}`;
  return `${code === "" ? message : code}${at}`;
}

const iso = (t: number): string => new Date(t).toISOString();
