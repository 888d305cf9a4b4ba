import { describe, expect, test } from "bun:test";
import { AmiTranslator, type AmiTranslatorOptions } from "../../../src/pbx/ami/ami-translate.ts";

/** How the translator takes a channel's first event: kind and extension (issue 12, first bullet). */
function classify(
  options: Omit<AmiTranslatorOptions, "source">,
  channel: string,
  context: string,
  callerId = "<unknown>",
) {
  const translator = new AmiTranslator({ source: "ami:test", ...options });
  const frame = {
    Event: "Newchannel",
    Channel: channel,
    Context: context,
    CallerIDNum: callerId,
    Uniqueid: "1.1",
    Linkedid: "1.1",
  };
  const state = translator.table.ensure(frame, "", 0);
  return { kind: state?.kind, extension: state?.extension };
}

const known = (...extensions: string[]) => ({ knownExtensions: () => new Set(extensions) });
const handset = (extension: string) => ({ kind: "handset" as const, extension });
const TRUNK = { kind: "trunk" as const, extension: null };

describe("handsets are known, not guessed", () => {
  test("a device whose name is a known extension is a handset whatever its digits and context", () => {
    expect(classify(known("150010001"), "SIP/150010001-00000004", "osvpi_account")).toEqual(
      handset("150010001"),
    );
    expect(classify(known("9170-12"), "SIP/9170-12-00000001", "default")).toEqual(handset("9170-12"));
  });

  test("a phone whose device name is no extension is the known extension it presents, in any context", () => {
    expect(classify(known("101"), "PJSIP/reception-a-00000001", "mikopbx-internal", "101")).toEqual(
      handset("101"),
    );
  });

  test("auto profile: FreePBX's guess in every context while the box knows no extension, then only in FreePBX's phone contexts", () => {
    expect(classify({}, "PJSIP/106-00000001", "default")).toEqual(handset("106"));
    expect(classify(known("101"), "PJSIP/106-00000001", "from-internal")).toEqual(handset("106"));
    expect(classify(known("101"), "SIP/5551-00000001", "default")).toEqual(TRUNK);
    expect(classify({ handsetPattern: /^2\d\d$/ }, "PJSIP/106-00000001", "default")).toEqual(TRUNK);
    expect(classify(known("101"), "PJSIP/101-00000001", "from-pstn")).toEqual(TRUNK);
  });

  test("freepbx profile: the known extensions and FreePBX's guess; its trunk contexts are trunks", () => {
    const freepbx = { ...known("reception-a"), profile: "freepbx" as const };
    expect(classify(freepbx, "PJSIP/106-00000001", "from-internal")).toEqual(handset("106"));
    expect(classify(freepbx, "PJSIP/reception-a-00000001", "from-internal")).toEqual(handset("reception-a"));
    expect(classify(freepbx, "PJSIP/106-00000001", "from-pstn")).toEqual(TRUNK);
  });

  test("known profile: only the known are handsets, FreePBX's contexts mean nothing", () => {
    expect(classify({ profile: "known" }, "PJSIP/101-00000001", "from-internal", "101")).toEqual(TRUNK);
    expect(classify({ profile: "known", ...known("101") }, "PJSIP/101-00000001", "from-pstn")).toEqual(
      handset("101"),
    );
  });

  test("handset_pattern makes matching endpoints and presented caller ids handsets", () => {
    const pattern = { handsetPattern: /^2\d\d$/ };
    expect(classify(pattern, "SIP/201-00000001", "default")).toEqual(handset("201"));
    expect(classify(pattern, "SIP/desk-00000001", "default", "202")).toEqual(handset("202"));
  });

  test("a channel created in a configured trunk context is never a handset, even on a known name", () => {
    const options = { ...known("101"), trunkContexts: ["from-operator"] };
    expect(classify(options, "SIP/101-00000001", "from-operator")).toEqual(TRUNK);
  });

  test("a Local channel is never a handset, even named after a known extension", () => {
    expect(classify(known("101"), "Local/101@from-queue-00000001;1", "from-queue").kind).toBe("local");
  });
});
