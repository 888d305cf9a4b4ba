import type { Child } from "hono/jsx";
import type { Instant } from "../../domain/roster/types.ts";
import type { Lang, Messages } from "../../i18n/index.ts";
import type { CallCard } from "../../service/calls-port.ts";
import type { PhoneView } from "../../service/phones.ts";
import type { DeskView } from "../../service/roster-port.ts";
import { formatTime } from "../ui/branch-time.ts";
import { phoneStateText } from "../ui/phone-state-text.ts";
import { CallCards } from "./call-cards.tsx";
import type { PbxLink } from "./pbx-link.ts";

export interface DeskContentProps {
  readonly desk: DeskView;
  /** The cards for this desk (card-audience.ts `deskCards`). */
  readonly cards: readonly CallCard[];
  readonly t: Messages;
  readonly timezone: string;
  readonly now: Instant;
  readonly nameOf: (employeeId: string) => string;
  readonly pbxLink?: PbxLink;
  /** The desk's phones by their action URLs (issue 17): DND, offline, which one is talking. */
  readonly phones?: readonly PhoneView[];
}

/** What the desk's stream re-sends: the desk, who holds its phone now, and its cards. */
export function DeskContent({
  desk,
  cards,
  t,
  timezone,
  now,
  nameOf,
  pbxLink,
  phones = [],
}: DeskContentProps) {
  return (
    <>
      <div class="desk-head">
        <h1 data-testid="desk-title">{t.deskScreenTitle(desk.name, desk.extension)}</h1>
        <time class="clock" data-clock data-tz={timezone} data-now={String(now)}>
          {formatTime(now, timezone)}
        </time>
        <p class={desk.holder === null ? "desk-phone free" : "desk-phone held"} data-testid="desk-holder">
          {desk.holder === null
            ? t.deskPhoneNobody
            : t.deskPhoneWith(desk.holder.name, formatTime(desk.holder.since, timezone))}
        </p>
        {phones.map(({ phone, state }) => (
          <p
            class={
              state.registered === false || state.dnd === true ? "desk-phone-state warn" : "desk-phone-state"
            }
            data-testid={`desk-phone-${phone.id}`}
          >
            {t.deskPhonesLine(phone.id, phoneStateText(state, t))}
          </p>
        ))}
      </div>
      <CallCards
        cards={cards}
        t={t}
        timezone={timezone}
        now={now}
        nameOf={nameOf}
        title={t.deskCardsTitle}
        pbxLink={pbxLink}
        deskExtension={desk.extension}
      />
    </>
  );
}

/**
 * The screen beside a desk's phone: the desk and its cards, kept live over SSE and readable by
 * anyone; beside it the call panel (issue 15), which the phone holder opens with her PIN. The
 * panel is outside the live section, so the stream's redraws never touch what she is typing.
 */
export function DeskScreen(props: DeskContentProps & { readonly lang: Lang; readonly panel: Child }) {
  const id = encodeURIComponent(props.desk.id);
  return (
    <div class="desk-page" data-testid="desk-page">
      <section
        id="desk"
        class="desk-screen"
        data-testid="desk-screen"
        hx-sse:connect={`/desk/${id}/events?lang=${props.lang}`}
      >
        <DeskContent {...props} />
      </section>
      {props.panel}
    </div>
  );
}

/** An unknown desk, said in words, with the screens that do exist. */
export function UnknownDesk({
  deskId,
  desks,
  t,
}: {
  deskId: string;
  desks: readonly DeskView[];
  t: Messages;
}) {
  return (
    <div class="unknown-desk">
      {/* The page's one heading (issue 14, item 10): a whole page, not a change to announce. */}
      <h1 class="flash error" data-testid="desk-unknown">
        {t.deskUnknown(deskId)}
      </h1>
      {desks.length > 0 && (
        <>
          <p>{t.deskKnownList}</p>
          <ul class="desk-links">
            {desks.map((d) => (
              <li>
                <a class="btn secondary" href={`/desk/${encodeURIComponent(d.id)}`}>
                  {d.name} ({d.extension})
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
