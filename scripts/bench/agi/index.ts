#!/usr/bin/env bun
import { createServer, type Server, type Socket } from "node:net";
import { parseArgs } from "node:util";
import { RUSSIAN_NUMBERS } from "../../../src/domain/rules/phone-number.ts";
import { decideRoute, type RoutedClient } from "../../../src/domain/rules/routing.ts";
import type { RoutingSource } from "../../../src/domain/rules/routing-port.ts";
import { noRulesFacts } from "../../../src/domain/rules/rules-types.ts";
import type { TodayEmployee } from "../../../src/domain/rules/whereabouts.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { createAgiServer } from "../../../src/pbx/ami/agi-server.ts";
import { runAgiSession } from "../../../test/support/res-agi-client.ts";
import { machine } from "../lib/host.ts";
import { goal, int, type Latency, pad, percentiles, progress, spread } from "../lib/stats.ts";

/**
 * `npm run bench:agi`: the FastAGI server of issue 16 against a bare TCP server on the same
 * machine, in the same run, with the same client (test/support/res-agi-client.ts, which writes
 * and answers as Asterisk's res_agi.c does). The bare server reads the environment up to its
 * blank line and then plays the same exchange (four `SET VARIABLE` lines, each awaiting its
 * `200 result=1`, then close) with constant lines and no parsing, no decision: what the protocol
 * and the sockets cost. The box's server decides each call from memory (`decideRoute` over
 * --clients clients and 50 employees on shift), as the RoutingService does between changes.
 * One process (server and client share the event loop, both sides alike). Not a test: it prints.
 *
 *   --rate N      sessions per second, opened on a fixed schedule (default 200)
 *   --seconds N   how long at that rate (default 10)
 *   --clients N   clients in the directory (default 10000)
 *   --burst N     sessions for the answers/s figure, 32 at a time (default 5000)
 */

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    rate: { type: "string", default: "200" },
    seconds: { type: "string", default: "10" },
    clients: { type: "string", default: "10000" },
    burst: { type: "string", default: "5000" },
  },
});
const RATE = Number(values.rate);
const SECONDS = Number(values.seconds);
const CLIENTS = Number(values.clients);
const BURST = Number(values.burst);
if (![RATE, SECONDS, CLIENTS, BURST].every((n) => n > 0)) {
  console.error("usage: bun scripts/bench/agi/index.ts [--rate N] [--seconds N] [--clients N] [--burst N]");
  process.exit(2);
}

const employees: TodayEmployee[] = Array.from({ length: 50 }, (_, i) => ({
  id: `e${i}`,
  name: `Employee ${i}`,
  extension: String(200 + i),
  onShift: true,
}));
const clients = new Map<string, RoutedClient>();
for (let i = 0; i < CLIENTS; i++)
  clients.set(`+7916${String(i).padStart(7, "0")}`, {
    name: `Client ${i}`,
    responsibleEmployeeId: `e${i % 50}`,
  });
const owners = new Map(employees.map((e) => [e.extension as string, e.id]));
const routing: RoutingSource = {
  routed: () => {},
  decide: (q, at) =>
    decideRoute({
      caller: q.caller,
      at,
      numbers: RUSSIAN_NUMBERS,
      clientOf: (e164) => clients.get(e164) ?? null,
      today: { employees, desks: [], dedicatedOwner: (ext) => owners.get(ext) ?? null },
      facts: noRulesFacts,
      settings: { ringSeconds: 20, fallback: "600" },
    }),
  snapshot: () => {
    throw new Error("not used");
  },
  subscribe: () => () => {},
};

/** The baseline: environment up to the blank line, then four constant commands, then close. */
function bareServer(): Promise<Server> {
  const lines = [
    'SET VARIABLE BB_RULE "R2.6"',
    'SET VARIABLE BB_TIMEOUT "20"',
    'SET VARIABLE BB_NEXT "600"',
    'SET VARIABLE BB_TARGET "PJSIP/201"',
  ];
  const server = createServer((socket: Socket) => {
    socket.setNoDelay(true);
    let buffer = "";
    let step = -1;
    socket.on("error", () => {});
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      if (step < 0) {
        const end = buffer.indexOf("\n\n");
        if (end < 0) return;
        buffer = buffer.slice(end + 2);
        step = 0;
        socket.write(`${lines[0]}\n`);
        return;
      }
      while (buffer.includes("\n")) {
        buffer = buffer.slice(buffer.indexOf("\n") + 1);
        step++;
        if (step < lines.length) socket.write(`${lines[step]}\n`);
        else socket.end();
      }
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

const portOf = (s: Server) => {
  const a = s.address();
  return typeof a === "object" && a !== null ? a.port : 0;
};

const caller = (i: number) => `8916${String(i % CLIENTS).padStart(7, "0")}`;

/** Sessions opened every 1000/RATE ms for SECONDS, whatever the previous ones are doing. */
async function atRate(port: number, label: string): Promise<{ latency: Latency; targets: number }> {
  progress(`${label}: ${int(RATE * SECONDS)} sessions at ${RATE}/s`);
  const total = RATE * SECONDS;
  const started = performance.now();
  const sessions: Promise<{ ms: number; target: boolean }>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await Bun.sleep(wait);
    sessions.push(
      runAgiSession({ port, script: "route?did=74951112233", env: { callerid: caller(i) } }).then((s) => ({
        ms: s.closedBy === "server" ? s.elapsedMs : Number.NaN,
        target: s.variables.BB_TARGET !== undefined,
      })),
    );
  }
  const done = await Promise.all(sessions);
  return { latency: percentiles(done.map((d) => d.ms)), targets: done.filter((d) => d.target).length };
}

/** As fast as it goes, 32 sessions open at a time: answered sessions per second. */
async function flat(port: number, label: string): Promise<number> {
  progress(`${label}: ${int(BURST)} sessions, 32 at a time`);
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < BURST) {
      const i = next++;
      await runAgiSession({ port, script: "route", env: { callerid: caller(i) } });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return BURST / ((performance.now() - started) / 1000);
}

const agi = createAgiServer({ listen: "127.0.0.1:0", routing, tech: "PJSIP", log: silentLogger });
await agi.start();
const bare = await bareServer();
const load = (await import("node:os")).loadavg()[0]?.toFixed(2);

await atRate(agi.port(), "warm-up");
const box = await atRate(agi.port(), "branchbox FastAGI");
const base = await atRate(portOf(bare), "bare TCP");
const boxRate = await flat(agi.port(), "branchbox FastAGI");
const bareRate = await flat(portOf(bare), "bare TCP");
await agi.stop();
bare.close();

const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
console.log(
  [
    `branchbox FastAGI benchmark: ${machine()}, load ${load} at start`,
    `${int(RATE * SECONDS)} sessions at ${RATE}/s (connect → environment → 4 x SET VARIABLE → close), ${int(CLIENTS)} clients:`,
    `  ${pad("branchbox FastAGI (decideRoute)", 36)} ${spread(box.latency)}  (${int(box.latency.count)} closed, ${int(box.targets)} with BB_TARGET)`,
    `  ${pad("bare TCP, same exchange", 36)} ${spread(base.latency)}  (${int(base.latency.count)} closed)`,
    `  ${pad("ratio", 36)} p50 ${ratio(box.latency.p50, base.latency.p50)}  p99 ${ratio(box.latency.p99, base.latency.p99)}`,
    `  goal p99 < 5 ms at 200/s: ${goal(box.latency.p99 < 5)}`,
    `answers/s, 32 sessions open at a time (${int(BURST)} sessions):`,
    `  ${pad("branchbox FastAGI", 36)} ${int(boxRate)}/s`,
    `  ${pad("bare TCP, same exchange", 36)} ${int(bareRate)}/s   (ratio ${ratio(boxRate, bareRate)})`,
  ].join("\n"),
);
