// Issue 16 wired in the box: a whole box with [pbx.ami] and agi_listen, its roster, HQ's client
// directory sent down, the AMI wire peer answering DB actions as main/db.c does, and the FastAGI
// client speaking as res_agi.c does.
import { afterEach, expect, test } from "bun:test";
import { createServer } from "node:net";
import { astdbPeer } from "../../support/ami-astdb.ts";
import { type AmiPeer, startAmiPeer, waitUntil } from "../../support/ami-peer.ts";
import { makeTestBox, type TestBox } from "../../support/box.ts";
import { runAgiSession } from "../../support/res-agi-client.ts";
import { bytes, down } from "../../sync/inbound-fixtures.ts";

let box: TestBox | null = null;
let peer: AmiPeer | null = null;
afterEach(async () => {
  await box?.close();
  await peer?.close();
  box = null;
  peer = null;
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", () => resolve()));
  const address = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return typeof address === "object" && address !== null ? address.port : 0;
}

/** A box with [pbx.ami] on an AMI peer that keeps AstDB as main/db.c does, and FastAGI on a free port. */
async function routingBox(rules?: { responsible_ring_seconds: number; responsible_fallback: string }) {
  const db = astdbPeer();
  const p = await startAmiPeer({ username: "branchbox", secret: "s", act: (a, io) => db.act(a, io) });
  peer = p; // afterEach stops it
  const agiPort = await freePort();
  const ami = { host: "127.0.0.1", port: p.port, username: "branchbox", secret: "s" };
  const b = await makeTestBox({
    config: {
      pbx: { ami: { ...ami, agi_listen: `127.0.0.1:${agiPort}` } },
      ...(rules === undefined ? {} : { rules }),
    },
  });
  box = b;
  return { db, agiPort, box: b, peer: p };
}

/** HQ's directory: +79161234567 is ООО Ромашка, Сергей's client. */
function sendClientOfSergey(b: TestBox): void {
  const client = {
    number: "+79161234567",
    clientId: "c1",
    name: "ООО Ромашка",
    responsibleEmployeeId: "sergey",
    openOrder: true,
  };
  b.inbound.handle(
    "clients",
    bytes(down("clients", 1, [{ type: "clients.snapshot", data: { version: 1, clients: [client] } }])),
  );
}

test("R2.6, R4.7 through the box: HQ's client of Сергей rings his own 102 while he is on shift, from AstDB and FastAGI alike", async () => {
  const { db, agiPort, box, peer } = await routingBox({
    responsible_ring_seconds: 15,
    responsible_fallback: "600",
  });
  // Анна holds the front desk's phone; Сергей (manager, 102) is on shift at the desk, not holding it.
  for (const employeeId of ["anna", "sergey"])
    expect(
      (
        await box.api("/api/v1/roster/check-in", {
          method: "POST",
          body: JSON.stringify({ employeeId, deskId: "front" }),
        })
      ).status,
    ).toBe(200);
  sendClientOfSergey(box);
  await waitUntil(
    () => db.family("branchbox")["resp/79161234567"] === "102",
    5000,
    "the client's key in AstDB",
  );
  expect(db.family("branchbox")).toMatchObject({
    ring: "15",
    fallback: "600",
    tech: "PJSIP",
    "fwd/101": "120|busy||default",
  });

  const session = await runAgiSession({
    port: agiPort,
    script: "route?did=74951112233",
    env: { callerid: "89161234567" },
  });
  expect(session.variables).toEqual({
    BB_RULE: "R2.6",
    BB_TIMEOUT: "15",
    BB_NEXT: "600",
    BB_TARGET: "PJSIP/102",
  });
  expect(box.routing.decisionFor("1746044688.69")?.reason).toBe(
    "Сергей Иванов is the responsible manager of ООО Ромашка (+79161234567), at their own extension 102 today: ring 102 for 15 s, then 600 (R4.6, over Сергей Иванов's own forwarding)",
  );

  // The dialplan dials 102 and says so (UserEvent BranchboxRoute): the call's page keeps the reason.
  peer.sendEvent({
    Event: "UserEvent",
    Privilege: "user,all",
    Channel: "PJSIP/trunk-00000001",
    CallerIDNum: "89161234567",
    Uniqueid: "1746044688.69",
    Linkedid: "1746044688.69",
    UserEvent: "BranchboxRoute",
    Rule: "R2.6",
    Target: "PJSIP/102",
  });
  await waitUntil(() => box.deps.routeDecisions("1746044688.69").length === 1, 5000, "kept");
  expect(box.deps.routeDecisions("1746044688.69")).toEqual([
    {
      callId: "1746044688.69",
      at: box.clock.now(),
      rule: "R2.6",
      target: "PJSIP/102",
      reason: box.routing.decisionFor("1746044688.69")?.reason ?? "none",
    },
  ]);

  // R4.7: Сергей checks out: the key goes (DBDel), and FastAGI sets no target.
  expect(
    (
      await box.api("/api/v1/roster/check-out", {
        method: "POST",
        body: JSON.stringify({ employeeId: "sergey" }),
      })
    ).status,
  ).toBe(200);
  await waitUntil(() => db.family("branchbox")["resp/79161234567"] === undefined, 5000, "the key deleted");
  expect(db.actions).toContain("DBDel branchbox resp/79161234567");
  const after = await runAgiSession({ port: agiPort, script: "route", env: { callerid: "79161234567" } });
  expect(after.variables).toEqual({ BB_RULE: "R4.7" });
});

test("R4.7, R4.1, R4.2, R4.3 through the box: a vacation and a forwarding entered through the API reach AstDB and FastAGI at once", async () => {
  const { db, agiPort, box } = await routingBox();
  box.clock.set("2026-11-23T10:00:00+03:00");
  const api = (path: string, method: string, body: unknown) =>
    box.api(path, { method, body: JSON.stringify(body) });
  // Анна holds the front desk's phone; Сергей is on shift at the desk, on his own 102.
  for (const employeeId of ["anna", "sergey"])
    expect((await api("/api/v1/roster/check-in", "POST", { employeeId, deskId: "front" })).status).toBe(200);
  sendClientOfSergey(box);
  await waitUntil(() => db.family("branchbox")["resp/79161234567"] === "102", 5000, "the client's key");

  // R4.1–R4.3: Сергей's own forwarding, to Ольга where she is today, without a notice.
  const forwarding = {
    action: { kind: "forward", to: { employeeId: "olga" } },
    notice: { kind: "none" },
    timeoutSeconds: 45,
  };
  expect((await api("/api/v1/employees/sergey/forwarding", "PUT", forwarding)).status).toBe(200);
  await waitUntil(
    () => db.family("branchbox")["fwd/102"]?.startsWith("45|") === true,
    5000,
    "102's forwarding",
  );

  // R4.7: a vacation from today: the responsible is skipped, by AstDB and FastAGI alike.
  const vacation = {
    schedule: null,
    ranges: [{ kind: "vacation", firstDay: "2026-11-23", lastDay: "2026-11-27" }],
  };
  expect((await api("/api/v1/employees/sergey/absences", "PUT", vacation)).status).toBe(200);
  await waitUntil(() => db.family("branchbox")["resp/79161234567"] === undefined, 5000, "the key deleted");
  expect(db.family("branchbox")["absent/102"]).toBe("1");
  const session = await runAgiSession({ port: agiPort, script: "route", env: { callerid: "79161234567" } });
  expect(session.variables).toEqual({ BB_RULE: "R4.7" });
}, 30_000);
