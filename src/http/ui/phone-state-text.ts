import type { PhoneState } from "../../domain/phones/phone-state.ts";
import type { Messages } from "../../i18n/index.ts";
import { formatPhone } from "./phone-format.ts";

/**
 * A desk phone's state in words, for /admin and the desk screen: presence, then DND and log off,
 * then what it is doing ("в сети · не беспокоить · разговор с +7 916 123-45-67").
 */
export function phoneStateText(state: PhoneState, t: Messages): string {
  if (state.last === null) return t.phoneSilent;
  const parts = [state.registered === false ? t.phoneUnregistered : t.phoneRegistered];
  if (state.dnd === true) parts.push(t.phoneDnd);
  if (state.loggedOn === false) parts.push(t.phoneLoggedOff);
  const activity = state.activity;
  if (activity.state === "idle") parts.push(t.phoneIdle);
  else {
    const who = activity.remote === null ? t.phoneSomeone : formatPhone(activity.remote);
    if (activity.state === "ringing") parts.push(t.phoneRinging(who));
    else if (activity.state === "dialing") parts.push(t.phoneDialing(who));
    else parts.push(t.phoneTalking(who));
  }
  return parts.join(" · ");
}
