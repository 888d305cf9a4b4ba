import type { PbxView } from "../../service/calls-port.ts";

/** What the screens say of the phone system: none configured, configured but not linked, linked. */
export type PbxLink = "none" | "down" | "up";

/** Linked when any PBX source is connected (issue 14, item 9: say it, do not show "no calls"). */
export function pbxLinkOf(view: PbxView): PbxLink {
  if (view.sources.length === 0) return "none";
  return view.sources.some(({ status }) => status.state === "connected") ? "up" : "down";
}
