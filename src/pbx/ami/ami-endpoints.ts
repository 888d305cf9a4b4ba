import type {
  PbxEndpoint,
  PbxEndpointKind,
  PbxEndpointList,
  PbxEndpointQuery,
} from "../../domain/call/pbx-endpoints.ts";
import type { Instant } from "../../domain/roster/types.ts";
import type { AmiListResult } from "./ami-actions.ts";
import { type AmiFrame, field } from "./ami-fields.ts";

/**
 * The PBX's endpoint lists: PJSIP's (res_pjsip, `EndpointList` events) and chan_sip's (`PeerEntry`).
 * A PBX has either or both; the AMI user needs the `system` write class (SIPpeers: or `reporting`).
 */
export const ENDPOINT_ACTIONS = ["PJSIPShowEndpoints", "SIPpeers"] as const;

/** How many endpoints a list keeps for display: a PBX may have thousands; the counts cover all. */
export const ENDPOINT_LIMIT = 500;

/** An action's answer, or why there was none (timeout, link down). */
export type EndpointAnswer =
  | { readonly ok: true; readonly value: AmiListResult }
  | { readonly ok: false; readonly error: { readonly message: string } };

/** Whether the box knows an endpoint name as an extension, guesses it is one, or neither. */
export type Placement = (name: string) => "mapped" | "guessed" | null;

const KIND_ORDER: readonly PbxEndpointKind[] = ["unmapped", "trunk", "guessed", "mapped"];

/**
 * The lists as branch IT needs them: which endpoints the box will take for phones (mapped, or
 * guessed by FreePBX's conventions), which look like trunks, and which phones nobody mapped —
 * those first. A trunk is judged from what the list carries (neither list shows a context):
 * - PJSIP: outbound auth (`OutboundAuths`): the PBX authenticates to the far end, as to a provider
 *   it registers with; a phone authenticates to the PBX (`Auths`) instead;
 * - chan_sip: `Dynamic: no`: a fixed host (a provider, another PBX); phones register (dynamic).
 * An endpoint the box knows is mapped whatever it looks like: it is a handset on every call.
 */
export function readEndpointLists(
  answers: readonly { readonly action: string; readonly answer: EndpointAnswer }[],
  placement: Placement,
  at: Instant,
): PbxEndpointList {
  const queries: PbxEndpointQuery[] = [];
  const endpoints: PbxEndpoint[] = [];
  for (const { action, answer } of answers) {
    const { query, listed } = readOne(action, answer, placement);
    queries.push(query);
    endpoints.push(...listed);
  }
  const counts: Record<PbxEndpointKind, number> = { mapped: 0, guessed: 0, trunk: 0, unmapped: 0 };
  for (const endpoint of endpoints) counts[endpoint.kind]++;
  endpoints.sort(
    (a, b) =>
      KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
      a.endpoint.localeCompare(b.endpoint, "en", { numeric: true }),
  );
  return { at, queries, endpoints: endpoints.slice(0, ENDPOINT_LIMIT), counts };
}

function readOne(
  action: string,
  answer: EndpointAnswer,
  placement: Placement,
): { query: PbxEndpointQuery; listed: PbxEndpoint[] } {
  if (!answer.ok)
    return { query: { action, outcome: "failed", detail: answer.error.message, count: 0 }, listed: [] };
  const { response, items } = answer.value;
  if (field(response, "Response")?.toLowerCase() !== "success") {
    const message = field(response, "Message") ?? "refused";
    // Asterisk's manager.c: "Permission denied" when the user lacks the action's class;
    // "Invalid/unknown command: SIPpeers. …" when no module registered it (no chan_sip).
    const outcome = /permission denied/i.test(message)
      ? "denied"
      : /invalid\/unknown command/i.test(message)
        ? "absent"
        : "failed";
    return { query: { action, outcome, detail: message, count: 0 }, listed: [] };
  }
  const listed = items.flatMap((item) => {
    const endpoint = endpointOf(item, placement);
    return endpoint === null ? [] : [endpoint];
  });
  return { query: { action, outcome: "listed", detail: `${listed.length}`, count: listed.length }, listed };
}

function endpointOf(item: AmiFrame, placement: Placement): PbxEndpoint | null {
  const name = field(item, "ObjectName");
  if (name === null) return null;
  const event = field(item, "Event");
  let tech: string;
  let why: string | null = null;
  let state: string | null;
  if (event === "EndpointList") {
    tech = "PJSIP";
    const outbound = field(item, "OutboundAuths");
    if (outbound !== null) why = `outbound auth ${outbound}`;
    state = field(item, "DeviceState");
  } else if (event === "PeerEntry") {
    tech = field(item, "Channeltype") ?? "SIP";
    if (field(item, "Dynamic")?.toLowerCase() === "no") {
      const host = field(item, "IPaddress");
      why = host === null || host === "-none-" ? "static host" : `static host ${host}`;
    }
    state = field(item, "Status");
  } else {
    return null;
  }
  const placed = placement(name);
  const kind: PbxEndpointKind =
    placed === "mapped" ? "mapped" : why !== null ? "trunk" : (placed ?? "unmapped");
  return { endpoint: `${tech}/${name}`, kind, why, state };
}
