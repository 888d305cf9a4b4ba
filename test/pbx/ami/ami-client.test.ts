import { afterEach, describe, expect, test } from "bun:test";
import { createServer } from "node:net";
import { createLogger, silentLogger } from "../../../src/log/logger.ts";
import {
  type AmiClient,
  type AmiClientOptions,
  type AmiClientStatus,
  createAmiClient,
} from "../../../src/pbx/ami/ami-client.ts";
import type { AmiFrame } from "../../../src/pbx/ami/ami-parser.ts";
import { type AmiPeer, type AmiPeerOptions, startAmiPeer, waitUntil } from "../../support/ami-peer.ts";

const USER = "branchbox";
const SECRET = "s3cr3t-Zq9-never-logged";

/** An inbound call to the front desk, answered: ten frames, the shape Asterisk 20 writes. */
const TRANSCRIPT = [
  "# inbound call to 101, answered",
  ...[
    "Event: Newchannel\nChannel: PJSIP/trunk-00000001\nChannelState: 4\nCallerIDNum: +74951234567\nExten: 4957000000\nUniqueid: 1700000000.1\nLinkedid: 1700000000.1",
    "Event: Newexten\nChannel: PJSIP/trunk-00000001\nExten: 4957000000\nApplication: Dial\nUniqueid: 1700000000.1\nLinkedid: 1700000000.1",
    "Event: Newchannel\nChannel: PJSIP/101-00000002\nChannelState: 0\nCallerIDNum: 101\nExten: 101\nUniqueid: 1700000000.2\nLinkedid: 1700000000.1",
    "Event: DialBegin\nChannel: PJSIP/trunk-00000001\nDestChannel: PJSIP/101-00000002\nUniqueid: 1700000000.1\nDestUniqueid: 1700000000.2\nDialString: 101",
    "Event: Newstate\nChannel: PJSIP/101-00000002\nChannelState: 5\nChannelStateDesc: Ringing\nUniqueid: 1700000000.2\nLinkedid: 1700000000.1",
    "Event: Newstate\nChannel: PJSIP/101-00000002\nChannelState: 6\nChannelStateDesc: Up\nUniqueid: 1700000000.2\nLinkedid: 1700000000.1",
    "Event: DialEnd\nChannel: PJSIP/trunk-00000001\nDestChannel: PJSIP/101-00000002\nDialStatus: ANSWER\nUniqueid: 1700000000.1",
    "Event: BridgeEnter\nBridgeUniqueid: b-1\nChannel: PJSIP/101-00000002\nUniqueid: 1700000000.2\nLinkedid: 1700000000.1",
    "Event: Hangup\nChannel: PJSIP/101-00000002\nCause: 16\nCause-txt: Normal Clearing\nUniqueid: 1700000000.2\nLinkedid: 1700000000.1",
    "Event: Hangup\nChannel: PJSIP/trunk-00000001\nCause: 16\nCause-txt: Normal Clearing\nUniqueid: 1700000000.1\nLinkedid: 1700000000.1",
  ].map((frame, i) => `${frame}\nSeq: ${i + 1}\n`),
].join("\n");
const FRAMES = 10;

const peers: AmiPeer[] = [];
const clients: AmiClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.stop()));
  await Promise.all(peers.splice(0).map((p) => p.close()));
});

async function peer(options: Partial<AmiPeerOptions> = {}): Promise<AmiPeer> {
  const p = await startAmiPeer({ username: USER, secret: SECRET, transcript: TRANSCRIPT, ...options });
  peers.push(p);
  return p;
}

/** A client that records what it hands its owner, in one ordered list. */
function client(port: number, options: Partial<AmiClientOptions> = {}) {
  const seen: ({ resync: string[] } | { frame: AmiFrame })[] = [];
  const states: AmiClientStatus[] = [];
  const c = createAmiClient({
    host: "127.0.0.1",
    port,
    username: USER,
    secret: SECRET,
    log: silentLogger,
    backoff: { baseMs: 10, capMs: 50 },
    onFrame: (frame) => seen.push({ frame: { ...frame } }),
    onResync: (channels) => seen.push({ resync: channels.map((ch) => ch.Uniqueid ?? "?") }),
    onState: (s) => states.push(s),
    ...options,
  });
  clients.push(c);
  const seqs = () =>
    seen.flatMap((s) => ("frame" in s && s.frame.Seq !== undefined ? [Number(s.frame.Seq)] : []));
  const resyncs = () => seen.flatMap((s) => ("resync" in s ? [s.resync] : []));
  return { c, seen, states, seqs, resyncs };
}

describe("AMI client against a scripted peer", () => {
  test("logs in with the event classes, an ActionID on every action, resyncs, then streams", async () => {
    const p = await peer({ channels: [{ Channel: "PJSIP/102-0000000a", Uniqueid: "1699999999.9" }] });
    const { c, seen, seqs } = client(p.port, { pingIntervalMs: 20 });
    c.start();
    await waitUntil(() => seqs().length === FRAMES && p.received.some((r) => r.frame.Action === "Ping"));
    expect(c.status()).toMatchObject({
      state: "connected",
      banner: "Asterisk Call Manager/9.0.0",
      badFrames: 0,
    });

    const [login, show] = p.received.map((r) => r.frame);
    expect({ ...login }).toEqual({
      Action: "Login",
      ActionID: "bb-1",
      Username: USER,
      Secret: SECRET,
      Events: "call,dialplan,agent,user",
    });
    expect({ ...show }).toEqual({ Action: "CoreShowChannels", ActionID: "bb-2" });
    const ids = p.received.map((r) => r.frame.ActionID);
    expect(ids.every((id) => id !== undefined && /^bb-\d+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);

    // The snapshot first, then FullyBooted and the transcript in wire order.
    expect(seen[0]).toEqual({ resync: ["1699999999.9"] });
    expect(seen[1]).toMatchObject({ frame: { Event: "FullyBooted" } });
    expect(seqs()).toEqual(Array.from({ length: FRAMES }, (_, i) => i + 1));
    expect(c.status().eventsReceived).toBe(FRAMES + 1);
  });

  test("the secret travels only in the Login action", async () => {
    const p = await peer();
    const { c } = client(p.port, { pingIntervalMs: 10 });
    c.start();
    await waitUntil(() => p.received.filter((r) => r.frame.Action === "Ping").length >= 3);
    const logins = p.received.filter((r) => r.frame.Action === "Login").length;
    expect(p.rawReceived().split(SECRET).length - 1).toBe(logins);
    for (const { frame } of p.received) {
      if (frame.Action !== "Login") expect(JSON.stringify(frame)).not.toContain(SECRET);
    }
  });

  test("a wrong secret: auth-failed, retried with backoff, logged once, the secret in no log line", async () => {
    const p = await peer({ secret: "the-right-one" });
    const lines: string[] = [];
    const log = createLogger({ level: "debug", write: (line) => lines.push(line) });
    const { c, states } = client(p.port, { log });
    c.start();
    await waitUntil(() => p.connections() >= 4);
    expect(c.status().state).toBe("auth-failed");
    // Between attempts the detail says why; during one it says "connecting" (the state stays).
    expect(states.filter((s) => s.retryInMs !== null).at(-1)?.detail).toContain("Authentication failed");
    expect(states.filter((s) => s.state === "connected")).toEqual([]);
    expect(lines.join("\n")).not.toContain(SECRET);
    expect(lines.filter((l) => l.includes("AMI login refused")).length).toBe(1);
    const retries = states.filter((s) => s.retryInMs !== null).map((s) => s.attempt);
    expect(retries.slice(0, 3)).toEqual([1, 2, 3]);
  });

  test("a Ping left unanswered marks the link dead; the client reconnects and resyncs", async () => {
    const p = await peer({ transcript: "" });
    const { c, resyncs } = client(p.port, { pingIntervalMs: 20, pingTimeoutMs: 60 });
    p.ignoreActions.add("Ping");
    c.start();
    await waitUntil(() => p.connections() >= 2, 3_000, "a reconnect after the ping timeout");
    p.ignoreActions.clear();
    await waitUntil(() => c.status().state === "connected" && resyncs().length >= 2);
    expect(c.status().detail).toBe("logged in");
  });

  test("the peer drops mid-transcript: reconnect with backoff, snapshot at the drop point, the rest arrives", async () => {
    const alive = (position: number) =>
      position >= 3 ? [{ Channel: "PJSIP/trunk-00000001", Uniqueid: `alive-at-${position}` }] : [];
    const p = await peer({
      dropAfterFrames: 4,
      channels: alive,
      chunking: { mode: "random", seed: 7, maxChunk: 13 },
    });
    const { c, seqs, resyncs, states } = client(p.port);
    c.start();
    await waitUntil(() => seqs().at(-1) === FRAMES, 5_000, "the last frame");
    expect(p.connections()).toBe(2);
    expect(resyncs()).toEqual([[], ["alive-at-4"]]);
    expect(seqs()).toEqual(Array.from({ length: FRAMES }, (_, i) => i + 1));
    expect(states.some((s) => s.state === "backing-off" && s.retryInMs !== null)).toBe(true);
    expect(c.status()).toMatchObject({ state: "connected", badFrames: 0 });
  });

  test("frame-by-frame replay interrupted by dropNow() resumes without losing a frame", async () => {
    const p = await peer({ chunking: { mode: "frames", delayMs: 5 } });
    const { c, seqs, resyncs } = client(p.port);
    c.start();
    await waitUntil(() => seqs().length >= 3);
    p.dropNow();
    await waitUntil(() => seqs().at(-1) === FRAMES, 5_000, "the last frame");
    expect(resyncs().length).toBe(2);
    // At-least-once: a frame cut mid-write may come again, none goes missing, order holds.
    expect([...new Set(seqs())]).toEqual(Array.from({ length: FRAMES }, (_, i) => i + 1));
  });

  test("backoff: exponential with full jitter, capped, reset after a healthy connection", async () => {
    const first = await startAmiPeer({ username: USER, secret: SECRET });
    const port = first.port;
    await first.close();
    const { c, states } = client(port, {
      random: () => 1,
      backoff: { baseMs: 10, capMs: 80 },
      healthyAfterMs: 50,
    });
    c.start();
    const delays = () => states.flatMap((s) => (s.retryInMs === null ? [] : [s.retryInMs]));
    await waitUntil(() => delays().length >= 6, 3_000, "six refused attempts");
    expect(delays().slice(0, 6)).toEqual([10, 20, 40, 80, 80, 80]);
    expect(c.status().state).toBe("backing-off");

    const p = await peer({ port, transcript: "" });
    await waitUntil(() => c.status().state === "connected", 3_000, "connected");
    await Bun.sleep(80);
    const before = delays().length;
    p.dropNow();
    await waitUntil(() => delays().length > before);
    expect(delays()[before]).toBe(10);
  });

  test("jitter draws from the injected random source", async () => {
    const first = await startAmiPeer({ username: USER, secret: SECRET });
    await first.close();
    const { c, states } = client(first.port, { random: () => 0.5, backoff: { baseMs: 100, capMs: 1_000 } });
    c.start();
    await waitUntil(() => states.filter((s) => s.retryInMs !== null).length >= 3);
    expect(states.flatMap((s) => (s.retryInMs === null ? [] : [s.retryInMs])).slice(0, 3)).toEqual([
      50, 100, 200,
    ]);
  });

  test("stop() logs off, closes, and no reconnect follows", async () => {
    const p = await peer({ transcript: "" });
    const { c } = client(p.port);
    c.start();
    await waitUntil(() => c.status().state === "connected");
    await c.stop();
    expect(c.status().state).toBe("stopped");
    expect(p.received.at(-1)?.frame.Action).toBe("Logoff");
    await Bun.sleep(100);
    expect(p.connections()).toBe(1);
  });

  test("stop() while backing off cancels the retry", async () => {
    const first = await startAmiPeer({ username: USER, secret: SECRET });
    await first.close();
    const { c, states } = client(first.port, { backoff: { baseMs: 50, capMs: 50 }, random: () => 1 });
    c.start();
    await waitUntil(() => c.status().state === "backing-off");
    await c.stop();
    const count = states.length;
    await Bun.sleep(150);
    expect(states.length).toBe(count);
    expect(c.status().state).toBe("stopped");
  });

  test("garbage from the peer is counted and the link stays up", async () => {
    const p = await peer({ transcript: "" });
    const { c, seen } = client(p.port, { pingIntervalMs: 20, limits: { maxLineLength: 1024 } });
    c.start();
    await waitUntil(() => c.status().state === "connected" && seen.length >= 2);
    p.sendRaw("this is not AMI\r\n\r\n");
    p.sendRaw(`Event: Huge\r\nData: ${"x".repeat(100_000)}\r\n\r\n`);
    p.sendRaw("Event: Broken\r\nno colon\r\n\r\n\u0000\u0001\xff\r\n\r\n");
    p.sendRaw("Event: StillHere\r\nResponse-Like: no\r\n\r\n");
    await waitUntil(() => seen.some((s) => "frame" in s && s.frame.Event === "StillHere"));
    const pings = p.received.filter((r) => r.frame.Action === "Ping").length;
    await waitUntil(() => p.received.filter((r) => r.frame.Action === "Ping").length > pings + 1);
    expect(c.status()).toMatchObject({ state: "connected", badFrames: 4 });
    expect(p.connections()).toBe(1);
  });

  test("send(): any action answered by ActionID; before login it is refused with a code", async () => {
    const p = await peer({ transcript: "" });
    const { c } = client(p.port);
    await expect(c.send({ Action: "Ping" })).rejects.toMatchObject({ code: "PBX.AMI_NOT_CONNECTED" });
    c.start();
    await waitUntil(() => c.status().state === "connected");
    expect(await c.send({ Action: "Ping", ActionID: "mine" })).toMatchObject({
      Response: "Success",
      Ping: "Pong",
    });
    expect(p.received.at(-1)?.frame.ActionID).toMatch(/^bb-\d+$/);
    expect(await c.send({ Action: "NoSuchThing" })).toMatchObject({ Response: "Error" });
    const list = await c.sendList({ Action: "CoreShowChannels" });
    expect(list.complete).toMatchObject({ Event: "CoreShowChannelsComplete", ListItems: "0" });
  });

  test("events held while CoreShowChannels is read are delivered, in order, when the link closes before its answer", async () => {
    // A PBX that starts streaming, then dies before it answers the snapshot: the events it sent are
    // real and must not be lost with the connection.
    // node:net buffers what it writes (a Bun.listen socket may write part of a chunk under load).
    const server = createServer((socket) => {
      let wire = "";
      socket.write("Asterisk Call Manager/9.0.0\r\n");
      socket.on("error", () => {});
      socket.on("data", (chunk: Buffer) => {
        // Whole actions only: under load one action may come in two reads.
        wire += chunk.toString();
        const end = wire.lastIndexOf("\r\n\r\n");
        if (end === -1) return;
        const text = wire.slice(0, end);
        wire = wire.slice(end + 4);
        const id = /ActionID: (\S+)/.exec(text)?.[1] ?? "";
        if (text.includes("Action: Login"))
          socket.write(`Response: Success\r\nActionID: ${id}\r\nMessage: Authentication accepted\r\n\r\n`);
        if (text.includes("Action: CoreShowChannels")) {
          socket.write(`Response: Success\r\nActionID: ${id}\r\nEventList: start\r\n\r\n`);
          for (const seq of [1, 2, 3]) socket.write(`Event: Newexten\r\nSeq: ${seq}\r\n\r\n`);
          socket.end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const { c, seqs, resyncs } = client(port);
      c.start();
      // The client reconnects after the close and the peer does the same again: the first
      // connection's three come first, in order (more may follow from the next ones).
      await waitUntil(() => seqs().length >= 3, 10_000, "the held events");
      expect(seqs().slice(0, 3)).toEqual([1, 2, 3]);
      expect(resyncs()).toEqual([]);
      await c.stop();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 15_000);

  test("an owner callback that throws does not break the link", async () => {
    const p = await peer();
    let calls = 0;
    const { c } = client(p.port, {
      onFrame: () => {
        calls++;
        throw new Error("owner bug");
      },
    });
    c.start();
    await waitUntil(() => calls === FRAMES + 1);
    expect(c.status().state).toBe("connected");
    expect(p.connections()).toBe(1);
  });
});
