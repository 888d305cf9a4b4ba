import { en } from "./en.ts";
import { type Messages, ru } from "./ru.ts";

export type { Messages } from "./ru.ts";

export const LANGS = ["ru", "en"] as const;
export type Lang = (typeof LANGS)[number];

const CATALOG: Record<Lang, Messages> = { ru, en };

export const isLang = (value: unknown): value is Lang => value === "ru" || value === "en";

export const messages = (lang: Lang): Messages => CATALOG[lang];
