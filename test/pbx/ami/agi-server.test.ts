// The box's FastAGI server against a client that speaks as Asterisk's res_agi.c does
// (test/support/res-agi-client.ts), and against the environment of a real Asterisk 22 session
// (test/fixtures/agi/real/).
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { join } from "node:path";
import { RUSSIAN_NUMBERS } from "../../../src/domain/rules/phone-number.ts";
import { decideRoute, type RoutingSettings } from "../../../src/domain/rules/routing.ts";
import type { RouteQuestion, RoutingSource } from "../../../src/domain/rules/routing-port.ts";
import type { Absence } from "../../../src/domain/rules/rules-types.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { type AgiServer, createAgiServer } from "../../../src/pbx/ami/agi-server.ts";
import { waitUntil } from "../../support/ami-peer.ts";
import { environmentFromLog, runAgiSession } from "../../support/res-agi-client.ts";

const REAL = readFileSync(
  join(import.meta.dir, "../../fixtures/agi/real/wazo-screen-blocklist.agi.txt"),
  "utf8",
);

/** The branch: Сергей (responsible for +79161234567) at his own 104; Ольга (+79161112233's) on vacation. */
function routing(settings: RoutingSettings = { ringSeconds: 20, fallback: null }) {
  const asked: RouteQuestion[] = [];
  const away: Record<string, Absence> = { olga: { reason: "vacation", until: null } };
  const source: RoutingSource = {
    routed: () => {},
    decide: (question, at) => {
      asked.push(question);
      return decideRoute({
        caller: question.caller,
        at,
        numbers: RUSSIAN_NUMBERS,
        clientOf: (e164) =>
          ({
            "+79161234567": { name: "ООО Ромашка", responsibleEmployeeId: "sergey" },
            "+79161112233": { name: "Иванов", responsibleEmployeeId: "olga" },
          })[e164] ?? null,
        today: {
          employees: [
            { id: "sergey", name: "Сергей", extension: "104", onShift: true },
            { id: "olga", name: "Ольга", extension: "105", onShift: true },
          ],
          desks: [],
          dedicatedOwner: (ext) => ({ "104": "sergey", "105": "olga" })[ext] ?? null,
        },
        facts: { absence: (id) => away[id] ?? null, forwarding: () => null, subscribe: () => () => {} },
        settings,
      });
    },
    snapshot: () => {
      throw new Error("not used by the AGI server");
    },
    subscribe: () => () => {},
  };
  return { source, asked };
}

let server: AgiServer | null = null;
afterEach(async () => {
  await server?.stop();
  server = null;
});

async function start(settings?: RoutingSettings, deadlineMs?: number) {
  const r = routing(settings);
  server = createAgiServer({
    listen: "127.0.0.1:0",
    routing: r.source,
    tech: "PJSIP",
    log: silentLogger,
    ...(deadlineMs === undefined ? {} : { deadlineMs }),
  });
  expect(await server.start()).toBe(true);
  return { port: server.port(), asked: r.asked, server };
}

describe("FastAGI route: what res_agi's client gets", () => {
  test("R2.6: a known client's call sets BB_RULE, BB_TIMEOUT, BB_NEXT and last BB_TARGET, then the server closes", async () => {
    const { port, asked } = await start();
    const s = await runAgiSession({
      port,
      script: "route?did=74951112233",
      env: { callerid: "89161234567" },
    });
    expect(s).toMatchObject({ agiStatus: "SUCCESS", closedBy: "server" });
    expect(s.commands).toEqual([
      'SET VARIABLE BB_RULE "R2.6"',
      'SET VARIABLE BB_TIMEOUT "20"',
      'SET VARIABLE BB_NEXT ""',
      'SET VARIABLE BB_TARGET "PJSIP/104"',
    ]);
    expect(s.replies).toEqual(Array(4).fill("200 result=1\n"));
    expect(s.variables).toEqual({ BB_RULE: "R2.6", BB_TIMEOUT: "20", BB_NEXT: "", BB_TARGET: "PJSIP/104" });
    expect(s.elapsedMs).toBeLessThan(300);
    expect(asked).toEqual([{ caller: "89161234567", did: "74951112233", uniqueId: "1746044688.69" }]);
  });

  test("R4.6: with [rules] responsible_fallback, BB_NEXT names where the call goes if the responsible does not answer", async () => {
    const { port } = await start({ ringSeconds: 25, fallback: "600" });
    const s = await runAgiSession({
      port,
      script: "route?did=74951112233",
      env: { callerid: "+79161234567" },
    });
    expect(s.variables).toEqual({
      BB_RULE: "R2.6",
      BB_TIMEOUT: "25",
      BB_NEXT: "600",
      BB_TARGET: "PJSIP/104",
    });
  });

  test("R4.7: the responsible is on vacation: only BB_RULE, no target, so the dialplan takes the PBX's own route at once", async () => {
    const { port } = await start();
    const s = await runAgiSession({
      port,
      script: "route?did=74951112233",
      env: { callerid: "79161112233" },
    });
    expect(s.variables).toEqual({ BB_RULE: "R4.7" });
    expect(s.agiStatus).toBe("SUCCESS");
  });

  test("R2.6: a withheld number (agi_callerid: unknown) is no client: no target", async () => {
    const { port, asked } = await start();
    const s = await runAgiSession({ port, script: "route?did=74951112233", env: { callerid: "unknown" } });
    expect(s.variables).toEqual({ BB_RULE: "R2.6" });
    expect(asked[0]?.caller).toBeNull();
  });

  test("without ?did= the DID is agi_dnid", async () => {
    const { port, asked } = await start();
    await runAgiSession({ port, script: "route", env: { dnid: "74950000000" } });
    expect(asked[0]?.did).toBe("74950000000");
  });
});

describe("FastAGI: a real Asterisk 22 session's environment (Wazo, test/fixtures/agi/real)", () => {
  test("another script (screen_blocklist): nothing set, the socket closed at once, so the dialplan goes on", async () => {
    const { port, asked } = await start();
    const lines = environmentFromLog(REAL);
    expect(lines[0]).toBe("agi_network: yes\n");
    expect(lines.at(-1)).toBe("\n");
    const s = await rawSession(port, lines);
    expect(s.received).toBe("");
    expect(s.closedAfterMs).toBeLessThan(100);
    expect(asked).toHaveLength(0);
  });

  test("the same environment asking for route: Asterisk's replies in the log are what the client gives (200 result=1)", async () => {
    const { port, asked } = await start();
    const lines = environmentFromLog(REAL).map((l) =>
      l.startsWith("agi_network_script:") ? "agi_network_script: route?did=1002\n" : l,
    );
    const s = await rawSession(port, lines, "200 result=1\n");
    expect(asked).toEqual([{ caller: "5145552255", did: "1002", uniqueId: "1746044688.69" }]);
    // +75145552255 is nobody's client at this branch: the rule only, no target.
    expect(s.received).toBe('SET VARIABLE BB_RULE "R2.6"\n');
    expect(REAL).toContain("AGI Tx >> 200 result=1\n");
  });
});

describe("FastAGI: a caller who hangs up, a half-open socket, garbage, a stalled PBX", () => {
  test("the caller hangs up mid-session (HANGUP in-band after the first answer): nothing more is set", async () => {
    const { port, server } = await start();
    const s = await runAgiSession({
      port,
      script: "route",
      env: { callerid: "79161234567" },
      hangupAfter: 1,
    });
    expect(s.agiStatus).toBe("HANGUP");
    expect(s.closedBy).toBe("server");
    expect(s.variables.BB_TARGET).toBeUndefined();
    expect(server.status()).toMatchObject({ answered: 0, silent: 1 });
  });

  test("AGIEXITONHANGUP: the PBX leaves right after the hangup; the server lets the session go", async () => {
    const { port, server } = await start();
    const s = await runAgiSession({
      port,
      script: "route",
      env: { callerid: "79161234567" },
      hangupAfter: 0,
      exitOnHangup: true,
    });
    expect(s.variables.BB_TARGET).toBeUndefined();
    await waitUntil(() => server.status().open === 0, 1000, "the session closed");
  });

  test("a half-written environment (no blank line): the server closes at its 300 ms deadline, nothing set", async () => {
    const { port, server } = await start();
    const s = await runAgiSession({ port, script: "route", stopAfterEnvLines: 5, giveUpMs: 3000 });
    expect(s.closedBy).toBe("server");
    expect(s.commands).toEqual([]);
    expect(s.elapsedMs).toBeGreaterThanOrEqual(290);
    expect(s.elapsedMs).toBeLessThan(1000);
    expect(server.status().late).toBe(1);
  });

  test("garbage (an HTTP request): closed at once, nothing set", async () => {
    const { port, asked } = await start();
    const s = await runAgiSession({ port, script: "", raw: "GET /route HTTP/1.1\r\nHost: box\r\n\r\n" });
    expect(s).toMatchObject({ closedBy: "server", commands: [] });
    expect(s.elapsedMs).toBeLessThan(100);
    expect(asked).toHaveLength(0);
  });

  test("a PBX that stops answering mid-session: nothing more is set after the deadline, and the socket is closed", async () => {
    const { port } = await start(undefined, 150);
    const lines = environmentFromLog(REAL).map((l) =>
      l.startsWith("agi_network_script:")
        ? "agi_network_script: route\n"
        : l.startsWith("agi_callerid:")
          ? "agi_callerid: 79161234567\n"
          : l,
    );
    const s = await rawSession(port, lines);
    expect(s.received).toBe('SET VARIABLE BB_RULE "R2.6"\n');
    expect(s.closedAfterMs).toBeGreaterThanOrEqual(140);
    expect(s.closedAfterMs).toBeLessThan(600);
  });

  test("the port taken: start() says false and the box goes on (PBX.AGI_LISTEN_FAILED), nothing thrown", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", () => resolve()));
    const address = taken.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    const r = routing();
    const s = createAgiServer({
      listen: `127.0.0.1:${port}`,
      routing: r.source,
      tech: "PJSIP",
      log: silentLogger,
    });
    expect(await s.start()).toBe(false);
    expect(s.status().error).toContain("EADDRINUSE");
    await s.stop();
    await new Promise<void>((resolve) => taken.close(() => resolve()));
  });
});

/** Writes `lines` one write each, answers every command line with `answer` (none: never), and reports what came back. */
function rawSession(
  port: number,
  lines: readonly string[],
  answer?: string,
): Promise<{ received: string; closedAfterMs: number }> {
  return new Promise((resolve) => {
    const started = performance.now();
    let received = "";
    const socket = connect({ host: "127.0.0.1", port }, () => {
      for (const line of lines) socket.write(line);
    });
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8");
      if (answer !== undefined) for (const _ of chunk.toString("utf8").matchAll(/\n/g)) socket.write(answer);
    });
    socket.on("error", () => {});
    socket.on("close", () => resolve({ received, closedAfterMs: performance.now() - started }));
  });
}
