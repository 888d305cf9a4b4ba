// The demo's phone system (src/demo-pbx.ts) against the box's real AMI client: it must speak AMI
// as Asterisk does, or the demo would show a pipeline no PBX ever drives.
import { afterEach, describe, expect, test } from "bun:test";
import { connect } from "node:net";
import { DEMO_CALLS, type DemoCall, freshIds } from "../src/demo-calls.ts";
import { type DemoPbx, startDemoPbx } from "../src/demo-pbx.ts";
import { silentLogger } from "../src/log/logger.ts";
import { type AmiClient, createAmiClient } from "../src/pbx/ami/ami-client.ts";
import type { AmiFrame } from "../src/pbx/ami/ami-parser.ts";
import { waitUntil } from "./support/ami-peer.ts";
import { acceptsTcp } from "./support/process.ts";

const pbxes: DemoPbx[] = [];
const clients: AmiClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  await Promise.all(pbxes.splice(0).map((p) => p.close()));
});

async function pbx(calls?: readonly DemoCall[]): Promise<DemoPbx> {
  const p = await startDemoPbx({ pace: "fast", log: silentLogger, ...(calls ? { calls } : {}) });
  pbxes.push(p);
  return p;
}

function client(p: DemoPbx, secret = p.section.secret, events?: string) {
  const frames: AmiFrame[] = [];
  const c = createAmiClient({
    host: "127.0.0.1",
    port: p.port,
    username: p.section.username,
    secret,
    log: silentLogger,
    backoff: { baseMs: 50, capMs: 200 },
    onFrame: (frame) => frames.push({ ...frame }),
    onResync: () => {},
    ...(events === undefined ? {} : { events }),
  });
  clients.push(c);
  c.start();
  return { c, frames };
}

const callNamed = (name: string) => DEMO_CALLS.find((c) => c.name === name) as DemoCall;

describe("the demo PBX speaks AMI as Asterisk does", () => {
  test("a wrong secret is refused as Asterisk refuses it: 'Authentication failed', the connection closed, no call played", async () => {
    const p = await pbx();
    const { c } = client(p, "not-the-secret");
    await waitUntil(() => c.status().state === "auth-failed", 5_000, "auth-failed");
    expect(c.status().detail).toContain("login refused: Authentication failed");
    expect(c.status().banner).toBe("Asterisk Call Manager/9.0.0");

    const wire = await new Promise<{ text: string; closed: boolean }>((resolve) => {
      let text = "";
      const socket = connect({ host: "127.0.0.1", port: p.port });
      socket.on("data", (chunk) => {
        text += chunk.toString("utf8");
        if (text.includes("\r\n") && !text.includes("Action")) {
          socket.write(`Action: Login\r\nActionID: x1\r\nUsername: demo\r\nSecret: guess\r\n\r\n`);
          text += "Action sent\r\n";
        }
      });
      socket.on("close", () => resolve({ text, closed: true }));
    });
    expect(wire.text).toContain("Response: Error\r\nActionID: x1\r\nMessage: Authentication failed\r\n\r\n");
    expect(wire.closed).toBe(true);
    expect(p.played()).toBe(0);
  });

  test("the box's login gets in: the endpoint list, Ping, and Asterisk's Error for chan_sip's SIPpeers", async () => {
    const p = await pbx();
    expect(p.section).toMatchObject({ host: "127.0.0.1", port: p.port, username: "demo", profile: "auto" });
    const { c } = client(p);
    await waitUntil(() => c.status().state === "connected", 5_000, "connected");
    const endpoints = await c.sendList({ Action: "PJSIPShowEndpoints" });
    expect(endpoints.items.map((e) => e.ObjectName)).toEqual(["101", "102", "trunk-sip"]);
    expect(endpoints.complete?.Event).toBe("EndpointListComplete");
    expect((await c.send({ Action: "Ping" })).Ping).toBe("Pong");
    const sipPeers = await c.send({ Action: "SIPpeers" });
    expect(sipPeers.Response).toBe("Error");
    expect(sipPeers.Message).toContain("Invalid/unknown command: SIPpeers");
  });

  test("calls play after the login with the time of now, and a channel alive is in CoreShowChannels", async () => {
    const p = await pbx([callNamed("inbound-front-desk-answered")]);
    const started = Date.now();
    const { c, frames } = client(p);
    await waitUntil(() => frames.some((f) => f.Event === "Newchannel"), 5_000, "a Newchannel");
    const first = frames.find((f) => f.Event === "Newchannel") as AmiFrame;
    expect(Number(first.Timestamp) * 1000).toBeGreaterThanOrEqual(started - 1000);
    expect(first.Channel).toMatch(/^PJSIP\/trunk-sip-[0-9a-f]{8}$/);
    // The trunk channel rings 101 for 0.6 s and talks 1.5 s at this pace: it is alive now.
    const snapshot = await c.sendList({ Action: "CoreShowChannels" });
    expect(snapshot.items.map((i) => i.Uniqueid)).toContain(first.Uniqueid);
    await waitUntil(() => frames.some((f) => f.Event === "Hangup" && f.Uniqueid === first.Uniqueid), 10_000);
    expect((await c.sendList({ Action: "CoreShowChannels" })).items.map((i) => i.Uniqueid)).not.toContain(
      first.Uniqueid,
    );
  });

  test("events go by the classes the Login asked for, and never RTCP ('reporting'), which the demo's user may not read", async () => {
    const p = await pbx([callNamed("inbound-front-desk-answered")]);
    const box = client(p);
    const systemOnly = client(p, p.section.secret, "system");
    await waitUntil(() => box.frames.some((f) => f.Event === "Hangup"), 10_000, "a Hangup");
    expect(systemOnly.c.status().state).toBe("connected");
    expect(systemOnly.frames.filter((f) => f.Event !== "FullyBooted")).toEqual([]);
    expect(box.frames.filter((f) => f.Event?.startsWith("RTCP"))).toEqual([]);
    expect(box.frames.some((f) => f.Privilege === "dialplan,all")).toBe(true);
  });

  test("close() ends the calls and the port: a connection is then refused", async () => {
    const p = await pbx();
    const { c } = client(p);
    await waitUntil(() => c.status().state === "connected", 5_000, "connected");
    await p.close();
    expect(await acceptsTcp(p.port)).toBe(false);
  });
});

describe("each playing of a recording is a new call", () => {
  test("two playings share no Uniqueid, Linkedid or channel, and each keeps the recording's links", () => {
    const call = callNamed("blind-transfer");
    let n = 0;
    const one = freshIds(call.frames, () => ++n, Date.parse("2026-12-07T10:00:00Z"));
    const two = freshIds(call.frames, () => ++n, Date.parse("2026-12-07T10:00:30Z"));
    const ids = (frames: readonly Record<string, string>[]) =>
      new Set(
        frames.flatMap((f) =>
          Object.entries(f)
            .filter(([k]) => /(Uniqueid|Linkedid|Channel)$/.test(k))
            .map(([, v]) => v),
        ),
      );
    const a = ids(one);
    expect([...ids(two)].filter((id) => a.has(id) && id !== "")).toEqual([]);
    for (const played of [one, two]) {
      // The same shape as recorded: each recorded id is one new id, everywhere it appears.
      const pairs = new Map<string, string>();
      call.frames.forEach((recorded, i) => {
        for (const [key, value] of Object.entries(recorded))
          if (/(Uniqueid|Linkedid)$/.test(key)) {
            const now = played[i]?.[key] as string;
            expect(pairs.get(value) ?? now).toBe(now);
            pairs.set(value, now);
          }
      });
      expect(new Set(pairs.values()).size).toBe(pairs.size);
    }
  });

  test("the real capture's phone plays as the front desk 101, its trunk as the demo's", () => {
    const call = callNamed("vg-queue-abandoned");
    const channels = new Set(call.frames.map((f) => f.Channel?.replace(/-[0-9a-f]{8}(;[12])?$/, "")));
    expect(channels).toContain("PJSIP/101");
    expect(channels).toContain("PJSIP/trunk-sip");
    expect([...channels].filter((c) => c?.includes("150010002"))).toEqual([]);
    expect(call.frames.some((f) => f.Event === "FullyBooted")).toBe(false);
    // Untimed: it rings 101 for the demo's own ring time, not at once.
    expect(Math.max(...call.gapsMs)).toBeGreaterThanOrEqual(5_000);
  });
});
