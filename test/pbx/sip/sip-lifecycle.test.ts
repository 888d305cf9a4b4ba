// The SIP source against the PbxEventSource contract: a notifier at the wire (a WebSocket speaking
// SIP) plays a small PBX watching extension 101 (a client's call ringing, answered, hung up), sends
// every new subscription its full state first, as a server does, and goes down on cue.
import { createSipSource } from "../../../src/pbx/sip/index.ts";
import { waitUntil } from "../../support/ami-peer.ts";
import { type FakeNotifier, startFakeNotifier } from "../../support/fake-sip-notifier.ts";
import { type CallStep, type LifecyclePbx, runPbxSourceLifecycleSuite } from "../source-lifecycle.suite.ts";

const SECRET = "sip-Secret-4Kd-never-logged";
const CLIENT = "74951234567";
const NS = 'xmlns="urn:ietf:params:xml:ns:dialog-info"';
const STATE: Record<CallStep, string> = { ringing: "early", answered: "confirmed", ended: "terminated" };

runPbxSourceLifecycleSuite("SIP", {
  async make(options) {
    /** Calls 101 is in, by Call-ID; an ended one is listed once more (terminated), then dropped. */
    const calls = new Map<string, CallStep>();
    let version = 0;
    const acks: ("ok" | "refused")[] = [];
    let firstNotifies = 0;
    let syncedAt = 0;
    let down = false;

    const documentOf = () => {
      const dialogs = [...calls].map(
        ([callId, step]) =>
          `<dialog id="${callId}" call-id="${callId}" direction="recipient"><state>${STATE[step]}</state>` +
          `<remote><identity>sip:${CLIENT}@127.0.0.1</identity></remote></dialog>`,
      );
      for (const [callId, step] of calls) if (step === "ended") calls.delete(callId);
      return `<?xml version="1.0"?><dialog-info ${NS} version="${++version}" state="full" entity="sip:101@127.0.0.1">${dialogs.join("")}</dialog-info>`;
    };
    /** Sends 101's full state; resolves with how the source answered, null when it could not be told. */
    const tell = (): Promise<"ok" | "refused" | null> =>
      notifier.notify("101", documentOf(), 30_000).then(
        (status) => {
          const ack = status === 200 ? "ok" : "refused";
          acks.push(ack);
          return ack;
        },
        () => null,
      );

    const notifier: FakeNotifier = startFakeNotifier({
      onSubscribe: () => void tell().then(() => firstNotifies++),
    });
    const source = createSipSource({
      wsUrl: notifier.wsUrl,
      extensions: ["101"],
      domain: "127.0.0.1",
      password: SECRET,
      log: options.log,
      liveCalls: options.liveCalls,
      backoff: options.backoff,
      random: options.random,
    });

    const pbx: LifecyclePbx = {
      source,
      secret: SECRET,
      acknowledges: true,
      callId: (name) => `call-${name}`,
      step(name, step) {
        // A call that ends unseen is gone by the time the source looks again.
        if (down && step === "ended") calls.delete(`call-${name}`);
        else calls.set(`call-${name}`, step);
        if (!down) void tell();
      },
      acks: () => acks,
      async roundTrip() {
        // Not dialog-info: answered 200 at once, after whatever the source sent before.
        await notifier.notify("101", "not a dialog-info document", 5_000);
      },
      links: () => notifier.connections,
      open: () => notifier.open,
      refused: () => notifier.attempts.filter((a) => a.refused).map((a) => a.at),
      async synced() {
        await waitUntil(() => firstNotifies > syncedAt, 20_000, "a new subscription's first NOTIFY answered");
        syncedAt = firstNotifies;
      },
      async offline() {
        down = true;
        notifier.offline(true);
      },
      async online() {
        down = false;
        notifier.offline(false);
      },
      async close() {
        notifier.stop();
      },
    };
    return pbx;
  },
});
