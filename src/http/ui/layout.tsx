import type { Child } from "hono/jsx";
import type { Lang, Messages } from "../../i18n/index.ts";
import { assetUrl } from "../assets.ts";

/**
 * htmx reads its config from this tag, so nothing inline is needed. No indicator CSS is injected
 * (kiosk.css carries it) and only the SSE extension may register. A box that does not answer a
 * request within defaultTimeout is treated as gone (web/kiosk-offline.js).
 */
const HTMX_CONFIG = JSON.stringify({ includeIndicatorCSS: false, extensions: "sse", defaultTimeout: 8000 });

export interface LayoutProps {
  readonly t: Messages;
  readonly lang: Lang;
  readonly title: string;
  /** Where the branch name links to ("/" or "/admin"). */
  readonly home: string;
  /** Where the language links point; `home` unless the page is elsewhere ("/desk/front"). */
  readonly here?: string;
  /** The page's own query (a day, a filter) the language links keep, `lang` left out. */
  readonly query?: Record<string, string>;
  readonly branchName: string;
  /** Kiosk pages load htmx and the kiosk script; the admin page is plain HTML. */
  readonly interactive: boolean;
  readonly idleSeconds?: number;
  /** The page's own links (/admin's sections), in the header's one nav beside the languages. */
  readonly links?: readonly { readonly href: string; readonly text: string; readonly testId: string }[];
  readonly children: Child;
}

export function Layout(props: LayoutProps) {
  const { t, lang } = props;
  const here = props.here ?? props.home;
  const langHref = (to: Lang) => {
    const query = new URLSearchParams(props.query);
    query.delete("lang");
    query.set("lang", to);
    return `${here}?${query}`;
  };
  return (
    <html lang={t.htmlLang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {props.interactive && <meta name="htmx-config" content={HTMX_CONFIG} />}
        <title>{props.title}</title>
        <link rel="icon" href={assetUrl("icon.svg")} type="image/svg+xml" />
        <link rel="stylesheet" href={assetUrl("kiosk.css")} />
        {props.interactive && <script src={assetUrl("htmx.min.js")} defer />}
        {props.interactive && <script src={assetUrl("kiosk.js")} defer />}
        {props.interactive && <script src={assetUrl("kiosk-offline.js")} defer />}
      </head>
      <body data-idle-seconds={props.idleSeconds} data-here={props.interactive ? here : undefined}>
        <header class="top">
          <a class="branch" href={props.home}>
            {props.branchName}
          </a>
          {/* The page's one nav (issue 14, item 10): a page adds its links here, never a nav of its own. */}
          <nav class="top-nav">
            {props.links?.map((link) => (
              <a class="btn secondary" href={link.href} data-testid={link.testId}>
                {link.text}
              </a>
            ))}
            <a
              class={lang === "ru" ? "lang current" : "lang"}
              href={langHref("ru")}
              hreflang="ru"
              lang="ru"
              data-testid="lang-ru"
            >
              RU
            </a>
            <a
              class={lang === "en" ? "lang current" : "lang"}
              href={langHref("en")}
              hreflang="en"
              lang="en"
              data-testid="lang-en"
            >
              EN
            </a>
          </nav>
        </header>
        <main id="screen">{props.children}</main>
        {props.interactive && <OfflineNotices t={t} />}
      </body>
    </html>
  );
}

/**
 * What the kiosk says when the box does not answer, hidden until web/kiosk-offline.js shows it:
 * that script has no messages of its own, so the page carries them in its language.
 */
function OfflineNotices({ t }: { t: Messages }) {
  return (
    <>
      <div id="box-offline" class="box-offline" role="alert" hidden data-testid="box-offline">
        <strong>{t.offlineTitle}</strong> {t.offlineBody}
      </div>
      <p
        id="box-notice"
        class="box-notice"
        role="alert"
        hidden
        data-testid="box-notice"
        data-not-recorded={t.offlineNotRecorded}
        data-no-answer={t.offlineNoAnswer}
      />
    </>
  );
}
