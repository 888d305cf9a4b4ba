// A loopback TCP relay between a client and a real server, so a test can cut a live connection
// the way a dying link does (no DISCONNECT, just a closed socket) without touching either end.
import { connect, createServer, type Socket } from "node:net";

export type TcpProxy = {
  readonly port: number;
  /** Destroys every open connection, both sides; new connections are still accepted. */
  cutAll(): void;
  /** How many connections were accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
};

export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const open = new Set<Socket>();
  let accepted = 0;
  const server = createServer((inbound) => {
    accepted++;
    const outbound = connect({ host: "127.0.0.1", port: targetPort });
    open.add(inbound);
    open.add(outbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
      open.delete(inbound);
      open.delete(outbound);
    };
    inbound.on("error", drop).on("close", drop);
    outbound.on("error", drop).on("close", drop);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
  });
  await new Promise<void>((resolveListen) => server.listen(0, "127.0.0.1", resolveListen));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    get accepted() {
      return accepted;
    },
    cutAll() {
      for (const socket of open) socket.destroy();
      open.clear();
    },
    close() {
      for (const socket of open) socket.destroy();
      open.clear();
      return new Promise((resolveClose) => server.close(() => resolveClose()));
    },
  };
}
