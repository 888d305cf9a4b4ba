// `serve --demo`'s phone system: an Asterisk Manager Interface on a loopback port that plays the
// demo's day of calls (src/demo-calls.ts) in a loop, so the box's real AMI client, translator and
// pipeline turn them into cards, owners and missed calls. Never started outside --demo (src/main.ts).
import { createServer, type Socket } from "node:net";
import { type AmiConfig, PBX_SECTIONS } from "./config/pbx-sections.ts";
import {
  DEMO_CALLS,
  type DemoCall,
  type DemoFrame,
  type DemoPace,
  freshIds,
  PACES,
  paceGap,
} from "./demo-calls.ts";
import type { Logger } from "./log/logger.ts";
import { type AmiFrame, amiGet, createAmiParser, formatAmiFrame } from "./pbx/ami/ami-parser.ts";

export interface DemoPbxOptions {
  readonly pace: DemoPace;
  readonly log: Logger;
  /** The calls to play, in a loop (default: the demo's day). */
  readonly calls?: readonly DemoCall[];
}

export interface DemoPbx {
  readonly port: number;
  readonly pace: DemoPace;
  /** `[pbx.ami]` for the box: this PBX, with its throwaway credentials. */
  readonly section: AmiConfig;
  /** Calls begun so far. */
  readonly played: () => number;
  /** Stops the calls and the port; every connection is cut. */
  close(): Promise<void>;
}

/** What Asterisk 20 says first on a manager connection. */
const BANNER = "Asterisk Call Manager/9.0.0";

/** The endpoints PJSIPShowEndpoints lists: the demo's two phones and its provider trunk. */
const ENDPOINTS = [
  { ObjectName: "101", Aor: "101", Auths: "101", OutboundAuths: "" },
  { ObjectName: "102", Aor: "102", Auths: "102", OutboundAuths: "" },
  { ObjectName: "trunk-sip", Aor: "trunk-sip", Auths: "", OutboundAuths: "trunk-sip-auth" },
];

/** The channel fields Asterisk repeats in every event about a channel, and in CoreShowChannel. */
const CHANNEL_FIELDS = [
  "Channel",
  "ChannelState",
  "ChannelStateDesc",
  "CallerIDNum",
  "CallerIDName",
  "ConnectedLineNum",
  "ConnectedLineName",
  "Context",
  "Exten",
  "Priority",
  "Uniqueid",
  "Linkedid",
];

/**
 * Starts the PBX on 127.0.0.1 (a port the OS picks). It speaks AMI as Asterisk does: the banner,
 * Login checked against its own random secret (a wrong one: "Authentication failed" and the
 * connection closed), Ping, CoreShowChannels (the channels live now), PJSIPShowEndpoints, Logoff,
 * and Asterisk's Error for anything else (SIPpeers too: Asterisk 21 has no chan_sip). The calls
 * begin at the first login, `firstCallMs` later, and go on whether anyone is logged in or not.
 */
export async function startDemoPbx(options: DemoPbxOptions): Promise<DemoPbx> {
  const pace = PACES[options.pace];
  const calls = options.calls ?? DEMO_CALLS;
  const credentials = {
    username: "demo",
    secret: Buffer.from(crypto.getRandomValues(new Uint8Array(12))).toString("hex"),
  };
  const sockets = new Set<Socket>();
  /** Logged-in connections, each with the event classes its Login asked for (`Events:`). */
  const loggedIn = new Map<Socket, (frame: DemoFrame) => boolean>();
  const live = new LiveChannels();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  let started = false;
  let played = 0;
  let uniqueid = 0;

  const write = (socket: Socket, frame: Readonly<Record<string, string>>) => {
    if (!socket.destroyed) socket.write(formatAmiFrame(frame));
  };

  const answer = (socket: Socket, action: AmiFrame) => {
    const name = (amiGet(action, "Action") ?? "").toLowerCase();
    const id = amiGet(action, "ActionID");
    // Asterisk writes the ActionID second, after `Response:` or a list item's `Event:`.
    const reply = (frame: Record<string, string>) => {
      const [first, ...rest] = Object.entries(frame);
      write(
        socket,
        id === undefined || first === undefined
          ? frame
          : Object.fromEntries([first, ["ActionID", id], ...rest]),
      );
    };
    if (name === "login") {
      if (
        amiGet(action, "Username") !== credentials.username ||
        amiGet(action, "Secret") !== credentials.secret
      ) {
        reply({ Response: "Error", Message: "Authentication failed" });
        socket.end();
        return;
      }
      reply({ Response: "Success", Message: "Authentication accepted" });
      write(socket, {
        Event: "FullyBooted",
        Privilege: "system,all",
        Uptime: "1",
        LastReload: "1",
        Status: "Fully Booted",
      });
      loggedIn.set(socket, eventFilter(amiGet(action, "Events")));
      if (!started) {
        started = true;
        schedule(pace.firstCallMs, () => play(0, 0, []));
      }
      return;
    }
    if (!loggedIn.has(socket)) return reply({ Response: "Error", Message: "Authentication Required" });
    if (name === "ping") return reply({ Response: "Success", Ping: "Pong", Timestamp: timestamp() });
    if (name === "logoff") {
      reply({ Response: "Goodbye", Message: "Thanks for all the fish." });
      socket.end();
      return;
    }
    if (name === "coreshowchannels" || name === "pjsipshowendpoints") {
      const items =
        name === "coreshowchannels"
          ? live.list().map((c) => ({ Event: "CoreShowChannel", ...c }))
          : ENDPOINTS.map((e) => ({
              Event: "EndpointList",
              ObjectType: "endpoint",
              Transport: "",
              ...e,
              Contacts: "",
              DeviceState: "Not in use",
              ActiveChannels: "",
            }));
      reply({ Response: "Success", EventList: "start", Message: "Items will follow" });
      for (const item of items) reply(item);
      const complete = name === "coreshowchannels" ? "CoreShowChannelsComplete" : "EndpointListComplete";
      reply({ Event: complete, EventList: "Complete", ListItems: String(items.length) });
      return;
    }
    reply({
      Response: "Error",
      Message: `Invalid/unknown command: ${amiGet(action, "Action") ?? ""}. Use Action: ListCommands to show available commands.`,
    });
  };

  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    socket.on("error", () => {});
    socket.on("close", () => {
      sockets.delete(socket);
      loggedIn.delete(socket);
    });
    const parser = createAmiParser({ expectBanner: false });
    socket.on("data", (chunk: Buffer) => {
      for (const action of parser.push(chunk)) answer(socket, action);
    });
    socket.write(`${BANNER}\r\n`);
  });

  const schedule = (ms: number, next: () => void) => {
    if (closed) return;
    timer = setTimeout(() => {
      timer = null;
      next();
    }, ms);
  };

  /** Frame `index` of call `call` (its frames for this playing in `frames`), then the next. */
  const play = (call: number, index: number, frames: readonly DemoFrame[]) => {
    const recording = calls[call % calls.length] as DemoCall;
    let playing = frames;
    if (index === 0) {
      playing = freshIds(recording.frames, () => ++uniqueid, Date.now());
      played++;
      options.log.debug("demo PBX call", { call: recording.name });
    }
    const frame = { ...(playing[index] as DemoFrame), Timestamp: timestamp() };
    live.apply(frame);
    for (const [socket, wants] of loggedIn) if (wants(frame)) write(socket, frame);
    if (index + 1 < playing.length) {
      const gap = paceGap(pace, recording.gapsMs[index + 1] ?? 0);
      schedule(gap, () => play(call, index + 1, playing));
    } else schedule(pace.betweenCallsMs, () => play(call + 1, 0, []));
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    pace: options.pace,
    // The real capture's provider trunk comes in through VoIPGRID's `voipgrid_in` context: a branch
    // on that PBX would name it a trunk context, and so does the demo (else /admin lists it unplaced).
    section: PBX_SECTIONS.ami.parse({
      host: "127.0.0.1",
      port,
      ...credentials,
      trunk_contexts: ["voipgrid_in"],
    }),
    played: () => played,
    close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Login's `Events:` as Asterisk reads it: `on` (or none given) every class the user may read,
 * `off` none, else the classes listed; an event goes when one of its Privilege classes is asked.
 */
function eventFilter(events: string | undefined): (frame: DemoFrame) => boolean {
  const asked = (events ?? "on").toLowerCase();
  if (asked === "on" || asked === "all") return () => true;
  if (asked === "off") return () => false;
  const classes = new Set(asked.split(",").map((c) => c.trim()));
  return (frame) => frame.Privilege === undefined || frame.Privilege.split(",").some((c) => classes.has(c));
}

/** `Timestamp:` as `timestampevents = yes` writes it: seconds, six decimals. */
const timestamp = () => (Date.now() / 1000).toFixed(6);

/** The channels alive now, as CoreShowChannels reports them (created, not yet hung up). */
class LiveChannels {
  private readonly channels = new Map<string, { fields: Record<string, string>; since: number }>();

  apply(frame: DemoFrame): void {
    const id = frame.Uniqueid;
    if (id === undefined) return;
    if (frame.Event === "Hangup") {
      this.channels.delete(id);
      return;
    }
    const channel =
      this.channels.get(id) ?? (frame.Event === "Newchannel" ? { fields: {}, since: Date.now() } : null);
    if (channel === null) return;
    for (const key of CHANNEL_FIELDS) if (frame[key] !== undefined) channel.fields[key] = frame[key];
    if (frame.Event === "Newexten") {
      channel.fields.Application = frame.Application ?? "";
      channel.fields.ApplicationData = frame.AppData ?? "";
    }
    if (frame.Event === "BridgeEnter") channel.fields.BridgeId = frame.BridgeUniqueid ?? "";
    if (frame.Event === "BridgeLeave") channel.fields.BridgeId = "";
    this.channels.set(id, channel);
  }

  list(): Record<string, string>[] {
    return [...this.channels.values()].map(({ fields, since }) => ({
      ...fields,
      Duration: hhmmss((Date.now() - since) / 1000),
    }));
  }
}

function hhmmss(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}
