// Free loopback ports for the lab's processes, so several labs (and test files) run at once.
// The OS picks a port, we close it and hand it over: another process may take it in between, so
// the starters retry with new ports when a bind fails.
import { createSocket } from "node:dgram";
import { createServer, type Server } from "node:net";

const HOST = "127.0.0.1";

function listenTcp(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen(port, HOST, () => resolve(server));
  });
}

function bindUdp(port: number): Promise<(() => Promise<void>) | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.unref();
    socket.once("error", () => resolve(undefined));
    socket.bind(port, HOST, () => resolve(() => new Promise((done) => socket.close(() => done()))));
  });
}

const closeTcp = (server: Server) => new Promise<void>((done) => server.close(() => done()));

/** A TCP port nobody listens on right now. */
export async function freeTcpPort(): Promise<number> {
  const server = await listenTcp(0);
  const address = server?.address();
  if (!server || typeof address !== "object" || address === null) throw new Error("no TCP port from the OS");
  await closeTcp(server);
  return address.port;
}

/**
 * A port P free for UDP and TCP, with P+1 free for TCP too: Kamailio's UDP listener, and a baresip
 * phone, whose `sip_listen P` binds UDP P, TCP P and TLS P+1 (adjacent phones clash otherwise).
 */
export async function freeSipPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freeTcpPort();
    const tcp = await listenTcp(port);
    const next = port < 65535 ? await listenTcp(port + 1) : undefined;
    const udp = await bindUdp(port);
    if (tcp) await closeTcp(tcp);
    if (next) await closeTcp(next);
    if (udp) await udp();
    if (tcp && next && udp) return port;
  }
  throw new Error("no free SIP port (UDP+TCP P, TCP P+1) after 50 tries");
}
