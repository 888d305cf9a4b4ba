import { isIP } from "node:net";
import { z } from "zod";
import { extension } from "./fields.ts";

/**
 * `[[phones]]`: the desk phones allowed to call the box's action URLs (issue 17), one entry each.
 * A request counts only with the phone's token in its path AND from the phone's address: the
 * token alone could be read off a phone's web page, the address alone spoofed on the LAN.
 */
const phone = z.strictObject({
  /** How /admin names it, e.g. "reception-a"; unique. */
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "lower-case letters, digits, - or _ (e.g. reception-a)"),
  /** The extension (PBX account) the phone is registered as: how its events meet the PBX's legs. */
  extension,
  /** The phone's own IP address, as the box sees it (a fixed DHCP lease); the request must come from it. */
  address: z.string().refine((v) => isIP(v) !== 0, "an IP address, e.g. 10.0.0.21"),
  vendor: z.enum(["yealink", "snom", "grandstream"]),
  /** A secret per phone, in its URLs' path: `openssl rand -hex 16`. Never logged. */
  token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{24,128}$/, "24–128 letters, digits, - or _ (e.g. `openssl rand -hex 16`)"),
});

export const phonesSection = z
  .array(phone)
  .max(500)
  .default([])
  .superRefine((phones, ctx) => {
    for (const key of ["id", "token", "address"] as const) {
      const seen = new Map<string, number>();
      phones.forEach((p, i) => {
        const first = seen.get(p[key]);
        if (first !== undefined)
          ctx.addIssue({ code: "custom", path: [i, key], message: `unique; phones[${first}] has it too` });
        seen.set(p[key], i);
      });
    }
  });

export type PhoneConfig = z.infer<typeof phone>;
