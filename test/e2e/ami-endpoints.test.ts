// What branch IT sees of the PBX, from the wire to /admin, /metrics and doctor: a phone nobody
// mapped is listed with the fix until it is mapped; the PBX's own endpoint list (answered from a
// real recording) shows which endpoints are mapped, not mapped or trunk-like; an AMI user that may
// not ask, and a PBX without chan_sip, are said as such while the link stays up.
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkPbx } from "../../src/doctor.ts";
import { checkUnplaced, knownExtensions } from "../../src/doctor-pbx.ts";
import { type AmiPeer, startAmiPeer } from "../support/ami-peer.ts";
import { fakeClock, makeTestBox, type TestBox } from "../support/box.ts";
import { amiclientPjsipEndpoints } from "../support/real-endpoint-lists.ts";

const AMI = { username: "branchbox", secret: "peer-secret-42" };

// Hand-written: a call placed by a phone whose device name is a word, in a context that is
// neither FreePBX's nor a trunk's, presenting a caller id that is no extension either.
const UNPLACED_CALL = `
Event: Newchannel
Channel: PJSIP/reception-a-00000012
ChannelState: 4
Context: internal
Exten: 102
CallerIDNum: reception
Uniqueid: 1732180000.12
Linkedid: 1732180000.12

Event: Hangup
Channel: PJSIP/reception-a-00000012
Context: internal
CallerIDNum: reception
Uniqueid: 1732180000.12
Linkedid: 1732180000.12
Cause: 16
`;

const FIX_RU =
  "PJSIP/reception-a: неизвестный внутренний номер: добавьте его к месту или сотруднику либо в `[pbx.ami] handsets`";
const FIX_EN =
  "PJSIP/reception-a: not a known extension: add it to a desk or an employee, or to `[pbx.ami] handsets`";

let boxes: TestBox[] = [];
let peers: AmiPeer[] = [];
let dirs: string[] = [];
afterEach(async () => {
  for (const b of boxes) await b.close();
  for (const p of peers) await p.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  boxes = [];
  peers = [];
  dirs = [];
});

async function eventually(what: string, ok: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await Bun.sleep(20);
  }
}

async function boxOn(peer: AmiPeer, dir: string, handsets: string[] = []): Promise<TestBox> {
  const box = await makeTestBox({
    dir,
    clock: fakeClock("2024-11-21T12:00:00+03:00"),
    config: { pbx: { ami: { host: "127.0.0.1", port: peer.port, ...AMI, handsets } } },
  });
  boxes.push(box);
  return box;
}

const source = (box: TestBox) => {
  const s = box.sources[0];
  if (s === undefined) throw new Error("no AMI source");
  return s;
};

test("an unplaced phone's call is listed on /admin (ru, en) with the fix, in /metrics and by doctor; once in [pbx.ami] handsets it is a handset and no longer listed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "branchbox-endpoints-"));
  dirs.push(dir);
  const pjsip = amiclientPjsipEndpoints();
  const peer = await startAmiPeer({
    ...AMI,
    transcript: UNPLACED_CALL,
    answers: { PJSIPShowEndpoints: pjsip },
  });
  peers.push(peer);
  const box = await boxOn(peer, dir);
  const ami = source(box);
  await eventually("the phone listed", () => (ami.status().unplaced ?? []).length === 1);
  await eventually("the PBX's list read", () => (ami.status().endpoints ?? null) !== null);

  expect(ami.status().unplaced?.[0]).toMatchObject({
    endpoint: "PJSIP/reception-a",
    context: "internal",
    callerId: "reception",
    seen: 1,
  });
  const russian = await (await box.api("/admin")).text();
  expect(russian).toContain(FIX_RU);
  const english = await (await box.api("/admin", { headers: { cookie: "bb_lang=en" } })).text();
  expect(english).toContain(FIX_EN);
  expect(english).toContain("If it is a trunk, add its context `internal` to `[pbx.ami] trunk_contexts`.");
  // The PBX's own list, from the real recording: a trunk by its outbound auth, phones nobody mapped.
  expect(english).toContain("PJSIPShowEndpoints: 16 endpoint(s)");
  expect(english).toContain("SIPpeers: not on this PBX (Invalid/unknown command: SIPpeers.");
  expect(english).toContain("looks like a trunk (outbound auth dcs-auth)");
  expect(english).toContain("0 mapped, 0 by FreePBX&#39;s conventions, 1 look like trunks, 15 not mapped");
  const metrics = await (await box.api("/metrics")).text();
  expect(metrics).toContain(`branchbox_pbx_unplaced_endpoints{source="${ami.name}"} 1`);
  expect(metrics).toContain(`branchbox_pbx_endpoints{source="${ami.name}",kind="trunk"} 1`);
  expect(metrics).toContain(`branchbox_pbx_endpoints{source="${ami.name}",kind="unmapped"} 15`);
  // Neither list cost the link.
  expect(ami.status().state).toBe("connected");
  expect(peer.connections()).toBe(1);

  // doctor, another process: the probe reads the PBX's list itself; the phone is read from the database.
  const probe = await checkPbx(box.config, undefined, knownExtensions(box.config));
  expect(probe[0]?.status).toBe("OK");
  expect(probe[0]?.detail).toContain("PJSIP/dcs-endpoint: looks like a trunk (outbound auth dcs-auth)");
  expect(probe[0]?.detail).toContain("PJSIP/1107: not mapped");
  const config = box.config;
  await box.close();
  boxes = [];
  const listed = checkUnplaced(config, knownExtensions(config));
  expect(listed.status).toBe("WARN");
  expect(listed.detail).toContain(FIX_EN);

  // Mapped: the same phone's next call is a handset's, and it is listed nowhere any more.
  const again = await startAmiPeer({
    ...AMI,
    transcript: UNPLACED_CALL.replaceAll("00000012", "00000013").replaceAll(".12", ".13"),
  });
  peers.push(again);
  const mapped = await boxOn(again, dir, ["reception-a"]);
  await eventually("the call recorded", () => mapped.calls.list({ limit: 10 }).length === 2);
  expect(source(mapped).status().unplaced).toEqual([]);
  const latest = mapped.calls.list({ limit: 10 }).find((c) => c.id === "1732180000.13");
  expect(JSON.stringify(latest)).toContain("reception-a");
  expect(await (await mapped.api("/admin", { headers: { cookie: "bb_lang=en" } })).text()).not.toContain(
    FIX_EN,
  );
  const mappedConfig = mapped.config;
  await mapped.close();
  boxes = [];
  expect(checkUnplaced(mappedConfig, knownExtensions(mappedConfig)).status).toBe("OK");
}, 60_000);

test("an AMI user without the system class: both lists 'Permission denied', said on /admin and by doctor; the link stays up and calls still come", async () => {
  const dir = mkdtempSync(join(tmpdir(), "branchbox-endpoints-"));
  dirs.push(dir);
  const denied = [{ Response: "Error", Message: "Permission denied" }];
  const peer = await startAmiPeer({
    ...AMI,
    transcript: UNPLACED_CALL,
    answers: { PJSIPShowEndpoints: denied, SIPpeers: denied },
  });
  peers.push(peer);
  const box = await boxOn(peer, dir);
  const ami = source(box);
  await eventually("the lists answered", () => (ami.status().endpoints ?? null) !== null);
  await eventually("the call read", () => (ami.status().unplaced ?? []).length === 1);
  expect(ami.status().endpoints?.queries.map((q) => `${q.action} ${q.outcome}`)).toEqual([
    "PJSIPShowEndpoints denied",
    "SIPpeers denied",
  ]);
  const english = await (await box.api("/admin", { headers: { cookie: "bb_lang=en" } })).text();
  expect(english).toContain(
    "PJSIPShowEndpoints: the AMI user may not ask: it needs the system class (Permission denied)",
  );
  const russian = await (await box.api("/admin")).text();
  expect(russian).toContain(
    "SIPpeers: пользователю AMI не разрешено: нужен класс system (Permission denied)",
  );
  expect(ami.status().state).toBe("connected");
  expect(peer.connections()).toBe(1);
  const probe = await checkPbx(box.config, undefined, knownExtensions(box.config));
  expect(probe[0]?.status).toBe("OK");
  expect(probe[0]?.detail).toContain("SIPpeers: the AMI user may not ask");
}, 60_000);
