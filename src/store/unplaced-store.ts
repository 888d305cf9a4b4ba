import type { Database } from "bun:sqlite";
import type { UnplacedEndpoint, UnplacedEndpointStore } from "../domain/call/pbx-endpoints.ts";

interface Row {
  source: string;
  endpoint: string;
  context: string | null;
  caller_id: string | null;
  seen: number;
  first_seen: number;
  last_seen: number;
}

const toEndpoint = (r: Row): UnplacedEndpoint => ({
  endpoint: r.endpoint,
  context: r.context,
  callerId: r.caller_id,
  seen: r.seen,
  firstSeen: r.first_seen,
  lastSeen: r.last_seen,
});

/** Every source's unplaced endpoints, most recent first (doctor reads them all). */
export function readUnplaced(
  db: Database,
): { readonly source: string; readonly endpoint: UnplacedEndpoint }[] {
  return db
    .query<Row, []>("SELECT * FROM pbx_unplaced ORDER BY source, last_seen DESC")
    .all()
    .map((r) => ({ source: r.source, endpoint: toEndpoint(r) }));
}

/** The PBX sources' unplaced endpoints in the box's database (table `pbx_unplaced`). */
export function unplacedStore(db: Database): UnplacedEndpointStore {
  const select = db.query<Row, [string]>("SELECT * FROM pbx_unplaced WHERE source = ? ORDER BY last_seen");
  const clear = db.query<null, [string]>("DELETE FROM pbx_unplaced WHERE source = ?");
  const insert = db.query<null, [string, string, string | null, string | null, number, number, number]>(
    "INSERT INTO pbx_unplaced (source, endpoint, context, caller_id, seen, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)",
  );
  const replace = db.transaction((source: string, endpoints: readonly UnplacedEndpoint[]) => {
    clear.run(source);
    for (const e of endpoints)
      insert.run(source, e.endpoint, e.context, e.callerId, e.seen, e.firstSeen, e.lastSeen);
  });
  return {
    load: (source) => select.all(source).map(toEndpoint),
    save: (source, endpoints) => {
      replace(source, endpoints);
    },
  };
}
