import { SaxesParser, type SaxesTagNS } from "saxes";
import { type DomainError, fail, type Result } from "../../domain/errors.ts";

/**
 * RFC 4235 `application/dialog-info+xml`: the state of one watched entity's dialogs, as a SIP
 * server (Kamailio's presence_dialoginfo, Asterisk, FreeSWITCH, a hosted PBX's BLF) sends it in a
 * NOTIFY. A body comes from the network: it is parsed by a strict, namespace-aware streaming
 * parser (saxes) under limits checked while parsing, so a hostile body costs at most
 * `maxChars` of work and is refused with a coded error before anything acts on it:
 * - no DOCTYPE at all (saxes never expands DTD entities; refusing the DOCTYPE also refuses the
 *   "billion laughs" and external-entity tricks before they start), no undefined entities;
 * - at most `maxChars` characters, `maxDepth` levels, `maxElements` elements, `maxDialogs`
 *   dialogs and `maxTextChars` per text value or attribute;
 * - the root is `dialog-info` in the `urn:ietf:params:xml:ns:dialog-info` namespace; elements of
 *   other namespaces inside (vendor extensions) are skipped.
 * An empty body is the full state with no dialog: Kamailio sends one when nothing is published
 * for the entity (idle, or after its terminated dialogs expired).
 */

export const DIALOG_INFO_NS = "urn:ietf:params:xml:ns:dialog-info";

/** RFC 4235 §4.1.2 state values, in the order a dialog moves through them. */
export const DIALOG_STATES = ["trying", "proceeding", "early", "confirmed", "terminated"] as const;
export type DialogState = (typeof DIALOG_STATES)[number];

export interface Participant {
  /** The identity URI (`sip:101@pbx`, `tel:+74951234567`), or null. */
  readonly identity: string | null;
  /** The identity's `display` attribute (a caller name), or null. */
  readonly display: string | null;
  /** The target's `uri` attribute (the device's contact), or null. */
  readonly target: string | null;
}

export interface Dialog {
  readonly id: string;
  readonly callId: string | null;
  readonly localTag: string | null;
  readonly remoteTag: string | null;
  readonly direction: "initiator" | "recipient" | null;
  readonly state: DialogState;
  /** The state's `event` attribute (`cancelled`, `rejected`, `replaced`, `local-bye`, …), lower case. */
  readonly stateEvent: string | null;
  readonly local: Participant | null;
  readonly remote: Participant | null;
}

export interface DialogInfo {
  readonly version: number | null;
  readonly state: "full" | "partial";
  readonly entity: string | null;
  readonly dialogs: readonly Dialog[];
}

export type DialogInfoErrorCode =
  | "PBX.SIP_BODY_TOO_LARGE"
  | "PBX.SIP_BODY_TOO_COMPLEX"
  | "PBX.SIP_BODY_DOCTYPE"
  | "PBX.SIP_BODY_MALFORMED"
  | "PBX.SIP_BODY_NOT_DIALOG_INFO"
  | "PBX.SIP_BODY_INVALID";

export type DialogInfoError = DomainError<DialogInfoErrorCode>;

export type DialogInfoResult = Result<DialogInfo, DialogInfoError>;

export interface DialogInfoLimits {
  readonly maxChars: number;
  readonly maxDepth: number;
  readonly maxElements: number;
  readonly maxDialogs: number;
  readonly maxTextChars: number;
}

/** A real NOTIFY for one desk phone is under 2 KB; 64 KB holds ~60 dialogs with room to spare. */
export const DIALOG_INFO_LIMITS: DialogInfoLimits = {
  maxChars: 64 * 1024,
  maxDepth: 8,
  maxElements: 2_000,
  maxDialogs: 100,
  maxTextChars: 1_024,
};

class Refused extends Error {
  constructor(readonly error: DialogInfoError) {
    super(error.message);
  }
}

const refuse = (code: DialogInfoErrorCode, message: string): never => {
  throw new Refused({ code, message });
};

interface DialogDraft {
  attrs: Record<string, string>;
  state: string | null;
  stateEvent: string | null;
  local: PartyDraft | null;
  remote: PartyDraft | null;
}

interface PartyDraft {
  identity: string | null;
  display: string | null;
  target: string | null;
}

export function parseDialogInfo(
  body: string,
  limits: DialogInfoLimits = DIALOG_INFO_LIMITS,
): DialogInfoResult {
  if (body.length > limits.maxChars) {
    return fail("PBX.SIP_BODY_TOO_LARGE", `${body.length} characters, at most ${limits.maxChars}`);
  }
  if (body.trim() === "")
    return { ok: true, value: { version: null, state: "full", entity: null, dialogs: [] } };
  try {
    return { ok: true, value: walk(body, limits) };
  } catch (error) {
    if (error instanceof Refused) return { ok: false, error: error.error };
    return fail("PBX.SIP_BODY_MALFORMED", (error as Error).message.split("\n")[0] ?? "not XML");
  }
}

/** One pass over the body: the elements of the dialog-info namespace at their expected places. */
function walk(body: string, limits: DialogInfoLimits): DialogInfo {
  const parser = new SaxesParser({ xmlns: true, position: false });
  const path: string[] = [];
  let elements = 0;
  let root: Record<string, string> | null = null;
  const dialogs: DialogDraft[] = [];
  let dialog: DialogDraft | null = null;
  let party: PartyDraft | null = null;
  let text = "";

  parser.on("doctype", () => refuse("PBX.SIP_BODY_DOCTYPE", "a DOCTYPE is not allowed in dialog-info"));
  parser.on("error", (error) => {
    throw error;
  });
  parser.on("opentag", (tag: SaxesTagNS) => {
    elements++;
    if (path.length >= limits.maxDepth) refuse("PBX.SIP_BODY_TOO_COMPLEX", `deeper than ${limits.maxDepth}`);
    if (elements > limits.maxElements)
      refuse("PBX.SIP_BODY_TOO_COMPLEX", `more than ${limits.maxElements} elements`);
    const name = tag.uri === DIALOG_INFO_NS ? tag.local : `{${tag.uri}}${tag.local}`;
    const where = path.join("/");
    path.push(name);
    text = "";
    const attrs = plainAttributes(tag, limits);
    if (where === "") {
      if (name !== "dialog-info") {
        refuse("PBX.SIP_BODY_NOT_DIALOG_INFO", `root <${tag.local}> in namespace "${tag.uri}"`);
      }
      root = attrs;
    } else if (where === "dialog-info" && name === "dialog") {
      if (dialogs.length >= limits.maxDialogs)
        refuse("PBX.SIP_BODY_TOO_COMPLEX", `more than ${limits.maxDialogs} dialogs`);
      dialog = { attrs, state: null, stateEvent: null, local: null, remote: null };
      dialogs.push(dialog);
    } else if (dialog !== null && where === "dialog-info/dialog") {
      if (name === "state") dialog.stateEvent = attrs.event?.toLowerCase() ?? null;
      if (name === "local" || name === "remote") {
        party = { identity: null, display: null, target: null };
        dialog[name] ??= party;
      }
    } else if (party !== null && /^dialog-info\/dialog\/(local|remote)$/.test(where)) {
      if (name === "identity") party.display = attrs.display ?? null;
      if (name === "target") party.target = attrs.uri ?? null;
    }
  });
  parser.on("text", (chunk) => {
    if (text.length + chunk.length > limits.maxTextChars) {
      refuse("PBX.SIP_BODY_TOO_COMPLEX", `a text longer than ${limits.maxTextChars} characters`);
    }
    text += chunk;
  });
  parser.on("closetag", () => {
    const where = path.join("/");
    path.pop();
    if (dialog !== null && where === "dialog-info/dialog/state") dialog.state = text.trim();
    if (party !== null && /^dialog-info\/dialog\/(local|remote)\/identity$/.test(where)) {
      party.identity = text.trim() || null;
    }
    if (where === "dialog-info/dialog/local" || where === "dialog-info/dialog/remote") party = null;
    if (where === "dialog-info/dialog") dialog = null;
    text = "";
  });
  parser.write(body).close();
  if (root === null) return refuse("PBX.SIP_BODY_NOT_DIALOG_INFO", "no root element");
  return document(root, dialogs);
}

function plainAttributes(tag: SaxesTagNS, limits: DialogInfoLimits): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const attr of Object.values(tag.attributes)) {
    if (attr.value.length > limits.maxTextChars) {
      refuse("PBX.SIP_BODY_TOO_COMPLEX", `an attribute longer than ${limits.maxTextChars} characters`);
    }
    // Unprefixed attributes have no namespace (XML Namespaces §6.3): those are RFC 4235's.
    if (attr.uri === "") attrs[attr.local] = attr.value;
  }
  return attrs;
}

function document(root: Record<string, string>, drafts: readonly DialogDraft[]): DialogInfo {
  const state = root.state?.toLowerCase();
  if (state !== "full" && state !== "partial") {
    refuse("PBX.SIP_BODY_INVALID", `dialog-info state "${root.state ?? ""}", expected full or partial`);
  }
  const version = root.version === undefined ? null : Number(root.version);
  if (version !== null && !(Number.isSafeInteger(version) && version >= 0)) {
    refuse("PBX.SIP_BODY_INVALID", `dialog-info version "${root.version}"`);
  }
  return {
    version,
    state: state as "full" | "partial",
    entity: root.entity ?? null,
    dialogs: drafts.map(toDialog),
  };
}

function toDialog(draft: DialogDraft): Dialog {
  const a = draft.attrs;
  if (a.id === undefined || a.id === "") refuse("PBX.SIP_BODY_INVALID", "a dialog without an id");
  const state = draft.state?.toLowerCase() ?? "";
  if (!(DIALOG_STATES as readonly string[]).includes(state)) {
    refuse("PBX.SIP_BODY_INVALID", `dialog ${a.id}: state "${draft.state ?? ""}"`);
  }
  const direction = a.direction?.toLowerCase();
  return {
    id: a.id as string,
    callId: a["call-id"] || null,
    localTag: a["local-tag"] || null,
    remoteTag: a["remote-tag"] || null,
    direction: direction === "initiator" || direction === "recipient" ? direction : null,
    state: state as DialogState,
    stateEvent: draft.stateEvent,
    local: draft.local,
    remote: draft.remote,
  };
}

/** The rank of a state in a dialog's life: a NOTIFY that goes backwards is stale. */
export function stateRank(state: DialogState): number {
  return DIALOG_STATES.indexOf(state);
}
