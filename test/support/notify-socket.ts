// A stand-in for systemd's notify socket: a real Unix *datagram* socket bound in the abstract
// namespace (libc through bun:ffi; Bun has no datagram Unix sockets), polled without blocking.
import { dlopen, FFIType } from "bun:ffi";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;

const libc = dlopen("libc.so.6", {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
}).symbols;

export interface Notification {
  /** performance.now() when the test read it (polled every few ms). */
  readonly at: number;
  readonly fields: Record<string, string>;
}

export interface NotifySocket {
  /** The value for $NOTIFY_SOCKET: "@name" (abstract namespace) or the file's path. */
  readonly address: string;
  readonly received: Notification[];
  /** Resolves with the first notification (new or already received) that `match` accepts. */
  waitFor(match: (n: Notification) => boolean, timeoutMs: number, label: string): Promise<Notification>;
  close(): void;
}

/**
 * In the abstract namespace by default; with `file`, at that path, as systemd's own
 * /run/systemd/notify is.
 */
export function listenNotifySocket(file?: string): NotifySocket {
  const name = file ?? `@branchbox-test-notify-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const path = Buffer.from(file === undefined ? `\0${name.slice(1)}` : `${file}\0`);
  const address = new Uint8Array(2 + path.length);
  new DataView(address.buffer).setUint16(0, AF_UNIX, true);
  address.set(path, 2);
  const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || libc.bind(fd, address, address.length) !== 0)
    throw new Error("cannot bind the notify socket");
  const received: Notification[] = [];
  const buffer = new Uint8Array(4096);
  const poll = setInterval(() => {
    for (;;) {
      const n = Number(libc.recv(fd, buffer, buffer.length, MSG_DONTWAIT));
      if (n < 0) return;
      const fields: Record<string, string> = {};
      for (const line of Buffer.from(buffer.subarray(0, n)).toString().split("\n")) {
        const cut = line.indexOf("=");
        if (cut > 0) fields[line.slice(0, cut)] = line.slice(cut + 1);
      }
      received.push({ at: performance.now(), fields });
    }
  }, 5);
  return {
    address: name,
    received,
    async waitFor(match, timeoutMs, label) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const found = received.find(match);
        if (found !== undefined) return found;
        if (performance.now() > deadline) {
          throw new Error(
            `no ${label} within ${timeoutMs} ms; got ${JSON.stringify(received.map((r) => r.fields))}`,
          );
        }
        await Bun.sleep(5);
      }
    },
    close() {
      clearInterval(poll);
      libc.close(fd);
    },
  };
}
