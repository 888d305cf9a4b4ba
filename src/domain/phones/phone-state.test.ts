import { describe, expect, test } from "bun:test";
import type { PhoneEvent, PhoneEventKind } from "./action-urls.ts";
import { applyPhoneEvent, type PhoneState, pickedUpBy, UNKNOWN_PHONE } from "./phone-state.ts";

const ev = (kind: PhoneEventKind, remote: string | null = null): PhoneEvent => ({
  kind,
  remote,
  remoteName: null,
  account: null,
  phoneCallId: null,
  cancelReason: null,
});

const run = (...steps: [PhoneEvent, number][]): PhoneState =>
  steps.reduce((state, [event, at]) => applyPhoneEvent(state, event, at), UNKNOWN_PHONE);

describe("a phone's state from its events", () => {
  test("rings from the caller, talks with them, goes idle; the answer keeps the caller when it names nobody", () => {
    expect(run([ev("incoming", "+79161234567"), 1]).activity).toEqual({
      state: "ringing",
      remote: "+79161234567",
      since: 1,
    });
    const talking = run([ev("incoming", "+79161234567"), 1], [ev("answered"), 5]);
    expect(talking.activity).toEqual({ state: "talking", remote: "+79161234567", since: 5 });
    expect(applyPhoneEvent(talking, ev("ended"), 9)).toMatchObject({
      activity: { state: "idle" },
      last: { kind: "ended", at: 9 },
    });
  });

  test("DND, log on/off and registration are kept apart from the call activity", () => {
    const state = run(
      [ev("registered"), 1],
      [ev("dnd_on"), 2],
      [ev("log_off"), 3],
      [ev("incoming", "200"), 4],
    );
    expect(state).toMatchObject({
      registered: true,
      dnd: true,
      loggedOn: false,
      activity: { state: "ringing" },
    });
    expect(run([ev("unregistered"), 1]).registered).toBe(false);
    expect(UNKNOWN_PHONE).toMatchObject({ registered: null, dnd: null, loggedOn: null, last: null });
  });

  test("a missed call ends the ringing", () => {
    expect(run([ev("incoming", "200"), 1], [ev("missed"), 20]).activity).toEqual({ state: "idle" });
  });
});

describe("pickedUpBy: joined by extension and time, never by the phone's call id", () => {
  test("the answer nearest the PBX's, within 5 s", () => {
    const answers = [
      { phoneId: "a", at: 10_000 },
      { phoneId: "b", at: 13_500 },
    ];
    expect(pickedUpBy(answers, 12_800)?.phoneId).toBe("b");
    expect(pickedUpBy(answers, 10_400)?.phoneId).toBe("a");
  });

  test("no answer within 5 s: nobody, rather than a guess", () => {
    expect(pickedUpBy([{ phoneId: "a", at: 10_000 }], 15_001)).toBeNull();
    expect(pickedUpBy([], 1)).toBeNull();
  });
});
