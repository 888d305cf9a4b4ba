import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { DIALOG_INFO_LIMITS, type DialogInfo, parseDialogInfo } from "./dialog-info.ts";

/** Real NOTIFY bodies from Kamailio 5.6 pua_dialoginfo (the SIP lab), and a vendor's partial one. */
const fixture = (name: string): string =>
  readFileSync(join(import.meta.dir, "../../../test/fixtures/sip", name), "utf8");

const parsed = (body: string): DialogInfo => {
  const result = parseDialogInfo(body);
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
};

const codeOf = (body: string) => {
  const result = parseDialogInfo(body);
  return result.ok ? "ok" : result.error.code;
};

describe("dialog-info parsing", () => {
  test("Kamailio's early NOTIFY: ids, tags, direction, both identities and targets", () => {
    expect(parsed(fixture("101-early.xml"))).toEqual({
      version: 2,
      state: "full",
      entity: "sip:101@127.0.0.1",
      dialogs: [
        {
          id: "padi-6b015caa-3250-1",
          callId: "c419b3890ff862b4",
          localTag: "596b9479dba87058",
          remoteTag: "cf679594dfa09531",
          direction: "recipient",
          state: "early",
          stateEvent: null,
          remote: {
            identity: "sip:103@127.0.0.1",
            display: null,
            target: "sip:103-0x55f109880cc0@127.0.0.1:5300",
          },
          local: {
            identity: "sip:101@127.0.0.1",
            display: null,
            target: "sip:101-0x55ec106d6cc0@127.0.0.1:5100",
          },
        },
      ],
    });
  });

  test("confirmed and terminated carry no tags; the caller's `Trying` reads as trying", () => {
    const confirmed = parsed(fixture("101-confirmed.xml")).dialogs[0];
    expect(confirmed?.state).toBe("confirmed");
    expect(confirmed?.localTag).toBeNull();
    expect(parsed(fixture("101-terminated.xml")).dialogs[0]?.state).toBe("terminated");
    const trying = parsed(fixture("103-trying.xml")).dialogs[0];
    expect(trying?.state).toBe("trying");
    expect(trying?.direction).toBe("initiator");
  });

  test("several dialogs in one NOTIFY, a lingering terminated one among them, display names", () => {
    const info = parsed(fixture("101-two-dialogs.xml"));
    expect(info.dialogs.map((d) => [d.callId, d.state])).toEqual([
      ["c419b3890ff862b4", "terminated"],
      ["5a1f0e29c1d1b6a7", "early"],
    ]);
    expect(info.dialogs[1]?.remote?.display).toBe("Иван Петров");
  });

  test("prefixed namespace, partial state, any case, state event, entities, vendor elements skipped", () => {
    const info = parsed(fixture("partial-vendor.xml"));
    expect(info.state).toBe("partial");
    expect(info.version).toBe(12);
    expect(info.dialogs).toEqual([
      {
        id: "d1",
        callId: "abc@host",
        localTag: null,
        remoteTag: null,
        direction: "initiator",
        state: "terminated",
        stateEvent: "cancelled",
        local: null,
        remote: { identity: "tel:+74950000000", display: "Front & desk", target: null },
      },
    ]);
  });

  test("an empty body is the full state with no dialog (Kamailio: nothing published)", () => {
    for (const body of ["", "  \r\n"]) {
      expect(parsed(body)).toEqual({ version: null, state: "full", entity: null, dialogs: [] });
    }
    const none = `<dialog-info xmlns="${"urn:ietf:params:xml:ns:dialog-info"}" version="0" state="full" entity="sip:101@x"/>`;
    expect(parsed(none).dialogs).toEqual([]);
  });
});

describe("dialog-info: bad and hostile bodies are refused with a code", () => {
  const NS = 'xmlns="urn:ietf:params:xml:ns:dialog-info"';
  const doc = (inner: string) => `<dialog-info ${NS} version="1" state="full">${inner}</dialog-info>`;

  test("billion laughs: refused at the DOCTYPE, fast, nothing expanded", () => {
    const lol = `<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? "" : i};`.repeat(10)}">`).join("")}]>
<dialog-info ${NS} version="1" state="full"><dialog id="x"><state>&lol9;</state></dialog></dialog-info>`;
    const started = performance.now();
    expect(codeOf(lol)).toBe("PBX.SIP_BODY_DOCTYPE");
    expect(performance.now() - started).toBeLessThan(50);
  });

  test("external entities and a DOCTYPE of any kind are refused", () => {
    const xxe = `<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>${doc('<dialog id="a"><state>&x;</state></dialog>')}`;
    expect(codeOf(xxe)).toBe("PBX.SIP_BODY_DOCTYPE");
    expect(codeOf(`<!DOCTYPE dialog-info>${doc("")}`)).toBe("PBX.SIP_BODY_DOCTYPE");
  });

  test("an entity nobody declared is malformed XML, not an empty string", () => {
    expect(codeOf(doc('<dialog id="a"><state>&lol;</state></dialog>'))).toBe("PBX.SIP_BODY_MALFORMED");
  });

  test("a huge body is refused before parsing, in no time", () => {
    const huge = doc(`<dialog id="a"><state>early</state></dialog>`.repeat(20_000));
    const started = performance.now();
    expect(codeOf(huge)).toBe("PBX.SIP_BODY_TOO_LARGE");
    expect(performance.now() - started).toBeLessThan(5);
  });

  test("deep nesting, too many elements, too many dialogs, a giant text: too complex", () => {
    const deep = doc(`${"<x>".repeat(5_000)}${"</x>".repeat(5_000)}`);
    expect(codeOf(deep)).toBe("PBX.SIP_BODY_TOO_COMPLEX");
    expect(codeOf(doc("<x/>".repeat(3_000)))).toBe("PBX.SIP_BODY_TOO_COMPLEX");
    const many = doc(
      Array.from({ length: 101 }, (_, i) => `<dialog id="${i}"><state>early</state></dialog>`).join(""),
    );
    expect(codeOf(many)).toBe("PBX.SIP_BODY_TOO_COMPLEX");
    expect(codeOf(doc(`<dialog id="a"><state>${"e".repeat(2_000)}</state></dialog>`))).toBe(
      "PBX.SIP_BODY_TOO_COMPLEX",
    );
    expect(codeOf(doc(`<dialog id="${"a".repeat(2_000)}"><state>early</state></dialog>`))).toBe(
      "PBX.SIP_BODY_TOO_COMPLEX",
    );
  });

  test("numeric character references cannot grow a body past its size", () => {
    const refs = doc(`<dialog id="a"><state>${"&#65;".repeat(200)}</state></dialog>`);
    expect(codeOf(refs)).toBe("PBX.SIP_BODY_INVALID");
  });

  test("wrong root, wrong namespace, no namespace: not dialog-info", () => {
    expect(codeOf('<presence xmlns="urn:ietf:params:xml:ns:pidf"/>')).toBe("PBX.SIP_BODY_NOT_DIALOG_INFO");
    expect(codeOf('<dialog-info xmlns="urn:evil" version="1" state="full"/>')).toBe(
      "PBX.SIP_BODY_NOT_DIALOG_INFO",
    );
    expect(codeOf('<dialog-info version="1" state="full"/>')).toBe("PBX.SIP_BODY_NOT_DIALOG_INFO");
  });

  test("not XML, unclosed, two roots: malformed", () => {
    for (const body of [
      "hello",
      `<dialog-info ${NS}>`,
      `${doc("")}${doc("")}`,
      `<dialog-info ${NS}><dialog></dialog-info></dialog>`,
    ]) {
      expect(codeOf(body)).toBe("PBX.SIP_BODY_MALFORMED");
    }
  });

  test("unknown state values, a dialog without id, a bad version: invalid", () => {
    expect(codeOf(doc('<dialog id="a"><state>ringing</state></dialog>'))).toBe("PBX.SIP_BODY_INVALID");
    expect(codeOf(doc("<dialog><state>early</state></dialog>"))).toBe("PBX.SIP_BODY_INVALID");
    expect(codeOf(doc('<dialog id="a"></dialog>'))).toBe("PBX.SIP_BODY_INVALID");
    expect(codeOf(`<dialog-info ${NS} version="1" state="half"/>`)).toBe("PBX.SIP_BODY_INVALID");
    expect(codeOf(`<dialog-info ${NS} version="-3" state="full"/>`)).toBe("PBX.SIP_BODY_INVALID");
  });

  test("property: any string, and any mangling of a real body, is parsed or refused with a code, within its size", () => {
    const real = fixture("101-two-dialogs.xml");
    const mangled = fc
      .tuple(fc.nat(real.length), fc.nat(real.length), fc.string({ maxLength: 40 }))
      .map(([a, b, insert]) => real.slice(0, Math.min(a, b)) + insert + real.slice(Math.max(a, b)));
    const codes = new Set<string>();
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), mangled), (body) => {
        const result = parseDialogInfo(body);
        codes.add(result.ok ? "ok" : result.error.code);
        if (result.ok) {
          expect(result.value.dialogs.length).toBeLessThanOrEqual(DIALOG_INFO_LIMITS.maxDialogs);
        } else {
          expect(result.error.code).toMatch(/^PBX\.SIP_BODY_/);
          expect(result.error.message.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1_000 },
    );
    expect(codes.has("ok")).toBe(true);
    expect(codes.has("PBX.SIP_BODY_MALFORMED")).toBe(true);
  });
});
