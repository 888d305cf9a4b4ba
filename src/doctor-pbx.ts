import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config/schema.ts";
import type { PbxEndpointList, UnplacedEndpoint } from "./domain/call/pbx-endpoints.ts";
import { en } from "./i18n/en.ts";
import { DB_FILE } from "./store/db.ts";
import { readUnplaced } from "./store/unplaced-store.ts";

/** A doctor line (see doctor.ts). */
export interface PbxCheck {
  readonly name: string;
  readonly status: "OK" | "WARN" | "FAIL";
  readonly detail: string;
  readonly fix?: string;
}

/** How many endpoints of the PBX's list doctor prints (the counts cover all). */
const PRINTED = 40;
const INDENT = "\n      ";

/** Opens the box's database read-only, or null when there is none yet (or it cannot be read). */
function openReadOnly(dir: string): Database | null {
  const path = join(dir, DB_FILE);
  if (!existsSync(path)) return null;
  try {
    return new Database(path, { readonly: true });
  } catch {
    return null;
  }
}

/** The branch's extensions as the box takes them: desks', staff's (from the database), `[pbx.ami] handsets`. */
export function knownExtensions(config: Config): Set<string> {
  const known = new Set([...config.desks.map((d) => d.extension), ...(config.pbx.ami?.handsets ?? [])]);
  const db = openReadOnly(config.storage.dir);
  try {
    for (const row of db
      ?.query<{ extension: string }, []>("SELECT extension FROM staff WHERE extension IS NOT NULL")
      .all() ?? [])
      known.add(row.extension);
  } catch {
    // an old or damaged database: the database check says so.
  } finally {
    db?.close();
  }
  return known;
}

/**
 * The endpoints the running box saw and could not place, as it last wrote them to the database
 * (on change, at most every few seconds, and when it stops), less those the config or the staff
 * name now. Read here because doctor is another process, and they must outlive a restart anyway.
 */
export function checkUnplaced(config: Config, known: ReadonlySet<string>): PbxCheck {
  const db = openReadOnly(config.storage.dir);
  let rows: { source: string; endpoint: UnplacedEndpoint }[] = [];
  try {
    rows = db === null ? [] : readUnplaced(db);
  } catch {
    // no table yet (the database predates it): nothing recorded.
  } finally {
    db?.close();
  }
  const trunkContexts = config.pbx.ami?.trunk_contexts ?? [];
  const open = rows.filter(({ endpoint: e }) => {
    const name = e.endpoint.slice(e.endpoint.indexOf("/") + 1);
    const placed = known.has(name) || (e.callerId !== null && known.has(e.callerId));
    return !placed && !(e.context !== null && trunkContexts.includes(e.context));
  });
  if (open.length === 0)
    return {
      name: "channels",
      status: "OK",
      detail: "every channel the box saw was placed (phone or trunk)",
    };
  const lines = open.map(({ source, endpoint: e }) => {
    const seen = en.adminPbxUnplacedSeen(e.seen, new Date(e.lastSeen).toISOString(), e.context, e.callerId);
    return `${en.adminPbxUnplaced(e.endpoint)} (${source}: ${seen})`;
  });
  return {
    name: "channels",
    status: "WARN",
    detail: `${open.length} endpoint(s) seen on calls but not placed:${INDENT}${lines.join(INDENT)}`,
    fix: "add each to a desk or an employee, or to [pbx.ami] handsets; a trunk's context to [pbx.ami] trunk_contexts",
  };
}

/** The PBX's endpoint list (the probe's) as lines under the PBX check. */
export function endpointLines(list: PbxEndpointList): string {
  const c = list.counts;
  const lines = [
    ...list.queries.map((q) => en.adminPbxEndpointsQuery(q.action, q.outcome, q.detail)),
    en.adminPbxEndpointsCounts(c.mapped, c.guessed, c.trunk, c.unmapped),
    ...list.endpoints
      .slice(0, PRINTED)
      .map((e) => `${e.endpoint}: ${en.adminPbxEndpointKind(e.kind, e.why, null)}`),
  ];
  const more = c.mapped + c.guessed + c.trunk + c.unmapped - Math.min(PRINTED, list.endpoints.length);
  if (more > 0) lines.push(`… and ${more} more (/admin lists up to ${list.endpoints.length})`);
  return `${INDENT}${lines.join(INDENT)}`;
}

/**
 * The orphan and repeat counters where the running box keeps them (its memory), read from its
 * `/metrics` with the admin token. Without a running box there are none to read.
 */
export async function checkPbxCounters(baseUrl: string | null, adminToken: string): Promise<PbxCheck> {
  if (baseUrl === null)
    return {
      name: "dropped",
      status: "OK",
      detail: "branchbox is not running: it counts dropped PBX events while it runs",
    };
  let text: string;
  try {
    const response = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${adminToken}` },
      signal: AbortSignal.timeout(3000),
    });
    if (response.status !== 200)
      return {
        name: "dropped",
        status: "WARN",
        detail: `the running box answered /metrics with HTTP ${response.status}`,
      };
    text = await response.text();
  } catch (error) {
    return {
      name: "dropped",
      status: "WARN",
      detail: `the running box did not answer /metrics: ${(error as Error).message}`,
    };
  }
  const bySource = new Map<string, { orphans: string[]; total: number; twice: number }>();
  const of = (source: string) => {
    const entry = bySource.get(source) ?? { orphans: [], total: 0, twice: 0 };
    bySource.set(source, entry);
    return entry;
  };
  for (const line of text.split("\n")) {
    const orphan = /^branchbox_pbx_orphan_events_total\{source="([^"]*)",event="([^"]*)"\} (\d+)$/.exec(line);
    if (orphan !== null) {
      const entry = of(orphan[1] ?? "");
      entry.orphans.push(`${orphan[2]} ${orphan[3]}`);
      entry.total += Number(orphan[3]);
    }
    const twice = /^branchbox_pbx_duplicate_frames_total\{source="([^"]*)"\} (\d+)$/.exec(line);
    if (twice !== null) of(twice[1] ?? "").twice = Number(twice[2]);
  }
  if (bySource.size === 0)
    return { name: "dropped", status: "OK", detail: "no PBX source reports dropped events" };
  const lines = [...bySource].map(([source, e]) =>
    en.adminPbxDropped(source, e.total, e.orphans.join(", "), e.twice),
  );
  return { name: "dropped", status: "OK", detail: `${lines.join(INDENT)} (reported by the running box)` };
}
