// HQ's client directory (versioned snapshot, then deltas) and HQ's settings over the config's
// [calls], as attribution reads them.
import { afterEach, expect, test } from "bun:test";
import { loadConfig } from "../../src/config/load.ts";
import { DEMO_CONFIG } from "../../src/demo.ts";
import { attributionSettings } from "../../src/service/attribution-settings.ts";
import type { EmployeeView } from "../../src/service/roster-port.ts";
import { bytes, down, type InboxFixture, makeInbox, replies } from "./inbound-fixtures.ts";

const BASE = { ...DEMO_CONFIG, http: { admin_token: "test-admin-token-0123456789", listen: "127.0.0.1:0" } };

let box: InboxFixture | undefined;
afterEach(() => box?.close());

const client = (number: string, name: string, responsibleEmployeeId: string | null = null) => ({
  number,
  clientId: `crm-${number.slice(-4)}`,
  name,
  responsibleEmployeeId,
  openOrder: true,
});
const snapshot = (version: number, clients: unknown[]) => ({
  type: "clients.snapshot",
  data: { version, clients },
});
const delta = (version: number, upsert: unknown[] = [], remove: string[] = []) => ({
  type: "clients.delta",
  data: { version, upsert, remove },
});

test("a snapshot replaces the directory; numbers are found as the PBX gives them (+7…, 8…, 7…)", () => {
  box = makeInbox();
  box.inbound.handle("clients", bytes(down("clients", 1, [snapshot(1, [client("+79161234567", "Old")])])));
  box.inbound.handle(
    "clients",
    bytes(down("clients", 2, [snapshot(5, [client("+79161112233", "ООО Ромашка", "sergey")])])),
  );
  const { directory } = box.inbound;
  expect(directory.byNumber("+79161234567")).toBeNull();
  for (const form of ["+79161112233", "89161112233", "79161112233", "8 (916) 111-22-33"])
    expect(directory.byNumber(form)?.name).toBe("ООО Ромашка");
  expect(directory.byNumber("101")).toBeNull();
  expect(directory.byNumber(null)).toBeNull();
  expect(box.inbound.status().clients).toEqual({ version: 5, count: 1, stale: false, ignoredDeltas: 0 });
});

test("a delta applies on top of version - 1 only; a skipped version is ignored until the next snapshot, and HQ is asked for one", () => {
  box = makeInbox();
  box.inbound.handle("clients", bytes(down("clients", 1, [snapshot(1, [client("+79160000001", "A")])])));
  box.inbound.handle(
    "clients",
    bytes(down("clients", 2, [delta(2, [client("+79160000002", "B")], ["+79160000001"])])),
  );
  expect(box.inbound.directory.byNumber("+79160000001")).toBeNull();
  expect(box.inbound.directory.byNumber("+79160000002")?.name).toBe("B");

  // Version 3 never arrived: 4 and 5 do not apply.
  box.inbound.handle("clients", bytes(down("clients", 3, [delta(4, [client("+79160000004", "D")])])));
  box.inbound.handle("clients", bytes(down("clients", 4, [delta(5, [client("+79160000005", "E")])])));
  expect(box.inbound.directory.byNumber("+79160000004")).toBeNull();
  expect(box.inbound.status().clients).toEqual({ version: 2, count: 1, stale: true, ignoredDeltas: 2 });
  expect(box.codes().filter((c) => c === "SYNC.CLIENTS_DELTA_IGNORED")).toHaveLength(2);
  expect(replies(box.db)).toEqual([
    { id: "clients-resync-2", type: "clients.resync", data: { haveVersion: 2, gotVersion: 4 } },
  ]);
  expect(box.repliesWoken).toBe(1);
  // An old delta (already covered) is ignored without asking.
  box.inbound.handle("clients", bytes(down("clients", 5, [delta(2)])));
  expect(replies(box.db)).toHaveLength(1);

  box.inbound.handle(
    "clients",
    bytes(
      down("clients", 6, [
        snapshot(6, [client("+79160000006", "F")]),
        delta(7, [client("+79160000007", "G")]),
      ]),
    ),
  );
  expect(box.inbound.status().clients).toEqual({ version: 7, count: 2, stale: false, ignoredDeltas: 3 });
});

test("a bad client number rejects the whole snapshot: the old directory stays", () => {
  box = makeInbox();
  box.inbound.handle("clients", bytes(down("clients", 1, [snapshot(1, [client("+79160000001", "A")])])));
  const outcome = box.inbound.handle(
    "clients",
    bytes(down("clients", 2, [snapshot(2, [client("+79160000002", "B"), client("89160000003", "C")])])),
  );
  expect(outcome).toMatchObject({ kind: "rejected", code: "SYNC.DOWN_BAD_RECORD" });
  expect(box.inbound.status().clients).toMatchObject({ version: 1, count: 1 });
});

const staff: EmployeeView[] = ["anna", "sergey", "irina"].map(
  (id) => ({ id, name: id, role: id === "sergey" ? "manager" : "reception" }) as EmployeeView,
);

test("HQ's settings win over the config's [calls] key by key; null switches a fallback off", () => {
  box = makeInbox();
  const config = loadConfig({
    base: {
      ...BASE,
      calls: {
        fallback_employee: "anna",
        senior_manager: "sergey",
        assign_responsible_for_missed_group_calls: false,
      },
    },
  });
  expect(attributionSettings(config, staff, box.inbound)).toMatchObject({
    fallbackEmployeeId: "anna",
    seniorManagerId: "sergey",
    assignResponsibleForMissedGroupCalls: false,
  });
  box.inbound.handle(
    "settings",
    bytes(
      down("settings", 1, [
        {
          type: "settings.update",
          data: { fallbackEmployeeId: null, assignResponsibleForMissedGroupCalls: true },
        },
      ]),
    ),
  );
  expect(box.inbound.settings()).toEqual({
    fallbackEmployeeId: null,
    assignResponsibleForMissedGroupCalls: true,
  });
  expect(attributionSettings(config, staff, box.inbound)).toMatchObject({
    fallbackEmployeeId: null,
    seniorManagerId: "sergey",
    assignResponsibleForMissedGroupCalls: true,
  });
  // Each update is whole: what it leaves out falls back to the config again.
  box.inbound.handle(
    "settings",
    bytes(down("settings", 2, [{ type: "settings.update", data: { seniorManagerId: "irina" } }])),
  );
  expect(attributionSettings(config, staff, box.inbound)).toMatchObject({
    fallbackEmployeeId: "anna",
    seniorManagerId: "irina",
    assignResponsibleForMissedGroupCalls: false,
  });
  // They survive a restart.
  box = box.restart();
  expect(box.inbound.settings()).toEqual({ seniorManagerId: "irina" });
});

test("R1.2: the client's responsible comes from HQ's directory, only when they are on the staff", () => {
  box = makeInbox();
  box.inbound.handle(
    "clients",
    bytes(
      down("clients", 1, [
        snapshot(1, [client("+79161112233", "Known", "sergey"), client("+79164445566", "Gone", "left-us")]),
      ]),
    ),
  );
  const settings = attributionSettings(loadConfig({ base: BASE }), staff, box.inbound);
  expect(settings.responsibleFor("89161112233")).toBe("sergey");
  expect(settings.responsibleFor("+79164445566")).toBeNull();
  expect(settings.responsibleFor("+79990000000")).toBeNull();
});
