#!/usr/bin/env bun
import { createBox } from "../../../src/app.ts";
import { announceAndStopOnSignal, serverConfig } from "../lib/server-entry.ts";

/**
 * The box as `branchbox serve --config FILE` runs it (same composition root, same logger on stdout,
 * same Bun.serve via `listen`), plus one route the product does not have: `GET /bench/constant`,
 * a constant JSON behind the same global middleware, the floor the check-in is compared with.
 * It also times each request inside the server (from `fetch` called to the response ready), by
 * path, so the bench can tell the server's own time from the queue: `GET /bench/server-times`
 * returns and clears them. Prints `listening <url>` on stderr once it accepts connections.
 */

const { config, log } = serverConfig("scripts/bench/roster/server.ts");
const box = await createBox(config, { log });
box.app.get("/bench/constant", (c) => c.json({ status: "ok", constant: 42 }));

let times = new Map<string, number[]>();
// As `listen(box)` in src/app.ts, with the handler timed around it.
const cut = config.http.listen.lastIndexOf(":");
const server = Bun.serve({
  hostname: config.http.listen.slice(0, cut),
  port: Number(config.http.listen.slice(cut + 1)),
  fetch: async (request) => {
    const path = new URL(request.url).pathname;
    if (path === "/bench/server-times") {
      const body = Object.fromEntries(times);
      times = new Map();
      return Response.json(body);
    }
    const started = performance.now();
    const response = await box.app.fetch(request);
    const list = times.get(path) ?? [];
    list.push(performance.now() - started);
    times.set(path, list);
    return response;
  },
});
announceAndStopOnSignal(server, box);
