import { type AmiFrame, createAmiParser } from "../../src/pbx/ami/ami-parser.ts";

/**
 * What Asterisk's CEL (cel_custom, the sample mapping: test/fixtures/cel/real/asttest-cel_custom.conf)
 * would have written for the calls of an AMI transcript, as CSV lines: CHAN_START for Newchannel,
 * ANSWER for a channel going Up, HANGUP (with the Asterisk 12+ JSON extra: the cause, and the Dial
 * status of a channel that dialled) then CHAN_END for a Hangup, LINKEDID_END when a linkedid's last
 * channel is gone. Times as epoch seconds (cel.conf without `dateformat`). For tests of the gap
 * plumbing; the CEL translator itself is proven on real recordings (test/pbx/ami/cel-corpus.test.ts).
 */
export function celCsvOf(frameTexts: readonly string[]): string[] {
  const parser = createAmiParser({ expectBanner: false });
  const frames = frameTexts.flatMap((text) => parser.push(text));
  const linkedOf = new Map<string, string>();
  const live = new Map<string, Set<string>>();
  const dialStatus = new Map<string, string>();
  const answered = new Set<string>();
  const lines: string[] = [];
  const row = (type: string, f: AmiFrame, extra = "") => {
    const uniqueid = f.Uniqueid ?? "";
    const linkedid = linkedOf.get(uniqueid) ?? f.Linkedid ?? uniqueid;
    const fields = [
      type,
      f.Timestamp ?? "",
      f.CallerIDName ?? "",
      f.CallerIDNum ?? "",
      "",
      "",
      "",
      f.Exten ?? "",
      f.Context ?? "",
      f.Channel ?? "",
      "",
      "",
      "3",
      "",
      uniqueid,
      linkedid,
      "",
      "",
      "",
      extra,
    ];
    lines.push(fields.map((v) => `"${v.replace(/"/g, '""')}"`).join(","));
  };
  for (const f of frames) {
    const uniqueid = f.Uniqueid ?? "";
    switch (f.Event) {
      case "Newchannel": {
        const linkedid = f.Linkedid ?? uniqueid;
        linkedOf.set(uniqueid, linkedid);
        live.set(linkedid, (live.get(linkedid) ?? new Set()).add(uniqueid));
        row("CHAN_START", f);
        break;
      }
      case "Newstate":
        if (f.ChannelState === "6" && !answered.has(uniqueid) && linkedOf.has(uniqueid)) {
          answered.add(uniqueid);
          row("ANSWER", f);
        }
        break;
      case "DialEnd":
        if (f.DialStatus !== undefined) dialStatus.set(uniqueid, f.DialStatus);
        break;
      case "Hangup": {
        if (!linkedOf.has(uniqueid)) break;
        const extra = JSON.stringify({
          hangupcause: Number(f.Cause ?? 0),
          hangupsource: "",
          dialstatus: dialStatus.get(uniqueid) ?? "",
        });
        row("HANGUP", f, extra);
        row("CHAN_END", f);
        const linkedid = linkedOf.get(uniqueid) ?? uniqueid;
        const channels = live.get(linkedid);
        channels?.delete(uniqueid);
        if (channels?.size === 0) {
          live.delete(linkedid);
          row("LINKEDID_END", f);
        }
        linkedOf.delete(uniqueid);
        break;
      }
    }
  }
  return lines;
}
