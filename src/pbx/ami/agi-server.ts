import { createServer, type Server, type Socket } from "node:net";
import type { RouteDecision } from "../../domain/rules/routing.ts";
import type { RoutingSource } from "../../domain/rules/routing-port.ts";
import { parseListen } from "../../lib/listen-address.ts";
import type { Logger } from "../../log/logger.ts";

export interface AgiServerOptions {
  /** `[pbx.ami] agi_listen`, `host:port` ("0.0.0.0:4573"). */
  readonly listen: string;
  readonly routing: RoutingSource;
  /** The phones' channel technology: `BB_TARGET` is `<tech>/<extension>`. */
  readonly tech: string;
  readonly log: Logger;
  readonly now?: () => number;
  /** A session's hard limit from its connection: past it the box sets nothing more and closes (default 300 ms). */
  readonly deadlineMs?: number;
  /** Sessions open at once; one more is closed at once, so the dialplan goes on (default 256). */
  readonly maxSessions?: number;
}

export interface AgiServerStatus {
  /** `host:port` listened on, or null (off, not yet, or failed: `error`). */
  readonly listening: string | null;
  readonly error: string | null;
  readonly open: number;
  /** Sessions that set `BB_TARGET` (R2.6) or only `BB_RULE` (no rule of the box applies). */
  readonly answered: number;
  /** Sessions closed having set nothing: another script, garbage, the deadline, a hangup, too many open. */
  readonly silent: number;
  readonly late: number;
}

/** res_agi reads lines of up to AGI_BUF_LEN (2048); an environment is a few hundred bytes. */
const MAX_HEADER_BYTES = 16 * 1024;

/**
 * The box's FastAGI server (issue 16), for the dialplan's `AGI(agi://box:4573/route?did=${EXTEN})`:
 * it reads the environment exactly as res_agi.c writes it (`agi_network: yes`, the script, the
 * `setup_env` lines, a blank line), asks the routing (from memory, R2.6/R4.6/R4.7), sets
 * `BB_RULE`, `BB_TIMEOUT`, `BB_NEXT` and last `BB_TARGET` with `SET VARIABLE`, each answered
 * `200 result=1`, and closes: Asterisk then goes on with the next priority.
 *
 * ALWAYS within `deadlineMs` of the connection, or nothing more is set and the socket is closed
 * (Asterisk waits on an AGI socket without any time limit: the box must end it). NEVER calls out
 * while a caller waits. Another script, garbage, an in-band `HANGUP`, an error answer or a
 * socket closed by the caller's side: nothing more is sent, the socket is closed.
 */
export function createAgiServer(options: AgiServerOptions) {
  const now = options.now ?? Date.now;
  const deadlineMs = options.deadlineMs ?? 300;
  const maxSessions = options.maxSessions ?? 256;
  const log = options.log.child({ component: "fastagi" });
  const sockets = new Set<Socket>();
  const counts = { answered: 0, silent: 0, late: 0 };
  let listening: string | null = null;
  let error: string | null = null;
  let server: Server | null = null;

  const session = (socket: Socket) => {
    if (sockets.size >= maxSessions) {
      counts.silent++;
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = "";
    let env: Map<string, string> | null = new Map();
    let pending: ((line: string) => void) | null = null;
    let finished = false;
    const timer = setTimeout(() => {
      if (!finished) counts.late++;
      finish(false);
    }, deadlineMs);
    const finish = (answered: boolean) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (answered) counts.answered++;
      else counts.silent++;
      pending = null;
      socket.end();
      socket.destroy();
    };
    socket.on("error", () => finish(false));
    socket.on("close", () => {
      sockets.delete(socket);
      finish(false);
    });
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let cut = buffer.indexOf("\n");
      while (cut >= 0 && !finished) {
        const line = buffer.slice(0, cut).replace(/\r$/, "");
        buffer = buffer.slice(cut + 1);
        if (env !== null) {
          if (line === "") {
            const done = env;
            env = null;
            void answer(done);
          } else {
            const colon = line.indexOf(":");
            if (colon <= 0 || !line.startsWith("agi_")) return finish(false);
            env.set(line.slice(0, colon), line.slice(colon + 1).trimStart());
          }
        } else if (line === "HANGUP") {
          return finish(false);
        } else {
          pending?.(line);
        }
        cut = buffer.indexOf("\n");
      }
      if (env !== null && buffer.length > MAX_HEADER_BYTES) finish(false);
    });

    /** One command and its `200 result=…` line; null on anything else (a hangup, an error, the end). */
    const command = (text: string): Promise<string | null> =>
      new Promise((resolve) => {
        if (finished) return resolve(null);
        pending = (line) => {
          // A 520 usage answer spans lines (`520-…` up to `520 End…`): the first one already says no.
          pending = null;
          resolve(line.startsWith("200 ") ? line : null);
        };
        socket.write(`${text}\n`);
      });

    const answer = async (vars: Map<string, string>) => {
      const script = vars.get("agi_network_script") ?? "";
      const [path, query = ""] = splitOnce(script, "?");
      if (path !== "route") return finish(false);
      const caller = vars.get("agi_callerid");
      let decision: RouteDecision;
      try {
        decision = options.routing.decide(
          {
            caller: caller === undefined || caller === "unknown" ? null : caller,
            did: new URLSearchParams(query).get("did") ?? vars.get("agi_dnid") ?? null,
            uniqueId: vars.get("agi_uniqueid") ?? null,
          },
          now(),
        );
      } catch (e) {
        log.error("routing threw: nothing set", { error: e });
        return finish(false);
      }
      for (const [name, value] of settings(decision, options.tech)) {
        const reply = await command(`SET VARIABLE ${name} ${quote(value)}`);
        if (reply === null || finished) return finish(false);
      }
      log.debug("route answered", {
        uniqueId: vars.get("agi_uniqueid"),
        rule: decision.rule,
        kind: decision.kind,
      });
      finish(true);
    };
  };

  return {
    /** Listens; false (logged `PBX.AGI_LISTEN_FAILED`, never thrown) when it cannot. */
    start(): Promise<boolean> {
      const { hostname, port } = parseListen(options.listen);
      return new Promise((resolve) => {
        const s = createServer(session);
        s.once("error", (e) => {
          error = e.message;
          log.error("FastAGI server cannot listen: the dialplan takes the PBX's own route", {
            code: "PBX.AGI_LISTEN_FAILED",
            listen: options.listen,
            error: e.message,
          });
          resolve(false);
        });
        s.listen({ host: hostname, port }, () => {
          server = s;
          const address = s.address();
          listening =
            typeof address === "object" && address !== null
              ? `${address.address}:${address.port}`
              : options.listen;
          log.info("FastAGI server listening", { listen: listening });
          resolve(true);
        });
      });
    },
    stop(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      const s = server;
      server = null;
      listening = null;
      return new Promise((resolve) => (s === null ? resolve() : s.close(() => resolve())));
    },
    /** The port listened on (0 when not listening): tests listen on port 0. */
    port(): number {
      const address = server?.address();
      return typeof address === "object" && address !== null ? address.port : 0;
    },
    status(): AgiServerStatus {
      return { listening, error, open: sockets.size, ...counts };
    },
  };
}

export type AgiServer = ReturnType<typeof createAgiServer>;

/** The channel variables the server sets, in the order it sets them (the dialplan reads these). */
export const AGI_VARIABLES = ["BB_RULE", "BB_TIMEOUT", "BB_NEXT", "BB_TARGET"] as const;

/**
 * What the dialplan gets: `BB_RULE` always; for a ring `BB_TIMEOUT`, `BB_NEXT` (R4.6's extension,
 * empty: the PBX's own route) and, last, `BB_TARGET`, the variable the dialplan acts on.
 */
function settings(decision: RouteDecision, tech: string): [string, string][] {
  if (decision.kind !== "ring") return [["BB_RULE", decision.rule]];
  return [
    ["BB_RULE", decision.rule],
    ["BB_TIMEOUT", String(decision.timeoutSeconds)],
    ["BB_NEXT", decision.next.kind === "forward" ? decision.next.extension : ""],
    ["BB_TARGET", `${tech}/${decision.target}`],
  ];
}

/** A value as res_agi's parse_args reads one argument: in quotes, `"` and `\` escaped. */
function quote(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}
