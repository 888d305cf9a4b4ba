import type { Messages } from "../../i18n/index.ts";
import type { PhoneAfterLeaving } from "../../service/roster-port.ts";

/**
 * What a break or a check-out will do to the desk phone the employee holds (issue 14): who takes
 * its calls, or a warning that nobody will. Nothing when the employee holds no phone.
 */
export function PhoneNote(props: { t: Messages; phone: PhoneAfterLeaving | null }) {
  const { t, phone } = props;
  if (phone === null) return null;
  return phone.next === null ? (
    <p class="phone-note warn" role="alert" data-testid="phone-note">
      {t.phoneToNobody(phone.extension, phone.deskName)}
    </p>
  ) : (
    <p class="phone-note" data-testid="phone-note">
      {t.phoneGoesTo(phone.extension, phone.deskName, phone.next.name)}
    </p>
  );
}

/** The same, after the fact, for the confirmation on the home screen. */
export function phoneAfterText(t: Messages, phone: PhoneAfterLeaving | null): string {
  if (phone === null) return "";
  return phone.next === null
    ? t.phoneNowNobody(phone.extension)
    : t.phoneWentTo(phone.extension, phone.next.name);
}

/** "8 ч 59 мин": milliseconds at work, in whole minutes. */
export function workedText(t: Messages, ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000));
  return t.worked(Math.floor(minutes / 60), minutes % 60);
}
