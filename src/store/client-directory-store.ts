import type { Database } from "bun:sqlite";
import type { DirectoryClient } from "../contract/down-records.ts";

/**
 * Headquarters' client directory: phone number (E.164) → client, with the directory's version.
 * Writes run inside the inbox's transaction.
 */
export interface ClientDirectoryStore {
  version(): number;
  count(): number;
  byNumber(e164: string): DirectoryClient | null;
  /** Replaces everything with `clients` at `version`. */
  replace(version: number, clients: readonly DirectoryClient[], now: number): void;
  /** Upserts and removes on top of the current directory and sets `version`. */
  patch(version: number, upsert: readonly DirectoryClient[], remove: readonly string[], now: number): void;
  /** Every client's number, name and responsible, for the routing to hold in memory (issue 16). */
  routingEntries(): { number: string; name: string; responsibleEmployeeId: string | null }[];
}

interface Row {
  number: string;
  client_id: string;
  name: string;
  responsible_employee_id: string | null;
  open_order: number;
  last_order_closed: number;
}

const VERSION_KEY = "clients.version";

export function clientDirectoryStore(db: Database): ClientDirectoryStore {
  const one = db.query<Row, [string]>(
    "SELECT number, client_id, name, responsible_employee_id, open_order, last_order_closed FROM client_directory WHERE number = ?",
  );
  const total = db.query<{ n: number }, []>("SELECT count(*) AS n FROM client_directory");
  const getVersion = db.query<{ value: string }, [string]>("SELECT value FROM hq_state WHERE key = ?");
  const setVersion = db.query(
    `INSERT INTO hq_state (key, value, updated_at) VALUES (?1, ?2, ?3)
     ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3`,
  );
  const clear = db.query("DELETE FROM client_directory");
  const upsertOne = db.query(
    `INSERT INTO client_directory (number, client_id, name, responsible_employee_id, open_order, last_order_closed)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
     ON CONFLICT (number) DO UPDATE SET client_id = ?2, name = ?3, responsible_employee_id = ?4, open_order = ?5,
       last_order_closed = ?6`,
  );
  const removeOne = db.query("DELETE FROM client_directory WHERE number = ?");
  const routing = db.query<{ number: string; name: string; responsible_employee_id: string | null }, []>(
    "SELECT number, name, responsible_employee_id FROM client_directory",
  );
  const put = (c: DirectoryClient) =>
    upsertOne.run(
      c.number,
      c.clientId,
      c.name,
      c.responsibleEmployeeId,
      c.openOrder ? 1 : 0,
      c.lastOrderClosed ? 1 : 0,
    );
  return {
    version: () => Number(getVersion.get(VERSION_KEY)?.value ?? 0),
    count: () => total.get()?.n ?? 0,
    byNumber: (e164) => {
      const r = one.get(e164);
      return r === null
        ? null
        : {
            number: r.number,
            clientId: r.client_id,
            name: r.name,
            responsibleEmployeeId: r.responsible_employee_id,
            openOrder: r.open_order === 1,
            lastOrderClosed: r.last_order_closed === 1,
          };
    },
    replace: (version, clients, now) => {
      clear.run();
      for (const c of clients) put(c);
      setVersion.run(VERSION_KEY, String(version), now);
    },
    routingEntries: () =>
      routing
        .all()
        .map((r) => ({ number: r.number, name: r.name, responsibleEmployeeId: r.responsible_employee_id })),
    patch: (version, upsert, remove, now) => {
      for (const number of remove) removeOne.run(number);
      for (const c of upsert) put(c);
      setVersion.run(VERSION_KEY, String(version), now);
    },
  };
}
