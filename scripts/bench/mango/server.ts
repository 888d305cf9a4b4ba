#!/usr/bin/env bun
import { createBox, listen } from "../../../src/app.ts";
import { announceAndStopOnSignal, serverConfig } from "../lib/server-entry.ts";

/**
 * The branch of bench:mango, as `branchbox serve --config FILE` runs it (same composition root,
 * the `[pbx.mango]` source reading the `pbx` down stream, same Bun.serve via `listen`), plus one
 * route the product does not have: `GET /bench/recorded` returns (and forgets) every call record
 * committed since the last call, with the instant (epoch ms, sub-ms) of the commit that wrote it,
 * seen through the pipeline's own `subscribe`; `GET /bench/linked` says whether its relay has seen
 * HQ online (its subscriptions, the `pbx` down stream's among them, are in place). Prints
 * `listening <url>` on stderr.
 */

const { config, log } = serverConfig("scripts/bench/mango/server.ts");
const box = await createBox(config, { log });

let recorded: { id: string; at: number; outcome: string }[] = [];
box.calls.subscribe((_changed, records) => {
  if (records.length === 0) return;
  const at = performance.timeOrigin + performance.now();
  for (const record of records) recorded.push({ id: record.id, at, outcome: record.outcome });
});

box.app.get("/bench/recorded", (c) => {
  const list = recorded;
  recorded = [];
  return c.json(list);
});

box.app.get("/bench/linked", (c) => c.json({ linked: box.sync?.status().hqOnline === true }));

announceAndStopOnSignal(listen(box), box);
