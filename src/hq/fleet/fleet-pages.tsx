import type { Child } from "hono/jsx";
import type { BranchDetail, CallRecordData } from "./branch-detail.ts";
import { fleetAssetUrl } from "./fleet-assets.ts";
import { ago, at, type FleetLang, type FleetText } from "./fleet-text.ts";
import type { FleetRow } from "./fleet-view.ts";
import type { BranchProblem } from "./fleet-watch.ts";

const HTMX_CONFIG = JSON.stringify({ includeIndicatorCSS: false, extensions: "sse", defaultTimeout: 8000 });

export interface PageProps {
  readonly t: FleetText;
  readonly lang: FleetLang;
  readonly title: string;
  /** The page's own path, for the language links. */
  readonly here: string;
  readonly signedIn: boolean;
  /** Link the Mango page (`[hq.mango]` is on). */
  readonly mango?: boolean;
  /** Link the CRM page (`[hq.crm]` is on). */
  readonly crm?: boolean;
  readonly children: Child;
}

export function FleetLayout(props: PageProps) {
  const { t, lang } = props;
  return (
    <html lang={t.htmlLang}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{props.title}</title>
        <link rel="stylesheet" href={fleetAssetUrl("hq.css")} />
        <script src={fleetAssetUrl("htmx.min.js")} defer />
      </head>
      <body class="hq">
        <header class="hq-top">
          <a class="hq-home" href={`/fleet?lang=${lang}`}>
            {t.title}
          </a>
          <nav class="hq-nav">
            {props.signedIn && props.mango === true && (
              <a class="hq-btn" href={`/fleet/mango?lang=${lang}`} data-testid="nav-mango">
                {t.mango}
              </a>
            )}
            {props.signedIn && props.crm === true && (
              <a class="hq-btn" href={`/fleet/crm?lang=${lang}`} data-testid="nav-crm">
                {t.crm}
              </a>
            )}
            {(["ru", "en"] as const).map((to) => (
              <a
                class={to === lang ? "hq-btn hq-lang current" : "hq-btn hq-lang"}
                href={`${props.here}?lang=${to}`}
                hreflang={to}
                data-testid={`lang-${to}`}
              >
                {to.toUpperCase()}
              </a>
            ))}
            {props.signedIn && (
              <form method="post" action={`/fleet/logout?lang=${lang}`}>
                <button class="hq-btn" type="submit" data-testid="logout">
                  {t.signOut}
                </button>
              </form>
            )}
          </nav>
        </header>
        <main class="hq-main">{props.children}</main>
      </body>
    </html>
  );
}

export function LoginForm(props: { t: FleetText; lang: FleetLang; error: string | null }) {
  const { t } = props;
  return (
    <form class="hq-login" method="post" action={`/fleet/login?lang=${props.lang}`}>
      <h1>{t.loginTitle}</h1>
      {props.error !== null && (
        <p class="hq-error" role="alert" data-testid="login-error">
          {props.error}
        </p>
      )}
      <label for="token">{t.tokenLabel}</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="current-password"
        required
        data-testid="token"
      />
      <button class="hq-btn primary" type="submit" data-testid="sign-in">
        {t.signIn}
      </button>
    </form>
  );
}

export interface FleetTableProps {
  readonly t: FleetText;
  readonly lang: FleetLang;
  readonly rows: readonly FleetRow[];
  readonly now: number;
  readonly alertMinutes: number;
  /** Commands waiting per branch; undefined: HQ sends no commands itself ([hq.mango] is off). */
  readonly commandsWaiting: ReadonlyMap<string, number> | undefined;
}

export function FleetTable(props: FleetTableProps) {
  const { t, lang, now } = props;
  if (props.rows.length === 0)
    return (
      <p class="hq-empty" data-testid="no-branches">
        {t.noBranches}
      </p>
    );
  return (
    <table class="hq-table" data-testid="fleet">
      <thead>
        <tr>
          <th>{t.branch}</th>
          <th>{t.state}</th>
          <th>{t.version}</th>
          <th>{t.backlog}</th>
          <th>{t.lastRecord}</th>
          <th>{t.lag}</th>
          <th>{t.commandsWaiting}</th>
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => (
          <tr
            class={row.alert ? "alert" : row.state}
            data-testid={`branch-${row.branch}`}
            data-state={row.state}
          >
            <td>
              <a class="hq-btn link" href={`/fleet/branch/${encodeURIComponent(row.branch)}?lang=${lang}`}>
                {row.branch}
              </a>
            </td>
            <td>
              <span class={`hq-state ${row.state}`} data-testid="state">
                {row.state === "online" ? t.online : row.state === "offline" ? t.offline : t.unknown}
              </span>
              {row.since !== null && (
                <span class="hq-since">
                  {" "}
                  {t.since} {at(row.since, lang)} ({ago(now - row.since, lang)})
                </span>
              )}
              {row.alert && (
                <strong class="hq-alert" data-testid="alert">
                  {t.alert(props.alertMinutes)}
                </strong>
              )}
            </td>
            <td data-testid="version">{row.version ?? t.never}</td>
            <td data-testid="backlog">
              {row.backlog ?? t.never}
              {row.backlogPeak !== null && row.backlog !== null && (
                <>
                  <progress max={row.backlogPeak} value={row.backlogPeak - row.backlog} data-testid="drain" />
                  <span class="hq-since">{t.draining(row.backlog, row.backlogPeak)}</span>
                </>
              )}
            </td>
            <td data-testid="last-record">
              {row.lastRecordTs === null ? t.never : at(row.lastRecordTs, lang)}
            </td>
            <td>
              <ul class="hq-lags">
                {row.streams.map((s) => (
                  <li data-testid={`lag-${s.stream}`}>
                    {s.stream}: #{s.through}, {s.lagMs === null ? t.never : ago(s.lagMs, lang)}
                    {s.waiting > 0 && (
                      <span class="hq-badge" data-testid="waiting">
                        {" "}
                        {t.waiting(s.waiting)}
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            </td>
            <td data-testid="commands">
              {props.commandsWaiting?.get(row.branch) ?? (props.commandsWaiting ? 0 : t.never)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface BranchBodyProps {
  readonly t: FleetText;
  readonly lang: FleetLang;
  readonly row: FleetRow;
  readonly detail: BranchDetail;
  readonly problems: readonly BranchProblem[];
  readonly now: number;
  readonly alertMinutes: number;
  readonly commandsWaiting: ReadonlyMap<string, number> | undefined;
}

export function BranchBody(props: BranchBodyProps) {
  const { t, lang, detail, now } = props;
  return (
    <>
      <FleetTable
        t={t}
        lang={lang}
        rows={[props.row]}
        now={now}
        alertMinutes={props.alertMinutes}
        commandsWaiting={props.commandsWaiting}
      />
      <h2>{t.desks}</h2>
      {detail.desks.length === 0 ? (
        <p class="hq-empty">{t.noDesks}</p>
      ) : (
        <ul class="hq-desks" data-testid="desks">
          {detail.desks.map((desk) => (
            <li class="hq-desk" data-testid={`desk-${desk.deskId}`}>
              <strong>{desk.deskId}</strong>
              {desk.holder === null && <span class="hq-since"> {t.nobodyAtPhone}</span>}
              <ul>
                {desk.onShift.map((p) => (
                  <li data-testid={`on-shift-${p.employeeId}`}>
                    {p.employeeId} — {t.onShiftSince} {at(p.from, lang)}
                    {p.holdsPhone && <span class="hq-badge"> {t.holdsPhone}</span>}
                    {p.onBreak && <span class="hq-badge"> {t.onBreak}</span>}
                  </li>
                ))}
              </ul>
            </li>
          ))}
        </ul>
      )}
      <h2>{t.calls}</h2>
      {detail.calls.length === 0 ? (
        <p class="hq-empty">{t.noCalls}</p>
      ) : (
        <CallsTable t={t} lang={lang} calls={detail.calls} />
      )}
      <h2>{t.errors}</h2>
      {detail.unreadable > 0 && <p class="hq-error">{t.unreadable(detail.unreadable)}</p>}
      {props.problems.length === 0 ? (
        <p class="hq-empty" data-testid="no-errors">
          {t.noErrors}
        </p>
      ) : (
        <ul class="hq-problems" data-testid="errors">
          {props.problems.map((p) => (
            <li>
              {at(p.at, lang)} <code>{p.code}</code> {p.stream ?? ""} {p.detail}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function CallsTable(props: { t: FleetText; lang: FleetLang; calls: readonly CallRecordData[] }) {
  const { t, lang } = props;
  const party = (p: CallRecordData["from"]) => p.extension ?? p.number ?? t.never;
  return (
    <table class="hq-table" data-testid="calls">
      <thead>
        <tr>
          <th>{t.callWhen}</th>
          <th>{t.callDirection}</th>
          <th>{t.callFrom}</th>
          <th>{t.callTo}</th>
          <th>{t.callOutcome}</th>
          <th>{t.callOwner}</th>
        </tr>
      </thead>
      <tbody>
        {props.calls.map((call) => (
          <tr data-testid={`call-${call.id}`}>
            <td>{at(call.startedAt, lang)}</td>
            <td>{t.direction[call.direction] ?? call.direction}</td>
            <td>{party(call.from)}</td>
            <td>{party(call.to)}</td>
            <td>{t.outcome[call.outcome] ?? call.outcome}</td>
            <td>{call.owner.employeeId ?? t.never}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What the Mango page shows (`[hq.mango]`): the webhooks' counts, those of no branch, sweeps, commands. */
export interface FleetMango {
  readonly counts: { readonly stored: number; readonly unrouted: number; readonly unpublished: number };
  /** The newest events of no configured branch: kept at HQ, sent nowhere (issue 17). */
  readonly unrouted: readonly {
    readonly id: string;
    readonly kind: string;
    readonly receivedAt: number;
    readonly json: string;
  }[];
  readonly sweeps: readonly {
    readonly reason: string;
    readonly from: number;
    readonly to: number;
    readonly state: string;
    readonly rows: number | null;
    readonly newEntries: number | null;
    readonly lastCode: string | null;
  }[];
  readonly commands: Readonly<Record<string, number>>;
}

/** The fields branch IT matches against `[[hq.mango.branches]]`: the line and the extensions. */
function placeOf(json: string): string {
  try {
    const o = JSON.parse(json) as Record<string, { line_number?: unknown; extension?: unknown } | unknown>;
    const from = (o.from ?? {}) as { extension?: unknown; number?: unknown };
    const to = (o.to ?? {}) as { extension?: unknown; line_number?: unknown };
    const parts = [to.line_number ?? o.line_number, from.extension, to.extension, o.extension];
    return parts.filter((p) => typeof p === "string" || typeof p === "number").join(", ") || "—";
  } catch {
    return "—";
  }
}

export function MangoBody(props: { t: FleetText; lang: FleetLang; mango: FleetMango }) {
  const { t, lang, mango } = props;
  return (
    <>
      <p data-testid="mango-counts">
        {t.mangoCounts(mango.counts.stored, mango.counts.unrouted, mango.counts.unpublished)}
      </p>
      <h2>{t.mangoUnrouted}</h2>
      {mango.unrouted.length === 0 ? (
        <p class="hq-empty">{t.mangoNoUnrouted}</p>
      ) : (
        <>
          <p class="hq-help">{t.mangoUnroutedHelp}</p>
          <table class="hq-table" data-testid="mango-unrouted">
            <thead>
              <tr>
                <th>{t.mangoReceived}</th>
                <th>{t.mangoKind}</th>
                <th>{t.mangoWhat}</th>
              </tr>
            </thead>
            <tbody>
              {mango.unrouted.map((e) => (
                <tr data-testid={`unrouted-${e.id}`}>
                  <td>{at(e.receivedAt, lang)}</td>
                  <td>{e.kind}</td>
                  <td>{placeOf(e.json)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <h2>{t.mangoSweeps}</h2>
      {mango.sweeps.length === 0 ? (
        <p class="hq-empty">{t.mangoNoSweeps}</p>
      ) : (
        <table class="hq-table" data-testid="mango-sweeps">
          <thead>
            <tr>
              <th>{t.mangoSweepWindow}</th>
              <th>{t.mangoSweepState}</th>
            </tr>
          </thead>
          <tbody>
            {mango.sweeps.map((s) => (
              <tr>
                <td>
                  {at(s.from * 1000, lang)} – {at(s.to * 1000, lang)} ({s.reason})
                </td>
                <td>
                  {s.state}
                  {s.lastCode === null ? "" : ` ${s.lastCode}`}: {t.mangoSweepFound(s.rows, s.newEntries)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t.mangoCommands}</h2>
      <p data-testid="mango-commands">
        {Object.entries(mango.commands)
          .map(([outcome, n]) => `${outcome}: ${n}`)
          .join(", ") || t.never}
      </p>
    </>
  );
}
