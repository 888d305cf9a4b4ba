/**
 * systemd's notify protocol (sd_notify(3)): one datagram of `KEY=value` lines to the Unix socket
 * named by `$NOTIFY_SOCKET`. Bun has no Unix datagram sockets, so this calls libc through bun:ffi
 * (`socket`, `sendto`, `close`): no native addon, nothing to build per target.
 *
 * Always true: `send` never throws and never blocks (MSG_DONTWAIT); a lost datagram is what
 * systemd's own sd_notify tolerates too (it only reports the error), and the caller sends again
 * on its next tick.
 */
import { dlopen, FFIType } from "bun:ffi";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** sizeof(sun_path) on Linux. */
const SUN_PATH_MAX = 108;

export interface Notifier {
  /** Sends `state` (e.g. "READY=1\nSTATUS=serving"); false when the datagram did not go out. */
  send(state: string): boolean;
  close(): void;
}

type Libc = ReturnType<typeof openLibc>;
let libc: Libc | null = null;

function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    sendto: {
      args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32],
      returns: FFIType.i64,
    },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
  }).symbols;
}

/** libc, opened on first use: a box not run by systemd never loads it. */
function c(): Libc {
  libc ??= openLibc();
  return libc;
}

/**
 * A `struct sockaddr_un` for `path`. A leading "@" names the abstract namespace: it becomes a
 * NUL byte and the address length counts no terminating NUL (unix(7)).
 */
export function unixAddress(path: string): Uint8Array {
  const abstract = path.startsWith("@");
  const name = Buffer.from(abstract ? `\0${path.slice(1)}` : path);
  if (name.length === 0 || name.length >= SUN_PATH_MAX)
    throw new Error(`unix socket path must be 1 to ${SUN_PATH_MAX - 1} bytes: ${path}`);
  const address = new Uint8Array(2 + name.length + (abstract ? 0 : 1));
  new DataView(address.buffer).setUint16(0, AF_UNIX, true);
  address.set(name, 2);
  return address;
}

/** The notifier for `$NOTIFY_SOCKET`, or null when the box does not run under systemd's notify. */
export function systemdNotifier(env: Record<string, string | undefined>): Notifier | null {
  const path = env.NOTIFY_SOCKET;
  if (path === undefined || path === "") return null;
  const address = unixAddress(path);
  // Close-on-exec: a program the box starts (an upgrade's restart) does not inherit it.
  const fd = c().socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return null;
  let open = true;
  return {
    send(state) {
      if (!open) return false;
      const message = Buffer.from(state);
      const sent = c().sendto(
        fd,
        message,
        message.length,
        MSG_DONTWAIT | MSG_NOSIGNAL,
        address,
        address.length,
      );
      return Number(sent) === message.length;
    },
    close() {
      if (open) c().close(fd);
      open = false;
    },
  };
}

/**
 * The interval at which to send WATCHDOG=1: half of `$WATCHDOG_USEC`, as sd_watchdog_enabled(3)
 * advises; null when systemd expects no watchdog from this process (`$WATCHDOG_PID` names
 * another one, e.g. a wrapper that exec'd us under a different pid).
 */
export function watchdogIntervalMs(env: Record<string, string | undefined>, pid: number): number | null {
  const usec = Number(env.WATCHDOG_USEC ?? "");
  if (!Number.isFinite(usec) || usec <= 0) return null;
  const owner = env.WATCHDOG_PID;
  if (owner !== undefined && owner !== "" && Number(owner) !== pid) return null;
  return Math.max(1, Math.floor(usec / 1000 / 2));
}
