/**
 * Desk phones' action URLs (issue 17, control-rules §4): Yealink, Snom and Grandstream phones call
 * a URL on their own events. Each vendor names its events and its runtime variables differently;
 * this module is the one table per vendor that reads them into one `PhoneEvent`, and writes the
 * URL templates branch IT pastes into each phone. Pure: no I/O, no clock.
 *
 * ALWAYS enrichment only: a phone's call id is its own (Yealink's is a numeric handle, Grandstream
 * has none), so nothing here may create or end a call; the box joins a phone's events to the PBX's
 * legs by extension and time.
 */

export const PHONE_VENDORS = ["yealink", "snom", "grandstream"] as const;
export type PhoneVendor = (typeof PHONE_VENDORS)[number];

/** What a phone said, whatever its vendor calls it. */
export type PhoneEventKind =
  | "incoming"
  | "outgoing"
  | "answered"
  | "ended"
  | "missed"
  | "dnd_on"
  | "dnd_off"
  | "log_on"
  | "log_off"
  | "registered"
  | "unregistered";

export interface PhoneEvent {
  readonly kind: PhoneEventKind;
  /** The other party: the user part of `$remote` (a number or an extension); null when not sent. */
  readonly remote: string | null;
  /** `$display_remote`, the other party's name as the phone showed it. */
  readonly remoteName: string | null;
  /** The account in use (`$active_user`), or Snom's `$context_url` on log on/off. */
  readonly account: string | null;
  /** The phone's own call handle (Yealink `$call_id`, Snom `$call-id`); NEVER a PBX call id. */
  readonly phoneCallId: string | null;
  /** Snom's `$cancel_reason`: the CANCEL's Reason header ("answered elsewhere" vs the caller gave up). */
  readonly cancelReason: string | null;
}

interface VendorTable {
  /** The event's name in the box's URL path (the vendor's own setting name) → what it means. */
  readonly events: Readonly<Record<string, PhoneEventKind>>;
  /** Where branch IT puts an event's URL: the provisioning key or the web page's field. */
  readonly setting: (event: string) => string;
  /** Query name → the vendor's variable, as the template writes it (`remote=$remote`). */
  readonly variables: Readonly<Record<VariableName, string | null>>;
}

type VariableName = "remote" | "display_remote" | "active_user" | "call_id" | "context" | "cancel_reason";

/**
 * The vendors' documented events and variables (test/fixtures/phones/real/README.md cites each
 * source). A vendor's event missing here is answered PHONE.UNKNOWN_EVENT: the box reads only what
 * it knows the meaning of.
 */
export const VENDORS: Readonly<Record<PhoneVendor, VendorTable>> = {
  // Yealink: `action_url.<event>` in the phone's .cfg (Web UI: Features > Action URL). No log on/off.
  yealink: {
    events: {
      incoming_call: "incoming",
      outgoing_call: "outgoing",
      call_established: "answered",
      call_terminated: "ended",
      // The caller gave up while it rang: the ringing ends without a call_terminated.
      call_remote_canceled: "ended",
      missed_call: "missed",
      dnd_on: "dnd_on",
      dnd_off: "dnd_off",
      registered: "registered",
      unregistered: "unregistered",
      register_failed: "unregistered",
    },
    setting: (event) => `action_url.${event}`,
    variables: {
      remote: "$remote",
      display_remote: "$display_remote",
      active_user: "$active_user",
      call_id: "$call_id",
      context: null,
      cancel_reason: null,
    },
  },
  // Snom: `action_<event>_url` settings (Web UI: Advanced > Action URL Settings).
  snom: {
    events: {
      incoming: "incoming",
      outgoing: "outgoing",
      connected: "answered",
      disconnected: "ended",
      missed: "missed",
      dnd_on: "dnd_on",
      dnd_off: "dnd_off",
      log_on: "log_on",
      log_off: "log_off",
      // "Setup finished": booted and ready; Snom has no separate "registered" action.
      setup: "registered",
      reg_failed: "unregistered",
    },
    setting: (event) => (event === "reg_failed" ? "action_reg_failed" : `action_${event}_url`),
    variables: {
      remote: "$remote",
      display_remote: "$display_remote",
      active_user: "$active_user",
      call_id: "$call-id",
      context: "$context_url",
      cancel_reason: "$cancel_reason",
    },
  },
  // Grandstream: Settings > Outbound Notification > Action URL, one field per event (GXV, GRP, GXP).
  grandstream: {
    events: {
      incoming_call: "incoming",
      outgoing_call: "outgoing",
      establish_call: "answered",
      terminate_call: "ended",
      missed_call: "missed",
      dnd_on: "dnd_on",
      dnd_off: "dnd_off",
      registered: "registered",
      unregistered: "unregistered",
    },
    setting: (event) => GRANDSTREAM_FIELDS[event] ?? event,
    variables: {
      remote: "$remote",
      display_remote: "$display_remote",
      active_user: "$active_user",
      call_id: null,
      context: null,
      cancel_reason: null,
    },
  },
};

/** Grandstream's web fields (and GRP26xx P-values where the guide gives them). */
const GRANDSTREAM_FIELDS: Readonly<Record<string, string>> = {
  incoming_call: "Incoming Call (P8310)",
  outgoing_call: "Outgoing Call (P8311)",
  establish_call: "Establish Call",
  terminate_call: "Terminate Call",
  missed_call: "Missed Call",
  dnd_on: "DND On",
  dnd_off: "DND Off",
  registered: "Registered (P8305)",
  unregistered: "Unregistered (P8306)",
};

export type ReadPhoneEvent = { ok: true; event: PhoneEvent } | { ok: false; code: "PHONE.UNKNOWN_EVENT" };

/**
 * One request of a phone read into a PhoneEvent: `event` is the last path segment, `query` what
 * the template's variables became. A variable the phone did not fill (sent as written, `$remote`,
 * or empty: Snom blanks private settings) is null.
 */
export function readPhoneEvent(
  vendor: PhoneVendor,
  event: string,
  query: (name: string) => string | undefined,
): ReadPhoneEvent {
  const table = VENDORS[vendor];
  const kind = Object.hasOwn(table.events, event) ? table.events[event] : undefined;
  if (kind === undefined) return { ok: false, code: "PHONE.UNKNOWN_EVENT" };
  const value = (name: VariableName): string | null => {
    if (table.variables[name] === null) return null;
    const raw = query(name)?.trim().slice(0, 200);
    return raw === undefined || raw === "" || raw.startsWith("$") ? null : raw;
  };
  const remote = value("remote");
  return {
    ok: true,
    event: {
      kind,
      remote: remote === null ? null : sipUser(remote),
      remoteName: value("display_remote"),
      account: value("active_user") ?? sipUserOrNull(value("context")),
      phoneCallId: value("call_id"),
      cancelReason: value("cancel_reason"),
    },
  };
}

/** "sip:+79161234567@pbx.local;user=phone" → "+79161234567"; "\"Anna\" <sip:101@x>" → "101"; "101" → "101". */
export function sipUser(uri: string): string {
  const inner = /<([^>]*)>/.exec(uri)?.[1] ?? uri;
  const bare = inner.replace(/^sips?:/i, "");
  const at = bare.indexOf("@");
  return (at < 0 ? bare : bare.slice(0, at)).split(";")[0] ?? bare;
}

function sipUserOrNull(uri: string | null): string | null {
  return uri === null ? null : sipUser(uri);
}

export interface ActionUrlTemplate {
  /** Where it goes on the phone: the provisioning key, or the web page's field. */
  readonly setting: string;
  readonly event: string;
  readonly url: string;
}

/**
 * The URL to paste for every event of a vendor, `base` being the box as the phone reaches it
 * (`http://10.0.0.5:8080`). It holds the phone's token: show it only behind the admin token.
 */
export function actionUrlTemplates(vendor: PhoneVendor, base: string, token: string): ActionUrlTemplate[] {
  const table = VENDORS[vendor];
  const query = Object.entries(table.variables)
    .flatMap(([name, variable]) => (variable === null ? [] : [`${name}=${variable}`]))
    .join("&");
  return Object.keys(table.events).map((event) => ({
    setting: table.setting(event),
    event,
    url: `${base.replace(/\/+$/, "")}/phone/${token}/${event}?${query}`,
  }));
}
