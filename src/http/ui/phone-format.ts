/**
 * A phone number as people read it aloud. Russian numbers (+7 and ten digits, as E.164 or as the
 * trunk's bare 7…/8… form) are grouped "+7 999 123-45-67"; anything else is shown as the PBX gave
 * it, so a short internal number or a foreign one is never mangled.
 */
export function formatPhone(number: string): string {
  const digits = number.replace(/[\s()-]/g, "");
  const ru = /^(\+7|7|8)(\d{3})(\d{3})(\d{2})(\d{2})$/.exec(digits);
  if (ru === null) return number;
  const [, prefix, code, a, b, c] = ru;
  return `${prefix === "8" ? "8" : "+7"} ${code} ${a}-${b}-${c}`;
}

const MAX_ELAPSED_MS = 12 * 60 * 60 * 1000;

/** "0:42", "12:05", "1:02:03": how long something has lasted, for a card; "—" past 12 h. */
export function formatElapsed(ms: number): string {
  // Nothing at a branch waits or talks half a day: beyond that the PBX's clock is off, not the call.
  if (ms > MAX_ELAPSED_MS) return "—";
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}
