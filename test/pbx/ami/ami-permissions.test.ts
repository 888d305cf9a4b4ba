// `branchbox doctor`'s AMI visit says whether the user may control calls (issue 15): from the
// answer to ListCommands, which lists only the actions the session may write (manager.c,
// action_listcommands), one `Action: synopsis (Priv: classes)` header each, as written here.
import { afterEach, describe, expect, test } from "bun:test";
import { probeAmi } from "../../../src/pbx/ami/ami-probe.ts";
import { type AmiPeer, startAmiPeer } from "../../support/ami-peer.ts";

const USER = "branchbox";
const SECRET = "probe-Secret-9";

/** What Asterisk 20 lists for a user with `write = call,originate` (and nothing else). */
const CALL_AND_ORIGINATE = {
  Response: "Success",
  Originate: "Originate a call. (Priv: originate,all)",
  Hangup: "Hangup channel. (Priv: system,call,all)",
  Redirect: "Redirect (transfer) a call. (Priv: call,all)",
  Atxfer: "Attended transfer. (Priv: call,all)",
  CancelAtxfer: "Cancel an attended transfer. (Priv: call,all)",
  BlindTransfer: "Blind transfer channel(s) to the given destination (Priv: call,all)",
  Ping: "Keepalive command. (Priv: <none>)",
  ListCommands: "List available manager commands. (Priv: <none>)",
};

const peers: AmiPeer[] = [];
afterEach(async () => {
  for (const p of peers.splice(0)) await p.close();
});

async function probeWith(listCommands?: Record<string, string>) {
  const peer = await startAmiPeer({
    username: USER,
    secret: SECRET,
    ...(listCommands === undefined ? {} : { answers: { ListCommands: [listCommands] } }),
  });
  peers.push(peer);
  return probeAmi({ host: "127.0.0.1", port: peer.port, username: USER, secret: SECRET });
}

describe("doctor: may the AMI user control calls?", () => {
  test("write = call,originate: OK, and says so", async () => {
    const result = await probeWith(CALL_AND_ORIGINATE);
    expect(result.ok).toBe(true);
    expect(result.detail).toContain("may write call and originate");
  });

  test("no `originate` class: FAIL naming Originate, with the manager.conf line to add", async () => {
    const { Originate: _, ...withoutOriginate } = CALL_AND_ORIGINATE;
    const result = await probeWith(withoutOriginate);
    expect(result.ok).toBe(false);
    expect(result.detail).toContain("may not send Originate");
    expect(result.fix).toContain("write = call,originate");
    expect(result.fix).toContain("missing: originate");
  });

  test("no `call` class (write = originate only): FAIL naming the transfer actions", async () => {
    const result = await probeWith({ Response: "Success", Originate: CALL_AND_ORIGINATE.Originate });
    expect(result.ok).toBe(false);
    expect(result.detail).toContain("Hangup, Redirect, BlindTransfer, Atxfer");
    expect(result.fix).toContain("missing: call");
  });

  test("a PBX that will not list its commands: the login still passes, the check says it was not made", async () => {
    const result = await probeWith();
    expect(result.ok).toBe(true);
    expect(result.detail).toContain("call control permissions not checked");
  });
});

describe("doctor: may the AMI user keep the routing in AstDB (issue 16)?", () => {
  test("R2.6: no `system` class: the probe stays OK for call control and warns that DBPut, DBDel, DBDelTree are refused", async () => {
    const result = await probeWith(CALL_AND_ORIGINATE);
    expect(result.ok).toBe(true);
    expect(result.warning?.detail).toContain("may not send DBPut, DBDel, DBDelTree");
    expect(result.warning?.fix).toContain("write = call,originate,system");
  });

  test("R2.6: with `system` (DBPut, DBDel, DBDelTree listed) there is no warning", async () => {
    const result = await probeWith({
      ...CALL_AND_ORIGINATE,
      DBPut: "Put DB entry. (Priv: system,all)",
      DBDel: "Delete DB entry. (Priv: system,all)",
      DBDelTree: "Delete DB Tree. (Priv: system,all)",
    });
    expect(result.ok).toBe(true);
    expect(result.warning).toBeUndefined();
  });
});
