import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  actionUrlTemplates,
  PHONE_VENDORS,
  type PhoneVendor,
  readPhoneEvent,
  sipUser,
  VENDORS,
} from "./action-urls.ts";

interface VendorDoc {
  readonly events: readonly string[];
  readonly variables: Readonly<Record<string, string>>;
  readonly examples: readonly string[];
}

const REAL = join(import.meta.dir, "../../../test/fixtures/phones/real");
const doc = (vendor: PhoneVendor): VendorDoc =>
  JSON.parse(readFileSync(join(REAL, `${vendor}.json`), "utf8"));

/** A template filled in as the phone does: each `$variable` replaced by its value (or left, if unknown). */
function filled(url: string, values: Readonly<Record<string, string>>): URL {
  return new URL(url.replace(/\$[a-z_-]+/g, (v) => encodeURIComponent(values[v] ?? v)));
}

const fromUrl = (url: URL) => (name: string) => url.searchParams.get(name) ?? undefined;

describe("the vendors' tables against their documentation", () => {
  for (const vendor of PHONE_VENDORS) {
    test(`${vendor}: every event the box reads is one the vendor documents`, () => {
      const documented = doc(vendor).events;
      const settings = Object.keys(VENDORS[vendor].events).map((event) => {
        const setting = VENDORS[vendor].setting(event);
        if (vendor === "yealink") return setting.replace(/^action_url\./, "");
        if (vendor === "snom") return setting.replace(/^action_/, "").replace(/_url$/, "");
        return setting.replace(/ \(P\d+\)$/, "");
      });
      expect(settings.filter((s) => !documented.includes(s))).toEqual([]);
    });

    test(`${vendor}: every variable the templates use is one the vendor documents`, () => {
      const [template] = actionUrlTemplates(vendor, "http://10.0.0.5:8080", "t".repeat(32));
      const used = [...(template?.url.matchAll(/\$[a-z_-]+/g) ?? [])].map((m) => m[0]);
      expect(used.length).toBeGreaterThan(0);
      expect(used.filter((v) => !(v in doc(vendor).variables))).toEqual([]);
    });
  }

  test("the issue's events are all read: incoming, answered, ended, missed, DND, registration (all); outgoing; log on/off (Snom)", () => {
    const kinds = (vendor: PhoneVendor) => new Set(Object.values(VENDORS[vendor].events));
    for (const vendor of PHONE_VENDORS)
      for (const kind of [
        "incoming",
        "outgoing",
        "answered",
        "ended",
        "missed",
        "dnd_on",
        "dnd_off",
      ] as const)
        expect(kinds(vendor).has(kind)).toBe(true);
    expect(kinds("snom").has("log_on") && kinds("snom").has("log_off")).toBe(true);
    for (const vendor of PHONE_VENDORS) expect(kinds(vendor).has("registered")).toBe(true);
  });
});

describe("readPhoneEvent", () => {
  test("Snom's documented example `callingto=$remote&callingid=$local`: $remote is the other party's SIP URI", () => {
    const [example] = doc("snom").examples.filter((e) => e.includes("$remote"));
    const url = filled((example as string).replace("192.168.X.X", "box"), {
      $remote: "sip:+79161234567@pbx.branch.local",
      $local: "sip:101@pbx.branch.local",
    });
    expect(sipUser(url.searchParams.get("callingto") as string)).toBe("+79161234567");
    expect(sipUser(url.searchParams.get("callingid") as string)).toBe("101");
  });

  test("a Yealink incoming call through the box's own template: caller, its name, the account and the phone's call handle", () => {
    const template = actionUrlTemplates("yealink", "http://10.0.0.5:8080", "tok").find(
      (t) => t.event === "incoming_call",
    );
    const url = filled(template?.url as string, {
      $remote: "sip:+79161234567@10.0.0.2",
      $display_remote: "Иван Петров",
      $active_user: "101",
      $call_id: "33093",
    });
    expect(url.pathname).toBe("/phone/tok/incoming_call");
    expect(readPhoneEvent("yealink", "incoming_call", fromUrl(url))).toEqual({
      ok: true,
      event: {
        kind: "incoming",
        remote: "+79161234567",
        remoteName: "Иван Петров",
        account: "101",
        phoneCallId: "33093",
        cancelReason: null,
      },
    });
  });

  test("Snom: $call-id (with its hyphen), $cancel_reason, and $context_url naming the identity on log on", () => {
    const byEvent = (event: string) =>
      actionUrlTemplates("snom", "http://box", "tok").find((t) => t.event === event)?.url as string;
    const missed = filled(byEvent("missed"), {
      $remote: "sip:200@pbx",
      "$call-id": "3c2d5a1e@10.0.0.31",
      $cancel_reason: 'SIP;cause=200;text="Call completed elsewhere"',
    });
    expect(missed.searchParams.get("call_id")).toBe("3c2d5a1e@10.0.0.31");
    expect(readPhoneEvent("snom", "missed", fromUrl(missed))).toMatchObject({
      ok: true,
      event: { kind: "missed", remote: "200", cancelReason: 'SIP;cause=200;text="Call completed elsewhere"' },
    });
    const logOn = filled(byEvent("log_on"), { $context_url: "sip:102@pbx.branch.local" });
    expect(readPhoneEvent("snom", "log_on", fromUrl(logOn))).toMatchObject({
      ok: true,
      event: { kind: "log_on", account: "102" },
    });
  });

  test("Grandstream has no call id: none is read even if a query carries one", () => {
    const read = readPhoneEvent(
      "grandstream",
      "establish_call",
      (n) => ({ remote: "74951234567", call_id: "9" })[n],
    );
    expect(read).toMatchObject({
      ok: true,
      event: { kind: "answered", remote: "74951234567", phoneCallId: null },
    });
  });

  test("a variable the phone did not fill (left as `$remote`, or blanked) reads as unknown, not as a number", () => {
    const read = readPhoneEvent("snom", "incoming", (n) => ({ remote: "$remote", display_remote: "" })[n]);
    expect(read).toMatchObject({ ok: true, event: { remote: null, remoteName: null } });
  });

  test("an event the vendor's table lacks, or another vendor's name, is PHONE.UNKNOWN_EVENT", () => {
    expect(readPhoneEvent("yealink", "mute", () => undefined)).toEqual({
      ok: false,
      code: "PHONE.UNKNOWN_EVENT",
    });
    expect(readPhoneEvent("snom", "call_established", () => undefined)).toEqual({
      ok: false,
      code: "PHONE.UNKNOWN_EVENT",
    });
    expect(readPhoneEvent("yealink", "constructor", () => undefined)).toEqual({
      ok: false,
      code: "PHONE.UNKNOWN_EVENT",
    });
  });
});

test("sipUser reads the user part of the forms phones send", () => {
  expect(sipUser("sip:+79161234567@pbx.local;user=phone")).toBe("+79161234567");
  expect(sipUser('"Anna" <sip:101@10.0.0.2:5060>')).toBe("101");
  expect(sipUser("74951234567")).toBe("74951234567");
});
