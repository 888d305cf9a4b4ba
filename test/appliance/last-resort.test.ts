// What the box does with an error nobody caught: a storage error is counted and logged once per
// place it came from, and the box goes on; anything else is a bug, logged with its stack, and the
// process exits 1 (systemd starts it again).
import { expect, test } from "bun:test";
import { EventEmitter } from "node:events";
import { installLastResort } from "../../src/appliance/last-resort.ts";
import { StorageFaults } from "../../src/store/storage-faults.ts";
import { capturingLogger } from "../sync/inbound-fixtures.ts";

function guarded() {
  const target = new EventEmitter();
  const exits: number[] = [];
  const faults = new StorageFaults();
  const { log, lines } = capturingLogger();
  installLastResort({ log, faults, target, exit: (code) => exits.push(code) });
  return { target, exits, faults, lines };
}

const diskFull = () => Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
const diskFullElsewhere = () => Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });

test("a storage error nobody caught: the box goes on; counted every time, logged once per place it came from", () => {
  const { target, exits, faults, lines } = guarded();
  target.emit("uncaughtException", diskFull());
  target.emit("uncaughtException", diskFull());
  target.emit("unhandledRejection", diskFull());
  target.emit("unhandledRejection", diskFullElsewhere());
  expect(exits).toEqual([]);
  expect(faults.status().errors).toBe(4);
  const logged = lines.filter((l) => l.code === "STORAGE.DISK_FULL");
  expect(logged.map((l) => [l.level, l.how])).toEqual([
    ["error", "uncaught exception"],
    ["error", "unhandled rejection"],
  ]);
  expect(String(logged[0]?.stack)).toContain("diskFull");
  expect(String(logged[1]?.stack)).toContain("diskFullElsewhere");
});

test("any other uncaught error is a bug: logged loudly with its stack, and the process exits 1", () => {
  const { target, exits, faults, lines } = guarded();
  target.emit("uncaughtException", new TypeError("cannot read properties of undefined"));
  target.emit("unhandledRejection", "a rejection with a string");
  expect(exits).toEqual([1, 1]);
  expect(faults.status().errors).toBe(0);
  const bugs = lines.filter((l) => l.code === "BOX.UNCAUGHT");
  expect(bugs.map((l) => l.level)).toEqual(["error", "error"]);
  expect(String(bugs[0]?.stack)).toContain("last-resort.test.ts");
  expect(bugs[1]?.stack).toBe("a rejection with a string");
});
