/**
 * Expected failures are values with a stable string `code` (`ROSTER.PIN_LOCKED`), because
 * `instanceof` does not survive a wire. HTTP status and kiosk wording are chosen at the edge.
 */
export interface DomainError<C extends string = string> {
  readonly code: C;
  readonly message: string;
}

export type Result<T, C extends string = string> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: DomainError<C> };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const fail = <C extends string>(code: C, message: string): { ok: false; error: DomainError<C> } => ({
  ok: false,
  error: { code, message },
});
