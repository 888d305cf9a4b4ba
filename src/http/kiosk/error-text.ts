import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ErrorCode } from "../../domain/error-codes.ts";
import type { Messages } from "../../i18n/index.ts";
import { kioskOf } from "../error-catalogue.ts";

/**
 * What a receptionist reads for a coded error (what happened and what to do next) and the status
 * of the screen that says it, both from the error catalogue.
 */
export function kioskError(code: ErrorCode, t: Messages): { text: string; status: ContentfulStatusCode } {
  const { text, status } = kioskOf(code);
  // A catalogue key that names no sentence, or a sentence with parameters, fails to compile here.
  const sentence: string = t[text];
  return { text: sentence, status };
}
