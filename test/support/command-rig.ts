import type { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AssembledCall, AssembledLeg } from "../../src/domain/call/call-types.ts";
import type { PbxControlAction } from "../../src/domain/call/pbx-control.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { CallCommands } from "../../src/service/call-commands.ts";
import { openDatabase } from "../../src/store/db.ts";
import { makeTestBox, type TestBox } from "./box.ts";
import { type FakeCalls, fakeCalls } from "./fake-calls.ts";
import { type FakePbxControl, fakePbxControl } from "./fake-pbx-control.ts";
import { type FakeTimer, fakeTimer } from "./fake-timer.ts";

/**
 * The command service on its own SQLite file (reopened by `restart`), the demo branch's real roster
 * (desk `front` ext 101; anna, olga, irina reception; sergey manager with ext 102), a fake clock and
 * timer, a FakeCalls for the live calls and a FakePbxControl.
 */
export interface CommandRig {
  readonly box: TestBox;
  readonly timer: FakeTimer;
  readonly calls: FakeCalls;
  control: FakePbxControl;
  service: CallCommands;
  db: Database;
  readonly dir: string;
  rows(): number;
  /** Closes the service and its database, opens them again on the same file, starts it. */
  restart(control?: FakePbxControl): void;
  checkIn(employeeId: string, deskId?: string): Promise<void>;
  close(): Promise<void>;
}

export async function commandRig(
  options: { noControl?: boolean; supports?: readonly PbxControlAction[] } = {},
): Promise<CommandRig> {
  const timer = fakeTimer();
  const box = await makeTestBox({
    clock: { now: timer.now, advance: timer.advance, set: () => {} },
  });
  const dir = mkdtempSync(join(tmpdir(), "branchbox-commands-"));
  const calls = fakeCalls();
  const make = (db: Database, control: FakePbxControl) =>
    new CallCommands({
      db,
      control: options.noControl === true ? null : control,
      roster: box.roster,
      calls,
      timer,
      log: silentLogger,
    });
  const control = fakePbxControl(timer, options.supports);
  const db = openDatabase(dir);
  const rig: CommandRig = {
    box,
    timer,
    calls,
    control,
    db,
    dir,
    service: make(db, control),
    rows: () => rig.db.query<{ n: number }, []>("SELECT count(*) AS n FROM call_commands").get()?.n ?? 0,
    restart(next) {
      rig.service.stop();
      rig.db.close();
      rig.db = openDatabase(dir);
      rig.control = next ?? fakePbxControl(timer, options.supports);
      rig.service = make(rig.db, rig.control);
      rig.service.start();
    },
    async checkIn(employeeId, deskId = "front") {
      const r = await box.roster.record({ kind: "check-in", employeeId, deskId, source: "api" }, timer.now());
      if (!r.ok) throw new Error(r.error.message);
    },
    async close() {
      rig.service.stop();
      rig.db.close();
      rmSync(dir, { recursive: true, force: true });
      await box.close();
    },
  };
  rig.service.start();
  return rig;
}

/** A live leg on `extension`, ringing unless `fields` say otherwise. */
export function liveLeg(id: string, extension: string, fields: Partial<AssembledLeg> = {}): AssembledLeg {
  return {
    id,
    extension,
    state: "ringing",
    ending: null,
    ringingAt: 0,
    answeredAt: null,
    endedAt: null,
    endCause: null,
    transferredFrom: null,
    placedCall: false,
    ...fields,
  };
}

/**
 * A click-to-call's call (`call-<commandId>`, the fake controller's id) as the translators record
 * it once the client answered (R2.1): outbound, the employee's leg and the call answered.
 */
export function clientAnswered(commandId: string, fields: Partial<AssembledCall> = {}): AssembledCall {
  return liveCall(
    `call-${commandId}`,
    [liveLeg(`l-${commandId}`, "101", { state: "answered", answeredAt: 7, placedCall: true })],
    { direction: "outbound", answeredAt: 7, ...fields },
  );
}

/** A live inbound call from a client with these legs. */
export function liveCall(
  id: string,
  legs: AssembledLeg[],
  fields: Partial<AssembledCall> = {},
): AssembledCall {
  return {
    id,
    source: "fake",
    direction: "inbound",
    from: { number: "+79991234567", extension: null },
    to: { number: "+74951234567", extension: null },
    did: "+74951234567",
    startedAt: 0,
    queuedAt: null,
    answeredAt: null,
    endedAt: null,
    finished: false,
    outcome: null,
    voicemail: null,
    legs,
    recordingUrl: null,
    absorbed: [],
    recovered: null,
    ...fields,
  };
}

/** Waits until `check` holds (polling), failing after `ms`. */
export async function until(check: () => boolean, what = "the condition", ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(1);
  }
}
