import type { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CallCommandRow, callCommandStore } from "../../src/store/call-command-store.ts";
import { migrateSafely, openDatabase } from "../../src/store/db.ts";
import { MIGRATIONS } from "../../src/store/migrations.ts";

let dir: string;
let db: Database | undefined;
afterEach(() => {
  db?.close();
  db = undefined;
  rmSync(dir, { recursive: true, force: true });
});
const fresh = () => {
  dir = mkdtempSync(join(tmpdir(), "branchbox-cmdstore-"));
  db = openDatabase(dir);
  return callCommandStore(db);
};

const row = (commandId: string, over: Partial<CallCommandRow> = {}): CallCommandRow => ({
  commandId,
  kind: "click-to-call",
  input: '{"kind":"click-to-call"}',
  target: "101",
  legId: null,
  state: "queued",
  callId: null,
  reason: null,
  origin: { via: "api" },
  deadline: 60_000,
  expiresAt: null,
  createdAt: 1,
  updatedAt: 1,
  ...over,
});

test("issue 15: a commandId is written once; a second insert changes nothing", () => {
  const store = fresh();
  expect(store.insert(row("c-1"))).toBe(true);
  expect(store.insert(row("c-1", { target: "102" }))).toBe(false);
  expect(store.get("c-1")).toMatchObject({ target: "101", state: "queued" });
  expect(store.get("nope")).toBeNull();
});

test("issue 15: states only move forward, and a settled command never changes", () => {
  const store = fresh();
  store.insert(row("c-1"));
  expect(store.move("c-1", "done", 2)).toBe(false);
  expect(store.move("c-1", "sent", 2)).toBe(true);
  expect(store.move("c-1", "sent", 3)).toBe(false);
  expect(store.move("c-1", "connected", 3)).toBe(true);
  expect(store.move("c-1", "ringing-employee", 4)).toBe(false);
  expect(store.attachCall("c-1", "call-9", 4)).toBe(true);
  expect(store.attachCall("c-1", "call-other", 4)).toBe(false);
  expect(store.move("c-1", "done", 5)).toBe(true);
  expect(store.move("c-1", "failed", 6, { reason: "late" })).toBe(false);
  expect(store.get("c-1")).toMatchObject({ state: "done", callId: "call-9", reason: null, updatedAt: 5 });
  expect(store.open()).toEqual([]);
});

test("issue 15: open commands come back oldest first, with their origin and call", () => {
  const store = fresh();
  store.insert(row("b", { createdAt: 2, origin: { via: "desk", deskId: "front", employeeId: "anna" } }));
  store.insert(row("a", { createdAt: 1, kind: "hangup", legId: "leg-1", callId: "c" }));
  store.insert(row("z", { createdAt: 0, state: "expired" }));
  store.move("a", "failed", 3, { reason: "busy" });
  store.insert(row("c", { createdAt: 3 }));
  expect(store.open().map((r) => r.commandId)).toEqual(["b", "c"]);
  expect(store.open()[0]?.origin).toEqual({ via: "desk", deskId: "front", employeeId: "anna" });
  expect(store.get("a")).toMatchObject({ state: "failed", reason: "busy", legId: "leg-1", callId: "c" });
});

test("issue 15: migration 9 keeps HQ's inbox commands and lets them end `refused`", () => {
  dir = mkdtempSync(join(tmpdir(), "branchbox-cmdstore-"));
  const old = openDatabase(dir, { migrate: false });
  migrateSafely(
    old,
    dir,
    MIGRATIONS.filter((m) => m.version <= 8),
  );
  old.run(
    "INSERT INTO commands (command_id, kind, expires_at, args, state, received_at) VALUES ('h-1', 'click-to-call', 5, '{}', 'pending', 1)",
  );
  expect(() => old.run("UPDATE commands SET state = 'refused'")).toThrow();
  old.close();
  db = openDatabase(dir);
  db.run("UPDATE commands SET state = 'refused' WHERE command_id = 'h-1'");
  expect(db.query("SELECT command_id, state, expires_at FROM commands").all()).toEqual([
    { command_id: "h-1", state: "refused", expires_at: 5 },
  ]);
});

test("issue 15: prune deletes settled commands older than the cut, never an open one however old", () => {
  const store = fresh();
  store.insert(row("old-done", { state: "done", updatedAt: 10 }));
  store.insert(row("old-open", { state: "sent", updatedAt: 10 }));
  store.insert(row("new-failed", { state: "failed", updatedAt: 100 }));
  expect(store.prune(50)).toBe(1);
  expect(store.get("old-done")).toBeNull();
  expect(store.get("old-open")?.state).toBe("sent");
  expect(store.get("new-failed")?.state).toBe("failed");
});
