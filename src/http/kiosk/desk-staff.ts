import type { DeskView, EmployeeView } from "../../service/roster-port.ts";

/**
 * The desk panel's staff list and its one input (issue 15, seed 002): what a colleague's row says,
 * what a typed text matches, and what Enter does with it. web/kiosk.js (the desk panel block)
 * repeats `fold`, the word match and `dialNumber` to filter and to say, before Enter, what Enter
 * will do; the box decides again from the same text when the form arrives.
 */
export interface Colleague {
  readonly id: string;
  readonly name: string;
  /**
   * The phone that rings for them today, by the roster (R2.1): the desk they are checked in at and
   * hold the phone of, else their dedicated extension; null when off shift (nobody's phone).
   */
  readonly phone: string | null;
  /** Where they are checked in today; null when off shift. */
  readonly where: { readonly deskName: string; readonly onBreak: boolean } | null;
  /** What the input matches, folded: the name's words, the extensions, the desk's name. */
  readonly words: readonly string[];
}

/** Lower case, "ё" as "е", trimmed: the same folding as the home screen's name search. */
export const fold = (text: string): string => text.toLocaleLowerCase("ru").replaceAll("ё", "е").trim();

const wordsOf = (text: string): string[] =>
  fold(text)
    .split(/[\s,-]+/)
    .filter((w) => w !== "");

/** Everyone at the branch but the panel's user, by name, with where their phone is today. */
export function colleaguesOf(
  employees: readonly EmployeeView[],
  desks: readonly DeskView[],
  meId: string,
  lang: string,
): Colleague[] {
  return employees
    .filter((e) => e.id !== meId)
    .map((e) => colleague(e, desks))
    .sort((a, b) => a.name.localeCompare(b.name, lang));
}

function colleague(e: EmployeeView, desks: readonly DeskView[]): Colleague {
  const shift = e.onShift;
  const desk = shift?.holdsPhone === true ? desks.find((d) => d.id === shift.deskId) : undefined;
  const phone = shift === null ? null : (desk?.extension ?? e.extension);
  const where = shift === null ? null : { deskName: shift.deskName, onBreak: shift.onBreak };
  const words = [
    ...wordsOf(e.name),
    ...(phone === null ? [] : [phone]),
    ...(e.extension === null || e.extension === phone ? [] : [e.extension]),
    ...(shift === null ? [] : wordsOf(shift.deskName)),
  ];
  return { id: e.id, name: e.name, phone, where, words };
}

/** Every word typed starts one of the colleague's words ("ол 10" finds Ольга at 103). */
export function matches(colleague: Colleague, text: string): boolean {
  const wanted = wordsOf(text);
  return wanted.every((w) => colleague.words.some((word) => word.startsWith(w)));
}

/**
 * The number a text dials, digits and a leading "+" kept; null when it is not one. Three digits
 * at least: "10" is the start of an extension or a name's filter, not a number to ring.
 */
export function dialNumber(text: string): string | null {
  const compact = text.replace(/[\s()-]/g, "");
  return /^\+?[0-9]{3,20}$/.test(compact) ? compact : null;
}

export type EnterTarget =
  | { readonly kind: "empty" }
  | { readonly kind: "colleague"; readonly colleague: Colleague }
  | { readonly kind: "number"; readonly number: string }
  | { readonly kind: "ambiguous"; readonly count: number }
  | { readonly kind: "none" };

/**
 * What Enter does with the typed text, in this order (seed 002 and its warning): the only
 * colleague the filter leaves, even if the text also reads as an unfinished number; else the
 * number typed; else nothing ("уточните" when several are left).
 */
export function enterTarget(colleagues: readonly Colleague[], text: string): EnterTarget {
  if (fold(text) === "") return { kind: "empty" };
  const left = colleagues.filter((c) => matches(c, text));
  const [only] = left;
  if (left.length === 1 && only !== undefined) return { kind: "colleague", colleague: only };
  const number = dialNumber(text);
  if (number !== null) return { kind: "number", number };
  return left.length > 1 ? { kind: "ambiguous", count: left.length } : { kind: "none" };
}
