// Asterisk's database actions as main/db.c answers them (asterisk/asterisk @ f0c1c1a,
// `manager_dbput`, `manager_dbdel`, `manager_dbdeltree`), for the AMI peer: an in-memory AstDB
// keyed by the full key `/family/key`, and manager.c's "Permission denied" for a user without
// the `system` write class (`action_find` … `report_req_not_allowed`).
import type { AmiFrame } from "../../src/pbx/ami/ami-parser.ts";
import type { PeerIo } from "./ami-peer.ts";

export interface AstdbPeer {
  /** The database: `/branchbox/resp/79161234567` → `104`. */
  readonly db: Map<string, string>;
  /** Every DB action received, as `DBPut branchbox resp/… = 104`, in order. */
  readonly actions: string[];
  /** When true, every DB action is answered "Permission denied" (no `system` write class). */
  denied: boolean;
  /** Answer DBPut of keys matching this with "Failed to update entry" (a full disk on the PBX). */
  failPut: RegExp | null;
  /** The peer's `act` hook. */
  act(action: AmiFrame, io: PeerIo): boolean;
  /** The family's keys without the family, for comparisons. */
  family(name: string): Record<string, string>;
}

export function astdbPeer(): AstdbPeer {
  const db = new Map<string, string>();
  const actions: string[] = [];
  const peer: AstdbPeer = {
    db,
    actions,
    denied: false,
    failPut: null,
    act(action, io) {
      const name = (action.Action ?? "").toLowerCase();
      if (!["dbput", "dbdel", "dbdeltree", "dbget"].includes(name)) return false;
      const reply = (ok: boolean, message: string) =>
        io.send({
          Response: ok ? "Success" : "Error",
          ...(io.actionId === undefined ? {} : { ActionID: io.actionId }),
          Message: message,
        });
      const family = action.Family ?? "";
      const key = action.Key ?? "";
      actions.push(
        name === "dbput"
          ? `DBPut ${family} ${key} = ${action.Val ?? ""}`
          : name === "dbdel"
            ? `DBDel ${family} ${key}`
            : `${action.Action} ${family}${key === "" ? "" : ` ${key}`}`,
      );
      if (peer.denied) {
        reply(false, "Permission denied");
        return true;
      }
      if (family === "") {
        reply(false, name === "dbput" ? "No family specified" : "No family specified.");
        return true;
      }
      const full = `/${family}/${key}`;
      switch (name) {
        case "dbput":
          if (key === "") reply(false, "No key specified");
          else if (peer.failPut?.test(key)) reply(false, "Failed to update entry");
          else {
            db.set(full, action.Val ?? "");
            reply(true, "Updated database successfully");
          }
          return true;
        case "dbdel":
          if (key === "") reply(false, "No key specified.");
          else if (db.delete(full)) reply(true, "Key deleted successfully");
          else reply(false, "Database entry could not be deleted");
          return true;
        case "dbdeltree": {
          const prefix = key === "" ? `/${family}/` : `/${family}/${key}/`;
          let n = 0;
          for (const k of [...db.keys()])
            if (k.startsWith(prefix) || k === prefix.slice(0, -1)) {
              db.delete(k);
              n++;
            }
          if (n === 0) reply(false, "Database entry not found");
          else reply(true, "Key tree deleted successfully");
          return true;
        }
        default:
          return false;
      }
    },
    family(name) {
      const prefix = `/${name}/`;
      return Object.fromEntries(
        [...db].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]),
      );
    },
  };
  return peer;
}
