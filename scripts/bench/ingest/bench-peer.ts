import { createServer, type Server, type Socket } from "node:net";
import { type AmiFrame, amiGet, createAmiParser, formatAmiFrame } from "../../../src/pbx/ami/ami-parser.ts";

/**
 * A fast AMI peer for the benchmark, on loopback: the banner, Login, Ping and an empty
 * `CoreShowChannels` answered as Asterisk 20 answers them, then the events are the bench's to
 * write (pre-rendered bytes). Every write is whole frames, so an answer to a Ping lands between
 * frames, never inside one (Asterisk never interleaves). The scripted test peer replays frame by
 * frame with timers and is too slow for this.
 */

export const BANNER = "Asterisk Call Manager/9.0.0";

export interface BenchLink {
  /** Writes whole frames; resolves when the socket takes more (backpressure honoured). */
  write(bytes: string | Uint8Array): Promise<void>;
  readonly closed: boolean;
}

export interface BenchPeer {
  readonly port: number;
  /** The link of the first client that logged in and read its (empty) channel snapshot. */
  readonly ready: Promise<BenchLink>;
  readonly connections: () => number;
  close(): Promise<void>;
}

export async function startBenchPeer(credentials: { username: string; secret: string }): Promise<BenchPeer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let resolveReady: (link: BenchLink) => void = () => {};
  const ready = new Promise<BenchLink>((resolve) => {
    resolveReady = resolve;
  });

  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const parser = createAmiParser({ expectBanner: false });
    let loggedIn = false;
    socket.on("data", (chunk: Buffer) => {
      for (const frame of parser.push(chunk)) answer(frame);
    });
    const send = (frame: Record<string, string>) => {
      if (!socket.destroyed) socket.write(formatAmiFrame(frame));
    };
    const answer = (frame: AmiFrame) => {
      const action = (amiGet(frame, "Action") ?? "").toLowerCase();
      const id = amiGet(frame, "ActionID");
      const withId = (f: Record<string, string>) => (id === undefined ? f : { ...f, ActionID: id });
      if (action === "login") {
        const ok =
          amiGet(frame, "Username") === credentials.username &&
          amiGet(frame, "Secret") === credentials.secret;
        send(
          withId(ok ? { Response: "Success", Message: "Authentication accepted" } : { Response: "Error" }),
        );
        if (ok) loggedIn = true;
        else socket.end();
      } else if (!loggedIn) {
        send(withId({ Response: "Error", Message: "Authentication Required" }));
      } else if (action === "ping") {
        send(withId({ Response: "Success", Ping: "Pong", Timestamp: (Date.now() / 1000).toFixed(6) }));
      } else if (action === "coreshowchannels") {
        send(withId({ Response: "Success", EventList: "start", Message: "Channels will follow" }));
        send(withId({ Event: "CoreShowChannelsComplete", EventList: "Complete", ListItems: "0" }));
        resolveReady(linkOf(socket));
      } else if (action === "logoff") {
        send(withId({ Response: "Goodbye", Message: "Thanks for all the fish." }));
        socket.end();
      } else {
        send(withId({ Response: "Error", Message: "Invalid/unknown command" }));
      }
    };
    socket.write(`${BANNER}\r\n`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    ready,
    connections: () => connections,
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function linkOf(socket: Socket): BenchLink {
  return {
    write(bytes) {
      if (socket.destroyed) return Promise.reject(new Error("the box closed the AMI link"));
      if (socket.write(bytes)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const done = () => {
          socket.off("close", gone);
          resolve();
        };
        const gone = () => {
          socket.off("drain", done);
          reject(new Error("the box closed the AMI link"));
        };
        socket.once("drain", done);
        socket.once("close", gone);
      });
    },
    get closed() {
      return socket.destroyed;
    },
  };
}
