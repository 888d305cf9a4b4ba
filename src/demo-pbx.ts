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
import { LiveChannels } from "./demo-channels.ts";
import {
  attendedTransfer,
  blindTransfer,
  clickToCall,
  DEMO_PHONES,
  type DemoStep,
  type Fresh,
  hangUpCall,
  redirectCall,
} from "./demo-control.ts";
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
  /** Calls of the loop begun so far (a click-to-call the box asked for is not counted). */
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

/**
 * Starts the PBX on 127.0.0.1 (a port the OS picks). It speaks AMI as Asterisk does: the banner,
 * Login checked against its own random secret (a wrong one: "Authentication failed" and the
 * connection closed), Ping, CoreShowChannels (the channels live now), PJSIPShowEndpoints, Logoff,
 * the call control the box sends (Originate, Hangup, BlindTransfer, Atxfer, Redirect of a ringing
 * call: src/demo-control.ts plays what they cause), and Asterisk's Error for anything else
 * (SIPpeers too: Asterisk 21 has no chan_sip; CancelAtxfer, which the demo does not play). The calls begin at the first login,
 * `firstCallMs` later, and go on whether anyone is logged in or not; a call hung up or transferred
 * is cut short and the loop goes on with its next one.
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
  /** The wait before the loop's next call; each call playing keeps its own. */
  let timer: ReturnType<typeof setTimeout> | null = null;
  const playing = new Set<Playing>();
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
        schedule(pace.firstCallMs, () => playRecording(0));
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
    if (name === "originate") return originate(action, reply);
    if (name === "hangup") return hangup(action, reply);
    if (name === "blindtransfer") return transfer(action, reply);
    if (name === "atxfer") return atxfer(action, reply);
    if (name === "redirect") return redirect(action, reply);
    if (name === "dbput" || name === "dbdel" || name === "dbdeltree") return astdb(name, action, reply);
    reply({
      Response: "Error",
      Message: `Invalid/unknown command: ${amiGet(action, "Action") ?? ""}. Use Action: ListCommands to show available commands.`,
    });
  };

  /** Issue 16's routing keys (family branchbox), kept and answered as main/db.c does. */
  const database = new Map<string, string>();
  const astdb = (name: string, action: AmiFrame, reply: (frame: Record<string, string>) => void) => {
    const key = `/${amiGet(action, "Family") ?? ""}/${amiGet(action, "Key") ?? ""}`;
    if (name === "dbput") {
      database.set(key, amiGet(action, "Val") ?? "");
      return reply({ Response: "Success", Message: "Updated database successfully" });
    }
    if (name === "dbdel")
      return database.delete(key)
        ? reply({ Response: "Success", Message: "Key deleted successfully" })
        : reply({ Response: "Error", Message: "Database entry could not be deleted" });
    const tree = [...database.keys()].filter((k) => k.startsWith(key.endsWith("/") ? key : `${key}/`));
    for (const k of tree) database.delete(k);
    return tree.length > 0
      ? reply({ Response: "Success", Message: "Key tree deleted successfully" })
      : reply({ Response: "Error", Message: "Database entry not found" });
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

  const emit = (frames: readonly DemoFrame[]) => {
    for (const recorded of frames) {
      const frame = { ...recorded, Timestamp: timestamp() };
      live.apply(frame);
      for (const [socket, wants] of loggedIn) if (wants(frame)) write(socket, frame);
    }
  };

  /** Plays `p`'s next step now, then waits for the one after, or ends the call. */
  const step = (p: Playing) => {
    p.timer = null;
    const frames = (p.steps[p.index] as DemoStep).frames();
    for (const f of frames) if (f.Event === "Newchannel" && f.Uniqueid !== undefined) p.owned.add(f.Uniqueid);
    emit(frames);
    p.index++;
    const next = p.steps[p.index];
    if (next === undefined) {
      playing.delete(p);
      p.onEnd();
    } else if (!closed) p.timer = setTimeout(() => step(p), paceGap(pace, next.gapMs));
  };

  const start = (steps: readonly DemoStep[], onEnd: () => void): Playing => {
    const p: Playing = { steps, index: 0, timer: null, owned: new Set(), onEnd, onCut: () => [] };
    playing.add(p);
    step(p);
    return p;
  };

  /** What the call does from now on is `steps` (a hang-up, a transfer), its first played now. */
  const cut = (p: Playing, steps: readonly DemoStep[]) => {
    if (p.timer !== null) clearTimeout(p.timer);
    const cutFrames = p.onCut();
    p.steps = [...steps, ...(cutFrames.length === 0 ? [] : [{ gapMs: 0, frames: () => cutFrames }])];
    p.index = 0;
    step(p);
  };

  /** The call `p` ends: `firstUniqueid`'s side hangs up, then every other channel it made. */
  const hangUp = (p: Playing, firstUniqueid: string): DemoFrame[] => {
    const first = live.get(firstUniqueid);
    if (first === undefined) return [];
    const others = [...p.owned].flatMap((id) => live.get(id) ?? []);
    return hangUpCall(live, first, others);
  };

  const fresh: Fresh = () => {
    const n = ++uniqueid;
    return { uniqueid: `${Math.floor(Date.now() / 1000)}.${n}`, suffix: n.toString(16).padStart(8, "0") };
  };
  const newBridge = () => crypto.randomUUID();
  const ownerOf = (uniqueid: string) => [...playing].find((p) => p.owned.has(uniqueid));

  /** Call `call` of the loop (its recording with fresh ids), then the pause, then the next. */
  const playRecording = (call: number) => {
    const recording = calls[call % calls.length] as DemoCall;
    const frames = freshIds(recording.frames, () => ++uniqueid, Date.now());
    played++;
    options.log.debug("demo PBX call", { call: recording.name });
    start(
      frames.map((frame, i) => ({ gapMs: recording.gapsMs[i] ?? 0, frames: () => [frame] })),
      () => schedule(pace.betweenCallsMs, () => playRecording(call + 1)),
    );
  };

  type Reply = (frame: Record<string, string>) => void;

  /**
   * manager.c's action_originate, Async: "queued" at once, then the click-to-call plays; its
   * OriginateResponse comes at the employee's answer. A phone the demo does not have: Failure,
   * Reason 0 (no channel was made), as fast_originate says it.
   */
  const originate = (action: AmiFrame, reply: Reply) => {
    const get = (key: string) => amiGet(action, key) ?? "";
    const exten = get("Exten");
    if (get("Channel") === "" || exten === "")
      return reply({ Response: "Error", Message: "Channel not specified" });
    reply({ Response: "Success", Message: "Originate successfully queued" });
    const id = amiGet(action, "ActionID");
    const response = (fields: Record<string, string>, reason: number): DemoFrame => ({
      Event: "OriginateResponse",
      Privilege: "call,all",
      ...(id === undefined ? {} : { ActionID: id }),
      Response: reason === 4 ? "Success" : "Failure",
      Channel: fields.Channel ?? get("Channel"),
      Context: get("Context"),
      Exten: exten,
      Reason: String(reason),
      Uniqueid: fields.Uniqueid ?? (get("ChannelId") || "<unknown>"),
      CallerIDNum: fields.CallerIDNum ?? "<unknown>",
      CallerIDName: fields.CallerIDName ?? "<unknown>",
    });
    const channel = /^(?:Local\/([^@/]+)@([^/]+)(?:\/n)?|PJSIP\/([^/-]+))$/.exec(get("Channel"));
    const extension = channel?.[1] ?? channel?.[3] ?? "";
    if (DEMO_PHONES[extension] === undefined) return emit([response({}, 0)]);
    const callerId = /^"?([^"<]*)"?\s*<([^>]*)>$/.exec(get("CallerID"));
    let answered = false;
    const channelId = get("ChannelId") || fresh().uniqueid;
    const p = start(
      clickToCall(
        {
          channelId,
          otherChannelId: get("OtherChannelId") || `${channelId}-2`,
          extension,
          localContext: channel?.[2] ?? "from-internal",
          context: get("Context") || "from-internal",
          exten,
          callerNum: callerId?.[2] ?? exten,
          callerName: callerId?.[1]?.trim() || exten,
          variables: get("Variable")
            .split(",")
            .filter((v) => v.includes("="))
            .map((v) => [v.slice(0, v.indexOf("=")), v.slice(v.indexOf("=") + 1)] as const),
          answered: (one) => {
            answered = true;
            return response(one, 4);
          },
        },
        fresh,
        newBridge,
        (first) => hangUp(p, first),
      ),
      () => {},
    );
    // Hung up while the employee's phone rang: the originate ends unanswered (Reason 1).
    p.onCut = () => (answered ? [] : [response(live.get(channelId)?.fields ?? {}, 1)]);
  };

  /** action_hangup of the exact channel: "Channel Hungup", then the call it was in ends. */
  const hangup = (action: AmiFrame, reply: Reply) => {
    const target = live.named(amiGet(action, "Channel") ?? "");
    const p = target === undefined ? undefined : ownerOf(target.fields.Uniqueid ?? "");
    if (target === undefined || p === undefined)
      return reply({ Response: "Error", Message: "No such channel" });
    reply({ Response: "Success", Message: "Channel Hungup" });
    const uniqueid = target.fields.Uniqueid ?? "";
    cut(p, [{ gapMs: 0, frames: () => hangUp(p, uniqueid) }]);
  };

  /** action_blind_transfer: the party bridged to `Channel` goes to `Exten`; the channel hangs up. */
  const transfer = (action: AmiFrame, reply: Reply) => {
    const target = live.named(amiGet(action, "Channel") ?? "");
    const p = target === undefined ? undefined : ownerOf(target.fields.Uniqueid ?? "");
    if (target === undefined || p === undefined)
      return reply({ Response: "Error", Message: "Channel specified does not exist" });
    const to = amiGet(action, "Exten") ?? "";
    if (to === "") return reply({ Response: "Error", Message: "No extension specified" });
    const context = amiGet(action, "Context") || (target.fields.Context ?? "from-internal");
    const steps = blindTransfer(live, target, to, context, fresh, newBridge, (first) => hangUp(p, first));
    if (steps === null) return reply({ Response: "Error", Message: "Transfer invalid" });
    reply({ Response: "Success", Message: "Transfer succeeded" });
    cut(p, steps);
  };

  /**
   * action_atxfer queues the atxfer feature code on `Channel`: "queued" whatever follows, and the
   * transfer only happens on a channel in a two-party bridge (else nothing, as on Asterisk).
   */
  const atxfer = (action: AmiFrame, reply: Reply) => {
    const target = live.named(amiGet(action, "Channel") ?? "");
    const p = target === undefined ? undefined : ownerOf(target.fields.Uniqueid ?? "");
    if (target === undefined || p === undefined)
      return reply({ Response: "Error", Message: "Channel specified does not exist" });
    const to = amiGet(action, "Exten") ?? "";
    if (to === "") return reply({ Response: "Error", Message: "No extension specified" });
    reply({ Response: "Success", Message: "Atxfer successfully queued" });
    const steps = attendedTransfer(live, target, to, fresh, newBridge, (first) => hangUp(p, first));
    if (steps !== null) cut(p, steps);
  };

  /** action_redirect of a ringing call's channel: "Redirect successful", then it runs `Exten`. */
  const redirect = (action: AmiFrame, reply: Reply) => {
    const name = amiGet(action, "Channel") ?? "";
    const target = live.named(name);
    const p = target === undefined ? undefined : ownerOf(target.fields.Uniqueid ?? "");
    if (target === undefined || p === undefined)
      return reply({ Response: "Error", Message: `Channel does not exist: ${name}` });
    const to = amiGet(action, "Exten") ?? "";
    const context = amiGet(action, "Context") ?? "";
    if (to === "" || context === "") return reply({ Response: "Error", Message: "Redirect failed" });
    const steps = redirectCall(live, target, to, context, fresh, newBridge, (first) => hangUp(p, first));
    if (steps === null) return reply({ Response: "Error", Message: "Redirect failed" });
    reply({ Response: "Success", Message: "Redirect successful" });
    cut(p, steps);
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
      for (const p of playing) if (p.timer !== null) clearTimeout(p.timer);
      playing.clear();
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

/** A call being played: its steps from `index` on, the channels it made, what follows its end. */
interface Playing {
  steps: readonly DemoStep[];
  index: number;
  timer: ReturnType<typeof setTimeout> | null;
  readonly owned: Set<string>;
  readonly onEnd: () => void;
  /** Frames owed when the call is cut short (an originate's unanswered OriginateResponse). */
  onCut: () => DemoFrame[];
}
