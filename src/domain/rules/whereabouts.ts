/**
 * Where each employee is today, as the roster says: the one thing no connector knows (issue 16).
 * A plain view the roster's port builds once; the rules read it without asking the roster again.
 */
export interface TodayEmployee {
  readonly id: string;
  readonly name: string;
  /** The extension in the staff list (dedicated only when it is no desk's: see `dedicatedOwner`). */
  readonly extension: string | null;
  readonly onShift: boolean;
}

export interface TodayDesk {
  readonly id: string;
  readonly name: string;
  readonly extension: string;
  /** Who holds the desk's phone now; null: nobody. */
  readonly holderId: string | null;
}

export interface RosterToday {
  readonly employees: readonly TodayEmployee[];
  readonly desks: readonly TodayDesk[];
  /** Whose dedicated extension this is (the roster's `dedicated` rule, on shift or not); null: nobody's. */
  dedicatedOwner(extension: string): string | null;
}

/** The phone where an employee is today, or why there is none. */
export type PhoneToday =
  | { readonly kind: "desk"; readonly extension: string; readonly deskName: string }
  | { readonly kind: "dedicated"; readonly extension: string }
  | { readonly kind: "unknown-employee" }
  | { readonly kind: "off-shift"; readonly name: string }
  | { readonly kind: "no-phone"; readonly name: string };

/**
 * The phone where the employee is today (R2.1, R2.6): the desk they are checked in at and hold
 * the phone of, else their dedicated extension; none when they are off shift (the roster's
 * "absent": never rung) or have neither.
 */
export function phoneToday(today: RosterToday, employeeId: string): PhoneToday {
  const employee = today.employees.find((e) => e.id === employeeId);
  if (employee === undefined) return { kind: "unknown-employee" };
  if (!employee.onShift) return { kind: "off-shift", name: employee.name };
  const desk = today.desks.find((d) => d.holderId === employeeId);
  if (desk !== undefined) return { kind: "desk", extension: desk.extension, deskName: desk.name };
  const own = employee.extension;
  if (own !== null && today.dedicatedOwner(own) === employeeId) return { kind: "dedicated", extension: own };
  return { kind: "no-phone", name: employee.name };
}
