import type { Child } from "hono/jsx";
import type { Messages } from "../../i18n/index.ts";
import type { DeskView, EmployeeView, PhoneAfterLeaving, ShiftView } from "../../service/roster-port.ts";
import { formatTime } from "../ui/branch-time.ts";
import { PhoneNote, workedText } from "./phone-note.tsx";
import { RulesButtons } from "./rules-buttons.tsx";
import { endedByText, whenText } from "./when.ts";

/**
 * The kiosk's actions; `close-shift` is a manager's correction of a shift's end (anyone's, today
 * or yesterday), `correct` opens its screen, `menu` shows this screen again (a "back" button).
 */
export type KioskAction =
  | "check-in"
  | "check-out"
  | "break-start"
  | "break-end"
  | "handover"
  | "close-shift"
  | "correct"
  | "menu";

export interface ActionScreenProps {
  readonly t: Messages;
  readonly timezone: string;
  readonly now: number;
  /** Signed proof of the PIN just typed (see ticket.ts); never the PIN. */
  readonly ticket: string;
  readonly me: EmployeeView;
  readonly desks: readonly DeskView[];
  /** What leaving now does to the phone she holds (null: she holds none). */
  readonly phone: PhoneAfterLeaving | null;
  /** A manager's list: shifts of yesterday and today to close or correct (empty for others). */
  readonly shifts: readonly ShiftView[];
  readonly isManager: boolean;
  readonly error?: string | undefined;
}

export function ActionForm(props: {
  ticket: string;
  kind: KioskAction;
  deskId?: string;
  targetId?: string;
  shiftFrom?: number;
  confirm?: boolean;
  testId: string;
  variant: "primary" | "secondary" | "warn";
  children: Child;
}) {
  return (
    <form class="action-form" method="post" action="/action" hx-post="/action" hx-target="#screen">
      <input type="hidden" name="ticket" value={props.ticket} />
      <input type="hidden" name="kind" value={props.kind} />
      {props.deskId !== undefined && <input type="hidden" name="deskId" value={props.deskId} />}
      {props.targetId !== undefined && <input type="hidden" name="targetId" value={props.targetId} />}
      {props.shiftFrom !== undefined && (
        <input type="hidden" name="shiftFrom" value={String(props.shiftFrom)} />
      )}
      {props.confirm === true && <input type="hidden" name="confirm" value="yes" />}
      <button type="submit" class={`btn ${props.variant}`} data-testid={props.testId}>
        {props.children}
      </button>
    </form>
  );
}

/** What the employee can do now; only what applies to her state is shown. */
export function ActionScreen(props: ActionScreenProps) {
  const { t, me, ticket, timezone } = props;
  const shift = me.onShift;
  return (
    <section class="actions" data-idle-home>
      <h1>{t.hello(me.name)}</h1>
      <p class="state" data-testid="state">
        {shift === null ? t.stateOffShift : t.stateOnShift(shift.deskName, formatTime(shift.since, timezone))}
        {shift?.holdsPhone === true && ` ${t.stateHoldsPhone}`}
        {shift?.onBreak === true && ` ${t.stateOnBreak}`}
      </p>
      {props.error !== undefined && (
        <p class="error" role="alert" data-testid="action-error">
          {props.error}
        </p>
      )}
      <div class="action-grid">
        {shift === null &&
          props.desks.map((d) => (
            <ActionForm
              ticket={ticket}
              kind="check-in"
              deskId={d.id}
              testId={`action-check-in-${d.id}`}
              variant="primary"
            >
              {t.checkInAt(d.name)}
            </ActionForm>
          ))}
        {shift !== null && !shift.onBreak && (
          <>
            {props.desks
              .filter((d) => d.holder?.employeeId !== me.id)
              .map((d) => (
                <ActionForm
                  ticket={ticket}
                  kind="handover"
                  deskId={d.id}
                  testId={`action-handover-${d.id}`}
                  variant="primary"
                >
                  {t.handoverAt(d.name, d.extension)}
                </ActionForm>
              ))}
            <ActionForm ticket={ticket} kind="break-start" testId="action-break-start" variant="secondary">
              {t.breakStart}
            </ActionForm>
          </>
        )}
        {shift?.onBreak === true && (
          <ActionForm ticket={ticket} kind="break-end" testId="action-break-end" variant="primary">
            {t.breakEnd}
          </ActionForm>
        )}
        {shift !== null && (
          <ActionForm ticket={ticket} kind="check-out" testId="action-check-out" variant="warn">
            {t.checkOut}
          </ActionForm>
        )}
      </div>
      {shift !== null && !shift.onBreak && <PhoneNote t={t} phone={props.phone} />}
      <RulesButtons t={t} ticket={ticket} isManager={props.isManager} />
      {props.isManager && <ShiftList {...props} />}
      <a class="btn secondary done" href="/" hx-get="/" hx-target="#screen" data-testid="action-done">
        {t.done}
      </a>
    </section>
  );
}

/** A manager's list: every shift of yesterday and today but her own open one, each correctable. */
function ShiftList(props: ActionScreenProps) {
  const { t, ticket, timezone, now } = props;
  const shifts = props.shifts.filter((s) => !(s.employeeId === props.me.id && s.to === null));
  return (
    <section class="manager">
      <h2>{t.shiftsTitle}</h2>
      <p class="muted">{t.managerHint}</p>
      {shifts.length === 0 ? (
        <p class="muted">{t.nobodyElseOnShift}</p>
      ) : (
        <ul class="close-list">
          {shifts.map((s) => (
            <li data-testid={`shift-${s.employeeId}-${formatTime(s.from, timezone).replace(":", "")}`}>
              <span class="who">{s.name}</span>
              <span class="where">
                {s.to === null
                  ? t.shiftOpen(s.deskName, whenText(t, s.from, now, timezone))
                  : t.shiftClosed(
                      s.deskName,
                      whenText(t, s.from, now, timezone),
                      whenText(t, s.to, now, timezone),
                      endedByText(t, s.endedBy),
                    )}
              </span>
              <ActionForm
                ticket={ticket}
                kind="correct"
                targetId={s.employeeId}
                shiftFrom={s.from}
                testId={
                  s.to === null
                    ? `action-close-shift-${s.employeeId}`
                    : `action-correct-${s.employeeId}-${formatTime(s.from, timezone).replace(":", "")}`
                }
                variant={s.to === null ? "warn" : "secondary"}
              >
                {s.to === null ? t.closeShift(s.name) : t.correctShift(s.name)}
              </ActionForm>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

/** "Закончить смену?": what ending now means, before it happens (issue 14). */
export function CheckOutConfirm(props: {
  t: Messages;
  timezone: string;
  ticket: string;
  me: EmployeeView;
  workedMs: number;
  phone: PhoneAfterLeaving | null;
}) {
  const { t, me, ticket } = props;
  const shift = me.onShift;
  return (
    <section class="actions confirm" data-idle-home data-testid="confirm-check-out">
      <h1>{t.confirmCheckOutTitle}</h1>
      {shift !== null && (
        <p class="state" data-testid="confirm-state">
          {t.confirmCheckOutState(
            shift.deskName,
            formatTime(shift.since, props.timezone),
            workedText(t, props.workedMs),
          )}
        </p>
      )}
      <PhoneNote t={t} phone={props.phone} />
      <div class="action-grid">
        <ActionForm ticket={ticket} kind="check-out" confirm testId="confirm-check-out-yes" variant="warn">
          {t.confirmCheckOutYes}
        </ActionForm>
        <ActionForm ticket={ticket} kind="menu" testId="confirm-check-out-no" variant="secondary">
          {t.notNow}
        </ActionForm>
      </div>
    </section>
  );
}
