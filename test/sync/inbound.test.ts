// The inbox for HQ's down streams against a real SQLite file: dedupe by seq, whole-envelope
// rejection of bad input with a coded log line and a counter, staff from HQ (Argon2id only).
import { afterEach, expect, test } from "bun:test";
import { staffStore } from "../../src/store/staff-store.ts";
import { bytes, down, type InboxFixture, makeInbox, pinHash4321 } from "./inbound-fixtures.ts";

let box: InboxFixture | undefined;
afterEach(() => box?.close());

const upsert = async (id: string, name: string, extra: Record<string, unknown> = {}) => ({
  type: "staff.upsert",
  data: { id, name, role: "reception", pinHash: await pinHash4321(), ...extra },
});
const inboxRows = (b: InboxFixture) =>
  b.db.query<{ n: number }, []>("SELECT count(*) AS n FROM inbox").get()?.n ?? 0;

test("staff.upsert from HQ adds an employee whose PIN verifies; the roster is told after the commit", async () => {
  box = makeInbox();
  const outcome = box.inbound.handle("staff", bytes(down("staff", 1, [await upsert("maria", "Мария")])));
  expect(outcome).toEqual({ kind: "applied", applied: 1, duplicates: 0 });
  const maria = staffStore(box.db).get("maria");
  expect(maria).toMatchObject({ id: "maria", name: "Мария", role: "reception", extension: null });
  expect(await Bun.password.verify("4321", maria?.pinHash ?? "")).toBe(true);
  expect(box.staffReloads).toBe(1);
  expect(box.inbound.status().streams.staff).toEqual({ through: 1, applied: 1, duplicates: 0, gaps: 0 });
  expect(inboxRows(box)).toBe(1);
});

test("staff.remove takes the employee off the staff; removing an unknown id changes nothing", async () => {
  box = makeInbox();
  box.inbound.handle("staff", bytes(down("staff", 1, [await upsert("maria", "Мария")])));
  box.inbound.handle("staff", bytes(down("staff", 2, [{ type: "staff.remove", data: { id: "maria" } }])));
  expect(staffStore(box.db).get("maria")).toBeNull();
  expect(box.staffReloads).toBe(2);
  box.inbound.handle("staff", bytes(down("staff", 3, [{ type: "staff.remove", data: { id: "nobody" } }])));
  expect(box.staffReloads).toBe(2);
  expect(box.inbound.status().streams.staff.through).toBe(3);
});

test("a replayed old seq is a duplicate: counted, logged SYNC.DOWN_DUPLICATE, not applied again", async () => {
  box = makeInbox();
  const first = down("staff", 1, [await upsert("maria", "Maria v1")]);
  box.inbound.handle("staff", bytes(first));
  box.inbound.handle("staff", bytes(down("staff", 2, [await upsert("maria", "Maria v2")])));
  expect(box.inbound.handle("staff", bytes(first))).toEqual({ kind: "duplicate", duplicates: 1 });
  expect(staffStore(box.db).get("maria")?.name).toBe("Maria v2");
  expect(box.codes()).toContain("SYNC.DOWN_DUPLICATE");
  expect(box.inbound.status().streams.staff).toMatchObject({ through: 2, applied: 2, duplicates: 1 });
  expect(inboxRows(box)).toBe(2);
});

test("an envelope overlapping the mark applies only its new records", async () => {
  box = makeInbox();
  box.inbound.handle("staff", bytes(down("staff", 1, [await upsert("a", "A"), await upsert("b", "B")])));
  const outcome = box.inbound.handle(
    "staff",
    bytes(down("staff", 2, [await upsert("b", "B again"), await upsert("c", "C")])),
  );
  expect(outcome).toEqual({ kind: "applied", applied: 1, duplicates: 1 });
  expect(
    staffStore(box.db)
      .list()
      .map((s) => `${s.id}:${s.name}`),
  ).toEqual(["a:A", "b:B", "c:C"]);
});

test("a gap is logged SYNC.DOWN_GAP and applied anyway; the missing seq arriving late is dropped as older", async () => {
  box = makeInbox();
  box.inbound.handle("staff", bytes(down("staff", 1, [await upsert("a", "A")])));
  expect(
    box.inbound.handle("staff", bytes(down("staff", 4, [await upsert("a", "A at seq 4")]))),
  ).toMatchObject({
    kind: "applied",
  });
  expect(box.inbound.status().streams.staff).toMatchObject({ through: 4, gaps: 1 });
  expect(box.lines.find((l) => l.code === "SYNC.DOWN_GAP")).toMatchObject({ missingFrom: 2, missingTo: 3 });
  expect(
    box.inbound.handle("staff", bytes(down("staff", 3, [await upsert("a", "A at seq 3")]))),
  ).toMatchObject({
    kind: "duplicate",
  });
  expect(staffStore(box.db).get("a")?.name).toBe("A at seq 4");
});

test("bad input on down streams: each case rejected with its code, counted, nothing applied", async () => {
  box = makeInbox();
  const good = await upsert("maria", "Maria");
  const cases: [string, Uint8Array, string][] = [
    ["malformed JSON", bytes('{"v":1,"branch":"demo",'), "SYNC.DOWN_BAD_JSON"],
    ["not an envelope", bytes({ hello: "world" }), "SYNC.DOWN_BAD_SCHEMA"],
    ["seqTo not the last record's", bytes({ ...down("staff", 1, [good]), seqTo: 9 }), "SYNC.DOWN_BAD_SCHEMA"],
    ["protocol v2", bytes({ ...down("staff", 1, [good]), v: 2 }), "SYNC.DOWN_BAD_SCHEMA"],
    ["a clients envelope on the staff topic", bytes(down("clients", 1, [good])), "SYNC.DOWN_WRONG_STREAM"],
    ["another branch's envelope", bytes(down("staff", 1, [good], "other")), "SYNC.DOWN_WRONG_BRANCH"],
    [
      "an unknown record type",
      bytes(down("staff", 1, [{ type: "staff.promote", data: {} }])),
      "SYNC.DOWN_BAD_RECORD",
    ],
    [
      "a staff record without a name",
      bytes(down("staff", 1, [{ type: "staff.upsert", data: { ...good.data, name: "" } }])),
      "SYNC.DOWN_BAD_RECORD",
    ],
    [
      "a PIN in clear beside the hash",
      bytes(down("staff", 1, [{ type: "staff.upsert", data: { ...good.data, pin: "4321" } }])),
      "SYNC.STAFF_CLEAR_PIN",
    ],
    [
      "a PIN in clear as the hash",
      bytes(down("staff", 1, [{ type: "staff.upsert", data: { ...good.data, pinHash: "4321" } }])),
      "SYNC.STAFF_CLEAR_PIN",
    ],
    [
      "a bcrypt hash, not Argon2id",
      bytes(
        down("staff", 1, [
          {
            type: "staff.upsert",
            data: {
              ...good.data,
              pinHash: await Bun.password.hash("4321", { algorithm: "bcrypt", cost: 4 }),
            },
          },
        ]),
      ),
      "SYNC.STAFF_CLEAR_PIN",
    ],
  ];
  for (const [what, payload, code] of cases) {
    const outcome = box.inbound.handle("staff", payload);
    const got: string | null = outcome.kind === "rejected" ? outcome.code : null;
    expect({ what, outcome: outcome.kind, code: got }).toEqual({
      what,
      outcome: "rejected",
      code,
    });
  }
  const status = box.inbound.status();
  expect(status.rejected).toEqual({
    "SYNC.DOWN_BAD_JSON": 1,
    "SYNC.DOWN_BAD_SCHEMA": 3,
    "SYNC.DOWN_WRONG_STREAM": 1,
    "SYNC.DOWN_WRONG_BRANCH": 1,
    "SYNC.DOWN_BAD_RECORD": 2,
    "SYNC.STAFF_CLEAR_PIN": 3,
  });
  expect(status.lastRejection?.code).toBe("SYNC.STAFF_CLEAR_PIN");
  expect(status.streams.staff).toEqual({ through: 0, applied: 0, duplicates: 0, gaps: 0 });
  expect(staffStore(box.db).list()).toEqual([]);
  expect(inboxRows(box)).toBe(0);
  expect(box.staffReloads).toBe(0);
  const rejections = box.lines.filter((l) => l.msg === "down message rejected: nothing applied");
  expect(rejections.map((l) => l.code)).toEqual(cases.map(([, , code]) => code));
  // No log line carries the PIN or a hash.
  expect(box.lines.map((l) => JSON.stringify(l)).join("\n")).not.toContain("4321");
  expect(box.lines.map((l) => JSON.stringify(l)).join("\n")).not.toContain("$argon2id$");
});

test("one bad record rejects its whole envelope: the good records before it are not applied either", async () => {
  box = makeInbox();
  const envelope = down("staff", 1, [
    await upsert("a", "A"),
    await upsert("b", "B"),
    { type: "staff.upsert", data: { id: "c", name: "C", role: "boss", pinHash: await pinHash4321() } },
  ]);
  expect(box.inbound.handle("staff", bytes(envelope))).toMatchObject({
    kind: "rejected",
    code: "SYNC.DOWN_BAD_RECORD",
  });
  expect(staffStore(box.db).list()).toEqual([]);
  expect(box.inbound.status().streams.staff.through).toBe(0);
  // HQ's fix, under new seqs, applies; the gap left by the rejected seqs is logged.
  box.inbound.handle("staff", bytes(down("staff", 4, [await upsert("a", "A"), await upsert("b", "B")])));
  expect(
    staffStore(box.db)
      .list()
      .map((s) => s.id),
  ).toEqual(["a", "b"]);
});

test("when the store fails mid-envelope nothing is committed and the outcome says not to PUBACK", async () => {
  box = makeInbox();
  box.db.run(
    "CREATE TRIGGER fail_second AFTER INSERT ON inbox WHEN NEW.seq = 2 BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END",
  );
  const outcome = box.inbound.handle(
    "staff",
    bytes(down("staff", 1, [await upsert("a", "A"), await upsert("b", "B")])),
  );
  expect(outcome.kind).toBe("failed");
  expect(staffStore(box.db).list()).toEqual([]);
  expect(box.inbound.status()).toMatchObject({ storeFailures: 1, streams: { staff: { through: 0 } } });
  expect(box.codes()).toContain("SYNC.DOWN_STORE_FAILED");
  box.db.run("DROP TRIGGER fail_second");
  // The broker's redelivery of the same message then applies it whole.
  expect(
    box.inbound.handle("staff", bytes(down("staff", 1, [await upsert("a", "A"), await upsert("b", "B")])))
      .kind,
  ).toBe("applied");
  expect(
    staffStore(box.db)
      .list()
      .map((s) => s.id),
  ).toEqual(["a", "b"]);
});

test("the mark survives a restart: a message redelivered after it is a duplicate", async () => {
  box = makeInbox();
  const envelope = down("staff", 1, [await upsert("a", "A")]);
  box.inbound.handle("staff", bytes(envelope));
  box = box.restart();
  expect(box.inbound.handle("staff", bytes(envelope)).kind).toBe("duplicate");
  expect(box.inbound.status().streams.staff.through).toBe(1);
});
