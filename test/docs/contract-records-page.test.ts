// docs/contract.md states how many records one page of HQ's `GET /api/v1/records` holds; HQ's API
// must do exactly that: the stated maximum is served, one more is refused with a coded 400.
import { expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Applier } from "../../src/hq/applier.ts";
import { hqHttpApp } from "../../src/hq/hq-http.ts";
import { openSqliteHqStore } from "../../src/hq/store/sqlite/index.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { batches, tempDir } from "../hq/hq-fixtures.ts";
import { REPO_ROOT } from "../support/process.ts";

const TOKEN = "hq-test-token-0123456789";

test("the contract states the records page maximum, and HQ serves that many and refuses one more", async () => {
  const contract = readFileSync(join(REPO_ROOT, "docs/contract.md"), "utf8");
  const stated = /GET \/api\/v1\/records[\s\S]{0,300}?at most (\d+) records per page/.exec(contract)?.[1];
  expect(stated, "docs/contract.md does not say how many records a page holds").toBeDefined();
  const max = Number(stated);

  const dir = tempDir("contract-page");
  const store = openSqliteHqStore(dir, { forward: false });
  const applier = new Applier({ store, log: silentLogger, reorderTimeoutMs: 2000, sendAck: () => {} });
  for (const e of batches("msk-01", "calls", max + 5, 500)) await applier.receive("msk-01", "calls", e);
  const app = hqHttpApp({
    store,
    token: TOKEN,
    status: () => ({ mqtt: "connected", counters: {}, waiting: applier.waiting }),
  });
  const page = (limit: number) =>
    app.request(`/api/v1/records?branch=msk-01&stream=calls&after=0&limit=${limit}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });

  try {
    const full = await page(max);
    expect(full.status).toBe(200);
    const body = (await full.json()) as { records: unknown[]; next: number | null };
    expect(body.records.length).toBe(max);
    expect(body.next).toBe(max);
    const over = await page(max + 1);
    expect(over.status).toBe(400);
    expect(await over.json()).toMatchObject({ error: { code: "HQ.BAD_QUERY" } });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
