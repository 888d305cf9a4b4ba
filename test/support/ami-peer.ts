// A scripted Asterisk Manager Interface peer on a loopback TCP port, for tests. It speaks the wire
// as Asterisk 20+ does (banner, Login, Ping, CoreShowChannels as an event list, Logoff) and replays
// a transcript of event frames, so the client under test meets real sockets, real partial reads
// and real disconnects. The replay position survives reconnects: a dropped link resumes where it
// stopped, as a PBX keeps producing events while a box is away (the box then sees them only through
// the resync snapshot the test supplies, plus the frames after the drop point).
import { createServer, type Server, type Socket } from "node:net";
import { mulberry32 } from "../../scripts/bench/lib/prng.ts";
import { type AmiFrame, amiGet, createAmiParser, formatAmiFrame } from "../../src/pbx/ami/ami-parser.ts";

export type Chunking =
  | { readonly mode: "all" }
  | { readonly mode: "frames"; readonly delayMs: number }
  /** Random-sized writes (1..maxChunk bytes) with a pause between them, from a seeded generator. */
  | { readonly mode: "random"; readonly seed: number; readonly maxChunk?: number; readonly delayMs?: number };

export interface AmiPeerOptions {
  readonly username: string;
  readonly secret: string;
  /** Transcript text: event frames separated by blank lines, LF (CRLF accepted); `#` lines are comments. */
  readonly transcript?: string;
  readonly chunking?: Chunking;
  /** Drop the first connection that reaches this many replayed frames (counted across connections). */
  readonly dropAfterFrames?: number;
  /**
   * Replay positions where the PBX falls quiet until the next connection logs in: a test can kill
   * the box there knowing every frame before it was written and nothing after it (a kill while
   * frames are still being written loses the ones in the dying socket, as with a real Asterisk).
   */
  readonly pauseAt?: readonly number[];
  /**
   * The CoreShowChannel frames to report. A function gets the replay position at which this
   * connection logged in (after a drop at N: N), so it can report the channels alive there.
   */
  readonly channels?: readonly AmiFrame[] | ((position: number) => readonly AmiFrame[]);
  /**
   * Frames the PBX goes on with while no client is connected: after a logged-in connection goes
   * away, replay resumes this many frames later, and the box never sees those (default 0).
   */
  readonly skipWhileDown?: number;
  /** Send `Event: FullyBooted` after a Login, as Asterisk does (default true). */
  readonly fullyBooted?: boolean;
  /** Bind this port (default 0: the OS picks a free one). */
  readonly port?: number;
  /**
   * How other actions are answered, by action name (any case): the frames to send, each with the
   * action's ActionID (e.g. a real recording's answer to PJSIPShowEndpoints, or an Error). An
   * action not named here gets Asterisk's "Invalid/unknown command" Error.
   */
  readonly answers?: Readonly<Record<string, readonly AmiFrame[]>>;
  /**
   * A script for actions that need more than a fixed answer (call control: a reply, then the
   * events the action causes, on the wire as Asterisk writes them). Called first for every
   * action after Login; returns true when it handled the action.
   */
  readonly act?: (action: AmiFrame, io: PeerIo) => boolean;
}

/** What an action script may do on the connection the action came on. */
export interface PeerIo {
  /** The action's ActionID, if it had one. */
  readonly actionId: string | undefined;
  /** Write a frame to this connection. */
  send(frame: Record<string, string>): void;
  /** Write a frame to every logged-in connection (Asterisk's events go to every session). */
  broadcast(frame: Record<string, string>): void;
  /** Cut this connection now, without a goodbye. */
  drop(): void;
}

export interface ReceivedAction {
  readonly connection: number;
  readonly frame: AmiFrame;
}

export interface AmiPeer {
  readonly port: number;
  /** Every action received, in order, with the connection (1, 2, …) it came on. */
  readonly received: ReceivedAction[];
  /** Everything the clients wrote, as text, all connections concatenated. */
  readonly rawReceived: () => string;
  /** Connections accepted so far. */
  readonly connections: () => number;
  /** Connections open now. */
  readonly open: () => number;
  /** Transcript frames sent so far (the replay position). */
  readonly position: () => number;
  readonly frameCount: number;
  /** Actions (by name) the peer reads but never answers, e.g. "Ping" for a hung PBX. Mutable. */
  readonly ignoreActions: Set<string>;
  /** Write raw text to every logged-in connection (garbage tests). */
  sendRaw(text: string): void;
  /** Write one frame to every logged-in connection, as Asterisk sends an event. */
  sendEvent(frame: Record<string, string>): void;
  /** Cut every connection now, without a goodbye. */
  dropNow(): void;
  close(): Promise<void>;
}

export const BANNER = "Asterisk Call Manager/9.0.0";

/** Transcript text → wire frames (CRLF), comments and surrounding blank lines dropped. */
export function transcriptFrames(text: string): string[] {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const frames: string[] = [];
  let current: string[] = [];
  for (const line of [...lines, ""]) {
    if (line.startsWith("#") || line.startsWith(";")) continue;
    if (line.trim() === "") {
      if (current.length > 0) frames.push(`${current.join("\r\n")}\r\n\r\n`);
      current = [];
    } else {
      current.push(line);
    }
  }
  return frames;
}

export async function startAmiPeer(options: AmiPeerOptions): Promise<AmiPeer> {
  const frames = transcriptFrames(options.transcript ?? "");
  const chunking = options.chunking ?? { mode: "all" };
  const received: ReceivedAction[] = [];
  const sockets = new Set<Socket>();
  const loggedIn = new Set<Socket>();
  const ignoreActions = new Set<string>();
  let raw = "";
  let connections = 0;
  let position = 0;
  let dropped = false;
  const random = mulberry32(chunking.mode === "random" ? chunking.seed : 1);
  const loginPosition = new Map<Socket, number>();
  /** Answers held while a transcript frame is half written: Asterisk never interleaves frames. */
  const held = new Map<Socket, string[]>();

  const server: Server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("close", () => {
      sockets.delete(socket);
      if (loggedIn.has(socket)) position = Math.min(frames.length, position + (options.skipWhileDown ?? 0));
      loggedIn.delete(socket);
    });
    socket.on("error", () => {});
    const parser = createAmiParser({ expectBanner: false });
    socket.on("data", (chunk: Buffer) => {
      raw += chunk.toString("utf8");
      for (const frame of parser.push(chunk)) {
        received.push({ connection, frame });
        answer(socket, frame);
      }
    });
    socket.write(`${BANNER}\r\n`);
  });

  const send = (socket: Socket, frame: Record<string, string>) => {
    const queue = held.get(socket);
    if (queue !== undefined) queue.push(formatAmiFrame(frame));
    else if (!socket.destroyed) socket.write(formatAmiFrame(frame));
  };
  const release = (socket: Socket) => {
    const queue = held.get(socket) ?? [];
    held.delete(socket);
    if (!socket.destroyed) for (const text of queue) socket.write(text);
  };

  const answer = (socket: Socket, frame: AmiFrame) => {
    const action = amiGet(frame, "Action") ?? "";
    const id = amiGet(frame, "ActionID");
    const withId = (f: Record<string, string>) => (id === undefined ? f : { ...f, ActionID: id });
    if (ignoreActions.has(action)) return;
    if (action.toLowerCase() === "login") {
      if (amiGet(frame, "Username") !== options.username || amiGet(frame, "Secret") !== options.secret) {
        send(socket, withId({ Response: "Error", Message: "Authentication failed" }));
        socket.end();
        return;
      }
      send(socket, withId({ Response: "Success", Message: "Authentication accepted" }));
      loggedIn.add(socket);
      loginPosition.set(socket, position);
      if (options.fullyBooted ?? true) {
        send(socket, {
          Event: "FullyBooted",
          Privilege: "system,all",
          Uptime: "12",
          LastReload: "12",
          Status: "Fully Booted",
        });
      }
      void replay(socket);
      return;
    }
    if (!loggedIn.has(socket)) {
      send(socket, withId({ Response: "Error", Message: "Authentication Required" }));
      return;
    }
    const io: PeerIo = {
      actionId: id,
      send: (f) => send(socket, f),
      broadcast: (f) => {
        for (const s of loggedIn) send(s, f);
      },
      drop: () => socket.destroy(),
    };
    if (options.act?.(frame, io) === true) return;
    switch (action.toLowerCase()) {
      case "ping":
        send(
          socket,
          withId({ Response: "Success", Ping: "Pong", Timestamp: (Date.now() / 1000).toFixed(6) }),
        );
        return;
      case "coreshowchannels": {
        const at = loginPosition.get(socket) ?? position;
        const list = typeof options.channels === "function" ? options.channels(at) : (options.channels ?? []);
        send(socket, withId({ Response: "Success", EventList: "start", Message: "Channels will follow" }));
        for (const channel of list) send(socket, withId({ Event: "CoreShowChannel", ...channel }));
        send(
          socket,
          withId({
            Event: "CoreShowChannelsComplete",
            EventList: "Complete",
            ListItems: String(list.length),
          }),
        );
        return;
      }
      case "logoff":
        send(socket, withId({ Response: "Goodbye", Message: "Thanks for all the fish." }));
        socket.end();
        return;
      default: {
        const answer = Object.entries(options.answers ?? {}).find(
          ([name]) => name.toLowerCase() === action.toLowerCase(),
        )?.[1];
        if (answer !== undefined) for (const f of answer) send(socket, withId({ ...f }));
        else
          send(
            socket,
            withId({
              Response: "Error",
              Message: `Invalid/unknown command: ${action}. Use Action: ListCommands to show available commands.`,
            }),
          );
      }
    }
  };

  /** Replay from the shared position; stops at the drop point or when the socket goes away. */
  const replay = async (socket: Socket) => {
    const stopAt =
      !dropped && options.dropAfterFrames !== undefined ? options.dropAfterFrames : frames.length;
    const from = position;
    const pause = (options.pauseAt ?? []).find((p) => p > from);
    const to = Math.max(from, Math.min(stopAt, pause ?? frames.length, frames.length));
    if (chunking.mode === "all") {
      if (to > from) socket.write(frames.slice(from, to).join(""));
      position = to;
    } else if (chunking.mode === "frames") {
      for (let i = from; i < to && !socket.destroyed; i++) {
        socket.write(frames[i] ?? "");
        position = i + 1;
        await sleep(chunking.delayMs);
      }
    } else {
      // Bytes, not characters: a chunk may end inside a multi-byte UTF-8 character.
      const bytes = Buffer.from(frames.slice(from, to).join(""));
      const ends = cumulativeEnds(frames.slice(from, to));
      let offset = 0;
      while (offset < bytes.length && !socket.destroyed) {
        const size = 1 + Math.floor(random() * (chunking.maxChunk ?? 64));
        socket.write(bytes.subarray(offset, offset + size));
        offset = Math.min(bytes.length, offset + size);
        position = from + ends.filter((end) => end <= offset).length;
        if (ends.includes(offset)) release(socket);
        else if (!held.has(socket)) held.set(socket, []);
        await sleep(chunking.delayMs ?? 0);
      }
      release(socket);
    }
    if (to === stopAt && to < frames.length && !dropped && !socket.destroyed) {
      dropped = true;
      // A clean FIN after the frames already written, so exactly `dropAfterFrames` frames arrive.
      socket.end();
    }
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;

  return {
    port,
    received,
    rawReceived: () => raw,
    connections: () => connections,
    open: () => sockets.size,
    position: () => position,
    frameCount: frames.length,
    ignoreActions,
    sendRaw(text) {
      for (const socket of loggedIn) socket.write(text);
    },
    sendEvent(frame) {
      for (const socket of loggedIn) send(socket, frame);
    },
    dropNow() {
      for (const socket of sockets) socket.destroy();
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function cumulativeEnds(frames: readonly string[]): number[] {
  let sum = 0;
  return frames.map((f) => {
    sum += Buffer.byteLength(f);
    return sum;
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll until `check` holds (tests against a real socket have no event to await). */
export async function waitUntil(check: () => boolean, timeoutMs = 3_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}
