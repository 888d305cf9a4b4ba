// The AMI source against the PbxEventSource contract: a scripted AMI peer on loopback plays a small
// PBX (a client's call to 101 ringing, answered, hung up), reports its channels to CoreShowChannels,
// and goes down on cue (a listener that accepts and drops every connection).
import { createServer, type Server, type Socket } from "node:net";
import type { AmiFrame } from "../../../src/pbx/ami/ami-parser.ts";
import { formatAmiFrame } from "../../../src/pbx/ami/ami-parser.ts";
import { createAmiAdapter } from "../../../src/pbx/ami/index.ts";
import { type AmiPeer, startAmiPeer, waitUntil } from "../../support/ami-peer.ts";
import { type CallStep, type LifecyclePbx, runPbxSourceLifecycleSuite } from "../source-lifecycle.suite.ts";

const USER = "branchbox";
const SECRET = "ami-Secret-7Qx-never-logged";
const CLIENT = "+74951234567";
const DID = "4957000000";

interface Call {
  readonly id: number;
  step: CallStep;
}

/** Channel names and ids of call number `n`: the trunk (the call's first channel) and 101's. */
const ids = (n: number) => ({
  trunk: { Channel: `PJSIP/trunk-0000${n}a`, Uniqueid: `17000${n}.1`, Linkedid: `17000${n}.1` },
  desk: { Channel: `PJSIP/101-0000${n}b`, Uniqueid: `17000${n}.2`, Linkedid: `17000${n}.1` },
});

/** The frames Asterisk writes when call `n` reaches `step`. */
function frames(n: number, step: CallStep): AmiFrame[] {
  const { trunk, desk } = ids(n);
  switch (step) {
    case "ringing":
      return [
        {
          Event: "Newchannel",
          ...trunk,
          ChannelState: "4",
          CallerIDNum: CLIENT,
          Exten: DID,
          Context: "from-pstn",
        },
        {
          Event: "Newchannel",
          ...desk,
          ChannelState: "0",
          CallerIDNum: "101",
          Exten: "101",
          Context: "from-internal",
        },
        {
          Event: "DialBegin",
          Channel: trunk.Channel,
          DestChannel: desk.Channel,
          Uniqueid: trunk.Uniqueid,
          DestUniqueid: desk.Uniqueid,
          DialString: "101",
        },
        { Event: "Newstate", ...desk, ChannelState: "5", ChannelStateDesc: "Ringing" },
      ];
    case "answered":
      return [
        { Event: "Newstate", ...desk, ChannelState: "6", ChannelStateDesc: "Up" },
        {
          Event: "DialEnd",
          Channel: trunk.Channel,
          DestChannel: desk.Channel,
          DialStatus: "ANSWER",
          Uniqueid: trunk.Uniqueid,
          DestUniqueid: desk.Uniqueid,
        },
        { Event: "BridgeEnter", BridgeUniqueid: `b-${n}`, ...desk },
      ];
    case "ended":
      return [
        { Event: "Hangup", ...desk, Cause: "16", "Cause-txt": "Normal Clearing" },
        { Event: "Hangup", ...trunk, Cause: "16", "Cause-txt": "Normal Clearing" },
      ];
  }
}

/** What CoreShowChannels lists for call `n` at `step`. */
function channels(n: number, step: CallStep): AmiFrame[] {
  if (step === "ended") return [];
  const { trunk, desk } = ids(n);
  const up = step === "answered";
  const bridge: AmiFrame = up ? { BridgeId: `b-${n}` } : {};
  return [
    {
      ...trunk,
      ChannelState: up ? "6" : "4",
      ChannelStateDesc: up ? "Up" : "Ring",
      CallerIDNum: CLIENT,
      ConnectedLineNum: "101",
      Context: "from-pstn",
      Exten: DID,
      Application: "Dial",
      ApplicationData: "PJSIP/101,20",
      Duration: "00:00:05",
      ...bridge,
    },
    {
      ...desk,
      ChannelState: up ? "6" : "5",
      ChannelStateDesc: up ? "Up" : "Ringing",
      CallerIDNum: "101",
      ConnectedLineNum: CLIENT,
      Context: "from-internal",
      Exten: "101",
      Application: "AppDial",
      ApplicationData: "(Outgoing Line)",
      Duration: "00:00:05",
      ...bridge,
    },
  ];
}

runPbxSourceLifecycleSuite("AMI", {
  async make(options) {
    const calls = new Map<string, Call>();
    const callOf = (name: string): Call => {
      const known = calls.get(name);
      if (known !== undefined) return known;
      const call: Call = { id: calls.size + 1, step: "ringing" };
      calls.set(name, call);
      return call;
    };
    const snapshot = () => [...calls.values()].flatMap((call) => channels(call.id, call.step));
    const startPeer = (port = 0) =>
      startAmiPeer({ username: USER, secret: SECRET, channels: snapshot, ...(port === 0 ? {} : { port }) });

    let peer: AmiPeer | null = await startPeer();
    const port = peer.port;
    /** Actions of peers gone by: a new peer counts from zero. */
    let pastLinks = 0;
    let pastResyncs = 0;
    let syncedAt = 0;
    let down: { server: Server; sockets: Set<Socket> } | null = null;
    const refused: number[] = [];
    const resyncs = () =>
      pastResyncs + (peer?.received.filter((r) => r.frame.Action === "CoreShowChannels").length ?? 0);

    const source = createAmiAdapter({
      host: "127.0.0.1",
      port,
      username: USER,
      secret: SECRET,
      log: options.log,
      liveCalls: options.liveCalls,
      client: { backoff: options.backoff, random: options.random, pingIntervalMs: 50 },
    }).source;

    const pbx: LifecyclePbx = {
      source,
      secret: SECRET,
      acknowledges: false,
      callId: (name) => ids(callOf(name).id).trunk.Linkedid,
      step(name, step) {
        const call = callOf(name);
        call.step = step;
        peer?.sendRaw(frames(call.id, step).map(formatAmiFrame).join(""));
      },
      acks: () => [],
      async roundTrip() {
        const pings = () => peer?.received.filter((r) => r.frame.Action === "Ping").length ?? 0;
        const before = pings();
        await waitUntil(() => pings() > before, 5_000, "the client's next Ping");
      },
      links: () => pastLinks + (peer?.connections() ?? 0),
      open: () => (down?.sockets.size ?? 0) + (peer?.open() ?? 0),
      refused: () => refused,
      async synced() {
        await waitUntil(() => resyncs() > syncedAt, 20_000, "a CoreShowChannels on a new link");
        syncedAt = resyncs();
      },
      async offline() {
        if (peer !== null) {
          pastLinks += peer.connections();
          pastResyncs += peer.received.filter((r) => r.frame.Action === "CoreShowChannels").length;
          await peer.close();
          peer = null;
        }
        const sockets = new Set<Socket>();
        const server = createServer((socket) => {
          refused.push(performance.now());
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {});
          socket.destroy();
        });
        await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
        down = { server, sockets };
      },
      async online() {
        const gone = down;
        down = null;
        if (gone !== null) await new Promise<void>((resolve) => gone.server.close(() => resolve()));
        peer ??= await startPeer(port);
      },
      async close() {
        const gone = down;
        down = null;
        if (gone !== null) await new Promise<void>((resolve) => gone.server.close(() => resolve()));
        await peer?.close();
      },
    };
    return pbx;
  },
});
