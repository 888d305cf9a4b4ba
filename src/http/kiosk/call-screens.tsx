import type { Context, Hono } from "hono";
import { html } from "hono/html";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { HttpDeps } from "../deps.ts";
import type { RateLimiter } from "../rate-limit.ts";
import { anyOf, liveHtml } from "../sse.ts";
import type { LangEnv } from "../ui/lang.ts";
import { Layout } from "../ui/layout.tsx";
import { CallCards } from "./call-cards.tsx";
import { type DeskHolder, deskCards, kioskCards } from "./card-audience.ts";
import { PanelClosed } from "./desk-panel.tsx";
import { mountDeskPanel } from "./desk-panel-routes.tsx";
import { DeskContent, DeskScreen, UnknownDesk } from "./desk-screen.tsx";
import { pbxLinkOf } from "./pbx-link.ts";
import type { Ticketer } from "./ticket.ts";

/** A burst of call events (a ring group, a transfer) becomes one card message per this window. */
export const CARDS_MIN_INTERVAL_MS = 5;
/** Missed cards age out of `cards(now)` with no event to say so: redraw at least this often. */
export const CARDS_REFRESH_MS = 20_000;

export interface CallScreenOptions {
  readonly heartbeatMs?: number | undefined;
  /** The kiosk's PIN proofs and PIN-post limit, which the desk's call panel shares (issue 15). */
  readonly tickets: Ticketer;
  readonly pinLimiter: RateLimiter;
}

type C = Context<LangEnv>;

/**
 * The live call cards: the kiosk's cards stream (`/calls/events`, swapped into the home screen's
 * `#calls`), and the desk screen `/desk/:deskId` with its own stream. Both redraw on every calls
 * commit and every roster change (an answer, or who holds the phone, decides whose card it is).
 */
export function mountCallScreens(app: Hono<LangEnv>, deps: HttpDeps, options: CallScreenOptions): void {
  const { config, roster, calls, log } = deps;
  const tz = config.branch.timezone;
  const changes = anyOf(
    (listener) => roster.subscribe(listener),
    (listener) => calls.subscribe(listener),
  );
  // A desk screen also shows its phones' states (issue 17): it redraws on their events too.
  const deskChanges = anyOf(changes, (listener) => deps.phones.subscribe(listener));
  const stream = (c: C, render: () => string, subscribe = changes) =>
    liveHtml(c, {
      subscribe,
      render,
      heartbeatMs: options.heartbeatMs,
      minIntervalMs: CARDS_MIN_INTERVAL_MS,
      refreshMs: CARDS_REFRESH_MS,
      log,
    });

  const namer = (now: number) => {
    const employees = roster.employees(now);
    const byId = new Map(employees.map((e) => [e.id, e]));
    return { byId, nameOf: (id: string) => byId.get(id)?.name ?? id };
  };

  app.get("/calls/events", (c) => {
    const t = c.get("t");
    return stream(c, () => {
      const now = deps.now();
      return (
        <CallCards
          cards={kioskCards(calls.cards(now))}
          t={t}
          timezone={tz}
          now={now}
          nameOf={namer(now).nameOf}
          title={t.callsNowTitle}
          pbxLink={pbxLinkOf(deps.pbx())}
        />
      ).toString();
    });
  });

  const deskView = (deskId: string) => {
    const now = deps.now();
    const desk = roster.board(now).desks.find((d) => d.id === deskId);
    if (desk === undefined) return null;
    const { byId, nameOf } = namer(now);
    const employee = desk.holder === null ? undefined : byId.get(desk.holder.employeeId);
    const holder: DeskHolder | null =
      employee === undefined ? null : { employeeId: employee.id, role: employee.role };
    return {
      desk,
      now,
      nameOf,
      cards: deskCards(calls.cards(now), desk, holder),
      pbxLink: pbxLinkOf(deps.pbx()),
      phones: deps.phones.atExtension(desk.extension),
    };
  };

  /** The desk's whole page, with `panel` beside its live section (the closed panel by default). */
  const deskPage = (c: C, deskId: string, panel?: Child, status?: ContentfulStatusCode) => {
    const t = c.get("t");
    const lang = c.get("lang");
    const view = deskView(deskId);
    c.header("Cache-Control", "no-store");
    const path = `/desk/${encodeURIComponent(deskId)}`;
    const page = (
      <Layout
        t={t}
        lang={lang}
        title={view === null ? config.branch.name : `${view.desk.name} — ${config.branch.name}`}
        home={view === null ? "/" : path}
        here={path}
        branchName={config.branch.name}
        interactive={view !== null}
      >
        {view === null ? (
          <UnknownDesk deskId={deskId} desks={roster.board(deps.now()).desks} t={t} />
        ) : (
          <DeskScreen
            {...view}
            t={t}
            timezone={tz}
            lang={lang}
            panel={panel ?? <PanelClosed t={t} path={path} holder={view.desk.holder} />}
          />
        )}
      </Layout>
    );
    return c.html(html`<!DOCTYPE html>${page}`, view === null ? 404 : (status ?? 200));
  };

  app.get("/desk/:deskId", (c) => deskPage(c, c.req.param("deskId")));

  app.get("/desk/:deskId/events", (c) => {
    const t = c.get("t");
    const deskId = c.req.param("deskId");
    if (deskView(deskId) === null) return c.text(t.deskUnknown(deskId), 404);
    return stream(
      c,
      () => {
        const view = deskView(deskId);
        return view === null ? "" : (<DeskContent {...view} t={t} timezone={tz} />).toString();
      },
      deskChanges,
    );
  });

  mountDeskPanel(app, deps, { tickets: options.tickets, pinLimiter: options.pinLimiter, page: deskPage });
}
