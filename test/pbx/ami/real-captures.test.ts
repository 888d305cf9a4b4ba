import { describe, expect, test } from "bun:test";
import {
  captureDifferences,
  expectedCapture,
  replayCapture,
  summarize,
} from "../../support/real-captures.ts";

/**
 * Real third-party captures (test/fixtures/ami/real/, provenance in README.md there) replayed as a
 * branch would, its phones known by device name (issue 12: handsets are known, not guessed), and
 * compared with expected.json: every call, no phantom, no Local channel or trunk as a leg.
 * `npm run corpus:ami` shows the captures that are still wrong and why.
 */
function proves(file: string, name: string): void {
  test(`${file}: ${name}`, () => {
    const capture = expectedCapture(file);
    const replay = replayCapture(capture);
    expect(captureDifferences(capture, replay)).toEqual([]);
    expect(replay.calls.map(summarize).map(({ direction, outcome }) => ({ direction, outcome }))).toEqual(
      capture.calls.map(({ direction, outcome }) => ({ direction, outcome })),
    );
  });
}

describe("real AMI captures by others, with the branch's handsets known", () => {
  proves(
    "vg-internal-answered.ami",
    "VoIPGRID chan_sip device 150010001 presenting 201 is a handset: the internal call 201 → 202 is answered by 150010002",
  );
  proves(
    "vg-internal-rejected.ami",
    "the called phone rejecting (486) makes the internal call busy, its leg busy, nobody answering",
  );
  proves(
    "vg-internal-caller-cancels.ami",
    "the caller hanging up while 202 rings is one missed internal call, the rung leg cancelled",
  );
  proves(
    "vg-ringgroup-answered.ami",
    "a ring group reached through Local channels is answered by 150010002; 150010003 (cause 26) is cancelled, not missed",
  );
  proves(
    "vg-ringgroup-all-decline.ami",
    "a ring group whose every phone declines is one busy call with both legs busy",
  );
  proves(
    "vg-blind-xfer-by-callee.ami",
    "a blind transfer by the callee: 150010002 transferred, 150010003 completed, one internal call",
  );
  proves(
    "vg-blind-xfer-to-ringgroup.ami",
    "an inbound trunk call blind-transferred to a ring group: the phone that did not answer is cancelled, not missed",
  );
  proves(
    "vg-blind-xfer-target-rejects.ami",
    "a blind transfer the target rejects leaves the call answered and the target's leg busy",
  );
  proves(
    "vg-attended-xfer-by-callee.ami",
    "an attended transfer by the callee with no TransferTarget fields: the consultation is absorbed, 150010003 who answered it completes the call",
  );
  proves(
    "vg-attended-xfer-by-caller.ami",
    "an attended transfer by the caller: 150010001 transferred, 150010002 and the consulted 150010003 complete one call",
  );
  proves(
    "vg-blonde-xfer-inbound.ami",
    "a blonde transfer (completed while 202 still rings): 150010002 answers the caller; the consultation's NOANSWER makes no call",
  );
  proves(
    "vg-queue-answered.ami",
    "a queue whose members are Local/ID… channels is answered by 150010002; the busy member is no missed call",
  );
  proves(
    "vg-queue-abandoned.ami",
    "the caller abandoning a queue is one missed inbound call; app_queue's duplicate DialEnd changes nothing",
  );
  proves(
    "vg-click-to-dial-account-world.ami",
    "R2.1: an originated click-to-dial is one outbound call placed by 201, who was rung first, to +31260010001, answered when the client's trunk channel answers",
  );
  proves(
    "vg-forward-302.ami",
    "a phone forwarding (302) to 202 gives one inbound call answered by 150010002; the forwarding phone did not miss it",
  );
  proves(
    "vg-pickup-sip-replaces.ami",
    "150010003 picking up (INVITE with Replaces) the call ringing on 150010002: one call answered by 150010003, no second call",
  );
  proves(
    "vg-pickup-star8.ami",
    "150010003 dialling *8 to pick up the call ringing on 150010002: one call answered by it, no call to *8, 150010002 not missed",
  );
  proves(
    "vg11-outbound-trunk.ami",
    "Asterisk 11 (AMI 1.x, no Linkedid): the handset, its Local pair and the trunk it dials are one outbound call, answered, no phantom inbound call from the trunk",
  );
  proves(
    "vg11-queue-answered.ami",
    "Asterisk 11 queue: the member named by AgentCalled as a Local channel is joined to the caller's call, which 150010001 answers, not the Local member",
  );
  proves(
    "vg11-pickup-masquerade.ami",
    "Asterisk 11 pickup by Masquerade and Renames: 123450003 answers the call, 123450002 is cancelled, though Uniqueid …1221.109 ends up named after the picking phone",
  );
  proves(
    "goami2-chansip-outbound-chanvars.ami",
    "tenant device 9170-12 places an outbound call answered by the far end, though its DialEnd came glued to a Newexten",
  );
  proves(
    "doc-ami2-local-optimization.ami",
    "a Local pair optimised away (LocalBridge, LocalOptimizationBegin/End) between gonzo and kermit: one internal call to kermit answered by PJSIP/kermit, no Local channel as a party, the abridged `...` lines skipped",
  );
});
