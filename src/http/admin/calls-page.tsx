import type { CallRecord } from "../../domain/call/call-types.ts";
import type { Messages } from "../../i18n/index.ts";
import type { EmployeeView } from "../../service/roster-port.ts";
import { formatDateTime } from "../ui/branch-time.ts";
import { formatElapsed } from "../ui/phone-format.ts";
import {
  directionText,
  legLines,
  outcomeText,
  partyText,
  ruleText,
  talkSeconds,
  transferMarks,
} from "./call-text.ts";
import { type CallsFilter, filterQuery, OUTCOMES } from "./calls-filter.ts";

export interface CallsPageProps {
  readonly t: Messages;
  readonly timezone: string;
  readonly filter: CallsFilter;
  /** Set when the query could not be read; no calls are shown then. */
  readonly problem: string | null;
  readonly records: readonly CallRecord[];
  /** More calls matched than are shown. */
  readonly limited: number | null;
  readonly employees: readonly EmployeeView[];
  readonly nameOf: (employeeId: string | null) => string | null;
}

/** R2.9 (without audio yet): the branch's finished calls for a day, filtered, with a CSV of the same. */
export function CallsPage(props: CallsPageProps) {
  const { t, filter } = props;
  return (
    <div class="admin calls-admin">
      <h1>{t.callsTitle(filter.day)}</h1>
      <p class="muted">{t.callsHint}</p>
      <form class="calls-filter" method="get" action="/admin/calls" data-testid="calls-filter">
        <label>
          {t.filterDay}
          <input type="date" name="day" value={filter.day} required />
        </label>
        <label>
          {t.filterEmployee}
          <select name="employee">
            <option value="">{t.filterAny}</option>
            {props.employees.map((e) => (
              <option value={e.id} selected={e.id === filter.employee}>
                {e.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.filterOutcome}
          <select name="outcome">
            <option value="">{t.filterAny}</option>
            {OUTCOMES.map((o) => (
              <option value={o} selected={o === filter.outcome}>
                {outcomeText(o, t)}
              </option>
            ))}
          </select>
        </label>
        <button class="btn primary" type="submit">
          {t.filterApply}
        </button>
        <a class="btn secondary" href={`/admin/calls.csv?${filterQuery(filter)}`} data-testid="csv-link">
          {t.csvDownload} {t.csvForExcel}
        </a>
        <a
          class="btn secondary"
          href={`/admin/calls.csv?${filterQuery(filter)}&sep=comma`}
          data-testid="csv-comma-link"
        >
          {t.csvDownloadComma}
        </a>
      </form>
      {props.problem !== null ? (
        <p class="flash error" role="alert" data-testid="calls-error">
          {t.callsBadFilter(props.problem)}
        </p>
      ) : props.records.length === 0 ? (
        <p class="muted" data-testid="calls-none">
          {t.callsNone}
        </p>
      ) : (
        <CallsTable {...props} />
      )}
      {props.limited !== null && (
        <p class="muted" data-testid="calls-limited">
          {t.callsLimited(props.limited)}
        </p>
      )}
    </div>
  );
}

function CallsTable({ t, timezone, records, nameOf }: CallsPageProps) {
  return (
    <table class="dense calls-table" data-testid="calls">
      <thead>
        <tr>
          <th>{t.colTime}</th>
          <th>{t.colDirection}</th>
          <th>{t.colFrom}</th>
          <th>{t.colTo}</th>
          <th>{t.colOutcome}</th>
          <th>{t.colDuration}</th>
          <th>{t.colOwner}</th>
          <th>{t.colRule}</th>
          <th>{t.colLegs}</th>
          <th>{t.colTransfer}</th>
        </tr>
      </thead>
      <tbody>
        {records.map((r) => {
          const talk = talkSeconds(r);
          const marks = transferMarks(r, t);
          return (
            <tr data-testid={`call-${r.id}`} data-outcome={r.outcome}>
              <td class="num">
                <a href={`/admin/calls/${encodeURIComponent(r.id)}`} data-testid={`call-${r.id}-open`}>
                  {formatDateTime(r.startedAt, timezone).slice(11)}
                </a>
              </td>
              <td>{directionText(r.direction, t)}</td>
              <td class="num">{partyText(r.from, t)}</td>
              <td class="num">{partyText(r.to, t)}</td>
              <td class={`outcome ${r.outcome}`}>
                {outcomeText(r.outcome, t)}
                {r.recovered === null ? null : (
                  <div class="muted" data-testid={`call-${r.id}-recovered`}>
                    {t.callRecovered(
                      r.recovered.via,
                      Math.max(0, r.recovered.at - (r.endedAt ?? r.startedAt)),
                    )}
                  </div>
                )}
              </td>
              <td class="num">{talk === null ? "" : formatElapsed(talk * 1000)}</td>
              <td data-testid={`call-${r.id}-owner`}>{nameOf(r.owner.employeeId) ?? t.adminNobody}</td>
              <td>
                <code>{r.owner.rule}</code> {ruleText(r.owner.rule, t)}
                <div class="muted reason">{r.owner.reason}</div>
              </td>
              <td>
                <ul class="legs">
                  {legLines(r, nameOf, t).map((line) => (
                    <li>{line}</li>
                  ))}
                </ul>
              </td>
              <td>{marks.length === 0 ? "" : <span class="badge transfer">{marks.join("; ")}</span>}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
