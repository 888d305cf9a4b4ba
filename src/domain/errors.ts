import type { ErrorCode } from "./error-codes.ts";

/**
 * Expected failures are values with a stable string `code` (`ROSTER.PIN_LOCKED`), because
 * `instanceof` does not survive a wire. Every code is in the catalogue (error-codes.ts); HTTP
 * status and kiosk wording are chosen at the edge.
 */
export interface DomainError<C extends ErrorCode = ErrorCode> {
  readonly code: C;
  readonly message: string;
}

/** The one shape of an expected failure: a value, or a coded error (which may carry more fields). */
export type Result<T, E extends DomainError = DomainError> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { ok: true; value: T } => ({ ok: true, value });

export const fail = <C extends ErrorCode>(
  code: C,
  message: string,
): { ok: false; error: DomainError<C> } => ({
  ok: false,
  error: { code, message },
});
