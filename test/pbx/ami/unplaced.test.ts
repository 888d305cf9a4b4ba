import { describe, expect, test } from "bun:test";
import type { AmiFrame } from "../../../src/pbx/ami/ami-fields.ts";
import { AmiTranslator, type AmiTranslatorOptions } from "../../../src/pbx/ami/ami-translate.ts";
import { UnplacedEndpoints } from "../../../src/pbx/ami/ami-unplaced.ts";

const channel = (name: string, context: string, callerId: string, uniqueid: string): AmiFrame => ({
  Event: "Newchannel",
  Channel: name,
  Context: context,
  CallerIDNum: callerId,
  Exten: "s",
  Uniqueid: uniqueid,
  Linkedid: uniqueid,
});

function translator(extensions: Set<string>, options: Partial<AmiTranslatorOptions> = {}) {
  const unplaced = new UnplacedEndpoints();
  const t = new AmiTranslator({
    source: "ami:test",
    knownExtensions: () => extensions,
    unplaced,
    ...options,
  });
  return { t, unplaced, list: () => unplaced.list((e) => !t.table.stillUnplaced(e)) };
}

describe("channels the box could not place are remembered by endpoint", () => {
  test("PJSIP/reception-a in context internal presenting 'reception': listed with count, first and last seen, context and caller id", () => {
    const { t, list } = translator(new Set(["101"]));
    t.translate(channel("PJSIP/reception-a-00000012", "internal", "reception", "1.1"), 1_000);
    t.translate(channel("PJSIP/reception-a-00000013", "internal", "reception", "2.1"), 5_000);
    expect(list()).toEqual([
      {
        endpoint: "PJSIP/reception-a",
        context: "internal",
        callerId: "reception",
        seen: 2,
        firstSeen: 1_000,
        lastSeen: 5_000,
      },
    ]);
  });

  test("a handset, a Local channel and a channel in a trunk context (configured, or FreePBX's from-pstn) are not listed", () => {
    const { t, list } = translator(new Set(["101"]), { trunkContexts: ["from-provider"] });
    t.translate(channel("PJSIP/101-00000001", "internal", "101", "1.1"), 1);
    t.translate(channel("Local/101@from-queue-00000002;1", "from-queue", "101", "2.1"), 2);
    t.translate(channel("PJSIP/provider-00000003", "from-provider", "+74951234567", "3.1"), 3);
    t.translate(channel("PJSIP/carrier-00000004", "from-pstn", "+74951234567", "4.1"), 4);
    expect(list()).toEqual([]);
  });

  test("once reception-a is a known extension its channels are handsets and it is no longer listed", () => {
    const extensions = new Set(["101"]);
    const { t, list } = translator(extensions);
    t.translate(channel("PJSIP/reception-a-00000012", "internal", "reception", "1.1"), 1);
    expect(list().map((e) => e.endpoint)).toEqual(["PJSIP/reception-a"]);
    extensions.add("reception-a");
    expect(list()).toEqual([]);
    const next = t.table.ensure(channel("PJSIP/reception-a-00000014", "internal", "reception", "3.1"), "", 9);
    expect(next?.kind).toBe("handset");
    expect(list()).toEqual([]);
  });

  test("bounded: 10,000 distinct endpoints keep the 100 seen last; one seen again becomes the most recent", () => {
    const unplaced = new UnplacedEndpoints(100);
    for (let i = 0; i < 10_000; i++) unplaced.seen(`PJSIP/phone-${i}`, "internal", null, i);
    expect(unplaced.size).toBe(100);
    unplaced.seen("PJSIP/phone-9900", "internal", null, 20_000);
    const listed = unplaced.list(() => false);
    expect(listed).toHaveLength(100);
    expect(listed[0]?.endpoint).toBe("PJSIP/phone-9900");
    expect(listed[1]?.endpoint).toBe("PJSIP/phone-9999");
    expect(listed.at(-1)?.endpoint).toBe("PJSIP/phone-9901");
  });

  test("what an earlier run kept is restored under what this run saw, still bounded", () => {
    const unplaced = new UnplacedEndpoints(3);
    unplaced.seen("PJSIP/new", "internal", null, 50);
    unplaced.restore([
      { endpoint: "PJSIP/a", context: null, callerId: null, seen: 1, firstSeen: 1, lastSeen: 1 },
      { endpoint: "PJSIP/b", context: null, callerId: null, seen: 1, firstSeen: 2, lastSeen: 2 },
      { endpoint: "PJSIP/c", context: null, callerId: null, seen: 1, firstSeen: 3, lastSeen: 3 },
    ]);
    expect(unplaced.list(() => false).map((e) => e.endpoint)).toEqual(["PJSIP/new", "PJSIP/c", "PJSIP/b"]);
  });
});
