import type { PhoneConfig } from "../../config/phones-section.ts";
import type { AttributedLeg, CallRecord } from "../../domain/call/call-types.ts";
import type { CallIntents, Intent } from "../../domain/rules/intent-types.ts";
import type { RouteExplanation } from "../../domain/rules/routing-port.ts";
import type { Messages } from "../../i18n/index.ts";
import { formatDateTime } from "../ui/branch-time.ts";
import { formatElapsed, formatPhone } from "../ui/phone-format.ts";
import { directionText, legLines, outcomeText, partyText, ruleText, talkSeconds } from "./call-text.ts";

export interface CallPageProps {
  readonly t: Messages;
  readonly timezone: string;
  readonly record: CallRecord;
  readonly nameOf: (id: string | null) => string | null;
  /** What the box sent HQ's CRM for the call, or why nothing; null: not decided (yet). */
  readonly intents: CallIntents | null;
  /** Routing decisions the PBX carried out for the call (R2.6, R4.7), with their reasons. */
  readonly routes: readonly RouteExplanation[];
  /** Issue 17: the desk phone whose action URL said it answered a leg (by extension and time); absent: none configured. */
  readonly pickedUp?: (extension: string, answeredAt: number) => PhoneConfig | null;
}

/**
 * One call told in words (issue 16, "explain every decision"): what it was, then each leg in the
 * order the phones rang, who owned it and by which rule, and who got a call card.
 */
export function CallPage({ t, timezone, record, nameOf, intents, routes, pickedUp }: CallPageProps) {
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
      {routes.length > 0 && (
        <>
          <h2>{t.callRouteTitle}</h2>
          <ul data-testid="call-routes">
            {routes.map((route) => (
              <li>
                <span class="num">{formatDateTime(route.at, timezone).slice(11)}</span>{" "}
                {route.target === null ? t.callRouteNobody : t.callRouteRang(route.target)} —{" "}
                <code>{route.rule}</code>
                <div class="muted reason">{route.reason}</div>
              </li>
            ))}
          </ul>
        </>
      )}
      <h2>{t.callStoryTitle}</h2>
      <ol class="call-story" data-testid="call-story">
        {legs.map(({ leg, line }) => (
          <li data-testid={`call-leg-${leg.id}`}>
            <span class="num">{formatDateTime(leg.ringingAt ?? record.startedAt, timezone).slice(11)}</span>{" "}
            {line}
            {legDetail(leg, t)}
            <PickedUpOn leg={leg} t={t} pickedUp={pickedUp} />
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
      <h2>{t.callIntentsTitle}</h2>
      <CallIntentsList t={t} intents={intents} nameOf={nameOf} />
      <p>
        <a class="btn secondary" href="/admin/calls" data-testid="back-to-calls">
          {t.callBackToCalls}
        </a>
      </p>
    </div>
  );
}

/** R3.4–R3.10, R2.7: each intent sent for the call in words, with its rule; or why there were none. */
function CallIntentsList(props: Pick<CallPageProps, "t" | "intents" | "nameOf">) {
  const { t, intents, nameOf } = props;
  if (intents === null || (intents.intents.length === 0 && intents.none === null))
    return (
      <p class="muted" data-testid="call-intents-none">
        {t.callIntentsUndecided}
      </p>
    );
  if (intents.intents.length === 0)
    return (
      <p class="muted" data-testid="call-intents-none">
        {t.callIntentsNone(intents.none ?? "")}
      </p>
    );
  const who = (id: string | null) => (id === null ? t.intentNobody : (nameOf(id) ?? id));
  return (
    <ul data-testid="call-intents">
      {intents.intents.map((intent) => (
        <li data-testid={`call-intent-${intent.id}`}>
          {intentText(intent, t, who)} — <code>{intent.data.rule}</code>
        </li>
      ))}
    </ul>
  );
}

function intentText(intent: Intent, t: Messages, who: (id: string | null) => string): string {
  switch (intent.type) {
    case "crm.client.create":
      return t.intentClientCreate(formatPhone(intent.data.number), who(intent.data.responsibleEmployeeId));
    case "crm.order.create":
      return t.intentOrderCreate(who(intent.data.responsibleEmployeeId));
    case "crm.task.create":
      return t.intentTask(intent.data.status, intent.data.purpose, who(intent.data.assigneeEmployeeId));
    case "crm.client.reopen":
      return t.intentClientReopen;
    case "crm.client.reassign":
      return t.intentClientReassign(who(intent.data.from), who(intent.data.to));
    case "crm.unsorted.create":
      return t.intentUnsorted(formatPhone(intent.data.number), intent.data.pipeline);
  }
}

/** Which desk phone picked the leg up, when one said so within seconds of the PBX's answer. */
function PickedUpOn({
  leg,
  t,
  pickedUp,
}: {
  leg: AttributedLeg;
  t: Messages;
  pickedUp: CallPageProps["pickedUp"];
}) {
  if (pickedUp === undefined || leg.answeredAt === null || leg.extension === null) return null;
  const phone = pickedUp(leg.extension, leg.answeredAt);
  if (phone === null) return null;
  return (
    <div class="muted" data-testid={`call-leg-phone-${leg.id}`}>
      {t.callPickedUpOn(phone.id, phone.vendor, phone.address)}
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
