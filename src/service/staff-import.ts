import { z } from "zod";
import type { StaffMember } from "../domain/roster/types.ts";
import { lazy } from "../lib/lazy.ts";
import type { StaffRow, StaffStore } from "../store/staff-store.ts";

/**
 * The staff list, built on the first parse: `serve` never parses one (the demo seeds typed entries).
 * `profiles` is the same list without PINs, for a reader that attributes calls and logs nobody in
 * (`branchbox replay`): a `pin` there is ignored, whatever it holds.
 */
const staffFileSchemas = lazy(() => {
  const profile = z.object({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "letters, digits, . _ or - (e.g. anna)"),
    name: z.string().trim().min(1).max(120),
    role: z.enum(["reception", "manager", "senior_manager"]),
    extension: z
      .string()
      .regex(/^[0-9*#+]{1,16}$/, "digits, e.g. 102")
      .nullish()
      .transform((v) => v ?? null),
  });
  const staffEntry = profile.extend({ pin: z.string().regex(/^\d{4,8}$/, "4 to 8 digits") });
  const uniqueIds = (list: readonly { id: string }[], ctx: z.RefinementCtx) => {
    const seen = new Set<string>();
    list.forEach((entry, i) => {
      if (seen.has(entry.id))
        ctx.addIssue({ code: "custom", path: [i, "id"], message: `"${entry.id}" appears twice` });
      seen.add(entry.id);
    });
  };
  return {
    entries: z.array(staffEntry).superRefine(uniqueIds),
    profiles: z.array(profile).superRefine(uniqueIds),
  };
});

export type StaffEntry = z.output<ReturnType<typeof staffFileSchemas>["entries"]>[number];

export class StaffImportError extends Error {
  readonly code = "STAFF.INVALID";
}

/** Validates the whole list first; nothing is written unless every entry is valid. */
export function parseStaff(json: unknown): StaffEntry[] {
  return parseWith(staffFileSchemas().entries, json);
}

/** The staff list as attribution reads it: the same checks, PINs not needed (and ignored). */
export function parseStaffProfiles(json: unknown): StaffMember[] {
  return parseWith(staffFileSchemas().profiles, json);
}

function parseWith<T>(schema: z.ZodType<T>, json: unknown): T {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const [index, ...rest] = issue.path;
    const id =
      typeof index === "number" && Array.isArray(json) ? (json[index] as { id?: unknown })?.id : undefined;
    const where =
      typeof index === "number" ? `entry ${index + 1}${typeof id === "string" ? ` (${id})` : ""}` : "file";
    return `${where}${rest.length ? ` ${rest.join(".")}` : ""}: ${issue.message}`;
  });
  throw new StaffImportError(`the staff list is not valid:\n  ${problems.join("\n  ")}`);
}

export async function hashPin(pin: string): Promise<string> {
  return Bun.password.hash(pin, { algorithm: "argon2id" });
}

/**
 * Upserts the staff by id: a re-import updates, never duplicates. PINs are kept only as Argon2id
 * hashes; an unchanged PIN keeps its hash (no needless re-hash).
 */
export async function importStaff(store: StaffStore, entries: readonly StaffEntry[], now: number) {
  const rows: StaffRow[] = [];
  for (const entry of entries) {
    const existing = store.get(entry.id);
    const keep = existing !== null && (await Bun.password.verify(entry.pin, existing.pinHash));
    rows.push({
      id: entry.id,
      name: entry.name,
      role: entry.role,
      extension: entry.extension,
      pinHash: keep ? existing.pinHash : await hashPin(entry.pin),
    });
  }
  return store.upsert(rows, now);
}
