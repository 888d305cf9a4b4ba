/** Moved to the rules (issue 16), where it reads each branch's `[numbers]`; kept for its importers. */
export { toE164 } from "../../domain/rules/phone-number.ts";
