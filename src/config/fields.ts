import { z } from "zod";
import { LISTEN_PATTERN, parseListen } from "../lib/listen-address.ts";

/** Value schemas shared by the box's own sections and the PBX sources' (pbx-sections.ts). */

export const extension = z.string().regex(/^[0-9*#+]{1,16}$/, "digits, e.g. 101");

/** A list from TOML, or "101,102" from an environment variable. */
export const extensionList = z.preprocess(
  (v) =>
    typeof v === "string"
      ? v
          .split(",")
          .map((e) => e.trim())
          .filter((e) => e !== "")
      : v,
  z.array(extension).min(1, 'at least one extension, e.g. ["101"]').max(500),
);

/** `host:port` to listen on (see src/lib/listen-address.ts). */
export const listen = (example: string) =>
  z
    .string()
    .regex(LISTEN_PATTERN, `host:port, e.g. ${example}`)
    .refine((v) => parseListen(v).port <= 65535, "a port from 0 to 65535");

/** A TOML boolean, or "true"/"false" from an environment variable. */
export const flag = z.union([z.boolean(), z.enum(["true", "false"]).transform((v) => v === "true")]);

/** Whether `tz` names an IANA time zone this runtime knows ("Europe/Moscow"). */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
