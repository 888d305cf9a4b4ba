// Call control on the demo PBX (src/demo-pbx.ts): what Asterisk's manager.c and the FreePBX
// dialplan play for an Originate, a Hangup, a BlindTransfer and an Atxfer, as frames made from the
// action's own fields and the channels live now. Their shape is the recordings': a click-to-call is
// test/fixtures/ami/click-to-call/c2c-answered.ami (the Local ;1/;2 pair whose Uniqueids are the
// ChannelIds, the employee's handset, then the client's leg), the transfers blind-transfer.ami and
// attended-transfer.ami, an end caller-cancels.ami and outbound-answered.ami. Nothing here keeps time: each step says how long
// after the previous one it comes at the recording's pace, and the PBX scales it (PACES).
import type { DemoFrame } from "./demo-calls.ts";
import type { LiveChannel, LiveChannels } from "./demo-channels.ts";

/** One burst of frames, `gapMs` (recorded pace) after the previous; made when it is played. */
export interface DemoStep {
  readonly gapMs: number;
  readonly frames: () => readonly DemoFrame[];
}

/** The demo's phones: an Originate or a transfer to anything else dials out through the trunk. */
export const DEMO_PHONES: Readonly<Record<string, string>> = { "101": "Ресепшн", "102": "Сергей Волков" };

/** How long things take in the demo's made-up calls, at the recording's pace (ms). */
export const CONTROL_TIMES = {
  employeeRingMs: 4_000,
  clientRingMs: 6_000,
  consultMs: 5_000,
  talkMs: 20_000,
} as const;

/** A new channel's Uniqueid and its name's 8-hex suffix, from the PBX's counter. */
export type Fresh = () => { uniqueid: string; suffix: string };

type Channel = Record<string, string>;

const STATES: Readonly<Record<string, string>> = { "0": "Down", "4": "Ring", "5": "Ringing", "6": "Up" };

function channel(name: string, uniqueid: string, linkedid: string, state: string, fields: Channel): Channel {
  return {
    Channel: name,
    ChannelState: state,
    ChannelStateDesc: STATES[state] ?? "Down",
    CallerIDNum: "<unknown>",
    CallerIDName: "<unknown>",
    ConnectedLineNum: "<unknown>",
    ConnectedLineName: "<unknown>",
    Language: "ru",
    AccountCode: "",
    Context: "from-internal",
    Exten: "s",
    Priority: "1",
    Uniqueid: uniqueid,
    Linkedid: linkedid,
    ...fields,
  };
}

const setState = (c: Channel, state: string) => {
  c.ChannelState = state;
  c.ChannelStateDesc = STATES[state] ?? "Down";
};

/** `c`'s fields with a prefix, as DialBegin (`Dest`) and BlindTransfer (`Transferer`) name them. */
const prefixed = (prefix: string, c: Channel): Channel =>
  Object.fromEntries(Object.entries(c).map(([k, v]) => [`${prefix}${k}`, v]));

const event = (name: string, fields: Channel, privilege = "call,all"): DemoFrame => ({
  Event: name,
  Privilege: privilege,
  ...fields,
});

const bridgeFields = (id: string, count: number): Channel => ({
  BridgeUniqueid: id,
  BridgeType: "basic",
  BridgeTechnology: "simple_bridge",
  BridgeCreator: "<unknown>",
  BridgeName: "<unknown>",
  BridgeNumChannels: String(count),
  BridgeVideoSourceMode: "none",
});

const dial = (name: string, caller: Channel | null, dest: Channel, extra: Channel): DemoFrame =>
  event(name, { ...(caller ?? {}), ...prefixed("Dest", dest), ...extra });

/** Two channels meet in a new bridge: its BridgeCreate and both BridgeEnters. */
function bridge(id: string, first: Channel, second: Channel): DemoFrame[] {
  return [
    event("BridgeCreate", bridgeFields(id, 0)),
    event("BridgeEnter", { ...bridgeFields(id, 1), ...first }),
    event("BridgeEnter", { ...bridgeFields(id, 2), ...second }),
  ];
}

/**
 * `to`'s phone (or, for a number, the trunk) rung by `caller`: `rings` is its Newchannel, DialBegin
 * and the ringing, `answers` what comes when it picks up (Up, DialEnd ANSWER, the bridge).
 */
function ring(
  caller: Channel,
  to: string,
  fresh: Fresh,
  bridgeId: string,
): { dest: Channel; rings: () => DemoFrame[]; answers: () => DemoFrame[] } {
  const id = fresh();
  const phone = DEMO_PHONES[to];
  const dest = channel(
    phone === undefined ? `PJSIP/trunk-sip-${id.suffix}` : `PJSIP/${to}-${id.suffix}`,
    id.uniqueid,
    caller.Linkedid ?? id.uniqueid,
    "0",
    phone === undefined
      ? { CallerIDNum: "74957654321", CallerIDName: "", Context: "from-pstn" }
      : { CallerIDNum: to, CallerIDName: phone },
  );
  return {
    dest,
    rings: () => {
      Object.assign(dest, { ConnectedLineNum: caller.CallerIDNum, ConnectedLineName: caller.CallerIDName });
      dest.Exten = to;
      // FreePBX's outbound route dials a Russian 8… number as +7… (c2c-answered.ami).
      const begin = dial("DialBegin", caller, dest, {
        DialString: phone === undefined ? to.replace(/^8(\d{10})$/, "+7$1") : to,
      });
      setState(dest, "5");
      return [
        event("Newchannel", { ...dest, ChannelState: "0", ChannelStateDesc: "Down", Exten: "s" }),
        begin,
        event("Newstate", dest),
        dial("DialState", caller, dest, { DialStatus: "RINGING" }),
      ];
    },
    answers: () => {
      setState(dest, "6");
      setState(caller, "6");
      Object.assign(caller, { ConnectedLineNum: dest.CallerIDNum, ConnectedLineName: dest.CallerIDName });
      return [
        event("Newstate", dest),
        dial("DialEnd", caller, dest, { DialStatus: "ANSWER" }),
        event("NewConnectedLine", caller),
        ...bridge(bridgeId, caller, dest),
      ];
    },
  };
}

export interface OriginateRequest {
  readonly channelId: string;
  readonly otherChannelId: string;
  /** The employee's extension (`Local/<ext>@<context>/n` or `PJSIP/<ext>`), one of DEMO_PHONES. */
  readonly extension: string;
  readonly localContext: string;
  /** Where the number is dialled (the action's `Context`), and the number (`Exten`). */
  readonly context: string;
  readonly exten: string;
  readonly callerNum: string;
  readonly callerName: string;
  /** `Variable:` as given, `NAME=value` pairs. */
  readonly variables: readonly (readonly [string, string])[];
  /** OriginateResponse, sent at the employee's answer (fast_originate's moment). */
  readonly answered: (localOne: Channel) => DemoFrame;
}

/**
 * An answered click-to-call, as c2c-answered.ami: the Local pair, the employee's phone ringing
 * then answering (OriginateResponse), the dial out to the client ringing then answering, a talk,
 * and the client hanging up. Ends with `hangUp`, so a Hangup action cut in uses the same frames.
 */
export function clickToCall(
  o: OriginateRequest,
  fresh: Fresh,
  newBridge: () => string,
  hangUp: (firstUniqueid: string) => DemoFrame[],
): DemoStep[] {
  const suffix = fresh().suffix;
  const local = `Local/${o.extension}@${o.localContext}-${suffix}`;
  const caller = { CallerIDNum: o.callerNum, CallerIDName: o.callerName };
  const common = { Context: o.localContext, Exten: o.extension };
  const one = channel(`${local};1`, o.channelId, o.channelId, "0", common);
  const two = channel(`${local};2`, o.otherChannelId, o.channelId, "4", common);
  const employee = ring(two, o.extension, fresh, newBridge());
  let client: ReturnType<typeof ring> | null = null;
  return [
    {
      gapMs: 0,
      frames: () => {
        const frames = [event("Newchannel", one), event("Newchannel", two)];
        Object.assign(one, caller);
        frames.push(
          event("NewCallerid", one),
          dial("DialBegin", null, one, { DialString: `${o.extension}@${o.localContext}/n` }),
        );
        Object.assign(two, caller);
        frames.push(event("NewCallerid", two));
        for (const [name, value] of o.variables)
          frames.push(event("VarSet", { ...one, Variable: name, Value: value }, "dialplan,all"));
        Object.assign(two, { Context: "macro-dial-one", Exten: "s", Priority: "53" });
        frames.push(
          event(
            "Newexten",
            {
              ...two,
              Extension: "s",
              Application: "Dial",
              AppData: `PJSIP/${o.extension},20,trM(auto-blkvm)`,
            },
            "dialplan,all",
          ),
        );
        frames.push(...employee.rings());
        setState(one, "5");
        frames.push(event("Newstate", one));
        return frames;
      },
    },
    {
      gapMs: CONTROL_TIMES.employeeRingMs,
      frames: () => {
        const frames = employee.answers();
        setState(one, "6");
        frames.push(event("Newstate", one), dial("DialEnd", null, one, { DialStatus: "ANSWER" }));
        frames.push(o.answered(one));
        Object.assign(one, { Context: o.context, Exten: o.exten });
        frames.push(
          event("Newexten", { ...one, Extension: o.exten, Application: "Dial", AppData: "" }, "dialplan,all"),
        );
        client = ring(one, o.exten, fresh, newBridge());
        return [...frames, ...client.rings()];
      },
    },
    { gapMs: CONTROL_TIMES.clientRingMs, frames: () => client?.answers() ?? [] },
    {
      gapMs: CONTROL_TIMES.talkMs,
      frames: () => (client === null ? [] : hangUp(client.dest.Uniqueid ?? "")),
    },
  ];
}

/**
 * One side of a call hangs up (`first`), and with it the call's other channels, as Asterisk
 * ends a two-party call: HangupRequest, a phone still ringing cancelled (DialEnd CANCEL, its
 * Hangup with cause 0, caller-cancels.ami), then each channel leaves its bridge and hangs up.
 */
export function hangUpCall(
  live: LiveChannels,
  first: LiveChannel,
  others: readonly LiveChannel[],
): DemoFrame[] {
  const frames: DemoFrame[] = [event("HangupRequest", { ...first.fields, Cause: "16" })];
  const rest = others.filter((c) => c !== first);
  const ringing = rest.filter((c) => c.dialledBy !== null);
  const left = new Map<string, number>();
  for (const c of [...ringing, first, ...rest.filter((r) => !ringing.includes(r))]) {
    const cancelled = ringing.includes(c);
    if (cancelled) {
      const dialler = live.get(c.dialledBy ?? "");
      frames.push(dial("DialEnd", dialler?.fields ?? null, c.fields, { DialStatus: "CANCEL" }));
    }
    if (c.bridge !== "") {
      const remaining = (left.get(c.bridge) ?? live.bridgedWith(c).length + 1) - 1;
      left.set(c.bridge, remaining);
      frames.push(event("BridgeLeave", { ...bridgeFields(c.bridge, remaining), ...c.fields }));
      if (remaining === 0) frames.push(event("BridgeDestroy", bridgeFields(c.bridge, 0)));
    }
    frames.push(
      event("Hangup", {
        ...c.fields,
        Cause: cancelled ? "0" : "16",
        "Cause-txt": cancelled ? "Unknown" : "Normal Clearing",
      }),
    );
  }
  return frames;
}

/**
 * `BlindTransfer` of `transferer` (answered, bridged with one other party) to `to` in `context`,
 * as blind-transfer.ami: the party leaves the bridge, the BlindTransfer event, the transferer
 * leaves and hangs up; the party runs `to` and rings that phone (or the trunk), which answers; a
 * talk; the party hangs up. Null: the channel is in no two-party bridge (manager.c: "Transfer
 * invalid").
 */
export function blindTransfer(
  live: LiveChannels,
  transferer: LiveChannel,
  to: string,
  context: string,
  fresh: Fresh,
  newBridge: () => string,
  hangUp: (firstUniqueid: string) => DemoFrame[],
): DemoStep[] | null {
  const peers = live.bridgedWith(transferer);
  const transferee = peers[0];
  if (peers.length !== 1 || transferee === undefined || transferer.fields.ChannelState !== "6") return null;
  const party: Channel = { ...transferee.fields };
  const bridgeId = transferer.bridge;
  return runsTo(party, to, context, fresh, newBridge, hangUp, () => [
    event("BridgeLeave", { ...bridgeFields(bridgeId, 1), ...party }),
    event("BlindTransfer", {
      Result: "Success",
      ...prefixed("Transferer", transferer.fields),
      ...prefixed("Transferee", party),
      ...bridgeFields(bridgeId, 1),
      IsExternal: "Yes",
      Context: context,
      Extension: to,
    }),
    event("BridgeLeave", { ...bridgeFields(bridgeId, 0), ...transferer.fields }),
    event("BridgeDestroy", bridgeFields(bridgeId, 0)),
    event("Hangup", { ...transferer.fields, Cause: "16", "Cause-txt": "Normal Clearing" }),
  ]);
}

/**
 * `Redirect` of `caller`, a call's channel in no bridge (its Dial still ringing phones), to `to` in
 * `context`, as manager.c's action_redirect does it (ast_async_goto): the phones it rang are
 * cancelled (DialEnd CANCEL, their Hangup), the channel runs `to` (Newexten) and rings that phone
 * (or the trunk), which answers; a talk; the caller hangs up. Null: a bridged channel (the demo
 * redirects only a call still ringing; the box sends Redirect for nothing else).
 */
export function redirectCall(
  live: LiveChannels,
  caller: LiveChannel,
  to: string,
  context: string,
  fresh: Fresh,
  newBridge: () => string,
  hangUp: (firstUniqueid: string) => DemoFrame[],
): DemoStep[] | null {
  if (caller.bridge !== "") return null;
  const party: Channel = { ...caller.fields };
  const rung = live.dialledFrom(caller);
  return runsTo(party, to, context, fresh, newBridge, hangUp, () =>
    rung.flatMap((c) => [
      dial("DialEnd", party, c.fields, { DialStatus: "CANCEL" }),
      event("Hangup", { ...c.fields, Cause: "0", "Cause-txt": "Unknown" }),
    ]),
  );
}

/**
 * `Atxfer` of `transferer` (answered, bridged with one party) to `to`, as attended-transfer.ami:
 * the transferer holds (the party hears music), a second channel of the same phone rings `to`,
 * which answers; after a consultation the employee hangs up to complete it: the target joins the
 * party's bridge, the AttendedTransfer event (Result Success, DestType Bridge), both transferer
 * channels hang up, the music stops; a talk; the party hangs up. Null as for blindTransfer.
 */
export function attendedTransfer(
  live: LiveChannels,
  transferer: LiveChannel,
  to: string,
  fresh: Fresh,
  newBridge: () => string,
  hangUp: (firstUniqueid: string) => DemoFrame[],
): DemoStep[] | null {
  const peers = live.bridgedWith(transferer);
  const transferee = peers[0];
  if (peers.length !== 1 || transferee === undefined || transferer.fields.ChannelState !== "6") return null;
  const party: Channel = { ...transferee.fields };
  const first: Channel = { ...transferer.fields };
  const origBridge = transferer.bridge;
  const id = fresh();
  const phone = (first.Channel ?? "").replace(/-[0-9a-f]{8}$/, "");
  const second = channel(`${phone}-${id.suffix}`, id.uniqueid, id.uniqueid, "4", {
    CallerIDNum: first.CallerIDNum ?? "",
    CallerIDName: first.CallerIDName ?? "",
    Exten: to,
  });
  const consultBridge = newBridge();
  const target = ring(second, to, fresh, consultBridge);
  return [
    {
      gapMs: 0,
      frames: () => [
        event("Hold", first),
        event("MusicOnHoldStart", { ...party, Class: "default" }),
        event("Newchannel", second),
        ...target.rings(),
      ],
    },
    { gapMs: CONTROL_TIMES.clientRingMs, frames: target.answers },
    {
      gapMs: CONTROL_TIMES.consultMs,
      frames: () => {
        const dest = target.dest;
        dest.Linkedid = party.Linkedid ?? dest.Linkedid ?? "";
        return [
          event("BridgeLeave", { ...bridgeFields(consultBridge, 1), ...dest }),
          event("BridgeEnter", { ...bridgeFields(origBridge, 3), ...dest }),
          event("AttendedTransfer", {
            Result: "Success",
            ...prefixed("OrigTransferer", first),
            ...prefixed("Orig", bridgeFields(origBridge, 3)),
            ...prefixed("SecondTransferer", second),
            ...prefixed("Second", bridgeFields(consultBridge, 1)),
            ...prefixed("Transferee", party),
            ...prefixed("TransferTarget", dest),
            IsExternal: "Yes",
            DestType: "Bridge",
            DestBridgeUniqueid: origBridge,
          }),
          event("BridgeLeave", { ...bridgeFields(consultBridge, 0), ...second }),
          event("BridgeDestroy", bridgeFields(consultBridge, 0)),
          event("Hangup", { ...second, Cause: "16", "Cause-txt": "Normal Clearing" }),
          event("BridgeLeave", { ...bridgeFields(origBridge, 2), ...first }),
          event("Hangup", { ...first, Cause: "16", "Cause-txt": "Normal Clearing" }),
          event("MusicOnHoldStop", party),
        ];
      },
    },
    { gapMs: CONTROL_TIMES.talkMs, frames: () => hangUp(party.Uniqueid ?? "") },
  ];
}

/**
 * What a transfer or a redirect leaves to the dialplan: after `before` (how the party got free),
 * `party` runs `to` in `context` (Newexten) and rings that phone (or the trunk), which answers
 * after a client's ring; a talk; the party hangs up.
 */
function runsTo(
  party: Channel,
  to: string,
  context: string,
  fresh: Fresh,
  newBridge: () => string,
  hangUp: (firstUniqueid: string) => DemoFrame[],
  before: () => DemoFrame[],
): DemoStep[] {
  const target = ring(party, to, fresh, newBridge());
  return [
    {
      gapMs: 0,
      frames: () => {
        const frames = before();
        Object.assign(party, { Context: context, Exten: to, Priority: "1" });
        frames.push(
          event(
            "Newexten",
            { ...party, Extension: to, Application: "Goto", AppData: `${context},${to},1` },
            "dialplan,all",
          ),
        );
        return [...frames, ...target.rings()];
      },
    },
    { gapMs: CONTROL_TIMES.clientRingMs, frames: target.answers },
    { gapMs: CONTROL_TIMES.talkMs, frames: () => hangUp(party.Uniqueid ?? "") },
  ];
}
