import { formatMinute } from "../../domain/rules/absence.ts";
import type { Messages } from "../../i18n/index.ts";
import type { StoredRange } from "../../store/rules-store.ts";
import { dayText, rangeKindText } from "../ui/rules-text.ts";
import { ActionForm } from "./action-screen.tsx";
import { RulesButton } from "./rules-buttons.tsx";
import { type AbsenceForm, ACTIONS, type ForwardingForm, NOTICES } from "./rules-form.ts";

/**
 * Issue 16's kiosk screens, each behind the PIN's ticket: "Если я не отвечаю" (R4.1–R4.4, one's own,
 * or anyone's for a manager), the manager's list of staff with their forwarding and absences, and
 * one employee's absences (R4.7: vacation and sick leave with day steppers, the weekly hours).
 * Steppers are submit buttons (`step`): no keyboard, no browser date picker.
 */

function Stepper(props: {
  legend: string;
  value: string;
  name: string;
  steps: readonly { step: string; label: string; testId: string }[];
  testId: string;
}) {
  const half = Math.ceil(props.steps.length / 2);
  const button = (s: { step: string; label: string; testId: string }) => (
    <button type="submit" name="step" value={s.step} class="btn secondary" data-testid={s.testId}>
      {s.label}
    </button>
  );
  return (
    <fieldset class="time-stepper">
      <legend>{props.legend}</legend>
      {props.steps.slice(0, half).map(button)}
      <output class="stepper-value" name={props.name} data-testid={props.testId}>
        {props.value}
      </output>
      {props.steps.slice(half).map(button)}
    </fieldset>
  );
}

export interface ForwardingScreenProps {
  readonly t: Messages;
  readonly ticket: string;
  readonly employee: { readonly id: string; readonly name: string };
  /** The employee setting their own. */
  readonly self: boolean;
  readonly now: string;
  readonly form: ForwardingForm;
  readonly colleagues: readonly { readonly id: string; readonly name: string }[];
  readonly departments: readonly { readonly name: string; readonly extension: string }[];
  readonly error?: string | undefined;
}

export function ForwardingScreen(props: ForwardingScreenProps) {
  const { t, form } = props;
  const actionLabel = {
    busy: t.actionBusy,
    message: t.actionMessage,
    forward: t.actionForward,
    voicemail: t.actionVoicemail,
  };
  const noticeLabel = { default: t.noticeDefault, custom: t.noticeCustom, none: t.noticeNone };
  return (
    <section class="actions rules" data-idle-home data-testid="forwarding">
      <h1>{props.self ? t.forwardingTitleSelf : t.forwardingTitleOther(props.employee.name)}</h1>
      <p class="state" data-testid="forwarding-now">
        {t.forwardingNow(props.now)}
      </p>
      {props.error !== undefined && (
        <p class="error" role="alert" data-testid="forwarding-error">
          {t.forwardingRow(props.employee.name)}
          {props.error}
        </p>
      )}
      <form
        class="correction-form"
        method="post"
        action="/rules/forwarding"
        hx-post="/rules/forwarding"
        hx-target="#screen"
      >
        <input type="hidden" name="ticket" value={props.ticket} />
        <input type="hidden" name="employeeId" value={props.employee.id} />
        <input type="hidden" name="timeout" value={String(form.timeout)} />
        <Stepper
          legend={t.forwardingTimeout}
          value={t.secondsValue(form.timeout)}
          name="timeout-shown"
          testId="timeout-value"
          steps={[
            { step: "-30", label: t.secondsBack, testId: "timeout-back" },
            { step: "30", label: t.secondsForward, testId: "timeout-forward" },
          ]}
        />
        <fieldset class="choices">
          <legend>{t.forwardingAction}</legend>
          {ACTIONS.map((a) => (
            <label class="choice" data-testid={`fwd-action-${a}`}>
              <input type="radio" name="action" value={a} checked={form.action === a} />
              <span>{actionLabel[a]}</span>
            </label>
          ))}
        </fieldset>
        <fieldset class="choices">
          <legend>{t.forwardTo}</legend>
          {props.colleagues.map((c) => (
            <label class="choice" data-testid={`fwd-to-employee-${c.id}`}>
              <input
                type="radio"
                name="target"
                value={`employee:${c.id}`}
                checked={form.target === `employee:${c.id}`}
              />
              <span>{c.name}</span>
            </label>
          ))}
          {props.departments.map((d) => (
            <label class="choice" data-testid={`fwd-to-extension-${d.extension}`}>
              <input
                type="radio"
                name="target"
                value={`extension:${d.extension}`}
                checked={form.target === `extension:${d.extension}`}
              />
              <span>{t.departmentTarget(d.name, d.extension)}</span>
            </label>
          ))}
        </fieldset>
        <fieldset class="choices">
          <legend>{t.forwardingNotice}</legend>
          {NOTICES.map((n) => (
            <label class="choice" data-testid={`fwd-notice-${n}`}>
              <input type="radio" name="notice" value={n} checked={form.notice === n} />
              <span>{noticeLabel[n]}</span>
            </label>
          ))}
          <label class="note">
            {t.noticeRecording}
            <input type="text" name="recording" value={form.recording} maxlength={120} autocomplete="off" />
          </label>
        </fieldset>
        <div class="action-grid">
          <button type="submit" name="save" value="yes" class="btn primary" data-testid="forwarding-save">
            {t.forwardingSave}
          </button>
          <button
            type="submit"
            name="save"
            value="default"
            class="btn secondary"
            data-testid="forwarding-reset"
          >
            {t.forwardingReset}
          </button>
        </div>
      </form>
      {props.self ? (
        <ActionForm ticket={props.ticket} kind="menu" testId="forwarding-back" variant="secondary">
          {t.notNow}
        </ActionForm>
      ) : (
        <RulesButton ticket={props.ticket} action="/rules/staff" testId="forwarding-back" variant="secondary">
          {t.back}
        </RulesButton>
      )}
    </section>
  );
}

export interface StaffAwayRow {
  readonly id: string;
  readonly name: string;
  readonly forwarding: string;
  readonly away: string;
}

/** A manager's list: everyone's forwarding and whether they are away, each with its two screens. */
export function StaffAwayScreen(props: {
  t: Messages;
  ticket: string;
  rows: readonly StaffAwayRow[];
  notice?: string | undefined;
}) {
  const { t, ticket } = props;
  return (
    <section class="actions rules" data-idle-home data-testid="staff-away">
      <h1>{t.staffAwayTitle}</h1>
      {props.notice !== undefined && (
        <p class="flash ok" role="status" data-testid="staff-away-notice">
          {props.notice}
        </p>
      )}
      <p class="muted">{t.staffAwayHint}</p>
      <ul class="close-list">
        {props.rows.map((r) => (
          <li data-testid={`away-${r.id}`}>
            <span class="who">{r.name}</span>
            <span class="where">
              {r.away}; {r.forwarding}
            </span>
            <RulesButton
              ticket={ticket}
              action="/rules/forwarding"
              employeeId={r.id}
              testId={`edit-forwarding-${r.id}`}
              variant="secondary"
            >
              {t.editForwarding}
            </RulesButton>
            <RulesButton
              ticket={ticket}
              action="/rules/absences"
              employeeId={r.id}
              testId={`edit-absences-${r.id}`}
              variant="secondary"
            >
              {t.editAbsences}
            </RulesButton>
          </li>
        ))}
      </ul>
      <ActionForm ticket={ticket} kind="menu" testId="staff-away-back" variant="secondary">
        {t.back}
      </ActionForm>
    </section>
  );
}

export interface AbsencesScreenProps {
  readonly t: Messages;
  readonly ticket: string;
  readonly employee: { readonly id: string; readonly name: string };
  readonly ranges: readonly StoredRange[];
  /** The schedule in words; null: none. */
  readonly schedule: string | null;
  readonly away: string;
  readonly form: AbsenceForm;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

/** One employee's absences (R4.7): the ranges with remove, a new range, the weekly hours. */
export function AbsencesScreen(props: AbsencesScreenProps) {
  const { t, form } = props;
  const dayStep = (which: "first" | "last") => [
    { step: `${which}:-7`, label: t.weekBack, testId: `${which}-week-back` },
    { step: `${which}:-1`, label: t.dayBack, testId: `${which}-day-back` },
    { step: `${which}:1`, label: t.dayForward, testId: `${which}-day-forward` },
    { step: `${which}:7`, label: t.weekForward, testId: `${which}-week-forward` },
  ];
  const hourStep = (which: "from" | "to") => [
    { step: `${which}:-30`, label: t.halfHourBack, testId: `${which}-back` },
    { step: `${which}:30`, label: t.halfHourForward, testId: `${which}-forward` },
  ];
  return (
    <section class="actions rules" data-idle-home data-testid="absences">
      <h1>{t.absencesTitle(props.employee.name)}</h1>
      <p class="state" data-testid="absences-away">
        {props.away}
      </p>
      {props.notice !== undefined && (
        <p class="flash ok" role="status" data-testid="absences-notice">
          {props.notice}
        </p>
      )}
      {props.error !== undefined && (
        <p class="error" role="alert" data-testid="absences-error">
          {t.forwardingRow(props.employee.name)}
          {props.error}
        </p>
      )}
      <form
        class="correction-form"
        method="post"
        action="/rules/absences"
        hx-post="/rules/absences"
        hx-target="#screen"
      >
        <input type="hidden" name="ticket" value={props.ticket} />
        <input type="hidden" name="employeeId" value={props.employee.id} />
        <input type="hidden" name="first" value={form.first} />
        <input type="hidden" name="last" value={form.last} />
        <input type="hidden" name="from" value={String(form.from)} />
        <input type="hidden" name="to" value={String(form.to)} />
        {props.ranges.length === 0 ? (
          <p class="muted">{t.absencesNone}</p>
        ) : (
          <ul class="close-list">
            {props.ranges.map((r) => (
              <li data-testid={`range-${r.id}`}>
                <span class="who">
                  {t.rangeText(rangeKindText(t, r.kind), dayText(t, r.first), dayText(t, r.last))}
                </span>
                {r.source === "hq" ? (
                  <span class="where">{t.fromHq}</span>
                ) : (
                  <button
                    type="submit"
                    name="remove"
                    value={String(r.id)}
                    class="btn warn"
                    data-testid={`remove-range-${r.id}`}
                  >
                    {t.rangeRemove}
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        <h2>{t.addRange}</h2>
        <fieldset class="choices">
          {(["vacation", "sick"] as const).map((kind) => (
            <label class="choice" data-testid={`range-kind-${kind}`}>
              <input type="radio" name="kind" value={kind} checked={form.kind === kind} />
              <span>{rangeKindText(t, kind)}</span>
            </label>
          ))}
        </fieldset>
        <Stepper
          legend={t.firstDay}
          value={dayText(t, form.first)}
          name="first-shown"
          testId="first-value"
          steps={dayStep("first")}
        />
        <Stepper
          legend={t.lastDay}
          value={dayText(t, form.last)}
          name="last-shown"
          testId="last-value"
          steps={dayStep("last")}
        />
        <button type="submit" name="add" value="yes" class="btn primary" data-testid="range-add">
          {t.rangeAdd}
        </button>
        <h2>{t.scheduleTitle}</h2>
        <p class="state" data-testid="schedule-now">
          {props.schedule ?? t.scheduleNone}
        </p>
        <fieldset class="choices">
          <legend>{t.scheduleDays}</legend>
          {([1, 2, 3, 4, 5, 6, 7] as const).map((day) => (
            <label class="choice" data-testid={`schedule-day-${day}`}>
              <input type="checkbox" name="day" value={String(day)} checked={form.days.includes(day)} />
              <span>{t.weekdayShort(day)}</span>
            </label>
          ))}
        </fieldset>
        <Stepper
          legend={t.scheduleFrom}
          value={formatMinute(form.from)}
          name="from-shown"
          testId="from-value"
          steps={hourStep("from")}
        />
        <Stepper
          legend={t.scheduleTo}
          value={formatMinute(form.to)}
          name="to-shown"
          testId="to-value"
          steps={hourStep("to")}
        />
        <div class="action-grid">
          <button type="submit" name="schedule" value="save" class="btn primary" data-testid="schedule-save">
            {t.scheduleSave}
          </button>
          <button
            type="submit"
            name="schedule"
            value="clear"
            class="btn secondary"
            data-testid="schedule-clear"
          >
            {t.scheduleClear}
          </button>
        </div>
      </form>
      <RulesButton ticket={props.ticket} action="/rules/staff" testId="absences-back" variant="secondary">
        {t.back}
      </RulesButton>
    </section>
  );
}
