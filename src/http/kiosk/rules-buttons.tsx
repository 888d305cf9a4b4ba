import type { Child } from "hono/jsx";
import type { Messages } from "../../i18n/index.ts";

/** A button that opens a rules screen, carrying the ticket (and whose screen it is). */
export function RulesButton(props: {
  ticket: string;
  action: "/rules/forwarding" | "/rules/staff" | "/rules/absences";
  employeeId?: string;
  testId: string;
  variant: "primary" | "secondary" | "warn";
  children: Child;
}) {
  return (
    <form class="action-form" method="post" action={props.action} hx-post={props.action} hx-target="#screen">
      <input type="hidden" name="ticket" value={props.ticket} />
      {props.employeeId !== undefined && <input type="hidden" name="employeeId" value={props.employeeId} />}
      <button type="submit" class={`btn ${props.variant}`} data-testid={props.testId}>
        {props.children}
      </button>
    </form>
  );
}

/** The action screen's way in: one's own forwarding; a manager's list of everyone. */
export function RulesButtons(props: { t: Messages; ticket: string; isManager: boolean }) {
  return (
    <div class="action-grid">
      <RulesButton
        ticket={props.ticket}
        action="/rules/forwarding"
        testId="open-forwarding"
        variant="secondary"
      >
        {props.t.forwardingOpen}
      </RulesButton>
      {props.isManager && (
        <RulesButton ticket={props.ticket} action="/rules/staff" testId="open-staff-away" variant="secondary">
          {props.t.staffAwayOpen}
        </RulesButton>
      )}
    </div>
  );
}
