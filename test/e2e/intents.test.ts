// The CRM intents end to end (issue 16): AMI captures played by a scripted Asterisk into the
// compiled box (`serve --demo`, [pbx.ami] on the peer, [mqtt] on a real Mosquitto) → up/intents →
// the compiled `branchbox hq` → its records API. HQ's side of the down streams (the client
// directory, the settings) is a plain MQTT client publishing as HQ would. One call per matrix cell
// a capture can make (R3.4; R3.5, R3.6, R3.7, R3.8, R3.9 by their lettered cells; R3.10; R2.7):
// before each, HQ sends the directory that cell needs and waits until the box applied it; after
// it, HQ must hold exactly the intents the matrix says, with their rule ids.
import { expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { type DownStream, topics } from "../../src/contract/protocol.ts";
import { type AmiPeer, startAmiPeer, transcriptFrames } from "../support/ami-peer.ts";
import { TRANSCRIPTS } from "../support/ami-transcript.ts";
import { startMosquitto } from "../support/mosquitto.ts";
import { makeTestDir, type Running, startBranchbox } from "../support/process.ts";
import {
  ADMIN_TOKEN,
  eventually,
  type StoredRecord,
  SyncSystem,
  withSystem,
} from "../support/sync-system.ts";
import { down } from "../sync/inbound-fixtures.ts";

const AMI = { username: "branchbox", secret: "intents-secret-16" };

/**
 * A capture's frames as the PBX would write them now for case `k`: every call id and bridge id made
 * its own (so the journal takes it as a new call), times moved so that the last frame is now.
 */
function played(file: string, k: number): string[] {
  const text = readFileSync(join(TRANSCRIPTS, file), "utf8")
    .replace(/(?<!Timestamp: )\b(\d{10})\.(\d+)\b/g, (_, s, n) => `${Number(s) + k * 100_000}.${n}`)
    .replace(/\b[0-9a-f]{8}(-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\b/g, (_, rest) => {
      return `${k.toString(16).padStart(8, "0")}${rest}`;
    });
  const frames = transcriptFrames(text);
  const stamps = frames.map((f) => Number(/^Timestamp: (\S+)/m.exec(f)?.[1] ?? Number.NaN));
  const shift = Date.now() / 1000 - Math.max(...stamps.filter((s) => !Number.isNaN(s)));
  return frames.map((f) =>
    f.replace(/^Timestamp: (\S+)/m, (_, t) => `Timestamp: ${(Number(t) + shift).toFixed(6)}`),
  );
}

interface Directory {
  readonly number: string;
  readonly responsibleEmployeeId: string;
  readonly openOrder: boolean;
  readonly lastOrderClosed: boolean;
}

const open = (number: string, responsibleEmployeeId: string): Directory => ({
  number,
  responsibleEmployeeId,
  openOrder: true,
  lastOrderClosed: false,
});
const closed = (number: string, responsibleEmployeeId: string): Directory => ({
  number,
  responsibleEmployeeId,
  openOrder: false,
  lastOrderClosed: true,
});

const FRONT = "+79161234567"; // inbound-front-desk-answered.ami: answered at 101 (anna on shift)
const UNMAPPED = "+79857001234"; // ring-group-answered-unmapped.ami: 106, nobody's, answers
const GROUP_MISSED = "+79267770011"; // ring-group-missed.ami
const CANCELS = "+79167003344"; // caller-cancels.ami
const DIALLED = "+74951112233"; // outbound-answered.ami: sergey (102) dials 84951112233
const VOICEMAIL = "+79264445566"; // voicemail-message.ami: to sergey (102), a message left

/** The client's number in each capture, as E.164: what every intent of its call must name. */
const NUMBER_OF: Readonly<Record<string, string>> = {
  "inbound-front-desk-answered.ami": FRONT,
  "ring-group-answered-unmapped.ami": UNMAPPED,
  "ring-group-missed.ami": GROUP_MISSED,
  "caller-cancels.ami": CANCELS,
  "outbound-answered.ami": DIALLED,
  "voicemail-message.ami": VOICEMAIL,
};

interface Case {
  readonly rule: string;
  readonly file: string;
  readonly client: Directory | null;
  readonly settings?: object;
  /** `type purpose assignee-or-responsible rule`, in order. */
  readonly intents: readonly string[];
}

const SENIOR = { seniorManagerId: "sergey" };

const CASES: readonly Case[] = [
  {
    rule: "R3.4",
    file: "inbound-front-desk-answered.ami",
    client: null,
    intents: [
      "crm.client.create anna R3.4",
      "crm.order.create anna R3.4",
      "crm.task.create call-logged anna R3.4",
    ],
  },
  {
    rule: "R3.5a",
    file: "inbound-front-desk-answered.ami",
    client: open(FRONT, "anna"),
    intents: ["crm.task.create call-logged anna R3.5a"],
  },
  {
    rule: "R3.5b",
    file: "inbound-front-desk-answered.ami",
    client: open(FRONT, "sergey"),
    intents: ["crm.task.create call-logged anna R3.5b", "crm.task.create review-call sergey R3.5b"],
  },
  {
    rule: "R3.5c",
    file: "ring-group-answered-unmapped.ami",
    client: open(UNMAPPED, "anna"),
    intents: ["crm.task.create check-settings sergey R3.5c"],
  },
  {
    rule: "R3.6a",
    file: "inbound-front-desk-answered.ami",
    client: closed(FRONT, "anna"),
    intents: [
      "crm.client.reopen R3.6a",
      "crm.task.create call-logged anna R3.6a",
      "crm.order.create anna R3.6a",
    ],
  },
  {
    rule: "R3.6b",
    file: "inbound-front-desk-answered.ami",
    client: closed(FRONT, "sergey"),
    intents: [
      "crm.task.create call-logged anna R3.6b",
      "crm.client.reassign sergey->anna R3.6b",
      "crm.task.create review-call sergey R3.6b",
      "crm.order.create anna R3.6b",
    ],
  },
  {
    rule: "R3.7a",
    file: "ring-group-missed.ami",
    client: open(GROUP_MISSED, "anna"),
    intents: ["crm.task.create distribute sergey R3.7a"],
  },
  {
    rule: "R3.7b",
    file: "caller-cancels.ami",
    client: null,
    intents: [
      "crm.client.create sergey R3.7b",
      "crm.order.create sergey R3.7b",
      "crm.task.create distribute sergey R3.7b",
    ],
  },
  {
    rule: "R3.8a",
    file: "outbound-answered.ami",
    client: open(DIALLED, "sergey"),
    intents: ["crm.task.create call-logged sergey R3.8a"],
  },
  {
    rule: "R3.8b",
    file: "outbound-answered.ami",
    client: open(DIALLED, "anna"),
    intents: ["crm.task.create call-logged sergey R3.8b", "crm.task.create review-call anna R3.8b"],
  },
  { rule: "R3.8c", file: "outbound-answered.ami", client: null, intents: [] },
  {
    rule: "R3.9a",
    file: "voicemail-message.ami",
    client: null,
    intents: [
      "crm.client.create sergey R3.9a",
      "crm.order.create sergey R3.9a",
      "crm.task.create call-back sergey R3.9a",
    ],
  },
  {
    rule: "R3.9b",
    file: "voicemail-message.ami",
    client: open(VOICEMAIL, "anna"),
    intents: ["crm.task.create call-back anna R3.9b"],
  },
  {
    rule: "R2.7",
    file: "inbound-front-desk-answered.ami",
    client: null,
    settings: { unknownNumbers: "unsorted", unsortedPipelines: { "74957654321": "Продажи" } },
    intents: ["crm.unsorted.create Продажи R2.7"],
  },
];

const brief = (r: StoredRecord): string => {
  const d = r.data as Record<string, string | null>;
  const who =
    r.type === "crm.client.reassign"
      ? `${d.from}->${d.to}`
      : r.type === "crm.unsorted.create"
        ? d.pipeline
        : (d.assigneeEmployeeId ?? d.responsibleEmployeeId);
  return [r.type, d.purpose, who, d.rule].filter((part) => part !== undefined && part !== null).join(" ");
};

/** HQ publishing down as `branchbox hq`'s integrator would: its own seq per stream. */
async function hqDown(url: string) {
  const client = await mqtt.connectAsync(url, {
    protocolVersion: 5,
    clientId: "hq-down",
    reconnectPeriod: 0,
  });
  const seqs = new Map<DownStream, number>();
  return {
    async send(stream: DownStream, type: string, data: unknown): Promise<number> {
      const seq = (seqs.get(stream) ?? 0) + 1;
      seqs.set(stream, seq);
      await client.publishAsync(
        topics.down("demo", stream),
        JSON.stringify(down(stream, seq, [{ type, data }])),
        {
          qos: 1,
        },
      );
      return seq;
    },
    close: () => client.endAsync(),
  };
}

/** A metric line of the box's /metrics, e.g. `branchbox_sync_down_seq{stream="clients"}`. */
async function metric(box: Running, line: string): Promise<number> {
  const text = await (
    await fetch(`${box.baseUrl}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  ).text();
  const found = text.split("\n").find((l) => l.startsWith(`${line} `));
  return found === undefined ? Number.NaN : Number(found.slice(line.length + 1));
}

test("R3.4–R3.10, R2.7 end to end: AMI captures → the compiled box → Mosquitto → `branchbox hq`: HQ holds each call's intents, with their rule ids", async () => {
  const sys = new SyncSystem();
  let peer: AmiPeer | null = null;
  let box: Running | null = null;
  const dir = makeTestDir("intents-e2e");
  await withSystem(sys, async () => {
    const broker = sys.watch(await startMosquitto());
    const hq = await sys.startHq({ url: broker.url });
    peer = await startAmiPeer(AMI);
    box = await startBranchbox({
      args: ["serve", "--demo"],
      dir,
      env: {
        BRANCHBOX_HTTP_ADMIN_TOKEN: ADMIN_TOKEN,
        BRANCHBOX_PBX_AMI_HOST: "127.0.0.1",
        BRANCHBOX_PBX_AMI_PORT: String(peer.port),
        BRANCHBOX_PBX_AMI_USERNAME: AMI.username,
        BRANCHBOX_PBX_AMI_SECRET: AMI.secret,
        BRANCHBOX_MQTT_URL: broker.url,
      },
    });
    const running = box;
    const ami = peer;
    await eventually("the box's AMI login", () => ami.open() > 0, 15_000);
    const checkIn = await fetch(`${running.baseUrl}/api/v1/roster/check-in`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        employeeId: "anna",
        deskId: "front",
        at: new Date(Date.now() - 3_600_000).toISOString(),
      }),
    });
    expect(checkIn.status).toBe(200);
    const hqPub = await hqDown(broker.url);
    const applied = (stream: DownStream, seq: number) =>
      eventually(
        `the box to apply ${stream} seq ${seq}`,
        async () => (await metric(running, `branchbox_sync_down_seq{stream="${stream}"}`)) >= seq,
        15_000,
      );
    const intentsAtHq = () => sys.hqRecords(hq, "intents");
    const callsAtHq = () => sys.hqRecords(hq, "calls");

    try {
      for (const [k, c] of CASES.entries()) {
        const settings = await hqPub.send("settings", "settings.update", { ...SENIOR, ...c.settings });
        await applied("settings", settings);
        const clients = c.client === null ? [] : [{ ...c.client, clientId: `k-${k}`, name: `Клиент ${k}` }];
        await applied(
          "clients",
          await hqPub.send("clients", "clients.snapshot", { version: k + 1, clients }),
        );
        const callsBefore = (await callsAtHq()).length;
        const intentsBefore = (await intentsAtHq()).length;
        ami.sendRaw(played(c.file, k + 1).join(""));
        await eventually(
          `${c.rule}: the call at HQ`,
          async () => (await callsAtHq()).length > callsBefore,
          20_000,
        );
        const [call] = (await callsAtHq()).slice(callsBefore);
        const callId = (call?.data as { id: string } | undefined)?.id ?? "(no call)";
        if (c.intents.length > 0)
          await eventually(
            `${c.rule}: the intents at HQ`,
            async () => (await intentsAtHq()).length >= intentsBefore + c.intents.length,
            20_000,
          );
        // The box's own count says every intent of this call was written and acknowledged.
        await eventually(
          `${c.rule}: the box's intents all acknowledged`,
          async () =>
            (await metric(running, 'branchbox_sync_acked_seq{stream="intents"}')) ===
            (await metric(running, "branchbox_crm_intents_total")),
          20_000,
        );
        const got = (await intentsAtHq()).slice(intentsBefore);
        expect({ rule: c.rule, intents: got.map(brief) }).toEqual({ rule: c.rule, intents: [...c.intents] });
        for (const [i, r] of got.entries()) {
          expect(r.id).toBe(`${callId}:${i + 1}`);
          expect(r.data).toMatchObject({ callId, number: NUMBER_OF[c.file] });
        }
      }

      // R3.10: "create before pickup": the client and order reach HQ while the call still rings.
      const settings = await hqPub.send("settings", "settings.update", {
        ...SENIOR,
        crmMode: "create-before-pickup",
      });
      await applied("settings", settings);
      await applied(
        "clients",
        await hqPub.send("clients", "clients.snapshot", { version: CASES.length + 1, clients: [] }),
      );
      const frames = played("inbound-front-desk-answered.ami", CASES.length + 1);
      const answer = frames.findIndex((f) => /^Event: DialEnd\r?\n/m.test(f));
      const before = (await intentsAtHq()).length;
      ami.sendRaw(frames.slice(0, answer).join(""));
      await eventually(
        "R3.10: the start's intents at HQ",
        async () => (await intentsAtHq()).length >= before + 2,
        20_000,
      );
      expect((await intentsAtHq()).slice(before).map(brief)).toEqual([
        "crm.client.create sergey R3.10",
        "crm.order.create sergey R3.10",
      ]);
      ami.sendRaw(frames.slice(answer).join(""));
      await eventually(
        "R3.10: the after-call task at HQ",
        async () => (await intentsAtHq()).length >= before + 3,
        20_000,
      );
      const after = (await intentsAtHq()).slice(before);
      expect(after.map(brief)).toEqual([
        "crm.client.create sergey R3.10",
        "crm.order.create sergey R3.10",
        "crm.task.create call-logged anna R3.4",
      ]);
      expect(after.map((r) => r.id.replace(/^[^:]+/, ""))).toEqual([":start:1", ":start:2", ":1"]);
    } finally {
      await hqPub.close();
    }
  }).finally(async () => {
    await box?.stop();
    await peer?.close();
  });
  if (process.env.KEEP_TEST_DIRS === undefined) rmSync(dir, { recursive: true, force: true });
}, 240_000);
