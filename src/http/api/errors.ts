import type { ContentfulStatusCode } from "hono/utils/http-status";

/** The HTTP status of each stable error code, chosen here at the edge and nowhere else. */
const STATUS: Record<string, ContentfulStatusCode> = {
  "API.BAD_JSON": 400,
  "API.INVALID_BODY": 400,
  "API.INVALID_QUERY": 400,
  "API.NOT_FOUND": 404,
  "API.TOO_LARGE": 413,
  "AUTH.UNAUTHORIZED": 401,
  "ROSTER.BAD_TIME": 400,
  "ROSTER.UNKNOWN_EMPLOYEE": 404,
  "ROSTER.UNKNOWN_DESK": 404,
  "ROSTER.ALREADY_ON_SHIFT": 409,
  "ROSTER.NOT_ON_SHIFT": 409,
  "ROSTER.ALREADY_ON_BREAK": 409,
  "ROSTER.NOT_ON_BREAK": 409,
  "ROSTER.ALREADY_HOLDS_PHONE": 409,
  "ROSTER.NOT_A_MANAGER": 403,
  "ROSTER.PIN_WRONG": 401,
  "ROSTER.PIN_LOCKED": 423,
  "STORAGE.DISK_FULL": 507,
  "STORAGE.READ_ONLY": 503,
  INTERNAL: 500,
};

export const statusOf = (code: string): ContentfulStatusCode => STATUS[code] ?? 500;

export const errorBody = (code: string, message: string) => ({ error: { code, message } });
