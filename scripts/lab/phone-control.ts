// A client for baresip's ctrl_tcp module: netstring-framed JSON both ways.
//   → {"command":"dial","params":"sip:102@127.0.0.1:5070","token":"3"}
//   ← {"response":true,"ok":true,"data":"…","token":"3"}
//   ← {"event":true,"class":"call","type":"CALL_INCOMING","accountaor":"sip:101@…","peeruri":"sip:…",…}
// Events can arrive before the reply to the command that caused them (CALL_INCOMING before the
// reply to `dial` on a fast loopback), so events are kept in a log and waiters read from it.
import { connect, type Socket } from "node:net";

export interface PhoneEvent {
  readonly type: string;
  readonly class?: string;
  readonly accountaor?: string;
  readonly peeruri?: string;
  readonly param?: string;
  readonly id?: string;
  readonly [key: string]: unknown;
}

export interface CommandReply {
  readonly ok: boolean;
  readonly data: string;
}

export class PhoneControl {
  /** Every event the phone sent, in order. */
  readonly events: PhoneEvent[] = [];
  private buffer: Buffer = Buffer.alloc(0);
  private readonly pending = new Map<string, (reply: CommandReply) => void>();
  private readonly listeners = new Set<() => void>();
  private token = 0;
  private closed = false;

  private constructor(
    private readonly socket: Socket,
    private readonly name: string,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("close", () => {
      this.closed = true;
      for (const listener of this.listeners) listener();
    });
    socket.on("error", () => {});
  }

  /** Connects to ctrl_tcp on a loopback port, retrying until `timeoutMs` (the phone is starting). */
  static async connect(port: number, name: string, timeoutMs = 5000): Promise<PhoneControl> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = connect({ host: "127.0.0.1", port });
        s.once("connect", () => resolve(s));
        s.once("error", () => {
          s.destroy();
          resolve(undefined);
        });
      });
      if (socket) {
        socket.setNoDelay(true);
        return new PhoneControl(socket, name);
      }
      if (Date.now() > deadline) throw new Error(`${name}: ctrl_tcp on 127.0.0.1:${port} did not answer`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Sends a command (baresip's menu commands: dial, accept, hangup, transfer, reginfo…). */
  command(command: string, params = "", timeoutMs = 5000): Promise<CommandReply> {
    if (this.closed) return Promise.reject(new Error(`${this.name}: control link closed`));
    const token = String(++this.token);
    const body = Buffer.from(JSON.stringify({ command, params, token }));
    this.socket.write(Buffer.concat([Buffer.from(`${body.length}:`), body, Buffer.from(",")]));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`${this.name}: no reply to ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
    });
  }

  /**
   * The index of the first event at or after `from` whose type is `type`; waits for it up to
   * `timeoutMs`.
   */
  waitForEvent(type: string, from: number, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const index = this.events.findIndex((e, i) => i >= from && e.type === type);
        if (index >= 0) return done(() => resolve(index));
        if (this.closed) return done(() => reject(new Error(`${this.name}: control link closed`)));
      };
      const timer = setTimeout(() => {
        const seen = this.events.slice(from).map((e) => e.type);
        done(() =>
          reject(
            new Error(`${this.name}: no ${type} within ${timeoutMs} ms (saw: ${seen.join(", ") || "none"})`),
          ),
        );
      }, timeoutMs);
      const done = (settle: () => void) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        settle();
      };
      this.listeners.add(check);
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const colon = this.buffer.indexOf(0x3a);
      if (colon < 0) return;
      const length = Number(this.buffer.subarray(0, colon).toString());
      if (this.buffer.length < colon + 1 + length + 1) return;
      const message = JSON.parse(this.buffer.subarray(colon + 1, colon + 1 + length).toString());
      this.buffer = this.buffer.subarray(colon + 1 + length + 1);
      if (message.response === true) {
        const settle = this.pending.get(String(message.token));
        this.pending.delete(String(message.token));
        settle?.({ ok: message.ok === true, data: String(message.data ?? "") });
      } else if (message.event === true) {
        this.events.push(message);
        for (const listener of this.listeners) listener();
      }
    }
  }
}
