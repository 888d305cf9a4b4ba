import type { Context } from "hono";
import type { ErrorCode } from "../../domain/error-codes.ts";
import { statusOf } from "../error-catalogue.ts";

export { statusOf };

/** The body of every API error: `{error: {code, message}}`, its status from `statusOf(code)`. */
export const errorBody = (code: ErrorCode, message: string) => ({ error: { code, message } });

/** An API error answer: the body, with the status the error catalogue gives the code. */
export const apiError = (c: Context, code: ErrorCode, message: string) =>
  c.json(errorBody(code, message), statusOf(code));
