// Kamailio for the lab: the config template filled in with free loopback ports, a fresh db_text
// copy per start, started in the foreground (-DD -E) as our child and stopped by its PID.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { type LabProcess, spawnLabProcess } from "./lab-process.ts";
import { freeSipPort, freeTcpPort } from "./ports.ts";

export const KAMAILIO = process.env.KAMAILIO_BIN ?? "/usr/sbin/kamailio";
/** The empty db_text tables Debian ships; presence and pua insist on a db_url. */
const DBTEXT_TEMPLATE = "/usr/share/kamailio/dbtext/kamailio";
const TEMPLATE = join(import.meta.dirname, "kamailio.cfg");

export interface Kamailio {
  /** UDP port the phones register to and call through. */
  readonly udpPort: number;
  /** `ws://127.0.0.1:<port>`: watchers subscribe here. */
  readonly wsUrl: string;
  readonly pid: number;
  /** Stops (SIGTERM, SIGKILL after 5 s) and starts again on the same ports; registrations are kept. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  log(bytes?: number): string;
}

export async function startKamailio(dir: string): Promise<Kamailio> {
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, "kamailio.log");
  let starts = 0;
  let udpPort = 0;
  let wsPort = 0;
  let current: LabProcess | undefined;

  const launch = async (keepLocationFrom?: string): Promise<string> => {
    starts += 1;
    // Fresh tables every start: at shutdown pua (db_mode 0) dumps rows with an empty watcher_uri
    // into dbtext/pua, which db_text then refuses to load ("null value not allowed"), and the next
    // start dies. Only the registrations are carried over.
    const db = join(dir, `db-${starts}`);
    cpSync(DBTEXT_TEMPLATE, db, { recursive: true });
    if (keepLocationFrom) copyFileSync(join(keepLocationFrom, "location"), join(db, "location"));
    const config = join(dir, `kamailio-${starts}.cfg`);
    writeFileSync(
      config,
      readFileSync(TEMPLATE, "utf8")
        .replaceAll("@UDP_PORT@", String(udpPort))
        .replaceAll("@WS_PORT@", String(wsPort))
        .replaceAll("@DB_DIR@", db),
    );
    writeFileSync(logPath, `--- start ${starts} (udp ${udpPort}, ws ${wsPort}) ---\n`, { flag: "a" });
    const proc = spawnLabProcess(
      KAMAILIO,
      ["-f", config, "-DD", "-E", "-Y", dir, "-m", "64", "-M", "16"],
      dir,
      logPath,
    );
    current = proc;
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (!proc.alive()) throw new Error(`kamailio exited before listening\n${proc.log()}`);
      // Kamailio binds every socket before it forks the workers that accept on them.
      if (await accepts(wsPort)) return db;
      if (Date.now() > deadline) {
        await proc.stop();
        throw new Error(`kamailio did not listen on ws ${wsPort} in time\n${proc.log()}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  let db = "";
  for (let attempt = 1; ; attempt++) {
    udpPort = await freeSipPort();
    wsPort = await freeTcpPort();
    try {
      db = await launch();
      break;
    } catch (error) {
      // Someone took a port between our check and Kamailio's bind: new ports, new try.
      if (attempt >= 3 || !/Address already in use/.test(String(error))) throw error;
    }
  }

  const stop = async () => (current ? current.stop(5000) : true);
  return {
    udpPort,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    get pid() {
      return current?.pid ?? -1;
    },
    async restart() {
      // db_text writes the registrations to its files only at a clean shutdown.
      if (!(await stop()))
        throw new Error(`kamailio did not stop within 5 s: registrations lost\n${current?.log()}`);
      db = await launch(existsSync(join(db, "location")) ? db : undefined);
    },
    async stop() {
      await stop();
    },
    log: (bytes) => current?.log(bytes) ?? "",
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
    socket.setTimeout(500, () => done(false));
  });
}
