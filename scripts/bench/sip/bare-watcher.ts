#!/usr/bin/env bun
/**
 * Bench child, the baseline: a bare sip.js dialog subscriber on the same Kamailio as the box,
 * watching the same extensions, that does nothing but accept and count each NOTIFY (and, for the
 * `--trace` extensions, read its dialogs to time the phones' state changes). What the box's SIP
 * source does beyond this (parsing, translating, journaling, assembling, attributing, committing)
 * is what the bench measures.
 *
 *   bun scripts/bench/sip/bare-watcher.ts <ws-url> <domain> <ext,ext,…> [--trace ext,ext]
 *   prints {"event":"ready"} once every extension's first NOTIFY came; for a traced extension
 *   {"event":"notify","ext","at","dialogs":[{callId,state}]}; stdin `count` →
 *   {"event":"count","n","firstAt","lastAt"}: NOTIFYs since the last `reset` (epoch ms);
 *   `count <k>` adds "kthAt", when the k-th of them arrived.
 */
import { createInterface } from "node:readline";
import { Subscriber, SubscriptionState, type URI, UserAgent } from "sip.js";
import { readDialogs } from "../../lab/dialog-watch.ts";
import { epochMs, say } from "../lib/say.ts";

const args = process.argv.slice(2);
if (args.length < 3) {
  console.error("usage: bare-watcher.ts <ws-url> <domain> <ext,ext,…> [--trace ext,ext]");
  process.exit(2);
}
const [wsUrl, domain, list, flag, traceList] = args as [string, string, string, ...(string | undefined)[]];
const extensions = list.split(",");
const traced = new Set(flag === "--trace" ? (traceList ?? "").split(",") : []);

const ua = new UserAgent({
  uri: UserAgent.makeURI(`sip:bench-bare@${domain}`),
  transportOptions: { server: wsUrl },
  logLevel: "error",
  logBuiltinEnabled: false,
});
await ua.start();

let arrivals: number[] = [];
const answered = new Set<string>();
for (const ext of extensions) {
  const subscriber = new Subscriber(ua, UserAgent.makeURI(`sip:${ext}@${domain}`) as URI, "dialog", {
    expires: 600,
    extraHeaders: ["Accept: application/dialog-info+xml"],
  });
  subscriber.delegate = {
    onNotify: (notification) => {
      const at = epochMs();
      notification.accept();
      if (!answered.has(ext)) {
        answered.add(ext);
        if (answered.size === extensions.length) say("ready", { extensions: extensions.length });
        return;
      }
      arrivals.push(at);
      if (traced.has(ext)) {
        const dialogs = readDialogs(notification.request.body ?? "").map(({ callId, state }) => ({
          callId,
          state,
        }));
        say("notify", { ext, at, dialogs });
      }
    },
  };
  subscriber.stateChange.addListener((state) => {
    if (state === SubscriptionState.Terminated) say("ended", { ext });
  });
  void subscriber.subscribe();
}

const lines = createInterface({ input: process.stdin });
lines.on("line", (line) => {
  const [verb, k] = line.trim().split(/\s+/);
  if (verb === "count") {
    const kthAt = k === undefined ? undefined : arrivals[Number(k) - 1];
    say("count", { n: arrivals.length, firstAt: arrivals[0] ?? 0, lastAt: arrivals.at(-1) ?? 0, kthAt });
  }
  if (verb === "reset") arrivals = [];
  if (verb === "quit") void ua.stop().finally(() => process.exit(0));
});
