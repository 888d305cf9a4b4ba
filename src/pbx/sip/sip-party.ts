import type { PartyNumber } from "../../domain/call/pbx-event.ts";

/**
 * The user part of a dialog-info identity: `sip:101@pbx` → `101`, `sips:+74951234567@trunk;user=phone`
 * → `+74951234567`, `tel:+74951234567;phone-context=…` → `+74951234567`. Null when there is none
 * (an anonymous caller: `sip:anonymous@anonymous.invalid` gives `anonymous`, kept as the PBX says).
 */
export function identityUser(identity: string | null | undefined): string | null {
  if (identity === null || identity === undefined) return null;
  const uri = identity.trim().replace(/^<|>$/g, "");
  const scheme = /^(sips?|tel):/i.exec(uri);
  if (scheme === null) return null;
  const rest = uri.slice(scheme[0].length);
  const user = (scheme[1]?.toLowerCase() === "tel" ? rest : rest.split("@")[0]) ?? "";
  const plain = user.split(";")[0] ?? "";
  try {
    return decodeURIComponent(plain) || null;
  } catch {
    return plain || null;
  }
}

/** A party as PbxEvents name it: the number, and the extension when it is a watched one. */
export function partyOf(user: string | null, isExtension: (user: string) => boolean): PartyNumber {
  return { number: user, extension: user !== null && isExtension(user) ? user : null };
}
