import type { Child } from "hono/jsx";
import { pbxSectionNames } from "../../config/pbx-sections.ts";
import type { Owner, OwnerRule, RosterChange } from "../../domain/roster/types.ts";
import type { Messages } from "../../i18n/index.ts";
import type { PbxGap, PbxView } from "../../service/calls-port.ts";
import type { AuditEntry, PinStatusView } from "../../service/roster-port.ts";
import type { InboundStatus } from "../../sync/inbound/inbound-types.ts";
import type { RelayStatus } from "../../sync/relay/index.ts";
import { formatDateTime, formatTime } from "../ui/branch-time.ts";
import { auditSentence, kindText } from "./audit-text.ts";
import { type MappedTo, PbxInventory } from "./pbx-inventory.tsx";

/** A fact entered this long after it happened is shown with its recording time (a correction). */
const LATE_ENTRY_MS = 60_000;

/** The relay's status and, per stream, the largest backlog since it was last empty (for the bar). */
export interface SyncView {
  readonly status: RelayStatus;
  readonly peaks: Readonly<Record<string, number>>;
}

export interface AdminPageProps {
  readonly t: Messages;
  readonly timezone: string;
  readonly version: string;
  readonly owners: readonly Owner[];
  /** The branch's day whose changes and audit entries are listed ("YYYY-MM-DD"), and today's. */
  readonly day: DayView;
  readonly changes: readonly RosterChange[];
  readonly audit: readonly AuditEntry[];
  readonly pins: PinStatusView;
  readonly pbx: PbxView;
  readonly sync: SyncView | null;
  readonly inbound: InboundStatus;
  readonly nameOf: (employeeId: string | null) => string | null;
  readonly deskNameOf: (deskId: string | null) => string | null;
  /** A department's name by its extension (`[[departments]]`, R4.2), for forwarding's audit entries. */
  readonly departmentOf?: (extension: string) => string;
  /** Who holds an extension (desks, employees, `[pbx.ami] handsets`), for the PBX's endpoint list. */
  readonly mappedTo?: MappedTo;
  /** The paired screens (devices-section.tsx), shown after the PIN locks. */
  readonly devices?: Child;
  /** The desk phones (phones-section.tsx, issue 17), shown after the paired screens. */
  readonly phones?: Child;
}

/** The day picker's state: the day shown, its neighbours, today, and a `?day=` that was not a date. */
export interface DayView {
  readonly day: string;
  readonly today: string;
  readonly previous: string;
  readonly next: string;
  /** The text given as `?day=` when it was not a date (today is shown then). */
  readonly problem: string | null;
}

const ruleText = (rule: OwnerRule, t: Messages) =>
  rule === "dedicated" ? t.ruleDedicated : rule === "desk-checkin" ? t.ruleDeskCheckin : t.ruleUnmapped;

function sourceText(source: RosterChange["source"], t: Messages): string {
  switch (source) {
    case "kiosk":
      return t.sourceKiosk;
    case "api":
      return t.sourceApi;
    case "manager":
      return t.sourceManager;
    case "hq":
      return t.sourceHq;
    case "automatic":
      return t.sourceAutomatic;
  }
}

/**
 * Branch IT's screen (R0.4): the seed's support checklist ("is the extension in the profile the
 * same as on the handset? log out and in again") replaced by the answer itself — who owns each
 * extension now and why — with today's roster changes and the audit behind them.
 */
export function AdminPage(props: AdminPageProps) {
  const { t, timezone: tz } = props;
  const isToday = props.day.day === props.day.today;
  return (
    <div class="admin">
      <SyncSection sync={props.sync} t={t} timezone={tz} />
      <DownSection inbound={props.inbound} t={t} />
      <PbxSection pbx={props.pbx} t={t} timezone={tz} mappedTo={props.mappedTo ?? (() => null)} />
      <section>
        <h1>{t.adminTitle}</h1>
        <p class="muted">{t.adminOwnersHint}</p>
        <table class="dense" data-testid="owners">
          <thead>
            <tr>
              <th>{t.adminExtension}</th>
              <th>{t.adminDesk}</th>
              <th>{t.adminOwner}</th>
              <th>{t.adminRule}</th>
              <th>{t.adminReason}</th>
              <th>{t.adminSince}</th>
            </tr>
          </thead>
          <tbody>
            {props.owners.map((o) => (
              <tr data-testid={`owner-${o.extension}`}>
                <td class="num">{o.extension}</td>
                <td>{props.deskNameOf(o.deskId) ?? t.adminDedicated}</td>
                <td data-testid={`owner-${o.extension}-name`}>
                  {props.nameOf(o.employeeId) ?? t.adminNobody}
                </td>
                <td>
                  <code>{o.rule}</code> {ruleText(o.rule, t)}
                </td>
                <td data-testid={`owner-${o.extension}-reason`}>{t.ownerWhy(o.extension, o.why)}</td>
                <td class="num">{o.since === null ? "" : formatTime(o.since, tz)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      <PinSection pins={props.pins} t={t} timezone={tz} />
      {props.devices}
      {props.phones}

      <DayPicker day={props.day} t={t} />

      <section id="changes">
        <h2>{isToday ? t.adminChangesTitle : t.adminChangesOn(props.day.day)}</h2>
        {props.changes.length === 0 ? (
          <p class="muted" data-testid="changes-none">
            {isToday ? t.adminNoChanges : t.adminNoChangesOn(props.day.day)}
          </p>
        ) : (
          <table class="dense" data-testid="changes">
            <thead>
              <tr>
                <th>{t.adminTime}</th>
                <th>{t.adminWhat}</th>
                <th>{t.adminEmployee}</th>
                <th>{t.adminDesk}</th>
                <th>{t.adminSource}</th>
                <th>{t.adminActor}</th>
                <th>{t.adminRecordedAt}</th>
              </tr>
            </thead>
            <tbody>
              {props.changes.map((ch) => (
                <tr class={ch.source === "manager" ? "correction" : undefined}>
                  <td class="num">{formatDateTime(ch.at, tz).slice(11)}</td>
                  <td>{kindText(ch.kind, t)}</td>
                  <td>{props.nameOf(ch.employeeId)}</td>
                  <td>{props.deskNameOf(ch.deskId) ?? ""}</td>
                  <td>{sourceText(ch.source, t)}</td>
                  <td>{props.nameOf(ch.actorId) ?? ""}</td>
                  <td class="num">
                    {ch.recordedAt !== null && ch.recordedAt - ch.at > LATE_ENTRY_MS
                      ? formatDateTime(ch.recordedAt, tz)
                      : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <AuditSection {...props} isToday={isToday} />
      <footer class="muted">
        <a class="btn secondary" href="/admin">
          {t.adminRefresh}
        </a>{" "}
        {t.adminVersion(props.version)}
      </footer>
    </div>
  );
}

const dayHref = (day: string) => `/admin?day=${day}#changes`;

/** Issue 14 (7): a past day's roster changes and audit entries, by a plain GET form and day links. */
function DayPicker({ day, t }: { day: DayView; t: Messages }) {
  return (
    <section data-testid="day-picker">
      <form class="calls-filter" method="get" action="/admin#changes">
        <label>
          {t.filterDay}
          <input type="date" name="day" value={day.day} max={day.today} required />
        </label>
        <button class="btn primary" type="submit">
          {t.filterApply}
        </button>
        <a class="btn secondary" href={dayHref(day.previous)} data-testid="day-previous">
          {t.adminDayPrevious}
        </a>
        {day.day < day.today && (
          <a class="btn secondary" href={dayHref(day.next)} data-testid="day-next">
            {t.adminDayNext}
          </a>
        )}
        {day.day !== day.today && (
          <a class="btn secondary" href="/admin#changes" data-testid="day-today">
            {t.adminDayToday}
          </a>
        )}
      </form>
      {day.problem !== null && (
        <p class="flash error" role="alert" data-testid="day-error">
          {t.adminBadDay(day.problem)}
        </p>
      )}
    </section>
  );
}

/**
 * The day's audit entries, each said as a sentence (names, the branch's time, who did it); the
 * entry as recorded stays one tap away for branch IT.
 */
function AuditSection(props: AdminPageProps & { isToday: boolean }) {
  const { t, timezone: tz, day } = props;
  const context = {
    t,
    timezone: tz,
    nameOf: (id: string) => props.nameOf(id) ?? id,
    deskNameOf: (id: string) => props.deskNameOf(id) ?? id,
    ...(props.departmentOf === undefined ? {} : { departmentOf: props.departmentOf }),
  };
  return (
    <section id="audit">
      <h2>{props.isToday ? t.adminAuditTitle : t.adminAuditOn(day.day)}</h2>
      {props.audit.length === 0 ? (
        <p class="muted" data-testid="audit-none">
          {props.isToday ? t.adminNoAudit : t.adminNoAuditOn(day.day)}
        </p>
      ) : (
        <table class="dense" data-testid="audit">
          <thead>
            <tr>
              <th>{t.adminTime}</th>
              <th>{t.adminAction}</th>
              <th>{t.adminDetail}</th>
            </tr>
          </thead>
          <tbody>
            {props.audit.map((a) => (
              <tr data-testid={`audit-${a.id}`}>
                <td class="num">{formatDateTime(a.at, tz).slice(11)}</td>
                <td data-testid={`audit-${a.id}-text`}>{auditSentence(a, context)}</td>
                <td>
                  <details>
                    <summary>{t.auditRaw}</summary>
                    <code>{a.action}</code>
                    {a.actorId === null ? "" : ` · ${a.actorId}`} · {a.detail}
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Who is locked out of the kiosk now and who typed wrong PINs today: a guesser stands out. */
function PinSection({ pins, t, timezone }: { pins: PinStatusView; t: Messages; timezone: string }) {
  return (
    <section data-testid="pins">
      <h2>{t.adminPinsTitle}</h2>
      {pins.locked.length === 0 ? (
        <p class="muted" data-testid="pins-none-locked">
          {t.adminPinsNoneLocked}
        </p>
      ) : (
        <table class="dense" data-testid="pins-locked">
          <thead>
            <tr>
              <th>{t.adminEmployee}</th>
              <th>{t.adminPinsLockedUntil}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {pins.locked.map((l) => (
              <tr data-testid={`pin-locked-${l.employeeId}`}>
                <td>{l.name}</td>
                <td class="num">{formatTime(l.until, timezone)}</td>
                <td>
                  <form method="post" action={`/admin/pins/${encodeURIComponent(l.employeeId)}/unlock`}>
                    <button class="btn secondary" type="submit" data-testid={`pin-unlock-${l.employeeId}`}>
                      {t.adminPinsUnlock}
                    </button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {pins.wrongToday.length === 0 ? (
        <p class="muted">{t.adminPinsNoneWrong}</p>
      ) : (
        <table class="dense" data-testid="pins-wrong">
          <thead>
            <tr>
              <th>{t.adminEmployee}</th>
              <th>{t.adminPinsWrongToday}</th>
            </tr>
          </thead>
          <tbody>
            {pins.wrongToday.map((w) => (
              <tr data-testid={`pin-wrong-${w.employeeId}`}>
                <td>{w.name}</td>
                <td class="num">{w.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

const orphanTotal = (byKind: Readonly<Record<string, number>> | undefined): number =>
  Object.values(byKind ?? {}).reduce((sum, n) => sum + n, 0);

function PbxSection({
  pbx,
  t,
  timezone,
  mappedTo,
}: {
  pbx: PbxView;
  t: Messages;
  timezone: string;
  mappedTo: MappedTo;
}) {
  const p = pbx.pipeline;
  return (
    <section data-testid="pbx">
      <h2>{t.adminPbxTitle}</h2>
      {pbx.sources.length === 0 ? (
        <p class="muted" data-testid="pbx-none">
          {t.adminPbxNone(pbxSectionNames())}
        </p>
      ) : (
        <table class="dense">
          <thead>
            <tr>
              <th>{t.adminPbxSource}</th>
              <th>{t.adminPbxState}</th>
              <th>{t.adminSince}</th>
              <th>{t.adminPbxEvents}</th>
              <th>{t.adminPbxBadFrames}</th>
            </tr>
          </thead>
          <tbody>
            {pbx.sources.map(({ name, status }) => (
              <tr data-testid={`pbx-source-${name}`}>
                <td>{name}</td>
                <td class={status.state === "connected" ? "ok" : "warn"}>
                  {t.adminPbxStateText(status.state)} — {status.detail}
                </td>
                <td class="num">{formatDateTime(status.since, timezone)}</td>
                <td class="num">{status.eventsReceived}</td>
                <td class="num">{status.badFrames}</td>
              </tr>
            ))}
            {pbx.sources.flatMap(({ name, status }) =>
              (status.subscriptions ?? []).map((sub) => (
                <tr data-testid={`pbx-subscription-${name}-${sub.target}`}>
                  <td class="muted">↳ {name}</td>
                  <td class={sub.state === "active" ? "ok" : "warn"}>
                    {t.adminPbxSubscriptionText(sub.target, sub.state)} — {sub.detail}
                  </td>
                  <td class="num">{formatDateTime(sub.since, timezone)}</td>
                  <td />
                  <td />
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
      <p class="muted" data-testid="pbx-pipeline">
        {t.adminPbxPipeline(p.received, p.duplicates, p.rejected, p.recorded)}
        {p.lastRejection === null ? "" : ` ${t.adminPbxLastRejection}: ${p.lastRejection}`}
      </p>
      {pbx.sources.flatMap(({ name, status }) =>
        status.orphans === undefined && status.duplicateFrames === undefined
          ? []
          : [
              <p class="muted" data-testid={`pbx-dropped-${name}`}>
                {t.adminPbxDropped(
                  name,
                  orphanTotal(status.orphans),
                  Object.entries(status.orphans ?? {})
                    .map(([kind, n]) => `${kind} ${n}`)
                    .join(", "),
                  status.duplicateFrames ?? 0,
                )}
              </p>,
            ],
      )}
      {pbx.sources.flatMap(({ name, status }) =>
        status.capture === undefined
          ? []
          : [
              <p class={status.capture.on ? "muted" : "warn"} data-testid={`pbx-capture-${name}`}>
                {t.adminPbxCapture(name, status.capture)}
              </p>,
            ],
      )}
      {pbx.gaps === undefined || pbx.sources.length === 0 ? null : (
        <GapList gaps={pbx.gaps} t={t} timezone={timezone} />
      )}
      {pbx.sources.map(({ name, status }) => (
        <PbxInventory name={name} status={status} t={t} timezone={timezone} mappedTo={mappedTo} />
      ))}
    </section>
  );
}

/** "0:00:42", "27:05:00": a gap may last a weekend, so hours are not capped. */
function gapLength(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${Math.floor(total / 3600)}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
}

/** Issue 13: each time a PBX link was down, and what reading the PBX's records back gave. */
function GapList({ gaps, t, timezone }: { gaps: readonly PbxGap[]; t: Messages; timezone: string }) {
  return (
    <div data-testid="pbx-gaps">
      <h3>{t.adminGapsTitle}</h3>
      {gaps.length === 0 ? (
        <p class="muted">{t.adminGapsNone}</p>
      ) : (
        <table class="dense">
          <thead>
            <tr>
              <th>{t.adminPbxSource}</th>
              <th>{t.adminGapLost}</th>
              <th>{t.adminGapBack}</th>
              <th>{t.adminGapLength}</th>
              <th>{t.adminGapResult}</th>
            </tr>
          </thead>
          <tbody>
            {gaps.map((gap) => (
              <tr data-testid={`pbx-gap-${gap.id}`}>
                <td>{gap.source}</td>
                <td class="num">{formatDateTime(gap.lostAt, timezone)}</td>
                <td class="num">{formatDateTime(gap.backAt, timezone)}</td>
                <td class="num">{gapLength(gap.backAt - gap.lostAt)}</td>
                <td class={gap.state === "recovered" ? "ok" : "warn"}>
                  {gap.detail?.startsWith("backfill") ? `${t.adminGapBackfill}: ` : ""}
                  {t.adminGapText(gap.state, gap.calls, gap.via, gap.detail, gap.skipped)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function SyncSection({ sync, t, timezone }: { sync: SyncView | null; t: Messages; timezone: string }) {
  if (sync === null) {
    return (
      <section data-testid="sync">
        <h2>{t.adminSyncTitle}</h2>
        <p class="muted" data-testid="sync-off">
          {t.adminSyncOff}
        </p>
      </section>
    );
  }
  const s = sync.status;
  return (
    <section data-testid="sync">
      <h2>{t.adminSyncTitle}</h2>
      <p data-testid="sync-link" class={s.state === "connected" && s.hqOnline ? "ok" : "warn"}>
        {t.adminSyncLink(s.state, s.hqOnline)} · {t.adminSince} {formatDateTime(s.since, timezone)} ·{" "}
        {t.adminSyncEpoch(s.epoch, s.reconnects)}
        {s.lastError === null ? "" : ` · ${s.lastError}`}
      </p>
      <table class="dense">
        <thead>
          <tr>
            <th>{t.adminSyncStream}</th>
            <th>{t.adminSyncBacklog}</th>
            <th>{t.adminSyncAcked}</th>
            <th>{t.adminSyncProgress}</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(s.streams).map(([stream, st]) => {
            const peak = Math.max(sync.peaks[stream] ?? 0, st.backlog);
            return (
              <tr data-testid={`sync-${stream}`}>
                <td>{stream}</td>
                <td class="num">{st.backlog}</td>
                <td class="num">{st.ackedThrough}</td>
                <td>
                  {st.backlog === 0 ? (
                    t.adminSyncDone
                  ) : (
                    <progress max={peak} value={peak - st.backlog} data-testid={`sync-${stream}-progress`}>
                      {peak - st.backlog}/{peak}
                    </progress>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function DownSection({ inbound, t }: { inbound: InboundStatus; t: Messages }) {
  const rejected = Object.entries(inbound.rejected).filter(([, n]) => n > 0);
  return (
    <section data-testid="down">
      <h2>{t.adminDownTitle}</h2>
      <p class="muted" data-testid="down-summary">
        {Object.entries(inbound.streams)
          .map(([stream, s]) => t.adminDownStream(stream, s.through, s.applied))
          .join(" · ")}
        {" · "}
        {t.adminDownClients(inbound.clients.version, inbound.clients.count, inbound.clients.stale)}
      </p>
      {rejected.length > 0 && (
        <p class="warn" data-testid="down-rejected">
          {t.adminDownRejected}: {rejected.map(([code, n]) => `${code} ×${n}`).join(", ")}
          {inbound.lastRejection === null ? "" : ` — ${inbound.lastRejection.reason}`}
        </p>
      )}
    </section>
  );
}
