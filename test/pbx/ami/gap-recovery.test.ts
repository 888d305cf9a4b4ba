import { afterEach, describe, expect, test } from "bun:test";
import type { PbxEvent } from "../../../src/domain/call/pbx-event.ts";
import type { PbxHistory } from "../../../src/domain/call/pbx-history.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { createAmiAdapter } from "../../../src/pbx/ami/index.ts";
import { type AmiPeer, startAmiPeer, waitUntil } from "../../support/ami-peer.ts";

/**
 * Issue 13: after a login, the AMI source delivers what the PBX's records give for the gap before
 * anything else of the new link — before the resync (which would end a call that ended in the gap
 * at the reconnect, with no leg endings) and before the live stream.
 */
const USER = "branchbox";
const SECRET = "gap-Secret-never-logged";

const call = (n: string, trunk: number, desk: number) => {
  const t = `Channel: PJSIP/trunk-0000000${trunk}\nUniqueid: 1700.${trunk}\nLinkedid: 1700.${trunk}`;
  const d = `Channel: PJSIP/101-0000000${desk}\nUniqueid: 1700.${desk}\nLinkedid: 1700.${trunk}`;
  return [
    `# call ${n}`,
    `Event: Newchannel\n${t}\nChannelState: 4\nCallerIDNum: +7495000000${trunk}\nExten: 4957000000\nContext: from-pstn`,
    `Event: Newchannel\n${d}\nChannelState: 0\nCallerIDNum: 101\nExten: 101\nContext: from-internal`,
    `Event: DialBegin\nChannel: PJSIP/trunk-0000000${trunk}\nUniqueid: 1700.${trunk}\nDestChannel: PJSIP/101-0000000${desk}\nDestUniqueid: 1700.${desk}\nDestLinkedid: 1700.${trunk}`,
    `Event: Newstate\n${d}\nChannelState: 5`,
  ].join("\n\n");
};

/** Call A rings before the drop; call C rings on the new link (sent then). */
const TRANSCRIPT = `${call("A", 1, 2)}\n`;
const CALL_C = call("C", 5, 6)
  .split("\n\n")
  .slice(1)
  .map((frame) => `${frame.replace(/\n/g, "\r\n")}\r\n\r\n`)
  .join("");

const recovered = (
  key: string,
  kind: PbxEvent["kind"],
  callId: string,
  at: number,
  extra: Partial<PbxEvent> = {},
): PbxEvent => ({
  source: "",
  key,
  kind,
  callId,
  legId: null,
  extension: null,
  at,
  recovered: { via: "cel", at: 2_000_000 },
  ...extra,
});

const peers: AmiPeer[] = [];
afterEach(async () => {
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

describe("AMI source after a gap (issue 13)", () => {
  test("the gap's recovered events go first, then the resync's, then the live stream; the new link waits for the read", async () => {
    const p = await startAmiPeer({
      username: USER,
      secret: SECRET,
      transcript: TRANSCRIPT,
      dropAfterFrames: 4,
    });
    peers.push(p);
    const delivered: PbxEvent[] = [];
    const asked: number[] = [];
    let answerSecond: (events: readonly PbxEvent[]) => void = () => {};
    const history: PbxHistory = {
      describe: "CEL stub",
      read: async () => ({ events: [], calls: 0, via: "cel", skipped: 0 }),
    };
    const { source } = createAmiAdapter({
      host: "127.0.0.1",
      port: p.port,
      username: USER,
      secret: SECRET,
      log: silentLogger,
      client: { backoff: { baseMs: 10, capMs: 20 } },
      history,
      linkUp: (name, at, given) => {
        expect(given).toBe(history);
        asked.push(at);
        if (asked.length === 1) return Promise.resolve([]);
        // Call A ended in the gap (answered nowhere, the caller gave up); call B began and ended in it.
        const a = [
          recovered("1700.2:ended", "leg-ended", "1700.1", 1_500_000, {
            legId: "1700.2",
            extension: "101",
            cause: "cancelled",
          }),
          recovered("1700.1:end", "call-end", "1700.1", 1_500_001),
          recovered("1700.3:start", "call-start", "1700.3", 1_600_000, {
            from: { number: "+74950000003", extension: null },
            to: { number: "4957000000", extension: null },
            did: "4957000000",
          }),
          recovered("1700.3:end", "call-end", "1700.3", 1_600_100),
        ].map((e) => ({ ...e, source: name }));
        return new Promise((resolve) => {
          answerSecond = () => resolve(a);
        });
      },
    });
    source.start(async (events) => void delivered.push(...events));
    try {
      await waitUntil(() => delivered.some((e) => e.key === "1700.2:ringing"), 5_000, "call A ringing");
      expect(asked.length).toBe(1);
      p.dropNow();
      await waitUntil(() => asked.length === 2, 5_000, "the second login");
      const received = source.status().eventsReceived;
      p.sendRaw(CALL_C);
      // Everything of the new link has arrived at the box (call C's four frames)…
      await waitUntil(() => source.status().eventsReceived >= received + 4, 5_000, "call C's frames");
      // …and none of it is delivered while the gap is read.
      const before = delivered.length;
      expect(delivered.every((e) => !e.callId.startsWith("1700.5"))).toBe(true);
      answerSecond([]);
      await waitUntil(() => delivered.some((e) => e.key === "1700.6:ringing"), 5_000, "call C ringing");
      const after = delivered.slice(before).map((e) => `${e.key}${e.recovered ? " (recovered)" : ""}`);
      expect(after.slice(0, 4)).toEqual([
        "1700.2:ended (recovered)",
        "1700.1:end (recovered)",
        "1700.3:start (recovered)",
        "1700.3:end (recovered)",
      ]);
      // The resync's end of call A comes after (the journal keeps the first: the record's).
      const resyncEnd = after.indexOf("1700.1:end");
      const firstC = after.findIndex((k) => k.startsWith("1700.5"));
      expect(resyncEnd).toBeGreaterThan(3);
      expect(firstC).toBeGreaterThan(resyncEnd);
    } finally {
      await source.stop();
    }
  });
});
