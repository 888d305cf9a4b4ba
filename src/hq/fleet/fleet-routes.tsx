import { Hono } from "hono";
import { csrf } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import type { Logger } from "../../log/logger.ts";
import type { HqStore } from "../store/hq-store-port.ts";
import { branchDetail } from "./branch-detail.ts";
import { mountFleetAssets } from "./fleet-assets.ts";
import { CrmBody, type FleetCrmDeps } from "./fleet-crm.tsx";
import {
  BranchBody,
  FleetLayout,
  type FleetMango,
  FleetTable,
  LoginForm,
  MangoBody,
} from "./fleet-pages.tsx";
import { fleetSessions } from "./fleet-session.ts";
import { fleetStreams } from "./fleet-sse.ts";
import { type FleetLang, fleetLang, fleetText } from "./fleet-text.ts";
import { fleetRows } from "./fleet-view.ts";
import type { BranchProblem, FleetWatch } from "./fleet-watch.ts";

export interface FleetDeps {
  readonly store: HqStore;
  readonly token: string;
  readonly watch: FleetWatch;
  readonly log: Logger;
  readonly now: () => number;
  readonly alertMinutes: number;
  /** The box's `roster.max_shift_hours` default: how far back a shift open now can reach. */
  readonly maxShiftMs: number;
  /** Commands HQ holds for each branch, not yet answered; absent: HQ sends none itself. */
  readonly commandsWaiting?: () => Promise<ReadonlyMap<string, number>>;
  /** Records this consumer holds ahead of a gap, per stream of a branch (the Applier's `waitingIn`). */
  readonly waiting?: (branch: string) => ReadonlyMap<string, number>;
  /** Problems HQ keeps in its store for a branch (Mango's refusals of its commands), newest first. */
  readonly storedProblems?: (branch: string, limit: number) => Promise<BranchProblem[]>;
  /** `[hq.mango]`: what the Mango page shows; absent: no Mango page. */
  readonly mango?: () => Promise<FleetMango>;
  /** `[hq.crm]` (issue 19): the CRM page and its retry button; absent: no CRM page. */
  readonly crm?: FleetCrmDeps;
}

const RECENT_CALLS = 20;
const RECENT_PROBLEMS = 20;

/**
 * `/fleet`: headquarters' htmx page of every branch (issue 18), mounted by hq-http.ts. Russian
 * first (`?lang=en` for English). Everything but the sign-in form and the assets wants a session
 * (fleet-session.ts); a page without one goes to the form, a live stream gets 401. Forms are
 * CSRF-checked (Origin); the CSP allows only HQ's own scripts and styles. Live over SSE: the
 * tables re-render when records are committed or a presence arrives, and every few seconds.
 */
export function fleetRoutes(deps: FleetDeps): Hono {
  const app = new Hono();
  const sessions = fleetSessions(deps.token);
  const streams = fleetStreams({ max: 50, minIntervalMs: 1000, refreshMs: 10_000, log: deps.log });
  const alertMs = deps.alertMinutes * 60_000;
  app.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
      referrerPolicy: "no-referrer",
    }),
  );
  app.use(csrf());
  mountFleetAssets(app);

  const langOf = (query: string | undefined): FleetLang => fleetLang(query);
  const loginPage = (lang: FleetLang, error: string | null) => {
    const t = fleetText(lang);
    return (
      <FleetLayout t={t} lang={lang} title={t.loginTitle} here="/fleet/login" signedIn={false}>
        <LoginForm t={t} lang={lang} error={error} />
      </FleetLayout>
    );
  };
  app.get("/login", (c) => c.html(loginPage(langOf(c.req.query("lang")), null)));
  app.post("/login", async (c) => {
    const lang = langOf(c.req.query("lang"));
    const t = fleetText(lang);
    const form = await c.req.parseBody();
    const given = typeof form.token === "string" ? form.token : "";
    const result = await sessions.signIn(c, given, deps.now());
    if (result.kind === "ok") return c.redirect(`/fleet?lang=${lang}`, 303);
    if (result.kind === "locked") {
      deps.log.warn("fleet sign-in locked", { code: "HQ.LOGIN_LOCKED" });
      return c.html(loginPage(lang, t.locked(result.minutes)), 429);
    }
    deps.log.warn("fleet sign-in refused", { code: "HQ.LOGIN_REFUSED" });
    return c.html(loginPage(lang, t.wrongToken), 401);
  });
  app.post("/logout", (c) => {
    sessions.signOut(c);
    return c.redirect(`/fleet/login?lang=${langOf(c.req.query("lang"))}`, 303);
  });
  app.use(async (c, next) => {
    if (await sessions.signedIn(c, deps.now())) return next();
    const lang = langOf(c.req.query("lang"));
    if (c.req.path.endsWith("/events")) return c.text(fleetText(lang).expired, 401);
    return c.redirect(`/fleet/login?lang=${lang}`, 303);
  });

  const fleetNow = async () => {
    const now = deps.now();
    const [branches, commands] = await Promise.all([deps.store.branches(), deps.commandsWaiting?.()]);
    return { now, rows: fleetRows(branches, deps.watch.peak, now, alertMs, deps.waiting), commands };
  };
  const renderFleet = async (lang: FleetLang) => {
    const { now, rows, commands } = await fleetNow();
    return (
      <FleetTable
        t={fleetText(lang)}
        lang={lang}
        rows={rows}
        now={now}
        alertMinutes={deps.alertMinutes}
        commandsWaiting={commands}
      />
    ).toString();
  };
  /** The branch's body, or null when HQ knows no such branch. */
  const renderBranch = async (branch: string, lang: FleetLang) => {
    const { now, rows, commands } = await fleetNow();
    const row = rows.find((r) => r.branch === branch);
    if (row === undefined) return null;
    const detail = await branchDetail(deps.store, branch, {
      now,
      maxShiftMs: deps.maxShiftMs,
      calls: RECENT_CALLS,
    });
    const stored = (await deps.storedProblems?.(branch, RECENT_PROBLEMS)) ?? [];
    const problems = [...deps.watch.problems(branch, RECENT_PROBLEMS), ...stored]
      .sort((a, b) => b.at - a.at)
      .slice(0, RECENT_PROBLEMS);
    return (
      <BranchBody
        t={fleetText(lang)}
        lang={lang}
        row={row}
        detail={detail}
        problems={problems}
        now={now}
        alertMinutes={deps.alertMinutes}
        commandsWaiting={commands}
      />
    ).toString();
  };

  app.get("/", async (c) => {
    const lang = langOf(c.req.query("lang"));
    const t = fleetText(lang);
    return c.html(
      <FleetLayout
        t={t}
        lang={lang}
        title={t.title}
        here="/fleet"
        signedIn
        mango={deps.mango !== undefined}
        crm={deps.crm !== undefined}
      >
        <h1>{t.title}</h1>
        <section id="fleet" hx-sse:connect={`/fleet/events?lang=${lang}`} data-testid="fleet-live">
          {await renderFleet(lang).then((html) => <div dangerouslySetInnerHTML={{ __html: html }} />)}
        </section>
      </FleetLayout>,
    );
  });
  app.get("/events", (c) => {
    const lang = langOf(c.req.query("lang"));
    return streams.open(c, deps.watch.subscribe, () => renderFleet(lang));
  });
  app.get("/branch/:branch", async (c) => {
    const lang = langOf(c.req.query("lang"));
    const t = fleetText(lang);
    const branch = c.req.param("branch");
    const body = await renderBranch(branch, lang);
    const here = `/fleet/branch/${encodeURIComponent(branch)}`;
    return c.html(
      <FleetLayout t={t} lang={lang} title={`${t.branch} ${branch}`} here={here} signedIn>
        <a class="hq-btn" href={`/fleet?lang=${lang}`} data-testid="back">
          {t.back}
        </a>
        <h1>
          {t.branch} {branch}
        </h1>
        {body === null ? (
          <p class="hq-error" data-testid="not-found">
            {t.notFound}
          </p>
        ) : (
          <section id="branch" hx-sse:connect={`${here}/events?lang=${lang}`} data-testid="branch-live">
            <div dangerouslySetInnerHTML={{ __html: body }} />
          </section>
        )}
      </FleetLayout>,
      body === null ? 404 : 200,
    );
  });
  app.get("/mango", async (c) => {
    const lang = langOf(c.req.query("lang"));
    const t = fleetText(lang);
    if (deps.mango === undefined) return c.notFound();
    return c.html(
      <FleetLayout
        t={t}
        lang={lang}
        title={t.mango}
        here="/fleet/mango"
        signedIn
        mango
        crm={deps.crm !== undefined}
      >
        <a class="hq-btn" href={`/fleet?lang=${lang}`} data-testid="back">
          {t.back}
        </a>
        <h1>{t.mango}</h1>
        <MangoBody t={t} lang={lang} mango={await deps.mango()} />
      </FleetLayout>,
    );
  });
  const crmPage = async (lang: FleetLang, crm: FleetCrmDeps, notice: string | null) => {
    const t = fleetText(lang);
    return (
      <FleetLayout
        t={t}
        lang={lang}
        title={t.crm}
        here="/fleet/crm"
        signedIn
        mango={deps.mango !== undefined}
        crm
      >
        <a class="hq-btn" href={`/fleet?lang=${lang}`} data-testid="back">
          {t.back}
        </a>
        <h1>{t.crm}</h1>
        <CrmBody t={t} lang={lang} crm={await crm.view()} notice={notice} />
      </FleetLayout>
    );
  };
  app.get("/crm", async (c) => {
    if (deps.crm === undefined) return c.notFound();
    return c.html(await crmPage(langOf(c.req.query("lang")), deps.crm, null));
  });
  // The retry button: a form POST (CSRF-checked like every form here), answered with the page.
  app.post("/crm/retry/:id{[0-9]+}", async (c) => {
    if (deps.crm === undefined) return c.notFound();
    const lang = langOf(c.req.query("lang"));
    const moved = await deps.crm.retry(Number(c.req.param("id")));
    const t = fleetText(lang);
    return c.html(await crmPage(lang, deps.crm, moved ? t.crmRetried : t.crmNotParked), moved ? 200 : 409);
  });
  app.get("/branch/:branch/events", (c) => {
    const lang = langOf(c.req.query("lang"));
    const branch = c.req.param("branch");
    return streams.open(c, deps.watch.subscribe, async () => (await renderBranch(branch, lang)) ?? "");
  });
  return app;
}
