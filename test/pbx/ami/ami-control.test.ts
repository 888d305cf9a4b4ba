// The AMI PbxControl (issue 15) against a wire-level AMI peer that answers as Asterisk's
// manager.c does (test/support/asterisk-control.ts), with the events after a transfer taken from
// VoIPGRID's real recordings (test/fixtures/ami/real/README.md). The controller shares the
// source's link: every test runs the whole adapter, translator included.
import { afterEach, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PbxControlResult } from "../../../src/domain/call/pbx-control.ts";
import type { PbxEvent } from "../../../src/domain/call/pbx-event.ts";
import { silentLogger } from "../../../src/log/logger.ts";
import { type AmiFrame, amiGet } from "../../../src/pbx/ami/ami-parser.ts";
import { type AmiAdapter, createAmiAdapter } from "../../../src/pbx/ami/index.ts";
import { type AmiPeer, type PeerIo, startAmiPeer, waitUntil } from "../../support/ami-peer.ts";
import { captureFrames, frameIndex, originateResponse, REPLIES } from "../../support/asterisk-control.ts";

const USER = "branchbox";
const SECRET = "ctl-Secret-never-logged";
const REAL = join(import.meta.dir, "..", "..", "fixtures", "ami", "real");
/** VoIPGRID's phones (their device names are the extensions the box knows). */
const HANDSETS = ["150010001", "150010002", "150010003"];

type Script = (action: AmiFrame, io: PeerIo, peer: AmiPeer) => boolean;

interface Harness {
  readonly peer: AmiPeer;
  readonly adapter: AmiAdapter;
  readonly events: PbxEvent[];
  /** Actions of one name the peer received, in order. */
  readonly actions: (name: string) => AmiFrame[];
}

const open: Harness[] = [];

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.adapter.source.stop();
    await h.peer.close();
  }
});

async function harness(script: Script, transcript = ""): Promise<Harness> {
  let peer: AmiPeer | null = null;
  peer = await startAmiPeer({
    username: USER,
    secret: SECRET,
    transcript,
    act: (action, io) => (peer === null ? false : script(action, io, peer)),
  });
  const events: PbxEvent[] = [];
  const adapter = createAmiAdapter({
    host: "127.0.0.1",
    port: peer.port,
    username: USER,
    secret: SECRET,
    handsets: HANDSETS,
    log: silentLogger,
    client: { backoff: { baseMs: 10, capMs: 50 }, pingIntervalMs: 60_000 },
  });
  adapter.source.start(async (batch) => {
    events.push(...batch);
  });
  const p = peer;
  await waitUntil(() => adapter.client.status().state === "connected" && p.position() === p.frameCount);
  const h: Harness = {
    peer,
    adapter,
    events,
    actions: (name) => p.received.map((r) => r.frame).filter((f) => amiGet(f, "Action") === name),
  };
  open.push(h);
  return h;
}

const soon = (ms = 3_000) => Date.now() + ms;
const failed = (r: PbxControlResult) => (r.ok ? null : r.error);

/** Reads a real capture's event frames: `before` go on the wire at login, `after` when the action comes. */
function capture(file: string, splitAt: (frames: string[]) => number) {
  const frames = captureFrames(readFileSync(join(REAL, file), "utf8"));
  const at = splitAt(frames);
  return { before: frames.slice(0, at).join(""), after: frames.slice(at).join("") };
}

/** The leg of `extension` as the source reported it (answered). */
async function legOf(h: Harness, extension: string): Promise<PbxEvent> {
  await waitUntil(() => h.events.some((e) => e.kind === "answered" && e.extension === extension));
  const leg = h.events.find((e) => e.kind === "answered" && e.extension === extension);
  if (leg === undefined) throw new Error("no leg");
  return leg;
}

describe("AMI control: click-to-call (R2.1)", () => {
  test("issue 15, after a restart: awaitOriginate writes nothing and takes the PBX's verdict by the ChannelId (the ActionID was the old link's)", async () => {
    const h = await harness(() => false);
    const originate = {
      Action: "Originate",
      Channel: "Local/101@from-internal/n",
      Exten: "+74951234567",
      ChannelId: "bb-c2c-before",
    };
    const answered = h.adapter.control.awaitOriginate({
      commandId: "c2c-before",
      callId: "bb-c2c-before",
      fromExtension: "101",
      deadline: soon(),
    });
    const busy = h.adapter.control.awaitOriginate({
      commandId: "c2c-busy-before",
      callId: "bb-c2c-busy-before",
      fromExtension: "101",
      deadline: soon(),
    });
    const silent = h.adapter.control.awaitOriginate({
      commandId: "c2c-silent-before",
      callId: "bb-c2c-silent-before",
      fromExtension: "101",
      deadline: soon(300),
    });
    h.peer.sendEvent(originateResponse({ ...originate, ChannelId: "bb-someone-else" }, 4, "old-link-1"));
    h.peer.sendEvent(originateResponse(originate, 4, "old-link-2"));
    h.peer.sendEvent(originateResponse({ ...originate, ChannelId: "bb-c2c-busy-before" }, 5, "old-link-3"));
    expect(await answered).toMatchObject({ ok: true, value: { callId: "bb-c2c-before" } });
    expect(failed(await busy)?.message).toContain("busy");
    expect(failed(await silent)?.code).toBe("PBX.CONTROL_TIMEOUT");
    expect(h.actions("Originate")).toEqual([]);
    // The same commandId again is the same answer, still nothing written.
    const again = await h.adapter.control.awaitOriginate({
      commandId: "c2c-before",
      callId: "bb-c2c-before",
      fromExtension: "101",
      deadline: soon(),
    });
    expect(again).toEqual(await answered);
  });

  test("Originate is async, tagged with the commandId, rings the employee showing the number; ok only on OriginateResponse", async () => {
    const later: { reply: (() => void) | null } = { reply: null };
    const h = await harness((action, io, peer) => {
      if (amiGet(action, "Action") !== "Originate") return false;
      io.send({ ...REPLIES.originateQueued, ActionID: io.actionId ?? "" });
      // A marker after the "queued" reply: once the box read it, it has read the reply too.
      io.send({ Event: "Marker", Privilege: "call,all" });
      later.reply = () => peer.sendEvent(originateResponse(action, 4, io.actionId));
      return true;
    });
    const seen = h.adapter.client.status().eventsReceived;
    const told: string[] = [];
    const answer = h.adapter.control.originate({
      commandId: "c2c-0001",
      deadline: soon(),
      fromExtension: "101",
      to: "+74951234567",
      // The command service follows the call's events from here, before the outcome.
      onCall: (callId) => told.push(callId),
    });
    let settled = false;
    void answer.then(() => {
      settled = true;
    });
    await waitUntil(() => h.adapter.client.status().eventsReceived > seen, 3_000, "the marker");
    expect(settled).toBe(false);
    const [sent] = h.actions("Originate");
    expect(sent).toMatchObject({
      Channel: "Local/101@from-internal/n",
      Exten: "+74951234567",
      Context: "from-internal",
      Priority: "1",
      Async: "true",
      CallerID: '"+74951234567" <+74951234567>',
      ChannelId: "bb-c2c-0001",
      OtherChannelId: "bb-c2c-0001-2",
      Variable: "__BB_CMD=c2c-0001,__BB_EXT=101",
    });
    expect(later.reply).not.toBeNull();
    expect(told).toEqual(["bb-c2c-0001"]);
    later.reply?.();
    const result = await answer;
    expect(result.ok && result.value.callId).toBe("bb-c2c-0001");
  });

  for (const [reason, says] of [
    [0, "could not be reached"],
    [1, "hung up before answering"],
    [3, "rang without an answer"],
    [5, "busy"],
    [8, "congestion"],
  ] as const) {
    test(`OriginateResponse Failure, Reason ${reason}: failed, saying ${says}`, async () => {
      const h = await harness((action, io) => {
        if (amiGet(action, "Action") !== "Originate") return false;
        io.send({ ...REPLIES.originateQueued, ActionID: io.actionId ?? "" });
        io.send(originateResponse(action, reason, io.actionId));
        return true;
      });
      const result = await h.adapter.control.originate({
        commandId: `c2c-r${reason}`,
        deadline: soon(),
        fromExtension: "101",
        to: "84951234567",
      });
      expect(failed(result)?.code).toBe("PBX.CONTROL_FAILED");
      expect(failed(result)?.message).toContain(says);
      expect(failed(result)?.message).toContain(`Reason ${reason}`);
    });
  }

  test("an OriginateResponse before the reply (another thread of Asterisk's) is the outcome, not the reply", async () => {
    const h = await harness((action, io) => {
      if (amiGet(action, "Action") !== "Originate") return false;
      io.send(originateResponse(action, 5, io.actionId));
      io.send({ ...REPLIES.originateQueued, ActionID: io.actionId ?? "" });
      return true;
    });
    const result = await h.adapter.control.originate({
      commandId: "c2c-early",
      deadline: soon(),
      fromExtension: "101",
      to: "84951234567",
    });
    expect(failed(result)?.message).toContain("busy");
  });

  test("the callId it returns is the one the source gives the call's events (VoIPGRID's recorded click-to-dial)", async () => {
    // The recording's originated Local `;1` (.302) and `;2` (.304) are what ChannelId and
    // OtherChannelId name in advance: Asterisk gives the channels those Uniqueids, and every
    // channel of the call .302 as Linkedid. The recorded events replayed with them in place.
    const recorded = readFileSync(join(REAL, "vg-click-to-dial-account-world.ami"), "utf8");
    const h = await harness((action, io, peer) => {
      if (amiGet(action, "Action") !== "Originate") return false;
      io.send({ ...REPLIES.originateQueued, ActionID: io.actionId ?? "" });
      const ids = { one: amiGet(action, "ChannelId") ?? "", two: amiGet(action, "OtherChannelId") ?? "" };
      const frames = captureFrames(
        recorded
          .replaceAll("c4061ca6474c-1531990515.302", ids.one)
          .replaceAll("c4061ca6474c-1531990515.304", ids.two),
      );
      const answered = frames.findIndex(
        (f) => f.startsWith("Event: Newstate\r\n") && f.includes("SIP/150010001"),
      );
      peer.sendRaw(frames.slice(1, answered + 2).join(""));
      peer.sendEvent(originateResponse(action, 4, io.actionId));
      peer.sendRaw(frames.slice(answered + 2).join(""));
      return true;
    });
    const result = await h.adapter.control.originate({
      commandId: "c2c-recorded",
      deadline: soon(),
      fromExtension: "201",
      to: "+31260010001",
    });
    expect(result.ok && result.value.callId).toBe("bb-c2c-recorded");
    await waitUntil(() => h.events.some((e) => e.kind === "call-end"));
    // One outbound call from the employee, under the id the controller returned: placed by their
    // handset (no ringing of a rung leg, so never a missed inbound call), to the client's number.
    const call = h.events.filter((e) => e.callId === "bb-c2c-recorded");
    expect(call.map((e) => `${e.kind} ${e.extension ?? ""}`.trim())).toEqual([
      "call-start 150010001",
      "answered 150010001",
      "leg-ended 150010001",
      "call-end",
    ]);
    expect(call[0]).toMatchObject({
      from: { extension: "150010001" },
      to: { number: "+31260010001", extension: null },
    });
    expect(h.events.filter((e) => e.callId !== "bb-c2c-recorded")).toEqual([]);
  });

  test("refused for permission (no `originate` write class): failed with Asterisk's message", async () => {
    const h = await harness((action, io) => {
      if (amiGet(action, "Action") !== "Originate") return false;
      io.send({ ...REPLIES.permissionDenied, ActionID: io.actionId ?? "" });
      return true;
    });
    const result = await h.adapter.control.originate({
      commandId: "c2c-perm",
      deadline: soon(),
      fromExtension: "101",
      to: "84951234567",
    });
    expect(failed(result)).toEqual({ code: "PBX.CONTROL_FAILED", message: "Permission denied" });
  });

  test("a number that would break the AMI frame is refused, nothing sent", async () => {
    const h = await harness(() => false);
    const result = await h.adapter.control.originate({
      commandId: "c2c-inject",
      deadline: soon(),
      fromExtension: "101",
      to: "123\r\nAction: Hangup",
    });
    expect(failed(result)?.code).toBe("PBX.CONTROL_FAILED");
    expect(h.actions("Originate")).toHaveLength(0);
  });

  test("the link is down: unavailable at once, nothing sent", async () => {
    const h = await harness(() => false);
    await h.peer.close();
    await waitUntil(() => h.adapter.client.status().state !== "connected");
    const before = h.peer.received.length;
    const result = await h.adapter.control.originate({
      commandId: "c2c-down",
      deadline: soon(),
      fromExtension: "101",
      to: "84951234567",
    });
    expect(failed(result)?.code).toBe("PBX.CONTROL_UNAVAILABLE");
    expect(h.peer.received.length).toBe(before);
  });

  test("a deadline weeks away waits for the outcome (no timer overflow into an instant timeout)", async () => {
    const h = await harness((action, io, peer) => {
      if (amiGet(action, "Action") !== "Originate") return false;
      io.send({ ...REPLIES.originateQueued, ActionID: io.actionId ?? "" });
      setTimeout(() => peer.sendEvent(originateResponse(action, 4, io.actionId)), 50);
      return true;
    });
    const result = await h.adapter.control.originate({
      commandId: "c2c-far",
      deadline: Date.now() + 30 * 24 * 3600_000,
      fromExtension: "101",
      to: "84951234567",
    });
    expect(result.ok).toBe(true);
  });

  test("one commandId acts once: concurrent and later repeats get the first answer, one Originate on the wire", async () => {
    const h = await harness((action, io) => {
      if (amiGet(action, "Action") !== "Originate") return false;
      io.send({ ...REPLIES.originateQueued, ActionID: io.actionId ?? "" });
      io.send(originateResponse(action, 4, io.actionId));
      return true;
    });
    const request = { commandId: "c2c-once", deadline: soon(), fromExtension: "101", to: "84951234567" };
    const [a, b] = await Promise.all([
      h.adapter.control.originate(request),
      h.adapter.control.originate(request),
    ]);
    const c = await h.adapter.control.originate({ ...request, to: "89990000000" });
    expect(a).toEqual(b);
    expect(c).toEqual(a);
    expect(h.actions("Originate")).toHaveLength(1);
  });

  test("the link drops between the action and its reply: never sent again after the reconnect; the event on the new link decides", async () => {
    let originate: { action: AmiFrame; actionId: string | undefined } | null = null;
    const h = await harness((action, io) => {
      if (amiGet(action, "Action") !== "Originate") return false;
      originate = { action, actionId: io.actionId };
      io.drop();
      return true;
    });
    const request = { commandId: "c2c-drop", deadline: soon(5_000), fromExtension: "101", to: "84951234567" };
    const answer = h.adapter.control.originate(request);
    await waitUntil(() => h.peer.connections() >= 2 && h.adapter.client.status().state === "connected");
    const again = h.adapter.control.originate(request);
    expect(h.actions("Originate")).toHaveLength(1);
    // Asterisk raises OriginateResponse to every session with `call` read: the new one gets it.
    const sent = originate as { action: AmiFrame; actionId: string | undefined } | null;
    if (sent === null) throw new Error("no Originate");
    h.peer.sendEvent(originateResponse(sent.action, 4, sent.actionId));
    const [first, second] = await Promise.all([answer, again]);
    expect(first.ok && first.value.callId).toBe("bb-c2c-drop");
    expect(second).toEqual(first);
    expect(h.actions("Originate")).toHaveLength(1);
  });

  test("the link drops and no outcome ever comes: timeout at the deadline, never sent again", async () => {
    const h = await harness((action, io) => {
      if (amiGet(action, "Action") !== "Originate") return false;
      io.drop();
      return true;
    });
    const result = await h.adapter.control.originate({
      commandId: "c2c-lost",
      deadline: soon(600),
      fromExtension: "101",
      to: "84951234567",
    });
    expect(failed(result)?.code).toBe("PBX.CONTROL_TIMEOUT");
    expect(h.actions("Originate")).toHaveLength(1);
  });
});

describe("AMI control on a live call (real recordings: VoIPGRID's 201 → 202)", () => {
  const blind = capture("vg-blind-xfer-by-callee.ami", (frames) => frameIndex(frames, "BlindTransfer"));

  test("R2.2: Hangup names the employee's exact channel; done on its Hangup event", async () => {
    const hangup = captureFrames(blind.after).find(
      (f) => f.startsWith("Event: Hangup\r\n") && f.includes("Channel: SIP/150010002-00000004\r\n"),
    );
    const h = await harness((action, io, peer) => {
      if (amiGet(action, "Action") !== "Hangup") return false;
      io.send({ ...REPLIES.channelHungup, ActionID: io.actionId ?? "" });
      peer.sendRaw(hangup ?? "");
      return true;
    }, blind.before);
    const leg = await legOf(h, "150010002");
    const result = await h.adapter.control.hangup({
      commandId: "hang-1",
      deadline: soon(),
      callId: leg.callId,
      legId: leg.legId ?? "",
    });
    expect(result).toMatchObject({ ok: true, value: { callId: leg.callId } });
    expect(h.actions("Hangup").map((a) => a.Channel)).toEqual(["SIP/150010002-00000004"]);
  });

  test("R2.2: a leg the PBX does not have is unavailable, nothing sent; Asterisk's 'No such channel' is a failure", async () => {
    const h = await harness((action, io) => {
      if (amiGet(action, "Action") !== "Hangup") return false;
      io.send({ ...REPLIES.noSuchChannel, ActionID: io.actionId ?? "" });
      return true;
    }, blind.before);
    const leg = await legOf(h, "150010002");
    const unknown = await h.adapter.control.hangup({
      commandId: "hang-x",
      deadline: soon(),
      callId: leg.callId,
      legId: "no-such-leg",
    });
    expect(failed(unknown)?.code).toBe("PBX.CONTROL_UNAVAILABLE");
    expect(h.actions("Hangup")).toHaveLength(0);
    const gone = await h.adapter.control.hangup({
      commandId: "hang-2",
      deadline: soon(),
      callId: leg.callId,
      legId: leg.legId ?? "",
    });
    expect(failed(gone)).toEqual({ code: "PBX.CONTROL_FAILED", message: "No such channel" });
  });

  test("R2.3: BlindTransfer on the employee's channel sends the client on; done on the recorded BlindTransfer event", async () => {
    const h = await harness((action, io, peer) => {
      if (amiGet(action, "Action") !== "BlindTransfer") return false;
      io.send({ ...REPLIES.transferSucceeded, ActionID: io.actionId ?? "" });
      peer.sendRaw(blind.after);
      return true;
    }, blind.before);
    const leg = await legOf(h, "150010002");
    const result = await h.adapter.control.blindTransfer({
      commandId: "blind-1",
      deadline: soon(),
      callId: leg.callId,
      legId: leg.legId ?? "",
      to: "203",
    });
    expect(result).toMatchObject({ ok: true, value: { callId: leg.callId } });
    expect(h.actions("BlindTransfer")).toEqual([
      expect.objectContaining({ Channel: "SIP/150010002-00000004", Exten: "203", Context: "from-internal" }),
    ]);
    await waitUntil(() => h.events.some((e) => e.kind === "transfer"));
  });

  test("R2.3: 'Transfer not permitted' fails with Asterisk's message", async () => {
    const h = await harness((action, io) => {
      if (amiGet(action, "Action") !== "BlindTransfer") return false;
      io.send({ ...REPLIES.transferNotPermitted, ActionID: io.actionId ?? "" });
      return true;
    }, blind.before);
    const leg = await legOf(h, "150010002");
    const result = await h.adapter.control.blindTransfer({
      commandId: "blind-2",
      deadline: soon(),
      callId: leg.callId,
      legId: leg.legId ?? "",
      to: "203",
    });
    expect(failed(result)).toEqual({ code: "PBX.CONTROL_FAILED", message: "Transfer not permitted" });
  });

  // The consultation starts with 202's second channel (SIP/150010002-0000002e).
  const attended = capture("vg-attended-xfer-by-callee.ami", (frames) =>
    frames.findIndex((f) => f.includes("Channel: SIP/150010002-0000002e\r\n")),
  );

  test("R2.4: Atxfer's 'queued' is not done; the recorded AttendedTransfer naming the employee's channel is", async () => {
    let rest: (() => void) | null = null;
    const h = await harness((action, io, peer) => {
      if (amiGet(action, "Action") !== "Atxfer") return false;
      io.send({ ...REPLIES.atxferQueued, ActionID: io.actionId ?? "" });
      io.send({ Event: "Marker", Privilege: "call,all" });
      rest = () => peer.sendRaw(attended.after);
      return true;
    }, attended.before);
    const leg = await legOf(h, "150010002");
    let settled = false;
    const answer = h.adapter.control.attendedTransfer({
      commandId: "att-1",
      deadline: soon(),
      callId: leg.callId,
      legId: leg.legId ?? "",
      to: "203",
    });
    void answer.then(() => {
      settled = true;
    });
    const seen = h.adapter.client.status().eventsReceived;
    await waitUntil(
      () => rest !== null && h.adapter.client.status().eventsReceived > seen,
      3_000,
      "the marker",
    );
    expect(settled).toBe(false);
    expect(h.actions("Atxfer")).toEqual([
      expect.objectContaining({ Channel: "SIP/150010002-0000002d", Exten: "203", Context: "from-internal" }),
    ]);
    (rest as (() => void) | null)?.();
    expect(await answer).toMatchObject({ ok: true, value: { callId: leg.callId } });
  });

  test("R2.4: an Atxfer queued that never completes (no transfer rights on the call) times out", async () => {
    const h = await harness((action, io) => {
      if (amiGet(action, "Action") !== "Atxfer") return false;
      io.send({ ...REPLIES.atxferQueued, ActionID: io.actionId ?? "" });
      return true;
    }, attended.before);
    const leg = await legOf(h, "150010002");
    const result = await h.adapter.control.attendedTransfer({
      commandId: "att-2",
      deadline: soon(500),
      callId: leg.callId,
      legId: leg.legId ?? "",
      to: "203",
    });
    expect(failed(result)?.code).toBe("PBX.CONTROL_TIMEOUT");
  });

  test("R2.4: CancelAtxfer is done when the employee's channel is back in a bridge", async () => {
    const back = captureFrames(attended.after).find(
      (f) =>
        f.startsWith("Event: BridgeEnter\r\n") && f.includes("Uniqueid: 195176c06ab8-1529941338.663\r\n"),
    );
    const h = await harness((action, io, peer) => {
      if (amiGet(action, "Action") !== "CancelAtxfer") return false;
      io.send({ ...REPLIES.cancelAtxferQueued, ActionID: io.actionId ?? "" });
      peer.sendRaw((back ?? "").replaceAll("195176c06ab8-1529941338.663", "195176c06ab8-1529941338.671"));
      return true;
    }, attended.before);
    const leg = await legOf(h, "150010002");
    const result = await h.adapter.control.cancelAttendedTransfer({
      commandId: "att-cancel",
      deadline: soon(),
      callId: leg.callId,
      legId: leg.legId ?? "",
    });
    expect(result).toMatchObject({ ok: true });
    expect(h.actions("CancelAtxfer").map((a) => a.Channel)).toEqual(["SIP/150010002-0000002d"]);
  });
});

describe("AMI control: redirect of a ringing call", () => {
  test("Redirect moves the caller's channel; done when it runs the new extension", async () => {
    const frames = captureFrames(readFileSync(join(REAL, "vg-internal-caller-cancels.ami"), "utf8"));
    const ringing = frames.slice(0, frameIndex(frames, "DialEnd")).join("");
    const h = await harness((action, io, peer) => {
      if (amiGet(action, "Action") !== "Redirect") return false;
      io.send({ ...REPLIES.redirectSuccessful, ActionID: io.actionId ?? "" });
      peer.sendEvent({
        Event: "Newexten",
        Privilege: "dialplan,all",
        Channel: amiGet(action, "Channel") ?? "",
        Context: amiGet(action, "Context") ?? "",
        Exten: amiGet(action, "Exten") ?? "",
        Priority: "1",
        Application: "Dial",
        Uniqueid: callerUniqueid,
      });
      return true;
    }, ringing);
    await waitUntil(() => h.events.some((e) => e.kind === "ringing"));
    const call = h.events.find((e) => e.kind === "ringing")?.callId ?? "";
    const callerUniqueid = call;
    const result = await h.adapter.control.redirect({
      commandId: "redir-1",
      deadline: soon(),
      callId: call,
      to: "203",
    });
    expect(result).toMatchObject({ ok: true, value: { callId: call } });
    expect(h.actions("Redirect")).toEqual([
      expect.objectContaining({ Channel: "SIP/150010001-00000002", Exten: "203", Priority: "1" }),
    ]);
  });
});
