import { Hono } from "hono";
import { html } from "hono/html";
import type { HttpDeps } from "../deps.ts";
import { startOfDay } from "../kiosk/branch-time.ts";
import { type LangEnv, language } from "../kiosk/lang.ts";
import { Layout } from "../kiosk/layout.tsx";
import { AdminPage } from "./admin-page.tsx";

const AUDIT_ROWS = 200;

/**
 * The admin page, mounted at "/admin" behind the admin token (the app's `adminAuth`; this module
 * does no auth of its own). Plain HTML, no script.
 */
export function adminRoutes(deps: HttpDeps): Hono {
  const { config, roster } = deps;
  const tz = config.branch.timezone;
  const app = new Hono<LangEnv>();
  app.use(language(config.kiosk.language));

  app.get("/", (c) => {
    const now = deps.now();
    const t = c.get("t");
    const names = new Map(roster.employees(now).map((e) => [e.id, e.name]));
    const desks = new Map(config.desks.map((d) => [d.id, d.name]));
    const page = (
      <Layout
        t={t}
        lang={c.get("lang")}
        title={`${config.branch.name} — admin`}
        home="/admin"
        branchName={config.branch.name}
        interactive={false}
      >
        <AdminPage
          t={t}
          timezone={tz}
          version={deps.version}
          owners={roster.owners(now)}
          changes={roster.changesBetween(startOfDay(now, tz), now + 1)}
          audit={roster.audit(AUDIT_ROWS)}
          nameOf={(id) => (id === null ? null : (names.get(id) ?? id))}
          deskNameOf={(id) => (id === null ? null : (desks.get(id) ?? id))}
        />
      </Layout>
    );
    c.header("Cache-Control", "no-store");
    return c.html(html`<!DOCTYPE html>${page}`);
  });

  return app as unknown as Hono;
}
