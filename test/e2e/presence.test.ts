// Issue 18, R0.3d end to end, every part real and its own process on loopback: a Mosquitto, the
// compiled `branchbox hq`, and two compiled boxes (`serve --demo`, branches b1 and b2, the same
// staff). Anna opens b1's front desk; b1 goes down; she checks in at b2. HQ relays b2's check-in
// to b1 while b1 is offline (the broker queues it for b1's persistent session); b1 comes back and
// closes her shift AT the instant of the check-in at b2, audited, and reports the fact up. The
// same scenario runs with HQ's store on SQLite and on a real PostgreSQL (`[hq] database_url`).
import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { SQL } from "bun";
import mqtt from "mqtt";
import { startMosquitto } from "../support/mosquitto.ts";
import { startPostgres } from "../support/postgres.ts";
import { ADMIN_TOKEN, eventually, SyncSystem, withSystem } from "../support/sync-system.ts";

const api = (baseUrl: string, path: string, body?: unknown) =>
  fetch(`${baseUrl}${path}`, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(5000),
  });

type Fact = { kind: string; employeeId: string; at: number; source: string };

/** The box's roster facts and audit, from its SQLite file (read-only, beside the running box). */
function boxFile(dir: string): { facts: Fact[]; audit: { action: string; detail: string }[] } {
  const db = new Database(join(dir, "data", "branchbox.db"), { readonly: true });
  try {
    return {
      facts: db
        .query<{ kind: string; employee_id: string; at: number; source: string }, []>(
          "SELECT kind, employee_id, at, source FROM roster_facts ORDER BY seq",
        )
        .all()
        .map((r) => ({ kind: r.kind, employeeId: r.employee_id, at: r.at, source: r.source })),
      audit: db.query<{ action: string; detail: string }, []>("SELECT action, detail FROM audit").all(),
    };
  } finally {
    db.close();
  }
}

/** The scenario, HQ started with `hqExtra` after its `[hq]` keys (empty: SQLite). */
async function checkInElsewhereWhileOffline(hqExtra: readonly string[]): Promise<void> {
  const b1 = new SyncSystem("b1");
  const b2 = new SyncSystem("b2");
  let watcher: mqtt.MqttClient | undefined;
  await withSystem(b1, async () => {
    await withSystem(b2, async () => {
      const broker = b1.watch(await startMosquitto());
      const hq = await b1.startHq({ url: broker.url }, "hq", hqExtra);
      const box1 = await b1.startBranch({ url: broker.url });
      const box2 = await b2.startBranch({ url: broker.url });
      // What HQ publishes for b1 (a watcher's own subscription; b1's session queues its copy).
      const relayed: { branch: string; at: number }[] = [];
      watcher = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: "presence-watcher" });
      await watcher.subscribeAsync("branchbox/v1/b1/down/presence", { qos: 1 });
      watcher.on("message", (_topic, payload) => {
        const envelope = JSON.parse(payload.toString()) as {
          records: { data: { branch: string; at: number } }[];
        };
        for (const r of envelope.records) relayed.push({ branch: r.data.branch, at: r.data.at });
      });

      expect(
        (await api(box1.baseUrl, "/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" })).status,
      ).toBe(200);
      await eventually("b1's check-in at HQ", async () => (await b1.hqRecords(hq)).length === 1, 15_000);
      // b1 stays connected until its down subscription exists at the broker, then goes away.
      await box1.stop();

      expect(
        (await api(box2.baseUrl, "/api/v1/roster/check-in", { employeeId: "anna", deskId: "front" })).status,
      ).toBe(200);
      await eventually("b2's check-in at HQ", async () => (await b2.hqRecords(hq)).length === 1, 15_000);
      const [checkInB2] = await b2.hqRecords(hq);
      const atB2 = (checkInB2?.data as { at: number } | undefined)?.at ?? -1;
      await eventually("HQ's staff.elsewhere for b1 published", () => relayed.length === 1, 15_000);
      expect(relayed).toEqual([{ branch: "b2", at: atB2 }]);
      // Offline: b1's file still has her shift open.
      expect(boxFile(b1.branchDir).facts.map((f) => f.kind)).toEqual(["check-in"]);

      const back = await b1.startBranch({ url: broker.url });
      await eventually(
        "b1 closed the shift",
        () => boxFile(b1.branchDir).facts.some((f) => f.kind === "closed-elsewhere"),
        20_000,
      );
      const { facts, audit } = boxFile(b1.branchDir);
      expect(facts.at(-1)).toEqual({ kind: "closed-elsewhere", employeeId: "anna", at: atB2, source: "hq" });
      expect(audit.filter((a) => a.action === "roster.closed-elsewhere").map((a) => a.detail)).toEqual([
        `closed-elsewhere of anna as of ${new Date(atB2).toISOString()}, entered via hq; reason: checked in at b2`,
      ]);
      const owner = async (at: number) =>
        (
          (await (
            await api(back.baseUrl, `/api/v1/owner?extension=101&at=${new Date(at).toISOString()}`)
          ).json()) as {
            employeeId: string | null;
          }
        ).employeeId;
      expect(await owner(atB2 - 1)).toBe("anna");
      expect(await owner(atB2)).toBeNull();
      // b1 reports the close up like every fact; b2's own shift is untouched.
      await eventually(
        "b1's closed-elsewhere at HQ",
        async () => (await b1.hqRecords(hq)).some((r) => (r.data as Fact).kind === "closed-elsewhere"),
        15_000,
      );
      expect(boxFile(b2.branchDir).facts.map((f) => f.kind)).toEqual(["check-in"]);
    });
  }).finally(() => watcher?.end(true));
}

test("R0.3d: a check-in at b2 while b1 is offline closes anna's b1 shift at that instant when b1 returns", async () => {
  await checkInElsewhereWhileOffline([]);
}, 120_000);

test("R0.3d, HQ on PostgreSQL: a check-in at b2 while b1 is offline closes anna's b1 shift at that instant when b1 returns", async () => {
  const pg = await startPostgres();
  try {
    const admin = new SQL(pg.url(), { max: 1 });
    await admin.unsafe("CREATE DATABASE hq");
    await admin.close();
    await checkInElsewhereWhileOffline([`database_url = "${pg.url("hq")}"`]);
    // The relay's state is PostgreSQL's: b1's presence stream holds the one record, published.
    const db = new SQL(pg.url("hq"), { max: 1 });
    try {
      expect(
        await db`SELECT branch, seq, published_at IS NOT NULL AS published FROM presence_down ORDER BY branch, seq`,
      ).toEqual([{ branch: "b1", seq: "1", published: true }]);
    } finally {
      await db.close();
    }
  } finally {
    await pg.stop();
  }
}, 150_000);
