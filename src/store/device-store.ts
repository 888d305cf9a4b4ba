import type { Database } from "bun:sqlite";
import type { AuditRow } from "./roster-store.ts";

/** A kiosk or desk screen paired with the box (issue 14, item 8). */
export interface DeviceRow {
  readonly id: number;
  readonly name: string;
  readonly pairedAt: number;
  /** The peer address the device paired from. */
  readonly pairedFrom: string;
  readonly lastSeenAt: number;
  readonly lastSeenFrom: string;
}

/** Paired devices, found by the hash of their cookie's token; the token itself is never stored. */
export interface DeviceStore {
  /** Pairs a device and writes `audit`, in one transaction. */
  add(
    device: { tokenHash: string; name: string; at: number; from: string },
    audit: Omit<AuditRow, "id">,
  ): DeviceRow;
  byTokenHash(tokenHash: string): DeviceRow | null;
  seen(id: number, at: number, from: string): void;
  /** Newest pairing first. */
  list(): DeviceRow[];
  /** Forgets the device (its token no longer pairs anything) and writes `audit`; false when unknown. */
  remove(id: number, audit: (device: DeviceRow) => Omit<AuditRow, "id">): boolean;
}

interface Row {
  id: number;
  name: string;
  paired_at: number;
  paired_from: string;
  last_seen_at: number;
  last_seen_from: string;
}

const COLUMNS = "id, name, paired_at, paired_from, last_seen_at, last_seen_from";

const device = (r: Row): DeviceRow => ({
  id: r.id,
  name: r.name,
  pairedAt: r.paired_at,
  pairedFrom: r.paired_from,
  lastSeenAt: r.last_seen_at,
  lastSeenFrom: r.last_seen_from,
});

export function deviceStore(db: Database): DeviceStore {
  const insert = db.query<Row, [string, string, number, string, number, string]>(
    `INSERT INTO kiosk_devices (token_hash, name, paired_at, paired_from, last_seen_at, last_seen_from)
     VALUES (?, ?, ?, ?, ?, ?) RETURNING ${COLUMNS}`,
  );
  const byHash = db.query<Row, [string]>(`SELECT ${COLUMNS} FROM kiosk_devices WHERE token_hash = ?`);
  const byId = db.query<Row, [number]>(`SELECT ${COLUMNS} FROM kiosk_devices WHERE id = ?`);
  const all = db.query<Row, []>(`SELECT ${COLUMNS} FROM kiosk_devices ORDER BY id DESC`);
  const touch = db.query("UPDATE kiosk_devices SET last_seen_at = ?, last_seen_from = ? WHERE id = ?");
  const remove = db.query("DELETE FROM kiosk_devices WHERE id = ?");
  const insertAudit = db.query("INSERT INTO audit (at, actor_id, action, detail) VALUES (?, ?, ?, ?)");
  const audited = (audit: Omit<AuditRow, "id">) =>
    insertAudit.run(audit.at, audit.actorId, audit.action, audit.detail);
  return {
    add: db.transaction((d: { tokenHash: string; name: string; at: number; from: string }, audit) => {
      const row = insert.get(d.tokenHash, d.name, d.at, d.from, d.at, d.from) as Row;
      audited(audit);
      return device(row);
    }),
    byTokenHash: (tokenHash) => {
      const row = byHash.get(tokenHash);
      return row === null ? null : device(row);
    },
    seen: (id, at, from) => {
      touch.run(at, from, id);
    },
    list: () => all.all().map(device),
    remove: db.transaction((id: number, audit: (device: DeviceRow) => Omit<AuditRow, "id">) => {
      const row = byId.get(id);
      if (row === null) return false;
      remove.run(id);
      audited(audit(device(row)));
      return true;
    }),
  };
}
