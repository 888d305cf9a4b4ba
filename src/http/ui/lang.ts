import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { isLang, type Lang, type Messages, messages } from "../../i18n/index.ts";

export const LANG_COOKIE = "bb_lang";

export type LangEnv = { Variables: { lang: Lang; t: Messages } };

/**
 * `?lang=en|ru` switches and a cookie remembers it (a kiosk keeps the language a receptionist
 * picked); otherwise `kiosk.language`.
 */
export function language(fallback: Lang): MiddlewareHandler<LangEnv> {
  return async (c, next) => {
    const asked = c.req.query("lang");
    let lang: Lang = fallback;
    if (isLang(asked)) {
      lang = asked;
      setCookie(c, LANG_COOKIE, asked, { path: "/", sameSite: "Lax", httpOnly: true, maxAge: 365 * 86400 });
    } else {
      const remembered = getCookie(c, LANG_COOKIE);
      if (isLang(remembered)) lang = remembered;
    }
    c.set("lang", lang);
    c.set("t", messages(lang));
    await next();
  };
}

/** True for an htmx request that swaps part of the page: answer with the fragment alone. */
export const isPartial = (c: Context): boolean =>
  c.req.header("hx-request") === "true" && c.req.header("hx-request-type") !== "full";
