// Call control end to end (issue 15): the compiled binary (`serve --demo`, AMI pointed at a
// scripted Asterisk on a loopback port) takes a command on its API, writes it, sends the action on
// the AMI link, and settles it from the events the peer then plays: the box's own click-to-call
// (test/fixtures/ami/click-to-call/, its ids rewritten to the ChannelId the box chose), a refusal,
// a busy client, a kill -9 between the Originate and its outcome, and a hang-up of a live call.
import { afterAll, afterEach, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { amiGet, formatAmiFrame } from "../../src/pbx/ami/ami-parser.ts";
import { type AmiPeer, type PeerIo, startAmiPeer, transcriptFrames } from "../support/ami-peer.ts";
import { channelsAt } from "../support/ami-snapshot.ts";
import { TRANSCRIPTS } from "../support/ami-transcript.ts";
import { originateResponse, REPLIES } from "../support/asterisk-control.ts";
import { type Mosquitto, startMosquitto } from "../support/mosquitto.ts";
import { ensureBinary, makeTestDir, type Running, startBranchbox } from "../support/process.ts";
import { eventually } from "../support/sync-system.ts";
import { startTestHq, type TestHq } from "../support/test-hq.ts";
import { down } from "../sync/inbound-fixtures.ts";

const AMI = { username: "branchbox", secret: "control-secret-15" };
const TOKEN = "call-control-admin-token-0123456789";
const NUMBER = "+74951234567";

type CommandJson = { commandId: string; state: string; callId: string | null; reason: string | null };

const dirs: string[] = [];
const running: {
  box: Running | null;
  peer: AmiPeer | null;
  hq: TestHq | null;
  broker: Mosquitto | null;
} = { box: null, peer: null, hq: null, broker: null };
afterEach(async () => {
  await running.box?.stop();
  await running.peer?.close();
  await running.hq?.close();
  await running.broker?.stop();
  Object.assign(running, { box: null, peer: null, hq: null, broker: null });
});
afterAll(() => {
  if (process.env.KEEP_TEST_DIRS === undefined)
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** An Originate the peer took: the action, and the connection's io to answer on. */
interface Taken {
  readonly action: Record<string, string>;
  readonly io: PeerIo;
}

/**
 * A scripted Asterisk that takes call-control actions as manager.c does (the reply "queued") and
 * leaves the events to the test; `onHangup` may answer a Hangup with its event.
 */
async function peerTaking(
  onHangup?: (action: Record<string, string>, io: PeerIo) => void,
  channels?: () => readonly Record<string, string>[],
) {
  const originates: Taken[] = [];
  const hangups: Taken[] = [];
  const redirects: Taken[] = [];
  const peer = await startAmiPeer({
    ...AMI,
    ...(channels === undefined ? {} : { channels: () => channels() }),
    act: (frame, io) => {
      const action = { ...frame };
      const name = (amiGet(frame, "Action") ?? "").toLowerCase();
      const withId = (f: Record<string, string>) =>
        io.actionId === undefined ? f : { ...f, ActionID: io.actionId };
      if (name === "originate") {
        originates.push({ action, io });
        io.send(withId(REPLIES.originateQueued));
        return true;
      }
      if (name === "hangup") {
        hangups.push({ action, io });
        io.send(withId(REPLIES.channelHungup));
        onHangup?.(action, io);
        return true;
      }
      if (name === "redirect") {
        redirects.push({ action, io });
        io.send(withId(REPLIES.redirectSuccessful));
        // manager.c's Redirect moves the channel with ast_async_goto: it runs the new extension.
        io.broadcast({
          Event: "Newexten",
          Privilege: "dialplan,all",
          Channel: action.Channel ?? "",
          Context: action.Context ?? "",
          Exten: action.Exten ?? "",
          Priority: "1",
          Application: "Dial",
          Uniqueid: REDIRECTED_UNIQUEID,
        });
        return true;
      }
      return false;
    },
  });
  running.peer = peer;
  return { peer, originates, hangups, redirects };
}

async function startBox(
  peer: AmiPeer,
  dir = makeTestDir("call-control"),
  port?: number,
  env: Record<string, string> = {},
): Promise<Running> {
  if (!dirs.includes(dir)) dirs.push(dir);
  const box = await startBranchbox({
    args: ["serve", "--demo"],
    dir,
    env: {
      BRANCHBOX_HTTP_ADMIN_TOKEN: TOKEN,
      BRANCHBOX_PBX_AMI_HOST: "127.0.0.1",
      BRANCHBOX_PBX_AMI_PORT: String(peer.port),
      BRANCHBOX_PBX_AMI_USERNAME: AMI.username,
      BRANCHBOX_PBX_AMI_SECRET: AMI.secret,
      ...env,
    },
    ...(port === undefined ? {} : { port }),
  });
  running.box = box;
  await until(() => peer.open() > 0 && linked(peer), "the box logged in to the peer");
  return box;
}

/** The box has logged in: its Login was answered (the peer saw one on the open connection). */
const linked = (peer: AmiPeer) =>
  peer.received.some((r) => r.connection === peer.connections() && amiGet(r.frame, "Action") === "Login");

function api(box: Running, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${box.baseUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json", ...init.headers },
  });
}

async function checkIn(box: Running, employeeId: string, at: number): Promise<void> {
  const response = await api(box, "/api/v1/roster/check-in", {
    method: "POST",
    body: JSON.stringify({ employeeId, deskId: "front", at: new Date(at).toISOString() }),
  });
  expect(response.status).toBe(200);
}

/** What the API answers with, read loosely: a command view or an error. */
interface Answer {
  readonly commandId?: string;
  readonly state?: string;
  readonly error?: { readonly code: string; readonly message?: string };
}

/** A call of GET /api/v1/calls, the fields these tests read. */
interface CallJson {
  readonly id: string;
  readonly direction: string;
  readonly outcome: string;
  readonly answeredAt: string;
  readonly endedAt: string;
  readonly owner: { readonly employeeId: string | null };
}

async function post(box: Running, body: object, key?: string): Promise<{ status: number; json: Answer }> {
  const response = await api(box, "/api/v1/commands", {
    method: "POST",
    body: JSON.stringify(body),
    headers: key === undefined ? {} : { "idempotency-key": key },
  });
  return { status: response.status, json: await response.json() };
}

async function command(box: Running, id: string): Promise<CommandJson> {
  return (await (await api(box, `/api/v1/commands/${id}`)).json()) as CommandJson;
}

/** The suite's wait for a condition (test/support/sync-system.ts `eventually`), check first. */
const until = (check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000) =>
  eventually(what, check, timeoutMs);

/** Polls the command until `state`, recording every state it was seen in on the way. */
async function reaches(box: Running, id: string, state: string, seen: string[], timeoutMs = 15_000) {
  let last: CommandJson | null = null;
  await until(
    async () => {
      last = await command(box, id);
      if (seen.at(-1) !== last.state) seen.push(last.state);
      return last.state === state;
    },
    `command ${id} to be ${state} (seen ${seen.join(" → ")}; log: ${box.output().slice(-1500)})`,
    timeoutMs,
  );
  return last as unknown as CommandJson;
}

/**
 * A fixture's frames (wire text) as the PBX would write them now for this command: its ids
 * (`bb-<scenario>`, `__BB_CMD`) are the command's, its number the one asked, and its times moved so
 * that the last frame is `endAt` (the PBX's clock agrees with the box's: NTP on both).
 */
function played(file: string, endAt: number, ids?: { scenario: string; commandId: string }): string[] {
  const raw = readFileSync(join(TRANSCRIPTS, file), "utf8");
  const text = (ids === undefined ? raw : raw.replaceAll(ids.scenario, ids.commandId)).replaceAll(
    "84951234567",
    NUMBER,
  );
  const frames = transcriptFrames(text);
  const stamps = frames.map((f) => Number(/^Timestamp: (\S+)/m.exec(f)?.[1] ?? Number.NaN));
  const shift = endAt / 1000 - Math.max(...stamps.filter((s) => !Number.isNaN(s)));
  return frames.map((f) =>
    f.replace(/^Timestamp: (\S+)/m, (_, t) => `Timestamp: ${(Number(t) + shift).toFixed(6)}`),
  );
}

const stampOf = (frame: string) => Math.round(Number(/^Timestamp: (\S+)/m.exec(frame)?.[1]) * 1000);
const indexOf = (frames: readonly string[], match: RegExp, what: string) => {
  const i = frames.findIndex((f) => match.test(f));
  if (i < 0) throw new Error(`no ${what} in the fixture`);
  return i;
};

test("R2.1: click-to-call from the API rings anna's desk phone once and becomes her outbound call", async () => {
  ensureBinary();
  const { peer, originates } = await peerTaking();
  const box = await startBox(peer);
  const t0 = Date.now();
  await checkIn(box, "anna", t0 - 600_000);

  const key = "c2c-e2e-answered-1";
  const asked = { kind: "click-to-call", employeeId: "anna", number: NUMBER };
  const first = await post(box, asked, key);
  expect(first.status).toBe(202);
  expect(first.json.commandId).toBe(key);
  await until(() => originates.length > 0, "the Originate");
  const originate = originates[0] as Taken;
  expect(originate.action).toMatchObject({
    Action: "Originate",
    Channel: "Local/101@from-internal/n",
    Exten: NUMBER,
    ChannelId: `bb-${key}`,
    Async: "true",
  });

  const frames = played("click-to-call/c2c-answered.ami", Date.now() - 1000, {
    scenario: "c2c-answered",
    commandId: key,
  });
  const rings = indexOf(
    frames,
    /^Event: DialState\r\n[\s\S]*DestChannel: PJSIP\/101-[\s\S]*DialStatus: RINGING/,
    "101 ringing",
  );
  const clientAnswers = indexOf(
    frames,
    /^Event: DialEnd\r\n[\s\S]*DestChannel: PJSIP\/trunk-sip-[\s\S]*DialStatus: ANSWER/,
    "the client's answer",
  );
  const seen: string[] = [first.json.state ?? "(none)"];
  await reaches(box, key, "sent", seen); // committed before the Originate was written
  peer.sendRaw(frames.slice(0, rings + 1).join(""));
  await reaches(box, key, "ringing-employee", seen);
  peer.sendRaw(frames.slice(rings + 1, clientAnswers + 1).join(""));
  await reaches(box, key, "connected", seen);
  peer.sendRaw(frames.slice(clientAnswers + 1).join(""));
  originate.io.send(originateResponse(originate.action, 4, originate.io.actionId));
  const done = await reaches(box, key, "done", seen);
  expect(done.callId).toBe(`bb-${key}`);
  expect(seen).toEqual(["queued", "sent", "ringing-employee", "connected", "done"]);

  let call: CallJson | undefined;
  await until(async () => {
    const calls = (await (await api(box, "/api/v1/calls?limit=10")).json()) as CallJson[];
    call = calls.find((c) => c.id === `bb-${key}`);
    return call !== undefined;
  }, "the call recorded");
  expect(call).toMatchObject({
    direction: "outbound",
    outcome: "answered",
    owner: { employeeId: "anna" },
  });
  expect(Date.parse(call?.answeredAt ?? "")).toBe(stampOf(frames[clientAnswers] as string));
  expect(Date.parse(call?.endedAt ?? "") - Date.parse(call?.answeredAt ?? "")).toBeGreaterThan(40_000);

  const again = await post(box, asked, key);
  expect(again.status).toBe(202);
  expect(again.json).toEqual({ commandId: key, state: "done" });
  // A marker command after the repeat: the box writes its actions in order on the one link, so
  // once the marker's Originate is at the peer, a second Originate of the repeat would be too.
  const marker = `${key}-marker`;
  expect((await post(box, asked, marker)).status).toBe(202);
  await until(() => originates.length >= 2, "the marker's Originate");
  expect(originates.map((o) => o.action.ChannelId)).toEqual([`bb-${key}`, `bb-${marker}`]);
  expect(peer.received.filter((r) => amiGet(r.frame, "Action") === "Originate")).toHaveLength(2);
}, 60_000);

test("refusals write and send nothing: an employee not on shift (409), a number with letters (400)", async () => {
  ensureBinary();
  const { peer, originates } = await peerTaking();
  const box = await startBox(peer);
  await checkIn(box, "anna", Date.now() - 600_000);

  const offShift = await post(box, { kind: "click-to-call", employeeId: "olga", number: NUMBER }, "c2c-olga");
  expect(offShift.status).toBe(409);
  expect(offShift.json.error?.code).toBe("COMMAND.NOT_ON_SHIFT");
  const letters = await post(
    box,
    { kind: "click-to-call", employeeId: "anna", number: "+7495CALLME" },
    "c2c-abc",
  );
  expect(letters.status).toBe(400);
  expect(letters.json.error?.code).toBe("COMMAND.BAD_INPUT");
  for (const id of ["c2c-olga", "c2c-abc"])
    expect((await api(box, `/api/v1/commands/${id}`)).status).toBe(404);

  // The next command is written and sent: had either refusal sent anything, it would be before it.
  const next = await post(box, { kind: "click-to-call", employeeId: "anna", number: NUMBER }, "c2c-after");
  expect(next.status).toBe(202);
  await until(() => originates.length > 0, "the accepted command's Originate");
  expect(originates.map((o) => o.action.ChannelId)).toEqual(["bb-c2c-after"]);
  expect(peer.received.filter((r) => amiGet(r.frame, "Action") === "Originate")).toHaveLength(1);
}, 60_000);

test("the PBX's reason: OriginateResponse Failure, Reason 5 ends the command failed, busy", async () => {
  ensureBinary();
  const { peer, originates } = await peerTaking();
  const box = await startBox(peer);
  await checkIn(box, "anna", Date.now() - 600_000);
  const key = "c2c-e2e-busy";
  expect((await post(box, { kind: "click-to-call", employeeId: "anna", number: NUMBER }, key)).status).toBe(
    202,
  );
  await until(() => originates.length > 0, "the Originate");
  const originate = originates[0] as Taken;
  originate.io.send(originateResponse(originate.action, 5, originate.io.actionId));
  const seen: string[] = [];
  const failed = await reaches(box, key, "failed", seen);
  expect(failed.reason).toContain("busy");
  expect(seen).not.toContain("done");
}, 60_000);

test("kill -9 between the Originate and its outcome: the restarted box never sends it again and settles it from the events", async () => {
  ensureBinary();
  const { peer, originates } = await peerTaking();
  const dir = makeTestDir("call-control-kill");
  let box = await startBox(peer, dir);
  await checkIn(box, "anna", Date.now() - 600_000);
  const key = "c2c-e2e-kill9";
  expect((await post(box, { kind: "click-to-call", employeeId: "anna", number: NUMBER }, key)).status).toBe(
    202,
  );
  await until(() => originates.length > 0, "the Originate");
  expect((await command(box, key)).state).toBe("sent");

  await box.kill9();
  const logins = peer.connections();
  box = await startBox(peer, dir, box.port);
  expect(peer.connections()).toBeGreaterThan(logins);
  const resumed = await command(box, key);
  expect(resumed).toMatchObject({ state: "sent", callId: `bb-${key}` });

  const seen: string[] = [resumed.state];
  peer.sendRaw(
    played("click-to-call/c2c-answered.ami", Date.now() - 1000, {
      scenario: "c2c-answered",
      commandId: key,
    }).join(""),
  );
  const done = await reaches(box, key, "done", seen);
  expect(done.callId).toBe(`bb-${key}`);
  expect(originates).toHaveLength(1);
  expect(peer.received.filter((r) => amiGet(r.frame, "Action") === "Originate")).toHaveLength(1);
}, 90_000);

test("R2.1: kill -9, then the employee answers and the client is busy: the restarted box says what the live one would (connected, then failed: the number was busy)", async () => {
  ensureBinary();
  const { peer, originates } = await peerTaking();
  const dir = makeTestDir("call-control-kill-busy");
  let box = await startBox(peer, dir);
  await checkIn(box, "anna", Date.now() - 600_000);
  const key = "c2c-e2e-kill9-busy";
  const asked = { kind: "click-to-call", employeeId: "anna", number: NUMBER };
  expect((await post(box, asked, key)).status).toBe(202);
  await until(() => originates.length > 0, "the Originate");
  const originate = originates[0] as Taken;
  await box.kill9();
  box = await startBox(peer, dir, box.port);

  // fast_originate's OriginateResponse comes as the Local ;1 is answered (the employee picked up),
  // to every session that reads `call` (manager_event), before the client is dialled.
  const frames = played("click-to-call/c2c-client-busy.ami", Date.now() - 1000, {
    scenario: "c2c-busy",
    commandId: key,
  });
  const ownAnswer = indexOf(
    frames,
    /^Event: DialEnd\r\n[\s\S]*DestChannel: Local\/101@from-internal-00000067;1[\s\S]*DialStatus: ANSWER/,
    "the originate's answer",
  );
  const response = formatAmiFrame({
    ...originateResponse(originate.action, 4, originate.io.actionId),
    Channel: "Local/101@from-internal-00000067;1",
  });
  peer.sendRaw([...frames.slice(0, ownAnswer + 1), response, ...frames.slice(ownAnswer + 1)].join(""));
  const seen: string[] = ["sent"];
  await until(async () => {
    const calls = (await (await api(box, "/api/v1/calls?limit=10")).json()) as { id: string }[];
    return calls.some((c) => c.id === `bb-${key}`);
  }, "the busy call recorded");
  const settled = await reaches(box, key, "failed", seen);
  expect(settled).toMatchObject({
    state: "failed",
    callId: `bb-${key}`,
    reason: "the number called was busy",
  });
  expect(originates).toHaveLength(1);
}, 90_000);

test("R2.2: hang up a live call of the desk's phone: Hangup of its exact channel, done on its Hangup event", async () => {
  ensureBinary();
  const frames = played("inbound-front-desk-answered.ami", Date.now());
  const cut = indexOf(frames, /^Event: HangupRequest\r\n/, "the hang-up");
  const { peer, hangups } = await peerTaking((_action, io) => {
    for (const frame of frames.slice(cut)) io.broadcast(Object.fromEntries(wireFields(frame)));
  });
  const box = await startBox(peer);
  await checkIn(box, "anna", Date.now() - 600_000);
  peer.sendRaw(frames.slice(0, cut).join(""));

  const callId = "1732180323.41";
  const key = "hangup-e2e-1";
  let asked: { status: number; json: Answer } = { status: 0, json: {} };
  await until(async () => {
    asked = await post(box, { kind: "hangup", callId }, key);
    return asked.json.error?.code !== "COMMAND.UNKNOWN_CALL"; // until the box has taken the call in
  }, "the call live at the box");
  expect(asked.status).toBe(202);
  const seen: string[] = [asked.json.state ?? "(none)"];
  const done = await reaches(box, key, "done", seen);
  expect(done.callId).toBe(callId);
  expect(hangups).toHaveLength(1);
  expect(hangups[0]?.action).toMatchObject({ Action: "Hangup", Channel: "PJSIP/101-0000002a" });
}, 60_000);

/** The caller's channel of inbound-front-desk-answered.ami (the trunk leg). */
const REDIRECTED_UNIQUEID = "1732180323.41";

test("R2.3: a blind transfer of a call still ringing at the desk is a Redirect of the client's channel to the extension; done when it runs there", async () => {
  ensureBinary();
  const frames = played("inbound-front-desk-answered.ami", Date.now());
  const cut = indexOf(frames, /^Event: Newstate\r\n[\s\S]*ChannelState: 6\r\n/, "101 picks up");
  const { peer, redirects } = await peerTaking();
  const box = await startBox(peer);
  await checkIn(box, "anna", Date.now() - 600_000);
  peer.sendRaw(frames.slice(0, cut).join(""));

  const key = "redirect-e2e-1";
  const body = { kind: "transfer", callId: REDIRECTED_UNIQUEID, to: "103", mode: "blind" };
  let asked: { status: number; json: Answer } = { status: 0, json: {} };
  await until(async () => {
    asked = await post(box, body, key);
    return asked.json.error?.code !== "COMMAND.UNKNOWN_CALL"; // until the box has taken the call in
  }, "the ringing call live at the box");
  expect(asked.status).toBe(202);
  const attended = await post(box, { ...body, mode: "attended" }, "redirect-e2e-attended");
  expect([attended.status, attended.json.error?.code]).toEqual([409, "COMMAND.NOT_ANSWERED"]);
  const done = await reaches(box, key, "done", [asked.json.state ?? "(none)"]);
  expect(done.callId).toBe(REDIRECTED_UNIQUEID);
  expect(redirects.map((r) => r.action)).toEqual([
    expect.objectContaining({
      Action: "Redirect",
      Channel: "PJSIP/trunk-sip-00000029",
      Exten: "103",
      Context: "from-internal",
      Priority: "1",
    }),
  ]);
}, 60_000);

/** A wire frame's header lines as [name, value] pairs. */
function wireFields(frame: string): [string, string][] {
  return frame
    .split("\r\n")
    .filter((line) => line.includes(": ") || line.endsWith(":"))
    .map((line) => {
      const at = line.indexOf(":");
      return [line.slice(0, at), line.slice(at + 1).trimStart()];
    });
}

test("HQ's command.run click-to-call through a real Mosquitto: run once, answered once on up/replies with done", async () => {
  ensureBinary();
  const broker = await startMosquitto();
  running.broker = broker;
  const hq = await startTestHq(broker.url);
  running.hq = hq;
  const { peer, originates } = await peerTaking();
  const box = await startBox(peer, undefined, undefined, { BRANCHBOX_MQTT_URL: broker.url });
  await checkIn(box, "anna", Date.now() - 600_000);
  // The check-in reached HQ: the box's relay is connected (and subscribed to its down streams).
  await until(() => hq.applied("demo", "roster").length > 0, "the check-in at HQ");

  const commandId = "hq-c2c-1";
  const run = (data: object) => ({ type: "command.run", data: { expiresAt: Date.now() + 120_000, ...data } });
  const clickToCall = { commandId, kind: "click-to-call", args: { employeeId: "anna", number: NUMBER } };
  await hq.sendDown("demo", "commands", down("commands", 1, [run(clickToCall)]));
  await until(() => originates.length > 0, "the Originate", 20_000);
  const originate = originates[0] as Taken;
  expect(originate.action).toMatchObject({
    Channel: "Local/101@from-internal/n",
    ChannelId: `bb-${commandId}`,
  });
  const frames = played("click-to-call/c2c-answered.ami", Date.now() - 1000, {
    scenario: "c2c-answered",
    commandId,
  });
  peer.sendRaw(frames.join(""));
  originate.io.send(originateResponse(originate.action, 4, originate.io.actionId));
  const replies = () =>
    hq
      .applied("demo", "replies")
      .map((r) => r.data as { commandId: string; status: string; reason?: string });
  await until(() => replies().some((r) => r.commandId === commandId), "HQ's reply", 20_000);

  // The same command again (a redelivery under a new seq), then one that is refused: once the
  // refusal is answered, the repeat was handled before it (commands run in arrival order).
  const offShift = {
    commandId: "hq-c2c-olga",
    kind: "click-to-call",
    args: { employeeId: "olga", number: NUMBER },
  };
  await hq.sendDown("demo", "commands", down("commands", 2, [run(clickToCall), run(offShift)]));
  await until(() => replies().some((r) => r.commandId === "hq-c2c-olga"), "the refusal's reply", 20_000);
  expect(replies().filter((r) => r.commandId === commandId)).toEqual([{ commandId, status: "done" }]);
  expect(replies().find((r) => r.commandId === "hq-c2c-olga")).toMatchObject({ status: "refused" });
  expect(replies().find((r) => r.commandId === "hq-c2c-olga")?.reason).toStartWith("COMMAND.NOT_ON_SHIFT");
  expect(originates).toHaveLength(1);
  expect((await command(box, commandId)).state).toBe("done");
}, 90_000);

test("kill -9 between a Hangup and its event, the PBX silent after: never sent again, failed at its 15 s deadline", async () => {
  ensureBinary();
  const frames = played("inbound-front-desk-answered.ami", Date.now());
  const cut = indexOf(frames, /^Event: HangupRequest\r\n/, "the hang-up");
  // The call is still up on the PBX: the restarted box's resync (CoreShowChannels) finds it.
  const { peer, hangups } = await peerTaking(undefined, () => channelsAt(frames, cut));
  const dir = makeTestDir("call-control-kill-hangup");
  let box = await startBox(peer, dir);
  await checkIn(box, "anna", Date.now() - 600_000);
  peer.sendRaw(frames.slice(0, cut).join(""));
  const key = "hangup-e2e-kill9";
  let asked = { status: 0, json: {} as { state?: string; error?: { code: string } } };
  await until(async () => {
    asked = await post(box, { kind: "hangup", callId: "1732180323.41" }, key);
    return asked.json.error?.code !== "COMMAND.UNKNOWN_CALL";
  }, "the call live at the box");
  expect(asked.status).toBe(202);
  await until(() => hangups.length > 0, "the Hangup");
  const created = Date.parse(
    ((await (await api(box, `/api/v1/commands/${key}`)).json()) as { createdAt: string }).createdAt,
  );
  await box.kill9();
  box = await startBox(peer, dir, box.port);
  expect((await command(box, key)).state).toBe("sent");

  const seen: string[] = ["sent"];
  const failed = await reaches(box, key, "failed", seen, 25_000);
  expect(failed.reason).toBe("no confirmation by the deadline");
  expect(Date.now() - created).toBeGreaterThanOrEqual(15_000);
  expect(hangups).toHaveLength(1);
}, 90_000);

test("HQ's click-to-call with a kill -9 after its Originate: never sent again; HQ's one reply is what the PBX did (done, from the events after the restart), the same as the box's own view", async () => {
  ensureBinary();
  const broker = await startMosquitto();
  running.broker = broker;
  const hq = await startTestHq(broker.url);
  running.hq = hq;
  const { peer, originates } = await peerTaking();
  const dir = makeTestDir("call-control-hq-kill");
  const mqtt = { BRANCHBOX_MQTT_URL: broker.url };
  let box = await startBox(peer, dir, undefined, mqtt);
  await checkIn(box, "anna", Date.now() - 600_000);
  await until(() => hq.applied("demo", "roster").length > 0, "the check-in at HQ");

  const commandId = "hq-c2c-kill9";
  const clickToCall = { commandId, kind: "click-to-call", args: { employeeId: "anna", number: NUMBER } };
  const record = { type: "command.run", data: { ...clickToCall, expiresAt: Date.now() + 120_000 } };
  await hq.sendDown("demo", "commands", down("commands", 1, [record]));
  await until(() => originates.length > 0, "the Originate", 20_000);
  await box.kill9();
  box = await startBox(peer, dir, box.port, mqtt);
  const replies = () =>
    hq
      .applied("demo", "replies")
      .map((r) => r.data as { commandId: string; status: string; reason?: string });
  // Back up, the box knows it is waiting for the PBX: no answer to HQ yet.
  await until(async () => (await command(box, commandId)).state === "sent", "the command resumed");
  expect(replies().filter((r) => r.commandId === commandId)).toEqual([]);
  peer.sendRaw(
    played("click-to-call/c2c-answered.ami", Date.now() - 1000, { scenario: "c2c-answered", commandId }).join(
      "",
    ),
  );
  await reaches(box, commandId, "done", []);
  await until(() => replies().some((r) => r.commandId === commandId), "HQ's reply", 20_000);
  // Redelivered after the restart: the box knows the id and neither runs nor answers it again.
  await hq.sendDown("demo", "commands", down("commands", 2, [record]));
  const marker = { commandId: "hq-marker", kind: "hangup", args: { callId: "no-such-call" } };
  await hq.sendDown(
    "demo",
    "commands",
    down("commands", 3, [{ ...record, data: { ...marker, expiresAt: Date.now() + 60_000 } }]),
  );
  await until(() => replies().some((r) => r.commandId === "hq-marker"), "the marker's reply", 20_000);
  const mine = replies().filter((r) => r.commandId === commandId);
  expect(mine).toEqual([{ commandId, status: "done" }]);
  expect(originates).toHaveLength(1);
}, 90_000);
