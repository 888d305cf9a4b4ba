import {
  type Ack,
  ackSchema,
  hqPresenceSchema,
  type Presence,
  presenceSchema,
} from "../../contract/protocol.ts";
import { describeIssues } from "../../lib/zod-issues.ts";

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

function parseJson(payload: Buffer): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(payload.toString("utf8")) as unknown };
  } catch {
    return { ok: false, reason: "malformed JSON" };
  }
}

/** HQ's cumulative ack on `down/ack`, checked against the protocol schema. */
export function parseAck(payload: Buffer): Parsed<Ack> {
  const json = parseJson(payload);
  if (!json.ok) return json;
  const result = ackSchema.safeParse(json.value);
  return result.success
    ? { ok: true, value: result.data }
    : { ok: false, reason: describeIssues(result.error.issues, "") };
}

/**
 * The retained `branchbox/v1/hq/state`. An empty payload is a cleared retained message: HQ is not
 * known to be online. Anything unreadable counts as offline too: the backlog waits rather than
 * being sent to nobody.
 */
export function parseHqOnline(payload: Buffer): Parsed<boolean> {
  if (payload.length === 0) return { ok: true, value: false };
  const json = parseJson(payload);
  if (!json.ok) return json;
  const result = hqPresenceSchema.safeParse(json.value);
  return result.success ? { ok: true, value: result.data.online } : { ok: false, reason: "not an HQ state" };
}

/** The branch's own retained state (our birth, or an old connection's Last Will); null if unreadable or cleared. */
export function parsePresence(payload: Buffer): Presence | null {
  const json = parseJson(payload);
  if (!json.ok) return null;
  const result = presenceSchema.safeParse(json.value);
  return result.success ? result.data : null;
}
