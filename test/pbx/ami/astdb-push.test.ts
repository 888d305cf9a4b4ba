import { afterEach, describe, expect, test } from "bun:test";
import { RUSSIAN_NUMBERS } from "../../../src/domain/rules/phone-number.ts";
import type { NoAnswerPlan, RoutingSnapshot } from "../../../src/domain/rules/routing.ts";
import type { RoutingSource } from "../../../src/domain/rules/routing-port.ts";
import { createLogger } from "../../../src/log/logger.ts";
import { type AmiClient, createAmiClient } from "../../../src/pbx/ami/ami-client.ts";
import { AstdbPush } from "../../../src/pbx/ami/astdb-push.ts";
import { type AstdbPeer, astdbPeer } from "../../support/ami-astdb.ts";
import { type AmiPeer, startAmiPeer, waitUntil } from "../../support/ami-peer.ts";

const USER = "branchbox";
const SECRET = "astdb-secret";
const NOW = Date.parse("2026-12-01T09:00:00Z");

const plan = (extension: string, employeeId: string, over: Partial<NoAnswerPlan> = {}): NoAnswerPlan => ({
  extension,
  employeeId,
  timeoutSeconds: 120,
  step: { kind: "busy" },
  notice: { kind: "default" },
  rule: "R4.1",
  reason: "",
  ...over,
});

/** The rules as the routing service would give them; a test changes `current` and calls `notify`. */
function routing(initial: RoutingSnapshot) {
  const listeners = new Set<() => void>();
  const state = { current: initial };
  const source: RoutingSource = {
    routed: () => {},
    decide: () => ({ kind: "pbx-route", rule: "R2.6", reason: "" }),
    snapshot: () => state.current,
    subscribe: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  return {
    source,
    state,
    notify: () => {
      for (const l of listeners) l();
    },
  };
}

const SNAPSHOT: RoutingSnapshot = {
  responsible: new Map([
    ["+79161234567", "104"],
    ["+79161112233", "105"],
  ]),
  absent: ["106"],
  noAnswer: [
    plan("101", "anna"),
    plan("104", "sergey", {
      timeoutSeconds: 30,
      step: { kind: "forward", extension: "101" },
      notice: { kind: "custom", recording: "custom/sergey-away" },
      rule: "R4.2",
    }),
  ],
  settings: { ringSeconds: 20, fallback: "600" },
};

const EXPECTED = {
  ring: "20",
  fallback: "600",
  tech: "PJSIP",
  cc: "7",
  np: "8",
  nd: "10",
  "resp/79161234567": "104",
  "resp/79161112233": "105",
  "absent/106": "1",
  "fwd/101": "120|busy||default",
  "fwd/104": "30|forward|101|rec:custom/sergey-away",
  stamp: String(NOW / 1000),
};

let peer: AmiPeer;
let client: AmiClient;
let push: AstdbPush;
afterEach(async () => {
  push?.stop();
  await client?.stop();
  await peer?.close();
});

async function start(db: AstdbPeer, snapshot = SNAPSHOT) {
  const lines: string[] = [];
  const r = routing(snapshot);
  peer = await startAmiPeer({ username: USER, secret: SECRET, act: (a, io) => db.act(a, io) });
  client = createAmiClient({
    host: "127.0.0.1",
    port: peer.port,
    username: USER,
    secret: SECRET,
    log: createLogger({ write: () => {} }),
    backoff: { baseMs: 10, capMs: 50 },
    onFrame: () => {},
    onResync: () => {},
    onState: (s) => {
      if (s.state === "connected") push.linkUp();
    },
  });
  push = new AstdbPush({
    client,
    routing: r.source,
    dialing: { tech: "PJSIP", numbers: RUSSIAN_NUMBERS },
    log: createLogger({ write: (line) => lines.push(line) }),
    now: () => NOW,
    settleMs: 5,
  });
  push.start();
  client.start();
  return { ...r, lines };
}

const stamped = (db: AstdbPeer) => db.db.has("/branchbox/stamp");

describe("R2.6, R4.7, R4.1–R4.3 in Asterisk's own database (AMI DBPut into branchbox/…)", () => {
  test("after a login the tree is deleted and every key written, then the stamp", async () => {
    const db = astdbPeer();
    db.db.set("/branchbox/resp/70000000000", "199"); // a key of an older run: gone after the login
    db.db.set("/other/key", "kept");
    await start(db);
    await waitUntil(() => stamped(db), 3000, "the stamp");
    expect(db.family("branchbox")).toEqual(EXPECTED);
    expect(db.db.get("/other/key")).toBe("kept");
    expect(db.actions[0]).toBe("DBDelTree branchbox");
    expect(db.actions.at(-1)).toBe(`DBPut branchbox stamp = ${NOW / 1000}`);
    expect(db.actions).toHaveLength(1 + 11 + 1);
    expect(push.status()).toMatchObject({ keys: 11, puts: 11, refused: 0, freshAt: NOW });
  });

  test("a change sends only the keys that changed, then the stamp again", async () => {
    const db = astdbPeer();
    const r = await start(db);
    await waitUntil(() => stamped(db), 3000, "the first push");
    const mark = db.actions.length;
    r.state.current = {
      ...SNAPSHOT,
      responsible: new Map([["+79161234567", "111"]]),
      absent: [],
    };
    r.notify();
    await waitUntil(() => db.actions.length > mark + 3, 3000, "the diff");
    await push.settled();
    expect(db.actions.slice(mark).sort()).toEqual(
      [
        "DBPut branchbox resp/79161234567 = 111",
        "DBDel branchbox resp/79161112233",
        "DBDel branchbox absent/106",
        `DBPut branchbox stamp = ${NOW / 1000}`,
      ].sort(),
    );
    expect(db.family("branchbox")["resp/79161234567"]).toBe("111");
    expect(db.family("branchbox")["absent/106"]).toBeUndefined();
  });

  test("after every reconnect everything is pushed again (Asterisk may have restarted and lost the tree)", async () => {
    const db = astdbPeer();
    await start(db);
    await waitUntil(() => stamped(db), 3000, "the first push");
    db.db.clear(); // Asterisk restarted with an empty astdb.sqlite3
    const mark = db.actions.length;
    peer.dropNow();
    await waitUntil(() => peer.connections() >= 2 && stamped(db), 5000, "the push after the reconnect");
    expect(db.actions[mark]).toBe("DBDelTree branchbox");
    expect(db.family("branchbox")).toEqual(EXPECTED);
  });

  test("an Error reply (no `system` write class) is logged, counted, leaves no stamp, and is retried on the next change", async () => {
    const db = astdbPeer();
    db.denied = true;
    const r = await start(db);
    await waitUntil(() => push.status().refused > 0, 3000, "the refusal");
    await push.settled();
    expect(stamped(db)).toBe(false);
    const warning = r.lines.map((l) => JSON.parse(l)).find((l) => l.code === "PBX.ASTDB_PUSH_FAILED");
    expect(warning).toMatchObject({ level: "warn", first: "DBDelTree branchbox: Permission denied" });
    expect(warning.fix).toContain("write = system");
    db.denied = false; // branch IT fixed manager.conf
    r.notify();
    await waitUntil(() => stamped(db), 3000, "the push after the fix");
    expect(db.family("branchbox")).toEqual(EXPECTED);
  });

  test("one key refused: the others are written, no stamp, and that key is tried again at the next change", async () => {
    const db = astdbPeer();
    db.failPut = /^fwd\/104$/;
    const r = await start(db);
    await waitUntil(() => push.status().refused === 1, 3000, "the refusal");
    await push.settled();
    expect(stamped(db)).toBe(false);
    expect(db.family("branchbox")["resp/79161234567"]).toBe("104");
    expect(push.status().lastError?.message).toBe("DBPut fwd/104: Failed to update entry");
    db.failPut = null;
    const mark = db.actions.length;
    r.notify();
    await waitUntil(() => stamped(db), 3000, "the retry");
    expect(db.actions.slice(mark)).toEqual([
      "DBPut branchbox fwd/104 = 30|forward|101|rec:custom/sergey-away",
      `DBPut branchbox stamp = ${NOW / 1000}`,
    ]);
  });
});
