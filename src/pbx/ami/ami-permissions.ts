import { type AmiFrame, amiGet } from "./ami-parser.ts";

/**
 * The actions call control writes and the `write=` class each needs (asterisk/asterisk
 * `main/manager.c`, `ast_manager_register_xml_core`): Originate needs `originate`; Redirect,
 * Atxfer, BlindTransfer need `call`; Hangup `call` or `system`. CancelAtxfer (`call`) exists only
 * since 13.18/14.7/15.1, so its absence says nothing about the user.
 */
const NEEDED: readonly (readonly [action: string, writeClass: string])[] = [
  ["Originate", "originate"],
  ["Hangup", "call"],
  ["Redirect", "call"],
  ["BlindTransfer", "call"],
  ["Atxfer", "call"],
];

export interface ControlPermissions {
  /** null: could not be told (no answer, or the PBX refused ListCommands). */
  readonly ok: boolean | null;
  readonly detail: string;
  readonly fix?: string;
}

/**
 * Whether the AMI user may write what call control sends, from the answer to `ListCommands`:
 * Asterisk lists only the actions the session's `writeperm` allows (`action_listcommands` in
 * manager.c: `if ((s->session->writeperm & cur->authority) || cur->authority == 0)`), one header
 * per action (`Originate: Originate a call. (Priv: originate,all)`). So a missing header is a
 * missing permission, read from the PBX itself, on real Asterisk, without trying an action.
 */
export function controlPermissions(answer: AmiFrame | null): ControlPermissions {
  if (answer === null)
    return { ok: null, detail: "call control permissions not checked (no answer to ListCommands)" };
  if (amiGet(answer, "Response")?.toLowerCase() !== "success")
    return {
      ok: null,
      detail: `call control permissions not checked (ListCommands: ${amiGet(answer, "Message") ?? "refused"})`,
    };
  const missing = NEEDED.filter(([action]) => amiGet(answer, action) === undefined);
  if (missing.length === 0) return { ok: true, detail: "may write call and originate (call control)" };
  const classes = [...new Set(missing.map(([, c]) => c))].join(",");
  return {
    ok: false,
    detail: `may not send ${missing.map(([a]) => a).join(", ")}: call control will be refused`,
    fix: `give the AMI user write = call,originate in manager.conf (missing: ${classes}), then "manager reload"`,
  };
}

/** The actions the AstDB push writes (issue 16), all of the `system` class (main/db.c). */
const ASTDB_ACTIONS = ["DBPut", "DBDel", "DBDelTree"] as const;

/**
 * Whether the AMI user may keep the routing in Asterisk's database (R2.6 without a network call),
 * from the same ListCommands answer. Without it the box still routes through FastAGI, or the
 * PBX's own route takes every call: a warning, not a failure.
 */
export function routingPermissions(answer: AmiFrame | null): ControlPermissions {
  if (answer === null || amiGet(answer, "Response")?.toLowerCase() !== "success")
    return { ok: null, detail: "routing permissions not checked (no answer to ListCommands)" };
  const missing = ASTDB_ACTIONS.filter((action) => amiGet(answer, action) === undefined);
  if (missing.length === 0) return { ok: true, detail: "may write system (routing kept in AstDB)" };
  return {
    ok: false,
    detail: `may not send ${missing.join(", ")}: the routing (R2.6) cannot be kept in Asterisk's database; the dialplan asks FastAGI or takes the PBX's own route`,
    fix: 'add system to the AMI user\'s write in manager.conf (write = call,originate,system), then "manager reload"',
  };
}
