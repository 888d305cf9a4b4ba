/**
 * The E.164 form of a number as a PBX reports it, for the directory lookup: `+…` stays; Russian
 * trunk forms (11 digits starting 8 or 7) become `+7…`; `00…` becomes `+…`. Anything else (an
 * internal extension, a withheld number) has no E.164 form: null.
 */
export function toE164(number: string): string | null {
  const digits = number.replace(/[\s().-]/g, "");
  if (/^\+[1-9]\d{7,14}$/.test(digits)) return digits;
  const ru = /^[78](\d{10})$/.exec(digits);
  if (ru !== null) return `+7${ru[1]}`;
  const intl = /^00([1-9]\d{7,14})$/.exec(digits);
  if (intl !== null) return `+${intl[1]}`;
  return null;
}
