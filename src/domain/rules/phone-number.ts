/**
 * How a branch's PBX writes outside numbers (`[numbers]`), to read them as E.164 before they are
 * matched against headquarters' client directory. A caller id arrives as the trunk gives it:
 * `+79161234567`, `79161234567`, `89161234567`, `9161234567`, `810…`/`00…` for abroad, sometimes
 * behind a prefix the PBX adds so the number can be dialled back (`989161234567`), or not a number
 * at all (`unknown`, `anonymous`, an extension, a user name).
 */
export interface NumberRules {
  /** The branch's country calling code, without `+` ("7"). */
  readonly countryCode: string;
  /** Digits of a national significant number (Russia: 10, `9161234567`). */
  readonly nationalDigits: number;
  /** The national trunk prefix before a national number ("8" in Russia; "" for none). */
  readonly nationalPrefix: string;
  /** Prefixes that dial abroad (`810`, `00`): what follows is a country code and a number. */
  readonly internationalPrefixes: readonly string[];
  /**
   * Prefixes the PBX or trunk puts before the number (an outside-line `9` or `0`): tried only
   * when the number as given is not one, one prefix at a time.
   */
  readonly trunkPrefixes: readonly string[];
}

/** Russia's numbering, what `toE164` reads with: the default of `[numbers]`. */
export const RUSSIAN_NUMBERS: NumberRules = {
  countryCode: "7",
  nationalDigits: 10,
  nationalPrefix: "8",
  internationalPrefixes: ["810", "00"],
  trunkPrefixes: [],
};

const E164 = /^\+[1-9]\d{7,14}$/;
const INTERNATIONAL = /^[1-9]\d{7,14}$/;
/** What a PBX may put inside a number it shows: spaces, brackets, dots, dashes. */
const FORMATTING = /[\s().-]/g;

/**
 * The E.164 form (`+79161234567`) of a number as the PBX gives it, by the branch's `rules`; null
 * when it is none: empty, `unknown`, `anonymous`, `<unknown>`, an extension (too short), a user
 * name, or digits that fit no rule. NEVER guesses beyond the rules: a number that could be read
 * two ways is read the first way that fits (as given; then national; then abroad; then each trunk
 * prefix taken off once).
 */
export function normaliseNumber(number: string | null | undefined, rules: NumberRules): string | null {
  if (number === null || number === undefined) return null;
  const text = number.trim().replace(FORMATTING, "");
  if (text.startsWith("+")) return E164.test(text) ? text : null;
  if (!/^\d+$/.test(text)) return null;
  const plain = fromDigits(text, rules);
  if (plain !== null) return plain;
  for (const prefix of rules.trunkPrefixes) {
    if (prefix !== "" && text.startsWith(prefix)) {
      const bare = fromDigits(text.slice(prefix.length), rules);
      if (bare !== null) return bare;
    }
  }
  return null;
}

function fromDigits(digits: string, rules: NumberRules): string | null {
  const { countryCode: cc, nationalDigits: n, nationalPrefix: trunk } = rules;
  // A national significant number never starts with 0 (E.164: 0 is a trunk or international
  // prefix): "0508009000" is no number of this country.
  const check = (e164: string) => (E164.test(e164) && e164[1 + cc.length] !== "0" ? e164 : null);
  if (digits.length === cc.length + n && digits.startsWith(cc)) return check(`+${digits}`);
  if (trunk !== "" && digits.length === trunk.length + n && digits.startsWith(trunk))
    return check(`+${cc}${digits.slice(trunk.length)}`);
  if (digits.length === n) return check(`+${cc}${digits}`);
  for (const prefix of [...rules.internationalPrefixes].sort((a, b) => b.length - a.length)) {
    if (prefix === "" || !digits.startsWith(prefix)) continue;
    const rest = digits.slice(prefix.length);
    if (INTERNATIONAL.test(rest)) return `+${rest}`;
  }
  return null;
}

/**
 * A number by Russia's rules (`RUSSIAN_NUMBERS`): `+…` stays, `7…`/`8…` with 10 digits and a bare
 * 10-digit national number become `+7…`, `810…`/`00…` become `+…`; anything else is null. For
 * callers that have no branch config at hand; the box's own lookups use `[numbers]`.
 */
export function toE164(number: string): string | null {
  return normaliseNumber(number, RUSSIAN_NUMBERS);
}
