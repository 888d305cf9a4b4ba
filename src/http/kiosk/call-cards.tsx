import type { Instant } from "../../domain/roster/types.ts";
import type { Messages } from "../../i18n/index.ts";
import type { CallCard } from "../../service/calls-port.ts";
import { formatTime } from "../ui/branch-time.ts";
import { formatElapsed, formatPhone } from "../ui/phone-format.ts";
import { deskCallActions } from "./desk-calls.ts";
import type { PbxLink } from "./pbx-link.ts";

export interface CallCardsProps {
  readonly cards: readonly CallCard[];
  readonly t: Messages;
  readonly timezone: string;
  readonly now: Instant;
  /** An employee's name; the id itself when the staff list does not know it. */
  readonly nameOf: (employeeId: string) => string;
  readonly title: string;
  /** Whether calls can show at all (issue 14): without a PBX link, "no calls" would mislead. */
  readonly pbxLink?: PbxLink;
  /**
   * A desk screen's extension: its own calls get "hang up" and "transfer" (issue 15), which submit
   * the call panel's forms and show only while the panel is open (kiosk.css).
   */
  readonly deskExtension?: string | undefined;
}

const STATE_ORDER = { waiting: 0, answered: 1, missed: 2 } as const;
/** A screen shows the newest missed calls; the rest are counted (and listed on /admin/calls). */
const MISSED_SHOWN = 6;

/**
 * The live call cards: waiting and answered calls first (the longest waiting on top), then the
 * missed calls in their own area for managers (R3.3), shown only when there are some. What goes
 * in `cards` is the caller's choice of audience (card-audience.ts); this only draws them.
 */
export function CallCards(props: CallCardsProps) {
  const { t } = props;
  const live = props.cards
    .filter((c) => c.state !== "missed")
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || a.since - b.since);
  const missed = props.cards.filter((c) => c.state === "missed").sort((a, b) => b.since - a.since);
  return (
    <div class="calls-live" data-testid="cards">
      <h2>{props.title}</h2>
      {props.pbxLink === "none" || props.pbxLink === "down" ? (
        <p class="error no-pbx" role="status" data-testid="no-pbx">
          {props.pbxLink === "none" ? t.noPbx : t.pbxDown}
        </p>
      ) : null}
      {live.length === 0 ? (
        props.pbxLink === "none" ? null : (
          <p class="muted no-calls" data-testid="no-calls">
            {t.noCallsNow}
          </p>
        )
      ) : (
        <ul class="cards">
          {live.map((card) => (
            <Card card={card} {...props} />
          ))}
        </ul>
      )}
      {missed.length > 0 && (
        <section class="missed-area" data-testid="missed-area">
          <h2>{t.missedTitle}</h2>
          <ul class="cards">
            {missed.slice(0, MISSED_SHOWN).map((card) => (
              <Card card={card} {...props} />
            ))}
          </ul>
          {missed.length > MISSED_SHOWN && (
            <p class="muted" data-testid="missed-more">
              {t.missedMore(missed.length - MISSED_SHOWN)}
            </p>
          )}
        </section>
      )}
    </div>
  );
}

function Card(props: CallCardsProps & { card: CallCard }) {
  const { card, t } = props;
  const id = card.callId;
  // A call an employee places waits for the far end, not in the queue: not red, and said so.
  const dialling = card.state === "waiting" && card.direction !== "inbound";
  const label = dialling
    ? t.cardDialling
    : card.state === "waiting"
      ? t.cardWaiting
      : card.state === "answered"
        ? t.cardAnswered
        : t.cardMissed;
  return (
    <li
      class={dialling ? "card dialling" : `card ${card.state}`}
      data-testid={`card-${id}`}
      data-state={card.state}
    >
      <span class="card-label">{label}</span>
      <span class="card-number" data-testid={`card-${id}-number`}>
        {card.number === null ? t.hiddenNumber : formatPhone(card.number)}
      </span>
      {card.clientName !== null && <span class="card-client">{card.clientName}</span>}
      <span class="card-detail" data-testid={`card-${id}-detail`}>
        <CardDetail {...props} />
      </span>
      {props.deskExtension !== undefined && <CardActions card={card} t={t} extension={props.deskExtension} />}
    </li>
  );
}

function CardActions({ card, t, extension }: { card: CallCard; t: Messages; extension: string }) {
  const actions = deskCallActions(card, extension);
  if (actions === null) return null;
  const id = card.callId;
  return (
    <span class="card-actions" data-desk-call={card.state}>
      <button
        type="submit"
        form="panel-hangup"
        name="callId"
        value={id}
        class="btn warn"
        data-testid={`card-${id}-hangup`}
      >
        {card.state === "waiting" && card.direction === "inbound" ? t.cardDecline : t.cardHangup}
      </button>
      {actions.transfer && (
        <button
          type="submit"
          form="panel-transfer-start"
          name="callId"
          value={id}
          class="btn secondary"
          data-testid={`card-${id}-transfer`}
        >
          {t.cardTransfer}
        </button>
      )}
    </span>
  );
}

function CardDetail({ card, t, now, timezone, nameOf }: CallCardsProps & { card: CallCard }) {
  switch (card.state) {
    case "waiting":
      return (
        <>
          {card.direction !== "inbound" && card.ownerEmployeeId !== null && (
            <>
              <span class="card-who" data-testid={`card-${card.callId}-who`}>
                {nameOf(card.ownerEmployeeId)}
              </span>{" "}
            </>
          )}
          {t.waitingFor}{" "}
          <span class="elapsed" data-elapsed-since={String(card.since)} data-now={String(now)}>
            {formatElapsed(now - card.since)}
          </span>
          {card.extension !== null && <> · {t.ringingAt(card.extension)}</>}
        </>
      );
    case "answered": {
      const ext = card.extension ?? "—";
      // R3.2: answered on an extension that maps to nobody; the card is the senior manager's.
      const who =
        card.ownerEmployeeId !== null
          ? t.cardOwner(nameOf(card.ownerEmployeeId), ext)
          : t.cardUnmappedAnswer(
              ext,
              card.audience === "everyone" ? "" : card.audience.map(nameOf).join(", "),
            );
      return (
        <>
          <span class="card-who" data-testid={`card-${card.callId}-who`}>
            {who}
          </span>{" "}
          <span class="card-since">{t.talkingSince(formatTime(card.since, timezone))}</span>
        </>
      );
    }
    case "missed":
      return (
        <>
          {t.missedAt(formatTime(card.since, timezone))}
          {card.extension !== null && <> · {t.missedOn(card.extension)}</>}
        </>
      );
  }
}
