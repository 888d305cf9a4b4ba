import type { Child } from "hono/jsx";
import type { Messages } from "../../i18n/index.ts";
import type { DeskView, EmployeeView, OnShiftView } from "../../service/roster-port.ts";
import { formatTime } from "../ui/branch-time.ts";

/** The kiosk's actions; `close-shift` is a manager's check-out of someone else. */
export type KioskAction = "check-in" | "check-out" | "break-start" | "break-end" | "handover" | "close-shift";

export interface ActionScreenProps {
  readonly t: Messages;
  readonly timezone: string;
  /** Signed proof of the PIN just typed (see ticket.ts); never the PIN. */
  readonly ticket: string;
  readonly me: EmployeeView;
  readonly desks: readonly DeskView[];
  /** Everyone on shift; a manager sees the others with "close shift". */
  readonly onShift: readonly OnShiftView[];
  readonly isManager: boolean;
  readonly error?: string | undefined;
}

function ActionForm(props: {
  ticket: string;
  kind: KioskAction;
  deskId?: string;
  targetId?: string;
  testId: string;
  variant: "primary" | "secondary" | "warn";
  children: Child;
  extra?: Child;
}) {
  return (
    <form class="action-form" method="post" action="/action" hx-post="/action" hx-target="#screen">
      <input type="hidden" name="ticket" value={props.ticket} />
      <input type="hidden" name="kind" value={props.kind} />
      {props.deskId !== undefined && <input type="hidden" name="deskId" value={props.deskId} />}
      {props.targetId !== undefined && <input type="hidden" name="targetId" value={props.targetId} />}
      {props.extra}
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
  const others = props.onShift.filter((s) => s.employeeId !== me.id);
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
      {props.isManager && (
        <section class="manager">
          <h2>{t.managerTitle}</h2>
          <p class="muted">{t.managerHint}</p>
          {others.length === 0 ? (
            <p class="muted">{t.nobodyElseOnShift}</p>
          ) : (
            <ul class="close-list">
              {others.map((s) => (
                <li>
                  <span class="who">{s.name}</span>
                  <span class="where">{t.onShiftAt(s.deskName, formatTime(s.since, timezone))}</span>
                  <ActionForm
                    ticket={ticket}
                    kind="close-shift"
                    targetId={s.employeeId}
                    testId={`action-close-shift-${s.employeeId}`}
                    variant="warn"
                    extra={
                      <label class="ended-at">
                        {t.endedAt}
                        <input type="time" name="endedAt" data-testid={`ended-at-${s.employeeId}`} />
                      </label>
                    }
                  >
                    {t.closeShift(s.name)}
                  </ActionForm>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
      <a class="btn secondary done" href="/" hx-get="/" hx-target="#screen" data-testid="action-done">
        {t.done}
      </a>
    </section>
  );
}
