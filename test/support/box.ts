import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Box, createBox } from "../../src/app.ts";
import { loadConfig } from "../../src/config/load.ts";
import type { ConfigInput } from "../../src/config/schema.ts";
import { DEMO_CONFIG, DEMO_STAFF } from "../../src/demo.ts";
import { type Logger, silentLogger } from "../../src/log/logger.ts";
import { hashPin, type StaffEntry } from "../../src/service/staff-import.ts";
import { type StaffRow, staffStore } from "../../src/store/staff-store.ts";

export const TEST_TOKEN = "test-admin-token-0123456789";

export interface TestClock {
  now(): number;
  /** Sets the clock to an ISO time, e.g. "2026-11-21T09:00:00+03:00". */
  set(iso: string): void;
  advance(ms: number): void;
}

export interface TestBox extends Box {
  readonly clock: TestClock;
  readonly dir: string;
  /** A request with the admin token. */
  api(path: string, init?: RequestInit): Promise<Response>;
}

export function fakeClock(startIso = "2026-11-21T09:00:00+03:00"): TestClock {
  let t = Date.parse(startIso);
  return { now: () => t, set: (iso) => (t = Date.parse(iso)), advance: (ms) => (t += ms) };
}

/**
 * A whole box (real SQLite file in a fresh temp dir, real roster service, the full HTTP app) on the
 * demo branch: desk `front` ext 101; anna 1111, olga 2222, irina 3333 (reception), sergey 9999
 * (manager, ext 102). Call `close()` when done; it removes the dir.
 */
export async function makeTestBox(
  options: {
    config?: Partial<ConfigInput>;
    staff?: StaffEntry[];
    clock?: TestClock;
    dir?: string;
    log?: Logger;
  } = {},
): Promise<TestBox> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "branchbox-test-"));
  const clock = options.clock ?? fakeClock();
  const config = loadConfig({
    base: {
      ...DEMO_CONFIG,
      http: { admin_token: TEST_TOKEN, listen: "127.0.0.1:0" },
      ...options.config,
      storage: { dir },
    },
  });
  const box = await createBox(config, { log: options.log ?? silentLogger, now: clock.now });
  staffStore(box.db).upsert(await hashedStaff(options.staff ?? DEMO_STAFF), clock.now());
  box.roster.reloadStaff();
  return {
    ...box,
    clock,
    dir,
    api: async (path, init = {}) =>
      box.app.request(path, {
        ...init,
        headers: {
          authorization: `Bearer ${TEST_TOKEN}`,
          "content-type": "application/json",
          ...init.headers,
        },
      }),
    close: async () => {
      await box.close();
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}

const hashes = new Map<string, Promise<string>>();

/** Argon2id is slow on purpose; tests hash each PIN once per process. */
async function hashedStaff(staff: readonly StaffEntry[]): Promise<StaffRow[]> {
  return Promise.all(
    staff.map(async ({ pin, ...member }) => {
      if (!hashes.has(pin)) hashes.set(pin, hashPin(pin));
      return { ...member, pinHash: await (hashes.get(pin) as Promise<string>) };
    }),
  );
}
