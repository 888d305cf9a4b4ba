import type { Messages } from "../../i18n/index.ts";
import type { ShiftView } from "../../service/roster-port.ts";
import { startOfDay } from "../ui/branch-time.ts";
import { ActionForm } from "./action-screen.tsx";
import { type CorrectionValues, REASONS, type Reason } from "./correction.ts";
import { endedByText, whenText } from "./when.ts";

export interface CorrectionScreenProps {
  readonly t: Messages;
  readonly timezone: string;
  readonly now: number;
  readonly ticket: string;
  readonly shift: ShiftView;
  readonly values: CorrectionValues;
  readonly error?: string | undefined;
}

const reasonLabel = (t: Messages, reason: Reason) =>
  ({
    forgot: t.reasonForgot,
    "left-early": t.reasonLeftEarly,
    "auto-closed": t.reasonAutoClosed,
    other: t.reasonOther,
  })[reason];

/**
 * A manager sets when a shift ended (issue 14): the day, the time with big steppers (kiosk.js;
 * a kiosk has no keyboard and the browser's time picker is tiny), and a reason the audit keeps.
 * An error names the shift and shows what was typed again.
 */
export function CorrectionScreen(props: CorrectionScreenProps) {
  const { t, shift, values, timezone, now } = props;
  const from = whenText(t, shift.from, now, timezone);
  const startedYesterday = shift.from < startOfDay(now, timezone);
  return (
    <section class="actions correction" data-idle-home data-testid="correction">
      <h1>{t.correctionTitle(shift.name)}</h1>
      <p class="state">
        {t.correctionShift(shift.deskName, from)}{" "}
        {shift.to === null
          ? t.correctionStillOpen
          : t.correctionEndedNow(whenText(t, shift.to, now, timezone), endedByText(t, shift.endedBy))}
      </p>
      {props.error !== undefined && (
        <p class="error" role="alert" data-testid="correction-error">
          {t.correctionRow(shift.name, shift.deskName, from)}
          {props.error}
        </p>
      )}
      <form class="correction-form" method="post" action="/action" hx-post="/action" hx-target="#screen">
        <input type="hidden" name="ticket" value={props.ticket} />
        <input type="hidden" name="kind" value="close-shift" />
        <input type="hidden" name="targetId" value={shift.employeeId} />
        <input type="hidden" name="shiftFrom" value={String(shift.from)} />
        {startedYesterday ? (
          <fieldset class="choices">
            <legend>{t.correctionDay}</legend>
            {(["yesterday", "today"] as const).map((day) => (
              <label class="choice" data-testid={`correction-day-${day}`}>
                <input type="radio" name="day" value={day} checked={values.day === day} />
                <span>{day === "today" ? t.today : t.yesterday}</span>
              </label>
            ))}
          </fieldset>
        ) : (
          <input type="hidden" name="day" value="today" />
        )}
        <fieldset class="time-stepper" data-time-stepper>
          <legend>{t.correctionTime}</legend>
          <button type="button" class="btn secondary" data-step="-60" data-testid="step-hour-back">
            {t.hourBack}
          </button>
          <button type="button" class="btn secondary" data-step="-5" data-testid="step-minutes-back">
            {t.minutesBack}
          </button>
          <input
            class="time-value"
            type="text"
            name="endedAt"
            value={values.endedAt}
            inputmode="numeric"
            maxlength={5}
            autocomplete="off"
            aria-label={t.correctionTime}
            data-testid="ended-at"
          />
          <button type="button" class="btn secondary" data-step="5" data-testid="step-minutes-forward">
            {t.minutesForward}
          </button>
          <button type="button" class="btn secondary" data-step="60" data-testid="step-hour-forward">
            {t.hourForward}
          </button>
        </fieldset>
        <fieldset class="choices">
          <legend>{t.correctionReason}</legend>
          {REASONS.map((reason) => (
            <label class="choice" data-testid={`reason-${reason}`}>
              <input type="radio" name="reason" value={reason} checked={values.reason === reason} required />
              <span>{reasonLabel(t, reason)}</span>
            </label>
          ))}
        </fieldset>
        <label class="note">
          {t.reasonNote}
          <input type="text" name="note" value={values.note} maxlength={200} autocomplete="off" />
        </label>
        <button type="submit" class="btn warn" data-testid="correction-save">
          {t.correctionSave}
        </button>
      </form>
      <ActionForm ticket={props.ticket} kind="menu" testId="correction-back" variant="secondary">
        {t.notNow}
      </ActionForm>
    </section>
  );
}
