import type { AttributedLeg, CallRecord } from "../../domain/call/call-types.ts";
import type { Messages } from "../../i18n/index.ts";
import { formatDateTime } from "../ui/branch-time.ts";
import { formatElapsed } from "../ui/phone-format.ts";
import { directionText, legLines, outcomeText, partyText, ruleText, talkSeconds } from "./call-text.ts";

export interface CallPageProps {
  readonly t: Messages;
  readonly timezone: string;
  readonly record: CallRecord;
  readonly nameOf: (id: string | null) => string | null;
}

/**
 * One call told in words (issue 16, "explain every decision"): what it was, then each leg in the
 * order the phones rang, who owned it and by which rule, and who got a call card.
 */
export function CallPage({ t, timezone, record, nameOf }: CallPageProps) {
  const talk = talkSeconds(record);
  const owner = nameOf(record.owner.employeeId);
  const lines = legLines(record, nameOf, t);
  const legs = record.legs
    .map((leg, i) => ({ leg, line: lines[i] ?? "" }))
    .sort((a, b) => (a.leg.ringingAt ?? record.startedAt) - (b.leg.ringingAt ?? record.startedAt));
  return (
    <div class="admin call-admin">
      <h1 data-testid="call-title">
        {t.callPageTitle(
          formatDateTime(record.startedAt, timezone),
          directionText(record.direction, t),
          partyText(record.from, t),
        )}
      </h1>
      <dl class="call-facts" data-testid="call-facts">
        <dt>{t.colFrom}</dt>
        <dd>{partyText(record.from, t)}</dd>
        <dt>{t.colTo}</dt>
        <dd>{partyText(record.to, t)}</dd>
        {record.did !== null && (
          <>
            <dt>{t.csvDid}</dt>
            <dd>{record.did}</dd>
          </>
        )}
        <dt>{t.colOutcome}</dt>
        <dd>
          {outcomeText(record.outcome, t)}
          {talk === null ? "" : `, ${t.colDuration.toLowerCase()} ${formatElapsed(talk * 1000)}`}
        </dd>
        <dt>{t.colOwner}</dt>
        <dd data-testid="call-owner">
          {owner ?? t.adminNobody} — <code>{record.owner.rule}</code> {ruleText(record.owner.rule, t)}
        </dd>
        {record.recordingUrl !== null && (
          <>
            <dt>{t.csvRecording}</dt>
            <dd>
              <a href={record.recordingUrl}>{record.recordingUrl}</a>
            </dd>
          </>
        )}
      </dl>
      <h2>{t.callStoryTitle}</h2>
      <ol class="call-story" data-testid="call-story">
        {legs.map(({ leg, line }) => (
          <li data-testid={`call-leg-${leg.id}`}>
            <span class="num">{formatDateTime(leg.ringingAt ?? record.startedAt, timezone).slice(11)}</span>{" "}
            {line}
            {legDetail(leg, t)}
            <div class="muted">
              <code>{leg.rule}</code> {ruleText(leg.rule, t)}
            </div>
          </li>
        ))}
      </ol>
      <h2>{t.callPopsTitle}</h2>
      {record.pops.length === 0 ? (
        <p class="muted" data-testid="call-pops-none">
          {t.callPopsNone}
        </p>
      ) : (
        <ul data-testid="call-pops">
          {record.pops.map((pop) => (
            <li>
              {nameOf(pop.employeeId) ?? pop.employeeId} — <code>{pop.rule}</code>{" "}
              {t.popReasonText(pop.reason)}
            </li>
          ))}
        </ul>
      )}
      <p>
        <a class="btn secondary" href="/admin/calls" data-testid="back-to-calls">
          {t.callBackToCalls}
        </a>
      </p>
    </div>
  );
}

/** How long a leg rang before its answer, or before it ended unanswered. */
function legDetail(leg: AttributedLeg, t: Messages): string {
  if (leg.ringingAt === null) return "";
  const until = leg.answeredAt ?? leg.endedAt;
  if (until === null) return "";
  const seconds = Math.max(0, Math.round((until - leg.ringingAt) / 1000));
  return leg.answeredAt === null ? ` (${t.callRangFor(seconds)})` : ` (${t.callAnsweredAfter(seconds)})`;
}
