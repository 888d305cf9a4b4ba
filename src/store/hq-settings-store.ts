import type { Database } from "bun:sqlite";
import { type HqSettings, settingsUpdateSchema } from "../contract/down-records.ts";

/** Headquarters' attribution settings as last received; null until the first `settings.update`. */
export interface HqSettingsStore {
  get(): HqSettings | null;
  /** Call inside the inbox's transaction. */
  set(settings: HqSettings, now: number): void;
}

const KEY = "settings";

export function hqSettingsStore(db: Database): HqSettingsStore {
  const read = db.query<{ value: string }, [string]>("SELECT value FROM hq_state WHERE key = ?");
  const write = db.query(
    `INSERT INTO hq_state (key, value, updated_at) VALUES (?1, ?2, ?3)
     ON CONFLICT (key) DO UPDATE SET value = ?2, updated_at = ?3`,
  );
  return {
    get: () => {
      const row = read.get(KEY);
      if (row === null) return null;
      const parsed = settingsUpdateSchema.safeParse(JSON.parse(row.value));
      return parsed.success ? parsed.data : null;
    },
    set: (settings, now) => {
      write.run(KEY, JSON.stringify(settings), now);
    },
  };
}
