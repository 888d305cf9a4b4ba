import type { PbxEvent } from "../../src/domain/call/pbx-event.ts";
import { AmiTranslator } from "../../src/pbx/ami/ami-translate.ts";
import { readTranscript } from "../support/ami-transcript.ts";
import { runCallScenarios } from "./run-call-scenarios.ts";

/** The AMI source's input per scenario: a transcript, and for a box starting mid-call a snapshot. */
const INPUT: Record<string, { transcript: string; snapshot?: string }> = {
  "inbound-front-desk-answered": { transcript: "inbound-front-desk-answered.ami" },
  "front-desk-off-shift-crm-login": { transcript: "inbound-front-desk-answered.ami" },
  "front-desk-visitor-from-branch-2": { transcript: "inbound-front-desk-answered.ami" },
  "front-desk-after-handover": { transcript: "inbound-front-desk-answered.ami" },
  "front-desk-nobody-on-shift-fallback": { transcript: "inbound-front-desk-answered.ami" },
  "ring-group-answered": { transcript: "ring-group-answered.ami" },
  "ring-group-missed": { transcript: "ring-group-missed.ami" },
  "ring-group-missed-fallback": { transcript: "ring-group-missed.ami" },
  "ring-group-answered-unmapped": { transcript: "ring-group-answered-unmapped.ami" },
  "ring-group-answered-unmapped-fallback": { transcript: "ring-group-answered-unmapped.ami" },
  "queue-answered": { transcript: "queue-answered.ami" },
  "caller-cancels": { transcript: "caller-cancels.ami" },
  busy: { transcript: "busy.ami" },
  "voicemail-message": { transcript: "voicemail-message.ami" },
  "voicemail-no-message": { transcript: "voicemail-no-message.ami" },
  "blind-transfer": { transcript: "blind-transfer.ami" },
  "blind-transfer-from-unmapped": { transcript: "blind-transfer-from-unmapped.ami" },
  "attended-transfer": { transcript: "attended-transfer.ami" },
  "attended-transfer-declined": { transcript: "attended-transfer-declined.ami" },
  "outbound-answered": { transcript: "outbound-answered.ami" },
  "internal-call": { transcript: "internal-call.ami" },
  "two-inbound-interleaved": { transcript: "two-inbound-interleaved.ami" },
  "mid-call-resync": { transcript: "mid-call-resync.ami", snapshot: "mid-call-resync.snapshot.ami" },
  "no-answer-dropped": { transcript: "no-answer-dropped.ami" },
  "no-answer-forwarded-answered": { transcript: "no-answer-forwarded-answered.ami" },
  "no-answer-forwarded-missed": { transcript: "no-answer-forwarded-missed.ami" },
};

/** What the AMI source delivers for a scenario: the resync first when the box starts mid-call. */
function amiEvents(input: { transcript: string; snapshot?: string }): PbxEvent[] {
  const translator = new AmiTranslator({ source: "ami:pbx.test" });
  const events: PbxEvent[] = [];
  if (input.snapshot !== undefined) {
    const snapshot = readTranscript(input.snapshot);
    const at = Math.round(Number(snapshot.headers["snapshot-at"]) * 1000);
    events.push(
      ...translator.resync(
        snapshot.frames.filter((f) => f.Event === "CoreShowChannel"),
        at,
      ),
    );
  }
  for (const frame of readTranscript(input.transcript).frames) events.push(...translator.translate(frame));
  return events;
}

runCallScenarios("AMI", (scenario) => {
  const input = INPUT[scenario.name];
  return input === undefined ? undefined : amiEvents(input);
});
